// Unit and property tests for src/security/secret-box.ts: AES-256-GCM sealing bound to a context,
// key ids, retired keys, and failure on every kind of wrong or damaged input.
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { masterKeyId, SecretBox, SecretBoxError, type SealedSecret } from '../../src/security/secret-box.js';

const IV_BYTES = 12;
const TAG_BYTES = 16;

const keyA = Buffer.alloc(32, 0xa1);
const keyB = Buffer.alloc(32, 0xb2);
const keyC = Buffer.alloc(32, 0xc3);

/** Runs `fn`, expects a SecretBoxError, and returns its message. */
function secretBoxErrorOf(fn: () => unknown): string {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(SecretBoxError);
  return (caught as SecretBoxError).message;
}

function rawOf(sealed: SealedSecret): Buffer {
  return Buffer.from(sealed.ciphertext, 'base64');
}

function withRaw(sealed: SealedSecret, raw: Buffer): SealedSecret {
  return { keyId: sealed.keyId, ciphertext: raw.toString('base64') };
}

const unicodeText = fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary-ascii' }));

describe('SecretBox seal and open', () => {
  it('round-trips a value under the same context', () => {
    const box = new SecretBox(keyA);
    const sealed = box.seal('s3cr3t value', 'api_client:abc');
    expect(sealed.keyId).toBe(box.activeKeyId);
    expect(box.open(sealed, 'api_client:abc')).toBe('s3cr3t value');
  });

  it('round-trips any well-formed unicode plaintext under any context (property)', () => {
    const box = new SecretBox(keyA);
    fc.assert(
      fc.property(unicodeText, unicodeText, (plaintext, context) => {
        const sealed = box.seal(plaintext, context);
        expect(box.open(sealed, context)).toBe(plaintext);
        // iv ‖ ciphertext ‖ tag, and GCM ciphertext is as long as the plaintext
        expect(rawOf(sealed).length).toBe(IV_BYTES + Buffer.byteLength(plaintext, 'utf8') + TAG_BYTES);
      }),
    );
  });

  it('does not put the plaintext into the sealed value', () => {
    const box = new SecretBox(keyA);
    const plaintext = 'plaintext-that-must-not-appear-'.repeat(3);
    const sealed = box.seal(plaintext, 'ctx');
    expect(sealed.ciphertext).not.toContain(plaintext);
    expect(rawOf(sealed).includes(Buffer.from(plaintext))).toBe(false);
    expect(sealed.ciphertext).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
  });

  it('uses a fresh random IV: the same plaintext sealed twice gives different ciphertexts', () => {
    const box = new SecretBox(keyA);
    const seen = new Set<string>();
    const ivs = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const sealed = box.seal('same plaintext', 'same context');
      seen.add(sealed.ciphertext);
      ivs.add(rawOf(sealed).subarray(0, IV_BYTES).toString('hex'));
      expect(box.open(sealed, 'same context')).toBe('same plaintext');
    }
    expect(seen.size).toBe(200);
    expect(ivs.size).toBe(200);
  });

  it('opens with a second SecretBox built from the same key bytes', () => {
    const sealed = new SecretBox(keyA).seal('portable', 'ctx');
    expect(new SecretBox(Buffer.from(keyA)).open(sealed, 'ctx')).toBe('portable');
  });

  it('keeps its own copy of the key: changing the caller buffer afterwards changes nothing', () => {
    const key = Buffer.from(keyA);
    const box = new SecretBox(key);
    const sealed = box.seal('copied', 'ctx');
    key.fill(0);
    expect(box.open(sealed, 'ctx')).toBe('copied');
    expect(box.activeKeyId).toBe(masterKeyId(keyA));
    expect(new SecretBox(keyA).open(box.seal('still key A', 'ctx'), 'ctx')).toBe('still key A');
  });
});

