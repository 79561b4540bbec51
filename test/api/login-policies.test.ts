// Login policies over HTTP on both engines (spec hosted-login-api §3.2): the identity store checked at
// create and fixed after, the owner secret never shown, and the story of seed 003 — an owner secret
// reset that no longer breaks sign-in: the reset names the policy, the old secret keeps working through
// the grace period, and the policy is re-keyed with the new one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../helpers/engines.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { authenticates, basic, basicHeader, reg, type Credentials } from './helpers.js';

type Json = Record<string, unknown>;

describe.each(ENGINES)('login policies on %s', (engine) => {
  let t: TestServer;
  let cid: string;
  let admin: string;
  beforeAll(async () => {
    t = await startTestServer(engine);
    const b = t.server.bootstrap;
    if (!b.created) throw new Error('not bootstrapped');
    cid = b.credentials.customer_id;
    const cc = b.credentials.configuration_client;
    const form = new URLSearchParams({ grant_type: 'client_credentials', scope: '*:config/**' });
    const res = await t.fetch(`/${cid}/login/token`, { method: 'POST', headers: { authorization: basicHeader(cc.client_id, cc.client_secret) }, body: form });
    admin = String(((await res.json()) as Json).access_token);
  });
  afterAll(async () => {
    await t?.close();
  });

  const api = async (method: string, path: string, body?: unknown, bearer = admin): Promise<{ status: number; body: unknown }> => {
    const res = await t.fetch(`/${cid}/config/${path}`, {
      method,
      headers: { authorization: `Bearer ${bearer}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text === '' ? null : (JSON.parse(text) as unknown) };
  };
  const policy = (owner: Credentials, over: Json = {}): Json => ({
    title: 'Web sign-in',
    loginURL: 'https://login.example.com/login',
    identityStoreDetails: {
      type: 'janrainCapture',
      connectionDetails: { domain: 'capture.example.com', applicationId: t.applicationId, entityType: 'user', clientId: owner.clientId, clientSecret: owner.clientSecret },
    },
    customClaims: { userinfo: { zip: 'primaryAddress.zip' } },
    ...over,
  });
  const errorsOf = (r: { body: unknown }): string => String((r.body as Json).errors);

  it('creates a policy for an owner client with a valid secret, and never shows the secret', async () => {
    const created = await api('POST', 'loginPolicies', policy(t.owner));
    expect(created.status).toBe(201);
    const body = created.body as Json;
    const id = String(body.id);
    expect(body).toEqual({
      id,
      title: 'Web sign-in',
      loginURL: 'https://login.example.com/login',
      identityStoreDetails: { type: 'janrainCapture', connectionDetails: { domain: 'capture.example.com', applicationId: t.applicationId, entityType: 'user', clientId: t.owner.clientId, clientSecret: '********' } },
      customClaims: { userinfo: { zip: 'primaryAddress.zip' } },
      _links: { self: { href: `/${cid}/config/loginPolicies/${id}` } },
    });
    expect(JSON.stringify((await api('GET', `loginPolicies/${id}`)).body)).not.toContain(t.owner.clientSecret);
    const list = (await api('GET', 'loginPolicies')).body as { total: number; _embedded: { loginPolicies: Json[] } };
    expect(list._embedded.loginPolicies).toContainEqual({ id, title: 'Web sign-in', _links: { self: { href: `/${cid}/config/loginPolicies/${id}` } } });
    expect(list.total).toBe(list._embedded.loginPolicies.length);
    const rows = await t.server.context.store.db.selectFrom('audit_log').select(['before', 'after']).where('operation', 'like', 'loginPolicy.%').execute();
    expect(JSON.stringify(rows)).not.toContain(t.owner.clientSecret);
  });

  it('refuses identity stores it cannot use, and malformed bodies, with the documented errors', async () => {
    const connection = (over: Json) => policy(t.owner, { identityStoreDetails: { type: 'janrainCapture', connectionDetails: { ...((policy(t.owner).identityStoreDetails as Json).connectionDetails as Json), ...over } } });
    const cases: [unknown, number, RegExp][] = [
      [connection({ clientSecret: 'wrong-secret' }), 422, /clientSecret',\) is not a current secret/],
      [connection({ clientId: t.login.clientId, clientSecret: t.login.clientSecret }), 422, /does not have the owner feature/],
      [connection({ applicationId: 'nosuchapp' }), 422, /not an application of this customer/],
      [connection({ entityType: 'nobody' }), 422, /has no entity type nobody/],
      [policy(t.owner, { loginURL: undefined }), 422, /^\('loginURL',\) field required$/],
      [policy(t.owner, { title: undefined }), 422, /^\('title',\) field required$/],
      [policy(t.owner, { loginURL: 'not a url' }), 422, /absolute URL/],
      [policy(t.owner, { identityStoreDetails: undefined }), 422, /^\('identityStoreDetails',\) field required$/],
      [policy(t.owner, { identityStoreDetails: { type: 'ldap', connectionDetails: {} } }), 422, /janrainCapture/],
      [connection({ clientSecret: undefined }), 422, /^\('identityStoreDetails', 'connectionDetails', 'clientSecret',\) field required$/],
      [policy(t.owner, { customClaims: { userinfo: { zip: 'primary address' } } }), 422, /attribute path/],
      [policy(t.owner, { mfa: true }), 422, /'mfa'.*extra fields not permitted/],
    ];
    for (const [body, status, message] of cases) {
      const res = await api('POST', 'loginPolicies', body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(errorsOf(res)).toMatch(message);
    }
  });

  it('keeps the identity store fixed on PUT; title, loginURL and claims change', async () => {
    const id = String(((await api('POST', 'loginPolicies', policy(t.owner))).body as Json).id);
    const shown = (await api('GET', `loginPolicies/${id}`)).body as Json;
    const put = await api('PUT', `loginPolicies/${id}`, { ...shown, title: 'v2', loginURL: 'https://login.example.com/v2/login', customClaims: undefined });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ title: 'v2', loginURL: 'https://login.example.com/v2/login' });
    expect(put.body).not.toHaveProperty('customClaims');
    const store = shown.identityStoreDetails as { connectionDetails: Json };
    for (const change of [{ entityType: 'other' }, { clientId: 'someoneelse' }, { domain: 'x.example.com' }]) {
      const res = await api('PUT', `loginPolicies/${id}`, { ...shown, identityStoreDetails: { type: 'janrainCapture', connectionDetails: { ...store.connectionDetails, ...change } } });
      expect(res).toEqual({ status: 422, body: { errors: 'identityStoreDetails cannot be changed' } });
    }
    const wrongSecret = await api('PUT', `loginPolicies/${id}`, { ...shown, identityStoreDetails: { type: 'janrainCapture', connectionDetails: { ...store.connectionDetails, clientSecret: 'not-a-secret-of-it' } } });
    expect(wrongSecret.status).toBe(422);
    expect(errorsOf(wrongSecret)).toMatch(/^identityStoreDetails cannot be changed; only connectionDetails.clientSecret may be replaced/);
    expect((await api('GET', 'loginPolicies/not-a-uuid')).status).toBe(400);
    expect((await api('GET', 'loginPolicies/00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });

  it('seed 003: an owner secret reset names the policy, sign-in keeps working through the grace period, and the policy is re-keyed', async () => {
    // A second owner client, so the bootstrap owner's secret stays put for the other tests.
    const add = await reg(t, '/clients/add', { description: 'hosted login owner', features: '["owner"]' }, { auth: basic(t.owner) });
    const owner: Credentials = { clientId: String(add.body.client_id), clientSecret: String(add.body.client_secret) };
    const id = String(((await api('POST', 'loginPolicies', policy(owner, { title: 'rotating' }))).body as Json).id);
    // What the policy holds is what Hosted Login signs in with: it must authenticate the owner client.
    const held = async (): Promise<Credentials> => {
      const row = await t.server.context.store.db.selectFrom('login_policies').select(['secret_key_id', 'secret_ciphertext']).where('id', '=', id).executeTakeFirstOrThrow();
      return { clientId: owner.clientId, clientSecret: t.server.context.secretBox.open({ keyId: row.secret_key_id, ciphertext: row.secret_ciphertext }, `login_policy:${id}`) };
    };
    expect(await authenticates(t, await held())).toBe(true);

    const reset = await reg(t, '/clients/reset_secret', { for_client_id: owner.clientId, hours_to_live: '2' }, { auth: basic(t.owner) });
    expect(reset.body.login_policies).toEqual([{ id, title: 'rotating', href: `/${cid}/config/loginPolicies/${id}` }]);
    const fresh = String(reset.body.new_secret);
    // Through the grace period the policy's (old) secret still signs in.
    expect(await authenticates(t, await held())).toBe(true);

    const shown = (await api('GET', `loginPolicies/${id}`)).body as Json;
    const store = shown.identityStoreDetails as { connectionDetails: Json };
    const rekeyed = await api('PUT', `loginPolicies/${id}`, { ...shown, identityStoreDetails: { type: 'janrainCapture', connectionDetails: { ...store.connectionDetails, clientSecret: fresh } } });
    expect(rekeyed.status).toBe(200);
    expect((await held()).clientSecret).toBe(fresh);

    // The old secret is ended at once now: the re-keyed policy still signs in.
    const config = await t.fetch(`/config/${t.applicationId}/clients/${owner.clientId}/secret`, { method: 'PUT', headers: { authorization: basicHeader(t.owner.clientId, t.owner.clientSecret), 'content-type': 'application/json' }, body: '{"hoursToLive":168}' });
    const configBody = (await config.json()) as { _secret: string; loginPolicies: Json[] };
    expect(configBody.loginPolicies.map((p) => p.id)).toEqual([id]);
    expect(await authenticates(t, await held())).toBe(true);
  });

  it('sets push claims and allowed response types', async () => {
    const id = String(((await api('POST', 'loginPolicies', policy(t.owner))).body as Json).id);
    expect(await api('GET', `loginPolicies/${id}/pushClaims`)).toEqual({ status: 200, body: false });
    expect(await api('PUT', `loginPolicies/${id}/pushClaims`, true)).toEqual({ status: 200, body: true });
    expect(await api('PUT', `loginPolicies/${id}/pushClaims`, { enabled: false })).toEqual({ status: 200, body: false });
    expect((await api('PUT', `loginPolicies/${id}/pushClaims`, 'yes')).status).toBe(422);
    expect(await api('GET', `loginPolicies/${id}/allowedResponseTypes`)).toEqual({ status: 200, body: ['code'] });
    expect(await api('PUT', `loginPolicies/${id}/allowedResponseTypes`, ['code', 'code id_token'])).toEqual({ status: 200, body: ['code', 'code id_token'] });
    expect((await api('PUT', `loginPolicies/${id}/allowedResponseTypes`, ['token'])).status).toBe(422);
    expect((await api('PUT', `loginPolicies/${id}/allowedResponseTypes`, [])).status).toBe(422);
  });

  it('deletes an unused policy and refuses one a client uses', async () => {
    const unused = String(((await api('POST', 'loginPolicies', policy(t.owner))).body as Json).id);
    expect((await api('DELETE', `loginPolicies/${unused}`)).status).toBe(204);
    expect((await api('GET', `loginPolicies/${unused}`)).status).toBe(404);
    const used = String(((await api('POST', 'loginPolicies', policy(t.owner))).body as Json).id);
    const b = t.server.bootstrap;
    if (!b.created) throw new Error('not bootstrapped');
    const clientId = '11111111-2222-4333-8444-555555555555';
    await t.server.context.store.db.insertInto('oidc_clients').values({ id: clientId, customer_id: cid, name: 'web', type: 'public', redirect_uris: '[]', login_policy_id: used, token_policy_id: b.credentials.configuration_client.token_policy_id, created_at: '2026-01-01T00:00:00.000000Z', updated_at: '2026-01-01T00:00:00.000000Z' }).execute();
    expect(await api('DELETE', `loginPolicies/${used}`)).toEqual({ status: 409, body: { errors: `${JSON.stringify([`/customers/${cid}/clients/${clientId}`])}\n` } });
  });

  it('authorizes by scope: + creates but cannot read back (seed 004)', async () => {
    const b = t.server.bootstrap;
    if (!b.created) throw new Error('not bootstrapped');
    const cc = b.credentials.configuration_client;
    const res = await t.fetch(`/${cid}/login/token`, { method: 'POST', headers: { authorization: basicHeader(cc.client_id, cc.client_secret) }, body: new URLSearchParams({ grant_type: 'client_credentials', scope: '+:config/loginPolicies' }) });
    const mutate = String(((await res.json()) as Json).access_token);
    const created = await api('POST', 'loginPolicies', policy(t.owner), mutate);
    expect(created.status).toBe(201);
    expect((await api('GET', `loginPolicies/${String((created.body as Json).id)}`, undefined, mutate)).status).toBe(403);
    expect((await api('PUT', `loginPolicies/${String((created.body as Json).id)}`, policy(t.owner), mutate)).status).toBe(403);
  });
});
