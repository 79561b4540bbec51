// Which audit entries a query selects, on both engines: an application's, its customer's customer-level
// entries, or everything.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareStorage, type PreparedStorage } from '../../src/setup/storage.js';
import { appendAudit, customerTarget, listAudit } from '../../src/store/repositories/audit-log.js';
import { ENGINES } from '../helpers/engines.js';
import { createTestEnvironment, type TestEnvironment } from '../helpers/server.js';

const C1 = 'aaaaaaaa-1111-4111-8111-111111111111';
const C2 = 'bbbbbbbb-2222-4222-8222-222222222222';
const AT = '2026-01-01T00:00:00.000000Z';

describe.each(ENGINES)('audit log queries on %s', (engine) => {
  let env: TestEnvironment;
  let storage: PreparedStorage;
  beforeAll(async () => {
    env = await createTestEnvironment(engine);
    storage = await prepareStorage(env.config, {});
    const db = storage.store.db;
    for (const [customer, app] of [[C1, 'app1'], [C2, 'app2']] as const) {
      await db.insertInto('customers').values({ id: customer, name: customer, created_at: AT }).execute();
      await db.insertInto('applications').values({ id: app, customer_id: customer, name: app, created_at: AT }).execute();
    }
    const entry = (operation: string, applicationId: string | null, target: string) => appendAudit(db, { at: AT, applicationId, actorClientId: null, sourceAddress: null, operation, target, before: null, after: null });
    await entry('app1.change', 'app1', 'client-a');
    await entry('app2.change', 'app2', 'client-b');
    await entry('c1.policy', null, customerTarget(C1, 'token_policy:x'));
    await entry('c2.policy', null, customerTarget(C2, 'token_policy:y'));
    // Same text as C1's prefix but upper case: SQLite's LIKE would take it, an exact prefix does not.
    await entry('c1.upper', null, customerTarget(C1.toUpperCase(), 'token_policy:z'));
  });
  afterAll(async () => {
    await storage.store.close();
    await env.dispose();
  });

  const operations = async (q: Parameters<typeof listAudit>[1]): Promise<string[]> => (await listAudit(storage.store.db, q)).map((e) => e.operation);

  it('an application with its customer: its own entries and its customer-level ones, nobody else\'s', async () => {
    expect(await operations({ applicationId: 'app1', customerId: C1 })).toEqual(['app1.change', 'c1.policy']);
    expect(await operations({ applicationId: 'app2', customerId: C2 })).toEqual(['app2.change', 'c2.policy']);
  });

  it('an application alone, a customer alone, or everything', async () => {
    expect(await operations({ applicationId: 'app1' })).toEqual(['app1.change']);
    expect(await operations({ customerId: C2 })).toEqual(['c2.policy']);
    expect(await operations({})).toEqual(['app1.change', 'app2.change', 'c1.policy', 'c2.policy', 'c1.upper']);
  });
});
