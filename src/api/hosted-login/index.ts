// Hosted Login configuration over HTTP (spec hosted-login-api §0, §1, §3.3, §4.7): the token endpoint
// for configuration clients, token introspection and revocation, and the configuration APIs under
// `/{customerId}/config/…`, each call authorized by its bearer token's scopes (seed 004).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.js';
import { requestSegments } from '../../domain/scopes.js';
import { parseLoginPolicyBody, parsePushClaims, parseResponseTypes } from '../../domain/login-policy.js';
import { parseTokenPolicyBody, PolicyBodyError } from '../../domain/token-policy.js';
import { loginPolicyBody, LoginPolicyService } from '../../services/login-policies.js';
import { oidcClientBody, OidcClientService } from '../../services/oidc-clients.js';
import { parseOidcClientBody } from '../../domain/oidc-client.js';
import { ConfigRefused, HostedLoginConfigService, TokenRequestRefused, type ConfigBearer } from '../../services/hosted-login-config.js';
import type { OidcClient, TokenPolicy } from '../../store/repositories/hosted-login.js';
import { RegistrationError } from '../registration/errors.js';
import { readParams, registerFormParsers } from '../registration/params.js';
import { UUID } from '../../domain/schema/values.js';


/** Basic credentials of an OIDC client (RFC 6749 §2.3.1), or a refusal. */
function basicClient(request: FastifyRequest): { id: string; secret: string } {
  const header = request.headers.authorization ?? '';
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  const decoded = m ? Buffer.from(m[1] ?? '', 'base64').toString('utf8') : '';
  const colon = decoded.indexOf(':');
  if (colon <= 0) throw new TokenRequestRefused(401, 'invalid_client', 'client authentication failed: send Authorization: Basic with the client id and secret');
  return { id: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}

/** Form parameters of a token endpoint call (urlencoded or multipart; credentials never in the URL). */
async function formOf(ctx: AppContext, request: FastifyRequest): Promise<Map<string, string>> {
  const type = request.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded' && type !== 'multipart/form-data') {
    throw new TokenRequestRefused(400, 'invalid_request', 'the body must be application/x-www-form-urlencoded or multipart/form-data');
  }
  try {
    const { params, queryKeys } = await readParams(request, ctx.config.bodyLimit);
    if (queryKeys.size > 0) throw new TokenRequestRefused(400, 'invalid_request', 'parameters go in the body, not in the URL');
    return params;
  } catch (err) {
    if (err instanceof RegistrationError) throw new TokenRequestRefused(400, 'invalid_request', err.description);
    throw err;
  }
}

/** A refusal of too many failed client authentications (HTTP 429, Retry-After). */
class TokenRequestThrottled extends Error {
  override name = 'TokenRequestThrottled';
  constructor(readonly retryAfterSeconds: number) {
    super(`too many failed client authentications; retry in ${retryAfterSeconds} seconds`);
  }
}

/**
 * Runs a call that authenticates an OIDC client under the failed-authentication throttle shared with
 * the other APIs (per client id and per source address, across processes).
 */
async function throttled<T>(ctx: AppContext, request: FastifyRequest, clientId: string, run: () => Promise<T>): Promise<T> {
  const retryAfter = ctx.throttle.retryAfter(clientId, request.ip);
  if (retryAfter > 0) {
    ctx.metrics.authFailures.inc({ method: 'basic', reason: 'throttled' });
    throw new TokenRequestThrottled(retryAfter);
  }
  try {
    return await run();
  } catch (err) {
    if (err instanceof TokenRequestRefused && err.error === 'invalid_client') {
      ctx.metrics.authFailures.inc({ method: 'basic', reason: 'invalid_client' });
      await ctx.throttle.recordFailure(clientId, request.ip);
    }
    throw err;
  }
}

