// One Registration operation as a route: read parameters, authenticate, authorize (permission matrix
// and allow list), run the operation, and answer in the Registration envelope. Every Registration
// route goes through here, so no operation can skip a step.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { authorizeEffective, PERMISSION_MATRIX, type OperationRule } from '../../domain/features.js';
import type { AppContext } from '../../context.js';
import type { ResolvedClient } from '../../services/api-client-directory.js';
import { authenticateClient, AuthenticationThrottled } from '../client-auth.js';
import { extractCredentials } from './authenticate.js';
import { apiLimitError, clientPermissionError, RegistrationError } from './errors.js';
import { readParams, type Params } from './params.js';

export interface RegistrationCall {
  ctx: AppContext;
  request: FastifyRequest;
  params: Params;
  client: ResolvedClient;
  /** The caller's address: the socket's, or X-Forwarded-For from a trusted proxy. */
  address: string;
}

export type RegistrationResult = Record<string, unknown>;

export interface RegistrationOperation {
  /** The operation's path, e.g. `/clients/list`; also its key in the permission matrix. */
  name: string;
  /** For operations a client may call about itself: the client the call targets (default: the caller). */
  target?: (params: Params) => string | undefined;
  run(call: RegistrationCall): Promise<RegistrationResult>;
}

async function authenticateCall(ctx: AppContext, request: FastifyRequest, op: RegistrationOperation, rule: OperationRule, params: Params, queryKeys: ReadonlySet<string>): Promise<ResolvedClient> {
  const { credentials, secretInUrl } = extractCredentials(request.headers, params, queryKeys, ctx.config.allowUrlCredentials);
  if (credentials.kind === 'user_token') {
    if (!rule.userToken) throw clientPermissionError();
    // User access tokens arrive with the entity API; until then no token is valid.
    ctx.metrics.authFailures.inc({ method: 'user_token', reason: 'unknown_token' });
    throw new RegistrationError(413, 'the access token is not valid');
  }
  let client: ResolvedClient;
  try {
    client = await authenticateClient(ctx, request, credentials, { endpoint: op.name, params });
  } catch (err) {
    if (err instanceof AuthenticationThrottled) throw apiLimitError(err.retryAfterSeconds);
    throw err;
  }
  if (secretInUrl) {
    ctx.metrics.urlCredentials.inc({ outcome: 'accepted' });
    request.log.warn({ clientId: client.record.clientId }, 'client_secret sent in the URL query string (accepted because allowUrlCredentials is on)');
  }
  return client;
}

export function registrationRoute(app: FastifyInstance, ctx: AppContext, op: RegistrationOperation): void {
  const rule = Object.hasOwn(PERMISSION_MATRIX, op.name) ? PERMISSION_MATRIX[op.name] : undefined;
  if (!rule) throw new Error(`operation ${op.name} is not in the permission matrix`);
  app.route({
    method: ['GET', 'POST'],
    url: op.name,
    schema: { tags: ['registration'], summary: op.name },
    handler: async (request, reply) => {
      void reply.header('cache-control', 'no-store');
      try {
        const { params, queryKeys } = await readParams(request, ctx.config.bodyLimit);
        if (queryKeys.has('client_secret') && !ctx.config.allowUrlCredentials) ctx.metrics.urlCredentials.inc({ outcome: 'refused' });
        const client = await authenticateCall(ctx, request, op, rule, params, queryKeys);
        const caller = client.record.clientId;
        const verdict = authorizeEffective(op.name, client.features, { self: (op.target?.(params) ?? caller) === caller });
        if (!verdict.allowed) throw clientPermissionError();
        if (rule.respectsAllowList && !client.allowList.admits(request.ip)) throw clientPermissionError();
        const result = await op.run({ ctx, request, params, client, address: request.ip });
        return { ...result, stat: 'ok' };
      } catch (err) {
        // Expected answers go straight out; only faults take Fastify's error path (and its logging).
        if (err instanceof RegistrationError) return err.toBody(request.id);
        throw err;
      }
    },
  });
}

/** Registration errors render as HTTP 200 envelopes; anything unexpected as code 500 without internals. */
export function registrationErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: unknown, request, reply) => {
    void reply.header('cache-control', 'no-store');
    if (error instanceof RegistrationError) return reply.code(200).send(error.toBody(request.id));
    const status = (error as { statusCode?: number }).statusCode ?? 500;
    if (status >= 400 && status < 500) {
      const message = error instanceof Error ? error.message : 'bad request';
      return reply.code(200).send(new RegistrationError(200, `request was not valid for the following reason: ${message}`, { argument_name: 'request' }).toBody(request.id));
    }
    request.log.error({ err: error }, 'unexpected error in a Registration operation');
    return reply.code(200).send(new RegistrationError(500, 'Unexpected internal error').toBody(request.id));
  });
}
