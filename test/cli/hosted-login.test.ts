// `idcloud hosted-login`: a configuration token for a configuration client, and listing and creating
// token policies, login policies and OIDC clients on the database, as JSON lines.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

type Json = Record<string, unknown>;

describe('idcloud hosted-login', () => {
  let dir: string;
  let creds: { customer_id: string; application_id: string; clients: { owner: { client_id: string; client_secret: string } }; configuration_client: { client_id: string; client_secret: string; token_policy_id: string } };
  const cli = (args: string[], env: Record<string, string> = {}): { status: number | null; lines: Json[]; stderr: string } => {
    const r = spawnSync(process.execPath, ['dist/src/cli.js', 'hosted-login', ...args, '--data-dir', dir], { encoding: 'utf8', env: { PATH: process.env.PATH, ...env } });
    return { status: r.status, lines: r.stdout.trim() === '' ? [] : r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Json), stderr: r.stderr };
  };
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'idcloud-hl-'));
    expect(spawnSync(process.execPath, ['dist/src/cli.js', 'init', '--data-dir', dir], { env: { PATH: process.env.PATH } }).status).toBe(0);
    creds = JSON.parse(readFileSync(join(dir, 'bootstrap-credentials.json'), 'utf8')) as typeof creds;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('gets a configuration token with the secret from the environment, naming what was not granted', () => {
    const r = cli(['token', '--client-id', creds.configuration_client.client_id, '--scope', '.:config/** nonsense'], { IDCLOUD_CONFIG_CLIENT_SECRET: creds.configuration_client.client_secret });
    expect(r.status).toBe(0);
    expect(r.lines[0]).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: '.:config/**', warnings: [expect.stringMatching(/^nonsense: not granted/)] });
    const wrong = cli(['token', '--client-id', creds.configuration_client.client_id, '--client-secret', 'wrong']);
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toMatch(/invalid_client/);
  });

  it('creates and lists token policies, login policies and clients', () => {
    const policy = cli(['create', 'token-policy', '--json', JSON.stringify({ title: 'support', allowedScopes: ['.:config/**'] })]);
    expect(policy.status).toBe(0);
    expect(policy.lines[0]).toMatchObject({ title: 'support', allowedScopes: ['.:config/**'] });
    expect(cli(['list', 'token-policies']).lines.map((p) => p.title)).toEqual(['Configuration token policy created at first start', 'support']);

    const owner = creds.clients.owner;
    const login = cli(['create', 'login-policy', '--json', JSON.stringify({ title: 'web', loginURL: 'https://login.example.com/login', identityStoreDetails: { type: 'janrainCapture', connectionDetails: { domain: 'd', applicationId: creds.application_id, entityType: 'user', clientId: owner.client_id, clientSecret: owner.client_secret } } })]);
    expect(login.status).toBe(0);
    const loginId = String(login.lines[0]?.id);
    expect(JSON.stringify(login.lines)).not.toContain(owner.client_secret);
    const client = cli(['create', 'client', '--json', JSON.stringify({ name: 'shop', type: 'confidential', redirectURIs: ['https://shop.example.com/cb'], loginPolicy: loginId, tokenPolicy: creds.configuration_client.token_policy_id })]);
    expect(client.status).toBe(0);
    expect(client.lines[0]).toMatchObject({ name: 'shop', type: 'confidential' });
    expect(String(client.lines[0]?.secret)).toMatch(/^[A-Za-z0-9_-]{64}$/);
    expect(cli(['list', 'clients']).lines.map((c) => c.name)).toEqual(['Configuration client created at first start', 'shop']);
    expect(cli(['list', 'login-policies']).lines.map((p) => p.id)).toEqual([loginId]);
  });

  it('refuses bad bodies and unknown kinds with exit code 2 and one line', () => {
    for (const args of [['create', 'token-policy', '--json', '{"allowedScopes":["x"]}'], ['create', 'token-policy', '--json', 'not json'], ['list', 'widgets'], ['create', 'widget', '--json', '{}'], ['dance'], ['list', 'clients', '--customer', 'nobody']]) {
      const r = cli(args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});
