// Unit tests for src/security/master-key.ts: decoding, where the key is found, and key file creation.
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMasterKeyFile, decodeMasterKey, findMasterKey, MasterKeyError } from '../../src/security/master-key.js';

let dir: string;
let counter = 0;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'idcloud-unit-master-key-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function freshPath(name = 'master.key'): string {
  counter += 1;
  return join(dir, `case-${counter}`, name);
}

function writeKeyFile(text: string, mode: number): string {
  counter += 1;
  const path = join(dir, `file-${counter}.key`);
  writeFileSync(path, text, { mode });
  chmodSync(path, mode); // the umask may have narrowed the mode given to writeFileSync
  return path;
}

/** Runs `fn`, expects a MasterKeyError, and returns its message. */
function masterKeyErrorOf(fn: () => unknown): string {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(MasterKeyError);
  return (caught as MasterKeyError).message;
}

const KEY = Buffer.from(Array.from({ length: 32 }, (_, i) => i * 7 + 3));
const KEY_TEXT = KEY.toString('base64');

describe('decodeMasterKey', () => {
  it('accepts the base64 of 32 bytes, with or without surrounding whitespace', () => {
    expect(KEY_TEXT).toHaveLength(44);
    expect(decodeMasterKey(KEY_TEXT, 'test').equals(KEY)).toBe(true);
    expect(decodeMasterKey(`  ${KEY_TEXT}\n`, 'test').equals(KEY)).toBe(true);
    expect(decodeMasterKey(`${KEY_TEXT}\r\n`, 'test').equals(KEY)).toBe(true);
  });

  it('accepts any 32-byte key (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (bytes) => {
        const key = Buffer.from(bytes);
        expect(decodeMasterKey(key.toString('base64'), 'prop').equals(key)).toBe(true);
      }),
    );
  });

  it('refuses base64 of any other length, naming the origin and the length (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 80 }).filter((b) => b.length !== 32), (bytes) => {
        const message = masterKeyErrorOf(() => decodeMasterKey(Buffer.from(bytes).toString('base64'), 'IDCLOUD_MASTER_KEY'));
        expect(message).toBe(`IDCLOUD_MASTER_KEY must decode to 32 bytes, got ${bytes.length}`);
      }),
    );
  });

  it.each([31, 33, 16, 64])('refuses a %i-byte key', (length) => {
    expect(masterKeyErrorOf(() => decodeMasterKey(Buffer.alloc(length, 9).toString('base64'), 'k'))).toBe(`k must decode to 32 bytes, got ${length}`);
  });

  it.each([
    ['the empty string', ''],
    ['whitespace only', '   \n'],
    ['base64url characters', KEY.toString('base64url').replace(/^./, '-')],
    ['an embedded space', `${KEY_TEXT.slice(0, 20)} ${KEY_TEXT.slice(20)}`],
    ['an embedded line break', `${KEY_TEXT.slice(0, 20)}\n${KEY_TEXT.slice(20)}`],
    ['too much padding', `${KEY_TEXT}==`],
    ['padding in the middle', `${KEY_TEXT.slice(0, 20)}=${KEY_TEXT.slice(20)}`],
    ['punctuation', 'not a key!'],
  ])('refuses %s as not base64', (_name, text) => {
    expect(masterKeyErrorOf(() => decodeMasterKey(text, 'master key file /x'))).toBe('master key file /x is not base64');
  });

  it('refuses the hex spelling of a key even though hex digits are base64 characters', () => {
    // 64 hex digits are valid base64 text but decode to 48 bytes
    expect(masterKeyErrorOf(() => decodeMasterKey('ab'.repeat(32), 'k'))).toBe('k must decode to 32 bytes, got 48');
  });

  it('never throws anything but MasterKeyError, and never returns other than 32 bytes (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b).toString('base64'))), (text) => {
        let key: Buffer | undefined;
        try {
          key = decodeMasterKey(text, 'p');
        } catch (err) {
          expect(err).toBeInstanceOf(MasterKeyError);
          return;
        }
        expect(key.length).toBe(32);
      }),
    );
  });
});

