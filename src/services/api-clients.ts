// Managing API clients: the one place both the legacy /clients/* API and the configuration API
// change clients. Each change is one transaction that also writes the audit log and marks the client
// changed for every process's cache.
import { locksOutCaller, parseAllowList } from '../domain/allowlist.js';
import { FEATURES, isFeature, OPEN_WHITELIST, type Feature } from '../domain/features.js';
import type { AppContext } from '../context.js';
import { newClientId, newClientSecret } from '../security/random.js';
import { nowTimestamp, toStoredTimestamp } from '../store/clock.js';
import {
  currentSecrets,
  deleteApiClient,
  findApiClient,
  insertApiClient,
  listApiClients,
  replaceClientSecret,
  updateApiClient,
  type ApiClientRecord,
} from '../store/repositories/api-clients.js';
import { appendAudit } from '../store/repositories/audit-log.js';
import { loginPoliciesOfApiClient } from '../store/repositories/hosted-login.js';
import { bumpEpoch } from '../store/repositories/cache-epochs.js';
import { secretContext } from './api-client-directory.js';
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../store/schema.js';

/** Why a client change was refused; each API renders these in its own error format. */
export type ClientProblem =
  | { kind: 'not_found'; clientId: string }
  | { kind: 'invalid'; field: 'features' | 'whitelist' | 'description' | 'hours_to_live'; reason: string }
  | { kind: 'last_owner'; clientId: string }
  | { kind: 'own_owner_feature'; clientId: string }
  | { kind: 'self_lockout'; address: string };

/** A login policy that holds a client's credentials. */
export interface DependentLoginPolicy {
  id: string;
  title: string;
  href: string;
}

export class ClientChangeRefused extends Error {
  override name = 'ClientChangeRefused';
  constructor(readonly problem: ClientProblem) {
    super(describeProblem(problem));
  }
}

export function describeProblem(p: ClientProblem): string {
  switch (p.kind) {
    case 'not_found':
      return `no API client ${p.clientId} in this application`;
    case 'invalid':
      return p.reason;
    case 'last_owner':
      return `client ${p.clientId} is the last client with the owner feature in this application; it cannot be deleted or lose that feature`;
    case 'own_owner_feature':
      return 'an owner client cannot remove the owner feature from itself';
    case 'self_lockout':
      return `the new allow list does not include the calling address ${p.address}; the call would lock this client out`;
  }
}

/** Who asks for a change, for the audit log and the self-rules. */
export interface Actor {
  applicationId: string;
  clientId: string;
  address: string;
}

export interface ClientWithSecret {
  record: ApiClientRecord;
  secret: string;
}

export const MAX_HOURS_TO_LIVE = 168;

export function parseFeatures(value: unknown): Feature[] {
  if (!Array.isArray(value)) throw new ClientChangeRefused({ kind: 'invalid', field: 'features', reason: 'features must be a JSON array of feature names' });
  const out: Feature[] = [];
  for (const f of value as unknown[]) {
    if (!isFeature(f)) {
      throw new ClientChangeRefused({ kind: 'invalid', field: 'features', reason: `unknown feature ${JSON.stringify(f)}; known features: ${FEATURES.join(', ')}` });
    }
    if (!out.includes(f)) out.push(f);
  }
  return out;
}

export function parseWhitelist(value: unknown): string[] {
  const parsed = parseAllowList(value);
  if (!parsed.ok) throw new ClientChangeRefused({ kind: 'invalid', field: 'whitelist', reason: parsed.reason });
  return parsed.list;
}

export function parseHoursToLive(value: unknown): number {
  const n = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > MAX_HOURS_TO_LIVE) {
    throw new ClientChangeRefused({ kind: 'invalid', field: 'hours_to_live', reason: `hours to live must be an integer from 0 to ${MAX_HOURS_TO_LIVE}` });
  }
  return n;
}

const publicView = (r: ApiClientRecord): Record<string, unknown> => ({ client_id: r.clientId, description: r.description, features: r.features, whitelist: r.whitelist });

export class ApiClientService {
  constructor(private readonly ctx: AppContext) {}

  /**
   * Runs a client change in one transaction. Bumping the change counter first takes its row lock on
   * PostgreSQL, so concurrent client changes run one after another and rules such as "keep one owner"
   * hold across processes (SQLite serializes writers anyway).
   */
  private async change<T>(clientId: string, fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    const result = await this.ctx.store.db.transaction().execute(async (trx) => {
      await bumpEpoch(trx, 'api_clients', clientId);
      return fn(trx);
    });
    this.ctx.clients.invalidate(clientId);
    return result;
  }

  private open(clientId: string, sealed: { keyId: string; ciphertext: string }): string {
    return this.ctx.secretBox.open(sealed, secretContext(clientId));
  }

  async list(applicationId: string): Promise<ClientWithSecret[]> {
    const db = this.ctx.store.db;
    const [records, secrets] = await Promise.all([listApiClients(db, applicationId), currentSecrets(db, applicationId)]);
    return records.map((record) => {
      const sealed = secrets.get(record.clientId);
      return { record, secret: sealed ? this.open(record.clientId, sealed) : '' };
    });
  }

  /** A client of this application; clients of other applications are indistinguishable from missing ones. */
  private async owned(db: Kysely<Database>, applicationId: string, clientId: string): Promise<ApiClientRecord> {
    const record = await findApiClient(db, clientId);
    if (!record || record.applicationId !== applicationId) throw new ClientChangeRefused({ kind: 'not_found', clientId });
    return record;
  }

