// Prometheus metrics. One registry per server instance, so several servers in one process (tests)
// never share counters.
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

export class ServerMetrics {
  readonly registry = new Registry();
  readonly httpRequests = new Counter({
    name: 'idcloud_http_requests_total',
    help: 'HTTP requests by method, route and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'idcloud_http_request_duration_seconds',
    help: 'HTTP request latency by method and route',
    labelNames: ['method', 'route'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly authFailures = new Counter({
    name: 'idcloud_auth_failures_total',
    help: 'Failed authentications by method and reason',
    labelNames: ['method', 'reason'] as const,
    registers: [this.registry],
  });
  readonly urlCredentials = new Counter({
    name: 'idcloud_url_credentials_total',
    help: 'Requests that carried a client secret in the URL query string, by outcome',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'idcloud_' });
    // Pre-create the auth failure series so dashboards see a zero before the first failure.
    this.authFailures.inc({ method: 'none', reason: 'none' }, 0);
  }
}
