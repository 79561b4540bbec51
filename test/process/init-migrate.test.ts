// `idcloud init` and `idcloud migrate` as an operator runs them.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MIGRATION_NAMES } from '../../src/store/migrations/index.js';
import { ENGINES } from '../helpers/engines.js';
import {
  bootstrapRowCount,
  expectBootstrapped,
  listDir,
  PROCESS_TEST_TIMEOUT,
  readBootstrapView,
  runCli,
  sha256File,
  snapshotStore,
  useFreshStores,
} from './helpers.js';

describe.each(ENGINES)('init and migrate on %s', { timeout: PROCESS_TEST_TIMEOUT }, (engine) => {
  const fresh = useFreshStores(engine);

  it('init bootstraps an empty store and says where the credentials are, without printing them', async () => {
    const s = await fresh();
    const result = await runCli(['init', ...s.args]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
    const creds = await expectBootstrapped(s);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(new RegExp(`^initialized .*: application ${creds.application_id}$`));
    expect(lines[1]).toBe(`API client credentials written to ${s.credentialsFile} (mode 0600)`);
    expect(result.stdout).not.toContain(creds.clients.owner.client_secret);
    expect(result.stdout).not.toContain(creds.clients.login.client_secret);
  });

  it('init --owner-client-id/--owner-client-secret seeds the owner client', async () => {
    const s = await fresh();
    const owner = { id: 'seeded-owner.client_01', secret: 'Seeded!Secret#0123456789~xyz' };
    const result = await runCli(['init', ...s.args, '--owner-client-id', owner.id, '--owner-client-secret', owner.secret]);
    expect(result.code, result.stderr).toBe(0);
    const creds = await expectBootstrapped(s); // also opens the sealed secret with the master key
    expect(creds.clients.owner.client_id).toBe(owner.id);
    expect(creds.clients.owner.client_secret).toBe(owner.secret);
    expect(creds.clients.login.client_id).not.toBe(owner.id);
    expect(result.stdout).not.toContain(owner.secret);
  });

  it('init seeds the owner client from IDCLOUD_OWNER_CLIENT_ID/_SECRET too', async () => {
    const s = await fresh();
    const owner = { id: 'env-seeded-owner', secret: 'EnvSeededSecret-0123456789' };
    const result = await runCli(['init', ...s.args], { env: { IDCLOUD_OWNER_CLIENT_ID: owner.id, IDCLOUD_OWNER_CLIENT_SECRET: owner.secret } });
    expect(result.code, result.stderr).toBe(0);
    const creds = await expectBootstrapped(s);
    expect(creds.clients.owner).toMatchObject({ client_id: owner.id, client_secret: owner.secret });
  });

  it('a second init says nothing changed, exits 0 and changes nothing', async () => {
    const s = await fresh();
    expect((await runCli(['init', ...s.args])).code).toBe(0);
    const files = listDir(s.dataDir);
    const credentials = readFileSync(s.credentialsFile);
    const key = readFileSync(s.keyFile);
    const dbHash = engine === 'sqlite' ? sha256File(s.sqliteFile) : null;
    const snapshot = await snapshotStore(s);

    // Seeds given now are not applied to an already bootstrapped store.
    const again = await runCli(['init', ...s.args, '--owner-client-id', 'another-owner-id', '--owner-client-secret', 'another-owner-secret-0123']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toBe('');
    expect(again.stdout).toMatch(/^.+ was initialized before; nothing changed\n$/);

    expect(listDir(s.dataDir)).toEqual(files);
    expect(readFileSync(s.credentialsFile).equals(credentials)).toBe(true);
    expect(readFileSync(s.keyFile).equals(key)).toBe(true);
    if (dbHash !== null) expect(sha256File(s.sqliteFile)).toBe(dbHash);
    expect(await snapshotStore(s)).toEqual(snapshot);
    await expectBootstrapped(s);
  });

  it('migrate applies the migrations to a fresh store, then says it is up to date', async () => {
    const s = await fresh();
    // PostgreSQL through DATABASE_URL here (the other tests use --database-url).
    const args = ['migrate', '--data-dir', s.dataDir];
    const env = { DATABASE_URL: s.databaseUrl ?? undefined };

    const first = await runCli(args, { env });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toBe('');
    expect(first.stdout).toBe(`applied: ${MIGRATION_NAMES.join(', ')}\n`);
    const view = await readBootstrapView(s);
    expect(view.tables).toEqual(expect.arrayContaining(['idcloud_meta', 'idcloud_migration', 'customers', 'api_clients']));
    expect(bootstrapRowCount(view)).toBe(0); // migrate does not bootstrap
    const snapshot = await snapshotStore(s);

    const second = await runCli(args, { env });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/^.+ is up to date\n$/);
    expect(await snapshotStore(s)).toEqual(snapshot);

    // A migrated store is then bootstrapped by init as usual.
    expect((await runCli(['init', ...s.args])).code).toBe(0);
    await expectBootstrapped(s);
  });
});
