// One Registration operation as a route: read parameters, authenticate, authorize (permission matrix
// and allow list), run the operation, and answer in the Registration envelope. Every Registration
// route goes through here, so no operation can skip a step.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { authorizeEffective, PERMISSION_MATRIX, type OperationRule } from '../../domain/features.js';
import { DataError } from '../../domain/schema/data-error.js';
import type { AppContext } from '../../context.js';
import type { ResolvedClient } from '../../services/api-client-directory.js';
import { UserTokenRefused, type UserPrincipal } from '../../services/user-tokens.js';
import type { UserTokenRow } from '../../store/repositories/user-tokens.js';
import { authenticateClient, AuthenticationThrottled } from '../client-auth.js';
import { extractCredentials } from './authenticate.js';
import { apiLimitError, clientPermissionError, RegistrationError } from './errors.js';
import { readParams, type Params } from './params.js';

export interface RegistrationCall {
  ctx: AppContext;
  request: FastifyRequest;
  params: Params;
  client: ResolvedClient;
  /**
   * Set when the call authenticated with a user access token: the record it is bound to. `client` is
   * then the client the token was issued for.
   */
  user: UserPrincipal | null;
  /** Set when entity.create authenticated with a creation token (not yet used up: the operation redeems it). */
  creation: UserTokenRow | null;
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

/** An operation that needs no client credentials (the permission matrix marks it `public`). */
export interface PublicRegistrationOperation {
  name: string;
  run(call: Omit<RegistrationCall, 'client' | 'user' | 'creation'>): Promise<RegistrationResult>;
}

/** Domain problems become the Registration error of the same code. */
export function asRegistrationError(err: DataError): RegistrationError {
  if (err.code === 201 && err.argument) return new RegistrationError(201, err.message, { argument_names: err.argument.split(',') });
  return new RegistrationError(err.code, err.message, err.argument ? { argument_name: err.argument } : {});
}

/** Registration errors pass; domain errors are translated; anything else is a fault. */
export function expectedError(err: unknown): RegistrationError | null {
  if (err instanceof RegistrationError) return err;
  if (err instanceof DataError) return asRegistrationError(err);
  if (err instanceof UserTokenRefused) return new RegistrationError(err.code, err.message);
  return null;
}

/** A user access token: the record it is bound to and the client it was issued for. */
async function authenticateUser(ctx: AppContext, request: FastifyRequest, token: string): Promise<{ client: ResolvedClient; user: UserPrincipal }> {
  try {
    const user = await ctx.userTokens.authenticate(token);
    const client = await ctx.clients.resolve(user.clientId);
    if (!client) throw new UserTokenRefused(413, 'the access token is not valid: its API client no longer exists');
    return { client, user };
  } catch (err) {
    if (err instanceof UserTokenRefused) {
      ctx.metrics.authFailures.inc({ method: 'user_token', reason: err.code === 414 ? 'expired' : 'unknown_token' });
      await ctx.throttle.recordFailure(null, request.ip);
    }
    throw err;
  }
}

type Authenticated = { client: ResolvedClient; user: UserPrincipal | null; creation: UserTokenRow | null };

/** A creation token (entity.create without client credentials): the client it was issued for. */
async function authenticateCreation(ctx: AppContext, request: FastifyRequest, token: string): Promise<Authenticated> {
  const retryAfter = ctx.throttle.retryAfter(null, request.ip);
  if (retryAfter > 0) throw apiLimitError(retryAfter);
  try {
    const creation = await ctx.userTokens.peek('creation_token', token);
    const client = await ctx.clients.resolve(creation.clientId);
    if (!client) throw new UserTokenRefused(413, 'the creation token is not valid: its API client no longer exists');
    return { client, user: null, creation };
  } catch (err) {
    if (err instanceof UserTokenRefused) {
      ctx.metrics.authFailures.inc({ method: 'creation_token', reason: err.code === 417 ? 'expired' : 'unknown_token' });
      await ctx.throttle.recordFailure(null, request.ip);
    }
    throw err;
  }
}

async function authenticateCall(ctx: AppContext, request: FastifyRequest, op: RegistrationOperation, rule: OperationRule, params: Params, queryKeys: ReadonlySet<string>): Promise<Authenticated> {
  const creationToken = params.get('creation_token');
  if (rule.creationToken && creationToken && request.headers.authorization === undefined && !params.has('client_id')) return authenticateCreation(ctx, request, creationToken);
  const { credentials, secretInUrl } = extractCredentials(request.headers, params, queryKeys, ctx.config.allowUrlCredentials);
  if (credentials.kind === 'user_token') {
    if (!rule.userToken) throw clientPermissionError();
    const retryAfter = ctx.throttle.retryAfter(null, request.ip);
    if (retryAfter > 0) throw apiLimitError(retryAfter);
    return { ...(await authenticateUser(ctx, request, credentials.token)), creation: null };
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
  return { client, user: null, creation: null };
}

/**
 * Registers `name` for GET and POST with the Registration envelope around `answer`: `stat: "ok"` with
 * its result, or the error envelope for an expected error; only faults take Fastify's error path.
 */
function envelopeRoute(app: FastifyInstance, name: string, answer: (request: FastifyRequest) => Promise<RegistrationResult>): void {
  app.route({
    method: ['GET', 'POST'],
    url: name,
    schema: { tags: ['registration'], summary: name },
    handler: async (request, reply) => {
      void reply.header('cache-control', 'no-store');
      try {
        return { ...(await answer(request)), stat: 'ok' };
      } catch (err) {
        const expected = expectedError(err);
        if (expected) return expected.toBody(request.id);
        throw err;
      }
    },
  });
}

export function registrationRoute(app: FastifyInstance, ctx: AppContext, op: RegistrationOperation): void {
  const rule = Object.hasOwn(PERMISSION_MATRIX, op.name) ? PERMISSION_MATRIX[op.name] : undefined;
  if (!rule) throw new Error(`operation ${op.name} is not in the permission matrix`);
  envelopeRoute(app, op.name, async (request) => {
    const { params, queryKeys } = await readParams(request, ctx.config.bodyLimit);
    if (queryKeys.has('client_secret') && !ctx.config.allowUrlCredentials) ctx.metrics.urlCredentials.inc({ outcome: 'refused' });
    const { client, user, creation } = await authenticateCall(ctx, request, op, rule, params, queryKeys);
    // A user token grants what the operation allows a token (its own record), whatever the
    // client's features, and is used from users' devices, so client allow lists do not apply.
    if (user === null && creation === null) {
      const caller = client.record.clientId;
      const verdict = authorizeEffective(op.name, client.features, { self: (op.target?.(params) ?? caller) === caller });
      if (!verdict.allowed) throw clientPermissionError();
      if (rule.respectsAllowList && !client.allowList.admits(request.ip)) throw clientPermissionError();
    }
    return op.run({ ctx, request, params, client, user, creation, address: request.ip });
  });
}

/** Routes an operation that takes no credentials at all; still only if the matrix marks it public. */
export function publicRegistrationRoute(app: FastifyInstance, ctx: AppContext, op: PublicRegistrationOperation): void {
  const rule = Object.hasOwn(PERMISSION_MATRIX, op.name) ? PERMISSION_MATRIX[op.name] : undefined;
  if (!rule?.public) throw new Error(`operation ${op.name} is not public in the permission matrix`);
  envelopeRoute(app, op.name, async (request) => {
    const { params } = await readParams(request, ctx.config.bodyLimit);
    const retryAfter = ctx.throttle.retryAfter(null, request.ip);
    if (retryAfter > 0) throw apiLimitError(retryAfter);
    return op.run({ ctx, request, params, address: request.ip });
  });
}

/** Registration errors render as HTTP 200 envelopes; anything unexpected as code 500 without internals. */
export function registrationErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: unknown, request, reply) => {
    void reply.header('cache-control', 'no-store');
    const expected = expectedError(error);
    if (expected) return reply.code(200).send(expected.toBody(request.id));
    const status = (error as { statusCode?: number }).statusCode ?? 500;
    if (status >= 400 && status < 500) {
      const message = error instanceof Error ? error.message : 'bad request';
      return reply.code(200).send(new RegistrationError(200, `request was not valid for the following reason: ${message}`, { argument_name: 'request' }).toBody(request.id));
    }
    request.log.error({ err: error }, 'unexpected error in a Registration operation');
    return reply.code(200).send(new RegistrationError(500, 'Unexpected internal error').toBody(request.id));
  });
}
