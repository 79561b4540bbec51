// A search that runs past its deadline is stopped by the database, on both engines, and the
// connection is fine afterwards.
import { sql, type SqlBool } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PreparedStorage } from '../../src/setup/storage.js';
import { QueryTimeout } from '../../src/store/database.js';
import { countEntities, insertEntities, searchEntities } from '../../src/store/repositories/entities.js';
import { ENGINES } from '../helpers/engines.js';
import { entityStore, type EntityStore } from '../helpers/entity-store.js';

const NOW = '2026-01-01T00:00:00.000000Z';

describe.each(ENGINES)('search deadlines on %s', (engine) => {
  let es: EntityStore;
  let storage: PreparedStorage;
  let typeId = 0;
  beforeAll(async () => {
    es = await entityStore(engine, [], NOW);
    ({ storage, typeId } = es);
    const db = storage.store.db;
    // Enough rows that SQLite's sampled deadline check (about one row in 1024) surely runs.
    for (let start = 0; start < 20_000; start += 1000) {
      await insertEntities(db, typeId, Array.from({ length: 1000 }, () => ({ uuid: crypto.randomUUID(), created: NOW, lastUpdated: NOW, document: { n: 1 }, elementSeq: 0, passwordHistory: null })));
    }
  });
  afterAll(async () => {
    await es.dispose();
  });

  // On PostgreSQL a row-by-row sleep makes the query slow for certain; SQLite gets a deadline already past.
  const slow = engine === 'postgres' ? sql<SqlBool>`(select true from pg_sleep(0.001 * (entities.id - entities.id + 1)))` : null;

  it('stops a search at its deadline with QueryTimeout', async () => {
    const deadline = engine === 'postgres' ? Date.now() + 50 : Date.now() - 1;
    await expect(searchEntities(storage.store, { entityTypeId: typeId, condition: null, ...(slow ? { sqlCondition: slow } : {}), deadline })).rejects.toBeInstanceOf(QueryTimeout);
    await expect(countEntities(storage.store, { entityTypeId: typeId, condition: null, ...(slow ? { sqlCondition: slow } : {}), deadline })).rejects.toBeInstanceOf(QueryTimeout);
  });

  it('runs the same search to the end within its deadline, on a connection left in good order', async () => {
    expect(await countEntities(storage.store, { entityTypeId: typeId, condition: null, deadline: Date.now() + 30_000 })).toBe(20_000);
    const rows = await searchEntities(storage.store, { entityTypeId: typeId, condition: null, limit: 3, deadline: Date.now() + 30_000 });
    expect(rows).toHaveLength(3);
    // The timeout was local to its query: a slow statement outside searches is not cut short.
    if (engine === 'postgres') await sql`select pg_sleep(0.1)`.execute(storage.store.db);
  });

  it('searches with the longest timeout on sessions that stop statements by themselves (PostgreSQL)', async () => {
    // A search at the 60 s limit runs without a transaction of its own: its session's own limit applies.
    const rows = await searchEntities(storage.store, { entityTypeId: typeId, condition: null, limit: 2, deadline: Date.now() + 60_000 });
    expect(rows).toHaveLength(2);
    if (engine === 'postgres') {
      const show = async (db: typeof storage.store.db): Promise<string | undefined> => (await sql<{ statement_timeout: string }>`show statement_timeout`.execute(db)).rows[0]?.statement_timeout;
      expect(await show(storage.store.readDb)).toBe('1min');
      // Only the read sessions: everything else (migrations, bulk work) has no such limit.
      expect(await show(storage.store.db)).toBe('0');
    } else {
      expect(storage.store.readDb).toBe(storage.store.db);
    }
  });
});
