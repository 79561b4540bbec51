import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe('request logs', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer('sqlite');
  });
  afterAll(async () => {
    await t.close();
  });

  it('are JSON lines carrying the request id, with credentials redacted from headers and query strings', async () => {
    const secret = 'zzsecretvalue0123456789zz';
    const res = await t.fetch(`/healthz?client_id=abc&client_secret=${secret}&access_token=${secret}&password=${secret}`, {
      headers: { authorization: `Basic ${Buffer.from(`abc:${secret}`).toString('base64')}`, cookie: `s=${secret}` },
    });
    const requestId = res.headers.get('x-request-id');
    expect(res.status).toBe(200);
    const lines = t.logLines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const mine = lines.filter((l) => l.request_id === requestId);
    expect(mine.length).toBeGreaterThanOrEqual(2);
    const incoming = mine.find((l) => l.msg === 'incoming request') as { req: { url: string; method: string } } | undefined;
    expect(incoming?.req.method).toBe('GET');
    expect(incoming?.req.url).toContain('client_id=abc');
    expect(incoming?.req.url).toContain('client_secret=%5BRedacted%5D');
    const all = t.logLines.join('\n');
    expect(all).not.toContain(secret);
    expect(all).not.toContain(Buffer.from(`abc:${secret}`).toString('base64'));
  });

  it('never include the bootstrap secrets', () => {
    const all = t.logLines.join('\n');
    expect(all).toContain('bootstrap-credentials.json');
    expect(all).not.toContain(t.owner.clientSecret);
    expect(all).not.toContain(t.login.clientSecret);
  });
});
