// Legacy Settings API (spec capture-api §7) over HTTP: get (client → default → null), get_multi,
// get_default, items/keys (merged, client wins), set/set_multi/set_default/set_default_multi (answer:
// whether each key existed), delete/delete_default, get_all, default_*/client_*, the for_client_id
// rules (any client reads its own; only the owner names another), bad input (nothing stored), and
// values stored as given.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../helpers/engines.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import {
  addApplicationWithOwner,
  addClient,
  basic,
  cfg,
  expectOk,
  expectRegError,
  reg,
  RELAXED_THROTTLE,
  type Credentials,
  type OtherApplication,
  type ParamList,
  type RegResult,
  addHostedLoginClient,
} from './helpers.js';

const UNKNOWN_CLIENT = 'nosuchclient0000000000000000000';

describe.each(ENGINES)('legacy settings API on %s', (engine) => {
  let t: TestServer;
  let other: OtherApplication;
  beforeAll(async () => {
    t = await startTestServer(engine, RELAXED_THROTTLE);
    other = await addApplicationWithOwner(t);
  });
  afterAll(async () => {
    await t.close();
  });

  const call = (path: string, params: ParamList = {}, creds: Credentials = t.owner): Promise<RegResult> => reg(t, `/settings/${path}`, params, { auth: basic(creds) });
  const ok = async (path: string, params: ParamList = {}, creds: Credentials = t.owner): Promise<unknown> => {
    const res = await call(path, params, creds);
    expectOk(res);
    return res.body.result;
  };
  const newClient = (features: string[] = ['login_client']): Promise<Credentials> => addClient(t, t.owner, features);
  /** Empties the application scope through the configuration API, so each test starts from known defaults. */
  const clearDefaults = async (): Promise<void> => {
    const res = await cfg(t, 'PUT', `/config/${t.applicationId}/settings`, { auth: basic(t.owner), json: {} });
    expect(res.status, res.text).toBe(200);
  };
  const clientDoc = async (id: string): Promise<unknown> => ok('client_items', { for_client_id: id });

  describe('reading', () => {
    it('get: the client’s value, else the default, else null', async () => {
      await clearDefaults();
      const c = await newClient();
      expect(await ok('get', { key: 'site_name', for_client_id: c.clientId })).toBeNull();
      expect(await ok('set_default', { key: 'site_name', value: 'default site' })).toBe(false);
      expect(await ok('get', { key: 'site_name', for_client_id: c.clientId })).toBe('default site');
      expect(await ok('get', { key: 'site_name' }, c)).toBe('default site');
      expect(await ok('set', { key: 'site_name', value: 'client site', for_client_id: c.clientId })).toBe(false);
      expect(await ok('get', { key: 'site_name', for_client_id: c.clientId })).toBe('client site');
      expect(await ok('get', { key: 'site_name' }, c)).toBe('client site');
      expect(await ok('get', { key: 'never_set_anywhere', for_client_id: c.clientId })).toBeNull();
      // Another client still inherits the default.
      const c2 = await newClient();
      expect(await ok('get', { key: 'site_name' }, c2)).toBe('default site');
    });

    it('get without key: code 100', async () => {
      expectRegError(await call('get', {}), 100, 'key');
      expectRegError(await call('get_default', {}), 100, 'key');
    });

    it('get_multi: keys as a JSON array, each resolved, missing ones null', async () => {
      await clearDefaults();
      const c = await newClient();
      await ok('set_default_multi', { items: JSON.stringify({ a: 'da', b: 'db' }) });
      await ok('set_multi', { items: JSON.stringify({ b: 'cb', c: 'cc' }), for_client_id: c.clientId });
      const expected = { a: 'da', b: 'cb', c: 'cc', d: null };
      expect(await ok('get_multi', { keys: JSON.stringify(['a', 'b', 'c', 'd']), for_client_id: c.clientId })).toEqual(expected);
      expect(await ok('get_multi', { keys: JSON.stringify(['a', 'b', 'c', 'd']) }, c)).toEqual(expected);
      expect(await ok('get_multi', { keys: '[]' }, c)).toEqual({});
    });

    it('get_multi with keys that are not a JSON array of names: code 200 argument keys', async () => {
      for (const keys of ['a,b', '["a"', '{"a":1}', '"a"', '[1,2]']) {
        expectRegError(await call('get_multi', { keys }), 200, 'keys');
      }
    });

    it('get_default reads the application scope only', async () => {
      await clearDefaults();
      const c = await newClient();
      await ok('set', { key: 'only_on_client', value: 'x', for_client_id: c.clientId });
      expect(await ok('get_default', { key: 'only_on_client' })).toBeNull();
      await ok('set_default', { key: 'only_on_client', value: 'd' });
      expect(await ok('get_default', { key: 'only_on_client' })).toBe('d');
      // Any client may read the defaults.
      expect(await ok('get_default', { key: 'only_on_client' }, c)).toBe('d');
    });

    it('items and keys: default and client merged, the client wins', async () => {
      await clearDefaults();
      const c = await newClient();
      await ok('set_default_multi', { items: JSON.stringify({ site_name: 'default', email_method: 'ses_sync', shared: 'd' }) });
      await ok('set_multi', { items: JSON.stringify({ site_name: 'mine', shared: 'c', own: 'o' }), for_client_id: c.clientId });
      const merged = { site_name: 'mine', email_method: 'ses_sync', shared: 'c', own: 'o' };
      expect(await ok('items', { for_client_id: c.clientId })).toEqual(merged);
      expect(await ok('items', {}, c)).toEqual(merged);
      expect([...((await ok('keys', {}, c)) as string[])].sort()).toEqual(Object.keys(merged).sort());
      expect([...((await ok('keys', { for_client_id: c.clientId })) as string[])].sort()).toEqual(Object.keys(merged).sort());
    });

    it('default_items/default_keys and client_items/client_keys show one scope each', async () => {
      await clearDefaults();
      const c = await newClient();
      await ok('set_default_multi', { items: JSON.stringify({ d1: 'x', both: 'd' }) });
      await ok('set_multi', { items: JSON.stringify({ c1: 'y', both: 'c' }), for_client_id: c.clientId });
      expect(await ok('default_items')).toEqual({ d1: 'x', both: 'd' });
      expect([...((await ok('default_keys')) as string[])].sort()).toEqual(['both', 'd1']);
      expect(await ok('client_items', { for_client_id: c.clientId })).toEqual({ c1: 'y', both: 'c' });
      expect(await ok('client_items', {}, c)).toEqual({ c1: 'y', both: 'c' });
      expect([...((await ok('client_keys', {}, c)) as string[])].sort()).toEqual(['both', 'c1']);
      // The owner's own client scope is separate.
      expect(await ok('client_items')).toEqual({});
    });

    it('get_all: client_settings per client and default_settings', async () => {
      await clearDefaults();
      const c1 = await newClient();
      const c2 = await newClient();
      await ok('set_default', { key: 'site_name', value: 'd' });
      await ok('set', { key: 'site_name', value: 'one', for_client_id: c1.clientId });
      await ok('set_multi', { items: JSON.stringify({ site_name: 'two', extra: 'e' }), for_client_id: c2.clientId });
      const res = await call('get_all');
      expectOk(res);
      const clientSettings = res.body.client_settings as Record<string, Record<string, unknown>>;
      expect(res.body.default_settings).toEqual({ site_name: 'd' });
      expect(clientSettings[c1.clientId]).toEqual({ site_name: 'one' });
      expect(clientSettings[c2.clientId]).toEqual({ site_name: 'two', extra: 'e' });
      expect(Object.keys(clientSettings)).not.toContain('');
      expect(Object.keys(clientSettings)).not.toContain(other.owner.clientId);
    });

    it('a deleted client’s settings are gone from get_all', async () => {
      const c = await newClient();
      await ok('set', { key: 'site_name', value: 'doomed', for_client_id: c.clientId });
      expectOk(await reg(t, '/clients/delete', { client_id_for_deletion: c.clientId }, { auth: basic(t.owner) }));
      const res = await call('get_all');
      expectOk(res);
      expect(Object.keys(res.body.client_settings as object)).not.toContain(c.clientId);
      expectRegError(await call('get', { key: 'site_name', for_client_id: c.clientId }), 200, 'for_client_id');
    });
  });

  describe('writing', () => {
    it('set: false when the key is new, true when it overwrote; values stored as given (strings)', async () => {
      const c = await newClient();
      expect(await ok('set', { key: 'login_attempts', value: '10', for_client_id: c.clientId })).toBe(false);
      expect(await ok('set', { key: 'login_attempts', value: '11', for_client_id: c.clientId })).toBe(true);
      expect(await ok('get', { key: 'login_attempts', for_client_id: c.clientId })).toBe('11');
      expect(await ok('set', { key: 'flag', value: 'true', for_client_id: c.clientId })).toBe(false);
      expect(await ok('get', { key: 'flag', for_client_id: c.clientId })).toBe('true');
      expect(await ok('set', { key: 'list', value: '["facebook","twitter"]', for_client_id: c.clientId })).toBe(false);
      expect(await ok('get', { key: 'list', for_client_id: c.clientId })).toBe('["facebook","twitter"]');
      expect(await ok('set', { key: 'spaced', value: '  a b  ', for_client_id: c.clientId })).toBe(false);
      expect(await ok('get', { key: 'spaced', for_client_id: c.clientId })).toBe('  a b  ');
      expect(await clientDoc(c.clientId)).toEqual({ login_attempts: '11', flag: 'true', list: '["facebook","twitter"]', spaced: '  a b  ' });
    });

    it('set without for_client_id sets the caller’s own (owner) settings', async () => {
      const key = `own_${Date.now()}`;
      expect(await ok('set', { key, value: 'v' })).toBe(false);
      expect(await ok('get', { key })).toBe('v');
      expect(await ok('get', { key, for_client_id: t.owner.clientId })).toBe('v');
      expect(await ok('delete', { key })).toBe(true);
    });

    it('set_multi: per key whether it existed', async () => {
      const c = await newClient();
      await ok('set', { key: 'a', value: '1', for_client_id: c.clientId });
      expect(await ok('set_multi', { items: JSON.stringify({ a: '2', b: '3' }), for_client_id: c.clientId })).toEqual({ a: true, b: false });
      expect(await clientDoc(c.clientId)).toEqual({ a: '2', b: '3' });
    });

    it('set_default and set_default_multi: whether each key existed; client scopes untouched', async () => {
      await clearDefaults();
      const c = await newClient();
      expect(await ok('set_default', { key: 'site_name', value: 'one' })).toBe(false);
      expect(await ok('set_default', { key: 'site_name', value: 'two' })).toBe(true);
      expect(await ok('set_default_multi', { items: JSON.stringify({ site_name: 'three', email_method: 'ses_sync' }) })).toEqual({ site_name: true, email_method: false });
      expect(await ok('default_items')).toEqual({ site_name: 'three', email_method: 'ses_sync' });
      expect(await clientDoc(c.clientId)).toEqual({});
    });

    it('items that are not a JSON object: code 200 argument items, nothing stored', async () => {
      await clearDefaults();
      const c = await newClient();
      await ok('set', { key: 'keep', value: 'k', for_client_id: c.clientId });
      for (const items of ['not json', '{"a":', '["a","b"]', '"a"', '5', 'null']) {
        expectRegError(await call('set_multi', { items, for_client_id: c.clientId }), 200, 'items');
        expectRegError(await call('set_default_multi', { items }), 200, 'items');
      }
      expect(await clientDoc(c.clientId)).toEqual({ keep: 'k' });
      expect(await ok('default_items')).toEqual({});
    });

    it('a wrong type for a typed standard setting: code 200, nothing stored (not even the other items)', async () => {
      await clearDefaults();
      const c = await newClient();
      expectRegError(await call('set', { key: 'login_attempts', value: 'many', for_client_id: c.clientId }), 200, 'login_attempts');
      expectRegError(await call('set_multi', { items: JSON.stringify({ site_name: 'x', login_attempts: 'many' }), for_client_id: c.clientId }), 200, 'login_attempts');
      expectRegError(await call('set_default', { key: 'recover_code_lifetime', value: 'soon' }), 200, 'recover_code_lifetime');
      expectRegError(await call('set_default_multi', { items: JSON.stringify({ site_name: 'x', login_attempts: 'many' }) }), 200, 'login_attempts');
      expect(await clientDoc(c.clientId)).toEqual({});
      expect(await ok('default_items')).toEqual({});
    });

    it('a global-only key at client scope is refused with result false and a warning; at default scope it is stored', async () => {
      await clearDefaults();
      const c = await newClient();
      const res = await call('set', { key: 'user_distinguisher_field', value: 'email', for_client_id: c.clientId });
      expectOk(res);
      expect(res.body.result).toBe(false);
      const warnings = res.body.warnings as string[];
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain('user_distinguisher_field');
      expect(await clientDoc(c.clientId)).toEqual({});
      expect(await ok('set_default', { key: 'user_distinguisher_field', value: 'email' })).toBe(false);
      expect(await ok('get_default', { key: 'user_distinguisher_field' })).toBe('email');
    });

    it('keys set through the legacy API show in the configuration API: standard at the top, others in custom', async () => {
      // A Hosted Login API client: janrainOidcClientId may name only its own OIDC client.
      const c = await addHostedLoginClient(t);
      expect((await cfg(t, 'PUT', `/config/${t.applicationId}/clients/${c.clientId}/settings`, { auth: basic(t.owner), json: {} })).status).toBe(200);
      await ok('set_multi', { items: JSON.stringify({ site_name: 's', janrainOidcClientId: c.oidcClientId, my_flag: 'on' }), for_client_id: c.clientId });
      const res = await cfg(t, 'GET', `/config/${t.applicationId}/clients/${c.clientId}/settings`, { auth: basic(t.owner) });
      expect(res.status, res.text).toBe(200);
      const view = res.body as { client: unknown; custom: unknown; hostedLogin: { missing: string[] } };
      expect(view.client).toEqual({ site_name: 's' });
      expect(view.custom).toEqual({ janrainOidcClientId: c.oidcClientId, my_flag: 'on' });
      expect(view.hostedLogin.missing).not.toContain('janrainOidcClientId');
    });

    it('janrainOidcClientId names the client\'s own OIDC client only: not another\'s, not an unknown one, not globally', async () => {
      const hosted = await addHostedLoginClient(t);
      const plain = await newClient();
      for (const [target, value] of [[plain.clientId, hosted.oidcClientId], [plain.clientId, '7de8f0e4-5112-4e67-9cf7-a735050e965b'], [hosted.clientId, 'not-an-id']] as const) {
        const res = await reg(t, '/settings/set', { key: 'janrainOidcClientId', value, for_client_id: target }, { auth: basic(t.owner) });
        expect(res.body.stat, JSON.stringify(res.body)).toBe('error');
        expect(String(res.body.error_description)).toMatch(/OIDC client/);
      }
      expect((await reg(t, '/settings/set_default', { key: 'janrainOidcClientId', value: hosted.oidcClientId }, { auth: basic(t.owner) })).body.stat).toBe('error');
      expect(await ok('set', { key: 'janrainOidcClientId', value: hosted.oidcClientId, for_client_id: hosted.clientId })).toBe(true);
    });

    it('delete and delete_default: result says whether the key existed; each touches its own scope', async () => {
      await clearDefaults();
      const c = await newClient();
      await ok('set_default', { key: 'site_name', value: 'd' });
      await ok('set', { key: 'site_name', value: 'c', for_client_id: c.clientId });
      expect(await ok('delete', { key: 'site_name', for_client_id: c.clientId })).toBe(true);
      expect(await ok('get', { key: 'site_name', for_client_id: c.clientId })).toBe('d');
      expect(await ok('delete', { key: 'site_name', for_client_id: c.clientId })).toBe(false);
      expect(await ok('get_default', { key: 'site_name' })).toBe('d');
      expect(await ok('delete_default', { key: 'site_name' })).toBe(true);
      expect(await ok('get', { key: 'site_name', for_client_id: c.clientId })).toBeNull();
      expect(await ok('delete_default', { key: 'site_name' })).toBe(false);
      // Custom (non-standard) keys delete the same way.
      await ok('set', { key: 'my_custom', value: 'x', for_client_id: c.clientId });
      expect(await ok('delete', { key: 'my_custom', for_client_id: c.clientId })).toBe(true);
      expect(await clientDoc(c.clientId)).toEqual({});
    });
  });

  describe('documents over 64 KiB', () => {
    it('a set that would grow a document past 64 KiB: code 200, nothing stored', async () => {
      await clearDefaults();
      const c = await newClient();
      await ok('set', { key: 'keep', value: 'k', for_client_id: c.clientId });
      const big = 'x'.repeat(65 * 1024);
      expectRegError(await call('set', { key: 'big', value: big, for_client_id: c.clientId }), 200);
      expectRegError(await call('set_multi', { items: JSON.stringify({ a: 'y'.repeat(40 * 1024), b: 'z'.repeat(40 * 1024) }), for_client_id: c.clientId }), 200);
      expectRegError(await call('set_default', { key: 'big', value: big }), 200);
      expect(await clientDoc(c.clientId)).toEqual({ keep: 'k' });
      expect(await ok('default_items')).toEqual({});
      // Just under the limit is fine.
      expect(await ok('set', { key: 'big', value: 'w'.repeat(60 * 1024), for_client_id: c.clientId })).toBe(false);
      expect(await ok('delete', { key: 'big', for_client_id: c.clientId })).toBe(true);
    });
  });

  // Setting names are arbitrary strings; names that happen to be properties of Object.prototype must
  // behave like any other name (null when unset, a boolean from set, the value back from get).
  describe('keys named like Object.prototype properties', () => {
    const NAMES = ['constructor', 'toString', 'hasOwnProperty', '__proto__'];

    it('get, get_default and get_multi answer null for such a key that was never set', async () => {
      await clearDefaults();
      const c = await newClient();
      for (const key of NAMES) {
        for (const [op, params] of [
          ['get', { key, for_client_id: c.clientId }],
          ['get_default', { key }],
        ] as [string, ParamList][]) {
          const res = await call(op, params);
          expectOk(res);
          expect(Object.hasOwn(res.body, 'result'), `${op} ${key}: ${res.text}`).toBe(true);
          expect(res.body.result, `${op} ${key}: ${res.text}`).toBeNull();
        }
        const multi = await call('get_multi', { keys: JSON.stringify([key]), for_client_id: c.clientId });
        expectOk(multi);
        const result = multi.body.result as Record<string, unknown>;
        expect(Object.keys(result), multi.text).toEqual([key]);
        expect(Object.getOwnPropertyDescriptor(result, key)?.value, `get_multi ${key}: ${multi.text}`).toBeNull();
      }
    });

    it('set of such a key answers a boolean and the value reads back (or the key is refused as invalid)', async () => {
      const c = await newClient();
      for (const key of NAMES) {
        const res = await call('set', { key, value: `v-${key}`, for_client_id: c.clientId });
        if (res.body.stat === 'error') {
          expectRegError(res, 200, 'key');
          continue;
        }
        expect(res.body.result, `set ${key}: ${res.text}`).toBe(false);
        const back = await call('get', { key, for_client_id: c.clientId });
        expectOk(back);
        expect(back.body.result, `get ${key}: ${back.text}`).toBe(`v-${key}`);
      }
    });
  });

  describe('for_client_id rules', () => {
    const READS: [string, ParamList][] = [
      ['get', { key: 'site_name' }],
      ['get_multi', { keys: '["site_name"]' }],
      ['items', {}],
      ['keys', {}],
      ['client_items', {}],
      ['client_keys', {}],
    ];

    it('any client reads its own settings, with no for_client_id or its own id', async () => {
      const c = await newClient(['login_client']);
      await ok('set', { key: 'site_name', value: 'mine', for_client_id: c.clientId });
      for (const [op, params] of READS) {
        const a = await ok(op, params, c);
        const b = await ok(op, { ...params, for_client_id: c.clientId }, c);
        expect(b, op).toEqual(a);
      }
      expect(await ok('get', { key: 'site_name' }, c)).toBe('mine');
      expect(await ok('items', {}, c)).toMatchObject({ site_name: 'mine' });
      // Defaults are readable too.
      expect(Array.isArray(await ok('default_keys', {}, c))).toBe(true);
      expect(typeof (await ok('default_items', {}, c))).toBe('object');
    });

    it('a non-owner naming another client: code 403, for every read', async () => {
      const c = await newClient(['login_client']);
      const another = await newClient(['login_client']);
      await ok('set', { key: 'site_name', value: 'private', for_client_id: another.clientId });
      for (const [op, params] of READS) {
        const res = await call(op, { ...params, for_client_id: another.clientId }, c);
        expectRegError(res, 403);
        expect(res.text).not.toContain('private');
        // Naming the owner, or an unknown client, is no different.
        expectRegError(await call(op, { ...params, for_client_id: t.owner.clientId }, c), 403);
        expectRegError(await call(op, { ...params, for_client_id: UNKNOWN_CLIENT }, c), 403);
      }
      expectRegError(await call('get_all', {}, c), 403);
    });

    it('a non-owner may not change settings, not even its own: code 403, nothing stored', async () => {
      await clearDefaults();
      const c = await newClient(['login_client']);
      for (const [op, params] of [
        ['set', { key: 'site_name', value: 'x' }],
        ['set', { key: 'site_name', value: 'x', for_client_id: c.clientId }],
        ['set_multi', { items: '{"site_name":"x"}' }],
        ['set_default', { key: 'site_name', value: 'x' }],
        ['set_default_multi', { items: '{"site_name":"x"}' }],
        ['delete', { key: 'site_name' }],
        ['delete_default', { key: 'site_name' }],
      ] as [string, ParamList][]) {
        expectRegError(await call(op, params, c), 403);
      }
      expect(await clientDoc(c.clientId)).toEqual({});
      expect(await ok('default_items')).toEqual({});
    });

    it('the owner naming an unknown client or one of another application: code 200 argument for_client_id, nothing stored', async () => {
      const ops: [string, ParamList][] = [
        ...READS,
        ['set', { key: 'site_name', value: 'x' }],
        ['set_multi', { items: '{"site_name":"x"}' }],
        ['delete', { key: 'site_name' }],
      ];
      for (const id of [UNKNOWN_CLIENT, other.owner.clientId]) {
        for (const [op, params] of ops) {
          expectRegError(await call(op, { ...params, for_client_id: id }), 200, 'for_client_id');
        }
      }
      const all = await call('get_all');
      expectOk(all);
      expect(Object.keys(all.body.client_settings as object)).not.toContain(UNKNOWN_CLIENT);
      expect(Object.keys(all.body.client_settings as object)).not.toContain(other.owner.clientId);
      // The other application's owner sees its own (empty) settings.
      const theirs = await call('client_items', {}, other.owner);
      expectOk(theirs);
      expect(theirs.body.result).toEqual({});
    });

    it('each application has its own defaults', async () => {
      await clearDefaults();
      await ok('set_default', { key: 'site_name', value: 'ours' });
      expect(await ok('get_default', { key: 'site_name' }, other.owner)).toBeNull();
      expect(await ok('get', { key: 'site_name' }, other.owner)).toBeNull();
      await ok('set_default', { key: 'site_name', value: 'theirs' }, other.owner);
      expect(await ok('get_default', { key: 'site_name' })).toBe('ours');
    });
  });
});
