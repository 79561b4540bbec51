// Baseline server child: a bare Fastify route with Fastify's defaults, no logger, no hooks, no schema.
// It answers the same path with the same body as idcloud's /healthz, so the difference between the two
// is what idcloud's stack adds (hooks, request ids, metrics, logger, response schema). POST /form is
// the floor for any Registration call: a form body in, a small JSON envelope out, nothing else.
import Fastify from 'fastify';
import { portOf, serveChild } from './child.js';

serveChild(async () => {
  const app = Fastify({ logger: false });
  app.get('/healthz', async () => ({ status: 'ok' }));
  // The shape of a Registration call without any of its work: a form body parsed, a small JSON answer.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(String(body))));
  });
  app.post('/form', async (request) => ({ result: request.body, stat: 'ok' }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    ready: { type: 'ready', kind: 'baseline', port: portOf(app.server.address()) },
    close: () => app.close(),
  };
});
