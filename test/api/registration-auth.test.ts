// Who may call the Registration API (spec capture-api §1, §2, README "Credentials never travel in a
// URL", "IP allow lists", "Least privilege"): Basic, janrain-signed and parameter credentials, the
// URL-secret refusal and its escape hatch, the failure codes and their metrics, the permission matrix
// over HTTP for every feature, and IP allow lists including X-Forwarded-For from trusted proxies.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../helpers/engines.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import {
  addClient,
  asParams,
  auditList,
  authenticates,
  basic,
  cfg,
  expectOk,
  expectRegError,
  findClient,
  janrainDate,
  janrainSignature,
  janrainStringToSign,
  listClients,
  logRecords,
  metrics,
  metricValue,
  rawAuthorization,
  reg,
  RELAXED_THROTTLE,
  signed,
  type Auth,
  type Credentials,
  type LegacyClient,
} from './helpers.js';

const minutes = (n: number): Date => new Date(Date.now() + n * 60_000);

async function failures(t: TestServer, labels: Record<string, string>): Promise<number> {
  return metricValue(await metrics(t), 'idcloud_auth_failures_total', labels);
}

describe('janrain signature helper (the tests sign independently of src/)', () => {
  it('reproduces the janrain-python-api test vector', () => {
    const text = janrainStringToSign('/entity', '2000-01-01 01:01:01', [
      ['param1', 'this is a string'],
      ['param2', '10'],
      ['param3', 'one=1\ntwo=2,three=3'],
    ]);
    expect(`Signature foo:${janrainSignature('bar', text)}`).toBe('Signature foo:G3N5RxCVc0d6rDLmBRGvcg2hCVY=');
  });
});