function tokenRoutes(app: FastifyInstance, ctx: AppContext, service: HostedLoginConfigService): void {
  app.post('/:customerId/login/token', async (request, reply) => {
    const { customerId } = request.params as { customerId: string };
    const client = basicClient(request);
    const form = await formOf(ctx, request);
    const grant = form.get('grant_type');
    if (grant === undefined || grant === '') throw new TokenRequestRefused(400, 'invalid_request', 'grant_type is required');
    if (grant !== 'client_credentials') throw new TokenRequestRefused(400, 'unsupported_grant_type', `grant_type ${grant} is not supported here; configuration clients use client_credentials`);
    const issued = await throttled(ctx, request, client.id, () => service.issueToken(customerId, client.id, client.secret, form.get('scope') ?? ''));
    void reply.header('cache-control', 'no-store');
    return {
      access_token: issued.accessToken,
      expires_in: issued.expiresIn,
      token_type: 'Bearer',
      ...(issued.granted.length > 0 ? { scope: issued.granted.join(' ') } : {}),
      ...(issued.warnings.length > 0 ? { warnings: issued.warnings } : {}),
    };
  });

  app.post('/:customerId/login/token/introspect', async (request) => {
    const { customerId } = request.params as { customerId: string };
    const client = basicClient(request);
    const token = (await formOf(ctx, request)).get('token');
    if (!token) throw new TokenRequestRefused(400, 'invalid_request', 'token is required');
    return throttled(ctx, request, client.id, () => service.introspect(customerId, client.id, client.secret, token));
  });

  app.post('/:customerId/login/token/revoke', async (request, reply) => {
    const { customerId } = request.params as { customerId: string };
    const client = basicClient(request);
    const token = (await formOf(ctx, request)).get('token');
    if (!token) throw new TokenRequestRefused(400, 'invalid_request', 'token is required');
    await throttled(ctx, request, client.id, () => service.revoke(customerId, client.id, client.secret, token));
    return reply.code(200).send();
  });
}

// ---------------------------------------------------------------------------------------------
// Configuration APIs
// ---------------------------------------------------------------------------------------------

type ConfigHandler = (call: { request: FastifyRequest; reply: FastifyReply; bearer: ConfigBearer; customerId: string; params: Record<string, string> }) => Promise<unknown>;

/**
 * A configuration API route: a bearer token of this customer whose scopes allow the method on the
 * path after `/{customerId}/` (401 without a valid token, 403 "Not Authorized" without the scope).
 */
function configRoute(app: FastifyInstance, service: HostedLoginConfigService, method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, handler: ConfigHandler): void {
  // Paths without a customer (the session policy) take the customer of the token.
  const customerInPath = url.startsWith('/:customerId/');
  app.route({
    method,
    url,
    handler: async (request, reply) => {
      const params = request.params as Record<string, string>;
      const m = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
      if (!m) throw new ConfigRefused(401, 'Authentication required.');
      const inPath = customerInPath ? (params.customerId ?? '') : null;
      const bearer = inPath === null || UUID.test(inPath) ? await service.bearer(inPath, m[1] ?? '') : null;
      if (!bearer) throw new ConfigRefused(401, 'The access token is not valid: it is unknown, expired or revoked.');
      const path = requestSegments(request.url).slice(customerInPath ? 1 : 0);
      if (!bearer.scopes.allows(method, path)) throw new ConfigRefused(403, 'Not Authorized');
      void reply.header('cache-control', 'no-store');
      return handler({ request, reply, bearer, customerId: bearer.customerId, params });
    },
  });
}

const policyLink = (p: TokenPolicy): { self: { href: string } } => ({ self: { href: `/${p.customerId}/config/tokenPolicies/${p.id}` } });

function policyBody(p: TokenPolicy): Record<string, unknown> {
  return {
    id: p.id,
    title: p.title,
    accessTokenLifetime: p.accessTokenLifetime,
    refreshTokenLifetime: p.refreshTokenLifetime,
    allowedScopes: p.allowedScopes,
    useAccessJWT: p.useAccessJWT,
    _links: policyLink(p),
  };
}

function tokenPolicyRoutes(app: FastifyInstance, service: HostedLoginConfigService): void {
  const actor = (request: FastifyRequest, bearer: ConfigBearer) => ({ customerId: bearer.customerId, clientId: bearer.clientId, address: request.ip });
  configRoute(app, service, 'GET', '/:customerId/config/tokenPolicies', async ({ customerId }) => {
    const policies = await service.listTokenPolicies(customerId);
    return { total: policies.length, _embedded: { tokenPolicies: policies.map((p) => ({ id: p.id, title: p.title, _links: policyLink(p) })) } };
  });
  configRoute(app, service, 'POST', '/:customerId/config/tokenPolicies', async ({ request, reply, bearer }) => {
    const created = await service.createTokenPolicy(actor(request, bearer), parseTokenPolicyBody(request.body));
    return reply.code(201).send(policyBody(created));
  });
  configRoute(app, service, 'GET', '/:customerId/config/tokenPolicies/:id', async ({ customerId, params }) => policyBody(await service.tokenPolicy(customerId, params.id ?? '')));
  configRoute(app, service, 'PUT', '/:customerId/config/tokenPolicies/:id', async ({ request, bearer, params }) => {
    const body = request.body as Record<string, unknown> | null;
    if (body && typeof body === 'object' && body.id !== undefined && body.id !== params.id) throw new ConfigRefused(422, "('id',) does not match the token policy in the path");
    return policyBody(await service.replaceTokenPolicy(actor(request, bearer), params.id ?? '', parseTokenPolicyBody(body)));
  });
  configRoute(app, service, 'DELETE', '/:customerId/config/tokenPolicies/:id', async ({ request, reply, bearer, params }) => {
    await service.deleteTokenPolicy(actor(request, bearer), params.id ?? '');
    return reply.code(204).send();
  });
}

