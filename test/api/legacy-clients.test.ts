// Legacy Clients API (spec capture-api §6, README "Rotation without lock-out", "Audit"): list, add,
// delete, set_description, set_features, set_whitelist, clear_whitelist and reset_secret, with the
// shapes of the original, the rules that keep an application manageable (last owner, own owner
// feature), secret rotation with a grace period for every authentication method, and an audit log
// entry for every change — never holding a secret.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../helpers/engines.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import {
  addApplicationWithOwner,
  addClient,
  asParams,
  auditList,
  authenticates,
  basic,
  expectOk,
  expectRegError,
  findClient,
  listClients,
  reg,
  RELAXED_THROTTLE,
  signed,
  sleep,
  type Auth,
  type AuditRow,
  type Credentials,
  type LegacyClient,
} from './helpers.js';

const METHODS: [string, (c: Credentials) => Auth][] = [
  ['Basic', basic],
  ['signed', (c) => signed(c)],
  ['params', asParams],
];

const SECRET = /^[a-z0-9]{32}$/;

describe.each(ENGINES)('legacy /clients/* on %s', (engine) => {
  let t: TestServer;
  /** Every secret this suite saw; none may ever show up in the audit log. */
  const secrets = new Set<string>();
  const remember = (s: unknown): void => {
    if (typeof s === 'string' && s.length > 0) secrets.add(s);
  };

  beforeAll(async () => {
    t = await startTestServer(engine, RELAXED_THROTTLE);
    remember(t.owner.clientSecret);
    remember(t.login.clientSecret);
  });
  afterAll(async () => {
    await t.close();
  });

  const add = async (features: string[], description?: string): Promise<Credentials & LegacyClient> => {
    const c = await addClient(t, t.owner, features, description);
    remember(c.clientSecret);
    return c;
  };
  const call = (path: string, params: Record<string, string>, creds: Credentials = t.owner): ReturnType<typeof reg> => reg(t, path, params, { auth: basic(creds) });

  describe('/clients/list', () => {
    it('returns every client of the application in the legacy shape, secrets included', async () => {
      const res = await call('/clients/list', {});
      expectOk(res);
      expect(Object.keys(res.body).sort()).toEqual(['results', 'stat']);
      const results = res.body.results as LegacyClient[];
      for (const c of results) expect(Object.keys(c).sort()).toEqual(['client_id', 'client_secret', 'description', 'features', 'whitelist']);
      expect(results.find((c) => c.client_id === t.owner.clientId)).toEqual({
        client_id: t.owner.clientId, client_secret: t.owner.clientSecret, description: expect.any(String) as string, features: ['owner'], whitelist: ['0.0.0.0/0'],
      });
      expect(results.find((c) => c.client_id === t.login.clientId)).toMatchObject({ client_secret: t.login.clientSecret, features: ['login_client'] });
    });

    it('filters with has_features (or features, as gedex sends it): clients having at least one', async () => {
      const reader = await add(['direct_read_access', 'metadata'], 'list filter reader');
      for (const name of ['has_features', 'features']) {
        const only = async (features: string[]): Promise<string[]> => {
          const res = await call('/clients/list', { [name]: JSON.stringify(features) });
          expectOk(res);
          return (res.body.results as LegacyClient[]).map((c) => c.client_id).sort();
        };
        expect(await only(['login_client'])).toEqual([t.login.clientId]);
        expect(await only(['metadata'])).toEqual([reader.clientId]);
        expect(await only(['owner', 'login_client'])).toEqual([t.owner.clientId, t.login.clientId].sort());
        expect(await only(['access_issuer'])).toEqual([]);
      }
      for (const bad of ['owner', '["bogus"]', '{"owner":true}', '[1]']) {
        expectRegError(await call('/clients/list', { has_features: bad }), 200, 'has_features');
      }
    });
  });

  describe('/clients/add', () => {
    it('creates a client and answers exactly client_id, client_secret, description, features, whitelist', async () => {
      const res = await call('/clients/add', { description: 'shape check', features: '["direct_access","access_issuer"]' });
      expectOk(res);
      expect(Object.keys(res.body).sort()).toEqual(['client_id', 'client_secret', 'description', 'features', 'stat', 'whitelist']);
      expect(res.body).toMatchObject({ description: 'shape check', features: ['direct_access', 'access_issuer'], whitelist: ['0.0.0.0/0'] });
      expect(res.body.client_id).toMatch(SECRET);
      expect(res.body.client_secret).toMatch(SECRET);
      remember(res.body.client_secret);
      const created = { clientId: res.body.client_id as string, clientSecret: res.body.client_secret as string };
      for (const [label, auth] of METHODS) expect(await authenticates(t, created, auth), label).toBe(true);
      expect(await findClient(t, t.owner, created.clientId)).toEqual({
        client_id: created.clientId, client_secret: created.clientSecret, description: 'shape check', features: ['direct_access', 'access_issuer'], whitelist: ['0.0.0.0/0'],
      });
    });

    it('defaults features to [] and issues distinct ids and secrets', async () => {
      const a = await call('/clients/add', { description: 'no features a' });
      const b = await call('/clients/add', { description: 'no features b' });
      expectOk(a);
      expectOk(b);
      remember(a.body.client_secret);
      remember(b.body.client_secret);
      expect(a.body.features).toEqual([]);
      expect(a.body.client_id).not.toBe(b.body.client_id);
      expect(a.body.client_secret).not.toBe(b.body.client_secret);
    });

    it('refuses a missing description (100) and bad features (200), creating nothing', async () => {
      const before = await listClients(t, t.owner);
      expectRegError(await call('/clients/add', { features: '["owner"]' }), 100, 'description');
      expectRegError(await call('/clients/add', { description: '', features: '[]' }), 100, 'description');
      for (const features of ['["owner","superuser"]', '["image_create"]', 'owner', '{"owner":1}', '[null]']) {
        const res = await call('/clients/add', { description: 'bad features', features });
        expectRegError(res, 200, 'features');
      }
      expect(await listClients(t, t.owner)).toEqual(before);
    });
  });

  describe('/clients/delete', () => {
    it('deletes by client_id_for_deletion; the deleted credentials stop working at once', async () => {
      const victim = await add(['direct_access'], 'to be deleted');
      expect(await authenticates(t, victim)).toBe(true);
      expectOk(await call('/clients/delete', { client_id_for_deletion: victim.clientId }));
      expect(await findClient(t, t.owner, victim.clientId)).toBeUndefined();
      for (const [label, auth] of METHODS) expect(await authenticates(t, victim, auth), label).toBe(false);
      expectRegError(await call('/clients/delete', { client_id_for_deletion: victim.clientId }), 200, 'client_id_for_deletion');
    });

    it('requires client_id_for_deletion (100)', async () => {
      expectRegError(await call('/clients/delete', {}), 100, 'client_id_for_deletion');
    });

    it('refuses to delete the last owner, and allows deleting an owner while another remains', async () => {
      const res = await call('/clients/delete', { client_id_for_deletion: t.owner.clientId });
      expectRegError(res, 200, 'client_id_for_deletion');
      expect(res.body.error_description).toMatch(/last client with the owner feature/);
      expect(await findClient(t, t.owner, t.owner.clientId)).toBeDefined();
      expectOk(await call('/clients/list', {}));
      const second = await add(['owner'], 'second owner');
      expectOk(await call('/clients/delete', { client_id_for_deletion: second.clientId }));
      // An owner may delete itself while another owner remains.
      const third = await add(['owner'], 'third owner');
      const selfDelete = await call('/clients/delete', { client_id_for_deletion: third.clientId }, third);
      expectOk(selfDelete);
      expect(await authenticates(t, third)).toBe(false);
    });
  });

  describe('/clients/set_description', () => {
    it('sets another client’s description, or the caller’s own by default', async () => {
      const c = await add([], 'before');
      expectOk(await call('/clients/set_description', { description: 'after', for_client_id: c.clientId }));
      expect((await findClient(t, t.owner, c.clientId))?.description).toBe('after');
      const owner2 = await add(['owner'], 'owner2 before');
      expectOk(await call('/clients/set_description', { description: 'owner2 after' }, owner2));
      expect((await findClient(t, t.owner, owner2.clientId))?.description).toBe('owner2 after');
      expectRegError(await call('/clients/set_description', { for_client_id: c.clientId }), 100, 'description');
      expectRegError(await call('/clients/set_description', { description: 'x', for_client_id: 'no-such-client' }), 200, 'for_client_id');
    });
  });

  describe('/clients/set_features', () => {
    it('overwrites the features, and the change takes effect on the next call', async () => {
      const c = await add(['login_client'], 'promote me');
      expectRegError(await call('/clients/list', {}, c), 403);
      expectOk(await call('/clients/set_features', { features: '["owner","metadata"]', for_client_id: c.clientId }));
      expect((await findClient(t, t.owner, c.clientId))?.features).toEqual(['owner', 'metadata']);
      expectOk(await call('/clients/list', {}, c));
      expectOk(await call('/clients/set_features', { features: '[]', for_client_id: c.clientId }));
      expect((await findClient(t, t.owner, c.clientId))?.features).toEqual([]);
      expectRegError(await call('/clients/list', {}, c), 403);
    });

    it('refuses an unknown feature name and malformed features; nothing changes', async () => {
      const c = await add(['direct_read_access'], 'stable features');
      for (const features of ['["direct_access","root"]', '["Owner"]', 'direct_access', '"owner"', '{']) {
        const res = await call('/clients/set_features', { features, for_client_id: c.clientId });
        expectRegError(res, 200, 'features');
      }
      const unknown = await call('/clients/set_features', { features: '["root"]', for_client_id: c.clientId });
      expect(unknown.body.error_description).toMatch(/root/);
      expectRegError(await call('/clients/set_features', { for_client_id: c.clientId }), 100, 'features');
      expect((await findClient(t, t.owner, c.clientId))?.features).toEqual(['direct_read_access']);
    });

    it('refuses an owner removing owner from itself, even while other owners exist; nothing changes', async () => {
      const owner2 = await add(['owner'], 'keeps owner');
      for (const [params, creds] of [
        [{ features: '["direct_access"]' }, t.owner],
        [{ features: '[]', for_client_id: t.owner.clientId }, t.owner],
        [{ features: '["login_client"]' }, owner2],
      ] as const) {
        const res = await call('/clients/set_features', params, creds);
        expectRegError(res, 200, 'features');
        expect(res.body.error_description).toMatch(/cannot remove the owner feature from itself/);
      }
      expect((await findClient(t, t.owner, t.owner.clientId))?.features).toEqual(['owner']);
      expect((await findClient(t, t.owner, owner2.clientId))?.features).toEqual(['owner']);
      // Another owner may take it away.
      expectOk(await call('/clients/set_features', { features: '["direct_access"]', for_client_id: owner2.clientId }));
      expect((await findClient(t, t.owner, owner2.clientId))?.features).toEqual(['direct_access']);
    });

    it('names for_client_id when it names no client of the application', async () => {
      expectRegError(await call('/clients/set_features', { features: '[]', for_client_id: 'no-such-client' }), 200, 'for_client_id');
    });
  });

  describe('/clients/set_whitelist and /clients/clear_whitelist', () => {
    it('set and clear another client’s list; the list reads back normalized', async () => {
      const c = await add([], 'listed');
      expectOk(await call('/clients/set_whitelist', { whitelist: '["10.1.2.3/8", "2001:DB8::/32", "192.0.2.7"]', for_client_id: c.clientId }));
      expect((await findClient(t, t.owner, c.clientId))?.whitelist).toEqual(['10.1.2.3/8', '2001:db8::/32', '192.0.2.7/32']);
      expectOk(await call('/clients/clear_whitelist', { for_client_id: c.clientId }));
      expect((await findClient(t, t.owner, c.clientId))?.whitelist).toEqual(['0.0.0.0/0']);
      expectRegError(await call('/clients/clear_whitelist', { for_client_id: 'no-such-client' }), 200, 'for_client_id');
    });

    it('names for_client_id when it names no client of the application', async () => {
      expectRegError(await call('/clients/set_whitelist', { whitelist: '["10.0.0.0/8"]', for_client_id: 'no-such-client' }), 200, 'for_client_id');
    });
  });

  describe('/clients/reset_secret', () => {
    it('hours_to_live 0: the old secret is refused at once by every method, the new one works', async () => {
      const c = await add(['owner'], 'rotate now');
      const res = await call('/clients/reset_secret', { for_client_id: c.clientId, hours_to_live: '0' });
      expectOk(res);
      expect(res.body.new_secret).toMatch(SECRET);
      expect(res.body.new_secret).not.toBe(c.clientSecret);
      expect(res.body.login_policies).toEqual([]);
      remember(res.body.new_secret);
      const fresh = { clientId: c.clientId, clientSecret: res.body.new_secret as string };
      for (const [label, auth] of METHODS) {
        expect(await authenticates(t, c, auth), `old via ${label}`).toBe(false);
        expect(await authenticates(t, fresh, auth), `new via ${label}`).toBe(true);
      }
      expect((await findClient(t, t.owner, c.clientId))?.client_secret).toBe(fresh.clientSecret);
    });

    it('hours_to_live 1: old and new both work with Basic, signed and parameter credentials', async () => {
      const c = await add([], 'rotate gently');
      const res = await call('/clients/reset_secret', { for_client_id: c.clientId, hours_to_live: '1' });
      expectOk(res);
      remember(res.body.new_secret);
      const fresh = { clientId: c.clientId, clientSecret: res.body.new_secret as string };
      for (const [label, auth] of METHODS) {
        expect(await authenticates(t, c, auth), `old via ${label}`).toBe(true);
        expect(await authenticates(t, fresh, auth), `new via ${label}`).toBe(true);
      }
      // The list shows the current secret.
      expect((await findClient(t, t.owner, c.clientId))?.client_secret).toBe(fresh.clientSecret);
    });

    it('an owner may rotate its own secret with a grace period and keep working with either', async () => {
      const owner2 = await add(['owner'], 'rotates itself');
      const res = await call('/clients/reset_secret', { for_client_id: owner2.clientId, hours_to_live: '168' }, owner2);
      expectOk(res);
      remember(res.body.new_secret);
      expectOk(await call('/clients/list', {}, owner2));
      expectOk(await call('/clients/list', {}, { clientId: owner2.clientId, clientSecret: res.body.new_secret as string }));
    });

    it('refuses hours_to_live out of range or not an integer, and a missing argument; nothing changes', async () => {
      const c = await add([], 'stays put');
      const auditBefore = (await auditList(t, t.owner, { operation: 'clients/reset_secret' })).rows.length;
      for (const hours of ['169', '-1', 'abc', '1.5', '1e2', '0x10', ' ']) {
        const res = await call('/clients/reset_secret', { for_client_id: c.clientId, hours_to_live: hours });
        expectRegError(res, 200, 'hours_to_live');
        expect(res.body.error_description, hours).toMatch(/0 to 168/);
      }
      expectRegError(await call('/clients/reset_secret', { for_client_id: c.clientId }), 100, 'hours_to_live');
      expectRegError(await call('/clients/reset_secret', { hours_to_live: '0' }), 100, 'for_client_id');
      expectRegError(await call('/clients/reset_secret', { for_client_id: 'no-such-client', hours_to_live: '0' }), 200, 'for_client_id');
      expect((await findClient(t, t.owner, c.clientId))?.client_secret).toBe(c.clientSecret);
      expect(await authenticates(t, c)).toBe(true);
      expect((await auditList(t, t.owner, { operation: 'clients/reset_secret' })).rows.length).toBe(auditBefore);
    });

    // A reset with hours_to_live 0 also ends earlier grace periods, so a leaked secret can always be revoked.
    it('hours_to_live 0 after an earlier grace-period reset leaves only the new secret valid', async () => {
      const c = await add([], 'rotated twice');
      const first = await call('/clients/reset_secret', { for_client_id: c.clientId, hours_to_live: '24' });
      expectOk(first);
      remember(first.body.new_secret);
      const second = await call('/clients/reset_secret', { for_client_id: c.clientId, hours_to_live: '0' });
      expectOk(second);
      remember(second.body.new_secret);
      const newest = { clientId: c.clientId, clientSecret: second.body.new_secret as string };
      const middle = { clientId: c.clientId, clientSecret: first.body.new_secret as string };
      expect(await authenticates(t, newest)).toBe(true);
      expect(await authenticates(t, middle), 'the secret replaced with hours_to_live 0').toBe(false);
      expect(await authenticates(t, c), 'the original secret, still in the first reset’s grace period').toBe(false);
    });
  });

  describe('tenancy', () => {
    it('never shows or changes clients of another application', async () => {
      const other = await addApplicationWithOwner(t);
      remember(other.owner.clientSecret);
      expect((await listClients(t, t.owner)).map((c) => c.client_id)).not.toContain(other.owner.clientId);
      expect((await listClients(t, other.owner)).map((c) => c.client_id)).toEqual([other.owner.clientId]);
      const attempts: [string, Record<string, string>, string][] = [
        ['/clients/delete', { client_id_for_deletion: other.owner.clientId }, 'client_id_for_deletion'],
        ['/clients/set_description', { description: 'hijacked', for_client_id: other.owner.clientId }, 'for_client_id'],
        ['/clients/reset_secret', { for_client_id: other.owner.clientId, hours_to_live: '0' }, 'for_client_id'],
      ];
      for (const [path, params, arg] of attempts) {
        const res = await call(path, params);
        expectRegError(res, 200, arg);
        expect(res.body.error_description).toMatch(/no API client/);
      }
      for (const [path, params] of [
        ['/clients/set_features', { features: '[]', for_client_id: other.owner.clientId }],
        ['/clients/set_whitelist', { whitelist: '["10.0.0.0/8"]', for_client_id: other.owner.clientId }],
        ['/clients/clear_whitelist', { for_client_id: other.owner.clientId }],
      ] as const) {
        const res = await call(path, params);
        expectRegError(res, 200);
        expect(res.body.error_description).toMatch(/no API client/);
      }
      expect(await listClients(t, other.owner)).toEqual([
        { client_id: other.owner.clientId, client_secret: other.owner.clientSecret, description: 'owner of the second application', features: ['owner'], whitelist: ['0.0.0.0/0'] },
      ]);
      // Nor does the other application's audit log show this one's changes, or the reverse: only what
      // belongs to the customer they share (Hosted Login configuration, no application).
      const theirs = await auditList(t, other.owner);
      expect(theirs.rows.length).toBeGreaterThan(0);
      expect(theirs.rows.filter((r) => r.application_id !== null)).toEqual([]);
      expect(theirs.rows.every((r) => r.target?.startsWith(`customer:`))).toBe(true);
    });
  });

  describe('/audit/list', () => {
    it('records every change with who, from where, what, before and after', async () => {
      const c = await add(['login_client'], 'audited');
      expectOk(await call('/clients/set_description', { description: 'audited 2', for_client_id: c.clientId }));
      expectOk(await call('/clients/set_features', { features: '["direct_read_access"]', for_client_id: c.clientId }));
      expectOk(await call('/clients/set_whitelist', { whitelist: '["10.0.0.0/8"]', for_client_id: c.clientId }));
      expectOk(await call('/clients/clear_whitelist', { for_client_id: c.clientId }));
      const reset = await call('/clients/reset_secret', { for_client_id: c.clientId, hours_to_live: '2' });
      expectOk(reset);
      remember(reset.body.new_secret);
      expectOk(await call('/clients/delete', { client_id_for_deletion: c.clientId }));

      const mine = (await auditList(t, t.owner)).rows.filter((r) => r.target === c.clientId);
      expect(mine.map((r) => r.operation)).toEqual([
        'clients/add', 'clients/set_description', 'clients/set_features', 'clients/set_whitelist', 'clients/clear_whitelist', 'clients/reset_secret', 'clients/delete',
      ]);
      for (const r of mine) {
        expect(r.client_id).toBe(t.owner.clientId);
        expect(r.address).toBe('127.0.0.1');
        expect(Number.isNaN(Date.parse(r.at))).toBe(false);
      }
      const [added, described, featured, listed, cleared, rotated, deleted] = mine as [AuditRow, AuditRow, AuditRow, AuditRow, AuditRow, AuditRow, AuditRow];
      const base = { client_id: c.clientId, description: 'audited', features: ['login_client'], whitelist: ['0.0.0.0/0'] };
      expect(added.before).toBeNull();
      expect(added.after).toEqual(base);
      expect(described.before).toMatchObject({ description: 'audited' });
      expect(described.after).toMatchObject({ description: 'audited 2' });
      expect(featured.before).toMatchObject({ features: ['login_client'] });
      expect(featured.after).toMatchObject({ features: ['direct_read_access'] });
      expect(listed.before).toMatchObject({ whitelist: ['0.0.0.0/0'] });
      expect(listed.after).toMatchObject({ whitelist: ['10.0.0.0/8'] });
      expect(cleared.before).toMatchObject({ whitelist: ['10.0.0.0/8'] });
      expect(cleared.after).toMatchObject({ whitelist: ['0.0.0.0/0'] });
      expect(rotated.after).toMatchObject({ hours_to_live: 2 });
      expect(deleted.before).toMatchObject({ client_id: c.clientId, description: 'audited 2', features: ['direct_read_access'] });
      expect(deleted.after).toBeNull();
    });

    it('filters by operation, by acting client, and by time', async () => {
      const owner2 = await add(['owner'], 'second auditor');
      const target = await add([], 'audit filter target');
      expectOk(await call('/clients/set_description', { description: 'by owner2', for_client_id: target.clientId }, owner2));
      await sleep(5);
      const mark = new Date().toISOString();
      await sleep(5);
      expectOk(await call('/clients/set_description', { description: 'by owner', for_client_id: target.clientId }));
      expectOk(await call('/clients/set_whitelist', { whitelist: '["10.0.0.0/8"]', for_client_id: target.clientId }, owner2));

      const byOwner2 = (await auditList(t, t.owner, { actor_client_id: owner2.clientId })).rows;
      expect(byOwner2.map((r) => r.operation)).toEqual(['clients/set_description', 'clients/set_whitelist']);
      expect(byOwner2.every((r) => r.client_id === owner2.clientId)).toBe(true);

      const descriptions = (await auditList(t, t.owner, { operation: 'clients/set_description' })).rows;
      expect(descriptions.length).toBeGreaterThanOrEqual(2);
      expect(descriptions.every((r) => r.operation === 'clients/set_description')).toBe(true);

      const after = (await auditList(t, t.owner, { from: mark })).rows.filter((r) => r.target === target.clientId);
      expect(after.map((r) => [r.operation, r.client_id])).toEqual([
        ['clients/set_description', t.owner.clientId],
        ['clients/set_whitelist', owner2.clientId],
      ]);
      const before = (await auditList(t, t.owner, { to: mark })).rows.filter((r) => r.target === target.clientId);
      expect(before.map((r) => r.operation)).toEqual(['clients/add', 'clients/set_description']);
      const both = (await auditList(t, t.owner, { from: mark, to: mark })).rows;
      expect(both).toEqual([]);
      const combined = (await auditList(t, t.owner, { from: mark, actor_client_id: t.owner.clientId, operation: 'clients/set_description' })).rows;
      expect(combined.map((r) => r.target)).toEqual([target.clientId]);

      expectRegError(await call('/audit/list', { from: 'not a time' }), 200, 'from');
      expectRegError(await call('/audit/list', { max_results: '0' }), 200, 'max_results');
      const limited = await call('/audit/list', { max_results: '1' });
      expectOk(limited);
      expect((limited.body.results as unknown[]).length).toBe(1);
    });

    it('never holds a secret', async () => {
      // Every secret of the suite so far, plus the owner's.
      const { text } = await auditList(t, t.owner);
      expect(secrets.size).toBeGreaterThan(10);
      for (const secret of secrets) expect(text).not.toContain(secret);
      expect(text).toContain('[Redacted]');
    });
  });
});
