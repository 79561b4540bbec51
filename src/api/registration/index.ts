// The Registration API at the root of the host (spec README "Hosting"): real clients sign the bare
// path, so it cannot live under a prefix. Encapsulated so its form parsers and error envelope apply
// to its routes only.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { accessOperations, oauthTokenRoute, publicAccessOperations } from './access.js';
import { auditOperations } from './audit.js';
import { clientOperations } from './clients.js';
import { entityOperations } from './entities.js';
import { entitySearchOperations } from './entity-search.js';
import { entityTypeOperations } from './entity-types.js';
import { publicRegistrationRoute, registrationErrorHandler, registrationRoute } from './operation.js';
import { registerFormParsers } from './params.js';
import { settingsOperations } from './settings.js';

export async function registrationApi(app: FastifyInstance, ctx: AppContext): Promise<void> {
  registerFormParsers(app);
  registrationErrorHandler(app);
  const operations = [...entityOperations(), ...entitySearchOperations(), ...entityTypeOperations(), ...accessOperations(), ...clientOperations(), ...settingsOperations(), ...auditOperations()];
  for (const op of operations) registrationRoute(app, ctx, op);
  for (const op of publicAccessOperations()) publicRegistrationRoute(app, ctx, op);
  oauthTokenRoute(app, ctx);
}