  async get(applicationId: string, clientId: string): Promise<ClientWithSecret> {
    const record = await this.owned(this.ctx.store.db, applicationId, clientId);
    const sealed = (await currentSecrets(this.ctx.store.db, applicationId)).get(clientId);
    return { record, secret: sealed ? this.open(clientId, sealed) : '' };
  }

  async create(actor: Actor, input: { description: string; features: Feature[]; whitelist?: string[] }, operation: string): Promise<ClientWithSecret> {
    const now = nowTimestamp();
    const record: ApiClientRecord = {
      clientId: newClientId(),
      applicationId: actor.applicationId,
      description: input.description,
      features: input.features,
      whitelist: input.whitelist ?? [...OPEN_WHITELIST],
      createdAt: now,
      updatedAt: now,
    };
    const secret = newClientSecret();
    await this.change(record.clientId, async (trx) => {
      await insertApiClient(trx, record, this.ctx.secretBox.seal(secret, secretContext(record.clientId)));
      await appendAudit(trx, { at: now, applicationId: actor.applicationId, actorClientId: actor.clientId, sourceAddress: actor.address, operation, target: record.clientId, before: null, after: publicView(record) });
    });
    return { record, secret };
  }

  /** Applies a change to one client; the self-lockout and last-owner rules are checked inside the transaction. */
  async update(actor: Actor, clientId: string, patch: { description?: string; features?: Feature[]; whitelist?: string[] }, operation: string): Promise<ApiClientRecord> {
    const now = nowTimestamp();
    const updated = await this.change(clientId, async (trx) => {
      const before = await this.owned(trx, actor.applicationId, clientId);
      if (patch.features !== undefined && before.features.includes('owner') && !patch.features.includes('owner')) {
        if (clientId === actor.clientId) throw new ClientChangeRefused({ kind: 'own_owner_feature', clientId });
        await this.assertAnotherOwner(trx, actor.applicationId, clientId);
      }
      if (patch.whitelist !== undefined && clientId === actor.clientId && locksOutCaller(patch.whitelist, actor.address)) {
        throw new ClientChangeRefused({ kind: 'self_lockout', address: actor.address });
      }
      await updateApiClient(trx, clientId, { ...patch, updatedAt: now });
      const after: ApiClientRecord = { ...before, ...patch, updatedAt: now };
      await appendAudit(trx, { at: now, applicationId: actor.applicationId, actorClientId: actor.clientId, sourceAddress: actor.address, operation, target: clientId, before: publicView(before), after: publicView(after) });
      return after;
    });
    return updated;
  }

  async delete(actor: Actor, clientId: string, operation: string): Promise<void> {
    const now = nowTimestamp();
    await this.change(clientId, async (trx) => {
      const before = await this.owned(trx, actor.applicationId, clientId);
      if (before.features.includes('owner')) await this.assertAnotherOwner(trx, actor.applicationId, clientId);
      await this.ctx.settings.deleteScopeIn(trx, actor.applicationId, clientId);
      await deleteApiClient(trx, clientId);
      await appendAudit(trx, { at: now, applicationId: actor.applicationId, actorClientId: actor.clientId, sourceAddress: actor.address, operation, target: clientId, before: publicView(before), after: null });
    });
  }

  /** New secret; the previous one keeps working for `hoursToLive` hours (0: it stops at once). */
  /**
   * A new secret; the old one stays valid for `hoursToLive` hours. The answer names the login policies
   * that embed this client's credentials (decision "Rotation without lock-out"): they keep working
   * through the grace period and can be re-keyed with the new secret.
   */
  async resetSecret(actor: Actor, clientId: string, hoursToLive: number, operation: string): Promise<{ secret: string; previousValidUntil: string | null; loginPolicies: DependentLoginPolicy[] }> {
    const now = new Date();
    const nowText = toStoredTimestamp(now);
    const graceEndsAt = hoursToLive === 0 ? null : toStoredTimestamp(new Date(now.getTime() + hoursToLive * 3600_000));
    const secret = newClientSecret();
    await this.change(clientId, async (trx) => {
      await this.owned(trx, actor.applicationId, clientId);
      await replaceClientSecret(trx, clientId, this.ctx.secretBox.seal(secret, secretContext(clientId)), nowText, graceEndsAt);
      await appendAudit(trx, {
        at: nowText, applicationId: actor.applicationId, actorClientId: actor.clientId, sourceAddress: actor.address, operation, target: clientId,
        before: { secret: '[Redacted]' }, after: { secret: '[Redacted]', hours_to_live: hoursToLive, previous_secret_valid_until: graceEndsAt ?? nowText },
      });
    });
    const dependents = (await loginPoliciesOfApiClient(this.ctx.store.db, clientId)).map((p) => ({ id: p.id, title: p.title, href: `/${p.customerId}/config/loginPolicies/${p.id}` }));
    return { secret, previousValidUntil: graceEndsAt, loginPolicies: dependents };
  }

  private async assertAnotherOwner(trx: Transaction<Database>, applicationId: string, clientId: string): Promise<void> {
    const owners = (await listApiClients(trx, applicationId)).filter((c) => c.clientId !== clientId && c.features.includes('owner'));
    if (owners.length === 0) throw new ClientChangeRefused({ kind: 'last_owner', clientId });
  }
}
