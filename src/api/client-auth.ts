// Checking an API client's credentials, shared by the Registration and configuration APIs: throttle
// first, then the secrets (constant time), counting every failure in metrics and in the throttle.
import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import type { ResolvedClient } from '../services/api-client-directory.js';
import { AuthenticationFailure, verifyClientCredentials, type Credentials } from './registration/authenticate.js';
import type { Params } from './registration/params.js';

export class AuthenticationThrottled extends Error {
  override name = 'AuthenticationThrottled';
  constructor(readonly retryAfterSeconds: number) {
    super(`too many failed authentication attempts; retry in ${retryAfterSeconds} seconds`);
  }
}

export async function authenticateClient(
  ctx: AppContext,
  request: FastifyRequest,
  credentials: Exclude<Credentials, { kind: 'user_token' }>,
  signed: { endpoint: string; params: Params },
): Promise<ResolvedClient> {
  const address = request.ip;
  const retryAfter = ctx.throttle.retryAfter(credentials.clientId, address);
  if (retryAfter > 0) {
    ctx.metrics.authFailures.inc({ method: credentials.kind, reason: 'throttled' });
    throw new AuthenticationThrottled(retryAfter);
  }
  try {
    return verifyClientCredentials(credentials, await ctx.clients.resolve(credentials.clientId), { ...signed, now: Date.now() });
  } catch (err) {
    if (err instanceof AuthenticationFailure) {
      ctx.metrics.authFailures.inc({ method: err.method, reason: err.reason });
      await ctx.throttle.recordFailure(err.clientId, address);
    }
    throw err;
  }
}
