// Unit and property tests for src/security/constant-time.ts. (Timing itself is not asserted.)
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { constantTimeEqual, fixedLengthEqual, matchesAnyDigest, secretDigest } from '../../src/security/constant-time.js';

describe('constantTimeEqual', () => {
  it('is true for equal strings and false for unequal ones', () => {
    expect(constantTimeEqual('secret', 'secret')).toBe(true);
    expect(constantTimeEqual('', '')).toBe(true);
    expect(constantTimeEqual('secret', 'secreT')).toBe(false);
    expect(constantTimeEqual('secret', 'terces')).toBe(false);
    expect(constantTimeEqual('a'.repeat(32), `${'a'.repeat(31)}b`)).toBe(false);
  });

  it('is false for strings of different lengths, including prefixes and the empty string', () => {
    expect(constantTimeEqual('secret', 'secret2')).toBe(false);
    expect(constantTimeEqual('secret', 'secre')).toBe(false);
    expect(constantTimeEqual('secret', '')).toBe(false);
    expect(constantTimeEqual('', 'x')).toBe(false);
    expect(constantTimeEqual('x', 'x\0')).toBe(false);
  });

  it('compares Buffers by content', () => {
    expect(constantTimeEqual(Buffer.from([1, 2, 3]), Buffer.from([1, 2, 3]))).toBe(true);
    expect(constantTimeEqual(Buffer.from([1, 2, 3]), Buffer.from([1, 2, 4]))).toBe(false);
    expect(constantTimeEqual(Buffer.from([1, 2, 3]), Buffer.from([1, 2, 3, 0]))).toBe(false);
    expect(constantTimeEqual(Buffer.alloc(0), Buffer.alloc(0))).toBe(true);
  });

  it('treats a string as its UTF-8 bytes when compared with a Buffer', () => {
    expect(constantTimeEqual('pässwörd', Buffer.from('pässwörd', 'utf8'))).toBe(true);
    expect(constantTimeEqual(Buffer.from('pässwörd', 'utf8'), 'pässwörd')).toBe(true);
    expect(constantTimeEqual('pässwörd', Buffer.from('pässwörd', 'latin1'))).toBe(false);
    expect(constantTimeEqual('abc', Buffer.from('abd'))).toBe(false);
    expect(constantTimeEqual('abc', Buffer.from('abcd'))).toBe(false);
  });

  it('agrees with === on well-formed strings (property)', () => {
    const text = fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary-ascii', maxLength: 4 }));
    fc.assert(
      fc.property(text, text, (a, b) => {
        expect(constantTimeEqual(a, b)).toBe(a === b);
        expect(constantTimeEqual(a, a)).toBe(true);
        expect(constantTimeEqual(b, a)).toBe(constantTimeEqual(a, b));
      }),
    );
  });

  it('agrees with Buffer.equals on byte strings of any lengths (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 64 }), (a, b) => {
        const ba = Buffer.from(a);
        const bb = Buffer.from(b);
        expect(constantTimeEqual(ba, bb)).toBe(ba.equals(bb));
        expect(constantTimeEqual(ba, Buffer.from(ba))).toBe(true);
      }),
    );
  });

  it('is false whenever one byte of an otherwise equal value differs (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (bytes, position, xor) => {
        const a = Buffer.from(bytes);
        const b = Buffer.from(bytes);
        const i = position % b.length;
        b[i] = (b[i] ?? 0) ^ xor;
        expect(constantTimeEqual(a, b)).toBe(false);
      }),
    );
  });

  it('never calls strings with lone surrogates equal, even though UTF-8 maps them all to U+FFFD', () => {
    expect(constantTimeEqual('\ud800', '\udc00')).toBe(false);
    expect(constantTimeEqual('\ud800', '\ufffd')).toBe(false);
    expect(constantTimeEqual('a\udc00', 'a\udc00')).toBe(false);
    expect(constantTimeEqual('\ud83d\ude00', '\ud83d\ude00')).toBe(true);
  });
});

describe('matchesAnyDigest', () => {
  it('accepts exactly the secrets whose digests are given', () => {
    const digests = ['current-secret', 'grace-secret'].map(secretDigest);
    expect(matchesAnyDigest('current-secret', digests)).toBe(true);
    expect(matchesAnyDigest('grace-secret', digests)).toBe(true);
    expect(matchesAnyDigest('other-secret', digests)).toBe(false);
    expect(matchesAnyDigest('current-secret', [])).toBe(false);
    expect(matchesAnyDigest('\ud800', [secretDigest('\ufffd')])).toBe(false);
  });

  it('agrees with constantTimeEqual (property)', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        expect(matchesAnyDigest(a, [secretDigest(b)])).toBe(constantTimeEqual(a, b));
      }),
    );
  });
});

describe('fixedLengthEqual', () => {
  const mac = 'Zm9vYmFyYmF6cXV4cXV1eHg9PQ==';

  it('is true only for the same string', () => {
    expect(fixedLengthEqual(mac, mac)).toBe(true);
    expect(fixedLengthEqual(mac, `${mac.slice(0, -3)}X==`)).toBe(false);
    expect(fixedLengthEqual(mac, mac.toLowerCase())).toBe(false);
    expect(fixedLengthEqual('', '')).toBe(true);
  });

  it('is false on any length mismatch, prefixes and padding included', () => {
    expect(fixedLengthEqual(mac, mac.slice(0, -1))).toBe(false);
    expect(fixedLengthEqual(mac, `${mac}=`)).toBe(false);
    expect(fixedLengthEqual(mac, ` ${mac}`)).toBe(false);
    expect(fixedLengthEqual(mac, '')).toBe(false);
  });

  it('never calls strings with lone surrogates equal', () => {
    expect(fixedLengthEqual('\uD800', '\uDC00')).toBe(false);
    expect(fixedLengthEqual('a\uD800', 'a\uD800')).toBe(false);
  });

  it('agrees with === on well-formed strings (property)', () => {
    const text = fc.oneof(fc.string({ unit: 'grapheme' }), fc.base64String({ maxLength: 8 }));
    fc.assert(
      fc.property(text, text, (a, b) => {
        expect(fixedLengthEqual(a, b)).toBe(a === b);
        expect(fixedLengthEqual(a, a)).toBe(true);
      }),
    );
  });
});
