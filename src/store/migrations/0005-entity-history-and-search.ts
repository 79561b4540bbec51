import { sql, type Kysely, type Migration } from 'kysely';
import type { AttributeDefinition } from '../../domain/schema/attribute-definition.js';
import type { Engine } from '../database.js';
import { syncEntityIndexes } from '../entity-indexes.js';
import type { Database } from '../schema.js';
import { withIdentity } from './0001-initial.js';

export const entityHistoryAndSearch = (engine: Engine): Migration => ({
  async up(db: Kysely<unknown>): Promise<void> {
    // Earlier states of records (spec §3.10 /versions/entity): each row is a state that ended at
    // `valid_to`, replaced by a write or ended by a delete. The current state stays in `entities`.
    await withIdentity(db.schema.createTable('entity_versions'), engine)
      .addColumn('entity_type_id', 'bigint', (c) => c.notNull().references('entity_types.id').onDelete('cascade'))
      .addColumn('entity_id', 'bigint', (c) => c.notNull())
      .addColumn('uuid', 'text', (c) => c.notNull())
      .addColumn('revision', 'bigint', (c) => c.notNull())
      .addColumn('created', 'text', (c) => c.notNull())
      .addColumn('last_updated', 'text', (c) => c.notNull())
      .addColumn('document', 'text', (c) => c.notNull())
      .addColumn('valid_to', 'text', (c) => c.notNull())
      .addColumn('ended_by', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('entity_versions_by_id').on('entity_versions').columns(['entity_type_id', 'entity_id', 'valid_to']).execute();
    await db.schema.createIndex('entity_versions_by_uuid').on('entity_versions').columns(['uuid', 'valid_to']).execute();

    // Earlier schemas of entity types (spec §3.10 /versions/entityType), the same way.
    await withIdentity(db.schema.createTable('entity_type_versions'), engine)
      .addColumn('entity_type_id', 'bigint', (c) => c.notNull().references('entity_types.id').onDelete('cascade'))
      .addColumn('attr_defs', 'text', (c) => c.notNull())
      .addColumn('rules', 'text', (c) => c.notNull())
      .addColumn('valid_to', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('entity_type_versions_by_type').on('entity_type_versions').columns(['entity_type_id', 'valid_to']).execute();

    // Filters and sorting on created / lastUpdated; in code point order on PostgreSQL, as compared.
    const collate = engine === 'postgres' ? ' collate "C"' : '';
    await sql.raw(`create index entities_type_created on entities (entity_type_id, created${collate})`).execute(db);
    await sql.raw(`create index entities_type_last_updated on entities (entity_type_id, last_updated${collate})`).execute(db);

    // Attribute indexes now hold typed expressions (entity-indexes.ts); rebuild them under their new names.
    const typed = db as unknown as Kysely<Database>;
    for (const t of await typed.selectFrom('entity_types').select(['id', 'attr_defs']).execute()) {
      await syncEntityIndexes(typed, engine, Number(t.id), JSON.parse(t.attr_defs) as AttributeDefinition[]);
    }
  },
});
