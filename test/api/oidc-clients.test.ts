// OIDC clients over HTTP on both engines (spec hosted-login-api §3.1, §5; seed 002): public and
// confidential clients come with their own login_client API client, configuration clients with a
// secret that rotates with a grace period, and the last configuration client cannot be deleted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../helpers/engines.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { basicHeader, findClient } from './helpers.js';

type Json = Record<string, unknown>;

describe.each(ENGINES)('OIDC clients on %s', (engine) => {
  let t: TestServer;
  let cid: string;
  let config: { client_id: string; client_secret: string; token_policy_id: string };
  let admin: string;
  let loginPolicy: string;
  beforeAll(async () => {
    t = await startTestServer(engine);
    const b = t.server.bootstrap;
    if (!b.created) throw new Error('not bootstrapped');
    cid = b.credentials.customer_id;
    config = b.credentials.configuration_client;
    admin = String((await getToken(config.client_id, config.client_secret, '*:config/**')).body.access_token);
    const created = await api('POST', 'loginPolicies', {
      title: 'web',
      loginURL: 'https://login.example.com/login',
      identityStoreDetails: { type: 'janrainCapture', connectionDetails: { domain: 'c.example.com', applicationId: t.applicationId, entityType: 'user', clientId: t.owner.clientId, clientSecret: t.owner.clientSecret } },
    });
    loginPolicy = String((created.body as Json).id);
  });
  afterAll(async () => {
    await t?.close();
  });

  async function getToken(id: string, secret: string, scope: string): Promise<{ status: number; body: Json }> {
    const res = await t.fetch(`/${cid}/login/token`, { method: 'POST', headers: { authorization: basicHeader(id, secret) }, body: new URLSearchParams({ grant_type: 'client_credentials', scope }) });
    return { status: res.status, body: (await res.json()) as Json };
  }
  async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
    const res = await t.fetch(`/${cid}/config/${path}`, {
      method,
      headers: { authorization: `Bearer ${admin}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text === '' ? null : (JSON.parse(text) as unknown) };
  }
  const client = (over: Json = {}): Json => ({ name: `web ${Math.random()}`, type: 'public', redirectURIs: ['https://app.example.com/callback', 'http://localhost:3000/redirect_uri'], loginPolicy, tokenPolicy: config.token_policy_id, ...over });

  it('creates a public client with its own login_client API client and its settings', async () => {
    const res = await api('POST', 'clients', client({ name: 'Storefront' }));
    expect(res.status).toBe(201);
    const body = res.body as Json & { _links: { application_client: { href: string } } };
    expect(body).not.toHaveProperty('secret');
    const apiClientId = body._links.application_client.href.split('/').pop() ?? '';
    expect(body._links.application_client.href).toBe(`/config/${t.applicationId}/clients/${apiClientId}`);
    expect(body).toMatchObject({ name: 'Storefront', type: 'public', loginPolicy, tokenPolicy: config.token_policy_id, _links: { self: { href: `/config/${cid}/clients/${String(body.id)}` } } });
    expect((await findClient(t, t.owner, apiClientId))?.features).toEqual(['login_client']);
    const settings = await t.fetch(`/config/${t.applicationId}/clients/${apiClientId}/settings`, { headers: { authorization: basicHeader(t.owner.clientId, t.owner.clientSecret) } });
    expect(await settings.json()).toMatchObject({ client: { user_entity_type: 'user', site_name: 'Storefront' }, custom: { janrainOidcClientId: body.id } });
    expect(((await api('GET', `clients/${String(body.id)}`)).body as Json)._links).toEqual(body._links);
    const list = (await api('GET', 'clients')).body as { total: number; _embedded: { clients: Json[] } };
    expect(list._embedded.clients.map((c) => c.id)).toContain(body.id);
    expect(list.total).toBe(list._embedded.clients.length);

    // Deleting the OIDC client deletes its API client.
    expect((await api('DELETE', `clients/${String(body.id)}`)).status).toBe(204);
    expect(await findClient(t, t.owner, apiClientId)).toBeUndefined();
    expect((await api('GET', `clients/${String(body.id)}`)).status).toBe(404);
  });

  it('shows a confidential client its secret once, then by GET …/secret', async () => {
    const res = await api('POST', 'clients', client({ type: 'confidential' }));
    const body = res.body as Json;
    expect(String(body.secret)).toMatch(/^[A-Za-z0-9_-]{64}$/);
    expect((await api('GET', `clients/${String(body.id)}`)).body).not.toHaveProperty('secret');
    expect((await api('GET', `clients/${String(body.id)}/secret`)).body).toEqual({ secret: body.secret });
    const publicOne = (await api('POST', 'clients', client())).body as Json;
    expect((await api('GET', `clients/${String(publicOne.id)}/secret`)).status).toBe(422);
  });

  it('rotates a configuration client\'s secret with a grace period, or at once', async () => {
    const made = (await api('POST', 'clients', { name: 'ops', type: 'configuration', tokenPolicy: config.token_policy_id })).body as Json;
    const id = String(made.id);
    const first = String(made.secret);
    expect((await getToken(id, first, '.:config/**')).status).toBe(200);
    const graced = await api('POST', `clients/${id}/secret`, { hoursToLive: 1 });
    expect(graced.status).toBe(201);
    const second = String((graced.body as Json).secret);
    expect((await getToken(id, first, '.:config/**')).status).toBe(200);
    expect((await getToken(id, second, '.:config/**')).status).toBe(200);
    const now = await api('POST', `clients/${id}/secret`);
    const third = String((now.body as Json).secret);
    expect((await getToken(id, second, '.:config/**')).status).toBe(401);
    expect((await getToken(id, third, '.:config/**')).status).toBe(200);
    // The one from the grace period is still in it.
    expect((await getToken(id, first, '.:config/**')).status).toBe(200);
    expect((await api('POST', `clients/${id}/secret`, { hoursToLive: 169 })).status).toBe(422);
  });

  it('refuses bad bodies: redirect URIs, policies, types', async () => {
    const cases: [Json, RegExp][] = [
      [client({ redirectURIs: ['http://app.example.com/cb'] }), /plain http/],
      [client({ redirectURIs: ['javascript:alert(1)'] }), /javascript:/],
      [client({ redirectURIs: ['https://app.example.com/cb#x'] }), /fragment/],
      [client({ redirectURIs: [] }), /^\('redirectURIs',\) field required$/],
      [client({ loginPolicy: undefined }), /^\('loginPolicy',\) field required$/],
      [client({ loginPolicy: '00000000-0000-4000-8000-000000000000' }), /login policy .* not found/],
      [client({ tokenPolicy: 'nope' }), /UUID/],
      [client({ type: 'native' }), /must be one of public, confidential, configuration/],
      [{ ...client(), extra: 1 }, /'extra'.*extra fields not permitted/],
    ];
    for (const [body, message] of cases) {
      const res = await api('POST', 'clients', body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(String((res.body as Json).errors)).toMatch(message);
    }
    expect((await api('POST', 'clients', client({ redirectURIs: ['com.example.app:/oauth2redirect'] }))).status).toBe(201);
    const made = (await api('POST', 'clients', client())).body as Json;
    expect((await api('PUT', `clients/${String(made.id)}`, { ...client(), type: 'confidential' })).status).toBe(422);
    const renamed = await api('PUT', `clients/${String(made.id)}`, { ...client({ name: 'renamed', redirectURIs: ['https://new.example.com/cb'] }), _links: made._links, id: made.id });
    expect(renamed.body).toMatchObject({ name: 'renamed', redirectURIs: ['https://new.example.com/cb'] });
    expect((await api('POST', 'clients', client({ name: 'renamed' }))).status).toBe(409);
  });

  it('refuses to delete the last configuration client, and a login policy in use', async () => {
    // Other configuration clients made by the tests above are removed first.
    const all = ((await api('GET', 'clients')).body as { _embedded: { clients: Json[] } })._embedded.clients;
    for (const c of all.filter((x) => x.type === 'configuration' && x.id !== config.client_id)) expect((await api('DELETE', `clients/${String(c.id)}`)).status).toBe(204);
    const last = await api('DELETE', `clients/${config.client_id}`);
    expect(last.status).toBe(409);
    expect(String((last.body as Json).errors)).toMatch(/last configuration client/);
    expect((await getToken(config.client_id, config.client_secret, '*:**')).status).toBe(200);
    expect((await api('DELETE', `loginPolicies/${loginPolicy}`)).status).toBe(409);
  });
});
