import { hashSync } from '@node-rs/bcrypt';
import fc from 'fast-check';
import { createHash, pbkdf2Sync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { importHash } from '../../src/security/imported-passwords.js';
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

describe('imported password hashes', () => {
  const bcrypt = hashSync('correct horse', 4);

  it('take bcrypt and argon2 strings as they are, bare or in an object', async () => {
    expect(stored(bcrypt)).toBe(bcrypt);
    expect(stored({ algorithm: 'bcrypt', hash: bcrypt })).toBe(bcrypt);
    expect(await verifyPassword(bcrypt, 'correct horse')).toBe(true);
    expect(await verifyPassword(bcrypt, 'wrong horse')).toBe(false);
    const argon = await hashPassword('battery');
    expect(stored(argon)).toBe(argon);
    expect(stored({ algorithm: 'argon2', hash: argon })).toBe(argon);
    // $2y$ is PHP's name for $2b$.
    expect(await verifyPassword(stored(bcrypt.replace('$2b$', '$2y$')), 'correct horse')).toBe(true);
  });

  it('take pbkdf2 in Django form and as fields, for sha256 and sha512', async () => {
    const b64 = pbkdf2Sync('staple', 'salty', 1200, 32, 'sha256').toString('base64');
    const django = stored({ algorithm: 'pbkdf2-sha256', hash: `pbkdf2_sha256$1200$salty$${b64}` });
    expect(await verifyPassword(django, 'staple')).toBe(true);
    expect(await verifyPassword(django, 'Staple')).toBe(false);
    const fields = stored({ algorithm: 'pbkdf2-sha512', iterations: 10, salt: 'pepper', hash: pbkdf2Sync('staple', 'pepper', 10, 64, 'sha512').toString('base64') });
    expect(await verifyPassword(fields, 'staple')).toBe(true);
    expect(await verifyPassword(fields, 'stapler')).toBe(false);
  });

  it('take salted SHA-2 in either order, and unsalted md5', async () => {
    const first = stored({ algorithm: 'sha256-salted', salt: 's1', hash: createHash('sha256').update('s1pw').digest('hex').toUpperCase() });
    expect(await verifyPassword(first, 'pw')).toBe(true);
    const last = stored({ algorithm: 'sha512-salted', salt: 's2', order: 'password+salt', hash: createHash('sha512').update('pws2').digest('hex') });
    expect(await verifyPassword(last, 'pw')).toBe(true);
    expect(await verifyPassword(last, 'pw2')).toBe(false);
    const md5 = stored({ algorithm: 'md5', hash: createHash('md5').update('legacy').digest('hex') });
    expect(await verifyPassword(md5, 'legacy')).toBe(true);
    expect(await verifyPassword(md5, 'Legacy')).toBe(false);
  });

  it('mark everything but today\'s argon2id for upgrade', async () => {
    expect(needsUpgrade(await hashPassword('x'))).toBe(false);
    expect(needsUpgrade(bcrypt)).toBe(true);
    expect(needsUpgrade('$argon2id$v=19$m=4096,t=3,p=1$c29tZXNhbHQ$aGFzaGhhc2hoYXNoaGFzaA')).toBe(true);
    expect(needsUpgrade(stored({ algorithm: 'md5', hash: '0'.repeat(32) }))).toBe(true);
  });

  it('refuse what they cannot take, without repeating the hash', () => {
    const secretish = `$2b$10$${'Q'.repeat(52)}`;
    const cases: unknown[] = [
      secretish,
      bcrypt.replace('$04$', '$03$'),
      bcrypt.replace('$04$', '$32$'),
      `${bcrypt}x`,
      'plain text',
      { algorithm: 'sha1', hash: 'abc' },
      { algorithm: 'bcrypt', hash: secretish },
      { algorithm: 'bcrypt', hash: bcrypt, extra: 1 },
      { algorithm: 'md5', hash: 'z'.repeat(32) },
      { algorithm: 'md5', hash: 'a'.repeat(31) },
      { algorithm: 'pbkdf2-sha256', hash: 'pbkdf2_sha256$0$s$AAAAAAAAAAAAAAAAAAAAAA==' },
      { algorithm: 'pbkdf2-sha256', iterations: 5, hash: 'AAAAAAAAAAAAAAAAAAAAAA==' },
      { algorithm: 'pbkdf2-sha256', iterations: 5, salt: 's', hash: 'AAAA' },
      { algorithm: 'sha256-salted', salt: 's', hash: 'ab' },
      { algorithm: 'sha256-salted', hash: 'a'.repeat(64) },
      { algorithm: 'sha256-salted', salt: 's', hash: 'a'.repeat(64), order: 'sideways' },
      null,
      42,
      [bcrypt],
    ];
    for (const c of cases) {
      const why = reason(c);
      expect(why.length).toBeGreaterThan(10);
      expect(why).not.toContain('QQQQ');
      expect(why).not.toContain(bcrypt.slice(7));
    }
  });

  it('never throw, whatever they are given', async () => {
    fc.assert(fc.property(fc.jsonValue(), (v) => {
      importHash(v);
    }), { numRuns: 2000 });
    fc.assert(fc.property(fc.anything(), (v) => {
      importHash(v);
    }), { numRuns: 500 });
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string(), fc.constantFrom('$2b$04$', '$pbkdf2-sha256$1$$AAAA', '$md5$', '$sha256-salted$s$$', bcrypt)), fc.string(), async (s, pw) => {
        expect(typeof (await verifyPassword(s, pw))).toBe('boolean');
      }),
      { numRuns: 300 },
    );
  });

  it('verify a random password against its own import and not against another', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1, maxLength: 20 }), fc.string({ minLength: 1, maxLength: 20 }), fc.string({ minLength: 1, maxLength: 8 }).filter((s) => !s.includes('$')), async (pw, other, salt) => {
        const pb = stored({ algorithm: 'pbkdf2-sha256', iterations: 2, salt, hash: pbkdf2Sync(pw, salt, 2, 32, 'sha256').toString('base64') });
        const sh = stored({ algorithm: 'sha256-salted', salt, hash: createHash('sha256').update(salt + pw).digest('hex') });
        for (const h of [pb, sh]) {
          expect(await verifyPassword(h, pw)).toBe(true);
          if (other !== pw) expect(await verifyPassword(h, other)).toBe(false);
        }
      }),
      { numRuns: 100 },
    );
  });
});