describe('SecretBox refuses wrong or damaged input', () => {
  it('fails with SecretBoxError under a different context (AAD)', () => {
    const box = new SecretBox(keyA);
    const sealed = box.seal('bound', 'api_client:one');
    expect(secretBoxErrorOf(() => box.open(sealed, 'api_client:two'))).toMatch(/failed authentication/);
    expect(secretBoxErrorOf(() => box.open(sealed, ''))).toMatch(/failed authentication/);
    expect(secretBoxErrorOf(() => box.open(sealed, 'api_client:one '))).toMatch(/failed authentication/);
  });

  it('fails under any context other than the sealing one (property)', () => {
    const box = new SecretBox(keyA);
    fc.assert(
      fc.property(unicodeText, unicodeText, unicodeText, (plaintext, context, other) => {
        fc.pre(context !== other);
        const sealed = box.seal(plaintext, context);
        secretBoxErrorOf(() => box.open(sealed, other));
      }),
    );
  });

  it('fails when any single byte of iv, ciphertext or tag is changed (property)', () => {
    const box = new SecretBox(keyA);
    fc.assert(
      fc.property(unicodeText, fc.nat(), fc.integer({ min: 1, max: 255 }), (plaintext, position, xor) => {
        const sealed = box.seal(plaintext, 'ctx');
        const raw = rawOf(sealed);
        const tampered = Buffer.from(raw);
        const index = position % raw.length;
        tampered[index] = (tampered[index] ?? 0) ^ xor;
        expect(secretBoxErrorOf(() => box.open(withRaw(sealed, tampered), 'ctx'))).toMatch(/failed authentication/);
      }),
    );
  });

  it('fails when a byte is appended or removed', () => {
    const box = new SecretBox(keyA);
    const sealed = box.seal('length matters', 'ctx');
    const raw = rawOf(sealed);
    secretBoxErrorOf(() => box.open(withRaw(sealed, Buffer.concat([raw, Buffer.from([0])])), 'ctx'));
    secretBoxErrorOf(() => box.open(withRaw(sealed, raw.subarray(0, raw.length - 1)), 'ctx'));
    secretBoxErrorOf(() => box.open(withRaw(sealed, raw.subarray(1)), 'ctx'));
  });

  it('fails when a ciphertext sealed under another key is presented under this key id', () => {
    const boxA = new SecretBox(keyA);
    const boxB = new SecretBox(keyB);
    const sealed = boxA.seal('for A only', 'ctx');
    expect(secretBoxErrorOf(() => boxB.open({ keyId: boxB.activeKeyId, ciphertext: sealed.ciphertext }, 'ctx'))).toMatch(/failed authentication/);
  });

  it('fails when the key id is not loaded, naming the id', () => {
    const boxA = new SecretBox(keyA);
    const boxB = new SecretBox(keyB);
    const sealed = boxA.seal('for A only', 'ctx');
    expect(secretBoxErrorOf(() => boxB.open(sealed, 'ctx'))).toBe(`no master key with id ${boxA.activeKeyId} is loaded`);
  });

  it('fails cleanly on input shorter than iv and tag', () => {
    const box = new SecretBox(keyA);
    const sealed = box.seal('', 'ctx');
    const raw = rawOf(sealed);
    expect(raw.length).toBe(IV_BYTES + TAG_BYTES);
    expect(box.open(sealed, 'ctx')).toBe('');
    for (let length = 0; length < IV_BYTES + TAG_BYTES; length++) {
      expect(secretBoxErrorOf(() => box.open(withRaw(sealed, raw.subarray(0, length)), 'ctx'))).toBe('sealed secret is truncated');
    }
    const longer = box.seal('some longer plaintext', 'ctx');
    const longRaw = rawOf(longer);
    for (let length = IV_BYTES + TAG_BYTES; length < longRaw.length; length++) {
      secretBoxErrorOf(() => box.open(withRaw(longer, longRaw.subarray(0, length)), 'ctx'));
    }
  });

  it('never throws anything but SecretBoxError for arbitrary ciphertext text and key id (property)', () => {
    const box = new SecretBox(keyA, [keyB]);
    const keyId = fc.oneof(fc.constant(box.activeKeyId), fc.constant(masterKeyId(keyB)), fc.string({ unit: 'binary' }), fc.stringMatching(/^[0-9a-f]{16}$/));
    const ciphertext = fc.oneof(
      fc.string({ unit: 'binary' }),
      fc.base64String(),
      fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes).toString('base64')),
    );
    fc.assert(
      fc.property(keyId, ciphertext, unicodeText, (id, text, context) => {
        secretBoxErrorOf(() => box.open({ keyId: id, ciphertext: text }, context));
      }),
      { numRuns: 500 },
    );
  });
});

