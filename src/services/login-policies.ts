// Login policies (spec hosted-login-api §3.2; seed 003; decision "Rotation without lock-out"): the
// identity store a policy's clients sign users into, reached through an owner API client whose secret
// the policy holds (sealed). The store is fixed once created, except that the secret may be replaced
// by another currently valid secret of the same client — so a secret rotation never breaks sign-in.
import type { Kysely } from 'kysely';
import type { AppContext } from '../context.js';
import { REDACTED_SECRET, DEFAULT_RESPONSE_TYPES, type LoginPolicyFields } from '../domain/login-policy.js';
import { constantTimeEqual, matchesAnyDigest } from '../security/constant-time.js';
import { newUuid } from '../security/random.js';
import type { SealedSecret } from '../security/secret-box.js';
import { nowTimestamp } from '../store/clock.js';
import { appendAudit, customerTarget } from '../store/repositories/audit-log.js';
import {
  clientsOfLoginPolicy,
  deleteLoginPolicy,
  findLoginPolicy,
  insertLoginPolicy,
  listLoginPolicies,
  updateLoginPolicy,
  type StoredLoginPolicy,
} from '../store/repositories/hosted-login.js';
import { findApplication } from '../store/repositories/tenancy.js';
import type { Database } from '../store/schema.js';
import { ConfigRefused, type ConfigActor } from './hosted-login-config.js';
import { UUID } from '../domain/schema/values.js';

export type LoginPolicyContext = Pick<AppContext, 'store' | 'secretBox' | 'clients' | 'entityTypes'>;

const CONNECTION = ['identityStoreDetails', 'connectionDetails'];
const refusedField = (field: string, reason: string): ConfigRefused => new ConfigRefused(422, `(${[...CONNECTION, field].map((p) => `'${p}'`).join(', ')},) ${reason}`);
const secretContext = (id: string): string => `login_policy:${id}`;

/** The policy as the API shows it (the owner client's secret redacted: a read scope must not hand out an owner secret). */
export function loginPolicyBody(p: StoredLoginPolicy): Record<string, unknown> {
  return {
    id: p.id,
    title: p.title,
    loginURL: p.loginURL,
    identityStoreDetails: {
      type: 'janrainCapture',
      connectionDetails: { domain: p.domain, applicationId: p.applicationId, entityType: p.entityType, clientId: p.apiClientId, clientSecret: REDACTED_SECRET },
    },
    ...(p.customClaims === null ? {} : { customClaims: p.customClaims }),
    _links: { self: { href: `/${p.customerId}/config/loginPolicies/${p.id}` } },
  };
}

export class LoginPolicyService {
  constructor(private readonly ctx: LoginPolicyContext) {}

  list(customerId: string): Promise<StoredLoginPolicy[]> {
    return listLoginPolicies(this.ctx.store.db, customerId);
  }

  async get(customerId: string, id: string, db: Kysely<Database> = this.ctx.store.db): Promise<StoredLoginPolicy> {
    if (!UUID.test(id)) throw new ConfigRefused(400, `${id} is not a login policy id (a UUID)`);
    const policy = await findLoginPolicy(db, customerId, id);
    if (!policy) throw new ConfigRefused(404, `login policy ${id} not found`);
    return policy;
  }

  /**
   * The owner client behind a connection, checked: an application of this customer, an entity type of
   * it, an API client of it with the `owner` feature, and a secret that authenticates that client now.
   */
  private async checkConnection(customerId: string, c: LoginPolicyFields['connection']): Promise<void> {
    const app = await findApplication(this.ctx.store.db, c.applicationId);
    if (!app || app.customer_id !== customerId) throw refusedField('applicationId', `application ${c.applicationId} is not an application of this customer`);
    if (!(await this.ctx.entityTypes.entityType(c.applicationId, c.entityType))) throw refusedField('entityType', `application ${c.applicationId} has no entity type ${c.entityType}`);
    const client = await this.ctx.clients.resolve(c.clientId);
    if (!client || client.record.applicationId !== c.applicationId) throw refusedField('clientId', `${c.clientId} is not an API client of application ${c.applicationId}`);
    if (!client.features.has('owner')) throw refusedField('clientId', `API client ${c.clientId} does not have the owner feature`);
    if (!matchesAnyDigest(c.clientSecret, client.secretDigests)) throw refusedField('clientSecret', `is not a current secret of API client ${c.clientId}`);
  }

