// The configuration API at /config/{app_id}/…, encapsulated with its own error format.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { configClientRoutes } from './clients.js';
import { configEntityTypeRoutes } from './entity-types.js';
import { configSettingsRoutes } from './settings.js';
import { configErrorHandler } from './transport.js';

export async function configApi(app: FastifyInstance, ctx: AppContext): Promise<void> {
  configErrorHandler(app);
  configClientRoutes(app, ctx);
  configSettingsRoutes(app, ctx);
  configEntityTypeRoutes(app, ctx);
}
