// Liveness, readiness and metrics: unauthenticated, for load balancers and scrapers.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { migrationDrift } from '../../store/migrations/index.js';

const statusSchema = {
  type: 'object',
  properties: { status: { type: 'string' }, reason: { type: 'string' } },
  required: ['status'],
} as const;

export function healthRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get('/healthz', { schema: { tags: ['health'], summary: 'The process is up', response: { 200: statusSchema } } }, async () => ({ status: 'ok' }));

  app.get(
    '/readyz',
    { schema: { tags: ['health'], summary: 'The database is reachable and fully migrated', response: { 200: statusSchema, 503: statusSchema } } },
    async (request, reply) => {
      try {
        const drift = await migrationDrift(ctx.store.db);
        if (drift.pending.length > 0) return reply.code(503).send({ status: 'unavailable', reason: `migrations pending: ${drift.pending.join(', ')}` });
        return { status: 'ready' };
      } catch (err) {
        request.log.warn({ err }, 'readiness check failed');
        return reply.code(503).send({ status: 'unavailable', reason: 'database unreachable' });
      }
    },
  );

  app.get('/metrics', { schema: { tags: ['health'], summary: 'Prometheus metrics', hide: true } }, async (_request, reply) => {
    const body = await ctx.metrics.registry.metrics();
    return reply.type(ctx.metrics.registry.contentType).send(body);
  });
}