describe('SecretBox keys', () => {
  it('refuses active or retired keys that are not 32 bytes', () => {
    for (const length of [0, 16, 31, 33, 64]) {
      expect(secretBoxErrorOf(() => new SecretBox(Buffer.alloc(length, 1)))).toBe('a master key must be 32 bytes');
      expect(secretBoxErrorOf(() => new SecretBox(keyA, [keyB, Buffer.alloc(length, 1)]))).toBe('a master key must be 32 bytes');
    }
    expect(() => new SecretBox(Buffer.alloc(32))).not.toThrow();
  });

  it('derives a stable 16-hex-digit key id that differs between keys and is not the key', () => {
    const id = masterKeyId(keyA);
    expect(id).toMatch(/^[0-9a-f]{16}$/);
    expect(masterKeyId(Buffer.from(keyA))).toBe(id);
    expect(new SecretBox(keyA).activeKeyId).toBe(id);
    expect(masterKeyId(keyB)).not.toBe(id);
    expect(keyA.toString('hex')).not.toContain(id);
    // pinned: the id is recorded in databases, so its derivation must never change
    expect(masterKeyId(Buffer.alloc(32, 0))).toBe('9c2773000f0dbbed');
    expect(masterKeyId(keyA)).toBe('1e91970813300bbe');
  });

  it('gives distinct random keys distinct ids (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), (a, b) => {
        fc.pre(Buffer.compare(Buffer.from(a), Buffer.from(b)) !== 0);
        expect(masterKeyId(Buffer.from(a))).not.toBe(masterKeyId(Buffer.from(b)));
      }),
    );
  });

  it('opens values sealed under retired keys, while new values are sealed with the active key', () => {
    const oldBox = new SecretBox(keyA);
    const olderBox = new SecretBox(keyC);
    const oldSealed = oldBox.seal('sealed long ago', 'ctx:1');
    const olderSealed = olderBox.seal('sealed even longer ago', 'ctx:2');

    const rotated = new SecretBox(keyB, [keyA, keyC]);
    expect(rotated.activeKeyId).toBe(masterKeyId(keyB));
    expect(rotated.open(oldSealed, 'ctx:1')).toBe('sealed long ago');
    expect(rotated.open(olderSealed, 'ctx:2')).toBe('sealed even longer ago');

    const fresh = rotated.seal('sealed today', 'ctx:3');
    expect(fresh.keyId).toBe(masterKeyId(keyB));
    expect(new SecretBox(keyB).open(fresh, 'ctx:3')).toBe('sealed today');
    // the old key alone cannot open what the new key sealed
    secretBoxErrorOf(() => oldBox.open(fresh, 'ctx:3'));
    secretBoxErrorOf(() => oldBox.open({ keyId: oldBox.activeKeyId, ciphertext: fresh.ciphertext }, 'ctx:3'));
  });

  it('still binds retired-key values to their context', () => {
    const oldSealed = new SecretBox(keyA).seal('old', 'ctx:1');
    const rotated = new SecretBox(keyB, [keyA]);
    secretBoxErrorOf(() => rotated.open(oldSealed, 'ctx:other'));
  });

  it('uses a fresh random key correctly end to end', () => {
    const key = randomBytes(32);
    const box = new SecretBox(key);
    expect(box.open(box.seal('x', 'y'), 'y')).toBe('x');
  });
});
