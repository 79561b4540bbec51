import { createHash, timingSafeEqual } from 'node:crypto';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Compares two secrets in time that depends on neither content nor length: both sides are hashed
 * to a fixed size first, so a length mismatch leaks nothing either.
 */
export function constantTimeEqual(a: string | Buffer, b: string | Buffer): boolean {
  // UTF-8 encoding maps every lone surrogate to U+FFFD, which would make distinct strings equal;
  // an ill-formed string is never a valid secret.
  if ((typeof a === 'string' && LONE_SURROGATE.test(a)) || (typeof b === 'string' && LONE_SURROGATE.test(b))) return false;
  const da = createHash('sha256').update(a).digest();
  const db = createHash('sha256').update(b).digest();
  return timingSafeEqual(da, db);
}
