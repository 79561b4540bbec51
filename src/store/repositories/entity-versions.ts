// Earlier states of records and entity types (spec §3.10 /versions/entity, /versions/entityType):
// each write or delete files the state it ends, with the time it ended; the current state stays
// where it lives. "As of T" is the first filed state that ended after T, else the current one.
import type { Kysely } from 'kysely';
import type { AttributeDefinition } from '../../domain/schema/attribute-definition.js';
import type { Database } from '../schema.js';
import type { EntityRow } from './entities.js';

/** Files the state `row` had until `validTo` (stored timestamp), ended by a write or a delete. */
export async function fileEntityVersion(db: Kysely<Database>, row: EntityRow, validTo: string, endedBy: 'write' | 'delete'): Promise<void> {
  await fileEntityVersions(db, [row], validTo, endedBy);
}

export async function fileEntityVersions(db: Kysely<Database>, rows: readonly EntityRow[], validTo: string, endedBy: 'write' | 'delete'): Promise<void> {
  if (rows.length === 0) return;
  await db
    .insertInto('entity_versions')
    .values(rows.map((row) => ({
      entity_type_id: row.entityTypeId,
      entity_id: row.id,
      uuid: row.uuid,
      revision: row.revision,
      created: row.created,
      last_updated: row.lastUpdated,
      document: JSON.stringify(row.document),
      valid_to: validTo,
      ended_by: endedBy,
    })))
    .execute();
}

export interface FiledEntityVersion {
  row: EntityRow;
  endedBy: 'write' | 'delete';
}

/** The earliest filed state of a record that ended after `at`. */
export async function entityVersionAfter(db: Kysely<Database>, entityTypeId: number, key: { id: number } | { uuid: string }, at: string): Promise<FiledEntityVersion | null> {
  let q = db.selectFrom('entity_versions').selectAll().where('entity_type_id', '=', entityTypeId).where('valid_to', '>', at);
  q = 'id' in key ? q.where('entity_id', '=', key.id) : q.where('uuid', '=', key.uuid);
  const r = await q.orderBy('valid_to').orderBy('id').limit(1).executeTakeFirst();
  if (!r) return null;
  return {
    endedBy: r.ended_by,
    row: {
      id: Number(r.entity_id),
      entityTypeId: Number(r.entity_type_id),
      uuid: r.uuid,
      created: r.created,
      lastUpdated: r.last_updated,
      document: JSON.parse(r.document) as Record<string, unknown>,
      revision: Number(r.revision),
      elementSeq: 0,
      passwordHistory: [],
    },
  };
}

export async function fileEntityTypeVersion(db: Kysely<Database>, entityTypeId: number, state: { attrDefs: readonly AttributeDefinition[]; rules: unknown }, validTo: string): Promise<void> {
  await db.insertInto('entity_type_versions').values({ entity_type_id: entityTypeId, attr_defs: JSON.stringify(state.attrDefs), rules: JSON.stringify(state.rules), valid_to: validTo }).execute();
}

/** The earliest filed schema of an entity type that ended after `at`. */
export async function entityTypeVersionAfter(db: Kysely<Database>, entityTypeId: number, at: string): Promise<{ attrDefs: AttributeDefinition[] } | null> {
  const r = await db.selectFrom('entity_type_versions').select('attr_defs').where('entity_type_id', '=', entityTypeId).where('valid_to', '>', at).orderBy('valid_to').orderBy('id').limit(1).executeTakeFirst();
  return r ? { attrDefs: JSON.parse(r.attr_defs) as AttributeDefinition[] } : null;
}
