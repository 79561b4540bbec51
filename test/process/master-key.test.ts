// The master key: a missing, wrong or malformed key stops the start with one clear line, and
// neither the store nor the data directory is touched.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { ENGINES } from '../helpers/engines.js';
import {
  createStoreUnderTest,
  expectBootstrapped,
  expectOneErrorLine,
  freePort,
  killLiveChildren,
  listDir,
  PROCESS_TEST_TIMEOUT,
  runCli,
  sha256File,
  snapshotStore,
  tryConnect,
  withStore,
  type CliResult,
  type StoreUnderTest,
} from './helpers.js';

interface Fingerprint {
  files: string[] | null;
  credentials: string;
  sqlite: string | null;
  store: Awaited<ReturnType<typeof snapshotStore>>;
}

async function fingerprint(s: StoreUnderTest): Promise<Fingerprint> {
  // The SQLite file is hashed before snapshotStore opens it; -wal/-shm are left out of the listing here
  // (a separate test below looks at them).
  const sqlite = s.engine === 'sqlite' ? sha256File(s.sqliteFile) : null;
  const files = listDir(s.dataDir)?.filter((f) => !/-(wal|shm)$/.test(f)) ?? null;
  return { files, sqlite, credentials: sha256File(s.credentialsFile), store: await snapshotStore(s) };
}

describe.each(ENGINES)('master key on %s', { timeout: PROCESS_TEST_TIMEOUT }, (engine) => {
  const stores: StoreUnderTest[] = [];
  afterEach(async () => {
    await killLiveChildren();
    for (const s of stores.splice(0)) await s.dispose();
  });

  /** A bootstrapped store, with its master key moved out of the data dir; returns the key's base64 text. */
  async function initializedWithoutKey(): Promise<{ s: StoreUnderTest; key: string }> {
    const s = await createStoreUnderTest(engine);
    stores.push(s);
    const init = await runCli(['init', ...s.args]);
    expect(init.code, init.stderr).toBe(0);
    const key = readFileSync(s.keyFile, 'utf8').trim();
    renameSync(s.keyFile, `${s.root}/master.key.saved`);
    return { s, key };
  }

  async function refusedStart(s: StoreUnderTest, command: 'serve' | 'init', env: Record<string, string> = {}): Promise<{ result: CliResult; line: string }> {
    const port = await freePort();
    const result = await runCli([command, '--port', String(port), ...s.args], { env });
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(1);
    const line = expectOneErrorLine(result);
    expect(await tryConnect(port)).toBe('refused');
    return { result, line };
  }

  it('a store whose key file was removed is refused by serve and init; no new key is made; nothing changes', async () => {
    const { s, key } = await initializedWithoutKey();
    const before = await fingerprint(s);
    for (const command of ['serve', 'init'] as const) {
      const { line } = await refusedStart(s, command);
      expect(line).toMatch(/master key/);
      expect(line).toContain(s.keyFile);
      expect(existsSync(s.keyFile), 'a new key file was created').toBe(false);
      expect(await fingerprint(s)).toEqual(before);
    }
    // The refusal did no harm: with the key back in place, the store opens as before.
    const ok = await runCli(['init', ...s.args], { env: { IDCLOUD_MASTER_KEY: key } });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('nothing changed');
    renameSync(`${s.root}/master.key.saved`, s.keyFile);
    await expectBootstrapped(s);
  });

  it('a different key in IDCLOUD_MASTER_KEY is refused; nothing changes', async () => {
    const { s } = await initializedWithoutKey();
    renameSync(`${s.root}/master.key.saved`, s.keyFile);
    const keyFileBefore = sha256File(s.keyFile);
    const before = await fingerprint(s);
    const { line } = await refusedStart(s, 'serve', { IDCLOUD_MASTER_KEY: randomBytes(32).toString('base64') });
    expect(line).toMatch(/master key .*does not match/);
    expect(sha256File(s.keyFile)).toBe(keyFileBefore);
    expect(await fingerprint(s)).toEqual(before);
  });

  it('the right key in IDCLOUD_MASTER_KEY opens a store that has no key file', async () => {
    const { s, key } = await initializedWithoutKey();
    const before = await fingerprint(s);
    const result = await runCli(['init', ...s.args], { env: { IDCLOUD_MASTER_KEY: key } });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('nothing changed');
    expect(existsSync(s.keyFile)).toBe(false);
    expect(await fingerprint(s)).toEqual(before);
  });

  it.each([
    { what: 'not base64', value: 'this is not base64!', message: /IDCLOUD_MASTER_KEY is not base64/ },
    { what: '16 bytes', value: randomBytes(16).toString('base64'), message: /IDCLOUD_MASTER_KEY must decode to 32 bytes, got 16/ },
    { what: '33 bytes', value: randomBytes(33).toString('base64'), message: /IDCLOUD_MASTER_KEY must decode to 32 bytes, got 33/ },
  ])('a malformed IDCLOUD_MASTER_KEY ($what) is refused, on an existing and on a fresh store', async ({ value, message }) => {
    const { s } = await initializedWithoutKey();
    renameSync(`${s.root}/master.key.saved`, s.keyFile);
    const before = await fingerprint(s);
    const { line } = await refusedStart(s, 'serve', { IDCLOUD_MASTER_KEY: value });
    expect(line).toMatch(message);
    expect(await fingerprint(s)).toEqual(before);

    const empty = await createStoreUnderTest(engine);
    stores.push(empty);
    const refused = await refusedStart(empty, 'init', { IDCLOUD_MASTER_KEY: value });
    expect(refused.line).toMatch(message);
    expect(listDir(empty.dataDir)).toBeNull();
    if (engine === 'postgres') expect(await withStore(empty, async (_q, tables) => tables)).toEqual([]);
  });

  it('a key given in IDCLOUD_MASTER_KEY on a fresh store is used, not written to a file', async () => {
    const s = await createStoreUnderTest(engine);
    stores.push(s);
    const key = randomBytes(32).toString('base64');
    const result = await runCli(['init', ...s.args], { env: { IDCLOUD_MASTER_KEY: key } });
    expect(result.code, result.stderr).toBe(0);
    expect(existsSync(s.keyFile)).toBe(false);
    // Without the key the store is now refused; with it, it opens.
    expect((await runCli(['init', ...s.args])).code).toBe(1);
    expect(existsSync(s.keyFile)).toBe(false);
    const again = await runCli(['init', ...s.args], { env: { IDCLOUD_MASTER_KEY: key } });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('nothing changed');
  });
});

describe('master key refusal on sqlite: the directory', { timeout: PROCESS_TEST_TIMEOUT }, () => {
  const stores: StoreUnderTest[] = [];
  afterEach(async () => {
    await killLiveChildren();
    for (const s of stores.splice(0)) await s.dispose();
  });

  // "Nothing was changed", says the message: that includes not leaving SQLite's -wal/-shm files
  // next to a database that had none (its read-only inspection of the WAL-mode database makes them).
  it('a refused start leaves no -wal/-shm files behind', async () => {
    const s = await createStoreUnderTest('sqlite');
    stores.push(s);
    expect((await runCli(['init', ...s.args])).code).toBe(0);
    renameSync(s.keyFile, `${s.root}/master.key.saved`);
    const before = listDir(s.dataDir);
    expect(before).toEqual(['bootstrap-credentials.json', 'idcloud.db']);
    const result = await runCli(['serve', '--port', '0', ...s.args]);
    expect(result.code).toBe(1);
    expect(listDir(s.dataDir)).toEqual(before);
  });
});
