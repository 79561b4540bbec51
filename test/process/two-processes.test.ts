// Two `idcloud serve` processes on one PostgreSQL database: what one process changes, the other
// sees within a second, even after it has cached the old state.
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CliProcess, createStoreUnderTest, killLiveChildren, PROCESS_TEST_TIMEOUT, runCli, sleep, type StoreUnderTest } from './helpers.js';

const OWNER = { id: 'two-proc-owner', secret: 'two-proc-owner-secret-0123' };
const basic = (id: string, secret: string): string => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

/** Polls `probe` until it returns true, at most `limitMs`; returns the time it took, or null. */
async function within(limitMs: number, probe: () => Promise<boolean>): Promise<number | null> {
  const start = Date.now();
  while (Date.now() - start <= limitMs) {
    if (await probe()) return Date.now() - start;
    await sleep(25);
  }
  return null;
}

describe('two serve processes on one PostgreSQL database', { timeout: PROCESS_TEST_TIMEOUT }, () => {
  let store: StoreUnderTest | undefined;
  afterEach(async () => {
    await killLiveChildren();
    await store?.dispose();
  });

  it('see each other’s settings changes and secret resets within one second', async () => {
    store = await createStoreUnderTest('postgres');
    const key = randomBytes(32).toString('base64');
    const env = { IDCLOUD_MASTER_KEY: key };
    const dirA = join(store.root, 'a');
    const dirB = join(store.root, 'b');
    mkdirSync(dirA);
    mkdirSync(dirB);
    const db = ['--database-url', store.databaseUrl ?? ''];
    const init = await runCli(['init', '--data-dir', dirA, ...db, '--owner-client-id', OWNER.id, '--owner-client-secret', OWNER.secret], { env });
    expect(init.code, init.stderr).toBe(0);
    const a = new CliProcess(['serve', '--data-dir', dirA, ...db, '--port', '0'], { env });
    const b = new CliProcess(['serve', '--data-dir', dirB, ...db, '--port', '0'], { env });
    const [urlA, urlB] = await Promise.all([a.listening(), b.listening()]);
    const owner = basic(OWNER.id, OWNER.secret);
    const form = (auth: string, fields: Record<string, string>): RequestInit => ({
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
    const call = async (url: string, path: string, auth: string, fields: Record<string, string> = {}): Promise<Record<string, unknown>> =>
      (await (await fetch(`${url}${path}`, form(auth, fields))).json()) as Record<string, unknown>;

    // Settings: B reads (and caches) the old value, A changes it, B answers the new one within 1 s.
    expect(await call(urlB, '/settings/get_default', owner, { key: 'site_name' })).toMatchObject({ stat: 'ok', result: null });
    expect(await call(urlA, '/settings/set_default', owner, { key: 'site_name', value: 'Changed on A' })).toMatchObject({ stat: 'ok' });
    const seen = await within(1000, async () => (await call(urlB, '/settings/get_default', owner, { key: 'site_name' })).result === 'Changed on A');
    expect(seen, 'B did not see the settings change within 1 s').not.toBeNull();

    // Secrets: a client authenticates on B (cached there), A resets its secret with no grace period,
    // B refuses the old secret within 1 s and accepts the new one.
    const added = await call(urlA, '/clients/add', owner, { description: 'rotated', features: '["direct_read_access"]' });
    const id = added.client_id as string;
    const oldAuth = basic(id, added.client_secret as string);
    expect(await call(urlB, '/settings/items', oldAuth)).toMatchObject({ stat: 'ok' });
    const reset = await call(urlA, '/clients/reset_secret', owner, { for_client_id: id, hours_to_live: '0' });
    const refused = await within(1000, async () => (await call(urlB, '/settings/items', oldAuth)).code === 402);
    expect(refused, 'B still accepted the revoked secret after 1 s').not.toBeNull();
    expect(await call(urlB, '/settings/items', basic(id, reset.new_secret as string))).toMatchObject({ stat: 'ok' });
  });
});
