// Settings behaviours a user relies on beyond the seed's examples.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../helpers/engines.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe.each(ENGINES)('settings round trips on %s', (engine) => {
  let t: TestServer;
  let auth: string;
  beforeAll(async () => {
    t = await startTestServer(engine);
    auth = `Basic ${Buffer.from(`${t.owner.clientId}:${t.owner.clientSecret}`).toString('base64')}`;
  });
  afterAll(async () => t.close());

  const json = async (method: string, path: string, body?: unknown): Promise<Record<string, unknown>> => {
    const res = await t.fetch(path, { method, headers: { authorization: auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
    return (await res.json()) as Record<string, unknown>;
  };

  it('a GET of a client’s settings, changed and PUT back, keeps every setting (seed 002’s advice)', async () => {
    const path = `/config/${t.applicationId}/clients/${t.login.clientId}/settings`;
    await json('PUT', path, { user_entity_type: 'user', default_flow_name: 'standard', custom: { 'theming.logoURL': 'https://x.test/logo.svg' } });
    const current = await json('GET', path);
    const edited = { ...current, client: { ...(current.client as Record<string, unknown>), password_reset_url: 'https://x.test/reset' } };
    const after = await json('PUT', path, edited);
    expect(after.client).toEqual({ user_entity_type: 'user', default_flow_name: 'standard', password_reset_url: 'https://x.test/reset' });
    expect(after.custom).toEqual({ 'theming.logoURL': 'https://x.test/logo.svg' });
    expect(after.warnings).toBeUndefined();
  });

  it('include_clients lists every client of the application, with or without settings', async () => {
    const body = await json('GET', `/config/${t.applicationId}/settings?include_clients=true`);
    expect(Object.keys(body.clients as object).sort()).toEqual([t.owner.clientId, t.login.clientId].sort());
  });

  it('lists a global-only setting in the options', async () => {
    const res = await t.fetch(`/config/${t.applicationId}/settings/options`, { headers: { authorization: auth } });
    const options = (await res.json()) as { name: string; globalOnly: boolean }[];
    expect(options.find((o) => o.name === 'user_distinguisher_field')?.globalOnly).toBe(true);
  });

  it('legacy set without a value is a missing argument, and stores nothing', async () => {
    const form = (fields: Record<string, string>) => ({ method: 'POST', headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
    const res = (await (await t.fetch('/settings/set_default', form({ key: 'site_name' }))).json()) as Record<string, unknown>;
    expect(res).toMatchObject({ stat: 'error', code: 100, argument_name: 'value' });
    const get = (await (await t.fetch('/settings/get_default', form({ key: 'site_name' }))).json()) as Record<string, unknown>;
    expect(get).toMatchObject({ stat: 'ok', result: null });
  });
});
