// Password hashes made by other systems, as a bulk import brings them (spec README "Secrets": kept,
// verified at sign-in, upgraded to argon2id after the first successful check).
//
// Accepted for a password attribute in entity.bulkCreate (and `idcloud import`):
//   "$2b$10$…"                        a bcrypt hash ($2a$, $2b$, $2y$; cost 04-31; 22 + 31 characters
//                                      of bcrypt base64) — stored as given
//   "$argon2id$v=19$m=…,t=…,p=…$…$…"   an argon2 PHC string (argon2id, argon2i, argon2d) — stored as given
//   {"algorithm": "bcrypt", "hash": "$2b$…"}
//   {"algorithm": "argon2", "hash": "$argon2id$…"}
//   {"algorithm": "pbkdf2-sha256" | "pbkdf2-sha512", "hash": "pbkdf2_sha256$<iterations>$<salt text>$<base64>"}
//                                      Django's form (pbkdf2_sha512$… for sha512)
//   {"algorithm": "pbkdf2-sha256" | "pbkdf2-sha512", "hash": "$pbkdf2-sha256$i=<iterations>$<base64 salt>$<base64>"}
//                                      PHC form; passlib's "$pbkdf2-sha256$<iterations>$…" with its "." for "+" too
//   {"algorithm": "pbkdf2-sha256" | "pbkdf2-sha512", "iterations": n, "salt": "<salt text>", "hash": "<base64>"}
//   {"algorithm": "sha256-salted" | "sha512-salted", "salt": "<salt text>", "hash": "<hex>",
//    "order": "salt+password" (the default) | "password+salt"}      digest of the UTF-8 concatenation
//   {"algorithm": "md5", "hash": "<32 hex digits>"}                  md5(password), unsalted; legacy systems only
// A salt given as text is used as its UTF-8 bytes; a PHC salt is base64 of the bytes. Iterations are 1 to
// 10,000,000; a pbkdf2 hash is 16 to 128 bytes; salts are 1 to 1024 bytes. Any other field is refused.
//
// Stored forms are self-describing strings; verifyPassword (passwords.ts) recognises each by prefix:
//   bcrypt, argon2                   as given
//   $pbkdf2-sha256$<iterations>$<base64 salt bytes>$<base64 hash>   (same for sha512; canonical padded base64)
//   $sha256-salted$<s|p>$<base64 salt bytes>$<lowercase hex>        (s: salt+password, p: password+salt)
//   $md5$<lowercase hex>
// Reasons for a refusal never repeat the hash or the salt.

export const IMPORTED_HASH_ALGORITHMS = ['bcrypt', 'argon2', 'pbkdf2-sha256', 'pbkdf2-sha512', 'sha256-salted', 'sha512-salted', 'md5'] as const;
export type ImportedHashAlgorithm = (typeof IMPORTED_HASH_ALGORITHMS)[number];

// needsUpgrade lives next to the argon2id parameters it compares with; it is part of this module's interface too.
// (A cycle with passwords.ts, harmless: neither module uses the other's bindings while it is being evaluated.)
export { needsUpgrade } from './passwords.js';

export const BCRYPT = /^\$2[aby]\$(0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}$/;
export const ARGON2 = /^\$argon2(id|i|d)\$v=19\$m=\d{1,10},t=\d{1,10},p=\d{1,3}\$[A-Za-z0-9+/]{11,}\$[A-Za-z0-9+/]{16,}$/;
const HEX = /^[0-9a-fA-F]+$/;
/** Base64 as systems write it: standard alphabet, padding optional; "." stands for "+" (passlib's variant). */
const LOOSE_BASE64 = /^[A-Za-z0-9+/.]+={0,2}$/;
export const MAX_ITERATIONS = 10_000_000;
const MIN_DIGEST_BYTES = 16;
const MAX_DIGEST_BYTES = 128;
const MAX_SALT_BYTES = 1024;

/** Stored form of a pbkdf2 import: `$pbkdf2-sha256$<iterations>$<base64 salt bytes>$<base64 hash>`. */
export const PBKDF2_STORED = /^\$pbkdf2-(sha256|sha512)\$([1-9]\d{0,7})\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;
/** Stored form of a salted SHA import: `$sha256-salted$<s|p>$<base64 salt bytes>$<hex>` (s: salt first). */
export const SALTED_STORED = /^\$(sha256|sha512)-salted\$([sp])\$([A-Za-z0-9+/]+={0,2})\$([0-9a-f]{64}|[0-9a-f]{128})$/;
export const MD5_STORED = /^\$md5\$([0-9a-f]{32})$/;