function loginPolicyRoutes(app: FastifyInstance, tokens: HostedLoginConfigService, policies: LoginPolicyService): void {
  const actor = (request: FastifyRequest, bearer: ConfigBearer) => ({ customerId: bearer.customerId, clientId: bearer.clientId, address: request.ip });
  const base = '/:customerId/config/loginPolicies';
  configRoute(app, tokens, 'GET', base, async ({ customerId }) => {
    const all = await policies.list(customerId);
    return { total: all.length, _embedded: { loginPolicies: all.map((p) => ({ id: p.id, title: p.title, _links: loginPolicyBody(p)._links })) } };
  });
  configRoute(app, tokens, 'POST', base, async ({ request, reply, bearer }) => {
    const created = await policies.create(actor(request, bearer), parseLoginPolicyBody(request.body));
    return reply.code(201).send(loginPolicyBody(created));
  });
  configRoute(app, tokens, 'GET', `${base}/:id`, async ({ customerId, params }) => loginPolicyBody(await policies.get(customerId, params.id ?? '')));
  configRoute(app, tokens, 'PUT', `${base}/:id`, async ({ request, bearer, params }) => {
    const body = request.body as Record<string, unknown> | null;
    if (body && typeof body === 'object' && body.id !== undefined && body.id !== params.id) throw new ConfigRefused(422, "('id',) does not match the login policy in the path");
    return loginPolicyBody(await policies.replace(actor(request, bearer), params.id ?? '', parseLoginPolicyBody(body)));
  });
  configRoute(app, tokens, 'DELETE', `${base}/:id`, async ({ request, reply, bearer, params }) => {
    await policies.delete(actor(request, bearer), params.id ?? '');
    return reply.code(204).send();
  });
  configRoute(app, tokens, 'GET', `${base}/:id/pushClaims`, async ({ customerId, params }) => (await policies.get(customerId, params.id ?? '')).pushClaims);
  configRoute(app, tokens, 'PUT', `${base}/:id/pushClaims`, async ({ request, bearer, params }) => (await policies.setPushClaims(actor(request, bearer), params.id ?? '', parsePushClaims(request.body))).pushClaims);
  configRoute(app, tokens, 'GET', `${base}/:id/allowedResponseTypes`, async ({ customerId, params }) => (await policies.get(customerId, params.id ?? '')).allowedResponseTypes);
  configRoute(app, tokens, 'PUT', `${base}/:id/allowedResponseTypes`, async ({ request, bearer, params }) =>
    (await policies.setResponseTypes(actor(request, bearer), params.id ?? '', parseResponseTypes(request.body))).allowedResponseTypes,
  );
}

