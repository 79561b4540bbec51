// Several idcloud servers on one PostgreSQL database (spec README "Storage": nothing that must be
// shared lives only in one process's memory, and caches are invalidated across processes). Each
// server here has its own data directory, its own caches and timers; they share the database and the
// master key only, as processes on different hosts would. PostgreSQL only: SQLite is one file in one
// data directory.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addClient,
  asParams,
  auditList,
  authenticates,
  basic,
  cfg,
  expectOk,
  expectRegError,
  pollUntil,
  reg,
  RELAXED_THROTTLE,
  signed,
  startSharedCluster,
  type Credentials,
  type RegResult,
  type SharedCluster,
  type SharedServer,
} from './helpers.js';

/** How long another process may take to see a change (its watcher polls every 500 ms). */
const PROPAGATION_DEADLINE_MS = 5_000;

const list = (s: SharedServer, c: Credentials, auth = basic): Promise<RegResult> => reg(s, '/clients/list', {}, { auth: auth(c) });

describe('two servers sharing one PostgreSQL database: client changes', () => {
  let cluster: SharedCluster;
  let a: SharedServer;
  let b: SharedServer;
  beforeAll(async () => {
    cluster = await startSharedCluster(2, RELAXED_THROTTLE);
    [a, b] = cluster.servers as [SharedServer, SharedServer];
    // Work around the first-change bug demonstrated below: make one change and let every server
    // take note of it, so the tests here measure propagation of later changes.
    expectOk(await reg(a, '/clients/set_description', { description: 'warm-up change' }, { auth: basic(cluster.owner) }));
    for (const s of cluster.servers) await s.server.context.changes.poll();
  });
  afterAll(async () => {
    await cluster.close();
  });

  it('both serve the same application: a client created through A works on B at once', async () => {
    expect(a.url).not.toBe(b.url);
    const c = await addClient(a, cluster.owner, ['owner'], 'made on A');
    expectOk(await list(b, c));
    expect((await cfg(b, 'GET', `/config/${cluster.applicationId}/clients/${c.clientId}`, { auth: basic(cluster.owner) })).status).toBe(200);
  });

  it('reset_secret with hours_to_live 0 on A: B refuses the old secret within the deadline and accepts the new one', async () => {
    const c = await addClient(a, cluster.owner, ['owner'], 'rotated on A');
    // B has the client cached with its old secret.
    expectOk(await list(b, c));
    expectOk(await list(b, c, (x) => signed(x)));
    const res = await reg(a, '/clients/reset_secret', { for_client_id: c.clientId, hours_to_live: '0' }, { auth: basic(cluster.owner) });
    expectOk(res);
    const fresh = { clientId: c.clientId, clientSecret: res.body.new_secret as string };
    expectRegError(await list(a, c), 402);
    const seen = await pollUntil(() => list(b, c), (r) => r.body.code === 402, PROPAGATION_DEADLINE_MS);
    expectRegError(seen, 402);
    for (const auth of [basic, (x: Credentials) => signed(x), asParams]) {
      expect(await authenticates(b, c, auth)).toBe(false);
      expect(await authenticates(b, fresh, auth)).toBe(true);
    }
  });

  it('a grace-period reset on B: A accepts the new secret within the deadline and keeps accepting the old one', async () => {
    const c = await addClient(b, cluster.owner, ['owner'], 'rotated gently on B');
    expectOk(await list(a, c));
    const res = await reg(b, '/clients/reset_secret', { for_client_id: c.clientId, hours_to_live: '1' }, { auth: basic(cluster.owner) });
    expectOk(res);
    const fresh = { clientId: c.clientId, clientSecret: res.body.new_secret as string };
    const seen = await pollUntil(() => list(a, fresh), (r) => r.body.stat === 'ok', PROPAGATION_DEADLINE_MS);
    expectOk(seen);
    for (const auth of [basic, (x: Credentials) => signed(x), asParams]) {
      expect(await authenticates(a, c, auth)).toBe(true);
      expect(await authenticates(a, fresh, auth)).toBe(true);
    }
  });

  it('a configuration API secret reset on B (hoursToLive 0): A refuses the old secret within the deadline', async () => {
    const c = await addClient(a, cluster.owner, ['owner'], 'rotated through config on B');
    expectOk(await list(a, c));
    const res = await cfg(b, 'PUT', `/config/${cluster.applicationId}/clients/${c.clientId}/secret`, { auth: basic(cluster.owner), json: { hoursToLive: 0 } });
    expect(res.status, res.text).toBe(200);
    const fresh = { clientId: c.clientId, clientSecret: (res.body as { _secret: string })._secret };
    expectRegError(await pollUntil(() => list(a, c), (r) => r.body.code === 402, PROPAGATION_DEADLINE_MS), 402);
    expectOk(await list(a, fresh));
    expect((await cfg(a, 'GET', `/config/${cluster.applicationId}/clients`, { auth: basic(c) })).status).toBe(401);
  });

  it('features, allow lists and deletion made on A take effect on B within the deadline', async () => {
    const c = await addClient(a, cluster.owner, ['owner'], 'changed on A');
    expectOk(await list(b, c));

    expectOk(await reg(a, '/clients/set_features', { features: '["direct_access"]', for_client_id: c.clientId }, { auth: basic(cluster.owner) }));
    expectRegError(await pollUntil(() => list(b, c), (r) => r.body.code === 403, PROPAGATION_DEADLINE_MS), 403);
    expectOk(await reg(a, '/clients/set_features', { features: '["owner"]', for_client_id: c.clientId }, { auth: basic(cluster.owner) }));
    expectOk(await pollUntil(() => list(b, c), (r) => r.body.stat === 'ok', PROPAGATION_DEADLINE_MS));

    expectOk(await reg(a, '/clients/set_whitelist', { whitelist: '["10.0.0.0/8"]', for_client_id: c.clientId }, { auth: basic(cluster.owner) }));
    expectRegError(await pollUntil(() => list(b, c), (r) => r.body.code === 403, PROPAGATION_DEADLINE_MS), 403);
    expectOk(await reg(a, '/clients/clear_whitelist', { for_client_id: c.clientId }, { auth: basic(cluster.owner) }));
    expectOk(await pollUntil(() => list(b, c), (r) => r.body.stat === 'ok', PROPAGATION_DEADLINE_MS));

    expectOk(await reg(a, '/clients/delete', { client_id_for_deletion: c.clientId }, { auth: basic(cluster.owner) }));
    expectRegError(await pollUntil(() => list(b, c), (r) => r.body.code === 402, PROPAGATION_DEADLINE_MS), 402);
  });

  it('one audit log: changes made on either server are listed by both', async () => {
    const c = await addClient(b, cluster.owner, [], 'audited across servers');
    expectOk(await reg(a, '/clients/set_description', { description: 'renamed on A', for_client_id: c.clientId }, { auth: basic(cluster.owner) }));
    for (const s of [a, b]) {
      const rows = (await auditList(s, cluster.owner)).rows.filter((r) => r.target === c.clientId);
      expect(rows.map((r) => r.operation)).toEqual(['clients/add', 'clients/set_description']);
    }
  });

  it('the last-owner rule holds across servers when both try to remove an owner at once', async () => {
    // Two owners; A removes one while B removes the other. At most one may succeed.
    const second = await addClient(a, cluster.owner, ['owner'], 'second owner');
    const others = (await reg(a, '/clients/list', { has_features: '["owner"]' }, { auth: basic(cluster.owner) })).body.results as { client_id: string }[];
    // Leave exactly the seeded owner and `second` as owners.
    for (const o of others) {
      if (o.client_id !== cluster.owner.clientId && o.client_id !== second.clientId) {
        expectOk(await reg(a, '/clients/set_features', { features: '[]', for_client_id: o.client_id }, { auth: basic(cluster.owner) }));
      }
    }
    const [viaA, viaB] = await Promise.all([
      reg(a, '/clients/delete', { client_id_for_deletion: second.clientId }, { auth: basic(cluster.owner) }),
      reg(b, '/clients/delete', { client_id_for_deletion: cluster.owner.clientId }, { auth: basic(second) }),
    ]);
    const succeeded = [viaA, viaB].filter((r) => r.body.stat === 'ok').length;
    expect(succeeded, `${viaA.text} / ${viaB.text}`).toBe(1);
    const remaining = (await cfg(a, 'GET', `/config/${cluster.applicationId}/clients`, { auth: basic(viaA.body.stat === 'ok' ? cluster.owner : second) })).body as { features: string[] }[];
    expect(remaining.filter((r) => r.features.includes('owner')).length).toBe(1);
  });
});