export type ImportResult = { stored: string } | { error: string };

const fail = (error: string): ImportResult => ({ error });

/** Decodes base64 strictly: the canonical encoding of the result must be the text given (modulo padding and "."). */
function decodeBase64(text: string): Buffer | null {
  if (!LOOSE_BASE64.test(text) || text.replace(/=+$/, '').length % 4 === 1) return null;
  const standard = text.replace(/\./g, '+').replace(/=+$/, '');
  const bytes = Buffer.from(standard, 'base64');
  return bytes.toString('base64').replace(/=+$/, '') === standard ? bytes : null;
}

function onlyFields(input: Record<string, unknown>, algorithm: ImportedHashAlgorithm, allowed: readonly string[]): string | null {
  const extra = Object.keys(input).filter((k) => !allowed.includes(k));
  if (extra.length === 0) return null;
  const names = extra.slice(0, 5).map((k) => JSON.stringify(k.length > 40 ? `${k.slice(0, 40)}…` : k));
  return `unexpected field${extra.length > 1 ? 's' : ''} ${names.join(', ')}${extra.length > 5 ? ', …' : ''} in an imported ${algorithm} hash (allowed: ${allowed.join(', ')})`;
}

function validIterations(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= MAX_ITERATIONS;
}

function pbkdf2(algorithm: 'pbkdf2-sha256' | 'pbkdf2-sha512', input: Record<string, unknown>): ImportResult {
  const digest = algorithm.slice('pbkdf2-'.length);
  const extra = onlyFields(input, algorithm, ['algorithm', 'hash', 'iterations', 'salt']);
  if (extra) return fail(extra);
  const iterationsReason = `iterations of an imported ${algorithm} hash must be a whole number from 1 to ${MAX_ITERATIONS}`;
  const saltReason = `the salt of an imported ${algorithm} hash must be 1 to ${MAX_SALT_BYTES} bytes`;
  const hashReason = `the hash of an imported ${algorithm} hash must be base64 of ${MIN_DIGEST_BYTES} to ${MAX_DIGEST_BYTES} bytes`;
  const { hash } = input;
  if (typeof hash !== 'string') return fail(`an imported ${algorithm} hash needs its hash as text`);
  let iterations: unknown;
  let salt: Buffer | null;
  let derived: string;
  if (input.iterations === undefined && input.salt === undefined) {
    const parts = hash.split('$');
    if (parts.length === 4 && parts[0] === `pbkdf2_${digest}`) {
      // Django: pbkdf2_sha256$<iterations>$<salt text>$<base64 hash>
      iterations = /^[1-9]\d{0,7}$/.test(parts[1] ?? '') ? Number(parts[1]) : NaN;
      salt = Buffer.from(parts[2] ?? '', 'utf8');
      derived = parts[3] ?? '';
    } else if (parts.length === 5 && parts[0] === '' && parts[1] === algorithm) {
      // PHC: $pbkdf2-sha256$i=<iterations>$<base64 salt>$<base64 hash>; passlib leaves out "i=".
      const m = /^(?:i=)?([1-9]\d{0,7})$/.exec(parts[2] ?? '');
      iterations = m ? Number(m[1]) : NaN;
      salt = decodeBase64(parts[3] ?? '');
      if (!salt) return fail(`the salt of an imported ${algorithm} hash in PHC form must be base64`);
      derived = parts[4] ?? '';
    } else {
      return fail(`an imported ${algorithm} hash must be pbkdf2_${digest}$<iterations>$<salt>$<base64 hash> (Django), $${algorithm}$i=<iterations>$<base64 salt>$<base64 hash> (PHC), or give iterations, salt and hash`);
    }
  } else {
    iterations = input.iterations;
    if (typeof input.salt !== 'string') return fail(`an imported ${algorithm} hash given as fields needs iterations, salt (text) and hash`);
    salt = Buffer.from(input.salt, 'utf8');
    derived = hash;
  }
  if (!validIterations(iterations)) return fail(iterationsReason);
  if (salt.length < 1 || salt.length > MAX_SALT_BYTES) return fail(saltReason);
  const bytes = decodeBase64(derived);
  if (!bytes || bytes.length < MIN_DIGEST_BYTES || bytes.length > MAX_DIGEST_BYTES) return fail(hashReason);
  return { stored: `$${algorithm}$${iterations}$${salt.toString('base64')}$${bytes.toString('base64')}` };
}

