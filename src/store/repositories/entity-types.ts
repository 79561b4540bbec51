import type { Kysely } from 'kysely';
import type { AttributeDefinition } from '../../domain/schema/attribute-definition.js';
import type { Engine } from '../database.js';
import type { Database } from '../schema.js';

/** A validation rule as stored and as /entityType.rules returns it. */
export interface StoredRule {
  uuid: string;
  attributes: string[];
  definition: unknown;
  description: string;
}

export interface PasswordSettings {
  historySize: number;
}

export interface EntityType {
  id: number;
  applicationId: string;
  name: string;
  attrDefs: AttributeDefinition[];
  rules: StoredRule[];
  passwordSettings: PasswordSettings;
  createdAt: string;
  updatedAt: string;
}

export async function insertEntityType(
  db: Kysely<Database>,
  input: { applicationId: string; name: string; attrDefs: AttributeDefinition[]; now: string },
): Promise<number> {
  const row = await db
    .insertInto('entity_types')
    .values({ application_id: input.applicationId, name: input.name, attr_defs: JSON.stringify(input.attrDefs), created_at: input.now, updated_at: input.now })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

type Row = { id: number; application_id: string; name: string; attr_defs: string; rules: string; password_settings: string; created_at: string; updated_at: string };

function toEntityType(r: Row): EntityType {
  const settings = JSON.parse(r.password_settings) as Partial<PasswordSettings>;
  return {
    id: Number(r.id),
    applicationId: r.application_id,
    name: r.name,
    attrDefs: JSON.parse(r.attr_defs) as AttributeDefinition[],
    rules: JSON.parse(r.rules) as StoredRule[],
    passwordSettings: { historySize: settings.historySize ?? 0 },
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export async function listEntityTypes(db: Kysely<Database>, applicationId: string): Promise<EntityType[]> {
  const rows = await db.selectFrom('entity_types').selectAll().where('application_id', '=', applicationId).orderBy('name').execute();
  return rows.map(toEntityType);
}

export async function findEntityType(db: Kysely<Database>, applicationId: string, name: string): Promise<EntityType | null> {
  const row = await db.selectFrom('entity_types').selectAll().where('application_id', '=', applicationId).where('name', '=', name).executeTakeFirst();
  return row ? toEntityType(row) : null;
}

export async function updateEntityType(
  db: Kysely<Database>,
  id: number,
  change: { attrDefs?: AttributeDefinition[]; rules?: StoredRule[]; passwordSettings?: PasswordSettings; now: string },
): Promise<void> {
  await db
    .updateTable('entity_types')
    .set({
      updated_at: change.now,
      ...(change.attrDefs ? { attr_defs: JSON.stringify(change.attrDefs) } : {}),
      ...(change.rules ? { rules: JSON.stringify(change.rules) } : {}),
      ...(change.passwordSettings ? { password_settings: JSON.stringify(change.passwordSettings) } : {}),
    })
    .where('id', '=', id)
    .execute();
}

/**
 * The type's `updated_at`, read with a row lock on PostgreSQL: `share` for record writes (which may
 * run side by side), `update` for schema changes (which then wait for those writes and block new
 * ones). SQLite runs one write transaction at a time, so a plain read is enough there.
 */
export async function lockEntityType(db: Kysely<Database>, engine: Engine, id: number, mode: 'share' | 'update'): Promise<string | null> {
  let q = db.selectFrom('entity_types').select('updated_at').where('id', '=', id);
  if (engine === 'postgres') q = mode === 'share' ? q.forShare() : q.forUpdate();
  const row = await q.executeTakeFirst();
  return row?.updated_at ?? null;
}

export async function deleteEntityType(db: Kysely<Database>, id: number): Promise<void> {
  await db.deleteFrom('entity_types').where('id', '=', id).execute();
}