describe('two servers sharing one PostgreSQL database: the first client change after start', () => {
  let cluster: SharedCluster;
  beforeAll(async () => {
    cluster = await startSharedCluster(2, RELAXED_THROTTLE);
  });
  afterAll(async () => {
    await cluster.close();
  });

  // On a database where no client has changed since bootstrap there is no cache_epochs row yet: the
  // very first change, made on A, must still reach B's cache (the missing row counts as epoch 0).
  it('B refuses the old secret within the deadline when the first change ever is a reset on A', async () => {
    const [a, b] = cluster.servers as [SharedServer, SharedServer];
    const first = a.server.bootstrap;
    if (!first.created) throw new Error('server A did not bootstrap');
    const login = { clientId: first.credentials.clients.login.client_id, clientSecret: first.credentials.clients.login.client_secret };
    expect(await authenticates(b, login)).toBe(true);
    const res = await reg(a, '/clients/reset_secret', { for_client_id: login.clientId, hours_to_live: '0' }, { auth: basic(cluster.owner) });
    expectOk(res);
    expect(await authenticates(a, login)).toBe(false);
    const stillAccepted = await pollUntil(() => authenticates(b, login), (ok) => !ok, PROPAGATION_DEADLINE_MS);
    expect(stillAccepted, 'B still accepts the replaced secret').toBe(false);
    expect(await authenticates(b, { clientId: login.clientId, clientSecret: res.body.new_secret as string })).toBe(true);
  });
});

