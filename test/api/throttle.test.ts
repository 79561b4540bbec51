// Throttling of failed authentications (spec README "Throttling", config authFailureLimit,
// authFailureAddressLimit, authFailureWindow): per client id and per source address, code 510 on the
// Registration API and HTTP 429 on the configuration API, for every credential method, lifted when the
// window has passed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../helpers/engines.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import {
  addClient,
  asParams,
  basic,
  cfg,
  expectOk,
  expectRegError,
  metrics,
  metricValue,
  pollUntil,
  reg,
  signed,
  type Auth,
  type Credentials,
} from './helpers.js';

const wrong = (c: Credentials): Credentials => ({ clientId: c.clientId, clientSecret: `${c.clientSecret}-wrong` });
const METHODS: [string, (c: Credentials) => Auth][] = [
  ['Basic', basic],
  ['signed', (c) => signed(c)],
  ['params', asParams],
];

describe.each(ENGINES)('throttling per client id on %s', (engine) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(engine, { authFailureLimit: 3, authFailureAddressLimit: 1_000, authFailureWindow: 300 });
  });
  afterAll(async () => {
    await t.close();
  });

  const expectThrottled = async (c: Credentials): Promise<void> => {
    for (const [label, auth] of METHODS) {
      const res = await reg(t, '/clients/list', {}, { auth: auth(c) });
      expectRegError(res, 510);
      expect(res.body.error, label).toBe('api_limit_error');
      expect(res.body.error_description).toMatch(/retry in \d+ seconds/);
    }
    const config = await cfg(t, 'GET', `/config/${t.applicationId}/clients`, { auth: basic(c) });
    expect(config.status).toBe(429);
    expect(config.body).toEqual({ errors: expect.stringMatching(/too many failed authentication attempts/) as string });
  };

  it('after 3 wrong secrets the 4th attempt is refused even with the right secret: 510 and HTTP 429', async () => {
    const victim = await addClient(t, t.owner, ['owner'], 'throttled by basic');
    const throttledBefore = metricValue(await metrics(t), 'idcloud_auth_failures_total', { reason: 'throttled' });
    for (let i = 0; i < 3; i++) expectRegError(await reg(t, '/clients/list', {}, { auth: basic(wrong(victim)) }), 402);
    await expectThrottled(victim);
    // While blocked, a wrong secret gets the same answer: the block tells nothing about the secret.
    expectRegError(await reg(t, '/clients/list', {}, { auth: basic(wrong(victim)) }), 510);
    expect(metricValue(await metrics(t), 'idcloud_auth_failures_total', { reason: 'throttled' })).toBeGreaterThanOrEqual(throttledBefore + 5);
    // Other clients from the same address are not affected.
    expectOk(await reg(t, '/clients/list', {}, { auth: basic(t.owner) }));
    expect((await cfg(t, 'GET', `/config/${t.applicationId}/clients`, { auth: basic(t.owner) })).status).toBe(200);
  });

  it('counts failures of every method together: Basic, signed, parameters', async () => {
    const victim = await addClient(t, t.owner, ['owner'], 'throttled by mixed methods');
    for (const [, auth] of METHODS) expectRegError(await reg(t, '/clients/list', {}, { auth: auth(wrong(victim)) }), 402);
    await expectThrottled(victim);
  });

  it('counts failures on the configuration API too', async () => {
    const victim = await addClient(t, t.owner, ['owner'], 'throttled by config');
    for (let i = 0; i < 3; i++) expect((await cfg(t, 'GET', `/config/${t.applicationId}/clients`, { auth: basic(wrong(victim)) })).status).toBe(401);
    await expectThrottled(victim);
  });

  it('counts signature failures (bad signature, stale Date) as failures of that client id', async () => {
    const victim = await addClient(t, t.owner, ['owner'], 'throttled by signatures');
    expectRegError(await reg(t, '/clients/list', {}, { auth: signed(victim, { tamper: true }) }), 402);
    expectRegError(await reg(t, '/clients/list', {}, { auth: signed(victim, { date: '2001-01-01 00:00:00' }) }), 402);
    expectRegError(await reg(t, '/clients/list', {}, { auth: signed(victim, { date: 'not a date' }) }), 402);
    await expectThrottled(victim);
  });

  it('throttles an unknown client id like a known one', async () => {
    const ghost = { clientId: 'ghost-client-that-does-not-exist', clientSecret: 'whatever' };
    for (let i = 0; i < 3; i++) expectRegError(await reg(t, '/clients/list', {}, { auth: basic(ghost) }), 402);
    expectRegError(await reg(t, '/clients/list', {}, { auth: basic(ghost) }), 510);
    expectOk(await reg(t, '/clients/list', {}, { auth: basic(t.owner) }));
  });

  it('two failures do not block', async () => {
    const c = await addClient(t, t.owner, ['owner'], 'two failures only');
    for (let i = 0; i < 2; i++) expectRegError(await reg(t, '/clients/list', {}, { auth: basic(wrong(c)) }), 402);
    expectOk(await reg(t, '/clients/list', {}, { auth: basic(c) }));
  });
});

