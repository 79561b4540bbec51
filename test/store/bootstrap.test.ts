import { readFileSync, statSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { bootstrapIfEmpty, BootstrapError, checkSeededOwner, credentialsFile, type BootstrapCredentials } from '../../src/setup/bootstrap.js';
import { MASTER_KEY_CHECK_CONTEXT, MASTER_KEY_CHECK_PLAINTEXT, prepareStorage, type PreparedStorage } from '../../src/setup/storage.js';
import { findApiClient, listClientSecrets } from '../../src/store/repositories/api-clients.js';
import { listAudit } from '../../src/store/repositories/audit-log.js';
import { listEntityTypes } from '../../src/store/repositories/entity-types.js';
import { getMasterKeyCheck } from '../../src/store/repositories/meta.js';
import { countCustomers, listApplications } from '../../src/store/repositories/tenancy.js';
import { ENGINES } from '../helpers/engines.js';
import { createTestEnvironment, type TestEnvironment } from '../helpers/server.js';

describe.each(ENGINES)('first-start bootstrap on %s', (engine) => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function prepared(): Promise<{ env: TestEnvironment; storage: PreparedStorage }> {
    const env = await createTestEnvironment(engine);
    cleanups.push(() => env.dispose());
    const storage = await prepareStorage(env.config, {});
    cleanups.push(() => storage.store.close());
    return { env, storage };
  }

  it('creates one customer, one application, the user entity type and two API clients in one go', async () => {
    const { env, storage } = await prepared();
    const result = await bootstrapIfEmpty(storage.store.db, storage.secretBox, { dataDir: env.dataDir });
    expect(result.created).toBe(true);
    if (!result.created) return;
    const { credentials } = result;
    const db = storage.store.db;

    expect(await countCustomers(db)).toBe(1);
    expect(credentials.customer_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const apps = await listApplications(db);
    expect(apps.map((a) => a.id)).toEqual([credentials.application_id]);
    expect(credentials.application_id).toMatch(/^[a-z0-9]{26}$/);

    const types = await listEntityTypes(db, credentials.application_id);
    expect(types.map((t) => t.name)).toEqual(['user']);
    const attrs = types[0]!.attrDefs;
    const names = attrs.map((a) => a.name);
    expect(names).toEqual(expect.arrayContaining(['id', 'uuid', 'created', 'lastUpdated', 'email', 'givenName', 'familyName', 'displayName', 'password', 'birthday', 'primaryAddress']));
    expect(attrs.find((a) => a.name === 'email')?.constraints).toContain('unique');
    expect(attrs.find((a) => a.name === 'password')?.type).toBe('password');
    expect(attrs.find((a) => a.name === 'primaryAddress')?.attr_defs?.length).toBeGreaterThan(0);

    const owner = await findApiClient(db, credentials.clients.owner.client_id);
    const login = await findApiClient(db, credentials.clients.login.client_id);
    expect(owner?.features).toEqual(['owner']);
    expect(login?.features).toEqual(['login_client']);
    expect(owner?.whitelist).toEqual(['0.0.0.0/0']);
    expect(owner?.applicationId).toBe(credentials.application_id);
    for (const c of [credentials.clients.owner, credentials.clients.login]) {
      expect(c.client_id).toMatch(/^[a-z0-9]{32}$/);
      expect(c.client_secret).toMatch(/^[a-z0-9]{32}$/);
    }
  });

  it('stores client secrets sealed, never in plaintext, and they open to the issued secret', async () => {
    const { env, storage } = await prepared();
    const result = await bootstrapIfEmpty(storage.store.db, storage.secretBox, { dataDir: env.dataDir });
    if (!result.created) throw new Error('expected a bootstrap');
    const owner = result.credentials.clients.owner;
    const secrets = await listClientSecrets(storage.store.db, owner.client_id);
    expect(secrets).toHaveLength(1);
    expect(secrets[0]!.expiresAt).toBeNull();
    expect(secrets[0]!.sealed.ciphertext).not.toContain(owner.client_secret);
    expect(storage.secretBox.open(secrets[0]!.sealed, `api_client:${owner.client_id}`)).toBe(owner.client_secret);
    // A sealed secret cannot be moved to another client's row.
    expect(() => storage.secretBox.open(secrets[0]!.sealed, `api_client:${result.credentials.clients.login.client_id}`)).toThrow();

    const dump = JSON.stringify(await storage.store.db.selectFrom('api_client_secrets').selectAll().execute()) +
      JSON.stringify(await listAudit(storage.store.db, result.credentials.application_id));
    expect(dump).not.toContain(owner.client_secret);
    expect(dump).not.toContain(result.credentials.clients.login.client_secret);
  });

  it('writes the credentials file once, mode 0600, matching the database', async () => {
    const { env, storage } = await prepared();
    const result = await bootstrapIfEmpty(storage.store.db, storage.secretBox, { dataDir: env.dataDir });
    if (!result.created) throw new Error('expected a bootstrap');
    const file = credentialsFile(env.dataDir);
    expect(result.file).toBe(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const onDisk = JSON.parse(readFileSync(file, 'utf8')) as BootstrapCredentials;
    expect(onDisk).toEqual(result.credentials);
  });

  it('records the master key check, which opens with the key in use', async () => {
    const { env, storage } = await prepared();
    await bootstrapIfEmpty(storage.store.db, storage.secretBox, { dataDir: env.dataDir });
    const check = await getMasterKeyCheck(storage.store.db);
    expect(check?.keyId).toBe(storage.secretBox.activeKeyId);
    expect(storage.secretBox.open(check!, MASTER_KEY_CHECK_CONTEXT)).toBe(MASTER_KEY_CHECK_PLAINTEXT);
  });

  it('audits what it created, without secrets', async () => {
    const { env, storage } = await prepared();
    const result = await bootstrapIfEmpty(storage.store.db, storage.secretBox, { dataDir: env.dataDir });
    if (!result.created) throw new Error('expected a bootstrap');
    const audit = await listAudit(storage.store.db, result.credentials.application_id);
    expect(audit.map((e) => e.operation).sort()).toEqual(['bootstrap.application_created', 'bootstrap.client_created', 'bootstrap.client_created']);
    expect(audit.filter((e) => e.operation === 'bootstrap.client_created').map((e) => e.target).sort()).toEqual(
      [result.credentials.clients.owner.client_id, result.credentials.clients.login.client_id].sort(),
    );
  });

  it('a second bootstrap changes nothing, not even the credentials file', async () => {
    const { env, storage } = await prepared();
    await bootstrapIfEmpty(storage.store.db, storage.secretBox, { dataDir: env.dataDir });
    const fileBefore = readFileSync(credentialsFile(env.dataDir), 'utf8');
    const clientsBefore = await storage.store.db.selectFrom('api_clients').selectAll().orderBy('client_id').execute();
    const again = await bootstrapIfEmpty(storage.store.db, storage.secretBox, { dataDir: env.dataDir, seededOwner: { clientId: 'another-owner-id', clientSecret: 'another-owner-secret-123' } });
    expect(again.created).toBe(false);
    expect(readFileSync(credentialsFile(env.dataDir), 'utf8')).toBe(fileBefore);
    expect(await storage.store.db.selectFrom('api_clients').selectAll().orderBy('client_id').execute()).toEqual(clientsBefore);
    expect(await countCustomers(storage.store.db)).toBe(1);
  });

  it('concurrent first starts on one database bootstrap exactly once', async () => {
    const { env, storage } = await prepared();
    const second = await prepareStorage(env.config, { IDCLOUD_MASTER_KEY: storage.masterKey.key.toString('base64') });
    cleanups.push(() => second.store.close());
    const results = await Promise.allSettled([
      bootstrapIfEmpty(storage.store.db, storage.secretBox, { dataDir: env.dataDir }),
      bootstrapIfEmpty(second.store.db, second.secretBox, { dataDir: env.dataDir }),
    ]);
    const created = results.filter((r) => r.status === 'fulfilled' && r.value.created);
    expect(created).toHaveLength(1);
    // The loser either saw the marker (not created) or lost the write race with an error; never a second tenant.
    expect(await countCustomers(storage.store.db)).toBe(1);
    expect(await storage.store.db.selectFrom('api_clients').select('client_id').execute()).toHaveLength(2);
  });

  it('seeds the owner client with the given credentials', async () => {
    const { env, storage } = await prepared();
    const seededOwner = { clientId: 'seeded-owner-client', clientSecret: 'a-seeded-secret-of-some-length' };
    const result = await bootstrapIfEmpty(storage.store.db, storage.secretBox, { dataDir: env.dataDir, seededOwner });
    if (!result.created) throw new Error('expected a bootstrap');
    expect(result.credentials.clients.owner.client_id).toBe(seededOwner.clientId);
    const [secret] = await listClientSecrets(storage.store.db, seededOwner.clientId);
    expect(storage.secretBox.open(secret!.sealed, `api_client:${seededOwner.clientId}`)).toBe(seededOwner.clientSecret);
  });

  it('refuses malformed seeded credentials before writing anything', async () => {
    const { env, storage } = await prepared();
    await expect(bootstrapIfEmpty(storage.store.db, storage.secretBox, { dataDir: env.dataDir, seededOwner: { clientId: 'short', clientSecret: 'a-seeded-secret-of-some-length' } })).rejects.toThrow(BootstrapError);
    expect(await countCustomers(storage.store.db)).toBe(0);
  });

  it('rolls back everything when writing the credentials file fails', async () => {
    const { storage } = await prepared();
    // A directory cannot be created under a regular file.
    const impossible = '/dev/null/not-a-dir';
    await expect(bootstrapIfEmpty(storage.store.db, storage.secretBox, { dataDir: impossible })).rejects.toThrow();
    expect(await countCustomers(storage.store.db)).toBe(0);
    expect(await storage.store.db.selectFrom('api_clients').select('client_id').execute()).toHaveLength(0);
    expect(await storage.store.db.selectFrom('idcloud_meta').selectAll().execute()).toEqual([]);
  });
});

describe('seeded credential rules', () => {
  it('requires id and secret together', () => {
    expect(() => checkSeededOwner({ clientId: 'abcdefgh' })).toThrow(BootstrapError);
    expect(() => checkSeededOwner({ clientSecret: 'abcdefghijklmnopq' })).toThrow(BootstrapError);
  });
  it('accepts well-formed pairs and nothing', () => {
    expect(() => checkSeededOwner({})).not.toThrow();
    expect(() => checkSeededOwner({ clientId: 'abc.DEF_12-3', clientSecret: 'S3cret!with#symbols' })).not.toThrow();
  });
  it('refuses secrets with spaces or too short', () => {
    expect(() => checkSeededOwner({ clientId: 'abcdefgh', clientSecret: 'has a space in it!!' })).toThrow(BootstrapError);
    expect(() => checkSeededOwner({ clientId: 'abcdefgh', clientSecret: 'short' })).toThrow(BootstrapError);
  });
});
