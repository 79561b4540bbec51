import { hash as argon2Hash } from '@node-rs/argon2';
import { hashSync } from '@node-rs/bcrypt';
import fc from 'fast-check';
import { createHash, pbkdf2Sync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { IMPORTED_HASH_ALGORITHMS, importHash, needsUpgrade as needsUpgradeReexported } from '../../src/security/imported-passwords.js';
import { hashPassword, needsUpgrade, verifyPassword } from '../../src/security/passwords.js';

function stored(input: unknown): string {
  const r = importHash(input);
  if (!('stored' in r)) throw new Error(`refused: ${r.error}`);
  return r.stored;
}

function reason(input: unknown): string {
  const r = importHash(input);
  if (!('error' in r)) throw new Error(`accepted: ${JSON.stringify(input)}`);
  return r.error;
}

/** The stored form verifies the right password, not a wrong one, and is due for an upgrade. */
async function expectImported(form: string, password: string, wrong: string): Promise<void> {
  expect(await verifyPassword(form, password)).toBe(true);
  expect(await verifyPassword(form, wrong)).toBe(false);
  expect(needsUpgrade(form)).toBe(true);
}

const b64 = (b: Buffer): string => b.toString('base64');
/** passlib's "adapted base64": "." for "+", no padding. */
const ab64 = (b: Buffer): string => b.toString('base64').replace(/\+/g, '.').replace(/=+$/, '');

// Published vectors, not computed by the code under test:
// Openwall crypt_blowfish test vectors (also in OpenBSD's and passlib's suites).
const OPENWALL_BCRYPT: readonly (readonly [string, string])[] = [
  ['U*U', '$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW'],
  ['U*U*', '$2a$05$CCCCCCCCCCCCCCCCCCCCC.VGOzA784oUp/Z0DY336zx7pLYAy0lwK'],
  ['U*U*U', '$2a$05$XXXXXXXXXXXXXXXXXXXXXOAcXxm9kjPGEMsLznoKqmqw7tc8WCx4a'],
  ['', '$2a$05$CCCCCCCCCCCCCCCCCCCCC.7uG0VCzI2bS7j6ymqJi9CdcdxiRTWNy'],
];
// The argon2 reference implementation's README example (argon2i, m=65536, t=2, p=4).
const ARGON2I_README = '$argon2i$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG';
// RFC 7914 §11: PBKDF2-HMAC-SHA256(P="passwd", S="salt", c=1, dkLen=64).
const RFC7914_PBKDF2 = Buffer.from('55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783', 'hex');
// FIPS 180-2 "abc" digests, and md5("password").
const SHA256_ABC = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
const SHA512_ABC = 'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f';
const MD5_PASSWORD = '5f4dcc3b5aa765d61d8327deb882cf99';

describe('importHash and verifyPassword: bcrypt', () => {
  const bcrypt = hashSync('correct horse', 4);

  it('take published vectors and fresh hashes, bare or in an object, as given', async () => {
    for (const [password, hash] of OPENWALL_BCRYPT) {
      expect(stored(hash)).toBe(hash);
      await expectImported(stored({ algorithm: 'bcrypt', hash }), password, `${password}x`);
    }
    expect(stored(bcrypt)).toBe(bcrypt);
    expect(stored({ algorithm: 'bcrypt', hash: bcrypt })).toBe(bcrypt);
    await expectImported(bcrypt, 'correct horse', 'wrong horse');
  });

  it('verify $2a$, $2b$ and $2y$ (PHP\'s name for $2b$) alike', async () => {
    for (const prefix of ['$2a$', '$2b$', '$2y$']) await expectImported(stored(bcrypt.replace(/^\$2[aby]\$/, prefix)), 'correct horse', 'correct hors');
  });

  it('compare only the first 72 bytes of the password, as bcrypt does', async () => {
    const long = `${'é'.repeat(36)}tail`; // 72 bytes of UTF-8, then more
    const hash = stored(hashSync(long, 4));
    expect(await verifyPassword(hash, `${'é'.repeat(36)}other tail`)).toBe(true);
    expect(await verifyPassword(hash, `${'é'.repeat(35)}e`)).toBe(false);
  });
});

describe('importHash and verifyPassword: argon2', () => {
  it('take argon2i, argon2d and argon2id with other parameters as given, and mark them for upgrade', async () => {
    expect(stored(ARGON2I_README)).toBe(ARGON2I_README);
    await expectImported(stored({ algorithm: 'argon2', hash: ARGON2I_README }), 'password', 'Password');
    for (const algorithm of [0, 1, 2]) {
      // Argon2d, Argon2i, Argon2id, with parameters that are not today's.
      const h = await argon2Hash('battery', { algorithm, memoryCost: 1024, timeCost: 3, parallelism: 1 });
      await expectImported(stored(h), 'battery', 'batterie');
    }
    const sameMemoryMoreTime = await argon2Hash('battery', { algorithm: 2, memoryCost: 19_456, timeCost: 3, parallelism: 1 });
    expect(needsUpgrade(sameMemoryMoreTime)).toBe(true);
  });

  it('do not mark today\'s argon2id for upgrade', async () => {
    const current = await hashPassword('staple');
    expect(stored(current)).toBe(current);
    expect(await verifyPassword(current, 'staple')).toBe(true);
    expect(await verifyPassword(current, 'stapler')).toBe(false);
    expect(needsUpgrade(current)).toBe(false);
    expect(needsUpgradeReexported(current)).toBe(false);
    expect(needsUpgrade(`${current.slice(0, 40)}`)).toBe(true); // today's prefix, but no hash
  });
});

describe('importHash and verifyPassword: pbkdf2', () => {
  it('take the RFC 7914 vector in Django form, PHC form, passlib form and as fields, all stored alike', async () => {
    const django = stored({ algorithm: 'pbkdf2-sha256', hash: `pbkdf2_sha256$1$salt$${b64(RFC7914_PBKDF2)}` });
    const phc = stored({ algorithm: 'pbkdf2-sha256', hash: `$pbkdf2-sha256$i=1$${b64(Buffer.from('salt')).replace(/=+$/, '')}$${b64(RFC7914_PBKDF2).replace(/=+$/, '')}` });
    const passlib = stored({ algorithm: 'pbkdf2-sha256', hash: `$pbkdf2-sha256$1$${ab64(Buffer.from('salt'))}$${ab64(RFC7914_PBKDF2)}` });
    const fields = stored({ algorithm: 'pbkdf2-sha256', iterations: 1, salt: 'salt', hash: b64(RFC7914_PBKDF2) });
    expect(django).toBe(`$pbkdf2-sha256$1$c2FsdA==$${b64(RFC7914_PBKDF2)}`);
    expect([phc, passlib, fields]).toEqual([django, django, django]);
    await expectImported(django, 'passwd', 'password');
  });

  it('take pbkdf2-sha256 and pbkdf2-sha512 computed by node:crypto, with byte salts in PHC form', async () => {
    const d256 = pbkdf2Sync('staple', 'salty', 1200, 32, 'sha256');
    await expectImported(stored({ algorithm: 'pbkdf2-sha256', hash: `pbkdf2_sha256$1200$salty$${b64(d256)}` }), 'staple', 'Staple');
    const d512 = pbkdf2Sync('staple', 'pepper', 10, 64, 'sha512');
    await expectImported(stored({ algorithm: 'pbkdf2-sha512', hash: `pbkdf2_sha512$10$pepper$${b64(d512)}` }), 'staple', 'stapler');
    await expectImported(stored({ algorithm: 'pbkdf2-sha512', iterations: 10, salt: 'pepper', hash: b64(d512) }), 'staple', 'stapler');
    const saltBytes = Buffer.from([0, 255, 254, 1, 128, 63, 62, 61]); // not UTF-8: only the PHC form can carry it
    const phc = pbkdf2Sync('staple', saltBytes, 7, 64, 'sha512');
    await expectImported(stored({ algorithm: 'pbkdf2-sha512', hash: `$pbkdf2-sha512$i=7$${b64(saltBytes)}$${b64(phc)}` }), 'staple', 'stapl');
  });
});

describe('importHash and verifyPassword: salted SHA-2 and md5', () => {
  it('take published digests, salt first by default or password first, hex in either case', async () => {
    const first = stored({ algorithm: 'sha256-salted', salt: 'a', hash: SHA256_ABC.toUpperCase() });
    expect(first).toBe(`$sha256-salted$s$YQ==$${SHA256_ABC}`);
    await expectImported(first, 'bc', 'ab');
    await expectImported(stored({ algorithm: 'sha256-salted', salt: 'a', order: 'salt+password', hash: SHA256_ABC }), 'bc', 'b');
    await expectImported(stored({ algorithm: 'sha512-salted', salt: 'c', order: 'password+salt', hash: SHA512_ABC }), 'ab', 'bc');
    await expectImported(stored({ algorithm: 'sha512-salted', salt: 's2', order: 'password+salt', hash: createHash('sha512').update('pws2').digest('hex') }), 'pw', 'pw2');
  });

  it('take unsalted md5', async () => {
    const md5 = stored({ algorithm: 'md5', hash: MD5_PASSWORD.toUpperCase() });
    expect(md5).toBe(`$md5$${MD5_PASSWORD}`);
    await expectImported(md5, 'password', 'Password');
  });
});

describe('importHash refusals', () => {
  const bcrypt = hashSync('correct horse', 4);
  const SECRET = 'Zq7SecretHashText';
  const django = (iterations: string, salt: string, hash = b64(pbkdf2Sync('x', salt || 's', 1, 32, 'sha256'))): string => `pbkdf2_sha256$${iterations}$${salt}$${hash}`;

  const cases: readonly (readonly [string, unknown])[] = [
    ['null', null],
    ['a number', 42],
    ['a boolean', true],
    ['an array', [bcrypt]],
    ['a bare string that is no hash', `plain ${SECRET}`],
    ['a bare pbkdf2 string', django('1000', SECRET)],
    ['a bare md5 string', MD5_PASSWORD],
    ['no algorithm', { hash: bcrypt }],
    ['an unknown algorithm', { algorithm: 'sha1', hash: SECRET }],
    ['an algorithm in other case', { algorithm: 'BCRYPT', hash: bcrypt }],
    ['bcrypt with cost 03', { algorithm: 'bcrypt', hash: bcrypt.replace('$04$', '$03$') }],
    ['bcrypt with cost 32', bcrypt.replace('$04$', '$32$')],
    ['bcrypt with a one-digit cost', bcrypt.replace('$04$', '$4$')],
    ['bcrypt too long', `${bcrypt}x`],
    ['bcrypt too short', bcrypt.slice(0, -1)],
    ['bcrypt with a character outside its alphabet', `${bcrypt.slice(0, -1)}+`],
    ['bcrypt $2x$', bcrypt.replace(/^\$2[aby]\$/, '$2x$')],
    ['bcrypt with no hash', { algorithm: 'bcrypt' }],
    ['bcrypt with a number', { algorithm: 'bcrypt', hash: 12 }],
    ['bcrypt with an extra field', { algorithm: 'bcrypt', hash: bcrypt, cost: 4 }],
    ['argon2 with version 16', { algorithm: 'argon2', hash: ARGON2I_README.replace('v=19', 'v=16') }],
    ['argon2 as bcrypt', { algorithm: 'bcrypt', hash: ARGON2I_README }],
    ['bcrypt as argon2', { algorithm: 'argon2', hash: bcrypt }],
    ['argon2 with an extra field', { algorithm: 'argon2', hash: ARGON2I_README, salt: SECRET }],
    ['md5 not hex', { algorithm: 'md5', hash: `${SECRET}${'z'.repeat(32 - SECRET.length)}` }],
    ['md5 31 digits', { algorithm: 'md5', hash: MD5_PASSWORD.slice(1) }],
    ['md5 with a salt', { algorithm: 'md5', hash: MD5_PASSWORD, salt: SECRET }],
    ['pbkdf2 with 0 iterations', { algorithm: 'pbkdf2-sha256', hash: django('0', SECRET) }],
    ['pbkdf2 with too many iterations', { algorithm: 'pbkdf2-sha256', hash: django('10000001', SECRET) }],
    ['pbkdf2 iterations as fields, 0', { algorithm: 'pbkdf2-sha256', iterations: 0, salt: SECRET, hash: b64(Buffer.alloc(32)) }],
    ['pbkdf2 iterations as text', { algorithm: 'pbkdf2-sha256', iterations: '1000', salt: SECRET, hash: b64(Buffer.alloc(32)) }],
    ['pbkdf2 iterations fractional', { algorithm: 'pbkdf2-sha256', iterations: 1.5, salt: SECRET, hash: b64(Buffer.alloc(32)) }],
    ['pbkdf2 with no salt', { algorithm: 'pbkdf2-sha256', iterations: 5, hash: b64(Buffer.alloc(32)) }],
    ['pbkdf2 with an empty salt', { algorithm: 'pbkdf2-sha256', hash: django('1000', '') }],
    ['pbkdf2 with a salt too long', { algorithm: 'pbkdf2-sha256', iterations: 5, salt: SECRET.repeat(100), hash: b64(Buffer.alloc(32)) }],
    ['pbkdf2 with no iterations', { algorithm: 'pbkdf2-sha256', salt: SECRET, hash: b64(Buffer.alloc(32)) }],
    ['pbkdf2 hash too short', { algorithm: 'pbkdf2-sha256', iterations: 5, salt: 's', hash: 'AAAA' }],
    ['pbkdf2 hash too long', { algorithm: 'pbkdf2-sha256', iterations: 5, salt: 's', hash: b64(Buffer.alloc(129)) }],
    ['pbkdf2 hash not base64', { algorithm: 'pbkdf2-sha256', iterations: 5, salt: 's', hash: `${SECRET}!${SECRET}` }],
    ['pbkdf2 hash with non-canonical base64', { algorithm: 'pbkdf2-sha256', iterations: 5, salt: 's', hash: `${b64(Buffer.alloc(16)).slice(0, -3)}B==` }],
    ['pbkdf2 Django form of the other digest', { algorithm: 'pbkdf2-sha512', hash: django('1000', SECRET) }],
    ['pbkdf2 Django form with a missing part', { algorithm: 'pbkdf2-sha256', hash: `pbkdf2_sha256$1000$${SECRET}` }],
    ['pbkdf2 PHC form of the other digest', { algorithm: 'pbkdf2-sha256', hash: `$pbkdf2-sha512$i=1$c2FsdA$${b64(Buffer.alloc(64))}` }],
    ['pbkdf2 PHC form with a bad parameter', { algorithm: 'pbkdf2-sha256', hash: `$pbkdf2-sha256$n=1$c2FsdA$${b64(Buffer.alloc(32))}` }],
    ['pbkdf2 PHC form with a salt not base64', { algorithm: 'pbkdf2-sha256', hash: `$pbkdf2-sha256$i=1$${SECRET}!$${b64(Buffer.alloc(32))}` }],
    ['pbkdf2 hash in Django form and fields at once', { algorithm: 'pbkdf2-sha256', iterations: 5, hash: django('1000', SECRET) }],
    ['pbkdf2 with an extra field', { algorithm: 'pbkdf2-sha256', hash: django('1000', 'salt'), order: 'salt+password' }],
    ['salted sha256 too short', { algorithm: 'sha256-salted', salt: 's', hash: 'ab' }],
    ['salted sha256 with sha512 length', { algorithm: 'sha256-salted', salt: 's', hash: SHA512_ABC }],
    ['salted sha512 with sha256 length', { algorithm: 'sha512-salted', salt: 's', hash: SHA256_ABC }],
    ['salted sha256 not hex', { algorithm: 'sha256-salted', salt: 's', hash: `${SECRET}${'g'.repeat(64 - SECRET.length)}` }],
    ['salted sha256 with no salt', { algorithm: 'sha256-salted', hash: SHA256_ABC }],
    ['salted sha256 with an empty salt', { algorithm: 'sha256-salted', salt: '', hash: SHA256_ABC }],
    ['salted sha256 with a numeric salt', { algorithm: 'sha256-salted', salt: 12, hash: SHA256_ABC }],
    ['salted sha256 in an unknown order', { algorithm: 'sha256-salted', salt: 's', hash: SHA256_ABC, order: 'sideways' }],
    ['salted sha256 with an extra field', { algorithm: 'sha256-salted', salt: 's', hash: SHA256_ABC, iterations: 1 }],
  ];

  it.each(cases)('refuse %s, with a reason that does not repeat the hash', (_label, input) => {
    const why = reason(input);
    expect(why.length).toBeGreaterThan(20);
    expect(why).not.toContain(SECRET.slice(0, 8));
    expect(why).not.toContain(bcrypt.slice(7, 20));
    expect(why).not.toContain(ARGON2I_README.slice(-12));
    expect(why).not.toContain(MD5_PASSWORD.slice(3, 15));
    expect(why).not.toContain(SHA256_ABC.slice(3, 15));
    expect(why).not.toContain(SHA512_ABC.slice(3, 15));
  });

  it('do not take fields inherited rather than given', () => {
    expect(reason(Object.create({ algorithm: 'md5', hash: MD5_PASSWORD }))).toMatch(/algorithm/);
  });
});

describe('properties', () => {
  it('importHash never throws, and a refusal never repeats the hash', () => {
    const check = (v: unknown): void => {
      const r = importHash(v);
      expect('stored' in r ? typeof r.stored : typeof r.error).toBe('string');
    };
    fc.assert(fc.property(fc.jsonValue(), check), { numRuns: 2000 });
    fc.assert(fc.property(fc.anything({ withNullPrototype: true, withBoxedValues: true, withMap: true, withSet: true }), check), { numRuns: 1000 });
    const fields = fc.record(
      {
        algorithm: fc.constantFrom(...IMPORTED_HASH_ALGORITHMS),
        hash: fc.oneof(fc.string().map((s) => `Zq7${s}`), fc.constantFrom('pbkdf2_sha256$1$s$', '$pbkdf2-sha256$i=1$', 'pbkdf2_sha512$0$$').chain((p) => fc.string().map((s) => `${p}Zq7${s}`))),
        salt: fc.oneof(fc.string(), fc.anything()),
        iterations: fc.oneof(fc.integer(), fc.double(), fc.string()),
        order: fc.oneof(fc.constantFrom('salt+password', 'password+salt'), fc.string()),
      },
      { requiredKeys: ['algorithm', 'hash'] },
    );
    fc.assert(
      fc.property(fields, (v) => {
        const r = importHash(v);
        if ('error' in r) expect(r.error).not.toContain('Zq7');
      }),
      { numRuns: 2000 },
    );
  });

  it('verifyPassword never throws and answers a boolean, whatever is stored', async () => {
    const bcrypt = hashSync('x', 4);
    const prefixes = ['$2b$04$', '$argon2id$v=19$m=8,t=1,p=1$', '$pbkdf2-sha256$1$', '$pbkdf2-sha512$99999999$c2FsdA==$', '$sha256-salted$s$', '$sha512-salted$p$YQ==$', '$md5$'];
    const storedValues = fc.oneof(
      fc.string(),
      fc.constantFrom(...prefixes).chain((p) => fc.string().map((s) => p + s)),
      fc.constantFrom(bcrypt, ARGON2I_README, `$pbkdf2-sha256$1$c2FsdA==$A`, `$md5$${MD5_PASSWORD}`),
      fc.anything(),
    );
    await fc.assert(
      fc.asyncProperty(storedValues, fc.string(), async (s, pw) => {
        expect(typeof (await verifyPassword(s, pw))).toBe('boolean');
      }),
      { numRuns: 300 },
    );
  });

  it('a random password verifies against its own pbkdf2 and salted SHA imports, and not another', async () => {
    const text = fc.string({ minLength: 1, maxLength: 20, unit: 'binary' }).filter((s) => !/[\uD800-\uDFFF]/.test(s));
    const salt = fc.string({ minLength: 1, maxLength: 12 }).filter((s) => !s.includes('$'));
    await fc.assert(
      fc.asyncProperty(text, text, salt, fc.integer({ min: 1, max: 3 }), async (pw, other, s, iterations) => {
        const forms = [
          stored({ algorithm: 'pbkdf2-sha256', iterations, salt: s, hash: b64(pbkdf2Sync(pw, s, iterations, 32, 'sha256')) }),
          stored({ algorithm: 'pbkdf2-sha512', hash: `pbkdf2_sha512$${iterations}$${s}$${b64(pbkdf2Sync(pw, s, iterations, 64, 'sha512'))}` }),
          stored({ algorithm: 'pbkdf2-sha256', hash: `$pbkdf2-sha256$i=${iterations}$${b64(Buffer.from(s))}$${b64(pbkdf2Sync(pw, s, iterations, 32, 'sha256'))}` }),
          stored({ algorithm: 'sha256-salted', salt: s, hash: createHash('sha256').update(s + pw).digest('hex') }),
          stored({ algorithm: 'sha512-salted', salt: s, order: 'password+salt', hash: createHash('sha512').update(pw + s).digest('hex') }),
          stored({ algorithm: 'md5', hash: createHash('md5').update(pw).digest('hex') }),
        ];
        for (const h of forms) {
          expect(await verifyPassword(h, pw)).toBe(true);
          if (other !== pw) expect(await verifyPassword(h, other)).toBe(false);
          expect(needsUpgrade(h)).toBe(true);
        }
      }),
      { numRuns: 100 },
    );
  });
});
