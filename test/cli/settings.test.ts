// `idcloud settings --client ID` prints a client's settings and whether it is a complete Hosted Login client.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const cli = (args: string[]): { status: number | null; stdout: string; stderr: string } => {
  const r = spawnSync(process.execPath, ['dist/src/cli.js', ...args], { encoding: 'utf8', env: { PATH: process.env.PATH } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
};

describe('idcloud settings', () => {
  let dataDir: string;
  let loginClient: string;
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'idcloud-settings-'));
    expect(cli(['init', '--data-dir', dataDir]).status).toBe(0);
    const creds = JSON.parse(readFileSync(join(dataDir, 'bootstrap-credentials.json'), 'utf8')) as { clients: { login: { client_id: string } } };
    loginClient = creds.clients.login.client_id;
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('prints the settings as JSON and names what a Hosted Login client still lacks', () => {
    const r = cli(['settings', '--data-dir', dataDir, '--client', loginClient]);
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    const status = lines.pop() ?? '';
    expect(JSON.parse(lines.join('\n'))).toMatchObject({ client_id: loginClient, client: {}, custom: {}, effective: {} });
    expect(status).toBe('Hosted Login: incomplete; missing default_flow_name, default_flow_version, user_entity_type, password_reset_url, janrainOidcClientId');
  });

  it('refuses an unknown client or a missing --client with exit code 2', () => {
    expect(cli(['settings', '--data-dir', dataDir, '--client', 'nope']).status).toBe(2);
    expect(cli(['settings', '--data-dir', dataDir]).status).toBe(2);
  });
});