describe.each(ENGINES)('Registration authentication on %s', (engine) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(engine, RELAXED_THROTTLE);
  });
  afterAll(async () => {
    await t.close();
  });

  describe('Basic', () => {
    it('authenticates with Authorization: Basic base64(id:secret), scheme case-insensitive', async () => {
      expectOk(await reg(t, '/clients/list', {}, { auth: basic(t.owner) }));
      const token = Buffer.from(`${t.owner.clientId}:${t.owner.clientSecret}`).toString('base64');
      expectOk(await reg(t, '/clients/list', {}, { auth: rawAuthorization(`basic ${token}`) }));
    });

    it('refuses a wrong secret and an unknown client id with 402 invalid_client_credentials, counted in metrics', async () => {
      const before = await failures(t, { method: 'basic', reason: 'bad_secret' });
      const unknownBefore = await failures(t, { method: 'basic', reason: 'unknown_client' });
      const wrong = await reg(t, '/clients/list', {}, { auth: basic({ clientId: t.owner.clientId, clientSecret: 'not-the-secret-at-all-000000000' }) });
      expectRegError(wrong, 402);
      expect(wrong.body.error).toBe('invalid_client_credentials');
      const unknown = await reg(t, '/clients/list', {}, { auth: basic({ clientId: 'no-such-client-id', clientSecret: t.owner.clientSecret }) });
      expectRegError(unknown, 402);
      // The same answer either way: an unknown id is not distinguishable from a wrong secret.
      expect(unknown.body.error_description).toBe(wrong.body.error_description);
      expect(await failures(t, { method: 'basic', reason: 'bad_secret' })).toBe(before + 1);
      expect(await failures(t, { method: 'basic', reason: 'unknown_client' })).toBe(unknownBefore + 1);
    });

    it('refuses Basic credentials without a colon or without an id with 402 naming Basic client_id:client_secret', async () => {
      for (const header of [`Basic ${Buffer.from('no-colon-here').toString('base64')}`, `Basic ${Buffer.from(':secret-without-id').toString('base64')}`]) {
        const res = await reg(t, '/clients/list', {}, { auth: rawAuthorization(header) });
        expectRegError(res, 402);
        expect(res.body.error_description, header).toMatch(/Basic client_id:client_secret/);
      }
    });

    // A malformed Basic header is bad credentials (402), like the two above — not another method (205).
    it('treats a Basic header that is not base64, or carries nothing, as malformed Basic credentials (402), not as another method', async () => {
      for (const header of ['Basic !!!not base64!!!', 'Basic']) {
        const res = await reg(t, '/clients/list', {}, { auth: rawAuthorization(header) });
        expect(res.body.stat, header).toBe('error');
        expect(res.body.code, `${header}: ${res.text}`).toBe(402);
        expect(res.body.error_description, header).toMatch(/Basic client_id:client_secret/);
      }
    });
  });

  describe('janrain-signed', () => {
    it('accepts both zero-parameter forms of the signed string', async () => {
      for (const blankLine of [false, true]) {
        const res = await reg(t, '/clients/list', {}, { auth: signed(t.owner, { blankLine }) });
        expectOk(res);
      }
    });

    it('accepts signed parameters in an urlencoded body, a multipart body and the query string', async () => {
      const has = JSON.stringify(['login_client']);
      for (const encoding of ['urlencoded', 'multipart', 'query'] as const) {
        const res = await reg(t, '/clients/list', { has_features: has }, { auth: signed(t.owner), encoding });
        expectOk(res);
        expect((res.body.results as LegacyClient[]).map((c) => c.client_id), encoding).toEqual([t.login.clientId]);
      }
    });

    it('signs raw values: newlines, JSON and non-ASCII text are signed verbatim', async () => {
      const description = 'line one\nline two: {"a":"b=c"} ünïcødé 😀 & =';
      const res = await reg(t, '/clients/add', { description, features: '["login_client"]' }, { auth: signed(t.owner) });
      expectOk(res);
      expect(res.body.description).toBe(description);
      expect(res.body.features).toEqual(['login_client']);
    });

    it('leaves client_id and client_secret parameters out of the signed string', async () => {
      const res = await reg(t, '/clients/list', { client_id: t.owner.clientId }, { auth: signed(t.owner) });
      expectOk(res);
    });

    it('accepts a Date within 15 minutes either way', async () => {
      for (const offset of [-14, 14]) expectOk(await reg(t, '/clients/list', {}, { auth: signed(t.owner, { date: janrainDate(minutes(offset)) }) }));
    });

    it('refuses a Date more than 15 minutes away with 402, counted as clock_skew', async () => {
      const before = await failures(t, { method: 'signature', reason: 'clock_skew' });
      for (const offset of [-16, 16, -24 * 60]) {
        const res = await reg(t, '/clients/list', {}, { auth: signed(t.owner, { date: janrainDate(minutes(offset)) }) });
        expectRegError(res, 402);
        expect(res.body.error_description).toMatch(/15 minutes/);
      }
      expect(await failures(t, { method: 'signature', reason: 'clock_skew' })).toBe(before + 3);
    });

    it('refuses a malformed Date with 402 naming the expected format, and a missing one with 100', async () => {
      for (const date of ['2016-02-26T19:08:44Z', 'Fri, 26 Feb 2016 19:08:44 GMT', '2016-02-30 10:00:00', 'yesterday']) {
        const res = await reg(t, '/clients/list', {}, { auth: signed(t.owner, { date }) });
        expectRegError(res, 402);
        expect(res.body.error_description, date).toMatch(/YYYY-MM-DD HH:MM:SS/);
      }
      const sig = janrainSignature(t.owner.clientSecret, janrainStringToSign('/clients/list', janrainDate(), []));
      const noDate = await reg(t, '/clients/list', {}, { auth: rawAuthorization(`Signature ${t.owner.clientId}:${sig}`) });
      expectRegError(noDate, 100, 'Date');
    });

    it('refuses a bad signature with 402: wrong key, other endpoint, other parameters', async () => {
      const before = await failures(t, { method: 'signature', reason: 'bad_signature' });
      expectRegError(await reg(t, '/clients/list', {}, { auth: signed(t.owner, { tamper: true }) }), 402);
      const date = janrainDate();
      const otherEndpoint = janrainSignature(t.owner.clientSecret, janrainStringToSign('/clients/add', date, []));
      expectRegError(await reg(t, '/clients/list', {}, { auth: rawAuthorization(`Signature ${t.owner.clientId}:${otherEndpoint}`), headers: { date } }), 402);
      const otherParams = janrainSignature(t.owner.clientSecret, janrainStringToSign('/clients/list', date, [['has_features', '["owner"]']]));
      const res = await reg(t, '/clients/list', { has_features: '["login_client"]' }, { auth: rawAuthorization(`Signature ${t.owner.clientId}:${otherParams}`), headers: { date } });
      expectRegError(res, 402);
      expect(await failures(t, { method: 'signature', reason: 'bad_signature' })).toBe(before + 3);
      const unknown = await reg(t, '/clients/list', {}, { auth: signed({ clientId: 'nobody-at-all', clientSecret: 'x' }) });
      expectRegError(unknown, 402);
    });
  });

  describe('credentials as parameters', () => {
    it('authenticates with client_id and client_secret in an urlencoded or multipart body', async () => {
      for (const encoding of ['urlencoded', 'multipart'] as const) expectOk(await reg(t, '/clients/list', {}, { auth: asParams(t.owner), encoding }));
    });

    it('refuses a wrong parameter secret with 402 and a client_id without secret with 100', async () => {
      const before = await failures(t, { method: 'params', reason: 'bad_secret' });
      expectRegError(await reg(t, '/clients/list', {}, { auth: asParams({ clientId: t.owner.clientId, clientSecret: 'wrong' }) }), 402);
      expect(await failures(t, { method: 'params', reason: 'bad_secret' })).toBe(before + 1);
      expectRegError(await reg(t, '/clients/list', { client_id: t.owner.clientId }), 100, 'client_secret');
    });
  });

  describe('client_secret in the URL', () => {
    it('is refused with code 200 naming client_secret and saying how to send it, and nothing happens', async () => {
      const refusedBefore = metricValue(await metrics(t), 'idcloud_url_credentials_total', { outcome: 'refused' });
      const clientsBefore = await listClients(t, t.owner);
      const auditBefore = (await auditList(t, t.owner)).rows.length;
      const query = { client_id: t.owner.clientId, client_secret: t.owner.clientSecret };
      const attempts = [
        reg(t, '/clients/add', { description: 'must not be created', features: '["owner"]' }, { query }),
        reg(t, '/clients/add', { description: 'must not be created', features: '["owner"]' }, { query, method: 'GET', encoding: 'query' }),
        // Even alongside valid Basic credentials: the secret has already leaked into the URL.
        reg(t, '/clients/add', { description: 'must not be created' }, { query: { client_secret: t.owner.clientSecret }, auth: basic(t.owner) }),
        // Also when the body carries a secret too: the URL one is what matters.
        reg(t, '/clients/add', { description: 'must not be created', client_id: t.owner.clientId, client_secret: t.owner.clientSecret }, { query: { client_secret: 'x' } }),
      ];
      for (const res of await Promise.all(attempts)) {
        expectRegError(res, 200, 'client_secret');
        expect(res.body.error).toBe('invalid_argument');
        expect(res.body.error_description).toMatch(/URL/i);
        expect(res.body.error_description).toMatch(/Authorization|body/);
        expect(res.text).not.toContain(t.owner.clientSecret);
      }
      expect(await listClients(t, t.owner)).toEqual(clientsBefore);
      expect((await auditList(t, t.owner)).rows.length).toBe(auditBefore);
      expect(metricValue(await metrics(t), 'idcloud_url_credentials_total', { outcome: 'refused' })).toBe(refusedBefore + 4);
      expect(t.logLines.join('\n')).not.toContain(t.owner.clientSecret);
    });
  });

  describe('Authorization schemes', () => {
    it('answers an unknown scheme with 205 invalid_auth_method', async () => {
      for (const header of ['Digest username="x", realm="y"', 'Negotiate YIIB', 'Token abc', 'Signatures x:y']) {
        const res = await reg(t, '/clients/list', {}, { auth: rawAuthorization(header) });
        expectRegError(res, 205);
        expect(res.body.error).toBe('invalid_auth_method');
      }
    });

    it('answers a request without credentials with 100 naming client_id', async () => {
      const res = await reg(t, '/clients/list', {});
      expectRegError(res, 100, 'client_id');
      expect(res.body.error).toBe('missing_argument');
    });

    it('refuses a user token (OAuth or Bearer) on /clients/list with 403', async () => {
      for (const auth of ['OAuth x', 'Bearer x']) {
        const res = await reg(t, '/clients/list', {}, { auth: rawAuthorization(auth) });
        expectRegError(res, 403);
        expect(res.body.error).toBe('client_permission_error');
      }
      expectRegError(await reg(t, '/clients/list', { access_token: 'x' }), 403);
    });
  });
});

