// Hosted Login caches across processes: two servers on one PostgreSQL database, each keeping
// configuration clients, token policies and configuration tokens in memory. A change made through
// one must reach the other within a poll of its change watcher (PostgreSQL only, as multi-process).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicHeader, pollUntil, RELAXED_THROTTLE, startSharedCluster, type SharedCluster, type SharedServer } from './helpers.js';

/** How long another process may take to see a change (its watcher polls every 500 ms). */
const PROPAGATION_DEADLINE_MS = 5_000;

type Json = Record<string, unknown>;

describe('two servers sharing one PostgreSQL database: Hosted Login configuration', () => {
  let cluster: SharedCluster;
  let a: SharedServer;
  let b: SharedServer;
  let cid: string;
  let config: { client_id: string; client_secret: string; token_policy_id: string };
  beforeAll(async () => {
    cluster = await startSharedCluster(2, RELAXED_THROTTLE);
    [a, b] = cluster.servers as [SharedServer, SharedServer];
    const bootstrap = a.server.bootstrap;
    if (!bootstrap.created) throw new Error('not bootstrapped');
    cid = bootstrap.credentials.customer_id;
    config = bootstrap.credentials.configuration_client;
  });
  afterAll(async () => {
    await cluster?.close();
  });

  const tokenCall = async (s: SharedServer, clientId: string, secret: string, scope = '*:config/**'): Promise<{ status: number; body: Json }> => {
    const res = await fetch(`${s.url}/${cid}/login/token`, {
      method: 'POST',
      headers: { authorization: basicHeader(clientId, secret) },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope }),
    });
    return { status: res.status, body: (await res.json()) as Json };
  };
  const token = async (s: SharedServer, clientId = config.client_id, secret = config.client_secret): Promise<string> => {
    const res = await tokenCall(s, clientId, secret);
    expect(res.status).toBe(200);
    return String(res.body.access_token);
  };
  const api = async (s: SharedServer, bearer: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }> => {
    const res = await fetch(`${s.url}/${cid}/config/${path}`, {
      method,
      headers: { authorization: `Bearer ${bearer}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text === '' ? {} : (JSON.parse(text) as Json) };
  };
  const policyPath = (id: string): string => `tokenPolicies/${id}`;

  it('a token issued by A works on B at once; revoked on A, B refuses it within the deadline', async () => {
    const bearer = await token(a);
    expect((await api(b, bearer, 'GET', policyPath(config.token_policy_id))).status).toBe(200);
    const revoke = await fetch(`${a.url}/${cid}/login/token/revoke`, {
      method: 'POST',
      headers: { authorization: basicHeader(config.client_id, config.client_secret) },
      body: new URLSearchParams({ token: bearer }),
    });
    expect(revoke.status).toBe(200);
    expect((await api(a, bearer, 'GET', policyPath(config.token_policy_id))).status).toBe(401);
    const seen = await pollUntil(() => api(b, bearer, 'GET', policyPath(config.token_policy_id)), (r) => r.status === 401, PROPAGATION_DEADLINE_MS);
    expect(seen.status).toBe(401);
  });

  it('a token policy changed on A: B serves the new one within the deadline', async () => {
    const bearer = await token(a);
    const made = await api(a, bearer, 'POST', 'tokenPolicies', { title: 'before', accessTokenLifetime: 600, refreshTokenLifetime: 3600, allowedScopes: ['.:config/**'] });
    expect(made.status).toBe(201);
    const id = String(made.body.id);
    expect((await api(b, bearer, 'GET', policyPath(id))).body.title).toBe('before');
    const replaced = await api(a, bearer, 'PUT', policyPath(id), { title: 'after', accessTokenLifetime: 600, refreshTokenLifetime: 3600, allowedScopes: ['.:config/**'] });
    expect(replaced.status).toBe(200);
    expect((await api(a, bearer, 'GET', policyPath(id))).body.title).toBe('after');
    const seen = await pollUntil(() => api(b, bearer, 'GET', policyPath(id)), (r) => r.body.title === 'after', PROPAGATION_DEADLINE_MS);
    expect(seen.body.title).toBe('after');
    expect((await api(a, bearer, 'DELETE', policyPath(id))).status).toBe(204);
    const gone = await pollUntil(() => api(b, bearer, 'GET', policyPath(id)), (r) => r.status === 404, PROPAGATION_DEADLINE_MS);
    expect(gone.status).toBe(404);
  });

  it('a configuration client secret reset on A without grace: B refuses the old secret within the deadline', async () => {
    const bearer = await token(a);
    const made = await api(a, bearer, 'POST', 'clients', { name: 'rotated across servers', type: 'configuration', tokenPolicy: config.token_policy_id });
    expect(made.status).toBe(201);
    const id = String(made.body.id);
    const old = String(made.body.secret);
    expect((await tokenCall(b, id, old)).status).toBe(200);
    const reset = await api(a, bearer, 'POST', `clients/${id}/secret`);
    expect(reset.status).toBe(201);
    const fresh = String(reset.body.secret);
    expect((await tokenCall(a, id, old)).status).toBe(401);
    const seen = await pollUntil(() => tokenCall(b, id, old), (r) => r.status === 401, PROPAGATION_DEADLINE_MS);
    expect(seen.status).toBe(401);
    expect((await tokenCall(b, id, fresh)).status).toBe(200);
  });

  it('a configuration client deleted on A: its tokens stop working on B within the deadline', async () => {
    const bearer = await token(a);
    const made = await api(a, bearer, 'POST', 'clients', { name: 'deleted across servers', type: 'configuration', tokenPolicy: config.token_policy_id });
    const id = String(made.body.id);
    const itsToken = await token(a, id, String(made.body.secret));
    expect((await api(b, itsToken, 'GET', policyPath(config.token_policy_id))).status).toBe(200);
    expect((await api(a, bearer, 'DELETE', `clients/${id}`)).status).toBe(204);
    expect((await api(a, itsToken, 'GET', policyPath(config.token_policy_id))).status).toBe(401);
    const seen = await pollUntil(() => api(b, itsToken, 'GET', policyPath(config.token_policy_id)), (r) => r.status === 401, PROPAGATION_DEADLINE_MS);
    expect(seen.status).toBe(401);
  });
});
