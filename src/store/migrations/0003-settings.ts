import type { Kysely, Migration } from 'kysely';
import type { Engine } from '../database.js';

export const settings = (_engine: Engine): Migration => ({
  async up(db: Kysely<unknown>): Promise<void> {
    // One row per scope: the application's (scope '') and each client's (scope = client id).
    await db.schema
      .createTable('settings')
      .addColumn('application_id', 'text', (c) => c.notNull().references('applications.id'))
      .addColumn('scope', 'text', (c) => c.notNull())
      .addColumn('document', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('settings_pk', ['application_id', 'scope'])
      .execute();
  },
});
