// Hosted Login configuration (spec hosted-login-api §1, §3.3; seed 004): configuration clients
// authenticate at the token endpoint and get configuration access tokens whose scopes their token
// policy allows; the tokens authorize the configuration APIs. Token policies are managed here too.
// Every change is one transaction with an audit entry.
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AppContext } from '../context.js';
import { covers, parseScope, ScopeSyntaxError, type Scope, type ScopeSet } from '../domain/scopes.js';
import { patchSessionPolicy, sessionPolicyOf, type SessionPolicy } from '../domain/session-policy.js';
import { canMintConfigTokens, type TokenPolicyFields } from '../domain/token-policy.js';
import { matchesAnyDigest, secretDigest } from '../security/constant-time.js';
import { newConfigToken, newUuid } from '../security/random.js';
import { nowTimestamp, toStoredTimestamp } from '../store/clock.js';
import { appendAudit, customerTarget } from '../store/repositories/audit-log.js';
import {
  clientsOfTokenPolicy,
  deleteConfigToken,
  deleteTokenPolicy,
  findConfigToken,
  findTokenPolicy,
  insertTokenPolicy,
  listOidcClients,
  listTokenPolicies,
  tokenPolicyKey,
  readSessionPolicy,
  updateTokenPolicy,
  writeSessionPolicy,
  type TokenPolicy,
} from '../store/repositories/hosted-login.js';
import type { Database } from '../store/schema.js';
import { UUID } from '../domain/schema/values.js';
import type { ResolvedOidcClient } from './config-access.js';

export type HostedLoginContext = Pick<AppContext, 'store' | 'secretBox' | 'configAccess'>;

/** Stands in for the secrets of an unknown client, so that refusing one costs the same comparison. */
const UNKNOWN_CLIENT_DIGEST = secretDigest('');

/** Configuration tokens never outlive an hour, whatever the policy says (spec §1.2). */
export const CONFIG_TOKEN_MAX_LIFETIME = 3600;

/** An RFC 6749 §5.2 refusal at the token endpoints. */
export class TokenRequestRefused extends Error {
  override name = 'TokenRequestRefused';
  constructor(
    readonly status: 400 | 401,
    readonly error: 'invalid_request' | 'invalid_client' | 'unsupported_grant_type' | 'invalid_scope',
    readonly description: string,
  ) {
    super(description);
  }
}

/** A configuration API refusal: status and the `errors` text. */
export class ConfigRefused extends Error {
  override name = 'ConfigRefused';
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 422,
    readonly errors: string,
  ) {
    super(errors);
  }
}

/** Who acted, for the audit log. */
export interface ConfigActor {
  customerId: string;
  clientId: string;
  address: string;
}

export interface IssuedConfigToken {
  accessToken: string;
  expiresIn: number;
  granted: string[];
  /** requested scopes that were not granted, and why */
  warnings: string[];
}

/** An authenticated configuration token. */
export interface ConfigBearer {
  customerId: string;
  clientId: string;
  scopes: ScopeSet;
  scopeText: string;
  issuedAt: string;
  expiresAt: string;
}

/**
 * What the database keeps of a configuration token: its issuing time (the first 6 bytes, see
 * newConfigToken; in hex so that keys sort by it) and a SHA-256 of the whole token. Never the token.
 */
const digestOf = (token: string): string => Buffer.from(token.slice(0, 8), 'base64url').toString('hex') + createHash('sha256').update(token).digest('hex');

export class HostedLoginConfigService {
  constructor(private readonly ctx: HostedLoginContext) {}

  /** A client of the customer by id and secret (any secret still usable: rotation has a grace period). */
  async authenticateClient(customerId: string, clientId: string, secret: string): Promise<ResolvedOidcClient> {
    const resolved = UUID.test(clientId) ? await this.ctx.configAccess.client(clientId) : null;
    const mine = resolved !== null && resolved.client.customerId === customerId;
    // Compared even for an unknown client, so that the answer takes the same time.
    const ok = matchesAnyDigest(secret, mine ? resolved.secretDigests : [UNKNOWN_CLIENT_DIGEST]) && mine;
    if (!ok) throw new TokenRequestRefused(401, 'invalid_client', 'client authentication failed');
    return resolved;
  }

