// Settings across processes (issue 4 "Caching", spec README "Storage"): two idcloud servers on one
// PostgreSQL database, each with its own settings cache. A change made through server A — the
// configuration API or the legacy API, client or application scope — must be seen by server B within
// one second, also when B has just read (and cached) the old value. PostgreSQL only: SQLite is one
// file in one data directory.
import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addClient,
  basic,
  cfg,
  expectOk,
  pollUntil,
  reg,
  RELAXED_THROTTLE,
  startSharedCluster,
  type Credentials,
  type ParamList,
  type SharedCluster,
  type SharedServer,
} from './helpers.js';

/** The bound (one second) plus a little slack for the HTTP round trips of the poll itself. */
const PROPAGATION_DEADLINE_MS = 1_500;
const POLL_INTERVAL_MS = 25;

interface ClientSettingsView {
  client: Record<string, unknown>;
  custom: Record<string, unknown>;
  global: Record<string, unknown>;
}

describe('two servers sharing one PostgreSQL database: settings', () => {
  let cluster: SharedCluster;
  let a: SharedServer;
  let b: SharedServer;
  let c: Credentials;
  beforeAll(async () => {
    cluster = await startSharedCluster(2, RELAXED_THROTTLE);
    [a, b] = cluster.servers as [SharedServer, SharedServer];
    c = await addClient(a, cluster.owner, ['login_client'], 'settings across servers');
  });
  afterAll(async () => {
    await cluster.close();
  });

  const owner = (): ReturnType<typeof basic> => basic(cluster.owner);
  const legacy = async (s: SharedServer, op: string, params: ParamList, creds: Credentials = cluster.owner): Promise<unknown> => {
    const res = await reg(s, `/settings/${op}`, params, { auth: basic(creds) });
    expectOk(res);
    return res.body.result;
  };
  /** The effective value of `key` for client `c`, as server `s` answers it. */
  const effective = (s: SharedServer, key: string): Promise<unknown> => legacy(s, 'get', { key, for_client_id: c.clientId });
  const clientView = async (s: SharedServer, id: string = c.clientId): Promise<ClientSettingsView> => {
    const res = await cfg(s, 'GET', `/config/${cluster.applicationId}/clients/${id}/settings`, { auth: owner() });
    expect(res.status, res.text).toBe(200);
    return res.body as ClientSettingsView;
  };
  const globalView = async (s: SharedServer): Promise<Record<string, unknown>> => {
    const res = await cfg(s, 'GET', `/config/${cluster.applicationId}/settings`, { auth: owner() });
    expect(res.status, res.text).toBe(200);
    return res.body as Record<string, unknown>;
  };
  const putClient = async (s: SharedServer, body: unknown): Promise<void> => {
    const res = await cfg(s, 'PUT', `/config/${cluster.applicationId}/clients/${c.clientId}/settings`, { auth: owner(), json: body });
    expect(res.status, res.text).toBe(200);
  };
  const putGlobal = async (s: SharedServer, body: unknown): Promise<void> => {
    const res = await cfg(s, 'PUT', `/config/${cluster.applicationId}/settings`, { auth: owner(), json: body });
    expect(res.status, res.text).toBe(200);
  };
  /** Polls `s` from now until `fn` gives `expected` or the deadline passes; returns the last answer. */
  const seenOn = <T>(fn: () => Promise<T>, expected: T): Promise<T> =>
    pollUntil(fn, (v) => isDeepStrictEqual(v, expected), PROPAGATION_DEADLINE_MS, POLL_INTERVAL_MS);

  // Runs first: on this fresh database no settings change has happened yet (no cache_epochs row for
  // settings), and that first change must still reach B.
  it('the first settings change ever (config PUT on A) reaches B, which had cached the old value', async () => {
    expect(await effective(b, 'site_name')).toBeNull();
    expect((await clientView(b)).client).toEqual({});
    expect(await effective(b, 'site_name')).toBeNull();
    await putClient(a, { site_name: 'first', custom: { 'theming.logoURL': 'https://x.test/1.svg' } });
    expect(await effective(a, 'site_name')).toBe('first');
    expect(await seenOn(() => effective(b, 'site_name'), 'first')).toBe('first');
    expect(await seenOn(async () => (await clientView(b)).custom, { 'theming.logoURL': 'https://x.test/1.svg' })).toEqual({ 'theming.logoURL': 'https://x.test/1.svg' });
    // The client itself, asking B about itself, sees it too.
    expect(await legacy(b, 'get', { key: 'site_name' }, c)).toBe('first');
  });

  it('a config PUT that replaces the client’s document on A: B sees the replacement (and the deletion)', async () => {
    await putClient(a, { site_name: 'before', email_method: 'ses_sync' });
    expect(await seenOn(() => legacy(b, 'client_items', { for_client_id: c.clientId }), { site_name: 'before', email_method: 'ses_sync' })).toEqual({
      site_name: 'before',
      email_method: 'ses_sync',
    });
    expect(await legacy(b, 'client_items', { for_client_id: c.clientId })).toEqual({ site_name: 'before', email_method: 'ses_sync' });
    await putClient(a, { site_name: 'after' });
    expect(await seenOn(() => legacy(b, 'client_items', { for_client_id: c.clientId }), { site_name: 'after' })).toEqual({ site_name: 'after' });
    expect((await clientView(b)).client).toEqual({ site_name: 'after' });
  });

  it('a legacy set on A: B, which had read the old value, sees the new one', async () => {
    await legacy(a, 'set', { key: 'login_attempts', value: '3', for_client_id: c.clientId });
    expect(await seenOn(() => effective(b, 'login_attempts'), '3')).toBe('3');
    expect(await effective(b, 'login_attempts')).toBe('3');
    expect(await legacy(a, 'set', { key: 'login_attempts', value: '4', for_client_id: c.clientId })).toBe(true);
    expect(await seenOn(() => effective(b, 'login_attempts'), '4')).toBe('4');
    expect((await clientView(b)).client.login_attempts).toBe('4');
  });

  it('an application-scope change on A (set_default, config PUT): B’s inherited value follows', async () => {
    await putClient(a, {});
    expect(await seenOn(() => effective(b, 'user_entity_type'), null)).toBeNull();
    await legacy(a, 'set_default', { key: 'user_entity_type', value: 'user' });
    expect(await seenOn(() => effective(b, 'user_entity_type'), 'user')).toBe('user');
    expect(await seenOn(() => legacy(b, 'get_default', { key: 'user_entity_type' }), 'user')).toBe('user');

    await putGlobal(a, { user_entity_type: 'member' });
    expect(await seenOn(() => effective(b, 'user_entity_type'), 'member')).toBe('member');
    expect((await globalView(b)).user_entity_type).toBe('member');
    expect((await clientView(b)).global.user_entity_type).toBe('member');
  });

  it('the other direction: a delete on B is seen by A, which had cached the value', async () => {
    await legacy(b, 'set', { key: 'site_name', value: 'to delete', for_client_id: c.clientId });
    expect(await seenOn(() => effective(a, 'site_name'), 'to delete')).toBe('to delete');
    expect(await effective(a, 'site_name')).toBe('to delete');
    expect(await legacy(b, 'delete', { key: 'site_name', for_client_id: c.clientId })).toBe(true);
    expect(await seenOn(() => effective(a, 'site_name'), null)).toBeNull();
    await legacy(b, 'delete_default', { key: 'user_entity_type' });
    await putGlobal(b, {});
    expect(await seenOn(() => effective(a, 'user_entity_type'), null)).toBeNull();
  });

  it('several changes on A in quick succession, to both scopes: B ends with all of them', async () => {
    const other = await addClient(a, cluster.owner, ['login_client'], 'second settings client');
    expect(await effective(b, 'site_name')).toBeNull();
    expect((await clientView(b, other.clientId)).client).toEqual({});
    expect(await legacy(b, 'default_items', {})).toEqual({});
    await legacy(a, 'set', { key: 'site_name', value: 's1', for_client_id: c.clientId });
    await legacy(a, 'set', { key: 'site_name', value: 's2', for_client_id: c.clientId });
    await legacy(a, 'set', { key: 'site_name', value: 'o1', for_client_id: other.clientId });
    await legacy(a, 'set_default', { key: 'email_method', value: 'ses_sync' });
    expect(await seenOn(() => effective(b, 'site_name'), 's2')).toBe('s2');
    expect(await seenOn(() => legacy(b, 'get', { key: 'site_name', for_client_id: other.clientId }), 'o1')).toBe('o1');
    expect(await seenOn(() => legacy(b, 'default_items', {}), { email_method: 'ses_sync' })).toEqual({ email_method: 'ses_sync' });
    expect(await seenOn(() => effective(b, 'email_method'), 'ses_sync')).toBe('ses_sync');
  });

  it('simultaneous legacy sets of different keys on A and B: neither is lost', async () => {
    await putClient(a, {});
    const keys = Array.from({ length: 6 }, (_, i) => `k${i}`);
    const answers = await Promise.all(keys.map((k, i) => legacy(i % 2 === 0 ? a : b, 'set', { key: k, value: `v${i}`, for_client_id: c.clientId })));
    expect(answers).toEqual(keys.map(() => false));
    const expected = Object.fromEntries(keys.map((k, i) => [k, `v${i}`]));
    for (const s of [a, b]) {
      expect(await seenOn(() => legacy(s, 'client_items', { for_client_id: c.clientId }), expected)).toEqual(expected);
    }
  });
});
