// Identifiers and secrets drawn from the CSPRNG.
import { randomBytes, randomInt, randomUUID } from 'node:crypto';

const LOWER_ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** Uniformly random string over an alphabet (rejection-free: randomInt is unbiased). */
export function randomString(length: number, alphabet: string = LOWER_ALNUM): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

/** API-client ids and secrets: 32 lowercase alphanumerics, as the original service issues them. */
export const newClientId = (): string => randomString(32);
export const newClientSecret = (): string => randomString(32);
/** Application ids are 26 lowercase alphanumerics. */
export const newApplicationId = (): string => randomString(26);
export const newUuid = (): string => randomUUID();
/** OIDC client secrets and configuration access tokens: 64 characters of base64url (384 bits). */
export const newOidcSecret = (): string => randomBytes(48).toString('base64url');
const POOL_SIZE = 4096;
let pool = Buffer.alloc(0);
let poolOffset = 0;

/**
 * CSPRNG bytes taken from a pooled buffer: one call into OpenSSL per 4 KB instead of one per request.
 * The bytes handed out are wiped from the pool.
 */
export function pooledRandomBytes(size: number): Buffer {
  if (size > POOL_SIZE) return randomBytes(size);
  if (poolOffset + size > pool.length) {
    pool = randomBytes(POOL_SIZE);
    poolOffset = 0;
  }
  const out = Buffer.from(pool.subarray(poolOffset, poolOffset + size));
  pool.fill(0, poolOffset, poolOffset + size);
  poolOffset += size;
  return out;
}

/**
 * Configuration access tokens: 48 bytes in base64url (64 characters). The first 6 are the issuing
 * time in milliseconds, so the stored keys of new tokens sort after the existing ones (each insert
 * lands at the end of the index rather than on a random page); the other 42 bytes are random, 336
 * bits that cannot be guessed.
 */
export function newConfigToken(): string {
  const bytes = pooledRandomBytes(48);
  bytes.writeUIntBE(Date.now(), 0, 6);
  return bytes.toString('base64url');
}

/**
 * Request ids: 16 lowercase alphanumerics, as in the Registration error envelope. Every request gets
 * one, so they come from the pool (ids, not secrets: a byte modulo 36 is biased by under 1%, which
 * costs nothing here).
 */
export function newRequestId(): string {
  const bytes = pooledRandomBytes(16);
  let out = '';
  for (let i = 0; i < 16; i++) out += LOWER_ALNUM[(bytes[i] ?? 0) % 36];
  return out;
}
export const newMasterKey = (): Buffer => randomBytes(32);
