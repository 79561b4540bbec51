// OIDC clients (spec hosted-login-api §3.1, §5; seed 002): public and confidential clients sign users
// in through a login policy and each owns exactly one API client (`login_client`, whose
// `janrainOidcClientId` setting names it); configuration clients get configuration tokens. A client,
// its API client and that client's settings are created and deleted together, in one transaction.
import type { Kysely } from 'kysely';
import type { AppContext } from '../context.js';
import { OPEN_WHITELIST } from '../domain/features.js';
import { canMintConfigTokens } from '../domain/token-policy.js';
import type { OidcClientFields } from '../domain/oidc-client.js';
import { SettingsDocumentError } from '../domain/settings.js';
import { newClientId, newClientSecret, newOidcSecret, newUuid } from '../security/random.js';
import { nowTimestamp, toStoredTimestamp } from '../store/clock.js';
import { appendAudit, customerTarget } from '../store/repositories/audit-log.js';
import { deleteApiClient, insertApiClient } from '../store/repositories/api-clients.js';
import { bumpEpoch } from '../store/repositories/cache-epochs.js';
import {
  currentOidcSecret,
  deleteOidcClient,
  findLoginPolicy,
  findOidcClient,
  findTokenPolicy,
  insertOidcClient,
  listOidcClients,
  listTokenPolicies,
  rotateOidcSecret,
  updateOidcClient,
  type OidcClient,
  type StoredLoginPolicy,
} from '../store/repositories/hosted-login.js';
import type { Database } from '../store/schema.js';
import { secretContext as apiSecretContext } from './api-client-directory.js';
import { oidcSecretContext } from './config-access.js';
import { ConfigRefused, type ConfigActor } from './hosted-login-config.js';
import type { SettingsRule } from './settings.js';
import { UUID } from '../domain/schema/values.js';

export type OidcClientContext = Pick<AppContext, 'store' | 'secretBox' | 'settings' | 'clients' | 'configAccess'>;


/** The client as the API shows it (never its secret). */
export function oidcClientBody(c: OidcClient, applicationId: string | null): Record<string, unknown> {
  return {
    id: c.id,
    name: c.name,
    type: c.type,
    redirectURIs: c.redirectURIs,
    ...(c.loginPolicy === null ? {} : { loginPolicy: c.loginPolicy }),
    tokenPolicy: c.tokenPolicy,
    _links: {
      self: { href: `/config/${c.customerId}/clients/${c.id}` },
      ...(c.apiClientId !== null && applicationId !== null ? { application_client: { href: `/config/${applicationId}/clients/${c.apiClientId}` } } : {}),
    },
  };
}

/**
 * The settings rule of seed 002: a `janrainOidcClientId` that is set names an OIDC client of this
 * installation whose own API client is the one being set (one to one, both ways). It cannot be put on a
 * second API client, nor name an unknown client; at the application scope it means nothing and is
 * refused too.
 */
export function oidcClientSettingRule(): SettingsRule {
  return async (trx, change) => {
    const value = change.after.custom.janrainOidcClientId;
    if (value === undefined) return;
    const target = typeof value === 'string' && UUID.test(value) ? await findOidcClient(trx, value) : null;
    if (!target) throw new SettingsDocumentError('janrainOidcClientId', `${JSON.stringify(value)} is not an OIDC client; creating a public or confidential OIDC client creates its API client with this setting`);
    if (target.apiClientId !== change.scope) {
      throw new SettingsDocumentError('janrainOidcClientId', `OIDC client ${target.id} belongs to ${target.apiClientId === null ? 'no API client' : `API client ${target.apiClientId}`}: one OIDC client maps to exactly one API client`);
    }
  };
}

export class OidcClientService {
  constructor(private readonly ctx: OidcClientContext) {}

  list(customerId: string): Promise<OidcClient[]> {
    return listOidcClients(this.ctx.store.db, customerId);
  }

  async get(customerId: string, id: string, db: Kysely<Database> = this.ctx.store.db): Promise<OidcClient> {
    if (!UUID.test(id)) throw new ConfigRefused(400, `${id} is not a client id (a UUID)`);
    const client = await findOidcClient(db, id);
    if (!client || client.customerId !== customerId) throw new ConfigRefused(404, `client ${id} not found`);
    return client;
  }

  /** The application of a client's API client (for its link), from its login policy. */
  async applicationOf(client: OidcClient): Promise<string | null> {
    if (client.loginPolicy === null) return null;
    return (await findLoginPolicy(this.ctx.store.db, client.customerId, client.loginPolicy))?.applicationId ?? null;
  }