describe.each(ENGINES)('client_secret in the URL with allowUrlCredentials on %s', (engine) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(engine, { ...RELAXED_THROTTLE, allowUrlCredentials: true });
  });
  afterAll(async () => {
    await t.close();
  });

  it('is accepted, logged as a warning naming the client, and counted in /metrics', async () => {
    const before = metricValue(await metrics(t), 'idcloud_url_credentials_total', { outcome: 'accepted' });
    const query = { client_id: t.owner.clientId, client_secret: t.owner.clientSecret };
    const res = await reg(t, '/clients/list', {}, { query, method: 'GET', encoding: 'query' });
    expectOk(res);
    const add = await reg(t, '/clients/add', { description: 'created with URL credentials' }, { query });
    expectOk(add);
    expect(await findClient(t, t.owner, add.body.client_id as string)).toBeDefined();
    expect(metricValue(await metrics(t), 'idcloud_url_credentials_total', { outcome: 'accepted' })).toBe(before + 2);
    const warnings = logRecords(t.logLines).filter((l) => l.level === 40 && l.clientId === t.owner.clientId && /URL/.test(String(l.msg)));
    expect(warnings.length).toBeGreaterThanOrEqual(2);
    expect(warnings.map((w) => w.request_id)).toEqual(expect.arrayContaining([res.body.request_id ?? res.headers['x-request-id']]));
    expect(t.logLines.join('\n')).not.toContain(t.owner.clientSecret);
  });

  it('still refuses a wrong secret sent in the URL', async () => {
    const res = await reg(t, '/clients/list', {}, { query: { client_id: t.owner.clientId, client_secret: 'wrong' } });
    expectRegError(res, 402);
  });
});