  async create(actor: ConfigActor, fields: LoginPolicyFields): Promise<StoredLoginPolicy> {
    await this.checkConnection(actor.customerId, fields.connection);
    const now = nowTimestamp();
    const id = newUuid();
    const c = fields.connection;
    const policy: StoredLoginPolicy = {
      id,
      customerId: actor.customerId,
      title: fields.title,
      loginURL: fields.loginURL,
      domain: c.domain,
      applicationId: c.applicationId,
      entityType: c.entityType,
      apiClientId: c.clientId,
      secret: this.ctx.secretBox.seal(c.clientSecret, secretContext(id)),
      customClaims: fields.customClaims as StoredLoginPolicy['customClaims'],
      pushClaims: false,
      allowedResponseTypes: [...DEFAULT_RESPONSE_TYPES],
      createdAt: now,
      updatedAt: now,
    };
    await this.ctx.store.db.transaction().execute(async (trx) => {
      await insertLoginPolicy(trx, policy);
      await appendAudit(trx, audit(actor, now, 'loginPolicy.create', id, null, loginPolicyBody(policy)));
    });
    return policy;
  }

  /**
   * PUT: title, loginURL and customClaims change; the identity store stays, except that its secret may
   * be replaced by another current secret of the same owner client (the re-key of seed 003). The
   * redacted placeholder, or the secret the policy holds, leaves it as it is.
   */
  async replace(actor: ConfigActor, id: string, fields: LoginPolicyFields): Promise<StoredLoginPolicy> {
    const before = await this.get(actor.customerId, id);
    const c = fields.connection;
    const same = c.domain === before.domain && c.applicationId === before.applicationId && c.entityType === before.entityType && c.clientId === before.apiClientId;
    if (!same) throw new ConfigRefused(422, 'identityStoreDetails cannot be changed');
    let secret: SealedSecret = before.secret;
    if (c.clientSecret !== REDACTED_SECRET && !constantTimeEqual(c.clientSecret, this.ctx.secretBox.open(before.secret, secretContext(id)))) {
      const client = await this.ctx.clients.resolve(before.apiClientId);
      if (!client || !matchesAnyDigest(c.clientSecret, client.secretDigests)) {
        throw new ConfigRefused(422, `identityStoreDetails cannot be changed; only connectionDetails.clientSecret may be replaced, by a current secret of API client ${before.apiClientId}`);
      }
      secret = this.ctx.secretBox.seal(c.clientSecret, secretContext(id));
    }
    return this.change(actor, id, 'loginPolicy.replace', (p) => ({ ...p, title: fields.title, loginURL: fields.loginURL, customClaims: fields.customClaims as StoredLoginPolicy['customClaims'], secret }));
  }

  setPushClaims(actor: ConfigActor, id: string, on: boolean): Promise<StoredLoginPolicy> {
    return this.change(actor, id, 'loginPolicy.pushClaims', (p) => ({ ...p, pushClaims: on }));
  }

  setResponseTypes(actor: ConfigActor, id: string, types: string[]): Promise<StoredLoginPolicy> {
    return this.change(actor, id, 'loginPolicy.allowedResponseTypes', (p) => ({ ...p, allowedResponseTypes: types }));
  }

  private async change(actor: ConfigActor, id: string, operation: string, edit: (p: StoredLoginPolicy) => StoredLoginPolicy): Promise<StoredLoginPolicy> {
    return this.ctx.store.db.transaction().execute(async (trx) => {
      const before = await this.get(actor.customerId, id, trx);
      const now = nowTimestamp();
      const after = { ...edit(before), updatedAt: now };
      await updateLoginPolicy(trx, after);
      const shown = (p: StoredLoginPolicy) => ({ ...loginPolicyBody(p), pushClaims: p.pushClaims, allowedResponseTypes: p.allowedResponseTypes, secretReplaced: p.secret !== before.secret });
      await appendAudit(trx, audit(actor, now, operation, id, shown(before), shown(after)));
      return after;
    });
  }

  async delete(actor: ConfigActor, id: string): Promise<void> {
    await this.ctx.store.db.transaction().execute(async (trx) => {
      const before = await this.get(actor.customerId, id, trx);
      const users = await clientsOfLoginPolicy(trx, id);
      if (users.length > 0) throw new ConfigRefused(409, `${JSON.stringify(users.map((u) => `/customers/${actor.customerId}/clients/${u.id}`))}\n`);
      const now = nowTimestamp();
      await deleteLoginPolicy(trx, id);
      await appendAudit(trx, audit(actor, now, 'loginPolicy.delete', id, loginPolicyBody(before), null));
    });
  }
}

function audit(actor: ConfigActor, at: string, operation: string, id: string, before: unknown, after: unknown) {
  return { at, applicationId: null, actorClientId: actor.clientId, sourceAddress: actor.address, operation, target: customerTarget(actor.customerId, `login_policy:${id}`), before, after };
}