  /** The policies a body names, checked: both the customer's; a configuration client's policy can grant something. */
  private async policies(db: Kysely<Database>, customerId: string, fields: OidcClientFields): Promise<StoredLoginPolicy | null> {
    const token = await findTokenPolicy(db, customerId, fields.tokenPolicy);
    if (!token) throw new ConfigRefused(422, `('tokenPolicy',) token policy ${fields.tokenPolicy} not found`);
    if (fields.type === 'configuration' && !canMintConfigTokens(token.allowedScopes)) throw new ConfigRefused(422, `('tokenPolicy',) token policy ${token.id} allows no configuration scope`);
    if (fields.loginPolicy === null) return null;
    const login = await findLoginPolicy(db, customerId, fields.loginPolicy);
    if (!login) throw new ConfigRefused(422, `('loginPolicy',) login policy ${fields.loginPolicy} not found`);
    return login;
  }

  async create(actor: ConfigActor, fields: OidcClientFields): Promise<{ client: OidcClient; secret: string | null; applicationId: string | null }> {
    const now = nowTimestamp();
    const id = newUuid();
    const secret = fields.type === 'public' ? null : newOidcSecret();
    const result = await this.ctx.store.db.transaction().execute(async (trx) => {
      const login = await this.policies(trx, actor.customerId, fields);
      await this.uniqueName(trx, actor.customerId, fields.name, null);
      const apiClientId = login === null ? null : newClientId();
      const client: OidcClient = { id, customerId: actor.customerId, name: fields.name, type: fields.type, redirectURIs: fields.redirectURIs, loginPolicy: fields.loginPolicy, tokenPolicy: fields.tokenPolicy, apiClientId, createdAt: now, updatedAt: now };
      await insertOidcClient(trx, client, secret === null ? null : this.ctx.secretBox.seal(secret, oidcSecretContext(id)));
      if (login !== null && apiClientId !== null) await this.createApiClient(trx, actor, client, login, now);
      await appendAudit(trx, audit(actor, now, 'oidcClient.create', id, null, oidcClientBody(client, login?.applicationId ?? null)));
      return { client, secret, applicationId: login?.applicationId ?? null };
    });
    this.ctx.settings.invalidate(null);
    return result;
  }

  /** The client's `login_client` API client in the login policy's application, with the settings of spec §5. */
  private async createApiClient(trx: Kysely<Database>, actor: ConfigActor, client: OidcClient, login: StoredLoginPolicy, now: string): Promise<void> {
    const apiClientId = client.apiClientId ?? '';
    await bumpEpoch(trx, 'api_clients', apiClientId);
    const record = { clientId: apiClientId, applicationId: login.applicationId, description: `${client.name} (Hosted Login)`, features: ['login_client'], whitelist: [...OPEN_WHITELIST], createdAt: now, updatedAt: now };
    await insertApiClient(trx, record, this.ctx.secretBox.seal(newClientSecret(), apiSecretContext(apiClientId)));
    const base = `/${client.customerId}/auth-ui`;
    await this.ctx.settings.writeIn(trx, login.applicationId, apiClientId, {
      standard: { user_entity_type: login.entityType, site_name: client.name, password_recover_url: `${base}/reset-password?client_id=${client.id}`, verify_email_url: `${base}/verify-account?client_id=${client.id}` },
      custom: { janrainOidcClientId: client.id },
    }, now);
    await appendAudit(trx, {
      at: now, applicationId: login.applicationId, actorClientId: actor.clientId, sourceAddress: actor.address, operation: 'oidcClient.api_client_created',
      target: apiClientId, before: null, after: { client_id: apiClientId, features: record.features, janrainOidcClientId: client.id },
    });
  }

  private async uniqueName(db: Kysely<Database>, customerId: string, name: string, except: string | null): Promise<void> {
    if ((await listOidcClients(db, customerId)).some((c) => c.name === name && c.id !== except)) throw new ConfigRefused(409, `a client named ${JSON.stringify(name)} exists already`);
  }

