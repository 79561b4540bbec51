// `idcloud audit` reads the audit log straight from the database, as JSON lines.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const cli = (args: string[]): { status: number | null; stdout: string; stderr: string } => {
  const r = spawnSync(process.execPath, ['dist/src/cli.js', ...args], { encoding: 'utf8', env: { PATH: process.env.PATH } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
};

describe('idcloud audit', () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'idcloud-audit-'));
    expect(cli(['init', '--data-dir', dataDir, '--owner-client-id', 'audit-owner', '--owner-client-secret', 'audit-owner-secret-123']).status).toBe(0);
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('prints every entry as one JSON line, oldest first, without secrets', () => {
    const r = cli(['audit', '--data-dir', dataDir]);
    expect(r.status).toBe(0);
    const entries = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: number; application_id: string | null; operation: string; target: string });
    // The customer-level entry (the configuration client) has no application.
    expect(entries.map((e) => e.operation)).toEqual(['bootstrap.client_created', 'bootstrap.client_created', 'bootstrap.application_created', 'bootstrap.configuration_client_created']);
    expect(entries[3]?.application_id).toBeNull();
    expect(entries[3]?.target).toMatch(/^customer:[0-9a-f-]{36}\/client:/);
    expect(entries.map((e) => e.id)).toEqual([...entries.map((e) => e.id)].sort((a, b) => a - b));
    expect(entries[0]?.target).toBe('audit-owner');
    expect(r.stdout).not.toContain('audit-owner-secret-123');
  });

  it('filters by operation and limit', () => {
    const r = cli(['audit', '--data-dir', dataDir, '--operation', 'bootstrap.application_created']);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(cli(['audit', '--data-dir', dataDir, '--limit', '1']).stdout.trim().split('\n')).toHaveLength(1);
    expect(cli(['audit', '--data-dir', dataDir, '--from', '2999-01-01']).stdout).toBe('');
  });

  it('shows one application with its customer-level entries', () => {
    const all = cli(['audit', '--data-dir', dataDir]).stdout.trim().split('\n').map((l) => JSON.parse(l) as { application_id: string | null });
    const applicationId = all[0]?.application_id ?? '';
    const r = cli(['audit', '--data-dir', dataDir, '--application', applicationId]);
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(all.length);
  });

  it('refuses bad filters with a one-line reason and exit code 2', () => {
    for (const args of [['--limit', 'x'], ['--from', 'yesterday-ish'], ['--bogus', '1'], ['--application', 'no-such-application']]) {
      const r = cli(['audit', '--data-dir', dataDir, ...args]);
      expect(r.status).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^idcloud: /);
    }
  });
});
