// SQLite rows reach Kysely as objects built from arrays (store/database.ts): the same rows the
// driver's own objects would be, for any column names, and still right after the schema changes
// under a statement that is already prepared and cached.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/database.js';
import SQLite from '../../src/store/sqlite-driver.js';

describe('SQLite rows built from arrays', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  let file = '';
  function store(): Store {
    const dir = mkdtempSync(join(tmpdir(), 'idcloud-rows-'));
    file = join(dir, 'rows.db');
    const s = openStore({ engine: 'sqlite', file });
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    cleanups.push(() => s.close());
    return s;
  }

  it('keeps every column name as a plain own key, in order, whatever it is called', async () => {
    const { db } = store();
    const { rows } = await sql<Record<string, unknown>>`select 1 as "a", 'x' as "b""c", null as "__proto__", 2.5 as "}; throw 1; ({", x'00ff' as "bin"`.execute(db);
    expect(rows).toHaveLength(1);
    const row = rows[0] as Record<string, unknown>;
    expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
    expect(Object.keys(row)).toEqual(['a', 'b"c', '__proto__', '}; throw 1; ({', 'bin']);
    expect(Object.getOwnPropertyDescriptor(row, '__proto__')?.value).toBeNull();
    expect(row).toMatchObject({ a: 1, 'b"c': 'x', '}; throw 1; ({': 2.5 });
    expect(Buffer.from(row.bin as Uint8Array)).toEqual(Buffer.from([0, 255]));
  });

  it('a duplicated column name keeps the last value, as the driver does', async () => {
    const { db } = store();
    const { rows } = await sql<Record<string, unknown>>`select 1 as "n", 2 as "n"`.execute(db);
    expect(rows).toEqual([{ n: 2 }]);
  });

  /** A table of one row, read once through a `select *` that the store then keeps prepared. */
  async function cachedSelectAll(): Promise<{ db: Store['db']; all: () => Promise<unknown[]> }> {
    const { db } = store();
    await sql`create table t (a integer)`.execute(db);
    await sql`insert into t values (1)`.execute(db);
    const all = () => db.selectFrom('t' as never).selectAll().execute();
    expect(await all()).toEqual([{ a: 1 }]);
    return { db, all };
  }

  it('a cached select * answers the new columns after a column is added', async () => {
    const { db, all } = await cachedSelectAll();
    await sql`alter table t add column b text default 'z'`.execute(db);
    expect(await all()).toEqual([{ a: 1, b: 'z' }]);
  });

  it('a cached select * answers the new columns after another connection adds one', async () => {
    const { all } = await cachedSelectAll();
    const other = new SQLite(file);
    other.exec(`alter table t add column b text default 'z'`);
    other.close();
    expect(await all()).toEqual([{ a: 1, b: 'z' }]);
  });

  it('streams rows as objects too', async () => {
    const { db } = store();
    await sql`create table t (v integer)`.execute(db);
    await sql`insert into t values (1), (2), (3)`.execute(db);
    const seen: unknown[] = [];
    for await (const row of db.selectFrom('t' as never).selectAll().orderBy('v' as never).stream()) seen.push(row);
    expect(seen).toEqual([{ v: 1 }, { v: 2 }, { v: 3 }]);
  });
});
