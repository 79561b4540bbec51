// Settings through the configuration API (spec capture-api §8 settings rows, seed 002, issue 4): every
// example of seed 002 over HTTP — the inheritance table, the custom block, the forgotten-custom case,
// PUT replaces, deleting by leaving a setting out — the Hosted Login status, `include_clients`,
// `/settings/options`, global-only keys, bad input (nothing stored), who may read and write, and the
// audit log (before/after, secret-looking values redacted).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../helpers/engines.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import {
  addApplicationWithOwner,
  addClient,
  addHostedLoginClient,
  auditList,
  basic,
  cfg,
  expectOk,
  reg,
  RELAXED_THROTTLE,
  type Auth,
  type ConfigResult,
  type Credentials,
  type OtherApplication,
} from './helpers.js';

/**
 * Seed 002's full example body (custom block and standard settings). Its janrainOidcClientId is the
 * OIDC client of the API client it is put on: a setting may name only that (`seedCustom`).
 */
const SEED_THEMING = {
  'theming.stylesheet': 'https://documentation.akamai.com/custom-styles.css',
  'theming.logoURL': 'https://documentation.akamai.com/images/logo.svg',
  'theming.faviconURL': 'https://documentation.akamai.com/images/favicon.svg',
};
const SEED_STANDARD = {
  user_entity_type: 'user',
  default_flow_name: 'standard',
  default_flow_version: '20190405205553900000',
  rpx_key: '677fte5gftyoag56sd30sw2up572ec252cd3afnj',
  rpx_realm: 'documentation-login',
  rpx_id: 'fdbppnbjfcbbijkmifkl',
};
type HostedClient = Credentials & { oidcClientId: string };
const seedCustom = (c: HostedClient): Record<string, string> => ({ janrainOidcClientId: c.oidcClientId, ...SEED_THEMING });
const seedBody = (c: HostedClient): Record<string, unknown> => ({ custom: seedCustom(c), ...SEED_STANDARD });
const RESET_URL = 'https://documentation.akamai.com/reset-password';

/** Seed 002's "Required" column. */
const HOSTED_LOGIN_REQUIRED = ['default_flow_name', 'default_flow_version', 'janrainOidcClientId', 'password_reset_url', 'user_entity_type'];

interface ClientSettingsView {
  _self: string;
  client: Record<string, unknown>;
  global: Record<string, unknown> & { custom: Record<string, unknown> };
  custom: Record<string, unknown>;
  hostedLogin: { complete: boolean; missing: string[] };
  warnings?: string[];
}

type GlobalView = Record<string, unknown> & { _self: string; custom: Record<string, unknown>; clients?: Record<string, Record<string, unknown>>; warnings?: string[] };

interface SettingOption {
  globalOnly: boolean;
  group: string;
  name: string;
  type: string;
  values: unknown[];
}

const sorted = (a: readonly string[]): string[] => [...a].sort();

