// `idcloud serve` from an empty data directory, and started again on the same store.
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ENGINES } from '../helpers/engines.js';
import {
  CliProcess,
  expectBootstrapped,
  expectOneErrorLine,
  fileMode,
  getWhenUp,
  listDir,
  PROCESS_TEST_TIMEOUT,
  readBootstrapView,
  runCli,
  type StoreUnderTest,
  useFreshStores,
} from './helpers.js';

describe.each(ENGINES)('serve on %s', { timeout: PROCESS_TEST_TIMEOUT }, (engine) => {
  const fresh = useFreshStores(engine);

  /** Starts serve, checks /healthz and /readyz, stops it with SIGTERM; returns everything it wrote. */
  async function serveOnce(s: StoreUnderTest): Promise<{ output: string; proc: CliProcess }> {
    const proc = new CliProcess(['serve', '--port', '0', ...s.args]);
    const url = await proc.listening();
    const health = await getWhenUp(`${url}/healthz`);
    expect(health.status, health.body).toBe(200);
    expect(JSON.parse(health.body)).toEqual({ status: 'ok' });
    const ready = await getWhenUp(`${url}/readyz`);
    expect(ready.status, ready.body).toBe(200);
    expect(JSON.parse(ready.body)).toEqual({ status: 'ready' });
    proc.kill('SIGTERM');
    const result = await proc.done;
    expect(result.code, result.stderr).toBe(0);
    expect(result.signal).toBeNull();
    return { output: result.stdout + result.stderr, proc };
  }

  it('first start from an empty data dir: ready, bootstrapped, owner-only files, no secret in the log', async () => {
    const s = await fresh();
    expect(listDir(s.dataDir)).toBeNull();
    const { output, proc } = await serveOnce(s);

    const expected = ['bootstrap-credentials.json', 'master.key', ...(engine === 'sqlite' ? ['idcloud.db'] : [])].sort();
    expect(listDir(s.dataDir)).toEqual(expected);
    expect(fileMode(s.dataDir).toString(8)).toBe('700');
    for (const name of expected) expect(`${name} ${fileMode(`${s.dataDir}/${name}`).toString(8)}`).toBe(`${name} 600`);

    const creds = await expectBootstrapped(s);

    // The log points at the credentials file …
    const firstStart = proc.logLines().find((l) => typeof l.msg === 'string' && l.msg.startsWith('first start'));
    expect(firstStart?.file).toBe(s.credentialsFile);
    expect(output).toContain(s.credentialsFile);
    // … but holds none of the secrets in it, nor the master key.
    expect(output).not.toContain(creds.clients.owner.client_secret);
    expect(output).not.toContain(creds.clients.login.client_secret);
    expect(output).not.toContain(readFileSync(s.keyFile, 'utf8').trim());
  });

  it('a second start keeps the credentials file byte-identical and creates no more clients', async () => {
    const s = await fresh();
    await serveOnce(s);
    const credentialsBefore = readFileSync(s.credentialsFile);
    const keyBefore = readFileSync(s.keyFile);
    const clientsBefore = (await readBootstrapView(s)).apiClients.map((c) => c.client_id).sort();
    expect(clientsBefore).toHaveLength(2);

    const { proc } = await serveOnce(s);

    expect(readFileSync(s.credentialsFile).equals(credentialsBefore)).toBe(true);
    expect(readFileSync(s.keyFile).equals(keyBefore)).toBe(true);
    const view = await readBootstrapView(s);
    expect(view.apiClients.map((c) => c.client_id).sort()).toEqual(clientsBefore);
    expect(view.secrets).toHaveLength(2);
    await expectBootstrapped(s);
    expect(proc.logLines().some((l) => typeof l.msg === 'string' && l.msg.startsWith('first start'))).toBe(false);
    expect(proc.logLines().some((l) => l.msg === 'created a new master key file')).toBe(false);
  });

  it('a port already in use: exit 1 with one line naming the address; the store stays usable', async () => {
    const s = await fresh();
    const blocker = createServer();
    await new Promise<void>((done) => blocker.listen(0, '127.0.0.1', done));
    try {
      const port = (blocker.address() as AddressInfo).port;
      const result = await runCli(['serve', '--port', String(port), ...s.args]);
      expect(result.code, result.stderr).toBe(1);
      const line = expectOneErrorLine(result);
      expect(line).toContain(`127.0.0.1:${port}`);
      expect(line).toMatch(/in use/);
    } finally {
      await new Promise((done) => blocker.close(done));
    }
    // Whatever the failed start did to the store, a normal start then works and agrees with the credentials file.
    await serveOnce(s);
    await expectBootstrapped(s);
  });
});
