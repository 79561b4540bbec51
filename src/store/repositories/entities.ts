// Entity records: one row each, the reserved attributes as columns and the rest as a JSON document.
import { sql, type Kysely } from 'kysely';
import type { Engine } from '../database.js';
import { attributeExpression, expressionValue } from '../entity-indexes.js';
import type { Database } from '../schema.js';

export interface EntityRow {
  id: number;
  entityTypeId: number;
  uuid: string;
  /** stored-timestamp form */
  created: string;
  lastUpdated: string;
  document: Record<string, unknown>;
  revision: number;
  elementSeq: number;
  passwordHistory: string[];
}

/** How a caller names one record (spec §0 "Record selector"). */
export type EntitySelector =
  | { by: 'id'; id: number }
  | { by: 'uuid'; uuid: string }
  | { by: 'attribute'; names: string[]; value: string | number | boolean; caseInsensitive: boolean };

interface Row {
  id: number;
  entity_type_id: number;
  uuid: string;
  created: string;
  last_updated: string;
  document: string;
  revision: number;
  element_seq: number;
  password_history: string | null;
}

function toEntity(r: Row): EntityRow {
  return {
    id: Number(r.id),
    entityTypeId: Number(r.entity_type_id),
    uuid: r.uuid,
    created: r.created,
    lastUpdated: r.last_updated,
    document: JSON.parse(r.document) as Record<string, unknown>,
    revision: Number(r.revision),
    elementSeq: Number(r.element_seq),
    passwordHistory: r.password_history === null ? [] : (JSON.parse(r.password_history) as string[]),
  };
}

/** `forUpdate`: lock the row until the transaction ends (PostgreSQL; SQLite runs one writer at a time). */
export async function findEntity(db: Kysely<Database>, engine: Engine, entityTypeId: number, selector: EntitySelector, forUpdate = false): Promise<EntityRow | null> {
  // The type id is a literal so that SQLite and PostgreSQL can use the per-type partial indexes.
  let q = db.selectFrom('entities').selectAll().where(sql<boolean>`entity_type_id = ${sql.lit(entityTypeId)}`);
  if (selector.by === 'id') q = q.where('id', '=', selector.id);
  else if (selector.by === 'uuid') q = q.where('uuid', '=', selector.uuid);
  else q = q.where(attributeExpression(engine, selector.names, selector.caseInsensitive), '=', expressionValue(engine, selector.value, selector.caseInsensitive));
  if (forUpdate && engine === 'postgres') q = q.forUpdate();
  // Every selector names a unique column or index; a bound LIMIT would double SQLite's cost of this query.
  const row = await q.executeTakeFirst();
  return row ? toEntity(row) : null;
}

export async function insertEntity(
  db: Kysely<Database>,
  input: { entityTypeId: number; uuid: string; now: string; document: Record<string, unknown>; elementSeq: number; passwordHistory: string[] | null },
): Promise<number> {
  const row = await db
    .insertInto('entities')
    .values({
      entity_type_id: input.entityTypeId,
      uuid: input.uuid,
      created: input.now,
      last_updated: input.now,
      document: JSON.stringify(input.document),
      element_seq: input.elementSeq,
      password_history: input.passwordHistory === null ? null : JSON.stringify(input.passwordHistory),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

/**
 * Writes a record's new state if it still is the revision the writer read: true when written, false
 * when another writer got there first.
 */
export async function updateEntity(
  db: Kysely<Database>,
  id: number,
  expectedRevision: number,
  next: { lastUpdated: string; document: Record<string, unknown>; elementSeq: number; passwordHistory: string[] | null },
): Promise<boolean> {
  const result = await db
    .updateTable('entities')
    .set({
      last_updated: next.lastUpdated,
      document: JSON.stringify(next.document),
      element_seq: next.elementSeq,
      revision: expectedRevision + 1,
      password_history: next.passwordHistory === null ? null : JSON.stringify(next.passwordHistory),
    })
    .where('id', '=', id)
    .where('revision', '=', expectedRevision)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function deleteEntity(db: Kysely<Database>, id: number): Promise<boolean> {
  const result = await db.deleteFrom('entities').where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}

/** Records of a type in id order, a page at a time (for schema changes that rewrite documents). */
export async function entityPage(db: Kysely<Database>, entityTypeId: number, afterId: number, limit: number): Promise<EntityRow[]> {
  const rows = await db.selectFrom('entities').selectAll().where('entity_type_id', '=', entityTypeId).where('id', '>', afterId).orderBy('id').limit(limit).execute();
  return rows.map(toEntity);
}

/** Replaces a record's document without touching its version (schema changes are not record writes). */
export async function rewriteDocument(db: Kysely<Database>, id: number, document: Record<string, unknown>): Promise<void> {
  // A new revision, so that a record write computed from the old document starts again.
  await db.updateTable('entities').set((eb) => ({ document: JSON.stringify(document), revision: eb('revision', '+', 1) })).where('id', '=', id).execute();
}
