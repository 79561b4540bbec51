// The Registration API at the root of the host (spec README "Hosting"): real clients sign the bare
// path, so it cannot live under a prefix. Encapsulated so its form parsers and error envelope apply
// to its routes only.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { auditOperations } from './audit.js';
import { clientOperations } from './clients.js';
import { registrationErrorHandler, registrationRoute } from './operation.js';
import { registerFormParsers } from './params.js';
import { settingsOperations } from './settings.js';

export async function registrationApi(app: FastifyInstance, ctx: AppContext): Promise<void> {
  registerFormParsers(app);
  registrationErrorHandler(app);
  for (const op of [...clientOperations(), ...settingsOperations(), ...auditOperations()]) registrationRoute(app, ctx, op);
}
