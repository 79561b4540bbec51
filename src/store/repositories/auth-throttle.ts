// Failed-authentication counters in fixed windows, shared by every process on the database.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema.js';

export interface ThrottlePolicy {
  /** failures allowed per key within one window before the key is blocked */
  limit: number;
  windowStart: string;
  /** where a new window starts if the stored one began before `windowStart` */
  now: string;
  blockedUntil: string;
}

/** Counts one failure for `key`; returns the key's `blocked_until` if it is now blocked. */
export async function recordAuthFailure(db: Kysely<Database>, key: string, policy: ThrottlePolicy): Promise<string | null> {
  await db
    .insertInto('auth_throttle')
    .values({ key, window_start: policy.now, failures: 1, blocked_until: null })
    .onConflict((oc) =>
      oc.column('key').doUpdateSet({
        failures: sql<number>`case when auth_throttle.window_start < ${policy.windowStart} then 1 else auth_throttle.failures + 1 end`,
        window_start: sql<string>`case when auth_throttle.window_start < ${policy.windowStart} then ${policy.now} else auth_throttle.window_start end`,
      }),
    )
    .execute();
  const row = await db
    .updateTable('auth_throttle')
    .set({ blocked_until: policy.blockedUntil })
    .where('key', '=', key)
    .where('failures', '>=', policy.limit)
    .where((eb) => eb.or([eb('blocked_until', 'is', null), eb('blocked_until', '<', policy.now)]))
    .returning('blocked_until')
    .executeTakeFirst();
  return row?.blocked_until ?? null;
}

export async function listBlockedKeys(db: Kysely<Database>, now: string): Promise<{ key: string; blockedUntil: string }[]> {
  const rows = await db.selectFrom('auth_throttle').select(['key', 'blocked_until']).where('blocked_until', '>', now).execute();
  return rows.map((r) => ({ key: r.key, blockedUntil: r.blocked_until ?? now }));
}

export async function pruneAuthThrottle(db: Kysely<Database>, olderThan: string): Promise<void> {
  await db
    .deleteFrom('auth_throttle')
    .where('window_start', '<', olderThan)
    .where((eb) => eb.or([eb('blocked_until', 'is', null), eb('blocked_until', '<', olderThan)]))
    .execute();
}
