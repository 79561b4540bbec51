// Hosted Login configuration over HTTP on both engines: configuration tokens from the token endpoint
// (scopes granted as the client's token policy allows), their introspection and revocation, and the
// token policy API authorized by each token's scopes (seed 004).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../helpers/engines.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { auditList, basicHeader } from './helpers.js';

type Json = Record<string, unknown>;

describe.each(ENGINES)('Hosted Login configuration on %s', (engine) => {
  let t: TestServer;
  let cid: string;
  let config: { client_id: string; client_secret: string; token_policy_id: string };
  beforeAll(async () => {
    t = await startTestServer(engine);
    const bootstrap = t.server.bootstrap;
    if (!bootstrap.created) throw new Error('not bootstrapped');
    cid = bootstrap.credentials.customer_id;
    config = bootstrap.credentials.configuration_client;
  });
  afterAll(async () => {
    await t?.close();
  });

  const tokenCall = async (body: Record<string, string>, opts: { auth?: string; path?: string; multipart?: boolean } = {}): Promise<{ status: number; body: Json }> => {
    const form = opts.multipart ? new FormData() : new URLSearchParams();
    for (const [k, v] of Object.entries(body)) form.append(k, v);
    const res = await t.fetch(opts.path ?? `/${cid}/login/token`, { method: 'POST', headers: { authorization: opts.auth ?? basicHeader(config.client_id, config.client_secret) }, body: form });
    const text = await res.text();
    return { status: res.status, body: text === '' ? {} : (JSON.parse(text) as Json) };
  };
  const token = async (scope: string): Promise<string> => {
    const res = await tokenCall({ grant_type: 'client_credentials', scope });
    expect(res.status).toBe(200);
    return String(res.body.access_token);
  };
  const api = async (bearer: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }> => {
    const res = await t.fetch(`/${cid}/config/${path}`, {
      method,
      headers: { authorization: `Bearer ${bearer}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text === '' ? {} : (JSON.parse(text) as Json) };
  };

  it('issues a configuration token for the scopes the policy allows, by either form encoding', async () => {
    const res = await tokenCall({ grant_type: 'client_credentials', scope: '*:config/**' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: '*:config/**' });
    expect(String(res.body.access_token)).toMatch(/^[A-Za-z0-9_-]{64}$/);
    expect(res.body).not.toHaveProperty('refresh_token');
    const multipart = await tokenCall({ grant_type: 'client_credentials', scope: '.:config/tokenPolicies *:webhooks/**' }, { multipart: true });
    expect(multipart.body.scope).toBe('.:config/tokenPolicies *:webhooks/**');
  });

  it('drops scopes it cannot grant and says so in warnings; a token without scopes can do nothing', async () => {
    const res = await tokenCall({ grant_type: 'client_credentials', scope: '*.config\\tokenPolicy XXXXX' });
    expect(res.status).toBe(200);
    expect(res.body).not.toHaveProperty('scope');
    expect(res.body.warnings).toEqual([expect.stringMatching(/^\*\.config\\tokenPolicy: not granted/), expect.stringMatching(/^XXXXX: not granted/)]);
    expect((await api(String(res.body.access_token), 'GET', 'tokenPolicies')).status).toBe(403);
  });

  it('refuses bad clients and grants with RFC 6749 errors', async () => {
    const wrong = await tokenCall({ grant_type: 'client_credentials', scope: '*:**' }, { auth: basicHeader(config.client_id, 'not the secret') });
    expect(wrong).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
    expect((await tokenCall({ grant_type: 'client_credentials' }, { auth: 'Bearer x' })).body.error).toBe('invalid_client');
    expect((await tokenCall({ grant_type: 'client_credentials' }, { path: `/00000000-0000-4000-8000-000000000000/login/token` })).status).toBe(401);
    expect(await tokenCall({ grant_type: 'password', scope: '*:**' })).toMatchObject({ status: 400, body: { error: 'unsupported_grant_type' } });
    expect(await tokenCall({ scope: '*:**' })).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    const json = await t.fetch(`/${cid}/login/token`, { method: 'POST', headers: { authorization: basicHeader(config.client_id, config.client_secret), 'content-type': 'application/json' }, body: '{"grant_type":"client_credentials"}' });
    expect(json.status).toBe(400);
  });

  it('authorizes the configuration APIs by scope: read-only, item deny, and 401 for bad tokens', async () => {
    const admin = await token('*:config/**');
    const reader = await token('.:config/tokenPolicies');
    expect((await api(reader, 'GET', 'tokenPolicies')).status).toBe(200);
    const refused = await api(reader, 'POST', 'tokenPolicies', { title: 'nope' });
    expect(refused).toEqual({ status: 403, body: { errors: 'Not Authorized' } });

    const created = await api(admin, 'POST', 'tokenPolicies', { title: 'support', allowedScopes: ['openid', '.:config/**'] });
    expect(created.status).toBe(201);
    const id = String(created.body.id);
    const fenced = await token(`*:config/tokenPolicies -:config/tokenPolicies/${id}`);
    const list = await api(fenced, 'GET', 'tokenPolicies');
    expect(list.status).toBe(200);
    expect((list.body._embedded as { tokenPolicies: Json[] }).tokenPolicies.map((p) => p.id)).toContain(id);
    expect((await api(fenced, 'GET', `tokenPolicies/${id}`)).status).toBe(403);
    expect((await api(fenced, 'GET', `tokenPolicies/${config.token_policy_id}`)).status).toBe(200);
    expect((await api(await token('*:config/loginPolicies'), 'GET', 'tokenPolicies')).status).toBe(403);

    expect((await api('not-a-token', 'GET', 'tokenPolicies')).status).toBe(401);
    const missing = await t.fetch(`/${cid}/config/tokenPolicies`);
    expect(missing.status).toBe(401);
    expect(await missing.json()).toEqual({ errors: 'Authentication required.' });
  });

  it('introspects and revokes configuration tokens', async () => {
    const bearer = await token('.:config/**');
    const auth = basicHeader(config.client_id, config.client_secret);
    const live = await tokenCall({ token: bearer }, { path: `/${cid}/login/token/introspect`, auth });
    expect(live.body).toMatchObject({ active: true, scope: '.:config/**', client_id: config.client_id, token_type: 'Bearer' });
    expect(Number(live.body.exp) - Number(live.body.iat)).toBe(3600);
    expect((await tokenCall({ token: bearer }, { path: `/${cid}/login/token/revoke`, auth })).status).toBe(200);
    expect((await tokenCall({ token: bearer }, { path: `/${cid}/login/token/introspect`, auth })).body).toEqual({ active: false });
    expect((await api(bearer, 'GET', 'tokenPolicies')).status).toBe(401);
    // Unknown tokens are revoked without complaint (RFC 7009); strangers cannot introspect.
    expect((await tokenCall({ token: 'nothing' }, { path: `/${cid}/login/token/revoke`, auth })).status).toBe(200);
    expect((await tokenCall({ token: bearer }, { path: `/${cid}/login/token/introspect`, auth: basicHeader(config.client_id, 'wrong') })).status).toBe(401);
  });

  it('creates, reads, replaces and deletes token policies with the documented shapes and errors', async () => {
    const admin = await token('*:config/tokenPolicies');
    const created = await api(admin, 'POST', 'tokenPolicies', { title: 'web', accessTokenLifetime: '1800', allowedScopes: ['openid', 'profile', 'email'] });
    expect(created.status).toBe(201);
    const id = String(created.body.id);
    expect(created.body).toEqual({ id, title: 'web', accessTokenLifetime: 1800, refreshTokenLifetime: 7776000, allowedScopes: ['openid', 'profile', 'email'], useAccessJWT: false, _links: { self: { href: `/${cid}/config/tokenPolicies/${id}` } } });
    expect((await api(admin, 'GET', `tokenPolicies/${id}`)).body).toEqual(created.body);
    const list = await api(admin, 'GET', 'tokenPolicies');
    expect(list.body.total).toBe((list.body._embedded as { tokenPolicies: unknown[] }).tokenPolicies.length);
    expect((list.body._embedded as { tokenPolicies: Json[] }).tokenPolicies).toContainEqual({ id, title: 'web', _links: { self: { href: `/${cid}/config/tokenPolicies/${id}` } } });

    const replaced = await api(admin, 'PUT', `tokenPolicies/${id}`, { ...created.body, title: 'web v2', accessTokenLifetime: 3000 });
    expect(replaced.body).toMatchObject({ id, title: 'web v2', accessTokenLifetime: 3000, refreshTokenLifetime: 7776000 });
    // PUT replaces: what is left out takes its default.
    expect((await api(admin, 'PUT', `tokenPolicies/${id}`, { title: 'bare' })).body).toMatchObject({ title: 'bare', accessTokenLifetime: 3600, allowedScopes: ['openid', 'profile', 'email', 'address', 'phone'] });

    const bad: [unknown, number, RegExp][] = [
      [{}, 422, /^\('title',\) field required$/],
      [{ title: 'x', accessTokenLifetime: 59 }, 422, /accessTokenLifetime/],
      [{ title: 'x', accessTokenLifetime: 3601 }, 422, /accessTokenLifetime/],
      [{ title: 'x', refreshTokenLifetime: 31557601 }, 422, /refreshTokenLifetime/],
      [{ title: 'x', allowedScopes: ['openid', '?:config/**'] }, 422, /"\?:config\/\*\*" is not a configuration scope/],
      [{ title: 'x', allowedScopes: ['*:config//x'] }, 422, /"\*:config\/\/x"/],
      [{ title: 'x', allowedScopes: [''] }, 422, /empty/],
      [{ title: 'x', color: 'blue' }, 422, /'color'/],
      [[], 400, /JSON object/],
    ];
    for (const [body, status, message] of bad) {
      const res = await api(admin, 'POST', 'tokenPolicies', body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(String(res.body.errors)).toMatch(message);
    }
    const broken = await t.fetch(`/${cid}/config/tokenPolicies`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: '{"title":' });
    expect(broken.status).toBe(400);
    expect((await api(admin, 'GET', 'tokenPolicies/not-a-uuid')).status).toBe(400);
    expect((await api(admin, 'GET', 'tokenPolicies/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await api(admin, 'PUT', `tokenPolicies/${id}`, { id: '00000000-0000-4000-8000-000000000000', title: 'x' })).status).toBe(422);

    expect((await api(admin, 'DELETE', `tokenPolicies/${id}`)).status).toBe(204);
    expect((await api(admin, 'GET', `tokenPolicies/${id}`)).status).toBe(404);
  });

  it('refuses to delete a policy in use, or to leave no configuration client able to get tokens', async () => {
    const admin = await token('*:**');
    const inUse = await api(admin, 'DELETE', `tokenPolicies/${config.token_policy_id}`);
    expect(inUse).toEqual({ status: 409, body: { errors: `${JSON.stringify([`/customers/${cid}/clients/${config.client_id}`])}\n` } });
    const lockout = await api(admin, 'PUT', `tokenPolicies/${config.token_policy_id}`, { title: 'no config scopes', allowedScopes: ['openid'] });
    expect(lockout.status).toBe(409);
    expect((await api(admin, 'GET', `tokenPolicies/${config.token_policy_id}`)).body.allowedScopes).toEqual(['*:**']);
    // The audit log has every change, customer-wide: an owner of the customer's application reads them
    // through /audit/list (no application, the customer in the target).
    const { rows } = await auditList(t, t.owner, { operation: 'tokenPolicy.create' });
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(row.application_id).toBeNull();
      expect(row.target).toMatch(new RegExp(`^customer:${cid}/token_policy:[0-9a-f-]{36}$`));
    }
    const all = (await auditList(t, t.owner)).rows.map((r) => r.operation);
    expect(all).toEqual(expect.arrayContaining(['tokenPolicy.create', 'tokenPolicy.replace', 'tokenPolicy.delete', 'bootstrap.client_created']));
  });

  it('reads and merge-patches the session policy with exactly the scopes of spec §3.4', async () => {
    const session = async (bearer: string, method = 'GET', body?: unknown, type = 'application/merge-patch+json'): Promise<{ status: number; body: Json }> => {
      const res = await t.fetch('/config/v3/policies/sessions-default', { method, headers: { authorization: `Bearer ${bearer}`, ...(body === undefined ? {} : { 'content-type': type }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      return { status: res.status, body: (await res.json()) as Json };
    };
    const reader = await token('.:config/v3/policies/sessions-default');
    const writer = await token('+:config/v3/policies/sessions-default');
    expect(await session(reader)).toEqual({ status: 200, body: { deactivated: false, inactivityTTL: 2592000, absoluteTTL: 31536000 } });
    expect((await session(reader, 'PATCH', { deactivated: true })).status).toBe(403);
    expect((await session(writer)).status).toBe(403);
    expect(await session(writer, 'PATCH', { inactivityTTL: 3600, absoluteTTL: -1 })).toEqual({ status: 200, body: { deactivated: false, inactivityTTL: 3600, absoluteTTL: -1 } });
    expect((await session(writer, 'PATCH', { deactivated: true }, 'application/json')).body).toMatchObject({ deactivated: true, inactivityTTL: 3600 });
    expect((await session(writer, 'PATCH', { absoluteTTL: null })).body).toMatchObject({ absoluteTTL: 31536000 });
    for (const bad of [{ inactivityTTL: 59 }, { absoluteTTL: 100 }, { deactivated: 'yes' }, { lifetime: 1 }]) expect((await session(writer, 'PATCH', bad)).status).toBe(422);
    expect((await session(reader)).body).toEqual({ deactivated: true, inactivityTTL: 3600, absoluteTTL: 31536000 });
    expect((await t.fetch('/config/v3/policies/sessions-default')).status).toBe(401);
  });

  it('throttles failed client authentications at the token endpoint (HTTP 429, Retry-After), per client', async () => {
    const admin = await token('*:config/**');
    const made = (await api(admin, 'POST', 'clients', { name: 'throttled', type: 'configuration', tokenPolicy: config.token_policy_id })).body;
    const id = String(made.id);
    // The default limit is 10 failures of one client id within the window.
    for (let i = 0; i < 10; i += 1) expect((await tokenCall({ grant_type: 'client_credentials', scope: '.:**' }, { auth: basicHeader(id, `wrong-${i}`) })).status).toBe(401);
    const refused = await t.fetch(`/${cid}/login/token`, { method: 'POST', headers: { authorization: basicHeader(id, String(made.secret)) }, body: new URLSearchParams({ grant_type: 'client_credentials', scope: '.:**' }) });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another client is not affected.
    expect((await tokenCall({ grant_type: 'client_credentials', scope: '.:**' })).status).toBe(200);
  });
});
