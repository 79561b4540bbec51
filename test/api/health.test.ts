import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../helpers/engines.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe.each(ENGINES)('health endpoints on %s', (engine) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(engine);
  });
  afterAll(async () => {
    await t.close();
  });

  it('/healthz answers while the process is up', async () => {
    const res = await t.fetch('/healthz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('/readyz reports the database reachable and migrated', async () => {
    const res = await t.fetch('/readyz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ready' });
  });

  it('/readyz turns 503 when the database is gone', async () => {
    const other = await startTestServer(engine);
    await other.server.context.store.close();
    const res = await other.fetch('/readyz');
    expect(res.status).toBe(503);
    const body = (await res.json()) as { status: string; reason: string };
    expect(body.status).toBe('unavailable');
    expect(JSON.stringify(body)).not.toMatch(/at .*\.ts|Error:/);
    await other.server.app.close();
    await other.env.dispose();
  });

  it('/metrics exposes request counts and latency by route, and auth failures, in Prometheus text', async () => {
    await t.fetch('/healthz');
    const res = await t.fetch('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/idcloud_http_requests_total\{method="GET",route="\/healthz",status_code="200"\} [1-9]/);
    expect(text).toMatch(/idcloud_http_request_duration_seconds_bucket\{le="[^"]+",method="GET",route="\/healthz"\}/);
    expect(text).toContain('# TYPE idcloud_auth_failures_total counter');
  });

  it('/metrics counts every answer exactly, unmatched routes and Registration errors included', async () => {
    const count = async (series: string): Promise<number> => {
      const text = await (await t.fetch('/metrics')).text();
      const line = text.split('\n').find((l) => l.startsWith(`${series} `));
      return line === undefined ? 0 : Number(line.slice(series.length + 1));
    };
    const notFound = 'idcloud_http_requests_total{method="GET",route="unmatched",status_code="404"}';
    const registration = 'idcloud_http_requests_total{method="POST",route="/clients/list",status_code="200"}';
    const latency = 'idcloud_http_request_duration_seconds_count{method="POST",route="/clients/list"}';
    const before = [await count(notFound), await count(registration), await count(latency)];
    for (let i = 0; i < 3; i++) expect((await t.fetch('/no/such/route')).status).toBe(404);
    for (let i = 0; i < 2; i++) expect((await t.fetch('/clients/list', { method: 'POST' })).status).toBe(200);
    expect([await count(notFound), await count(registration), await count(latency)]).toEqual([before[0]! + 3, before[1]! + 2, before[2]! + 2]);
  });

  it('unknown routes get a JSON 404 with a request id, no stack', async () => {
    const res = await t.fetch('/no/such/thing?client_secret=abc');
    expect(res.status).toBe(404);
    const body = (await res.json()) as Record<string, string>;
    expect(body.error).toBe('not_found');
    expect(body.request_id).toMatch(/^[a-z0-9]{16}$/);
    expect(res.headers.get('x-request-id')).toBe(body.request_id);
  });

  it('serves an OpenAPI document', async () => {
    const res = await t.fetch('/openapi.json');
    const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/healthz', '/readyz']));
  });
});
