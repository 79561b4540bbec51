import type { Kysely } from 'kysely';
import type { AttributeDefinition } from '../../domain/schema/attribute-definition.js';
import type { Database } from '../schema.js';

export interface EntityType {
  id: number;
  applicationId: string;
  name: string;
  attrDefs: AttributeDefinition[];
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

export async function listEntityTypes(db: Kysely<Database>, applicationId: string): Promise<EntityType[]> {
  const rows = await db.selectFrom('entity_types').selectAll().where('application_id', '=', applicationId).orderBy('name').execute();
  return rows.map((r) => ({
    id: Number(r.id),
    applicationId: r.application_id,
    name: r.name,
    attrDefs: JSON.parse(r.attr_defs) as AttributeDefinition[],
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }));
}
