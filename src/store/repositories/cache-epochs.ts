import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema.js';

export type CachedKind = 'api_clients' | 'settings' | 'entity_types' | 'oidc_clients' | 'token_policies' | 'config_tokens';

/** Marks `kind` changed (inside the caller's transaction); `key` names what changed, if one thing did. */
export async function bumpEpoch(db: Kysely<Database>, kind: CachedKind, key: string | null): Promise<void> {
  await db
    .insertInto('cache_epochs')
    .values({ name: kind, epoch: 1, changed_key: key })
    .onConflict((oc) => oc.column('name').doUpdateSet({ epoch: sql<number>`cache_epochs.epoch + 1`, changed_key: key }))
    .execute();
}

export async function readEpochs(db: Kysely<Database>): Promise<{ name: string; epoch: number; changedKey: string | null }[]> {
  const rows = await db.selectFrom('cache_epochs').selectAll().execute();
  return rows.map((r) => ({ name: r.name, epoch: Number(r.epoch), changedKey: r.changed_key }));
}
