// Configuration API clients (spec capture-api §8, README "Rotation without lock-out"): the JSON REST
// view of API clients — list, create, read, replace, delete, reset the secret with a grace period —
// with Basic authentication only, plain HTTP statuses and `{"errors": …}` bodies, owner only, and
// never a look at another application.
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
  basicHeader,
  cfg,
  findClient,
  rawAuthorization,
  RELAXED_THROTTLE,
  signed,
  type Auth,
  type ConfigClient,
  type Credentials,
} from './helpers.js';

const KEYS = ['_id', '_secret', '_self', '_settings', 'features', 'ipWhitelist', 'name'];
const SECRET = /^[a-z0-9]{32}$/;
const METHODS: [string, (c: Credentials) => Auth][] = [
  ['Basic', basic],
  ['signed', (c) => signed(c)],
  ['params', asParams],
];

describe.each(ENGINES)('configuration API clients on %s', (engine) => {
  let t: TestServer;
  let base: string;
  const secrets = new Set<string>();
  beforeAll(async () => {
    t = await startTestServer(engine, RELAXED_THROTTLE);
    base = `/config/${t.applicationId}/clients`;
    secrets.add(t.owner.clientSecret);
    secrets.add(t.login.clientSecret);
  });
  afterAll(async () => {
    await t.close();
  });

  const owner = (): Auth => basic(t.owner);
  const create = async (body: Record<string, unknown>): Promise<ConfigClient & Credentials> => {
    const res = await cfg(t, 'POST', base, { auth: owner(), json: body });
    expect(res.status, res.text).toBe(201);
    const c = res.body as ConfigClient;
    secrets.add(c._secret);
    return { ...c, clientId: c._id, clientSecret: c._secret };
  };
  const count = async (): Promise<number> => ((await cfg(t, 'GET', base, { auth: owner() })).body as unknown[]).length;

  describe('GET /config/{app}/clients', () => {
    it('lists every client as a JSON array of config-shaped objects with secrets', async () => {
      const res = await cfg(t, 'GET', base, { auth: owner() });
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json\b/);
      expect(res.headers['cache-control']).toBe('no-store');
      const list = res.body as ConfigClient[];
      expect(Array.isArray(list)).toBe(true);
      for (const c of list) expect(Object.keys(c).sort()).toEqual(KEYS);
      expect(list.find((c) => c._id === t.owner.clientId)).toEqual({
        _id: t.owner.clientId,
        _secret: t.owner.clientSecret,
        _self: `${base}/${t.owner.clientId}`,
        _settings: `${base}/${t.owner.clientId}/settings`,
        name: expect.any(String) as string,
        features: ['owner'],
        ipWhitelist: ['0.0.0.0/0'],
      });
      expect(list.find((c) => c._id === t.login.clientId)).toMatchObject({ _secret: t.login.clientSecret, features: ['login_client'] });
    });
  });

  describe('POST /config/{app}/clients', () => {
    it('creates a client (201) from name, features and ipWhitelist; it works on the Registration API', async () => {
      const c = await create({ name: 'made by config', features: ['owner', 'direct_access'], ipWhitelist: ['127.0.0.0/8', '2001:db8::/32'] });
      expect(Object.keys(c).filter((k) => !['clientId', 'clientSecret'].includes(k)).sort()).toEqual(KEYS);
      expect(c).toMatchObject({ name: 'made by config', features: ['owner', 'direct_access'], ipWhitelist: ['127.0.0.0/8', '2001:db8::/32'], _self: `${base}/${c._id}` });
      expect(c._id).toMatch(SECRET);
      expect(c._secret).toMatch(SECRET);
      expect(await findClient(t, t.owner, c._id)).toEqual({
        client_id: c._id, client_secret: c._secret, description: 'made by config', features: ['owner', 'direct_access'], whitelist: ['127.0.0.0/8', '2001:db8::/32'],
      });
      for (const [label, auth] of METHODS) expect(await authenticates(t, c, auth), label).toBe(true);
    });

    it('defaults features to [] and ipWhitelist to ["0.0.0.0/0"]', async () => {
      const c = await create({ name: 'defaults' });
      expect(c.features).toEqual([]);
      expect(c.ipWhitelist).toEqual(['0.0.0.0/0']);
    });

    it('refuses bad bodies with 400 {"errors": …} and creates nothing', async () => {
      const before = await count();
      const bad: [string, { json?: unknown; rawBody?: string }, unknown][] = [
        ['no name', { json: { features: [] } }, expect.anything()],
        ['empty name', { json: { name: '' } }, expect.anything()],
        ['unknown feature', { json: { name: 'x', features: ['owner', 'root'] } }, { features: expect.stringMatching(/root/) as string }],
        ['bad cidr', { json: { name: 'x', ipWhitelist: ['10.0.0.0/33'] } }, { ipWhitelist: 'invalid cidr address: 10.0.0.0/33; value after slash must be 32 or less' }],
        ['not an address', { json: { name: 'x', ipWhitelist: ['nowhere'] } }, { ipWhitelist: expect.stringMatching(/invalid cidr address: nowhere/) as string }],
        ['features not an array', { json: { name: 'x', features: { owner: true } } }, expect.anything()],
        ['array body', { json: [{ name: 'x' }] }, expect.anything()],
        ['malformed JSON', { rawBody: '{"name": "x",' }, expect.anything()],
        ['no body', { rawBody: '' }, expect.anything()],
      ];
      for (const [label, body, errors] of bad) {
        const res = await cfg(t, 'POST', base, { auth: owner(), ...body });
        expect(res.status, `${label}: ${res.text}`).toBe(400);
        expect(res.body, label).toEqual({ errors });
        expect(res.text).not.toMatch(/\bat .*\.(ts|js):\d+/);
      }
      expect(await count()).toBe(before);
    });

    // Unknown properties are refused, not dropped: a misspelt `ipwhitelist` must not create a client
    // open to every address.
    it('refuses unknown properties (e.g. a misspelt ipWhitelist) with 400 rather than dropping them', async () => {
      const before = await count();
      const res = await cfg(t, 'POST', base, { auth: owner(), json: { name: 'typo', ipwhitelist: ['10.0.0.0/8'] } });
      if (res.status === 201) secrets.add((res.body as ConfigClient)._secret);
      expect(res.status, res.text).toBe(400);
      expect(await count()).toBe(before);
    });

    // No type coercion: `"features": "owner"` or `[["owner"]]` must not turn into ["owner"] and grant a feature.
    it('refuses values of the wrong JSON type with 400 rather than coercing them', async () => {
      const before = await count();
      for (const json of [{ name: 'coerced', features: 'owner' }, { name: 'coerced', features: [['owner']] }, { name: 42 }, { name: 'coerced', ipWhitelist: '10.0.0.0/8' }]) {
        const res = await cfg(t, 'POST', base, { auth: owner(), json });
        if (res.status === 201) secrets.add((res.body as ConfigClient)._secret);
        expect(res.status, `${JSON.stringify(json)}: ${res.text}`).toBe(400);
      }
      expect(await count()).toBe(before);
    });
  });

  describe('GET, PUT, DELETE /config/{app}/clients/{id}', () => {
    it('GET returns one client; an unknown id is 404', async () => {
      const c = await create({ name: 'readable', features: ['direct_read_access'] });
      const res = await cfg(t, 'GET', `${base}/${c._id}`, { auth: owner() });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ _id: c._id, _secret: c._secret, _self: c._self, _settings: c._settings, name: 'readable', features: ['direct_read_access'], ipWhitelist: ['0.0.0.0/0'] });
      const missing = await cfg(t, 'GET', `${base}/no-such-client`, { auth: owner() });
      expect(missing.status).toBe(404);
      expect(missing.body).toEqual({ errors: expect.any(String) as string });
    });

    it('PUT replaces name, features and allow list; an absent ipWhitelist means ["0.0.0.0/0"]', async () => {
      const c = await create({ name: 'original', features: ['direct_access'], ipWhitelist: ['10.0.0.0/8'] });
      const put = await cfg(t, 'PUT', `${base}/${c._id}`, { auth: owner(), json: { name: 'replaced', features: ['access_issuer', 'metadata'], ipWhitelist: ['192.0.2.0/24'] } });
      expect(put.status, put.text).toBe(200);
      expect(put.body).toEqual({ ...pick(c), name: 'replaced', features: ['access_issuer', 'metadata'], ipWhitelist: ['192.0.2.0/24'] });
      const minimal = await cfg(t, 'PUT', `${base}/${c._id}`, { auth: owner(), json: { name: 'only a name' } });
      expect(minimal.status, minimal.text).toBe(200);
      expect(minimal.body).toEqual({ ...pick(c), name: 'only a name', features: [], ipWhitelist: ['0.0.0.0/0'] });
      expect(await findClient(t, t.owner, c._id)).toMatchObject({ description: 'only a name', features: [], whitelist: ['0.0.0.0/0'], client_secret: c._secret });
    });

    it('PUT refuses bad bodies (400), unknown clients (404), and changes nothing', async () => {
      const c = await create({ name: 'kept', features: ['direct_access'] });
      for (const json of [{}, { name: 'x', features: ['nope'] }, { name: 'x', ipWhitelist: ['1.2.3.4/40'] }, { name: { first: 'x' } }, { name: 'x', features: [{ name: 'owner' }] }]) {
        const res = await cfg(t, 'PUT', `${base}/${c._id}`, { auth: owner(), json });
        expect(res.status, `${JSON.stringify(json)}: ${res.text}`).toBe(400);
        expect(res.body).toEqual({ errors: expect.anything() as unknown });
      }
      expect((await cfg(t, 'PUT', `${base}/no-such-client`, { auth: owner(), json: { name: 'x' } })).status).toBe(404);
      expect(await findClient(t, t.owner, c._id)).toMatchObject({ description: 'kept', features: ['direct_access'] });
    });

    it('PUT on the caller itself may not drop its owner feature or lock it out (409); nothing changes', async () => {
      const self = `${base}/${t.owner.clientId}`;
      const dropOwner = await cfg(t, 'PUT', self, { auth: owner(), json: { name: 'no longer owner', features: ['direct_access'] } });
      expect(dropOwner.status).toBe(409);
      expect(dropOwner.body).toEqual({ errors: expect.stringMatching(/owner feature/) as string });
      const lockOut = await cfg(t, 'PUT', self, { auth: owner(), json: { name: 'locked', features: ['owner'], ipWhitelist: ['10.0.0.0/8'] } });
      expect(lockOut.status).toBe(409);
      expect(lockOut.body).toEqual({ errors: expect.stringMatching(/127\.0\.0\.1/) as string });
      expect(await findClient(t, t.owner, t.owner.clientId)).toMatchObject({ features: ['owner'], whitelist: ['0.0.0.0/0'] });
    });

    it('DELETE answers 204; the client is gone (404) and its credentials stop working', async () => {
      const c = await create({ name: 'doomed', features: ['owner'] });
      const res = await cfg(t, 'DELETE', `${base}/${c._id}`, { auth: owner() });
      expect(res.status).toBe(204);
      expect(res.raw.length).toBe(0);
      expect((await cfg(t, 'GET', `${base}/${c._id}`, { auth: owner() })).status).toBe(404);
      expect((await cfg(t, 'DELETE', `${base}/${c._id}`, { auth: owner() })).status).toBe(404);
      expect(await authenticates(t, c)).toBe(false);
      expect((await cfg(t, 'GET', base, { auth: basic(c) })).status).toBe(401);
    });

    it('DELETE of the last owner is refused (409)', async () => {
      // Other tests made owners too: take the feature from all of them, so the caller is the last.
      const all = (await cfg(t, 'GET', base, { auth: owner() })).body as ConfigClient[];
      for (const c of all.filter((x) => x._id !== t.owner.clientId && x.features.includes('owner'))) {
        const res = await cfg(t, 'PUT', `${base}/${c._id}`, { auth: owner(), json: { name: c.name, features: c.features.filter((f) => f !== 'owner'), ipWhitelist: c.ipWhitelist } });
        expect(res.status, res.text).toBe(200);
      }
      const res = await cfg(t, 'DELETE', `${base}/${t.owner.clientId}`, { auth: owner() });
      expect(res.status).toBe(409);
      expect(res.body).toEqual({ errors: expect.stringMatching(/last client with the owner feature/) as string });
      expect((await cfg(t, 'GET', base, { auth: owner() })).status).toBe(200);
    });
  });

  describe('PUT /config/{app}/clients/{id}/secret', () => {
    it('hoursToLive 0: a new secret; the old one is refused at once everywhere', async () => {
      const c = await create({ name: 'rotate now', features: ['owner'] });
      const res = await cfg(t, 'PUT', `${base}/${c._id}/secret`, { auth: owner(), json: { hoursToLive: 0 } });
      expect(res.status, res.text).toBe(200);
      const body = res.body as ConfigClient & { previousSecretValidUntil: string | null; loginPolicies: unknown[] };
      secrets.add(body._secret);
      expect(body).toMatchObject({ _id: c._id, name: 'rotate now', features: ['owner'], previousSecretValidUntil: null, loginPolicies: [] });
      expect(body._secret).toMatch(SECRET);
      expect(body._secret).not.toBe(c._secret);
      const fresh = { clientId: c._id, clientSecret: body._secret };
      for (const [label, auth] of METHODS) {
        expect(await authenticates(t, c, auth), `old via ${label}`).toBe(false);
        expect(await authenticates(t, fresh, auth), `new via ${label}`).toBe(true);
      }
      expect((await cfg(t, 'GET', base, { auth: basic(c) })).status).toBe(401);
      expect((await cfg(t, 'GET', base, { auth: basic(fresh) })).status).toBe(200);
    });

    it('hoursToLive 1: old and new secrets both work with Basic, signed and parameter credentials', async () => {
      const c = await create({ name: 'rotate gently', features: ['owner'] });
      const started = Date.now();
      const res = await cfg(t, 'PUT', `${base}/${c._id}/secret`, { auth: owner(), json: { hoursToLive: 1 } });
      expect(res.status, res.text).toBe(200);
      const body = res.body as ConfigClient & { previousSecretValidUntil: string };
      secrets.add(body._secret);
      const until = Date.parse(body.previousSecretValidUntil);
      expect(until).toBeGreaterThanOrEqual(started + 3600_000 - 1000);
      expect(until).toBeLessThanOrEqual(Date.now() + 3600_000 + 1000);
      const fresh = { clientId: c._id, clientSecret: body._secret };
      for (const [label, auth] of METHODS) {
        expect(await authenticates(t, c, auth), `old via ${label}`).toBe(true);
        expect(await authenticates(t, fresh, auth), `new via ${label}`).toBe(true);
      }
      expect((await cfg(t, 'GET', base, { auth: basic(c) })).status).toBe(200);
      expect((await cfg(t, 'GET', `${base}/${c._id}`, { auth: owner() })).body).toMatchObject({ _secret: fresh.clientSecret });
    });

    it('refuses hoursToLive out of range or not an integer with 400; nothing changes', async () => {
      const c = await create({ name: 'stays', features: [] });
      for (const hoursToLive of [169, -1, 1.5, 'abc', [1, 2]]) {
        const res = await cfg(t, 'PUT', `${base}/${c._id}/secret`, { auth: owner(), json: { hoursToLive } });
        expect(res.status, `${JSON.stringify(hoursToLive)}: ${res.text}`).toBe(400);
        expect(res.body).toEqual({ errors: expect.anything() as unknown });
      }
      const range = await cfg(t, 'PUT', `${base}/${c._id}/secret`, { auth: owner(), json: { hoursToLive: 169 } });
      expect(range.body).toEqual({ errors: { hoursToLive: expect.stringMatching(/0 to 168/) as string } });
      expect((await cfg(t, 'PUT', `${base}/no-such-client/secret`, { auth: owner(), json: { hoursToLive: 0 } })).status).toBe(404);
      expect(await authenticates(t, c)).toBe(true);
      expect((await cfg(t, 'GET', `${base}/${c._id}`, { auth: owner() })).body).toMatchObject({ _secret: c._secret });
    });

    // README "Rotation without lock-out": hoursToLive defaults to 0.
    it('treats an absent hoursToLive as 0 (README: default 0)', async () => {
      const c = await create({ name: 'default grace', features: [] });
      const res = await cfg(t, 'PUT', `${base}/${c._id}/secret`, { auth: owner(), json: {} });
      expect(res.status, res.text).toBe(200);
      const body = res.body as ConfigClient & { previousSecretValidUntil: string | null };
      secrets.add(body._secret);
      expect(body.previousSecretValidUntil).toBeNull();
      expect(await authenticates(t, c)).toBe(false);
    });
  });

  describe('authentication: Basic only', () => {
    it('answers 401 {"errors":"Authentication required."} without credentials, with a Basic challenge', async () => {
      for (const [method, path] of [['GET', base], ['POST', base], ['GET', `${base}/${t.owner.clientId}`], ['DELETE', `${base}/${t.login.clientId}`], ['PUT', `${base}/${t.login.clientId}/secret`]] as const) {
        const res = await cfg(t, method, path, method === 'POST' || method === 'PUT' ? { json: { name: 'x', hoursToLive: 0 } } : {});
        expect(res.status, `${method} ${path}`).toBe(401);
        expect(res.body).toEqual({ errors: 'Authentication required.' });
        expect(res.headers['www-authenticate']).toMatch(/^Basic/);
      }
      expect((await cfg(t, 'GET', `${base}/${t.login.clientId}`, { auth: owner() })).status).toBe(200);
    });

    it('refuses signed requests, parameter credentials, user tokens and bad Basic credentials with 401', async () => {
      const attempts: [string, Parameters<typeof cfg>[3]][] = [
        ['signed', { auth: signed(t.owner) }],
        ['query params', {}],
        ['OAuth', { auth: rawAuthorization('OAuth sometoken') }],
        ['Bearer', { auth: rawAuthorization('Bearer sometoken') }],
        ['wrong secret', { auth: basic({ clientId: t.owner.clientId, clientSecret: 'wrong' }) }],
        ['unknown client', { auth: basic({ clientId: 'nobody', clientSecret: t.owner.clientSecret }) }],
        ['malformed Basic', { auth: rawAuthorization('Basic !!!') }],
        ['Basic without colon', { auth: rawAuthorization(`Basic ${Buffer.from('abc').toString('base64')}`) }],
      ];
      for (const [label, opts] of attempts) {
        const path = label === 'query params' ? `${base}?client_id=${t.owner.clientId}&client_secret=${t.owner.clientSecret}` : base;
        const res = await cfg(t, 'GET', path, opts);
        expect(res.status, label).toBe(401);
        expect(res.body, label).toEqual({ errors: expect.any(String) as string });
        expect(res.text).not.toContain(t.owner.clientSecret);
      }
      const bodyCreds = await cfg(t, 'POST', base, { json: { name: 'x', client_id: t.owner.clientId, client_secret: t.owner.clientSecret } });
      expect(bodyCreds.status).toBe(401);
      const signedHeader = await cfg(t, 'GET', base, { headers: { authorization: `Signature ${t.owner.clientId}:abc`, date: '2020-01-01 00:00:00' } });
      expect(signedHeader.status).toBe(401);
      expect((await cfg(t, 'GET', base, { headers: { authorization: basicHeader(t.owner.clientId, t.owner.clientSecret) } })).status).toBe(200);
    });
  });

  describe('authorization and tenancy', () => {
    it('refuses every client route to a non-owner (403) and changes nothing', async () => {
      for (const features of [['direct_access'], ['login_client'], ['access_issuer'], ['direct_read_access'], ['metadata'], []]) {
        const c = await addClient(t, t.owner, features, `config non-owner ${features.join(',')}`);
        secrets.add(c.clientSecret);
        const self = `${base}/${c.clientId}`;
        const routes: [Parameters<typeof cfg>[1], string, unknown][] = [
          ['GET', base, undefined],
          ['POST', base, { name: 'nope' }],
          ['GET', self, undefined],
          ['PUT', self, { name: 'nope', features: ['owner'] }],
          ['PUT', `${self}/secret`, { hoursToLive: 0 }],
          ['DELETE', `${base}/${t.login.clientId}`, undefined],
        ];
        for (const [method, path, json] of routes) {
          const res = await cfg(t, method, path, { auth: basic(c), json });
          expect(res.status, `${features.join(',')} ${method} ${path}`).toBe(403);
          expect(res.body).toEqual({ errors: 'the provided client does not have authorization for this action' });
        }
        expect(await findClient(t, t.owner, c.clientId)).toMatchObject({ features, client_secret: c.clientSecret, description: `config non-owner ${features.join(',')}` });
        expect(await findClient(t, t.owner, t.login.clientId)).toBeDefined();
      }
    });

    it('a client never sees or changes another application: its id is 404, like one that does not exist', async () => {
      const other = await addApplicationWithOwner(t);
      secrets.add(other.owner.clientSecret);
      const foreign = `/config/${other.applicationId}/clients`;
      for (const [method, path, json] of [
        ['GET', foreign, undefined],
        ['POST', foreign, { name: 'planted' }],
        ['GET', `${foreign}/${other.owner.clientId}`, undefined],
        ['PUT', `${foreign}/${other.owner.clientId}`, { name: 'hijacked', features: [] }],
        ['DELETE', `${foreign}/${other.owner.clientId}`, undefined],
        ['PUT', `${foreign}/${other.owner.clientId}/secret`, { hoursToLive: 0 }],
        ['GET', '/config/nosuchapplication0000000000/clients', undefined],
        // B's client through A's own path
        ['GET', `${base}/${other.owner.clientId}`, undefined],
        ['PUT', `${base}/${other.owner.clientId}`, { name: 'hijacked', features: [] }],
        ['DELETE', `${base}/${other.owner.clientId}`, undefined],
        ['PUT', `${base}/${other.owner.clientId}/secret`, { hoursToLive: 0 }],
      ] as const) {
        const res = await cfg(t, method, path, { auth: owner(), json });
        expect(res.status, `${method} ${path}`).toBe(404);
        expect(res.text).not.toContain(other.owner.clientSecret);
      }
      // The other application's owner sees exactly its own, untouched; and not ours.
      const theirs = await cfg(t, 'GET', foreign, { auth: basic(other.owner) });
      expect(theirs.status).toBe(200);
      expect(theirs.body).toEqual([
        {
          _id: other.owner.clientId, _secret: other.owner.clientSecret, _self: `${foreign}/${other.owner.clientId}`, _settings: `${foreign}/${other.owner.clientId}/settings`,
          name: 'owner of the second application', features: ['owner'], ipWhitelist: ['0.0.0.0/0'],
        },
      ]);
      expect((await cfg(t, 'GET', base, { auth: basic(other.owner) })).status).toBe(404);
      expect((await cfg(t, 'GET', `${foreign}/${t.owner.clientId}`, { auth: basic(other.owner) })).status).toBe(404);
    });
  });

  describe('audit', () => {
    it('records configuration API changes with who, where, before and after, never a secret', async () => {
      const c = await create({ name: 'audited via config', features: ['direct_access'] });
      expect((await cfg(t, 'PUT', `${base}/${c._id}`, { auth: owner(), json: { name: 'audited 2', features: ['metadata'] } })).status).toBe(200);
      const reset = await cfg(t, 'PUT', `${base}/${c._id}/secret`, { auth: owner(), json: { hoursToLive: 3 } });
      secrets.add((reset.body as ConfigClient)._secret);
      expect((await cfg(t, 'DELETE', `${base}/${c._id}`, { auth: owner() })).status).toBe(204);
      const { rows, text } = await auditList(t, t.owner);
      const mine = rows.filter((r) => r.target === c._id);
      expect(mine.map((r) => r.operation)).toEqual(['config.clients.create', 'config.clients.update', 'config.clients.reset_secret', 'config.clients.delete']);
      for (const r of mine) expect(r).toMatchObject({ client_id: t.owner.clientId, address: '127.0.0.1' });
      expect(mine[1]?.before).toMatchObject({ description: 'audited via config', features: ['direct_access'] });
      expect(mine[1]?.after).toMatchObject({ description: 'audited 2', features: ['metadata'] });
      expect(mine[2]?.after).toMatchObject({ hours_to_live: 3 });
      expect(mine[3]?.after).toBeNull();
      expect(secrets.size).toBeGreaterThan(10);
      for (const secret of secrets) expect(text).not.toContain(secret);
    });
  });
});

function pick(c: ConfigClient): Pick<ConfigClient, '_id' | '_secret' | '_self' | '_settings'> {
  return { _id: c._id, _secret: c._secret, _self: c._self, _settings: c._settings };
}
