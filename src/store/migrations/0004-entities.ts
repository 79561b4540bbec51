import type { Kysely, Migration } from 'kysely';
import type { AttributeDefinition } from '../../domain/schema/attribute-definition.js';
import type { Engine } from '../database.js';
import { syncEntityIndexes } from '../entity-indexes.js';
import type { Database } from '../schema.js';
import { withIdentity } from './0001-initial.js';

export const entities = (engine: Engine): Migration => ({
  async up(db: Kysely<unknown>): Promise<void> {
    // Validation rules and password settings belong to the entity type: one aggregate, one row.
    await db.schema.alterTable('entity_types').addColumn('rules', 'text', (c) => c.notNull().defaultTo('[]')).execute();
    await db.schema.alterTable('entity_types').addColumn('password_settings', 'text', (c) => c.notNull().defaultTo('{}')).execute();

    // One row per record: the reserved attributes as columns, everything else one JSON document.
    // Unique and queryable attributes get expression indexes per entity type (src/store/entity-indexes.ts).
    await withIdentity(db.schema.createTable('entities'), engine)
      .addColumn('entity_type_id', 'bigint', (c) => c.notNull().references('entity_types.id').onDelete('cascade'))
      .addColumn('uuid', 'text', (c) => c.notNull().unique())
      .addColumn('created', 'text', (c) => c.notNull())
      .addColumn('last_updated', 'text', (c) => c.notNull())
      .addColumn('document', 'text', (c) => c.notNull())
      // Bumped by every write; writers check it so a concurrent write is never lost.
      .addColumn('revision', 'bigint', (c) => c.notNull().defaultTo(0))
      // Plural element ids are handed out per record from this counter, never reused.
      .addColumn('element_seq', 'bigint', (c) => c.notNull().defaultTo(0))
      // Earlier password hashes of the `password` attribute, newest first (entityType.setPasswordSettings).
      .addColumn('password_history', 'text')
      .execute();
    await db.schema.createIndex('entities_type_id').on('entities').columns(['entity_type_id', 'id']).execute();

    await db.schema
      .createTable('access_schemas')
      .addColumn('entity_type_id', 'bigint', (c) => c.notNull().references('entity_types.id').onDelete('cascade'))
      .addColumn('client_id', 'text', (c) => c.notNull().references('api_clients.client_id').onDelete('cascade'))
      .addColumn('access_type', 'text', (c) => c.notNull())
      .addColumn('attributes', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('access_schemas_pk', ['entity_type_id', 'client_id', 'access_type'])
      .execute();

    // Access tokens, refresh tokens and one-time codes for users; only a digest of each is kept.
    await db.schema
      .createTable('user_tokens')
      .addColumn('digest', 'text', (c) => c.primaryKey())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('application_id', 'text', (c) => c.notNull().references('applications.id'))
      .addColumn('entity_type_id', 'bigint', (c) => c.notNull().references('entity_types.id').onDelete('cascade'))
      .addColumn('entity_id', 'bigint', (c) => c.references('entities.id').onDelete('cascade'))
      .addColumn('client_id', 'text', (c) => c.notNull().references('api_clients.client_id').onDelete('cascade'))
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .addColumn('data', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('user_tokens_entity').on('user_tokens').column('entity_id').execute();
    await db.schema.createIndex('user_tokens_expires').on('user_tokens').column('expires_at').execute();

    // Entity types made before this migration get their unique and query indexes now.
    const typed = db as unknown as Kysely<Database>;
    for (const t of await typed.selectFrom('entity_types').select(['id', 'attr_defs']).execute()) {
      await syncEntityIndexes(typed, engine, Number(t.id), JSON.parse(t.attr_defs) as AttributeDefinition[]);
    }
  },
});