function salted(algorithm: 'sha256-salted' | 'sha512-salted', input: Record<string, unknown>): ImportResult {
  const extra = onlyFields(input, algorithm, ['algorithm', 'hash', 'salt', 'order']);
  if (extra) return fail(extra);
  const { hash, salt, order = 'salt+password' } = input;
  const hexLength = algorithm === 'sha256-salted' ? 64 : 128;
  if (typeof salt !== 'string' || salt === '') return fail(`an imported ${algorithm} hash needs its salt (text)`);
  const saltBytes = Buffer.from(salt, 'utf8');
  if (saltBytes.length > MAX_SALT_BYTES) return fail(`the salt of an imported ${algorithm} hash must be 1 to ${MAX_SALT_BYTES} bytes`);
  if (order !== 'salt+password' && order !== 'password+salt') return fail(`order of an imported ${algorithm} hash must be "salt+password" or "password+salt"`);
  if (typeof hash !== 'string' || hash.length !== hexLength || !HEX.test(hash)) return fail(`the hash of an imported ${algorithm} hash must be ${hexLength} hexadecimal digits`);
  return { stored: `$${algorithm}$${order === 'salt+password' ? 's' : 'p'}$${saltBytes.toString('base64')}$${hash.toLowerCase()}` };
}

/** Checks an imported hash and returns its stored form, or why it cannot be taken. Never throws. */
export function importHash(input: unknown): ImportResult {
  if (typeof input === 'string') {
    if (BCRYPT.test(input) || ARGON2.test(input)) return { stored: input };
    return fail('a password hash given as text must be a bcrypt ($2b$…) or argon2 ($argon2id$…) hash; other kinds are given as {"algorithm", "hash", …}');
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return fail('an imported password hash must be an object {"algorithm", "hash", …} or a bcrypt/argon2 hash string');
  const record = input as Record<string, unknown>;
  const algorithm = Object.hasOwn(record, 'algorithm') ? record.algorithm : undefined;
  if (typeof algorithm !== 'string' || !(IMPORTED_HASH_ALGORITHMS as readonly string[]).includes(algorithm)) {
    return fail(`algorithm of an imported password hash must be one of ${IMPORTED_HASH_ALGORITHMS.join(', ')}`);
  }
  // Only the object's own fields count (Object.keys below sees no others).
  const own: Record<string, unknown> = Object.fromEntries(Object.entries(record));
  const alg = algorithm as ImportedHashAlgorithm;
  switch (alg) {
    case 'bcrypt':
    case 'argon2': {
      const extra = onlyFields(own, alg, ['algorithm', 'hash']);
      if (extra) return fail(extra);
      const { hash } = own;
      if (typeof hash === 'string' && (alg === 'bcrypt' ? BCRYPT : ARGON2).test(hash)) return { stored: hash };
      return fail(alg === 'bcrypt' ? 'the hash of an imported bcrypt hash must be $2a$, $2b$ or $2y$, a cost 04-31 and 53 characters of bcrypt base64' : 'the hash of an imported argon2 hash must be a PHC string $argon2id$v=19$m=…,t=…,p=…$salt$hash (argon2id, argon2i or argon2d)');
    }
    case 'pbkdf2-sha256':
    case 'pbkdf2-sha512':
      return pbkdf2(alg, own);
    case 'sha256-salted':
    case 'sha512-salted':
      return salted(alg, own);
    case 'md5': {
      const extra = onlyFields(own, alg, ['algorithm', 'hash']);
      if (extra) return fail(extra);
      const { hash } = own;
      if (typeof hash === 'string' && hash.length === 32 && HEX.test(hash)) return { stored: `$md5$${hash.toLowerCase()}` };
      return fail('the hash of an imported md5 hash must be 32 hexadecimal digits');
    }
  }
}
