// Access schemas: per entity type, API client and access type, the attribute paths allowed.
import type { Kysely } from 'kysely';
import type { AccessType } from '../../domain/access-schema.js';
import type { Database } from '../schema.js';

export async function readAccessSchemas(db: Kysely<Database>, entityTypeId: number, clientId: string): Promise<Map<AccessType, string[]>> {
  const rows = await db.selectFrom('access_schemas').select(['access_type', 'attributes']).where('entity_type_id', '=', entityTypeId).where('client_id', '=', clientId).execute();
  return new Map(rows.map((r) => [r.access_type as AccessType, JSON.parse(r.attributes) as string[]]));
}

export async function writeAccessSchema(db: Kysely<Database>, entityTypeId: number, clientId: string, accessType: AccessType, paths: string[], now: string): Promise<void> {
  await db
    .insertInto('access_schemas')
    .values({ entity_type_id: entityTypeId, client_id: clientId, access_type: accessType, attributes: JSON.stringify(paths), updated_at: now })
    .onConflict((oc) => oc.columns(['entity_type_id', 'client_id', 'access_type']).doUpdateSet({ attributes: JSON.stringify(paths), updated_at: now }))
    .execute();
}

export async function deleteAccessSchema(db: Kysely<Database>, entityTypeId: number, clientId: string, accessType: AccessType): Promise<boolean> {
  const r = await db.deleteFrom('access_schemas').where('entity_type_id', '=', entityTypeId).where('client_id', '=', clientId).where('access_type', '=', accessType).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** Every access schema of a type, for rewriting paths when an attribute is removed or renamed. */
export async function listAccessSchemasOfType(db: Kysely<Database>, entityTypeId: number): Promise<{ clientId: string; accessType: AccessType; paths: string[] }[]> {
  const rows = await db.selectFrom('access_schemas').select(['client_id', 'access_type', 'attributes']).where('entity_type_id', '=', entityTypeId).execute();
  return rows.map((r) => ({ clientId: r.client_id, accessType: r.access_type as AccessType, paths: JSON.parse(r.attributes) as string[] }));
}
