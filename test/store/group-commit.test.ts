// Group commit of rows that need not wait for the disk (configuration tokens), on both engines.
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareStorage, type PreparedStorage } from '../../src/setup/storage.js';
import { relaxedTransaction } from '../../src/store/database.js';
import { GroupCommit } from '../../src/store/group-commit.js';
import type { Database } from '../../src/store/schema.js';
import { ENGINES } from '../helpers/engines.js';
import { createTestEnvironment, type TestEnvironment } from '../helpers/server.js';

/** A table of the test's own, outside the application schema: plain SQL. */
const insertRows = (db: Kysely<Database>, ids: number[], note: string) => sql`insert into group_rows (id, note) values ${sql.join(ids.map((id) => sql`(${id}, ${note})`))}`.execute(db);

describe.each(ENGINES)('group commit on %s', (engine) => {
  let env: TestEnvironment;
  let storage: PreparedStorage;
  beforeAll(async () => {
    env = await createTestEnvironment(engine);
    storage = await prepareStorage(env.config, {});
    await sql`create table group_rows (id integer primary key, note text not null)`.execute(storage.store.db);
  });
  afterAll(async () => {
    await storage.store.close();
    await env.dispose();
  });

  const count = async (): Promise<number> => {
    const r = await sql<{ n: number | string }>`select count(*) as n from group_rows`.execute(storage.store.db);
    return Number(r.rows[0]?.n);
  };

  it('commits what concurrent callers add in a few transactions, and settles each caller after its commit', async () => {
    const batches: number[] = [];
    const writer = new GroupCommit<number>(storage.store, async (trx, ids) => {
      batches.push(ids.length);
      await insertRows(trx, ids, 'row');
    }, 40);
    const ids = Array.from({ length: 100 }, (_, i) => i + 1);
    await Promise.all(ids.map((id) => writer.add(id)));
    expect(await count()).toBe(100);
    expect(batches.reduce((a, b) => a + b, 0)).toBe(100);
    // 100 rows added in one turn of the event loop, at most 40 per transaction: three transactions.
    expect(batches).toEqual([40, 40, 20]);
  });

  it('rejects every caller of a failed batch and keeps none of its rows; the next batch goes on', async () => {
    const writer = new GroupCommit<number>(storage.store, async (trx, ids) => {
      await insertRows(trx, ids, 'again');
    });
    const before = await count();
    // 1000 is new, 1 exists already: the whole batch fails.
    const results = await Promise.allSettled([writer.add(1000), writer.add(1)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(await count()).toBe(before);
    await writer.add(1001);
    expect(await count()).toBe(before + 1);
  });

  it('leaves the connection as it found it: later transactions wait for the disk again', async () => {
    await relaxedTransaction(storage.store, async (trx) => {
      await insertRows(trx, [2000], 'relaxed');
    });
    if (engine === 'sqlite') {
      const r = await sql<{ synchronous: number }>`pragma synchronous`.execute(storage.store.db);
      expect(r.rows[0]?.synchronous).toBe(2); // FULL
    } else {
      const r = await sql<{ synchronous_commit: string }>`show synchronous_commit`.execute(storage.store.db);
      expect(r.rows[0]?.synchronous_commit).toBe('on');
    }
    // A failure inside restores it too.
    await expect(relaxedTransaction(storage.store, async () => Promise.reject(new Error('no')))).rejects.toThrow('no');
    if (engine === 'sqlite') {
      const r = await sql<{ synchronous: number }>`pragma synchronous`.execute(storage.store.db);
      expect(r.rows[0]?.synchronous).toBe(2);
    }
  });
});