describe.each(ENGINES)('configuration API settings on %s', (engine) => {
  let t: TestServer;
  let other: OtherApplication;
  beforeAll(async () => {
    t = await startTestServer(engine, RELAXED_THROTTLE);
    other = await addApplicationWithOwner(t);
  });
  afterAll(async () => {
    await t.close();
  });

  const owner = (): Auth => basic(t.owner);
  const clientPath = (id: string): string => `/config/${t.applicationId}/clients/${id}/settings`;
  const globalPath = (): string => `/config/${t.applicationId}/settings`;
  const newClient = async (features: string[] = ['login_client']): Promise<Credentials> => addClient(t, t.owner, features);
  /** The API client of an OIDC client, its automatic settings cleared: the tests start from nothing. */
  const newHostedClient = async (): Promise<HostedClient> => {
    const c = await addHostedLoginClient(t);
    expect((await cfg(t, 'PUT', clientPath(c.clientId), { auth: owner(), json: {} })).status).toBe(200);
    return c;
  };

  const putClient = async (id: string, body: unknown, auth: Auth = owner()): Promise<ConfigResult> => cfg(t, 'PUT', clientPath(id), { auth, json: body });
  const okPutClient = async (id: string, body: unknown): Promise<ClientSettingsView> => {
    const res = await putClient(id, body);
    expect(res.status, res.text).toBe(200);
    return res.body as ClientSettingsView;
  };
  const getClient = async (id: string, auth: Auth = owner()): Promise<ClientSettingsView> => {
    const res = await cfg(t, 'GET', clientPath(id), { auth });
    expect(res.status, res.text).toBe(200);
    return res.body as ClientSettingsView;
  };
  const okPutGlobal = async (body: unknown): Promise<GlobalView> => {
    const res = await cfg(t, 'PUT', globalPath(), { auth: owner(), json: body });
    expect(res.status, res.text).toBe(200);
    return res.body as GlobalView;
  };
  const getGlobal = async (query = ''): Promise<GlobalView> => {
    const res = await cfg(t, 'GET', `${globalPath()}${query}`, { auth: owner() });
    expect(res.status, res.text).toBe(200);
    return res.body as GlobalView;
  };
  /** The legacy API's effective value for a client, asked by the owner and by the client itself. */
  const legacyGet = async (key: string, c: Credentials): Promise<{ byOwner: unknown; bySelf: unknown }> => {
    const byOwner = await reg(t, '/settings/get', { key, for_client_id: c.clientId }, { auth: owner() });
    expectOk(byOwner);
    const bySelf = await reg(t, '/settings/get', { key }, { auth: basic(c) });
    expectOk(bySelf);
    return { byOwner: byOwner.body.result, bySelf: bySelf.body.result };
  };

  describe('seed 002: inheritance table (user_entity_type)', () => {
    const rows: [string, string | undefined, string | undefined, string][] = [
      ['global only', 'user', undefined, 'user'],
      ['client only', undefined, 'test', 'test'],
      ['both, same value', 'user', 'user', 'user'],
      ['both, different values: the client wins', 'user', 'test', 'test'],
    ];
    it.each(rows)('%s', async (_name, globalValue, clientValue, expected) => {
      await okPutGlobal(globalValue === undefined ? {} : { user_entity_type: globalValue });
      const c = await newClient();
      if (clientValue !== undefined) await okPutClient(c.clientId, { user_entity_type: clientValue });

      const view = await getClient(c.clientId);
      expect(view.client.user_entity_type).toBe(clientValue);
      expect(view.global.user_entity_type).toBe(globalValue);
      expect(view.client.user_entity_type ?? view.global.user_entity_type).toBe(expected);
      // The Hosted Login status resolves the setting the same way: it is not missing.
      expect(view.hostedLogin.missing).not.toContain('user_entity_type');

      expect(await legacyGet('user_entity_type', c)).toEqual({ byOwner: expected, bySelf: expected });
      // The global document itself is unchanged by the client's value.
      expect((await getGlobal()).user_entity_type).toBe(globalValue);
    });

    it('set at neither scope: null, and missing from the Hosted Login status', async () => {
      await okPutGlobal({});
      const c = await newClient();
      const view = await getClient(c.clientId);
      expect(view.client).toEqual({});
      expect(view.hostedLogin.missing).toContain('user_entity_type');
      expect(await legacyGet('user_entity_type', c)).toEqual({ byOwner: null, bySelf: null });
    });

    it('a client value set later wins over the global one, and removing it brings the global one back', async () => {
      await okPutGlobal({ user_entity_type: 'user' });
      const c = await newClient();
      expect((await legacyGet('user_entity_type', c)).byOwner).toBe('user');
      await okPutClient(c.clientId, { user_entity_type: 'test' });
      expect((await legacyGet('user_entity_type', c)).byOwner).toBe('test');
      await okPutClient(c.clientId, {});
      expect(await legacyGet('user_entity_type', c)).toEqual({ byOwner: 'user', bySelf: 'user' });
    });
  });

  describe('seed 002: custom block, forgotten custom, PUT replaces, delete by leaving out', () => {
    it('stores the seed body with the custom settings apart from the standard ones', async () => {
      await okPutGlobal({});
      const c = await newHostedClient();
      const put = await okPutClient(c.clientId, seedBody(c));
      expect(put.warnings).toBeUndefined();
      for (const view of [put, await getClient(c.clientId)]) {
        expect(view._self).toBe(clientPath(c.clientId));
        expect(view.client).toEqual(SEED_STANDARD);
        expect(view.custom).toEqual(seedCustom(c));
        expect(view.global).toEqual({ custom: {} });
        // Only password_reset_url (required, cannot inherit) is still missing.
        expect(view.hostedLogin).toEqual({ complete: false, missing: ['password_reset_url'] });
      }
      // The custom settings are readable through the legacy API too.
      expect((await legacyGet('janrainOidcClientId', c)).byOwner).toBe(c.oidcClientId);
      expect((await legacyGet('theming.stylesheet', c)).bySelf).toBe(SEED_THEMING['theming.stylesheet']);
    });

    it('forgotten custom: custom settings at the top level answer 200, are not stored, and each is named in warnings', async () => {
      const c = await newClient();
      const forgotten = { janrainOidcClientId: '7de8f0e4-5112-4e67-9cf7-a735050e965b', ...SEED_THEMING };
      const res = await putClient(c.clientId, { ...forgotten, user_entity_type: 'user' });
      expect(res.status, res.text).toBe(200);
      const view = res.body as ClientSettingsView;
      expect(Array.isArray(view.warnings)).toBe(true);
      const warnings = view.warnings ?? [];
      expect(warnings).toHaveLength(Object.keys(forgotten).length);
      for (const key of Object.keys(forgotten)) expect(warnings.some((w) => w.includes(key)), `${key} in ${JSON.stringify(warnings)}`).toBe(true);
      for (const stored of [view, await getClient(c.clientId)]) {
        expect(stored.client).toEqual({ user_entity_type: 'user' });
        expect(stored.custom).toEqual({});
        expect(stored.hostedLogin.missing).toContain('janrainOidcClientId');
      }
      for (const key of Object.keys(forgotten)) expect((await legacyGet(key, c)).byOwner).toBeNull();
    });

    it('an unknown non-custom key alone is dropped with a warning; nothing else changes', async () => {
      const c = await newClient();
      await okPutClient(c.clientId, { site_name: 'kept' });
      const res = await putClient(c.clientId, { site_name: 'kept', surely_not_a_setting: 'x' });
      expect(res.status, res.text).toBe(200);
      const view = res.body as ClientSettingsView;
      expect(view.warnings).toHaveLength(1);
      expect(view.warnings?.[0]).toContain('surely_not_a_setting');
      expect((await getClient(c.clientId)).client).toEqual({ site_name: 'kept' });
    });

    it('replace with one setting: after the seed body, a PUT of only password_reset_url leaves just that one', async () => {
      await okPutGlobal({});
      const c = await newHostedClient();
      await okPutClient(c.clientId, seedBody(c));
      const put = await okPutClient(c.clientId, { password_reset_url: RESET_URL });
      expect(put.warnings).toBeUndefined();
      for (const view of [put, await getClient(c.clientId)]) {
        expect(view.client).toEqual({ password_reset_url: RESET_URL });
        expect(view.custom).toEqual({});
      }
      expect((await legacyGet('user_entity_type', c)).byOwner).toBeNull();
      expect((await legacyGet('janrainOidcClientId', c)).byOwner).toBeNull();
      const items = await reg(t, '/settings/client_items', { for_client_id: c.clientId }, { auth: owner() });
      expectOk(items);
      expect(items.body.result).toEqual({ password_reset_url: RESET_URL });
    });

    it('the full body with password_reset_url makes a complete Hosted Login client; leaving it out deletes it', async () => {
      await okPutGlobal({});
      const c = await newHostedClient();
      const full = await okPutClient(c.clientId, { ...seedBody(c), password_reset_url: RESET_URL });
      expect(full.client).toEqual({ ...SEED_STANDARD, password_reset_url: RESET_URL });
      expect(full.custom).toEqual(seedCustom(c));
      expect(full.hostedLogin).toEqual({ complete: true, missing: [] });

      const without = await okPutClient(c.clientId, seedBody(c));
      for (const view of [without, await getClient(c.clientId)]) {
        expect(view.client).toEqual(SEED_STANDARD);
        expect(view.client).not.toHaveProperty('password_reset_url');
        expect(view.custom).toEqual(seedCustom(c));
        expect(view.hostedLogin).toEqual({ complete: false, missing: ['password_reset_url'] });
      }
      expect((await legacyGet('password_reset_url', c)).byOwner).toBeNull();
    });

    it('leaving a custom setting out of the custom block deletes it', async () => {
      const c = await newHostedClient();
      await okPutClient(c.clientId, seedBody(c));
      const rest: Record<string, string> = seedCustom(c);
      delete rest['theming.faviconURL'];
      const view = await okPutClient(c.clientId, { ...SEED_STANDARD, custom: rest });
      expect(view.custom).toEqual(rest);
      expect((await getClient(c.clientId)).custom).toEqual(rest);
      expect((await legacyGet('theming.faviconURL', c)).byOwner).toBeNull();
    });

    it('PUT of the global settings replaces them too', async () => {
      await okPutGlobal({ site_name: 'one', email_method: 'ses_sync', custom: { a: '1' } });
      const after = await okPutGlobal({ site_name: 'two' });
      expect(after).toEqual({ _self: globalPath(), site_name: 'two', custom: {} });
      expect(await getGlobal()).toEqual({ _self: globalPath(), site_name: 'two', custom: {} });
    });
  });

  describe('Hosted Login status', () => {
    it('the missing list shrinks as required settings are added, and the client is complete when all are present', async () => {
      await okPutGlobal({});
      const c = await newHostedClient();
      let view = await getClient(c.clientId);
      expect(view.hostedLogin.complete).toBe(false);
      expect(sorted(view.hostedLogin.missing)).toEqual(HOSTED_LOGIN_REQUIRED);

      const steps: [string, Record<string, unknown>][] = [
        ['janrainOidcClientId', { custom: { janrainOidcClientId: c.oidcClientId } }],
        ['user_entity_type', { user_entity_type: 'user' }],
        ['default_flow_name', { default_flow_name: 'standard' }],
        ['default_flow_version', { default_flow_version: '20190405205553900000' }],
        ['password_reset_url', { password_reset_url: RESET_URL }],
      ];
      let body: Record<string, unknown> = {};
      let missing = [...HOSTED_LOGIN_REQUIRED];
      for (const [name, add] of steps) {
        body = { ...body, ...add };
        missing = missing.filter((m) => m !== name);
        view = await okPutClient(c.clientId, body);
        expect(sorted(view.hostedLogin.missing), `after adding ${name}`).toEqual(missing);
        expect(view.hostedLogin.complete).toBe(missing.length === 0);
        expect((await getClient(c.clientId)).hostedLogin).toEqual(view.hostedLogin);
      }
      expect(view.hostedLogin).toEqual({ complete: true, missing: [] });
    });

    it('inheritable required settings may come from the global scope; password_reset_url and janrainOidcClientId may not', async () => {
      await okPutGlobal({ user_entity_type: 'user', default_flow_name: 'standard', default_flow_version: '20190405205553900000', password_reset_url: RESET_URL });
      const c = await newHostedClient();
      // janrainOidcClientId cannot even be set globally: it names one API client's own OIDC client.
      const global = await cfg(t, 'PUT', globalPath(), { auth: owner(), json: { custom: { janrainOidcClientId: c.oidcClientId } } });
      expect(global.status).toBe(400);
      expect(global.text).toMatch(/janrainOidcClientId/);
      const view = await getClient(c.clientId);
      expect(sorted(view.hostedLogin.missing)).toEqual(['janrainOidcClientId', 'password_reset_url']);
      expect(await legacyGet('password_reset_url', c)).toEqual({ byOwner: null, bySelf: null });
      expect((await legacyGet('default_flow_name', c)).byOwner).toBe('standard');
      const done = await okPutClient(c.clientId, { password_reset_url: RESET_URL, custom: { janrainOidcClientId: c.oidcClientId } });
      expect(done.hostedLogin).toEqual({ complete: true, missing: [] });
      await okPutGlobal({});
    });

    it('an empty value does not count as present', async () => {
      await okPutGlobal({});
      const c = await newHostedClient();
      const view = await okPutClient(c.clientId, { ...seedBody(c), password_reset_url: '' });
      expect(view.client.password_reset_url).toBe('');
      expect(view.hostedLogin).toEqual({ complete: false, missing: ['password_reset_url'] });
    });
  });

  describe('application settings and options', () => {
    it('GET without include_clients has no clients; include_clients=true adds every client’s settings', async () => {
      await okPutGlobal({ site_name: 'global site', custom: { g: 'v' } });
      const c1 = await newHostedClient();
      const c2 = await newClient();
      await okPutClient(c1.clientId, seedBody(c1));
      await okPutClient(c2.clientId, { site_name: 'c2', custom: { x: 'y' } });

      const plain = await getGlobal();
      expect(plain).toEqual({ _self: globalPath(), site_name: 'global site', custom: { g: 'v' } });
      expect(plain).not.toHaveProperty('clients');
      expect(await getGlobal('?include_clients=false')).not.toHaveProperty('clients');

      const all = await getGlobal('?include_clients=true');
      expect(all._self).toBe(globalPath());
      expect(all.site_name).toBe('global site');
      expect(all.custom).toEqual({ g: 'v' });
      expect(all.clients?.[c1.clientId]).toEqual({ ...SEED_STANDARD, custom: seedCustom(c1) });
      expect(all.clients?.[c2.clientId]).toEqual({ site_name: 'c2', custom: { x: 'y' } });
      expect(Object.keys(all.clients ?? {})).not.toContain('');
    });

    it('/settings/options lists the standard settings as {globalOnly, group, name, type, values}', async () => {
      const res = await cfg(t, 'GET', `${globalPath()}/options`, { auth: owner() });
      expect(res.status, res.text).toBe(200);
      expect(Array.isArray(res.body)).toBe(true);
      const options = res.body as SettingOption[];
      expect(options.length).toBeGreaterThan(0);
      for (const o of options) {
        expect(typeof o.globalOnly).toBe('boolean');
        expect(typeof o.group).toBe('string');
        expect(typeof o.name).toBe('string');
        expect(typeof o.type).toBe('string');
        expect(Array.isArray(o.values)).toBe(true);
      }
      const names = options.map((o) => o.name);
      expect(new Set(names).size).toBe(names.length);
      for (const name of ['default_flow_name', 'default_flow_version', 'user_entity_type', 'password_reset_url', 'rpx_key', 'rpx_realm', 'login_attempts', 'site_name']) {
        expect(names).toContain(name);
      }
      // The spec's groups (plus Hosted Login, which idcloud adds for seed 002's settings).
      const groups = ['General Settings', 'Customer Care Portal', 'Social Login', 'Transactional Emails', 'Backplane', 'Hosted Login'];
      for (const o of options) expect(groups).toContain(o.group);
      expect(options.find((o) => o.name === 'login_attempts')?.type).toBe('integer');
    });

    it('every option that is not global-only is accepted at client scope without a warning', async () => {
      const options = (await cfg(t, 'GET', `${globalPath()}/options`, { auth: owner() })).body as SettingOption[];
      const c = await newHostedClient();
      // janrainOidcClientId can only name the client's own OIDC client.
      const valueFor = (o: SettingOption): unknown => (o.name === 'janrainOidcClientId' ? c.oidcClientId : o.type === 'integer' ? '5' : o.type === 'boolean' ? 'true' : o.type === 'json' ? ['a'] : 'v');
      const standard = options.filter((o) => !o.globalOnly);
      const body: Record<string, unknown> = {};
      const custom: Record<string, unknown> = {};
      // Options that seed 002 puts inside `custom` go there; the others at the top level.
      const customNames = new Set(['janrainOidcClientId', 'theming.stylesheetURL', 'theming.logoURL', 'theming.faviconURL']);
      for (const o of standard) (customNames.has(o.name) ? custom : body)[o.name] = valueFor(o);
      const view = await okPutClient(c.clientId, { ...body, custom });
      expect(view.warnings).toBeUndefined();
      expect(view.client).toEqual(body);
      expect(view.custom).toEqual(custom);
    });
  });

  describe('global-only settings', () => {
    it('user_distinguisher_field at client scope is dropped with a warning; the rest of the document is stored', async () => {
      const c = await newClient();
      const res = await putClient(c.clientId, { user_distinguisher_field: 'email', site_name: 'mine' });
      expect(res.status, res.text).toBe(200);
      const view = res.body as ClientSettingsView;
      expect(view.warnings).toHaveLength(1);
      expect(view.warnings?.[0]).toContain('user_distinguisher_field');
      expect((await getClient(c.clientId)).client).toEqual({ site_name: 'mine' });
    });

    it('user_distinguisher_field at application scope is accepted', async () => {
      const put = await okPutGlobal({ user_distinguisher_field: 'email' });
      expect(put.warnings).toBeUndefined();
      expect(put.user_distinguisher_field).toBe('email');
      expect((await getGlobal()).user_distinguisher_field).toBe('email');
      const def = await reg(t, '/settings/get_default', { key: 'user_distinguisher_field' }, { auth: owner() });
      expectOk(def);
      expect(def.body.result).toBe('email');
      await okPutGlobal({});
    });
  });

  describe('bad input: an error and nothing stored', () => {
    let c: Credentials;
    const BEFORE = { site_name: 'before', login_attempts: '3', custom: { k: 'v' } };
    beforeAll(async () => {
      c = await newClient();
    });
    const expectClientUnchanged = async (): Promise<void> => {
      const view = await getClient(c.clientId);
      expect(view.client).toEqual({ site_name: 'before', login_attempts: '3' });
      expect(view.custom).toEqual({ k: 'v' });
    };
    const expectGlobalUnchanged = async (): Promise<void> => {
      expect(await getGlobal()).toEqual({ _self: globalPath(), site_name: 'global before', custom: { g: '1' } });
    };

    it('a wrong type for a typed standard setting: 400 {"errors": {setting: …}}, at either scope', async () => {
      await okPutClient(c.clientId, BEFORE);
      await okPutGlobal({ site_name: 'global before', custom: { g: '1' } });
      const bads: Record<string, unknown>[] = [
        { login_attempts: 'many' },
        { login_attempts: 1.5 },
        { login_attempts: true },
        { site_name: 5 },
        { site_name: 'ok', login_attempts: 'many' },
      ];
      for (const bad of bads) {
        const res = await putClient(c.clientId, { ...bad, custom: { other: 'x' } });
        expect(res.status, `${JSON.stringify(bad)} → ${res.text}`).toBe(400);
        const errors = (res.body as { errors: Record<string, unknown> }).errors;
        expect(typeof errors).toBe('object');
        const field = Object.keys(bad).find((k) => k !== 'site_name' || typeof bad[k] !== 'string') ?? '';
        expect(typeof errors[field], res.text).toBe('string');
        await expectClientUnchanged();

        const g = await cfg(t, 'PUT', globalPath(), { auth: owner(), json: bad });
        expect(g.status, g.text).toBe(400);
        expect(g.body).toHaveProperty('errors');
        await expectGlobalUnchanged();
      }
      // Integers as digit strings and numbers are fine.
      expect((await okPutClient(c.clientId, { login_attempts: 7 })).client).toEqual({ login_attempts: 7 });
      expect((await okPutClient(c.clientId, BEFORE)).client).toEqual({ site_name: 'before', login_attempts: '3' });
    });

    it('a body that is not an object (array, string, number, null, no body, not JSON): 400', async () => {
      await okPutClient(c.clientId, BEFORE);
      await okPutGlobal({ site_name: 'global before', custom: { g: '1' } });
      const raws: (string | undefined)[] = ['[]', '[{"site_name":"x"}]', '"site_name"', '5', 'null', 'not json', '{"site_name": ', undefined];
      for (const raw of raws) {
        for (const path of [clientPath(c.clientId), globalPath()]) {
          const res = await cfg(t, 'PUT', path, { auth: owner(), rawBody: raw });
          expect(res.status, `${String(raw)} → ${res.text}`).toBe(400);
          expect(res.body, res.text).toHaveProperty('errors');
        }
        await expectClientUnchanged();
        await expectGlobalUnchanged();
      }
    });

    it('custom that is not an object: 400', async () => {
      for (const custom of [['a'], 'text', 3]) {
        const res = await putClient(c.clientId, { site_name: 'changed', custom });
        expect(res.status, res.text).toBe(400);
        expect(res.body).toHaveProperty('errors');
      }
      await expectClientUnchanged();
    });

    it('a document over 64 KiB: 400, nothing stored; one just under is accepted', async () => {
      await okPutClient(c.clientId, BEFORE);
      await okPutGlobal({ site_name: 'global before', custom: { g: '1' } });
      const big = 'x'.repeat(65 * 1024);
      for (const body of [{ site_name: big }, { site_name: 'small', custom: { big } }, { custom: { a: 'y'.repeat(40 * 1024), b: 'z'.repeat(40 * 1024) } }]) {
        const res = await putClient(c.clientId, body);
        expect(res.status, res.text.slice(0, 300)).toBe(400);
        expect(res.body).toHaveProperty('errors');
        await expectClientUnchanged();
        const g = await cfg(t, 'PUT', globalPath(), { auth: owner(), json: body });
        expect(g.status, g.text.slice(0, 300)).toBe(400);
        await expectGlobalUnchanged();
      }
      const almost = 'w'.repeat(60 * 1024);
      const ok = await okPutClient(c.clientId, { site_name: 'before', custom: { almost } });
      expect(ok.custom).toEqual({ almost });
      expect((await getClient(c.clientId)).custom).toEqual({ almost });
      await okPutClient(c.clientId, BEFORE);
    });

    it('an unknown client id, or a client of another application: 404 for GET and PUT, nothing stored', async () => {
      for (const id of ['nosuchclient0000000000000000000', other.owner.clientId]) {
        const get = await cfg(t, 'GET', clientPath(id), { auth: owner() });
        expect(get.status, get.text).toBe(404);
        expect(get.body).toHaveProperty('errors');
        const put = await putClient(id, { site_name: 'nope' });
        expect(put.status, put.text).toBe(404);
        expect(put.body).toHaveProperty('errors');
      }
      const all = await getGlobal('?include_clients=true');
      expect(all.clients).not.toHaveProperty(other.owner.clientId);
      // The other application's own view of its client is untouched.
      const theirs = await cfg(t, 'GET', `/config/${other.applicationId}/clients/${other.owner.clientId}/settings`, { auth: basic(other.owner) });
      expect(theirs.status, theirs.text).toBe(200);
      expect((theirs.body as ClientSettingsView).client).toEqual({});
    });

    it('another application in the path: 404', async () => {
      for (const path of [`/config/${other.applicationId}/settings`, `/config/${other.applicationId}/clients/${other.owner.clientId}/settings`]) {
        expect((await cfg(t, 'GET', path, { auth: owner() })).status).toBe(404);
        expect((await cfg(t, 'PUT', path, { auth: owner(), json: { site_name: 'x' } })).status).toBe(404);
      }
    });
  });

  describe('who may read and write', () => {
    it('a non-owner may GET its own client settings, not another client’s, and may not PUT', async () => {
      const self = await newClient(['login_client']);
      const another = await newClient(['login_client']);
      await okPutClient(self.clientId, { site_name: 'self' });
      await okPutClient(another.clientId, { site_name: 'another' });

      const mine = await getClient(self.clientId, basic(self));
      expect(mine.client).toEqual({ site_name: 'self' });
      expect(mine.hostedLogin.complete).toBe(false);

      for (const [method, path, json] of [
        ['GET', clientPath(another.clientId), undefined],
        ['PUT', clientPath(self.clientId), { site_name: 'hacked' }],
        ['PUT', clientPath(another.clientId), { site_name: 'hacked' }],
        ['GET', globalPath(), undefined],
        ['PUT', globalPath(), { site_name: 'hacked' }],
        ['GET', `${globalPath()}/options`, undefined],
      ] as const) {
        const res = await cfg(t, method, path, { auth: basic(self), json });
        expect(res.status, `${method} ${path}: ${res.text}`).toBe(403);
        expect(res.body).toHaveProperty('errors');
      }
      expect((await getClient(self.clientId)).client).toEqual({ site_name: 'self' });
      expect((await getClient(another.clientId)).client).toEqual({ site_name: 'another' });
      expect((await getGlobal()).site_name).not.toBe('hacked');
    });

    it('direct_access clients are not owners either', async () => {
      const d = await newClient(['direct_access']);
      const another = await newClient(['login_client']);
      expect((await cfg(t, 'GET', clientPath(d.clientId), { auth: basic(d) })).status).toBe(200);
      expect((await cfg(t, 'GET', clientPath(another.clientId), { auth: basic(d) })).status).toBe(403);
      expect((await putClient(d.clientId, { site_name: 'x' }, basic(d))).status).toBe(403);
    });

    it('no or wrong credentials: 401', async () => {
      const c = await newClient();
      expect((await cfg(t, 'GET', clientPath(c.clientId))).status).toBe(401);
      expect((await cfg(t, 'PUT', globalPath(), { json: {} })).status).toBe(401);
      expect((await cfg(t, 'GET', clientPath(c.clientId), { auth: basic({ clientId: c.clientId, clientSecret: 'wrong' }) })).status).toBe(401);
    });
  });

  describe('audit', () => {
    const lastId = async (): Promise<number> => Math.max(0, ...(await auditList(t, t.owner)).rows.map((r) => r.id));
    const rowsSince = async (id: number) => (await auditList(t, t.owner)).rows.filter((r) => r.id > id);

    it('every settings change, through either API, is one audit entry with before and after', async () => {
      const c = await newClient();
      await okPutGlobal({});
      const changes: [string, () => Promise<unknown>, string, (before: Record<string, unknown>, after: Record<string, unknown>) => void][] = [
        ['config client PUT', () => okPutClient(c.clientId, { site_name: 'a', custom: { x: '1' } }), c.clientId, (b, a) => {
          expect(b).toEqual({ custom: {} });
          expect(a).toEqual({ site_name: 'a', custom: { x: '1' } });
        }],
        ['config client PUT again', () => okPutClient(c.clientId, { site_name: 'b' }), c.clientId, (b, a) => {
          expect(b).toEqual({ site_name: 'a', custom: { x: '1' } });
          expect(a).toEqual({ site_name: 'b', custom: {} });
        }],
        ['config global PUT', () => okPutGlobal({ email_method: 'ses_sync' }), 'application', (b, a) => {
          expect(b).toEqual({ custom: {} });
          expect(a).toEqual({ email_method: 'ses_sync', custom: {} });
        }],
        ['legacy set', async () => expectOk(await reg(t, '/settings/set', { key: 'site_name', value: 'c', for_client_id: c.clientId }, { auth: owner() })), c.clientId, (b, a) => {
          expect(b.site_name).toBe('b');
          expect(a.site_name).toBe('c');
        }],
        ['legacy set_multi', async () => expectOk(await reg(t, '/settings/set_multi', { items: '{"site_name":"d","foo":"bar"}', for_client_id: c.clientId }, { auth: owner() })), c.clientId, (b, a) => {
          expect(b).toEqual({ site_name: 'c', custom: {} });
          expect(a).toEqual({ site_name: 'd', custom: { foo: 'bar' } });
        }],
        ['legacy set_default', async () => expectOk(await reg(t, '/settings/set_default', { key: 'site_name', value: 'g' }, { auth: owner() })), 'application', (b, a) => {
          expect(b).toEqual({ email_method: 'ses_sync', custom: {} });
          expect(a).toEqual({ email_method: 'ses_sync', site_name: 'g', custom: {} });
        }],
        ['legacy set_default_multi', async () => expectOk(await reg(t, '/settings/set_default_multi', { items: '{"site_name":"h"}' }, { auth: owner() })), 'application', (b, a) => {
          expect(b.site_name).toBe('g');
          expect(a.site_name).toBe('h');
        }],
        ['legacy delete', async () => expectOk(await reg(t, '/settings/delete', { key: 'foo', for_client_id: c.clientId }, { auth: owner() })), c.clientId, (b, a) => {
          expect(b).toEqual({ site_name: 'd', custom: { foo: 'bar' } });
          expect(a).toEqual({ site_name: 'd', custom: {} });
        }],
        ['legacy delete_default', async () => expectOk(await reg(t, '/settings/delete_default', { key: 'site_name' }, { auth: owner() })), 'application', (b, a) => {
          expect(b.site_name).toBe('h');
          expect(a).toEqual({ email_method: 'ses_sync', custom: {} });
        }],
      ];
      for (const [name, change, target, check] of changes) {
        const since = await lastId();
        await change();
        const rows = await rowsSince(since);
        expect(rows, name).toHaveLength(1);
        const row = rows[0];
        if (!row) throw new Error('no audit row');
        expect(row.target, name).toBe(target);
        expect(row.client_id, name).toBe(t.owner.clientId);
        expect(typeof row.operation).toBe('string');
        expect(typeof row.at).toBe('string');
        check(row.before as Record<string, unknown>, row.after as Record<string, unknown>);
      }
    });

    it('refused changes leave no audit entry', async () => {
      const c = await newClient();
      const since = await lastId();
      expect((await putClient(c.clientId, { login_attempts: 'many' })).status).toBe(400);
      expect((await putClient(c.clientId, [])).status).toBe(400);
      expect((await putClient(c.clientId, { site_name: 'x' }, basic(c))).status).toBe(403);
      expect((await putClient('nosuchclient0000000000000000000', { site_name: 'x' })).status).toBe(404);
      expect((await reg(t, '/settings/set', { key: 'site_name', value: 'x' }, { auth: basic(c) })).body.code).toBe(403);
      expect((await reg(t, '/settings/set_multi', { items: 'not json', for_client_id: c.clientId }, { auth: owner() })).body.code).toBe(200);
      expect(await rowsSince(since)).toEqual([]);
    });

    it('a secret-looking value (rpx_key) never appears in the audit log or the server log', async () => {
      const c = await newClient();
      const secrets = [`rpxclient${Date.now()}abcdef`, `rpxglobal${Date.now()}abcdef`, `rpxlegacy${Date.now()}abcdef`, `rpxlegacydefault${Date.now()}ab`];
      const since = await lastId();
      await okPutClient(c.clientId, { ...SEED_STANDARD, rpx_key: secrets[0] });
      await okPutGlobal({ rpx_key: secrets[1] });
      expectOk(await reg(t, '/settings/set', { key: 'rpx_key', value: secrets[2] ?? '', for_client_id: c.clientId }, { auth: owner() }));
      expectOk(await reg(t, '/settings/set_default', { key: 'rpx_key', value: secrets[3] ?? '' }, { auth: owner() }));
      // Reading the settings back gives the values themselves.
      expect((await getClient(c.clientId)).client.rpx_key).toBe(secrets[2]);
      expect((await getGlobal()).rpx_key).toBe(secrets[3]);
      // One more change each, so every secret has also been a "before".
      await okPutClient(c.clientId, { site_name: 'after' });
      await okPutGlobal({});

      const { rows, text } = await auditList(t, t.owner);
      const mine = rows.filter((r) => r.id > since);
      expect(mine).toHaveLength(6);
      for (const s of secrets) {
        expect(text).not.toContain(s);
        expect(JSON.stringify(mine)).not.toContain(s);
        expect(t.logLines.some((l) => l.includes(s)), `server log holds ${s}`).toBe(false);
      }
      // The key is there, its value is not.
      const first = mine[0]?.after as Record<string, unknown>;
      expect(first).toHaveProperty('rpx_key');
      expect(first.rpx_key).not.toBe(secrets[0]);
      expect(first.rpx_realm).toBe(SEED_STANDARD.rpx_realm);
    });
  });
});