function oidcClientRoutes(app: FastifyInstance, tokens: HostedLoginConfigService, clients: OidcClientService): void {
  const actor = (request: FastifyRequest, bearer: ConfigBearer) => ({ customerId: bearer.customerId, clientId: bearer.clientId, address: request.ip });
  const base = '/:customerId/config/clients';
  const shown = async (c: OidcClient): Promise<Record<string, unknown>> => oidcClientBody(c, await clients.applicationOf(c));
  configRoute(app, tokens, 'GET', base, async ({ customerId }) => {
    const all = await clients.list(customerId);
    return { total: all.length, _embedded: { clients: await Promise.all(all.map(shown)) } };
  });
  configRoute(app, tokens, 'POST', base, async ({ request, reply, bearer }) => {
    const { client, secret, applicationId } = await clients.create(actor(request, bearer), parseOidcClientBody(request.body));
    // The secret is shown once here, and afterwards only by GET …/secret.
    return reply.code(201).send({ ...oidcClientBody(client, applicationId), ...(secret === null ? {} : { secret }) });
  });
  configRoute(app, tokens, 'GET', `${base}/:id`, async ({ customerId, params }) => shown(await clients.get(customerId, params.id ?? '')));
  configRoute(app, tokens, 'PUT', `${base}/:id`, async ({ request, bearer, params }) => {
    const body = request.body as Record<string, unknown> | null;
    if (body && typeof body === 'object' && body.id !== undefined && body.id !== params.id) throw new ConfigRefused(422, "('id',) does not match the client in the path");
    return shown(await clients.replace(actor(request, bearer), params.id ?? '', parseOidcClientBody(body)));
  });
  configRoute(app, tokens, 'DELETE', `${base}/:id`, async ({ request, reply, bearer, params }) => {
    await clients.delete(actor(request, bearer), params.id ?? '');
    return reply.code(204).send();
  });
  configRoute(app, tokens, 'GET', `${base}/:id/secret`, async ({ customerId, params }) => ({ secret: await clients.secret(customerId, params.id ?? '') }));
  const reset: ConfigHandler = async ({ request, reply, bearer, params }) => {
    const body = request.body as { hoursToLive?: unknown } | null | undefined;
    const hours = body?.hoursToLive ?? 0;
    if (typeof hours !== 'number' || !Number.isInteger(hours) || hours < 0 || hours > 168) throw new ConfigRefused(422, "('hoursToLive',) must be a whole number of hours from 0 to 168");
    return reply.code(201).send({ secret: await clients.resetSecret(actor(request, bearer), params.id ?? '', hours) });
  };
  // POST is documented; PUT is an older documented spelling of the same reset.
  configRoute(app, tokens, 'POST', `${base}/:id/secret`, reset);
  configRoute(app, tokens, 'PUT', `${base}/:id/secret`, reset);
}

function sessionPolicyRoutes(app: FastifyInstance, tokens: HostedLoginConfigService): void {
  const url = '/config/v3/policies/sessions-default';
  configRoute(app, tokens, 'GET', url, async ({ customerId }) => tokens.sessionPolicy(customerId));
  configRoute(app, tokens, 'PATCH', url, async ({ request, bearer }) => tokens.patchSessionPolicy({ customerId: bearer.customerId, clientId: bearer.clientId, address: request.ip }, request.body));
}

export async function hostedLoginApi(app: FastifyInstance, ctx: AppContext): Promise<void> {
  registerFormParsers(app);
  const service = new HostedLoginConfigService(ctx);
  app.setErrorHandler((error: unknown, request, reply) => {
    if (error instanceof TokenRequestThrottled) {
      return reply.code(429).header('retry-after', String(error.retryAfterSeconds)).header('cache-control', 'no-store').send({ error: 'invalid_client', error_description: error.message });
    }
    if (error instanceof TokenRequestRefused) {
      if (error.status === 401) void reply.header('www-authenticate', 'Basic realm="idcloud"');
      return reply.code(error.status).header('cache-control', 'no-store').send({ error: error.error, error_description: error.description });
    }
    if (error instanceof ConfigRefused || error instanceof PolicyBodyError) {
      if (error.status === 401) void reply.header('www-authenticate', 'Bearer realm="idcloud"');
      return reply.code(error.status).send({ errors: error instanceof ConfigRefused ? error.errors : error.message });
    }
    const e = error as { statusCode?: number; message?: string };
    if (e.statusCode !== undefined && e.statusCode >= 400 && e.statusCode < 500) return reply.code(e.statusCode).send({ errors: e.message ?? 'bad request' });
    request.log.error({ err: error }, 'unexpected error in a Hosted Login configuration call');
    return reply.code(500).send({ errors: 'Unexpected internal error' });
  });
  tokenRoutes(app, ctx, service);
  tokenPolicyRoutes(app, service);
  loginPolicyRoutes(app, service, new LoginPolicyService(ctx));
  oidcClientRoutes(app, service, new OidcClientService(ctx));
  sessionPolicyRoutes(app, service);
  // Merge patches (RFC 7396) are JSON.
  app.addContentTypeParser('application/merge-patch+json', { parseAs: 'string' }, app.getDefaultJsonParser('error', 'error'));
  await Promise.resolve();
}
