// User passwords: argon2id hashes (spec README "Secrets"). Parameters follow OWASP's argon2id
// recommendation (19 MiB, 2 passes, 1 lane): slow enough to hurt guessing, cheap enough per sign-in.
import { hash, verify } from '@node-rs/argon2';

const ARGON2ID = 2; // Algorithm.Argon2id; the const enum cannot be imported under isolatedModules
const OPTIONS = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(plaintext: string): Promise<string> {
  return hash(plaintext, OPTIONS);
}

/** True when `plaintext` matches a stored hash; false for a mismatch or a hash of a kind not known. */
export async function verifyPassword(stored: unknown, plaintext: string): Promise<boolean> {
  if (typeof stored !== 'string' || !stored.startsWith('$argon2')) return false;
  try {
    return await verify(stored, plaintext);
  } catch {
    return false;
  }
}