describe('findMasterKey', () => {
  it('returns null when there is no environment value and no key file', () => {
    const keyFile = freshPath();
    expect(findMasterKey({ envValue: undefined, keyFile })).toBeNull();
    expect(findMasterKey({ envValue: '', keyFile })).toBeNull();
    expect(existsSync(keyFile)).toBe(false);
  });

  it('prefers the environment value over an existing key file', () => {
    const other = Buffer.alloc(32, 0x55);
    const keyFile = writeKeyFile(`${KEY_TEXT}\n`, 0o600);
    const found = findMasterKey({ envValue: other.toString('base64'), keyFile });
    expect(found?.origin).toBe('environment');
    expect(found?.key.equals(other)).toBe(true);
    expect(found?.looseFileMode).toBeUndefined();
  });

  it('uses the environment value when the key file does not exist', () => {
    const found = findMasterKey({ envValue: KEY_TEXT, keyFile: freshPath() });
    expect(found).toEqual({ key: KEY, origin: 'environment' });
  });

  it('refuses a bad environment value with a MasterKeyError naming IDCLOUD_MASTER_KEY, even if a good file exists', () => {
    const keyFile = writeKeyFile(`${KEY_TEXT}\n`, 0o600);
    expect(masterKeyErrorOf(() => findMasterKey({ envValue: 'short', keyFile }))).toMatch(/^IDCLOUD_MASTER_KEY /);
  });

  it('reads the key file when the environment value is unset or empty', () => {
    const keyFile = writeKeyFile(`${KEY_TEXT}\n`, 0o600);
    for (const envValue of [undefined, '']) {
      const found = findMasterKey({ envValue, keyFile });
      expect(found).toEqual({ key: KEY, origin: 'file', looseFileMode: false });
    }
  });

  it('reports looseFileMode for a key file others can read', () => {
    for (const mode of [0o644, 0o640, 0o604, 0o660, 0o606]) {
      const keyFile = writeKeyFile(KEY_TEXT, mode);
      expect(statSync(keyFile).mode & 0o777).toBe(mode);
      expect(findMasterKey({ envValue: undefined, keyFile })?.looseFileMode).toBe(true);
    }
    for (const mode of [0o600, 0o400]) {
      const keyFile = writeKeyFile(KEY_TEXT, mode);
      expect(findMasterKey({ envValue: undefined, keyFile })?.looseFileMode).toBe(false);
    }
  });

  it('refuses a key file that does not hold a key, naming the file', () => {
    const keyFile = writeKeyFile('garbage!\n', 0o600);
    expect(masterKeyErrorOf(() => findMasterKey({ envValue: undefined, keyFile }))).toBe(`master key file ${keyFile} is not base64`);
    const shortFile = writeKeyFile(Buffer.alloc(16).toString('base64'), 0o600);
    expect(masterKeyErrorOf(() => findMasterKey({ envValue: undefined, keyFile: shortFile }))).toBe(`master key file ${shortFile} must decode to 32 bytes, got 16`);
  });
});

describe('createMasterKeyFile', () => {
  it('writes a new random key with mode 0600, creating missing directories', () => {
    const keyFile = freshPath('nested/dir/master.key');
    const created = createMasterKeyFile(keyFile);
    expect(created.origin).toBe('created');
    expect(created.key.length).toBe(32);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(statSync(join(keyFile, '..')).mode & 0o077).toBe(0);
    expect(readFileSync(keyFile, 'utf8')).toBe(`${created.key.toString('base64')}\n`);
  });

  it('writes a key that findMasterKey reads back, with a tight mode', () => {
    const keyFile = freshPath();
    const created = createMasterKeyFile(keyFile);
    expect(findMasterKey({ envValue: undefined, keyFile })).toEqual({ key: created.key, origin: 'file', looseFileMode: false });
  });

  it('makes a different key each time', () => {
    const a = createMasterKeyFile(freshPath());
    const b = createMasterKeyFile(freshPath());
    expect(a.key.equals(b.key)).toBe(false);
  });

  it('refuses to overwrite an existing file and leaves it unchanged', () => {
    const keyFile = writeKeyFile(`${KEY_TEXT}\n`, 0o644);
    expect(() => createMasterKeyFile(keyFile)).toThrow(MasterKeyError);
    expect(() => createMasterKeyFile(keyFile)).toThrow(/already exists/);
    expect(readFileSync(keyFile, 'utf8')).toBe(`${KEY_TEXT}\n`);
    expect(statSync(keyFile).mode & 0o777).toBe(0o644);

    const created = freshPath();
    const first = createMasterKeyFile(created);
    expect(() => createMasterKeyFile(created)).toThrow();
    expect(findMasterKey({ envValue: undefined, keyFile: created })?.key.equals(first.key)).toBe(true);
  });
});