  /**
   * client_credentials for a configuration client: each requested scope is granted when a scope of
   * the client's token policy covers it, and named in `warnings` otherwise (malformed ones too: the
   * original answers 200 and simply grants less).
   */
  async issueToken(customerId: string, clientId: string, secret: string, requested: string): Promise<IssuedConfigToken> {
    const { client } = await this.authenticateClient(customerId, clientId, secret);
    if (client.type !== 'configuration') throw new TokenRequestRefused(401, 'invalid_client', 'only configuration clients get configuration tokens here');
    const resolved = await this.ctx.configAccess.policy(customerId, client.tokenPolicy);
    if (!resolved) throw new TokenRequestRefused(401, 'invalid_client', 'the client has no token policy');
    const { policy, configScopes: allowed } = resolved;
    const granted: Scope[] = [];
    const warnings: string[] = [];
    for (const text of requested.split(/\s+/).filter((s) => s !== '')) {
      let scope: Scope;
      try {
        scope = parseScope(text);
      } catch (err) {
        if (!(err instanceof ScopeSyntaxError)) throw err;
        warnings.push(`${text}: not granted: ${err.message}`);
        continue;
      }
      if (allowed.some((a) => covers(a, scope))) {
        if (!granted.some((g) => g.text === scope.text)) granted.push(scope);
      } else warnings.push(`${text}: not granted: the client's token policy does not allow it`);
    }
    // The policy's own denies go with every token: a token never reaches what its policy fences off.
    for (const deny of allowed.filter((a) => a.behaviour === '-')) if (!granted.some((g) => g.text === deny.text)) granted.push(deny);
    const lifetime = Math.min(policy.accessTokenLifetime, CONFIG_TOKEN_MAX_LIFETIME);
    const token = newConfigToken();
    const now = new Date();
    await this.ctx.configAccess.saveToken(digestOf(token), {
      customerId,
      clientId: client.id,
      tokenPolicyId: policy.id,
      scopes: granted.map((g) => g.text).join(' '),
      issuedAt: toStoredTimestamp(now),
      expiresAt: toStoredTimestamp(new Date(now.getTime() + lifetime * 1000)),
    });
    return { accessToken: token, expiresIn: lifetime, granted: granted.map((g) => g.text), warnings };
  }

  /**
   * The bearer of a configuration token of this customer (null: any customer, for the paths without
   * one), or null when unknown, expired, revoked or another customer's.
   */
  async bearer(customerId: string | null, token: string): Promise<ConfigBearer | null> {
    const found = await this.ctx.configAccess.token(digestOf(token));
    if (!found) return null;
    const { stored, scopes, expiresAtMs } = found;
    if ((customerId !== null && stored.customerId !== customerId) || expiresAtMs <= Date.now()) return null;
    return { customerId: stored.customerId, clientId: stored.clientId, scopes, scopeText: stored.scopes, issuedAt: stored.issuedAt, expiresAt: stored.expiresAt };
  }

  /** RFC 7662 for configuration tokens, asked by a configuration client of the same customer. */
  async introspect(customerId: string, clientId: string, secret: string, token: string): Promise<Record<string, unknown>> {
    await this.authenticateClient(customerId, clientId, secret);
    const bearer = await this.bearer(customerId, token);
    if (!bearer) return { active: false };
    const seconds = (stored: string): number => Math.floor(Date.parse(stored) / 1000);
    return { active: true, scope: bearer.scopeText, client_id: bearer.clientId, token_type: 'Bearer', iat: seconds(bearer.issuedAt), exp: seconds(bearer.expiresAt) };
  }

  /** RFC 7009: the token ends now; unknown tokens are answered the same way. */
  async revoke(customerId: string, clientId: string, secret: string, token: string): Promise<void> {
    await this.authenticateClient(customerId, clientId, secret);
    const digest = digestOf(token);
    const stored = await findConfigToken(this.ctx.store.db, digest);
    if (stored && stored.customerId === customerId) await deleteConfigToken(this.ctx.store.db, digest);
    this.ctx.configAccess.forgetTokens(digest);
  }

  // -------------------------------------------------------------------------------------------
  // The session policy
  // -------------------------------------------------------------------------------------------

  async sessionPolicy(customerId: string): Promise<SessionPolicy> {
    return sessionPolicyOf(await readSessionPolicy(this.ctx.store.db, customerId));
  }

  async patchSessionPolicy(actor: ConfigActor, patch: unknown): Promise<SessionPolicy> {
    return this.ctx.store.db.transaction().execute(async (trx) => {
      const before = sessionPolicyOf(await readSessionPolicy(trx, actor.customerId));
      const after = patchSessionPolicy(before, patch);
      const now = nowTimestamp();
      await writeSessionPolicy(trx, actor.customerId, { ...after }, now);
      await appendAudit(trx, { at: now, applicationId: null, actorClientId: actor.clientId, sourceAddress: actor.address, operation: 'sessionPolicy.patch', target: customerTarget(actor.customerId, 'session_policy:default'), before, after });
      return after;
    });
  }

