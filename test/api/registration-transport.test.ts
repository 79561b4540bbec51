// Registration API transport (spec README "Accept what real clients send", capture-api §0): GET and
// POST, parameters in the query string, an urlencoded or multipart body (also on GET), body wins,
// JSON answers with Cache-Control: no-store, gzip on request, error envelopes on HTTP 200, JSON 404s
// for unknown paths — and no request shape at all makes it answer 500 or leak a stack.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../helpers/engines.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import {
  addClient,
  basic,
  basicHeader,
  expectOk,
  expectRegError,
  httpRequest,
  janrainDate,
  janrainSignature,
  janrainStringToSign,
  multipart,
  parseJson,
  reg,
  RELAXED_THROTTLE,
  urlencoded,
  type LegacyClient,
  type RegBody,
} from './helpers.js';

const ids = (res: { body: RegBody }): string[] => (res.body.results as LegacyClient[]).map((c) => c.client_id).sort();

describe.each(ENGINES)('Registration transport on %s', (engine) => {
  let t: TestServer;
  const loginOnly = JSON.stringify(['login_client']);
  const ownerOnly = JSON.stringify(['owner']);

  beforeAll(async () => {
    t = await startTestServer(engine, RELAXED_THROTTLE);
  });
  afterAll(async () => {
    await t.close();
  });

  it('accepts GET and POST on the same operation', async () => {
    for (const method of ['GET', 'POST'] as const) {
      const res = await reg(t, '/clients/list', {}, { auth: basic(t.owner), method });
      expectOk(res);
      expect(ids(res)).toEqual([t.owner.clientId, t.login.clientId].sort());
    }
  });

  it('reads parameters from the query string (GET and POST)', async () => {
    for (const method of ['GET', 'POST'] as const) {
      const res = await reg(t, '/clients/list', { has_features: loginOnly }, { auth: basic(t.owner), method, encoding: 'query' });
      expectOk(res);
      expect(ids(res)).toEqual([t.login.clientId]);
    }
  });

  it('reads parameters from an urlencoded body and from a multipart body', async () => {
    for (const encoding of ['urlencoded', 'multipart'] as const) {
      const res = await reg(t, '/clients/list', { has_features: loginOnly }, { auth: basic(t.owner), method: 'POST', encoding });
      expectOk(res);
      expect(ids(res)).toEqual([t.login.clientId]);
    }
  });

  it('reads a form body sent with GET (urlencoded and multipart)', async () => {
    const form = multipart({ has_features: loginOnly });
    const bodies = [
      { contentType: 'application/x-www-form-urlencoded', body: Buffer.from(urlencoded({ has_features: loginOnly })) },
      { contentType: form.contentType, body: form.body },
    ];
    for (const { contentType, body } of bodies) {
      const res = await httpRequest(t.url, {
        method: 'GET',
        path: '/clients/list',
        headers: { authorization: basicHeader(t.owner.clientId, t.owner.clientSecret), 'content-type': contentType },
        body,
      });
      const parsed = parseJson(res) as RegBody;
      expect(parsed.stat, res.text).toBe('ok');
      expect((parsed.results as LegacyClient[]).map((c) => c.client_id)).toEqual([t.login.clientId]);
    }
  });

  it('lets the body win where query and body carry the same key', async () => {
    for (const encoding of ['urlencoded', 'multipart'] as const) {
      for (const method of ['GET', 'POST'] as const) {
        const res = await reg(t, '/clients/list', { has_features: loginOnly }, { auth: basic(t.owner), method, encoding, query: { has_features: ownerOnly } });
        expectOk(res);
        expect(ids(res), `${method} ${encoding}`).toEqual([t.login.clientId]);
      }
    }
  });

  it('answers application/json with Cache-Control: no-store, on success and on error', async () => {
    const ok = await reg(t, '/clients/list', {}, { auth: basic(t.owner) });
    const err = await reg(t, '/clients/list', {});
    for (const res of [ok, err]) {
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json\b/);
      expect(res.headers['cache-control']).toBe('no-store');
    }
  });

  it('compresses with gzip when asked, and the JSON still parses after gunzip', async () => {
    // Enough clients that the answer is well past any compression threshold.
    for (let i = 0; i < 8; i++) await addClient(t, t.owner, [], `padding client ${i} ${'x'.repeat(40)}`);
    const plain = await reg(t, '/clients/list', {}, { auth: basic(t.owner) });
    expect(plain.headers['content-encoding']).toBeUndefined();
    const zipped = await reg(t, '/clients/list', {}, { auth: basic(t.owner), headers: { 'accept-encoding': 'gzip' } });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers['content-type']).toMatch(/^application\/json\b/);
    expect(zipped.raw.length).toBeLessThan(Buffer.byteLength(zipped.text));
    expectOk(zipped);
    expect(zipped.body).toEqual(plain.body);
  });

  it('reports errors on HTTP 200 with stat, code, error, error_description and a 16-character request_id', async () => {
    const res = await reg(t, '/clients/add', {}, { auth: basic(t.owner) });
    expectRegError(res, 100, 'description');
    expect(res.body.error).toBe('missing_argument');
    expect(res.body.error_description).toBe('missing required argument: description');
    expect(res.body.request_id).toMatch(/^[a-z0-9]{16}$/);
    expect(res.headers['x-request-id']).toBe(res.body.request_id);
    const again = await reg(t, '/clients/add', {}, { auth: basic(t.owner) });
    expect(again.body.request_id).not.toBe(res.body.request_id);
  });

  it('refuses a multipart body it cannot parse with a 200 envelope, not a crash', async () => {
    const res = await httpRequest(t.url, {
      method: 'POST',
      path: '/clients/list',
      headers: { authorization: basicHeader(t.owner.clientId, t.owner.clientSecret), 'content-type': 'multipart/form-data; boundary=zzz' },
      body: 'this is not multipart at all',
    });
    expect(res.status).toBe(200);
    const body = parseJson(res) as RegBody;
    expect(body).toMatchObject({ stat: 'error', code: 200, argument_name: 'body' });
  });

  it('answers unknown Registration paths with a JSON 404', async () => {
    for (const path of ['/clients/nothing', '/clients', '/entity.frobnicate', '/settings/nope']) {
      for (const method of ['GET', 'POST'] as const) {
        const res = await httpRequest(t.url, { method, path, headers: { authorization: basicHeader(t.owner.clientId, t.owner.clientSecret) } });
        expect(res.status, `${method} ${path}`).toBe(404);
        expect(res.headers['content-type']).toMatch(/^application\/json\b/);
        const body = parseJson(res) as Record<string, unknown>;
        expect(body.error).toBe('not_found');
        expect(body.request_id).toMatch(/^[a-z0-9]{16}$/);
      }
    }
  });

  it('property: arbitrary headers and bodies never get HTTP 500, a stack trace, or non-JSON', async () => {
    const victim = await addClient(t, t.owner, [], 'property-test victim');
    const printable = fc.string({ unit: fc.constantFrom(...' !"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~'.split('')), maxLength: 60 });
    const b64ish = fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=_-:'.split('')), maxLength: 60 });
    const validDate = fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2200-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => janrainDate(d));
    const authorization = fc.oneof(
      fc.constant(undefined),
      { arbitrary: fc.constant(basicHeader(t.owner.clientId, t.owner.clientSecret)), weight: 4 },
      printable,
      b64ish.map((s) => `Basic ${s}`),
      b64ish.map((s) => `basic    ${s}   `),
      fc.tuple(printable, b64ish).map(([u, p]) => basicHeader(u, p)),
      fc.tuple(printable, b64ish).map(([id, sig]) => `Signature ${id}:${sig}`),
      b64ish.map((sig) => `Signature ${t.owner.clientId}:${sig}`),
      printable.map((s) => `OAuth ${s}`),
      printable.map((s) => `Bearer ${s}`),
      fc.constantFrom('Basic', 'Signature', 'Signature :', 'OAuth', 'Digest username="x"', 'Negotiate abc', 'Basic Og==', 'Basic OmFiYw=='),
    );
    const date = fc.oneof(fc.constant(undefined), fc.constant(janrainDate()), validDate, printable, fc.constantFrom('2016-02-30 10:00:00', '2016-02-26T19:08:44Z', '9999-99-99 99:99:99', ''));
    const key = fc.oneof(
      fc.constantFrom('description', 'features', 'has_features', 'whitelist', 'for_client_id', 'max_results', 'from', 'to', 'operation', 'client_id', 'access_token', 'hours_to_live'),
      printable,
    );
    const value = fc.oneof(printable, fc.json(), fc.constantFrom('["owner"]', '["10.0.0.0/33"]', '[]', '{}', 'null', '1e309', '-1', victim.client_id, '"'));
    const params = fc.array(fc.tuple(key, value), { maxLength: 6 });
    const body = fc.oneof(
      fc.constant(undefined),
      params.map((p) => ({ type: 'application/x-www-form-urlencoded', data: Buffer.from(urlencoded(p)) })),
      params.map((p) => {
        const m = multipart(p);
        return { type: m.contentType, data: m.body };
      }),
      fc.record({
        type: fc.oneof(
          fc.constant(undefined),
          fc.constantFrom(
            'application/x-www-form-urlencoded',
            'multipart/form-data',
            'multipart/form-data; boundary=',
            'multipart/form-data; boundary=abc',
            'application/json',
            'text/plain',
            'application/xml',
            'application/x-www-form-urlencoded; charset=latin1',
          ),
          printable,
        ),
        data: fc.oneof(fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)), printable.map((s) => Buffer.from(s)), fc.json().map((s) => Buffer.from(s))),
      }),
    );
    const request = fc.record({
      method: fc.constantFrom('GET', 'POST'),
      op: fc.constantFrom('/clients/list', '/clients/add', '/audit/list', '/clients/set_whitelist', '/clients/no_such_op'),
      query: params,
      authorization,
      date,
      acceptEncoding: fc.constantFrom(undefined, 'gzip', 'gzip, deflate', 'br', 'identity', '*'),
      body,
      forClient: fc.boolean(),
    });

    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const headers: Record<string, string> = {};
        if (r.authorization !== undefined) headers.authorization = r.authorization;
        if (r.date !== undefined) headers.date = r.date;
        if (r.acceptEncoding !== undefined) headers['accept-encoding'] = r.acceptEncoding;
        if (r.body?.type !== undefined) headers['content-type'] = r.body.type;
        const query = r.forClient ? [...r.query, ['for_client_id', victim.client_id] as [string, string]] : r.query;
        // A correctly signed variant now and then, so signed requests reach the operations too.
        if (r.authorization === undefined && r.date !== undefined && r.forClient) {
          const d = janrainDate();
          headers.date = d;
          headers.authorization = `Signature ${t.owner.clientId}:${janrainSignature(t.owner.clientSecret, janrainStringToSign(r.op, d, query))}`;
        }
        const qs = query.length > 0 ? `?${urlencoded(query)}` : '';
        const res = await httpRequest(t.url, { method: r.method, path: `${r.op}${qs}`, headers, body: r.body?.data });
        expect(res.status, res.text).not.toBe(500);
        expect(res.status, res.text).toBeLessThan(500);
        // Known operations always answer in the Registration envelope; an unknown path is some 4xx.
        if (r.op === '/clients/no_such_op') expect(res.status).toBeGreaterThanOrEqual(400);
        else expect(res.status, res.text).toBe(200);
        expect(res.headers['content-type']).toMatch(/^application\/json\b/);
        expect(res.text).not.toMatch(/\bat .*\.(ts|js):\d+/);
        const parsed = parseJson(res) as RegBody;
        if (res.status === 200) {
          expect(['ok', 'error']).toContain(parsed.stat);
          if (parsed.stat === 'error') {
            expect(typeof parsed.code).toBe('number');
            expect(parsed.code).not.toBe(500);
            expect(parsed.request_id).toMatch(/^[a-z0-9]{16}$/);
          }
        }
      }),
      { numRuns: 250 },
    );
    // The owner never lost access along the way.
    expectOk(await reg(t, '/clients/list', {}, { auth: basic(t.owner) }));
    expect(t.logLines.filter((l) => (JSON.parse(l) as { level: number }).level >= 50), 'error-level log lines').toEqual([]);
  });
});
