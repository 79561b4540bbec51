// Reading and changing settings documents. Documents are cached per scope and dropped on change: in
// this process at once, in others through the ChangeWatcher (the 'settings' epoch). Each change is one
// transaction with its audit entry; secret-looking values never reach the audit log.
import type { Kysely } from 'kysely';
import type { AppContext } from '../context.js';
import {
  FORBIDDEN_SETTING_NAMES,
  normalizeDocument,
  settingDefinition,
  SettingsDocumentError,
  typeProblem,
  type SettingScope,
  type SettingsDocument,
  type SettingValue,
} from '../domain/settings.js';
import { nowTimestamp } from '../store/clock.js';
import { appendAudit } from '../store/repositories/audit-log.js';
import { bumpEpoch } from '../store/repositories/cache-epochs.js';
import { APPLICATION_SCOPE, readAllSettings, readSettings, writeSettings } from '../store/repositories/settings.js';
import type { Database } from '../store/schema.js';
import type { Actor } from './api-clients.js';

/** Largest stored settings document of one scope. */
export const MAX_SETTINGS_BYTES = 64 * 1024;

const SECRET_LOOKING = /secret|password|token|(^|_)key$/i;

/** A copy of a document with values of secret-looking keys (rpx_key, …) replaced, for the audit log. */
export function auditView(doc: SettingsDocument): Record<string, unknown> {
  const redact = (o: Record<string, SettingValue>): Record<string, SettingValue> =>
    Object.fromEntries(Object.entries(o).map(([k, v]) => [k, SECRET_LOOKING.test(k) ? '[Redacted]' : v]));
  return { ...redact(doc.standard), custom: redact(doc.custom) };
}

const cacheKey = (applicationId: string, scope: string): string => `${applicationId}:${scope}`;

export interface SetResult {
  /** Per key: whether it had a value before (the legacy API's answer). */
  existed: Record<string, boolean>;
  warnings: string[];
}

/**
 * A rule a settings change must satisfy, checked inside the change's transaction before it is written
 * (throw SettingsDocumentError to refuse). Hosted Login adds "one OIDC client maps to exactly one API
 * client" (janrainOidcClientId) here.
 */
export type SettingsRule = (trx: Kysely<Database>, change: { applicationId: string; scope: string; after: SettingsDocument }) => Promise<void>;

export class SettingsService {
  readonly #cache = new Map<string, SettingsDocument>();
  readonly #rules: SettingsRule[] = [];
  #generation = 0;

  constructor(private readonly ctx: Pick<AppContext, 'store'>) {}

  addRule(rule: SettingsRule): void {
    this.#rules.push(rule);
  }

  invalidate(key: string | null): void {
    this.#generation += 1;
    if (key === null) this.#cache.clear();
    else this.#cache.delete(key);
  }

