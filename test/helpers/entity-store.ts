// Store-level tests of entity records: a migrated database of one engine with one entity type (and its
// indexes) in a customer and application of its own, without a server or a bootstrap.
import type { AttributeDefinition } from '../../src/domain/schema/attribute-definition.js';
import { prepareStorage, type PreparedStorage } from '../../src/setup/storage.js';
import type { Engine } from '../../src/store/database.js';
import { syncEntityIndexes } from '../../src/store/entity-indexes.js';
import { insertEntityType } from '../../src/store/repositories/entity-types.js';
import { createTestEnvironment } from './server.js';

export interface EntityStore {
  storage: PreparedStorage;
  typeId: number;
  dispose(): Promise<void>;
}

export async function entityStore(engine: Engine, attrDefs: AttributeDefinition[], now = '2026-01-01T00:00:00.000000Z'): Promise<EntityStore> {
  const env = await createTestEnvironment(engine);
  const storage = await prepareStorage(env.config, {});
  const db = storage.store.db;
  await db.insertInto('customers').values({ id: 'c', name: 'c', created_at: now }).execute();
  await db.insertInto('applications').values({ id: 'app', customer_id: 'c', name: 'app', created_at: now }).execute();
  const typeId = await insertEntityType(db, { applicationId: 'app', name: 'user', attrDefs, now });
  await syncEntityIndexes(db, engine, typeId, attrDefs);
  return {
    storage,
    typeId,
    dispose: async () => {
      await storage.store.close();
      await env.dispose();
    },
  };
}