const FEATURE_SETS: Record<string, string[]> = {
  owner: ['owner'],
  access_issuer: ['access_issuer'],
  direct_access: ['direct_access'],
  direct_read_access: ['direct_read_access'],
  login_client: ['login_client'],
  metadata: ['metadata'],
  none: [],
};

describe.each(ENGINES)('permission matrix over HTTP on %s', (engine) => {
  let t: TestServer;
  const clients = new Map<string, Credentials>();
  beforeAll(async () => {
    t = await startTestServer(engine, RELAXED_THROTTLE);
    for (const [name, features] of Object.entries(FEATURE_SETS)) clients.set(name, await addClient(t, t.owner, features, `matrix ${name}`));
  });
  afterAll(async () => {
    await t.close();
  });

  const creds = (name: string): Credentials => {
    const c = clients.get(name);
    if (!c) throw new Error(`no client ${name}`);
    return c;
  };

  const methods: [string, (c: Credentials) => Auth][] = [
    ['Basic', basic],
    ['signed', (c) => signed(c)],
    ['params', asParams],
  ];

  it.each(Object.keys(FEATURE_SETS).filter((n) => n !== 'owner'))('%s: 403 client_permission_error on the owner-only operations', async (name) => {
    const c = creds(name);
    const countBefore = (await listClients(t, t.owner)).length;
    for (const [label, auth] of methods) {
      for (const [path, params] of [
        ['/clients/list', {}],
        ['/clients/add', { description: 'must not exist', features: '["owner"]' }],
        ['/clients/set_description', { description: 'renamed by myself' }],
        ['/clients/set_features', { features: '["owner"]' }],
        ['/clients/reset_secret', { for_client_id: c.clientId, hours_to_live: '0' }],
        ['/clients/clear_whitelist', {}],
        ['/audit/list', {}],
      ] as const) {
        const res = await reg(t, path, params, { auth: auth(c) });
        expectRegError(res, 403);
        expect(res.body.error, `${name} ${label} ${path}`).toBe('client_permission_error');
        expect(res.body.error_description).toBe('the provided client does not have authorization for this action');
      }
    }
    expect((await listClients(t, t.owner)).length).toBe(countBefore);
    const mine = await findClient(t, t.owner, c.clientId);
    expect(mine?.features).toEqual(FEATURE_SETS[name]);
    expect(mine?.description).toBe(`matrix ${name}`);
    expect(await authenticates(t, c), 'secret unchanged').toBe(true);
    const config = await cfg(t, 'GET', `/config/${t.applicationId}/clients`, { auth: basic(c) });
    expect(config.status).toBe(403);
    expect(config.body).toEqual({ errors: 'the provided client does not have authorization for this action' });
  });

  it('owner (created through /clients/add): the owner-only operations succeed with every method', async () => {
    const c = creds('owner');
    for (const [label, auth] of methods) {
      const list = await reg(t, '/clients/list', {}, { auth: auth(c) });
      expectOk(list);
      expect((list.body.results as LegacyClient[]).length, label).toBeGreaterThanOrEqual(Object.keys(FEATURE_SETS).length + 2);
      expectOk(await reg(t, '/audit/list', {}, { auth: auth(c) }));
      expectOk(await reg(t, '/clients/set_description', { description: `matrix owner via ${label}` }, { auth: auth(c) }));
    }
    const config = await cfg(t, 'GET', `/config/${t.applicationId}/clients`, { auth: basic(c) });
    expect(config.status).toBe(200);
    expect(Array.isArray(config.body)).toBe(true);
  });

  it('operations in the matrix that are not implemented yet (entity.adopt, entity.attributeValues, versions/entity.list) have no route: JSON 404 for every client', async () => {
    for (const path of ['/entity.adopt', '/entity.attributeValues', '/versions/entity.list']) {
      for (const name of ['owner', 'direct_access', 'none']) {
        const res = await reg(t, path, {}, { auth: basic(creds(name)) });
        expect(res.status, `${name} ${path}`).toBe(404);
        expect(res.body).toMatchObject({ error: 'not_found' });
      }
    }
  });
});