  /** PUT: name, redirect URIs and policies change; the type stays; the login policy keeps its application. */
  async replace(actor: ConfigActor, id: string, fields: OidcClientFields): Promise<OidcClient> {
    const result = await this.ctx.store.db.transaction().execute(async (trx) => {
      const before = await this.get(actor.customerId, id, trx);
      if (fields.type !== before.type) throw new ConfigRefused(422, `('type',) a ${before.type} client stays ${before.type}`);
      const login = await this.policies(trx, actor.customerId, fields);
      await this.uniqueName(trx, actor.customerId, fields.name, id);
      const oldApp = before.loginPolicy === null ? null : (await findLoginPolicy(trx, actor.customerId, before.loginPolicy))?.applicationId;
      if (login && oldApp && login.applicationId !== oldApp) throw new ConfigRefused(422, `('loginPolicy',) login policy ${login.id} serves another application than this client's API client`);
      const now = nowTimestamp();
      const after: OidcClient = { ...before, name: fields.name, redirectURIs: fields.redirectURIs, loginPolicy: fields.loginPolicy, tokenPolicy: fields.tokenPolicy, updatedAt: now };
      if (before.type === 'configuration' && !canMintConfigTokens((await findTokenPolicy(trx, actor.customerId, fields.tokenPolicy))?.allowedScopes ?? [])) await this.refuseLastConfigurationClient(trx, actor.customerId, id);
      await updateOidcClient(trx, after);
      await appendAudit(trx, audit(actor, now, 'oidcClient.replace', id, oidcClientBody(before, oldApp ?? null), oidcClientBody(after, login?.applicationId ?? null)));
      return after;
    });
    this.ctx.configAccess.forgetClients(id);
    return result;
  }

  async delete(actor: ConfigActor, id: string): Promise<void> {
    await this.ctx.store.db.transaction().execute(async (trx) => {
      const before = await this.get(actor.customerId, id, trx);
      if (before.type === 'configuration') await this.refuseLastConfigurationClient(trx, actor.customerId, id);
      const now = nowTimestamp();
      await deleteOidcClient(trx, id);
      if (before.apiClientId !== null) {
        const login = before.loginPolicy === null ? null : await findLoginPolicy(trx, actor.customerId, before.loginPolicy);
        await bumpEpoch(trx, 'api_clients', before.apiClientId);
        if (login) await this.ctx.settings.deleteScopeIn(trx, login.applicationId, before.apiClientId);
        await deleteApiClient(trx, before.apiClientId);
      }
      await appendAudit(trx, audit(actor, now, 'oidcClient.delete', id, oidcClientBody(before, null), null));
    });
    this.ctx.settings.invalidate(null);
    this.ctx.clients.invalidate(null);
    this.ctx.configAccess.forgetClients(id);
    this.ctx.configAccess.forgetTokens(null);
  }

  /** Deleting or disarming the last configuration client that can get tokens would lock the customer out for good (spec §1.4). */
  private async refuseLastConfigurationClient(db: Kysely<Database>, customerId: string, id: string): Promise<void> {
    const policies = new Map((await listTokenPolicies(db, customerId)).map((p) => [p.id, p]));
    const others = (await listOidcClients(db, customerId)).filter((c) => c.type === 'configuration' && c.id !== id && canMintConfigTokens(policies.get(c.tokenPolicy)?.allowedScopes ?? []));
    if (others.length === 0) throw new ConfigRefused(409, 'this is the last configuration client able to get configuration tokens; without it no configuration API could ever be called again. Create another one first');
  }

  async secret(customerId: string, id: string): Promise<string> {
    const client = await this.get(customerId, id);
    const sealed = client.type === 'public' ? null : await currentOidcSecret(this.ctx.store.db, id);
    if (!sealed) throw new ConfigRefused(422, 'a public client has no secret');
    return this.ctx.secretBox.open(sealed, oidcSecretContext(id));
  }

  /** A new secret; the old one stays usable for `hoursToLive` hours (0 = ends now, as in the original). */
  async resetSecret(actor: ConfigActor, id: string, hoursToLive: number): Promise<string> {
    const secret = newOidcSecret();
    await this.ctx.store.db.transaction().execute(async (trx) => {
      const client = await this.get(actor.customerId, id, trx);
      if (client.type === 'public') throw new ConfigRefused(422, 'a public client has no secret');
      const now = new Date();
      const at = toStoredTimestamp(now);
      await rotateOidcSecret(trx, id, this.ctx.secretBox.seal(secret, oidcSecretContext(id)), at, toStoredTimestamp(new Date(now.getTime() + hoursToLive * 3_600_000)));
      await appendAudit(trx, audit(actor, at, 'oidcClient.reset_secret', id, { secret: '[Redacted]' }, { secret: '[Redacted]', hoursToLive }));
    });
    this.ctx.configAccess.forgetClients(id);
    return secret;
  }
}

function audit(actor: ConfigActor, at: string, operation: string, id: string, before: unknown, after: unknown) {
  return { at, applicationId: null, actorClientId: actor.clientId, sourceAddress: actor.address, operation, target: customerTarget(actor.customerId, `client:${id}`), before, after };
}
