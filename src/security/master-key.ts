// Where the master key comes from: IDCLOUD_MASTER_KEY, or a key file in the data directory that is
// created (mode 0600) only when the database holds no secrets yet.
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { newMasterKey } from './random.js';

export class MasterKeyError extends Error {
  override name = 'MasterKeyError';
}

export interface MasterKeySource {
  /** base64 text from IDCLOUD_MASTER_KEY, if set */
  envValue: string | undefined;
  keyFile: string;
}

export interface LoadedMasterKey {
  key: Buffer;
  origin: 'environment' | 'file' | 'created';
  /** set when the key file is readable by others than its owner */
  looseFileMode?: boolean;
}

export function decodeMasterKey(text: string, origin: string): Buffer {
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed)) throw new MasterKeyError(`${origin} is not base64`);
  const key = Buffer.from(trimmed, 'base64');
  if (key.length !== 32) throw new MasterKeyError(`${origin} must decode to 32 bytes, got ${key.length}`);
  return key;
}

/** Reads the configured key without creating anything; null when there is none. */
export function findMasterKey(source: MasterKeySource): LoadedMasterKey | null {
  if (source.envValue !== undefined && source.envValue !== '') {
    return { key: decodeMasterKey(source.envValue, 'IDCLOUD_MASTER_KEY'), origin: 'environment' };
  }
  if (!existsSync(source.keyFile)) return null;
  const key = decodeMasterKey(readFileSync(source.keyFile, 'utf8'), `master key file ${source.keyFile}`);
  const looseFileMode = (statSync(source.keyFile).mode & 0o077) !== 0;
  return { key, origin: 'file', looseFileMode };
}

/** Creates a new key file with mode 0600; refuses to overwrite one. */
export function createMasterKeyFile(keyFile: string): LoadedMasterKey {
  const key = newMasterKey();
  mkdirSync(dirname(keyFile), { recursive: true, mode: 0o700 });
  try {
    writeFileSync(keyFile, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new MasterKeyError(`master key file ${keyFile} already exists; refusing to replace it`);
    throw new MasterKeyError(`cannot create master key file ${keyFile}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  chmodSync(keyFile, 0o600); // the umask may have narrowed nothing, but never widen
  return { key, origin: 'created' };
}