describe.each(ENGINES)('IP allow lists on %s', (engine) => {
  let t: TestServer;
  let other: Credentials;
  beforeAll(async () => {
    t = await startTestServer(engine, RELAXED_THROTTLE);
    other = await addClient(t, t.owner, ['owner'], 'allow-list subject');
  });
  afterAll(async () => {
    await t.close();
  });

  const setList = (list: unknown, forClient?: string): ReturnType<typeof reg> =>
    reg(t, '/clients/set_whitelist', { whitelist: typeof list === 'string' ? list : JSON.stringify(list), ...(forClient ? { for_client_id: forClient } : {}) }, { auth: basic(t.owner) });

  it('a client whose list excludes the caller gets 403 on the Registration and configuration APIs; clear_whitelist restores it', async () => {
    expectOk(await setList(['10.0.0.0/8', '192.168.1.0/24'], other.clientId));
    expect((await findClient(t, t.owner, other.clientId))?.whitelist).toEqual(['10.0.0.0/8', '192.168.1.0/24']);
    for (const auth of [basic(other), signed(other), asParams(other)]) {
      const res = await reg(t, '/clients/list', {}, { auth });
      expectRegError(res, 403);
      expect(res.body.error_description).toBe('the provided client does not have authorization for this action');
    }
    expect((await cfg(t, 'GET', `/config/${t.applicationId}/clients`, { auth: basic(other) })).status).toBe(403);
    expectOk(await reg(t, '/clients/clear_whitelist', { for_client_id: other.clientId }, { auth: basic(t.owner) }));
    expect((await findClient(t, t.owner, other.clientId))?.whitelist).toEqual(['0.0.0.0/0']);
    expectOk(await reg(t, '/clients/list', {}, { auth: basic(other) }));
    expect((await cfg(t, 'GET', `/config/${t.applicationId}/clients`, { auth: basic(other) })).status).toBe(200);
  });

  it('a list holding the caller admits it; bare addresses mean /32', async () => {
    expectOk(await setList(['10.0.0.0/8', '127.0.0.1'], other.clientId));
    expect((await findClient(t, t.owner, other.clientId))?.whitelist).toEqual(['10.0.0.0/8', '127.0.0.1/32']);
    expectOk(await reg(t, '/clients/list', {}, { auth: basic(other) }));
    expectOk(await setList(['127.0.0.2/32'], other.clientId));
    expectRegError(await reg(t, '/clients/list', {}, { auth: basic(other) }), 403);
    expectOk(await reg(t, '/clients/clear_whitelist', { for_client_id: other.clientId }, { auth: basic(t.owner) }));
  });

  it('takes IPv6 blocks; an IPv6-only list keeps an IPv4 caller out', async () => {
    expectOk(await setList(['2001:db8::/32', '::1/128'], other.clientId));
    expect((await findClient(t, t.owner, other.clientId))?.whitelist).toEqual(['2001:db8::/32', '::1/128']);
    expectRegError(await reg(t, '/clients/list', {}, { auth: basic(other) }), 403);
    expectOk(await reg(t, '/clients/clear_whitelist', { for_client_id: other.clientId }, { auth: basic(t.owner) }));
    expectOk(await reg(t, '/clients/list', {}, { auth: basic(other) }));
  });

  it('refuses an owner setting its own list without the calling address (code 200, argument whitelist) and changes nothing', async () => {
    const auditBefore = (await auditList(t, t.owner, { operation: 'clients/set_whitelist' })).rows.length;
    for (const list of [['10.0.0.0/8'], [], ['::1/128'], ['127.0.0.2/32']]) {
      const res = await setList(list);
      expectRegError(res, 200, 'whitelist');
      expect(res.body.error_description).toMatch(/127\.0\.0\.1/);
      const sameByName = await setList(list, t.owner.clientId);
      expectRegError(sameByName, 200, 'whitelist');
    }
    expect((await findClient(t, t.owner, t.owner.clientId))?.whitelist).toEqual(['0.0.0.0/0']);
    expect((await auditList(t, t.owner, { operation: 'clients/set_whitelist' })).rows.length).toBe(auditBefore);
    // A list that keeps the caller is fine.
    expectOk(await setList(['127.0.0.0/8', '10.0.0.0/8']));
    expectOk(await reg(t, '/clients/list', {}, { auth: basic(t.owner) }));
    expectOk(await reg(t, '/clients/clear_whitelist', {}, { auth: basic(t.owner) }));
  });

  it('refuses malformed lists with code 200, argument whitelist, in the documented message style; nothing changes', async () => {
    const cases: [string, RegExp][] = [
      ['["10.0.0.0/33"]', /^whitelist was not valid for the following reason: invalid cidr address: 10\.0\.0\.0\/33; value after slash must be 32 or less$/],
      ['["2001:db8::/129"]', /^whitelist was not valid for the following reason: invalid cidr address: 2001:db8::\/129; value after slash must be 128 or less$/],
      ['["not-an-address"]', /^whitelist was not valid for the following reason: invalid cidr address: not-an-address/],
      ['["10.0.0/8"]', /^whitelist was not valid for the following reason: invalid cidr address: 10\.0\.0\/8/],
      ['["10.0.0.0/8x"]', /^whitelist was not valid for the following reason: invalid cidr address/],
      ['[1234]', /^whitelist was not valid for the following reason: /],
      ['"10.0.0.0/8"', /^whitelist was not valid for the following reason: /],
      ['10.0.0.0/8', /^whitelist was not valid for the following reason: the JSON is not syntactically valid$/],
    ];
    const before = await findClient(t, t.owner, other.clientId);
    for (const [text, message] of cases) {
      const res = await setList(text, other.clientId);
      expectRegError(res, 200, 'whitelist');
      expect(res.body.error_description, text).toMatch(message);
    }
    expectRegError(await reg(t, '/clients/set_whitelist', { for_client_id: other.clientId }, { auth: basic(t.owner) }), 100, 'whitelist');
    expect(await findClient(t, t.owner, other.clientId)).toEqual(before);
  });

  it('ignores a forged X-Forwarded-For when no proxy is trusted', async () => {
    expectOk(await setList(['203.0.113.0/24'], other.clientId));
    const res = await reg(t, '/clients/list', {}, { auth: basic(other), headers: { 'x-forwarded-for': '203.0.113.5' } });
    expectRegError(res, 403);
    // Nor does it let the owner lock itself out "from" another address.
    const lock = await reg(t, '/clients/set_whitelist', { whitelist: '["203.0.113.0/24"]' }, { auth: basic(t.owner), headers: { 'x-forwarded-for': '203.0.113.5' } });
    expectRegError(lock, 200, 'whitelist');
    expectOk(await reg(t, '/clients/clear_whitelist', { for_client_id: other.clientId }, { auth: basic(t.owner) }));
  });
});