  // -------------------------------------------------------------------------------------------
  // Token policies
  // -------------------------------------------------------------------------------------------

  listTokenPolicies(customerId: string): Promise<TokenPolicy[]> {
    return listTokenPolicies(this.ctx.store.db, customerId);
  }

  /**
   * `db`: the transaction to read in (SQLite has one connection, which a transaction holds); without
   * one the policy comes from the in-memory copy that token requests use.
   */
  async tokenPolicy(customerId: string, id: string, db?: Kysely<Database>): Promise<TokenPolicy> {
    if (!UUID.test(id)) throw new ConfigRefused(400, `${id} is not a token policy id (a UUID)`);
    const policy = db ? await findTokenPolicy(db, customerId, id) : (await this.ctx.configAccess.policy(customerId, id))?.policy;
    if (!policy) throw new ConfigRefused(404, `token policy ${id} not found`);
    return policy;
  }

  async createTokenPolicy(actor: ConfigActor, fields: TokenPolicyFields): Promise<TokenPolicy> {
    const now = nowTimestamp();
    const policy: TokenPolicy = { id: newUuid(), customerId: actor.customerId, ...fields, createdAt: now, updatedAt: now };
    await this.ctx.store.db.transaction().execute(async (trx) => {
      await insertTokenPolicy(trx, policy);
      await appendAudit(trx, audit(actor, now, 'tokenPolicy.create', policy.id, null, policy));
    });
    return policy;
  }

  async replaceTokenPolicy(actor: ConfigActor, id: string, fields: TokenPolicyFields): Promise<TokenPolicy> {
    const replaced = await this.ctx.store.db.transaction().execute(async (trx) => {
      const before = await this.tokenPolicy(actor.customerId, id, trx);
      const now = nowTimestamp();
      const after: TokenPolicy = { ...before, ...fields, updatedAt: now };
      if (!canMintConfigTokens(after.allowedScopes)) await this.refuseLockout(trx, actor.customerId, before, 'change');
      await updateTokenPolicy(trx, after);
      await appendAudit(trx, audit(actor, now, 'tokenPolicy.replace', id, before, after));
      return after;
    });
    this.ctx.configAccess.forgetPolicies(tokenPolicyKey(actor.customerId, id));
    return replaced;
  }

  async deleteTokenPolicy(actor: ConfigActor, id: string): Promise<void> {
    await this.ctx.store.db.transaction().execute(async (trx) => {
      const before = await this.tokenPolicy(actor.customerId, id, trx);
      const users = await clientsOfTokenPolicy(trx, id);
      // The original's "in use" body: a JSON array of client paths in a string, ending with a newline.
      if (users.length > 0) throw new ConfigRefused(409, `${JSON.stringify(users.map((c) => `/customers/${actor.customerId}/clients/${c.id}`))}\n`);
      const now = nowTimestamp();
      await deleteTokenPolicy(trx, actor.customerId, id);
      await appendAudit(trx, audit(actor, now, 'tokenPolicy.delete', id, before, null));
    });
    this.ctx.configAccess.forgetPolicies(tokenPolicyKey(actor.customerId, id));
    this.ctx.configAccess.forgetTokens(null);
  }

  /**
   * Refuses a change that would leave the customer without any configuration client whose policy can
   * grant something: no configuration token could ever be had again (spec §1.4).
   */
  private async refuseLockout(db: Kysely<Database>, customerId: string, policy: TokenPolicy, what: string): Promise<void> {
    const clients = await listOidcClients(db, customerId);
    const policies = new Map((await listTokenPolicies(db, customerId)).map((p) => [p.id, p]));
    const others = clients.filter((c) => c.type === 'configuration' && c.tokenPolicy !== policy.id && canMintConfigTokens(policies.get(c.tokenPolicy)?.allowedScopes ?? []));
    const mine = clients.some((c) => c.type === 'configuration' && c.tokenPolicy === policy.id);
    if (mine && others.length === 0) {
      throw new ConfigRefused(409, `this ${what} would leave no configuration client able to get configuration tokens; give another configuration client a policy with configuration scopes first`);
    }
  }
}

/** Audit entry of a customer-level change (no application; the customer is in the target). */
function audit(actor: ConfigActor, at: string, operation: string, id: string, before: unknown, after: unknown) {
  return { at, applicationId: null, actorClientId: actor.clientId, sourceAddress: actor.address, operation, target: customerTarget(actor.customerId, `token_policy:${id}`), before, after };
}
