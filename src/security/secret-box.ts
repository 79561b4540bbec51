// Secrets at rest: AES-256-GCM under a master key. Each sealed value carries the id of the key that
// sealed it, so a later key rotation can keep old keys for opening while sealing with the new one.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface SealedSecret {
  keyId: string;
  /** base64 of iv ‖ ciphertext ‖ tag */
  ciphertext: string;
}

export class SecretBoxError extends Error {
  override name = 'SecretBoxError';
}

/** Stable, non-secret identifier of a key: the first 16 hex digits of a domain-separated SHA-256. */
export function masterKeyId(key: Buffer): string {
  return createHash('sha256').update('idcloud master key id\0').update(key).digest('hex').slice(0, 16);
}

export class SecretBox {
  readonly activeKeyId: string;
  readonly #keys: Map<string, Buffer>;
  readonly #active: Buffer;

  /** @param active the key new secrets are sealed with; @param retired older keys still accepted for opening */
  constructor(active: Buffer, retired: Buffer[] = []) {
    for (const key of [active, ...retired]) {
      if (key.length !== 32) throw new SecretBoxError('a master key must be 32 bytes');
    }
    this.#active = Buffer.from(active);
    this.activeKeyId = masterKeyId(active);
    this.#keys = new Map([...retired, active].map((k) => [masterKeyId(k), Buffer.from(k)]));
  }

  /** @param context binds the ciphertext to its place (e.g. `api_client:<id>`), so it cannot be moved to another row. */
  seal(plaintext: string, context: string): SealedSecret {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#active, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return { keyId: this.activeKeyId, ciphertext: Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64') };
  }

  open(sealed: SealedSecret, context: string): string {
    const key = this.#keys.get(sealed.keyId);
    if (!key) throw new SecretBoxError(`no master key with id ${sealed.keyId} is loaded`);
    const raw = Buffer.from(sealed.ciphertext, 'base64');
    if (raw.length < IV_BYTES + TAG_BYTES) throw new SecretBoxError('sealed secret is truncated');
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretBoxError('sealed secret failed authentication (wrong key or tampered data)');
    }
  }
}