describe.each(ENGINES)('throttling per source address on %s', (engine) => {
  describe('behind a trusted proxy (X-Forwarded-For names the address)', () => {
    let t: TestServer;
    beforeAll(async () => {
      t = await startTestServer(engine, { authFailureLimit: 1_000, authFailureAddressLimit: 3, authFailureWindow: 300, trustedProxies: ['127.0.0.1'] });
    });
    afterAll(async () => {
      await t.close();
    });

    it('blocks an address after 3 failures with different client ids, and only that address', async () => {
      const from = (address: string): { headers: Record<string, string> } => ({ headers: { 'x-forwarded-for': address } });
      for (let i = 0; i < 3; i++) {
        expectRegError(await reg(t, '/clients/list', {}, { auth: basic({ clientId: `unknown-${i}`, clientSecret: 'x' }), ...from('198.51.100.7') }), 402);
      }
      const blocked = await reg(t, '/clients/list', {}, { auth: basic(t.owner), ...from('198.51.100.7') });
      expectRegError(blocked, 510);
      expectRegError(await reg(t, '/clients/list', {}, { auth: signed(t.owner), ...from('198.51.100.7') }), 510);
      expect((await cfg(t, 'GET', `/config/${t.applicationId}/clients`, { auth: basic(t.owner), headers: { 'x-forwarded-for': '198.51.100.7' } })).status).toBe(429);
      // The same client from elsewhere is fine: the client id itself is not blocked.
      expectOk(await reg(t, '/clients/list', {}, { auth: basic(t.owner), ...from('198.51.100.8') }));
      expectOk(await reg(t, '/clients/list', {}, { auth: basic(t.owner) }));
      expect((await cfg(t, 'GET', `/config/${t.applicationId}/clients`, { auth: basic(t.owner), headers: { 'x-forwarded-for': '2001:db8::1' } })).status).toBe(200);
    });
  });

  describe('on the socket address', () => {
    let t: TestServer;
    beforeAll(async () => {
      t = await startTestServer(engine, { authFailureLimit: 1_000, authFailureAddressLimit: 3, authFailureWindow: 300 });
    });
    afterAll(async () => {
      await t.close();
    });

    it('blocks the calling address after 3 failures; a forged X-Forwarded-For does not get around it', async () => {
      for (let i = 0; i < 3; i++) expectRegError(await reg(t, '/clients/list', {}, { auth: basic({ clientId: `nobody-${i}`, clientSecret: 'x' }) }), 402);
      expectRegError(await reg(t, '/clients/list', {}, { auth: basic(t.owner) }), 510);
      expectRegError(await reg(t, '/clients/list', {}, { auth: basic(t.owner), headers: { 'x-forwarded-for': '203.0.113.9' } }), 510);
      expect((await cfg(t, 'GET', `/config/${t.applicationId}/clients`, { auth: basic(t.owner) })).status).toBe(429);
    });
  });
});

describe.each(ENGINES)('throttling window on %s', (engine) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(engine, { authFailureLimit: 3, authFailureAddressLimit: 1_000, authFailureWindow: 2 });
  });
  afterAll(async () => {
    await t.close();
  });

  it('lets the client in again once the window has passed, with a fresh count', async () => {
    const c = await addClient(t, t.owner, ['owner'], 'short window');
    for (let i = 0; i < 3; i++) expectRegError(await reg(t, '/clients/list', {}, { auth: basic(wrong(c)) }), 402);
    expectRegError(await reg(t, '/clients/list', {}, { auth: basic(c) }), 510);
    const config = await cfg(t, 'GET', `/config/${t.applicationId}/clients`, { auth: basic(c) });
    expect(config.status).toBe(429);
    // A 2-second window: poll, well past it, for the block to lift.
    const after = await pollUntil(() => reg(t, '/clients/list', {}, { auth: basic(c) }), (r) => r.body.stat === 'ok', 10_000, 100);
    expectOk(after);
    expect((await cfg(t, 'GET', `/config/${t.applicationId}/clients`, { auth: basic(c) })).status).toBe(200);
    // The count starts again: one more failure does not block.
    expectRegError(await reg(t, '/clients/list', {}, { auth: basic(wrong(c)) }), 402);
    expectOk(await reg(t, '/clients/list', {}, { auth: basic(c) }));
  });
});
