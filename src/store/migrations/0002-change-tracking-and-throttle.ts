import type { Kysely, Migration } from 'kysely';
import type { Engine } from '../database.js';

export const changeTrackingAndThrottle = (_engine: Engine): Migration => ({
  async up(db: Kysely<unknown>): Promise<void> {
    // One counter per cached kind of data; a write bumps it in its own transaction, and every
    // process polls the counters to drop stale cache entries.
    await db.schema
      .createTable('cache_epochs')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('epoch', 'bigint', (c) => c.notNull())
      .addColumn('changed_key', 'text')
      .execute();

    // Failed authentications per key (`client:<id>`, `address:<ip>`) in a fixed window.
    await db.schema
      .createTable('auth_throttle')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('window_start', 'text', (c) => c.notNull())
      .addColumn('failures', 'integer', (c) => c.notNull())
      .addColumn('blocked_until', 'text')
      .execute();
    await db.schema.createIndex('auth_throttle_blocked').on('auth_throttle').column('blocked_until').execute();
  },
});
