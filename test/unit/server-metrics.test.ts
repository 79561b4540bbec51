// ServerMetrics: finished requests are recorded on the request path and folded into prom-client's
// series in bulk; a scrape must still see every one of them, exactly.
import { describe, expect, it } from 'vitest';
import { ServerMetrics } from '../../src/metrics.js';

async function series(metrics: ServerMetrics, name: string): Promise<Map<string, number>> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  const values = (metric?.values ?? []) as { labels: Record<string, string | number>; value: number; metricName?: string }[];
  return new Map(values.map((v) => [`${v.metricName ?? name}${JSON.stringify(v.labels)}`, v.value]));
}

describe('ServerMetrics.recordRequest', () => {
  it('counts every request at a scrape, whether or not a fold has happened in between', async () => {
    for (const total of [1, 255, 256, 257, 1000]) {
      const metrics = new ServerMetrics();
      for (let i = 0; i < total; i++) metrics.recordRequest('GET', '/healthz', i % 10 === 0 ? 503 : 200, 0.0002);
      metrics.recordRequest('POST', '/entity', 200, 0.02);
      const counts = await series(metrics, 'idcloud_http_requests_total');
      const fails = Math.ceil(total / 10);
      expect(counts.get('idcloud_http_requests_total{"method":"GET","route":"/healthz","status_code":"200"}') ?? 0).toBe(total - fails);
      expect(counts.get('idcloud_http_requests_total{"method":"GET","route":"/healthz","status_code":"503"}')).toBe(fails);
      expect(counts.get('idcloud_http_requests_total{"method":"POST","route":"/entity","status_code":"200"}')).toBe(1);
    }
  });

  it('puts each duration in its bucket and sums them', async () => {
    const metrics = new ServerMetrics();
    const seconds = [0.0001, 0.0007, 0.003, 0.3, 7, 12];
    for (const s of seconds) metrics.recordRequest('GET', '/x', 200, s);
    const h = await series(metrics, 'idcloud_http_request_duration_seconds');
    const bucket = (le: number | string): number | undefined => h.get(`idcloud_http_request_duration_seconds_bucket{"le":${JSON.stringify(le)},"method":"GET","route":"/x"}`);
    expect(bucket(0.0005)).toBe(1);
    expect(bucket(0.001)).toBe(2);
    expect(bucket(0.005)).toBe(3);
    expect(bucket(0.5)).toBe(4);
    expect(bucket(10)).toBe(5);
    expect(bucket('+Inf')).toBe(6);
    expect(h.get('idcloud_http_request_duration_seconds_count{"method":"GET","route":"/x"}')).toBe(6);
    expect(h.get('idcloud_http_request_duration_seconds_sum{"method":"GET","route":"/x"}')).toBeCloseTo(seconds.reduce((a, b) => a + b, 0), 9);
  });

  it('does not count a request twice across scrapes', async () => {
    const metrics = new ServerMetrics();
    metrics.recordRequest('GET', '/x', 200, 0.001);
    await metrics.registry.metrics();
    metrics.recordRequest('GET', '/x', 200, 0.001);
    const counts = await series(metrics, 'idcloud_http_requests_total');
    expect(counts.get('idcloud_http_requests_total{"method":"GET","route":"/x","status_code":"200"}')).toBe(2);
  });
});
