// Access codes and tokens for users (spec capture-api §9): /access/* and /oauth/token.
import type { FastifyInstance } from 'fastify';
import { authorizeEffective } from '../../domain/features.js';
import { DataError } from '../../domain/schema/data-error.js';
import { findAttribute, formatAttributePath, parseAttributePath } from '../../domain/schema/paths.js';
import type { AppContext } from '../../context.js';
import { EntityService } from '../../services/entities.js';
import { requireClientOfApplication } from '../../services/entity-types.js';
import { ACCESS_TOKEN_SECONDS, parseLifetime, REFRESH_TOKEN_SECONDS, UserTokenRefused } from '../../services/user-tokens.js';
import { authenticateClient, AuthenticationThrottled } from '../client-auth.js';
import { extractCredentials } from './authenticate.js';
import { entityTypeOf, recordRef } from './entities.js';
import { clientPermissionError, RegistrationError } from './errors.js';
import { expectedError, type PublicRegistrationOperation, type RegistrationCall, type RegistrationOperation } from './operation.js';
import { readParams, requireParam } from './params.js';
import { formatRecordTimestamp } from '../../domain/schema/values.js';

/** `for_client_id`: the client the token or code is for, in the caller's application (default: the caller). */
async function forClient(call: RegistrationCall): Promise<string> {
  const id = call.params.get('for_client_id') || call.client.record.clientId;
  if (id !== call.client.record.clientId) await requireClientOfApplication(call.ctx.store.db, call.client.record.applicationId, id);
  return id;
}

/** The record an issuing call names, with what a token for it needs. */
async function subject(call: RegistrationCall): Promise<{ applicationId: string; entityTypeId: number; typeName: string; entityId: number }> {
  const svc = new EntityService(call.ctx);
  const loaded = await entityTypeOf(svc, call);
  const row = await svc.findRecord(loaded, recordRef(call));
  return { applicationId: call.client.record.applicationId, entityTypeId: loaded.type.id, typeName: loaded.type.name, entityId: row.id };
}

const DEFAULT_CODE_SECONDS = 30;

export function accessOperations(): RegistrationOperation[] {
  return [
    {
      name: '/access/getAccessToken',
      async run(call) {
        const clientId = await forClient(call);
        const lifetimeSeconds = parseLifetime(call.params.get('lifetime'), ACCESS_TOKEN_SECONDS);
        const transactionState = call.params.get('transaction_state');
        const token = await call.ctx.userTokens.issue('access_token', { ...(await subject(call)), clientId, lifetimeSeconds, data: transactionState ? { transaction_state: transactionState } : {} });
        return { accessToken: token };
      },
    },
    {
      name: '/access/getAuthorizationCode',
      async run(call) {
        const redirectUri = requireParam(call.params, 'redirect_uri');
        const clientId = await forClient(call);
        const lifetimeSeconds = parseLifetime(call.params.get('lifetime'), DEFAULT_CODE_SECONDS);
        const transactionState = call.params.get('transaction_state');
        const code = await call.ctx.userTokens.issue('authorization_code', {
          ...(await subject(call)),
          clientId,
          lifetimeSeconds,
          data: { redirect_uri: redirectUri, ...(transactionState ? { transaction_state: transactionState } : {}) },
        });
        return { authorizationCode: code };
      },
    },
    {
      name: '/access/getCreationToken',
      async run(call) {
        const svc = new EntityService(call.ctx);
        const loaded = await entityTypeOf(svc, call);
        const clientId = await forClient(call);
        const lifetimeSeconds = parseLifetime(call.params.get('lifetime'), ACCESS_TOKEN_SECONDS);
        const token = await call.ctx.userTokens.issue('creation_token', {
          applicationId: call.client.record.applicationId, entityTypeId: loaded.type.id, typeName: loaded.type.name, entityId: null, clientId, lifetimeSeconds,
        });
        return { creation_token: token };
      },
    },
    {
      name: '/access/getVerificationCode',
      async run(call) {
        const attribute = requireParam(call.params, 'attribute_name');
        const svc = new EntityService(call.ctx);
        const loaded = await entityTypeOf(svc, call);
        const segments = parseAttributePath(attribute, 'attribute_name');
        const def = findAttribute(loaded.type.attrDefs, segments);
        const path = formatAttributePath(segments);
        if (!def) throw new DataError(223, `attribute does not exist: ${path}`, path);
        if (def.type !== 'dateTime' || segments.some((s) => s.elementId !== undefined)) {
          throw new DataError(200, `attribute_name was not valid for the following reason: ${path} must be a dateTime attribute outside plurals`, undefined, 'attribute_name');
        }
        // The code will write this attribute as the issuing client: check its write access now.
        const schema = await call.ctx.entityTypes.accessSchema(loaded.type.id, call.client.record.clientId, 'write');
        if (schema && !schema.allows(path)) throw new DataError(223, `attribute does not exist: ${path}`, path);
        const lifetimeSeconds = parseLifetime(call.params.get('lifetime'), DEFAULT_CODE_SECONDS);
        const code = await call.ctx.userTokens.issue('verification_code', {
          ...(await subject(call)), clientId: call.client.record.clientId, lifetimeSeconds, data: { attribute_name: path },
        });
        return { verification_code: code };
      },
    },
  ];
}

