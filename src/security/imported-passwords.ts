// Password hashes made by other systems, as a bulk import brings them (spec README "Secrets": kept,
// verified at sign-in, upgraded to argon2id after the first successful check).
//
// Accepted for a password attribute in entity.bulkCreate (and `idcloud import`):
//   "$2b$10$…"                       a bcrypt hash ($2a$, $2b$, $2y$; cost 04-31) — stored as given
//   "$argon2id$v=19$m=…,t=…,p=…$…$…"  an argon2 PHC string (argon2id, argon2i, argon2d) — stored as given
//   {"algorithm": "bcrypt" | "argon2", "hash": "<one of the above>"}
//   {"algorithm": "pbkdf2-sha256" | "pbkdf2-sha512", "hash": "pbkdf2_sha256$<iterations>$<salt>$<base64>"}  (Django's form)
//   {"algorithm": "pbkdf2-sha256" | "pbkdf2-sha512", "iterations": n, "salt": "<text>", "hash": "<base64>"}
//   {"algorithm": "sha256-salted" | "sha512-salted", "salt": "<text>", "hash": "<hex>", "order": "salt+password" | "password+salt"}
//   {"algorithm": "md5", "hash": "<32 hex digits>"}        (unsalted; legacy systems only)
// Stored forms are self-describing strings; verifyPassword (passwords.ts) recognises each by prefix.
// Reasons never repeat the hash.

export const IMPORTED_HASH_ALGORITHMS = ['bcrypt', 'argon2', 'pbkdf2-sha256', 'pbkdf2-sha512', 'sha256-salted', 'sha512-salted', 'md5'] as const;
export type ImportedHashAlgorithm = (typeof IMPORTED_HASH_ALGORITHMS)[number];

export const BCRYPT = /^\$2[aby]\$(0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}$/;
export const ARGON2 = /^\$argon2(id|i|d)\$v=19\$m=\d{1,10},t=\d{1,10},p=\d{1,3}\$[A-Za-z0-9+/]{11,}\$[A-Za-z0-9+/]{16,}$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const HEX = /^[0-9a-fA-F]+$/;
const MAX_ITERATIONS = 10_000_000;

/** Stored form of a pbkdf2 import: `$pbkdf2-sha256$<iterations>$<base64 salt bytes>$<base64 hash>`. */
export const PBKDF2_STORED = /^\$pbkdf2-(sha256|sha512)\$(\d{1,8})\$([A-Za-z0-9+/]*={0,2})\$([A-Za-z0-9+/]+={0,2})$/;
/** Stored form of a salted SHA import: `$sha256-salted$<s|p>$<base64 salt bytes>$<hex>` (s: salt first). */
export const SALTED_STORED = /^\$(sha256|sha512)-salted\$([sp])\$([A-Za-z0-9+/]*={0,2})\$([0-9a-f]+)$/;
export const MD5_STORED = /^\$md5\$([0-9a-f]{32})$/;

export type ImportResult = { stored: string } | { error: string };

const fail = (error: string): ImportResult => ({ error });
const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

function onlyFields(input: Record<string, unknown>, allowed: readonly string[]): string | null {
  const extra = Object.keys(input).filter((k) => !allowed.includes(k));
  return extra.length > 0 ? `unexpected field${extra.length > 1 ? 's' : ''} ${extra.map((k) => JSON.stringify(k)).join(', ')} in an imported ${String(input.algorithm)} hash` : null;
}

