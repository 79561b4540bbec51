// The configuration API's transport (spec capture-api §8): JSON bodies, Basic authentication only,
// plain HTTP status codes and `{"errors": …}` bodies. The application in the path must be the
// authenticating client's own.
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifySchema } from 'fastify';
import type { AppContext } from '../../context.js';
import { authorizeEffective, PERMISSION_MATRIX } from '../../domain/features.js';
import type { ResolvedClient } from '../../services/api-client-directory.js';
import { ClientChangeRefused, type ClientProblem } from '../../services/api-clients.js';
import { authenticateClient, AuthenticationThrottled } from '../client-auth.js';
import { AuthenticationFailure, extractCredentials } from '../registration/authenticate.js';
import { RegistrationError } from '../registration/errors.js';

export class ConfigApiError extends Error {
  override name = 'ConfigApiError';
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 429 | 500,
    readonly errors: string | Record<string, unknown>,
    readonly retryAfterSeconds?: number,
  ) {
    super(typeof errors === 'string' ? errors : JSON.stringify(errors));
  }
}

export interface ConfigCall<Body = unknown> {
  ctx: AppContext;
  request: FastifyRequest;
  reply: FastifyReply;
  client: ResolvedClient;
  appId: string;
  pathParams: Record<string, string>;
  body: Body;
}

export interface ConfigRoute<Body = unknown> {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Route as in the permission matrix, e.g. `/config/{app_id}/clients/{client_id}`. */
  route: string;
  schema?: FastifySchema;
  /** For routes a client may call about itself: the client id the call targets. */
  target?: (pathParams: Record<string, string>) => string | undefined;
  run(call: ConfigCall<Body>): Promise<unknown>;
}

const toFastifyPath = (route: string): string => route.replace(/\{(\w+)\}/g, ':$1');

async function authenticate(ctx: AppContext, request: FastifyRequest): Promise<ResolvedClient> {
  const header = request.headers.authorization;
  if (header === undefined || !/^Basic\s/i.test(header)) throw new ConfigApiError(401, 'Authentication required.');
  try {
    const { credentials } = extractCredentials(request.headers, new Map(), new Set(), false);
    if (credentials.kind !== 'basic') throw new ConfigApiError(401, 'Authentication required.');
    return await authenticateClient(ctx, request, credentials, { endpoint: request.url.split('?')[0] ?? '', params: new Map() });
  } catch (err) {
    if (err instanceof AuthenticationThrottled) throw new ConfigApiError(429, err.message, err.retryAfterSeconds);
    if (err instanceof AuthenticationFailure || err instanceof RegistrationError) throw new ConfigApiError(401, err.message);
    throw err;
  }
}

export function configRoute<Body>(app: FastifyInstance, ctx: AppContext, def: ConfigRoute<Body>): void {
  const operation = `${def.method} ${def.route}`;
  const rule = Object.hasOwn(PERMISSION_MATRIX, operation) ? PERMISSION_MATRIX[operation] : undefined;
  if (!rule) throw new Error(`operation ${operation} is not in the permission matrix`);
  app.route({
    method: def.method,
    url: toFastifyPath(def.route),
    schema: { tags: ['config'], ...def.schema },
    // Authentication comes before the body is even parsed: an anonymous caller learns nothing.
    onRequest: async (request) => {
      (request as FastifyRequest & { apiClient?: ResolvedClient }).apiClient = await authenticate(ctx, request);
    },
    handler: async (request, reply) => {
      const client = (request as FastifyRequest & { apiClient?: ResolvedClient }).apiClient;
      if (!client) throw new ConfigApiError(401, 'Authentication required.');
      const pathParams = request.params as Record<string, string>;
      const appId = pathParams.app_id ?? '';
      if (appId !== client.record.applicationId) throw new ConfigApiError(404, `application ${appId} not found`);
      const caller = client.record.clientId;
      if (!authorizeEffective(operation, client.features, { self: (def.target?.(pathParams) ?? caller) === caller }).allowed) {
        throw new ConfigApiError(403, 'the provided client does not have authorization for this action');
      }
      if (rule.respectsAllowList && !client.allowList.admits(request.ip)) {
        throw new ConfigApiError(403, 'the provided client does not have authorization for this action');
      }
      void reply.header('cache-control', 'no-store');
      return def.run({ ctx, request, reply, client, appId, pathParams, body: request.body as Body });
    },
  });
}

/** The configuration API's names for the fields the client service validates. */
const CONFIG_FIELD_NAMES = { features: 'features', whitelist: 'ipWhitelist', description: 'name', hours_to_live: 'hoursToLive' } as const;

export function configProblem(problem: ClientProblem, message: string): ConfigApiError {
  switch (problem.kind) {
    case 'not_found':
      return new ConfigApiError(404, message);
    case 'invalid':
      return new ConfigApiError(400, { [CONFIG_FIELD_NAMES[problem.field]]: message });
    case 'last_owner':
    case 'own_owner_feature':
    case 'self_lockout':
      return new ConfigApiError(409, message);
  }
}

export function configErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: unknown, request, reply) => {
    if (error instanceof ConfigApiError) {
      if (error.status === 401) void reply.header('www-authenticate', 'Basic realm="idcloud"');
      if (error.retryAfterSeconds !== undefined) void reply.header('retry-after', String(error.retryAfterSeconds));
      return reply.code(error.status).send({ errors: error.errors });
    }
    if (error instanceof ClientChangeRefused) {
      const mapped = configProblem(error.problem, error.message);
      return reply.code(mapped.status).send({ errors: mapped.errors });
    }
    const e = error as { statusCode?: number; validation?: unknown; message?: string };
    if (e.validation !== undefined || (e.statusCode !== undefined && e.statusCode >= 400 && e.statusCode < 500)) {
      return reply.code(e.statusCode && e.statusCode !== 500 ? e.statusCode : 400).send({ errors: e.message ?? 'bad request' });
    }
    request.log.error({ err: error }, 'unexpected error in a configuration API call');
    return reply.code(500).send({ errors: 'Unexpected internal error' });
  });
}