  async read(applicationId: string, scope: string): Promise<SettingsDocument> {
    const key = cacheKey(applicationId, scope);
    const hit = this.#cache.get(key);
    if (hit) return hit;
    const generation = this.#generation;
    const doc = await readSettings(this.ctx.store.db, applicationId, scope);
    if (generation === this.#generation) this.#cache.set(key, doc);
    return doc;
  }

  readApplication(applicationId: string): Promise<SettingsDocument> {
    return this.read(applicationId, APPLICATION_SCOPE);
  }

  readAll(applicationId: string): Promise<Map<string, SettingsDocument>> {
    return readAllSettings(this.ctx.store.db, applicationId);
  }

  /** Replaces a scope's whole document with a normalized PUT body; returns the stored document and warnings. */
  async replace(actor: Actor, scope: string, body: unknown, operation: string): Promise<{ document: SettingsDocument; warnings: string[] }> {
    const { document, warnings } = normalizeDocument(body, scope === APPLICATION_SCOPE ? 'application' : 'client');
    await this.change(actor, scope, operation, () => document);
    return { document, warnings };
  }

  /** The legacy API's set/set_multi: known standard keys type-checked, other keys into the custom block. */
  async setKeys(actor: Actor, scope: string, items: Record<string, SettingValue>, operation: string): Promise<SetResult> {
    const level: SettingScope = scope === APPLICATION_SCOPE ? 'application' : 'client';
    const warnings: string[] = [];
    const existed: Record<string, boolean> = Object.create(null) as Record<string, boolean>;
    await this.change(actor, scope, operation, (before) => {
      const next: SettingsDocument = { standard: { ...before.standard }, custom: { ...before.custom } };
      for (const [key, value] of Object.entries(items)) {
        if (FORBIDDEN_SETTING_NAMES.has(key)) throw new SettingsDocumentError(key, `${key} cannot be a setting name`);
        existed[key] = Object.hasOwn(before.standard, key) || Object.hasOwn(before.custom, key);
        const definition = settingDefinition(key);
        if (definition && !definition.custom) {
          if (level === 'client' && definition.globalOnly) {
            warnings.push(`${key} can only be set for the whole application and was ignored at client scope`);
            existed[key] = false;
            continue;
          }
          const problem = typeProblem(definition, value);
          if (problem) throw new SettingsDocumentError(key, problem);
          next.standard[key] = value;
        } else {
          next.custom[key] = value;
        }
      }
      return next;
    });
    return { existed, warnings };
  }

  /** The legacy API's delete/delete_default: whether the key had a value. */
  async deleteKey(actor: Actor, scope: string, key: string, operation: string): Promise<boolean> {
    let existed = false;
    await this.change(actor, scope, operation, (before) => {
      existed = Object.hasOwn(before.standard, key) || Object.hasOwn(before.custom, key);
      const standard = { ...before.standard };
      const custom = { ...before.custom };
      delete standard[key];
      delete custom[key];
      return { standard, custom };
    });
    return existed;
  }

  /** Deletes a client's settings with the client (inside the caller's transaction). */
  /**
   * Writes a whole settings document inside a caller's transaction (creating a Hosted Login API client
   * writes its settings with it); the rules apply. Call `invalidate(null)` after the commit.
   */
  async writeIn(trx: Kysely<Database>, applicationId: string, scope: string, document: SettingsDocument, now: string): Promise<void> {
    await bumpEpoch(trx, 'settings', cacheKey(applicationId, scope));
    for (const rule of this.#rules) await rule(trx, { applicationId, scope, after: document });
    await writeSettings(trx, applicationId, scope, document, now);
  }

  async deleteScopeIn(trx: Kysely<Database>, applicationId: string, scope: string): Promise<void> {
    await bumpEpoch(trx, 'settings', cacheKey(applicationId, scope));
    await trx.deleteFrom('settings').where('application_id', '=', applicationId).where('scope', '=', scope).execute();
  }

  private async change(actor: Actor, scope: string, operation: string, update: (before: SettingsDocument) => SettingsDocument): Promise<void> {
    const key = cacheKey(actor.applicationId, scope);
    const now = nowTimestamp();
    await this.ctx.store.db.transaction().execute(async (trx) => {
      await bumpEpoch(trx, 'settings', key);
      const before = await readSettings(trx, actor.applicationId, scope);
      const after = update(before);
      if (Buffer.byteLength(JSON.stringify(after)) > MAX_SETTINGS_BYTES) {
        throw new SettingsDocumentError('settings', `a settings document may hold at most ${MAX_SETTINGS_BYTES / 1024} KiB`);
      }
      for (const rule of this.#rules) await rule(trx, { applicationId: actor.applicationId, scope, after });
      await writeSettings(trx, actor.applicationId, scope, after, now);
      await appendAudit(trx, {
        at: now, applicationId: actor.applicationId, actorClientId: actor.clientId, sourceAddress: actor.address, operation,
        target: scope === APPLICATION_SCOPE ? 'application' : scope, before: auditView(before), after: auditView(after),
      });
    });
    this.invalidate(key);
  }
}
