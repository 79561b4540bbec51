// Baseline server child: a bare Fastify route with Fastify's defaults, no logger, no hooks, no schema.
// It answers the same path with the same body as idcloud's /healthz, so the difference between the two
// is what idcloud's stack adds (hooks, request ids, metrics, logger, response schema).
import Fastify from 'fastify';
import { portOf, serveChild } from './child.js';

serveChild(async () => {
  const app = Fastify({ logger: false });
  app.get('/healthz', async () => ({ status: 'ok' }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    ready: { type: 'ready', kind: 'baseline', port: portOf(app.server.address()) },
    close: () => app.close(),
  };
});
