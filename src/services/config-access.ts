// What the Hosted Login token endpoint and configuration APIs check on every call, kept in memory
// per process: configuration clients with their opened secrets, token policies with their scopes
// parsed, and configuration tokens with their scopes compiled once. Entries live a minute at most (never past a secret's grace
// period or a token's expiry) and go at once on a change made in this process; a change made in
// another process is seen within one ChangeWatcher poll. New tokens are written in group commits.
import type { Kysely } from 'kysely';
import { parseScope, ScopeSet, type Scope } from '../domain/scopes.js';
import { configScopesOf } from '../domain/token-policy.js';
import { secretDigest } from '../security/constant-time.js';
import type { SecretBox } from '../security/secret-box.js';
import { nowTimestamp } from '../store/clock.js';
import type { Store } from '../store/database.js';
import { GroupCommit } from '../store/group-commit.js';
import {
  deleteExpiredConfigTokens,
  findConfigToken,
  findOidcClient,
  findTokenPolicy,
  insertConfigTokens,
  tokenPolicyKey,
  usableOidcSecrets,
  type OidcClient,
  type StoredConfigToken,
  type TokenPolicy,
} from '../store/repositories/hosted-login.js';
import type { Database } from '../store/schema.js';
import { untilGraceEnds } from './api-client-directory.js';
import { LoadingCache, type Loaded } from './loading-cache.js';

/** Per batch of new tokens: about one in 256 also deletes the expired ones. */
const EXPIRED_SWEEP_PROBABILITY = 1 / 256;

export const oidcSecretContext = (clientId: string): string => `oidc_client:${clientId}`;

export interface ResolvedOidcClient {
  client: OidcClient;
  /** digests of the secrets that authenticate now (the current one and any in a grace period) */
  secretDigests: readonly Buffer[];
}

export interface ResolvedTokenPolicy {
  policy: TokenPolicy;
  /** its configuration scopes, parsed */
  configScopes: readonly Scope[];
}

export interface ResolvedConfigToken {
  stored: StoredConfigToken;
  scopes: ScopeSet;
  /** expiry in epoch milliseconds */
  expiresAtMs: number;
}

export class ConfigAccess {
  readonly #clients: LoadingCache<ResolvedOidcClient | null>;
  readonly #policies: LoadingCache<ResolvedTokenPolicy | null>;
  readonly #tokens: LoadingCache<ResolvedConfigToken | null>;
  readonly #writes: GroupCommit<StoredConfigToken & { digest: string }>;

  constructor(
    private readonly store: Store,
    private readonly secretBox: SecretBox,
    private readonly ttlMs = 60_000,
  ) {
    this.#clients = new LoadingCache((id) => this.#loadClient(id));
    this.#policies = new LoadingCache((key) => this.#loadPolicy(key));
    this.#tokens = new LoadingCache((digest) => this.#loadToken(digest));
    this.#writes = new GroupCommit(store, async (trx: Kysely<Database>, rows) => {
      await insertConfigTokens(trx, rows);
      // Now and then, with the new ones, the expired ones go.
      if (Math.random() < EXPIRED_SWEEP_PROBABILITY) await deleteExpiredConfigTokens(trx, nowTimestamp());
    });
  }

  /** An OIDC client by id (any customer's: the caller compares), or null. */
  client(id: string): Promise<ResolvedOidcClient | null> {
    return this.#clients.get(id);
  }

  /**
   * A token policy of the customer, or null. Token requests read it every time, and so does its GET:
   * both are served from here (a change made in another process shows within one poll).
   */
  policy(customerId: string, id: string): Promise<ResolvedTokenPolicy | null> {
    return this.#policies.get(tokenPolicyKey(customerId, id));
  }

  /** A stored configuration token by digest (expired ones included: the caller compares), or null. */
  token(digest: string): Promise<ResolvedConfigToken | null> {
    return this.#tokens.get(digest);
  }

  /** Stores a new token; resolves once it is committed. */
  saveToken(digest: string, token: StoredConfigToken): Promise<void> {
    return this.#writes.add({ digest, ...token });
  }

  forgetClients(id: string | null): void {
    this.#clients.invalidate(id);
  }

  /** Drops one policy (its tokenPolicyKey), or all (null). */
  forgetPolicies(key: string | null): void {
    this.#policies.invalidate(key);
  }

  forgetTokens(digest: string | null): void {
    this.#tokens.invalidate(digest);
  }

  async #loadClient(id: string): Promise<Loaded<ResolvedOidcClient | null>> {
    const client = await findOidcClient(this.store.db, id);
    // Unknown ids are not remembered: a client made a moment ago in another process must work at once.
    if (!client) return { value: null, ttlMs: 0 };
    const secrets = await usableOidcSecrets(this.store.db, id, nowTimestamp());
    const value: ResolvedOidcClient = { client, secretDigests: secrets.map((s) => secretDigest(this.secretBox.open(s, oidcSecretContext(id)))) };
    return { value, ttlMs: untilGraceEnds(this.ttlMs, secrets.map((s) => s.expiresAt)) };
  }

  async #loadPolicy(key: string): Promise<Loaded<ResolvedTokenPolicy | null>> {
    const [customerId = '', id = ''] = key.split('/');
    const policy = await findTokenPolicy(this.store.db, customerId, id);
    if (!policy) return { value: null, ttlMs: 0 };
    // Shared by every request that reads it: frozen, so that none can change it for the others.
    return { value: { policy: Object.freeze({ ...policy, allowedScopes: Object.freeze([...policy.allowedScopes]) }) as TokenPolicy, configScopes: configScopesOf(policy.allowedScopes) }, ttlMs: this.ttlMs };
  }

  async #loadToken(digest: string): Promise<Loaded<ResolvedConfigToken | null>> {
    const stored = await findConfigToken(this.store.db, digest);
    if (!stored) return { value: null, ttlMs: 0 };
    const scopes = new ScopeSet(stored.scopes.split(' ').filter((s) => s !== '').map(parseScope));
    const expiresAtMs = Date.parse(stored.expiresAt);
    return { value: { stored, scopes, expiresAtMs }, ttlMs: Math.min(this.ttlMs, expiresAtMs - Date.now()) };
  }
}
