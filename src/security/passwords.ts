// User passwords: argon2id hashes (spec README "Secrets"). Parameters follow OWASP's argon2id
// recommendation (19 MiB, 2 passes, 1 lane): slow enough to hurt guessing, cheap enough per sign-in.
// Hashes imported from other systems (imported-passwords.ts) are verified here too.
import { createHash, pbkdf2 } from 'node:crypto';
import { promisify } from 'node:util';
import { hash, verify } from '@node-rs/argon2';
import { verify as verifyBcrypt } from '@node-rs/bcrypt';
import { constantTimeEqual } from './constant-time.js';
import { ARGON2, BCRYPT, MAX_ITERATIONS, MD5_STORED, PBKDF2_STORED, SALTED_STORED } from './imported-passwords.js';

const ARGON2ID = 2; // Algorithm.Argon2id; the const enum cannot be imported under isolatedModules
const OPTIONS = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;
/** The prefix of a hash made with today's parameters; anything else is upgraded after a successful check. */
const CURRENT_PREFIX = `$argon2id$v=19$m=${OPTIONS.memoryCost},t=${OPTIONS.timeCost},p=${OPTIONS.parallelism}$`;

const pbkdf2Async = promisify(pbkdf2);

export function hashPassword(plaintext: string): Promise<string> {
  return hash(plaintext, OPTIONS);
}

/** True when the stored hash is not argon2id with today's parameters (re-hash after a successful check). */
export function needsUpgrade(stored: string): boolean {
  return !(stored.startsWith(CURRENT_PREFIX) && ARGON2.test(stored));
}

/** Stored forms of imported hashes (imported-passwords.ts); digests are compared in constant time. */
async function verifyImported(stored: string, plaintext: string): Promise<boolean> {
  // bcrypt reads only the first 72 bytes of the password, as the system that made the hash did.
  if (BCRYPT.test(stored)) return verifyBcrypt(plaintext, stored);
  let m = PBKDF2_STORED.exec(stored);
  if (m) {
    const expected = Buffer.from(m[4] ?? '', 'base64');
    if (Number(m[2]) > MAX_ITERATIONS || expected.length < 16) return false; // importHash stores nothing else
    const derived = await pbkdf2Async(plaintext, Buffer.from(m[3] ?? '', 'base64'), Number(m[2]), expected.length, m[1] ?? 'sha256');
    return constantTimeEqual(derived, expected);
  }
  m = SALTED_STORED.exec(stored);
  if (m) {
    const salt = Buffer.from(m[3] ?? '', 'base64');
    const input = m[2] === 's' ? Buffer.concat([salt, Buffer.from(plaintext, 'utf8')]) : Buffer.concat([Buffer.from(plaintext, 'utf8'), salt]);
    return constantTimeEqual(createHash(m[1] ?? 'sha256').update(input).digest('hex'), m[4] ?? '');
  }
  m = MD5_STORED.exec(stored);
  if (m) return constantTimeEqual(createHash('md5').update(plaintext, 'utf8').digest('hex'), m[1] ?? '');
  return false;
}

/** True when `plaintext` matches a stored hash; false for a mismatch or a hash of a kind not known. Never throws. */
export async function verifyPassword(stored: unknown, plaintext: string): Promise<boolean> {
  if (typeof stored !== 'string') return false;
  try {
    if (stored.startsWith('$argon2')) return await verify(stored, plaintext);
    return await verifyImported(stored, plaintext);
  } catch {
    return false;
  }
}
