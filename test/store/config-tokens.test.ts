// Configuration tokens in the store and in ConfigAccess, on both engines: group-committed tokens are
// found by their key, compiled once, and the expired ones can be swept.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigAccess } from '../../src/services/config-access.js';
import { bootstrapIfEmpty } from '../../src/setup/bootstrap.js';
import { prepareStorage, type PreparedStorage } from '../../src/setup/storage.js';
import { toStoredTimestamp } from '../../src/store/clock.js';
import { deleteExpiredConfigTokens, findConfigToken } from '../../src/store/repositories/hosted-login.js';
import { ENGINES } from '../helpers/engines.js';
import { createTestEnvironment, type TestEnvironment } from '../helpers/server.js';

describe.each(ENGINES)('configuration tokens on %s', (engine) => {
  let env: TestEnvironment;
  let storage: PreparedStorage;
  let access: ConfigAccess;
  let owner: { customerId: string; clientId: string; tokenPolicyId: string };
  beforeAll(async () => {
    env = await createTestEnvironment(engine);
    storage = await prepareStorage(env.config, {});
    const result = await bootstrapIfEmpty(storage.store.db, storage.secretBox, { dataDir: env.dataDir });
    if (!result.created) throw new Error('not bootstrapped');
    const c = result.credentials;
    owner = { customerId: c.customer_id, clientId: c.configuration_client.client_id, tokenPolicyId: c.configuration_client.token_policy_id };
    access = new ConfigAccess(storage.store, storage.secretBox);
  });
  afterAll(async () => {
    await storage.store.close();
    await env.dispose();
  });

  const token = (expiresAt: Date, scopes = '.:config/**') => ({ ...owner, scopes, issuedAt: toStoredTimestamp(new Date(expiresAt.getTime() - 60_000)), expiresAt: toStoredTimestamp(expiresAt) });

  it('stores tokens saved concurrently and serves them with their scopes compiled', async () => {
    const inAnHour = new Date(Date.now() + 3_600_000);
    await Promise.all(['k1', 'k2', 'k3'].map((key, i) => access.saveToken(key, token(inAnHour, i === 0 ? '*:config/** -:config/clients' : '.:config/**'))));
    const found = await access.token('k1');
    expect(found?.stored.clientId).toBe(owner.clientId);
    expect(found?.expiresAtMs).toBe(Date.parse(toStoredTimestamp(inAnHour)));
    expect(found?.scopes.allows('GET', ['config', 'tokenPolicies'])).toBe(true);
    expect(found?.scopes.allows('GET', ['config', 'clients'])).toBe(false);
    expect(await access.token('k2')).not.toBeNull();
    expect(await access.token('unknown')).toBeNull();
  });

  it('sweeps expired tokens only', async () => {
    await access.saveToken('old', token(new Date(Date.now() - 1_000)));
    await access.saveToken('live', token(new Date(Date.now() + 3_600_000)));
    const deleted = await deleteExpiredConfigTokens(storage.store.db, toStoredTimestamp(new Date()));
    expect(deleted).toBe(1);
    expect(await findConfigToken(storage.store.db, 'old')).toBeNull();
    expect(await findConfigToken(storage.store.db, 'live')).not.toBeNull();
  });
});