function pbkdf2(algorithm: 'pbkdf2-sha256' | 'pbkdf2-sha512', input: Record<string, unknown>): ImportResult {
  const digest = algorithm.slice('pbkdf2-'.length);
  let iterations: unknown = input.iterations;
  let salt: unknown = input.salt;
  let hash: unknown = input.hash;
  if (typeof hash === 'string' && iterations === undefined && salt === undefined) {
    // Django: pbkdf2_sha256$<iterations>$<salt>$<base64 hash>
    const parts = hash.split('$');
    if (parts.length !== 4 || parts[0] !== `pbkdf2_${digest}`) return fail(`an imported ${algorithm} hash must be pbkdf2_${digest}$<iterations>$<salt>$<base64 hash>, or give iterations, salt and hash`);
    iterations = /^\d{1,8}$/.test(parts[1] ?? '') ? Number(parts[1]) : NaN;
    salt = parts[2];
    hash = parts[3];
  }
  const extra = onlyFields(input, ['algorithm', 'hash', 'iterations', 'salt']);
  if (extra) return fail(extra);
  if (typeof iterations !== 'number' || !Number.isInteger(iterations) || iterations < 1 || iterations > MAX_ITERATIONS) return fail(`iterations of an imported ${algorithm} hash must be a whole number from 1 to ${MAX_ITERATIONS}`);
  if (typeof salt !== 'string' || salt === '' || salt.includes('$')) return fail(`an imported ${algorithm} hash needs its salt (text without $)`);
  if (typeof hash !== 'string' || !BASE64.test(hash) || Buffer.from(hash, 'base64').length < 16) return fail(`the hash of an imported ${algorithm} hash must be base64 of at least 16 bytes`);
  return { stored: `$${algorithm}$${iterations}$${b64(salt)}$${hash}` };
}

function salted(algorithm: 'sha256-salted' | 'sha512-salted', input: Record<string, unknown>): ImportResult {
  const extra = onlyFields(input, ['algorithm', 'hash', 'salt', 'order']);
  if (extra) return fail(extra);
  const { hash, salt, order = 'salt+password' } = input;
  const hexLength = algorithm === 'sha256-salted' ? 64 : 128;
  if (typeof salt !== 'string' || salt === '') return fail(`an imported ${algorithm} hash needs its salt`);
  if (order !== 'salt+password' && order !== 'password+salt') return fail(`order of an imported ${algorithm} hash must be "salt+password" or "password+salt"`);
  if (typeof hash !== 'string' || hash.length !== hexLength || !HEX.test(hash)) return fail(`the hash of an imported ${algorithm} hash must be ${hexLength} hexadecimal digits`);
  return { stored: `$${algorithm}$${order === 'salt+password' ? 's' : 'p'}$${b64(salt)}$${hash.toLowerCase()}` };
}

/** Checks an imported hash and returns its stored form, or why it cannot be taken. Never throws. */
export function importHash(input: unknown): ImportResult {
  if (typeof input === 'string') {
    if (BCRYPT.test(input) || ARGON2.test(input)) return { stored: input };
    return fail('a password given as text is a plaintext password, or a bcrypt ($2b$…) or argon2 ($argon2id$…) hash');
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return fail('an imported password hash must be an object {"algorithm", "hash", …} or a bcrypt/argon2 hash string');
  const record = input as Record<string, unknown>;
  const algorithm = record.algorithm;
  if (typeof algorithm !== 'string' || !(IMPORTED_HASH_ALGORITHMS as readonly string[]).includes(algorithm)) {
    return fail(`algorithm of an imported password hash must be one of ${IMPORTED_HASH_ALGORITHMS.join(', ')}`);
  }
  const alg = algorithm as ImportedHashAlgorithm;
  switch (alg) {
    case 'bcrypt':
    case 'argon2': {
      const extra = onlyFields(record, ['algorithm', 'hash']);
      if (extra) return fail(extra);
      const ok = typeof record.hash === 'string' && (alg === 'bcrypt' ? BCRYPT : ARGON2).test(record.hash);
      return ok ? { stored: record.hash as string } : fail(alg === 'bcrypt' ? 'the hash of an imported bcrypt hash must be $2a$, $2b$ or $2y$, a cost 04-31 and 53 characters of bcrypt base64' : 'the hash of an imported argon2 hash must be a PHC string $argon2id$v=19$m=…,t=…,p=…$salt$hash');
    }
    case 'pbkdf2-sha256':
    case 'pbkdf2-sha512':
      return pbkdf2(alg, record);
    case 'sha256-salted':
    case 'sha512-salted':
      return salted(alg, record);
    case 'md5': {
      const extra = onlyFields(record, ['algorithm', 'hash']);
      if (extra) return fail(extra);
      const ok = typeof record.hash === 'string' && record.hash.length === 32 && HEX.test(record.hash);
      return ok ? { stored: `$md5$${(record.hash as string).toLowerCase()}` } : fail('the hash of an imported md5 hash must be 32 hexadecimal digits');
    }
  }
}