describe('two servers sharing one PostgreSQL database: throttling', () => {
  let cluster: SharedCluster;
  let a: SharedServer;
  let b: SharedServer;
  beforeAll(async () => {
    cluster = await startSharedCluster(2, { authFailureLimit: 3, authFailureAddressLimit: 1_000, authFailureWindow: 300 });
    [a, b] = cluster.servers as [SharedServer, SharedServer];
  });
  afterAll(async () => {
    await cluster.close();
  });

  it('failures recorded through A block the client on B (510 and HTTP 429) within the deadline', async () => {
    const c = await addClient(a, cluster.owner, ['owner'], 'throttled across servers');
    expectOk(await list(b, c));
    for (let i = 0; i < 3; i++) expectRegError(await list(a, { clientId: c.clientId, clientSecret: 'wrong' }), 402);
    expectRegError(await list(a, c), 510);
    const onB = await pollUntil(() => list(b, c), (r) => r.body.code === 510, PROPAGATION_DEADLINE_MS);
    expectRegError(onB, 510);
    expect((await cfg(b, 'GET', `/config/${cluster.applicationId}/clients`, { auth: basic(c) })).status).toBe(429);
    expectOk(await list(b, cluster.owner));
  });

  it('failures on both servers add up', async () => {
    const c = await addClient(a, cluster.owner, ['owner'], 'failing on both');
    const bad = { clientId: c.clientId, clientSecret: 'wrong' };
    expectRegError(await list(a, bad), 402);
    expectRegError(await list(b, bad), 402);
    expectRegError(await list(a, bad, (x) => signed(x)), 402);
    // The third failure was on A, which blocks at once there; B learns it from the database.
    expectRegError(await list(a, c), 510);
    expectRegError(await pollUntil(() => list(b, c), (r) => r.body.code === 510, PROPAGATION_DEADLINE_MS), 510);
  });
});
