import { hash, timingSafeEqual } from 'node:crypto';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The fixed-size digest a secret is compared by; computed once for a stored secret. */
export function secretDigest(secret: string | Buffer): Buffer {
  // One-shot: no Hash object per call (every authenticated request digests the secret it presents).
  return hash('sha256', secret, 'buffer');
}

/** Whether `presented` is one of the secrets whose digests are given; constant time per digest. */
export function matchesAnyDigest(presented: string, digests: readonly Buffer[]): boolean {
  if (LONE_SURROGATE.test(presented)) return false;
  const d = secretDigest(presented);
  let ok = false;
  for (const stored of digests) ok = timingSafeEqual(d, stored) || ok;
  return ok;
}

/**
 * Compares two secrets in time that depends on neither content nor length: both sides are hashed
 * to a fixed size first, so a length mismatch leaks nothing either.
 */
export function constantTimeEqual(a: string | Buffer, b: string | Buffer): boolean {
  // UTF-8 encoding maps every lone surrogate to U+FFFD, which would make distinct strings equal;
  // an ill-formed string is never a valid secret.
  if ((typeof a === 'string' && LONE_SURROGATE.test(a)) || (typeof b === 'string' && LONE_SURROGATE.test(b))) return false;
  return timingSafeEqual(secretDigest(a), secretDigest(b));
}

/**
 * Compares a value whose length is public — a MAC in a fixed encoding — with what a caller presented:
 * constant time in the content, and false at once on a length mismatch. Cheaper than
 * `constantTimeEqual`, which hashes both sides so that not even a secret's length leaks.
 */
export function fixedLengthEqual(expected: string, presented: string): boolean {
  if (LONE_SURROGATE.test(presented) || LONE_SURROGATE.test(expected)) return false;
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(presented, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
