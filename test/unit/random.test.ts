// Unit tests for src/security/random.ts: lengths, alphabets and uniqueness of generated values.
import { describe, expect, it } from 'vitest';
import { newApplicationId, newClientId, newClientSecret, newConfigToken, newMasterKey, newRequestId, newUuid, pooledRandomBytes, randomString } from '../../src/security/random.js';

const DRAWS = 2000;
const LOWER_ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';

function draw(fn: () => string, n = DRAWS): string[] {
  return Array.from({ length: n }, fn);
}

describe.each([
  ['newClientId', newClientId, 32],
  ['newClientSecret', newClientSecret, 32],
  ['newApplicationId', newApplicationId, 26],
  ['newRequestId', newRequestId, 16],
] as const)('%s', (_name, generate, length) => {
  it(`gives ${length} lowercase alphanumerics`, () => {
    const pattern = new RegExp(`^[a-z0-9]{${length}}$`);
    for (const value of draw(generate)) expect(value).toMatch(pattern);
  });

  it('never repeats across many draws', () => {
    const values = draw(generate);
    expect(new Set(values).size).toBe(values.length);
  });

  it('uses the whole alphabet', () => {
    const seen = new Set(draw(generate).join(''));
    expect([...seen].sort().join('')).toBe([...LOWER_ALNUM].sort().join(''));
  });
});

describe('newClientId and newClientSecret', () => {
  it('are independent draws', () => {
    const ids = new Set(draw(newClientId, 500));
    for (const secret of draw(newClientSecret, 500)) expect(ids.has(secret)).toBe(false);
  });
});

describe('newConfigToken', () => {
  it('gives 64 base64url characters that never repeat, starting with the issuing time', () => {
    const before = Date.now();
    const values = draw(newConfigToken);
    const after = Date.now();
    for (const value of values) {
      expect(value).toMatch(/^[A-Za-z0-9_-]{64}$/);
      const issued = Buffer.from(value, 'base64url').readUIntBE(0, 6);
      expect(issued).toBeGreaterThanOrEqual(before);
      expect(issued).toBeLessThanOrEqual(after);
    }
    expect(new Set(values).size).toBe(values.length);
    // The 42 bytes after the time: every byte value turns up across the draws (not a constant tail).
    const tail = new Set(values.flatMap((v) => [...Buffer.from(v, 'base64url').subarray(6)]));
    expect(tail.size).toBe(256);
  });
});

describe('pooledRandomBytes', () => {
  it('hands out fresh bytes across pool refills, and larger requests directly', () => {
    const chunks = Array.from({ length: 600 }, () => pooledRandomBytes(48).toString('hex'));
    expect(new Set(chunks).size).toBe(chunks.length);
    expect(chunks.every((c) => c.length === 96 && c !== '0'.repeat(96))).toBe(true);
    expect(pooledRandomBytes(10_000)).toHaveLength(10_000);
  });
});

describe('newUuid', () => {
  it('gives lowercase RFC 4122 version 4 UUIDs that never repeat', () => {
    const values = draw(newUuid);
    for (const value of values) expect(value).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(values).size).toBe(values.length);
  });
});

describe('newMasterKey', () => {
  it('gives 32 random bytes, different every time', () => {
    const keys = Array.from({ length: 200 }, newMasterKey);
    for (const key of keys) {
      expect(Buffer.isBuffer(key)).toBe(true);
      expect(key.length).toBe(32);
    }
    expect(new Set(keys.map((k) => k.toString('hex'))).size).toBe(keys.length);
    expect(keys.some((k) => k.equals(Buffer.alloc(32)))).toBe(false);
  });
});

describe('randomString', () => {
  it('gives the requested length over the default lowercase alphanumeric alphabet', () => {
    expect(randomString(0)).toBe('');
    expect(randomString(1)).toMatch(/^[a-z0-9]$/);
    expect(randomString(100)).toMatch(/^[a-z0-9]{100}$/);
  });

  it('draws only from a given alphabet, and from all of it', () => {
    const value = randomString(2000, 'XY_');
    expect(value).toMatch(/^[XY_]{2000}$/);
    expect(new Set(value)).toEqual(new Set(['X', 'Y', '_']));
    expect(randomString(50, 'q')).toBe('q'.repeat(50));
  });
});
