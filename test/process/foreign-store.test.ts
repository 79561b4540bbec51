// A database idcloud did not make — garbage bytes, or someone else's tables — is refused untouched.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import SQLite from '../../src/store/sqlite-driver.js';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { ENGINES } from '../helpers/engines.js';
import {
  createStoreUnderTest,
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
  type StoreUnderTest,
} from './helpers.js';

const COMMANDS = [['serve'], ['init'], ['migrate']] as const;

describe('a corrupt SQLite file', { timeout: PROCESS_TEST_TIMEOUT }, () => {
  const stores: StoreUnderTest[] = [];
  afterEach(async () => {
    await killLiveChildren();
    for (const s of stores.splice(0)) await s.dispose();
  });

  it.each(COMMANDS)('%s: exit 1 with a clear message; the file is byte-identical; no -wal/-shm, no key file', async (command) => {
    const s = await createStoreUnderTest('sqlite');
    stores.push(s);
    mkdirSync(s.dataDir, { mode: 0o700 });
    // Not an SQLite header ("SQLite format 3\0"), then noise.
    writeFileSync(s.sqliteFile, Buffer.concat([Buffer.from('NOT SQLITE AT ALL'), randomBytes(64 * 1024)]), { mode: 0o600 });
    const hash = sha256File(s.sqliteFile);
    const port = await freePort();

    const result = await runCli([command, '--port', String(port), ...s.args]);

    expect(result.code, result.stderr).toBe(1);
    const line = expectOneErrorLine(result);
    expect(line).toContain(s.sqliteFile);
    expect(line).toMatch(/not a readable SQLite database/);
    expect(line).toMatch(/left untouched/);
    expect(sha256File(s.sqliteFile)).toBe(hash);
    expect(listDir(s.dataDir)).toEqual(['idcloud.db']);
    expect(await tryConnect(port)).toBe('refused');
  });
});

describe.each(ENGINES)('a %s database holding someone else\'s table', { timeout: PROCESS_TEST_TIMEOUT }, (engine) => {
  const stores: StoreUnderTest[] = [];
  afterEach(async () => {
    await killLiveChildren();
    for (const s of stores.splice(0)) await s.dispose();
  });

  async function foreignStore(): Promise<StoreUnderTest> {
    const s = await createStoreUnderTest(engine);
    stores.push(s);
    const ddl = 'create table orders (id integer primary key, item text not null, qty integer not null)';
    const rows = "insert into orders (id, item, qty) values (1, 'apples', 3), (2, 'pears', 5), (3, 'plums', 7)";
    if (engine === 'sqlite') {
      mkdirSync(s.dataDir, { mode: 0o700 });
      const conn = new SQLite(s.sqliteFile); // rollback journal: leaves no side files once closed
      conn.exec(ddl);
      conn.exec(rows);
      conn.close();
    } else {
      const client = new pg.Client({ connectionString: s.databaseUrl! });
      await client.connect();
      try {
        await client.query(ddl);
        await client.query(rows);
      } finally {
        await client.end();
      }
    }
    return s;
  }

  it.each(COMMANDS)('%s: refused with a clear message; the table and everything else untouched', async (command) => {
    const s = await foreignStore();
    const files = listDir(s.dataDir);
    const hash = engine === 'sqlite' ? sha256File(s.sqliteFile) : null;
    const before = await snapshotStore(s);
    expect(Object.keys(before)).toEqual(['orders']);
    expect(before.orders!.rows).toBe(3);
    const port = await freePort();

    const result = await runCli([command, '--port', String(port), ...s.args]);

    expect(result.code, result.stderr).toBe(1);
    const line = expectOneErrorLine(result);
    expect(line).toMatch(/holds tables that are not idcloud's \(orders\)/);
    expect(line).toMatch(/refusing/);
    if (hash !== null) expect(sha256File(s.sqliteFile)).toBe(hash);
    expect(listDir(s.dataDir)).toEqual(files); // no key file, no credentials, no -wal/-shm
    expect(await snapshotStore(s)).toEqual(before);
    const columns = await withStore(s, (query) =>
      engine === 'sqlite'
        ? query("select name from pragma_table_info('orders') order by cid")
        : query("select column_name as name from information_schema.columns where table_name = 'orders' order by ordinal_position"),
    );
    expect(columns.map((c) => c.name)).toEqual(['id', 'item', 'qty']);
    expect(await tryConnect(port)).toBe('refused');
  });
});
