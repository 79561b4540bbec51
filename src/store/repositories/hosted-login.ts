// Hosted Login configuration: token policies, OIDC clients (and their sealed secrets) and
// configuration access tokens (digests only). Secrets arrive sealed; this layer never sees plaintext.
import type { Kysely, Selectable } from 'kysely';
import type { SealedSecret } from '../../security/secret-box.js';
import { bumpEpoch } from './cache-epochs.js';
import type { Database, LoginPoliciesTable, OidcClientsTable, TokenPoliciesTable } from '../schema.js';

export interface TokenPolicy {
  id: string;
  customerId: string;
  title: string;
  accessTokenLifetime: number;
  refreshTokenLifetime: number;
  allowedScopes: string[];
  useAccessJWT: boolean;
  createdAt: string;
  updatedAt: string;
}

export type OidcClientType = 'public' | 'confidential' | 'configuration';

export interface OidcClient {
  id: string;
  customerId: string;
  name: string;
  type: OidcClientType;
  redirectURIs: string[];
  loginPolicy: string | null;
  tokenPolicy: string;
  /** the API client of a public or confidential client */
  apiClientId: string | null;
  createdAt: string;
  updatedAt: string;
}

const toPolicy = (r: Selectable<TokenPoliciesTable>): TokenPolicy => ({
  id: r.id,
  customerId: r.customer_id,
  title: r.title,
  accessTokenLifetime: Number(r.access_token_lifetime),
  refreshTokenLifetime: Number(r.refresh_token_lifetime),
  allowedScopes: JSON.parse(r.allowed_scopes) as string[],
  useAccessJWT: Number(r.use_access_jwt) === 1,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const toClient = (r: Selectable<OidcClientsTable>): OidcClient => ({
  id: r.id,
  customerId: r.customer_id,
  name: r.name,
  type: r.type,
  redirectURIs: JSON.parse(r.redirect_uris) as string[],
  loginPolicy: r.login_policy_id,
  tokenPolicy: r.token_policy_id,
  apiClientId: r.api_client_id,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const policyRow = (p: TokenPolicy) => ({
  title: p.title,
  access_token_lifetime: p.accessTokenLifetime,
  refresh_token_lifetime: p.refreshTokenLifetime,
  allowed_scopes: JSON.stringify(p.allowedScopes),
  use_access_jwt: p.useAccessJWT ? 1 : 0,
  updated_at: p.updatedAt,
});

export async function insertTokenPolicy(db: Kysely<Database>, p: TokenPolicy): Promise<void> {
  await db.insertInto('token_policies').values({ id: p.id, customer_id: p.customerId, created_at: p.createdAt, ...policyRow(p) }).execute();
}

/** Cache and change key of a token policy. */
export const tokenPolicyKey = (customerId: string, id: string): string => `${customerId}/${id}`;

// Writers mark what the in-memory caches of every process hold (see services/config-access.ts):
// configuration clients with their secrets, token policies (key `customer/id`), configuration tokens.
export async function updateTokenPolicy(db: Kysely<Database>, p: TokenPolicy): Promise<void> {
  await bumpEpoch(db, 'token_policies', tokenPolicyKey(p.customerId, p.id));
  await db.updateTable('token_policies').set(policyRow(p)).where('id', '=', p.id).execute();
}

export async function deleteTokenPolicy(db: Kysely<Database>, customerId: string, id: string): Promise<void> {
  await bumpEpoch(db, 'token_policies', tokenPolicyKey(customerId, id));
  await bumpEpoch(db, 'config_tokens', null); // its tokens go with it (cascade)
  await db.deleteFrom('token_policies').where('id', '=', id).execute();
}

export async function findTokenPolicy(db: Kysely<Database>, customerId: string, id: string): Promise<TokenPolicy | null> {
  const r = await db.selectFrom('token_policies').selectAll().where('customer_id', '=', customerId).where('id', '=', id).executeTakeFirst();
  return r ? toPolicy(r) : null;
}

export async function listTokenPolicies(db: Kysely<Database>, customerId: string): Promise<TokenPolicy[]> {
  return (await db.selectFrom('token_policies').selectAll().where('customer_id', '=', customerId).orderBy('created_at').orderBy('id').execute()).map(toPolicy);
}

export async function insertOidcClient(db: Kysely<Database>, c: OidcClient, secret: SealedSecret | null): Promise<void> {
  await db
    .insertInto('oidc_clients')
    .values({ id: c.id, customer_id: c.customerId, name: c.name, type: c.type, redirect_uris: JSON.stringify(c.redirectURIs), login_policy_id: c.loginPolicy, token_policy_id: c.tokenPolicy, api_client_id: c.apiClientId, created_at: c.createdAt, updated_at: c.updatedAt })
    .execute();
  if (secret) await db.insertInto('oidc_client_secrets').values({ client_id: c.id, key_id: secret.keyId, ciphertext: secret.ciphertext, created_at: c.createdAt, expires_at: null }).execute();
}

export async function findOidcClient(db: Kysely<Database>, id: string): Promise<OidcClient | null> {
  const r = await db.selectFrom('oidc_clients').selectAll().where('id', '=', id).executeTakeFirst();
  return r ? toClient(r) : null;
}

export async function listOidcClients(db: Kysely<Database>, customerId: string): Promise<OidcClient[]> {
  return (await db.selectFrom('oidc_clients').selectAll().where('customer_id', '=', customerId).orderBy('created_at').orderBy('id').execute()).map(toClient);
}

/** The secrets a client may authenticate with now: the current one, and replaced ones still in their grace period. */
export async function usableOidcSecrets(db: Kysely<Database>, clientId: string, now: string): Promise<(SealedSecret & { expiresAt: string | null })[]> {
  const rows = await db
    .selectFrom('oidc_client_secrets')
    .select(['key_id', 'ciphertext', 'expires_at'])
    .where('client_id', '=', clientId)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .orderBy('id', 'desc')
    .execute();
  return rows.map((r) => ({ keyId: r.key_id, ciphertext: r.ciphertext, expiresAt: r.expires_at }));
}

export interface StoredConfigToken {
  customerId: string;
  clientId: string;
  tokenPolicyId: string;
  scopes: string;
  issuedAt: string;
  expiresAt: string;
}

export async function insertConfigTokens(db: Kysely<Database>, tokens: readonly (StoredConfigToken & { digest: string })[]): Promise<void> {
  if (tokens.length === 0) return;
  await db
    .insertInto('config_tokens')
    .values(tokens.map((t) => ({ digest: t.digest, customer_id: t.customerId, client_id: t.clientId, token_policy_id: t.tokenPolicyId, scopes: t.scopes, issued_at: t.issuedAt, expires_at: t.expiresAt })))
    .execute();
}

/** Expired tokens are refused anyway; this only keeps the table small. */
export async function deleteExpiredConfigTokens(db: Kysely<Database>, now: string): Promise<number> {
  const r = await db.deleteFrom('config_tokens').where('expires_at', '<=', now).executeTakeFirst();
  return Number(r.numDeletedRows);
}

export async function findConfigToken(db: Kysely<Database>, digest: string): Promise<StoredConfigToken | null> {
  const r = await db.selectFrom('config_tokens').selectAll().where('digest', '=', digest).executeTakeFirst();
  return r ? { customerId: r.customer_id, clientId: r.client_id, tokenPolicyId: r.token_policy_id, scopes: r.scopes, issuedAt: r.issued_at, expiresAt: r.expires_at } : null;
}

export async function deleteConfigToken(db: Kysely<Database>, digest: string): Promise<boolean> {
  await bumpEpoch(db, 'config_tokens', digest);
  const r = await db.deleteFrom('config_tokens').where('digest', '=', digest).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** Clients that use a token policy (what keeps it from being deleted). */
export async function clientsOfTokenPolicy(db: Kysely<Database>, tokenPolicyId: string): Promise<OidcClient[]> {
  return (await db.selectFrom('oidc_clients').selectAll().where('token_policy_id', '=', tokenPolicyId).orderBy('id').execute()).map(toClient);
}

export interface StoredLoginPolicy {
  id: string;
  customerId: string;
  title: string;
  loginURL: string;
  domain: string;
  applicationId: string;
  entityType: string;
  apiClientId: string;
  secret: SealedSecret;
  customClaims: Record<string, Record<string, string>> | null;
  pushClaims: boolean;
  allowedResponseTypes: string[];
  createdAt: string;
  updatedAt: string;
}

const toLoginPolicy = (r: Selectable<LoginPoliciesTable>): StoredLoginPolicy => ({
  id: r.id,
  customerId: r.customer_id,
  title: r.title,
  loginURL: r.login_url,
  domain: r.domain,
  applicationId: r.application_id,
  entityType: r.entity_type,
  apiClientId: r.api_client_id,
  secret: { keyId: r.secret_key_id, ciphertext: r.secret_ciphertext },
  customClaims: r.custom_claims === null ? null : (JSON.parse(r.custom_claims) as Record<string, Record<string, string>>),
  pushClaims: Number(r.push_claims) === 1,
  allowedResponseTypes: JSON.parse(r.allowed_response_types) as string[],
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const loginPolicyRow = (p: StoredLoginPolicy) => ({
  title: p.title,
  login_url: p.loginURL,
  domain: p.domain,
  application_id: p.applicationId,
  entity_type: p.entityType,
  api_client_id: p.apiClientId,
  secret_key_id: p.secret.keyId,
  secret_ciphertext: p.secret.ciphertext,
  custom_claims: p.customClaims === null ? null : JSON.stringify(p.customClaims),
  push_claims: p.pushClaims ? 1 : 0,
  allowed_response_types: JSON.stringify(p.allowedResponseTypes),
  updated_at: p.updatedAt,
});

export async function insertLoginPolicy(db: Kysely<Database>, p: StoredLoginPolicy): Promise<void> {
  await db.insertInto('login_policies').values({ id: p.id, customer_id: p.customerId, created_at: p.createdAt, ...loginPolicyRow(p) }).execute();
}

export async function updateLoginPolicy(db: Kysely<Database>, p: StoredLoginPolicy): Promise<void> {
  await db.updateTable('login_policies').set(loginPolicyRow(p)).where('id', '=', p.id).execute();
}

export async function deleteLoginPolicy(db: Kysely<Database>, id: string): Promise<void> {
  await db.deleteFrom('login_policies').where('id', '=', id).execute();
}

export async function findLoginPolicy(db: Kysely<Database>, customerId: string, id: string): Promise<StoredLoginPolicy | null> {
  const r = await db.selectFrom('login_policies').selectAll().where('customer_id', '=', customerId).where('id', '=', id).executeTakeFirst();
  return r ? toLoginPolicy(r) : null;
}

export async function listLoginPolicies(db: Kysely<Database>, customerId: string): Promise<StoredLoginPolicy[]> {
  return (await db.selectFrom('login_policies').selectAll().where('customer_id', '=', customerId).orderBy('created_at').orderBy('id').execute()).map(toLoginPolicy);
}

/** Login policies that embed an API client's credentials (dependents of its secret). */
export async function loginPoliciesOfApiClient(db: Kysely<Database>, apiClientId: string): Promise<StoredLoginPolicy[]> {
  return (await db.selectFrom('login_policies').selectAll().where('api_client_id', '=', apiClientId).orderBy('id').execute()).map(toLoginPolicy);
}

/** Clients that use a login policy (what keeps it from being deleted). */
export async function clientsOfLoginPolicy(db: Kysely<Database>, loginPolicyId: string): Promise<OidcClient[]> {
  return (await db.selectFrom('oidc_clients').selectAll().where('login_policy_id', '=', loginPolicyId).orderBy('id').execute()).map(toClient);
}

export async function updateOidcClient(db: Kysely<Database>, c: OidcClient): Promise<void> {
  await bumpEpoch(db, 'oidc_clients', c.id);
  await db
    .updateTable('oidc_clients')
    .set({ name: c.name, redirect_uris: JSON.stringify(c.redirectURIs), login_policy_id: c.loginPolicy, token_policy_id: c.tokenPolicy, updated_at: c.updatedAt })
    .where('id', '=', c.id)
    .execute();
}

export async function deleteOidcClient(db: Kysely<Database>, id: string): Promise<void> {
  await bumpEpoch(db, 'oidc_clients', id);
  await bumpEpoch(db, 'config_tokens', null); // its tokens go with it (cascade)
  await db.deleteFrom('oidc_clients').where('id', '=', id).execute();
}

/** Adds a new current secret; the current one ends at `previousEndsAt` (now for no grace). */
export async function rotateOidcSecret(db: Kysely<Database>, clientId: string, secret: SealedSecret, now: string, previousEndsAt: string): Promise<void> {
  await bumpEpoch(db, 'oidc_clients', clientId);
  await db.updateTable('oidc_client_secrets').set({ expires_at: previousEndsAt }).where('client_id', '=', clientId).where('expires_at', 'is', null).execute();
  await db.insertInto('oidc_client_secrets').values({ client_id: clientId, key_id: secret.keyId, ciphertext: secret.ciphertext, created_at: now, expires_at: null }).execute();
}

/** The current secret (no grace period end) of a client. */
export async function currentOidcSecret(db: Kysely<Database>, clientId: string): Promise<SealedSecret | null> {
  const r = await db.selectFrom('oidc_client_secrets').select(['key_id', 'ciphertext']).where('client_id', '=', clientId).where('expires_at', 'is', null).orderBy('id', 'desc').executeTakeFirst();
  return r ? { keyId: r.key_id, ciphertext: r.ciphertext } : null;
}

/** A customer's stored session policy document, or null for the defaults. */
export async function readSessionPolicy(db: Kysely<Database>, customerId: string): Promise<Record<string, unknown> | null> {
  const r = await db.selectFrom('session_policies').select('document').where('customer_id', '=', customerId).executeTakeFirst();
  return r ? (JSON.parse(r.document) as Record<string, unknown>) : null;
}

export async function writeSessionPolicy(db: Kysely<Database>, customerId: string, document: Record<string, unknown>, now: string): Promise<void> {
  await db
    .insertInto('session_policies')
    .values({ customer_id: customerId, document: JSON.stringify(document), updated_at: now })
    .onConflict((oc) => oc.column('customer_id').doUpdateSet({ document: JSON.stringify(document), updated_at: now }))
    .execute();
}
