// Legacy Settings API (spec capture-api §7): key/value settings at the application ("default") scope
// and per client. Reads about oneself are open to every client; `for_client_id` is the owner's alone
// (the permission matrix's `self` rules).
import { effectiveSettings, FORBIDDEN_SETTING_NAMES, SettingsDocumentError, type SettingsDocument, type SettingValue } from '../../domain/settings.js';
import type { Actor } from '../../services/api-clients.js';
import { findApiClient } from '../../store/repositories/api-clients.js';
import { APPLICATION_SCOPE } from '../../store/repositories/settings.js';
import { invalidArgument, missingArgument } from './errors.js';
import type { RegistrationCall, RegistrationOperation, RegistrationResult } from './operation.js';
import { jsonParam, requireParam, type Params } from './params.js';

const forClient = (params: Params): string | undefined => params.get('for_client_id') || undefined;

const actorOf = (call: RegistrationCall): Actor => ({ applicationId: call.client.record.applicationId, clientId: call.client.record.clientId, address: call.address });

/** The client a call is about: `for_client_id` (a client of the caller's application) or the caller. */
async function targetClient(call: RegistrationCall): Promise<string> {
  const id = forClient(call.params);
  if (id === undefined || id === call.client.record.clientId) return call.client.record.clientId;
  const found = await findApiClient(call.ctx.store.db, id);
  if (!found || found.applicationId !== call.client.record.applicationId) throw invalidArgument('for_client_id', `no API client ${id} in this application`);
  return id;
}

const flat = (doc: SettingsDocument): Record<string, SettingValue> => ({ ...doc.custom, ...doc.standard });

/** A setting's value, never an inherited property of the object (`constructor`, `toString`, …). */
const valueOf = (settings: Record<string, SettingValue>, key: string): SettingValue => (Object.hasOwn(settings, key) ? (settings[key] ?? null) : null);

/** Settings errors of the domain become the API's invalid_argument. */
async function checked<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof SettingsDocumentError) throw invalidArgument(err.field, err.message);
    throw err;
  }
}

function itemsParam(params: Params): Record<string, SettingValue> {
  const items = jsonParam(params, 'items');
  if (items === undefined) throw invalidArgument('items', 'missing required argument: items');
  if (items === null || typeof items !== 'object' || Array.isArray(items)) throw invalidArgument('items', 'must be a JSON object');
  const bad = Object.keys(items).find((k) => FORBIDDEN_SETTING_NAMES.has(k));
  if (bad !== undefined) throw invalidArgument('items', `${bad} cannot be a setting name`);
  return items as Record<string, SettingValue>;
}

function settingKey(params: Params): string {
  const key = requireParam(params, 'key');
  if (FORBIDDEN_SETTING_NAMES.has(key)) throw invalidArgument('key', `${key} cannot be a setting name`);
  return key;
}

function valueParam(params: Params): string {
  const value = params.get('value');
  if (value === undefined) throw missingArgument('value');
  return value;
}

function keysParam(params: Params): string[] {
  const keys = jsonParam(params, 'keys');
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string')) throw invalidArgument('keys', 'must be a JSON array of setting names');
  return keys;
}

const withWarnings = (result: RegistrationResult, warnings: string[]): RegistrationResult => (warnings.length > 0 ? { ...result, warnings } : result);

export function settingsOperations(): RegistrationOperation[] {
  const readClient = async (call: RegistrationCall): Promise<{ client: SettingsDocument; application: SettingsDocument }> => {
    const app = call.client.record.applicationId;
    const scope = await targetClient(call);
    const [client, application] = await Promise.all([call.ctx.settings.read(app, scope), call.ctx.settings.readApplication(app)]);
    return { client, application };
  };
  const effective = async (call: RegistrationCall): Promise<Record<string, SettingValue>> => {
    const { client, application } = await readClient(call);
    return effectiveSettings(client, application);
  };
  const setAt = async (call: RegistrationCall, scope: string, items: Record<string, SettingValue>, operation: string) =>
    checked(() => call.ctx.settings.setKeys(actorOf(call), scope, items, operation));

  return [
    {
      name: '/settings/get',
      target: forClient,
      async run(call) {
        const key = requireParam(call.params, 'key');
        return { result: valueOf(await effective(call), key) };
      },
    },
    {
      name: '/settings/get_multi',
      target: forClient,
      async run(call) {
        const keys = keysParam(call.params);
        const all = await effective(call);
        return { result: Object.fromEntries(keys.map((k) => [k, valueOf(all, k)])) };
      },
    },
    {
      name: '/settings/get_default',
      async run(call) {
        const key = requireParam(call.params, 'key');
        return { result: valueOf(flat(await call.ctx.settings.readApplication(call.client.record.applicationId)), key) };
      },
    },
    { name: '/settings/items', target: forClient, run: async (call) => ({ result: await effective(call) }) },
    { name: '/settings/keys', target: forClient, run: async (call) => ({ result: Object.keys(await effective(call)) }) },
    {
      name: '/settings/default_items',
      run: async (call) => ({ result: flat(await call.ctx.settings.readApplication(call.client.record.applicationId)) }),
    },
    {
      name: '/settings/default_keys',
      run: async (call) => ({ result: Object.keys(flat(await call.ctx.settings.readApplication(call.client.record.applicationId))) }),
    },
    { name: '/settings/client_items', target: forClient, run: async (call) => ({ result: flat((await readClient(call)).client) }) },
    { name: '/settings/client_keys', target: forClient, run: async (call) => ({ result: Object.keys(flat((await readClient(call)).client)) }) },
    {
      name: '/settings/get_all',
      async run(call) {
        const app = call.client.record.applicationId;
        const all = await call.ctx.settings.readAll(app);
        const client_settings: Record<string, Record<string, SettingValue>> = {};
        for (const [scope, doc] of all) if (scope !== APPLICATION_SCOPE) client_settings[scope] = flat(doc);
        return { client_settings, default_settings: flat(all.get(APPLICATION_SCOPE) ?? { standard: {}, custom: {} }) };
      },
    },
    {
      name: '/settings/set',
      async run(call) {
        const key = settingKey(call.params);
        const r = await setAt(call, await targetClient(call), { [key]: valueParam(call.params) }, 'settings/set');
        return withWarnings({ result: r.existed[key] ?? false }, r.warnings);
      },
    },
    {
      name: '/settings/set_multi',
      async run(call) {
        const r = await setAt(call, await targetClient(call), itemsParam(call.params), 'settings/set_multi');
        return withWarnings({ result: r.existed }, r.warnings);
      },
    },
    {
      name: '/settings/set_default',
      async run(call) {
        const key = settingKey(call.params);
        const r = await setAt(call, APPLICATION_SCOPE, { [key]: valueParam(call.params) }, 'settings/set_default');
        return withWarnings({ result: r.existed[key] ?? false }, r.warnings);
      },
    },
    {
      name: '/settings/set_default_multi',
      async run(call) {
        const r = await setAt(call, APPLICATION_SCOPE, itemsParam(call.params), 'settings/set_default_multi');
        return withWarnings({ result: r.existed }, r.warnings);
      },
    },
    {
      name: '/settings/delete',
      async run(call) {
        const key = requireParam(call.params, 'key');
        return { result: await call.ctx.settings.deleteKey(actorOf(call), await targetClient(call), key, 'settings/delete') };
      },
    },
    {
      name: '/settings/delete_default',
      async run(call) {
        const key = requireParam(call.params, 'key');
        return { result: await call.ctx.settings.deleteKey(actorOf(call), APPLICATION_SCOPE, key, 'settings/delete_default') };
      },
    },
  ];
}