export function publicAccessOperations(): PublicRegistrationOperation[] {
  return [
    {
      name: '/access/useVerificationCode',
      async run(call) {
        const code = requireParam(call.params, 'verification_code');
        let row;
        try {
          row = await call.ctx.userTokens.redeem('verification_code', code);
        } catch (err) {
          if (err instanceof UserTokenRefused) await call.ctx.throttle.recordFailure(null, call.address);
          throw err;
        }
        const client = await call.ctx.clients.resolve(row.clientId);
        if (!client || row.entityId === null) throw new RegistrationError(413, 'the verification code is no longer valid');
        const svc = new EntityService(call.ctx);
        const loaded = await svc.entityType(row.applicationId, String(row.data.type_name));
        const at = parseAttributePath(String(row.data.attribute_name), 'attribute_name');
        const now = formatRecordTimestamp(Date.now() * 1000);
        await svc.write('update', { applicationId: row.applicationId, clientId: row.clientId, features: client.features, withToken: false }, loaded, { kind: 'bound', entityId: row.entityId }, now, at, {}, false);
        return {};
      },
    },
  ];
}

/** The OAuth envelope of /oauth/token: HTTP 400 (401 for client authentication) with sub_error. */
function oauthError(err: RegistrationError, requestId: string): { status: number; body: Record<string, unknown> } {
  const body = err.toBody(requestId);
  const clientProblem = err.code === 402 || err.code === 403 || err.code === 205 || err.code === 510;
  const grantProblem = err.code === 413 || err.code === 414 || err.code === 415 || err.code === 420 || err.code === 310;
  const error = clientProblem ? 'invalid_client' : grantProblem ? 'invalid_grant' : 'invalid_request';
  return { status: clientProblem ? 401 : 400, body: { ...body, error, sub_error: err.error } };
}

/** An answer whose OAuth `error` (RFC 6749 §5.2) is not the one its Registration code implies. */
class OAuthRefusal extends Error {
  override name = 'OAuthRefusal';
  constructor(
    readonly status: 400 | 401,
    readonly oauthError: string,
    override readonly cause: RegistrationError,
  ) {
    super(cause.message);
  }
}

/** /oauth/token (spec §9): exchanges an authorization code or a refresh token for a new token pair. */
export function oauthTokenRoute(app: FastifyInstance, ctx: AppContext): void {
  app.route({
    method: ['GET', 'POST'],
    url: '/oauth/token',
    schema: { tags: ['registration'], summary: '/oauth/token' },
    handler: async (request, reply) => {
      void reply.header('cache-control', 'no-store');
      try {
        const { params, queryKeys } = await readParams(request, ctx.config.bodyLimit);
        const { credentials } = extractCredentials(request.headers, params, queryKeys, ctx.config.allowUrlCredentials);
        if (credentials.kind === 'user_token') throw new RegistrationError(205, '/oauth/token needs client credentials (Basic, or client_id and client_secret)');
        let client;
        try {
          client = await authenticateClient(ctx, request, credentials, { endpoint: '/oauth/token', params });
        } catch (err) {
          if (err instanceof AuthenticationThrottled) throw new RegistrationError(510, err.message);
          throw err;
        }
        if (!authorizeEffective('/oauth/token', client.features).allowed || !client.allowList.admits(request.ip)) {
          throw new OAuthRefusal(400, 'unauthorized_client', clientPermissionError());
        }
        const grantType = requireParam(params, 'grant_type');
        let kind: 'authorization_code' | 'refresh_token';
        let token: string;
        if (grantType === 'authorization_code') {
          kind = grantType;
          token = requireParam(params, 'code');
        } else if (grantType === 'refresh_token') {
          kind = grantType;
          token = requireParam(params, 'refresh_token');
        } else {
          throw new OAuthRefusal(400, 'unsupported_grant_type', new RegistrationError(200, `invalid grant_type: ${grantType}`, { argument_name: 'grant_type' }));
        }
        // Checked before it is used up: a wrong client or redirect_uri must not burn the rightful caller's code.
        const peeked = await ctx.userTokens.peek(kind, token);
        if (peeked.clientId !== client.record.clientId || peeked.entityId === null) throw new RegistrationError(413, `the ${grantType.replace('_', ' ')} was not issued to this client`);
        if (kind === 'authorization_code' && peeked.data.redirect_uri !== requireParam(params, 'redirect_uri')) {
          throw new RegistrationError(420, 'redirect_uri does not match the one the authorization code was issued with');
        }
        const entityId = peeked.entityId;
        const base = { applicationId: peeked.applicationId, entityTypeId: peeked.entityTypeId, typeName: String(peeked.data.type_name), entityId, clientId: peeked.clientId };
        // Used up and replaced in one transaction: a concurrent second use, or an entity.deleteAccess,
        // either happens before (this fails) or after (it revokes the new pair too).
        const { redeemed, accessToken, refreshToken } = await ctx.store.db.transaction().execute(async (trx) => ({
          redeemed: await ctx.userTokens.redeem(kind, token, trx),
          accessToken: await ctx.userTokens.issue('access_token', { ...base, lifetimeSeconds: ACCESS_TOKEN_SECONDS }, trx),
          refreshToken: await ctx.userTokens.issue('refresh_token', { ...base, lifetimeSeconds: REFRESH_TOKEN_SECONDS }, trx),
        }));
        const state = redeemed.data.transaction_state;
        let transactionState: unknown;
        if (typeof state === 'string') {
          try {
            transactionState = JSON.parse(state) as unknown;
          } catch {
            transactionState = state;
          }
        }
        return {
          access_token: accessToken,
          refresh_token: refreshToken,
          expires_in: ACCESS_TOKEN_SECONDS,
          token_type: 'Bearer',
          ...(transactionState === undefined ? {} : { transaction_state: transactionState }),
          stat: 'ok',
        };
      } catch (err) {
        if (err instanceof OAuthRefusal) return reply.code(err.status).send({ ...err.cause.toBody(request.id), error: err.oauthError, sub_error: err.cause.error });
        const expected = expectedError(err);
        if (!expected) throw err;
        const { status, body } = oauthError(expected, request.id);
        return reply.code(status).send(body);
      }
    },
  });
}