describe.each(ENGINES)('IP allow lists behind a trusted proxy on %s', (engine) => {
  let t: TestServer;
  let other: Credentials;
  beforeAll(async () => {
    t = await startTestServer(engine, { ...RELAXED_THROTTLE, trustedProxies: ['127.0.0.1'] });
    other = await addClient(t, t.owner, ['owner'], 'behind the proxy');
  });
  afterAll(async () => {
    await t.close();
  });

  const xff = (value: string): { headers: Record<string, string> } => ({ headers: { 'x-forwarded-for': value } });

  it('takes the caller address from X-Forwarded-For', async () => {
    expectOk(await reg(t, '/clients/set_whitelist', { whitelist: '["203.0.113.0/24"]', for_client_id: other.clientId }, { auth: basic(t.owner) }));
    expectOk(await reg(t, '/clients/list', {}, { auth: basic(other), ...xff('203.0.113.5') }));
    expect((await cfg(t, 'GET', `/config/${t.applicationId}/clients`, { auth: basic(other), ...xff('203.0.113.77') })).status).toBe(200);
    expectRegError(await reg(t, '/clients/list', {}, { auth: basic(other), ...xff('198.51.100.1') }), 403);
    expectRegError(await reg(t, '/clients/list', {}, { auth: basic(other) }), 403);
    // A client cannot prepend an address of its choosing: the nearest untrusted hop counts.
    expectRegError(await reg(t, '/clients/list', {}, { auth: basic(other), ...xff('203.0.113.5, 198.51.100.1') }), 403);
    expectOk(await reg(t, '/clients/list', {}, { auth: basic(other), ...xff('198.51.100.1, 203.0.113.5') }));
  });

  it('matches IPv6 forwarded addresses against IPv6 blocks', async () => {
    expectOk(await reg(t, '/clients/set_whitelist', { whitelist: '["2001:db8::/32"]', for_client_id: other.clientId }, { auth: basic(t.owner) }));
    expectOk(await reg(t, '/clients/list', {}, { auth: basic(other), ...xff('2001:db8::5') }));
    expectRegError(await reg(t, '/clients/list', {}, { auth: basic(other), ...xff('2001:db9::5') }), 403);
    expectRegError(await reg(t, '/clients/list', {}, { auth: basic(other), ...xff('203.0.113.5') }), 403);
  });

  it('records the forwarded address in the audit log and applies it to the self-lockout rule', async () => {
    const res = await reg(t, '/clients/set_description', { description: 'set via the proxy', for_client_id: other.clientId }, { auth: basic(t.owner), ...xff('198.51.100.23') });
    expectOk(res);
    const rows = (await auditList(t, t.owner, { operation: 'clients/set_description' })).rows;
    expect(rows.at(-1)).toMatchObject({ address: '198.51.100.23', client_id: t.owner.clientId, target: other.clientId });
    // Seen from 198.51.100.23, a list of 127.0.0.0/8 would lock the owner out.
    expectRegError(await reg(t, '/clients/set_whitelist', { whitelist: '["127.0.0.0/8"]' }, { auth: basic(t.owner), ...xff('198.51.100.23') }), 200, 'whitelist');
    expect((await findClient(t, t.owner, t.owner.clientId))?.whitelist).toEqual(['0.0.0.0/0']);
  });
});
