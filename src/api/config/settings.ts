// /config/{app_id}/settings… (spec capture-api §8, seed 002): settings documents as JSON. A PUT
// replaces the whole document of its scope; keys that were dropped are named in `warnings`.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { hostedLoginStatus, SETTING_CATALOGUE, SettingsDocumentError, type SettingsDocument } from '../../domain/settings.js';
import { findApiClient, listApiClients } from '../../store/repositories/api-clients.js';
import { APPLICATION_SCOPE } from '../../store/repositories/settings.js';
import { ConfigApiError, configRoute, type ConfigCall } from './transport.js';

/** A document as the API shows it: standard keys at the top, custom ones in `custom`. */
export const documentView = (doc: SettingsDocument): Record<string, unknown> => ({ ...doc.standard, custom: doc.custom });

const actor = (call: ConfigCall): { applicationId: string; clientId: string; address: string } => ({
  applicationId: call.appId,
  clientId: call.client.record.clientId,
  address: call.request.ip,
});

async function clientOfApp(call: ConfigCall): Promise<string> {
  const id = call.pathParams.client_id ?? '';
  const found = await findApiClient(call.ctx.store.db, id);
  if (!found || found.applicationId !== call.appId) throw new ConfigApiError(404, `no API client ${id} in this application`);
  return id;
}

async function replaced<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof SettingsDocumentError) throw new ConfigApiError(400, { [err.field]: err.message });
    throw err;
  }
}

/**
 * Seed 002 advises GETting a client's settings and PUTting them back with changes; the GET shows the
 * standard settings under `client`. A body in that shape is read as its `client` and `custom` parts
 * (`global`, `hostedLogin` and `_self` are views, not settings of the client).
 */
function fromClientView(body: unknown): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  const rest: Record<string, unknown> = { ...(body as Record<string, unknown>) };
  const client = rest.client;
  if (typeof client !== 'object' || client === null || Array.isArray(client)) return body;
  for (const view of ['client', 'global', 'hostedLogin']) delete rest[view];
  return { ...rest, ...(client as Record<string, unknown>) };
}

const withWarnings = (body: Record<string, unknown>, warnings: string[]): Record<string, unknown> => (warnings.length > 0 ? { ...body, warnings } : body);

export function configSettingsRoutes(app: FastifyInstance, ctx: AppContext): void {
  const applicationView = async (appId: string, includeClients: boolean): Promise<Record<string, unknown>> => {
    if (!includeClients) return { _self: `/config/${appId}/settings`, ...documentView(await ctx.settings.readApplication(appId)) };
    const [all, records] = await Promise.all([ctx.settings.readAll(appId), listApiClients(ctx.store.db, appId)]);
    // Every client, with an empty document where it has no settings of its own.
    const clients: Record<string, unknown> = {};
    for (const { clientId } of records) clients[clientId] = documentView(all.get(clientId) ?? { standard: {}, custom: {} });
    return { _self: `/config/${appId}/settings`, ...documentView(all.get(APPLICATION_SCOPE) ?? { standard: {}, custom: {} }), clients };
  };

  const clientView = async (appId: string, clientId: string): Promise<Record<string, unknown>> => {
    const [client, application] = await Promise.all([ctx.settings.read(appId, clientId), ctx.settings.readApplication(appId)]);
    return {
      _self: `/config/${appId}/clients/${clientId}/settings`,
      client: client.standard,
      global: documentView(application),
      custom: client.custom,
      hostedLogin: hostedLoginStatus(client, application),
    };
  };

  configRoute<unknown>(app, ctx, {
    method: 'GET',
    route: '/config/{app_id}/settings',
    schema: { summary: 'Application (global) settings; include_clients=true adds every client’s' },
    run: async (call) => {
      const q = (call.request.query ?? {}) as Record<string, unknown>;
      return applicationView(call.appId, q.include_clients === 'true');
    },
  });

  configRoute<unknown>(app, ctx, {
    method: 'PUT',
    route: '/config/{app_id}/settings',
    schema: { summary: 'Replace the application (global) settings' },
    run: async (call) => {
      const { warnings } = await replaced(() => ctx.settings.replace(actor(call), APPLICATION_SCOPE, call.body, 'config.settings.replace'));
      return withWarnings(await applicationView(call.appId, false), warnings);
    },
  });

  configRoute<unknown>(app, ctx, {
    method: 'GET',
    route: '/config/{app_id}/settings/options',
    schema: { summary: 'The standard settings: name, type, group, whether global only' },
    run: async () =>
      SETTING_CATALOGUE.map((d) => ({ globalOnly: d.globalOnly, group: d.group, name: d.name, type: d.type, values: [], canInherit: d.canInherit, custom: d.custom })),
  });

  configRoute<unknown>(app, ctx, {
    method: 'GET',
    route: '/config/{app_id}/clients/{client_id}/settings',
    target: (p) => p.client_id,
    schema: { summary: 'A client’s settings: its own, the global ones, its custom ones, and its Hosted Login status' },
    run: async (call) => clientView(call.appId, await clientOfApp(call)),
  });

  configRoute<unknown>(app, ctx, {
    method: 'PUT',
    route: '/config/{app_id}/clients/{client_id}/settings',
    schema: { summary: 'Replace a client’s settings (keys left out are deleted)' },
    run: async (call) => {
      const clientId = await clientOfApp(call);
      const { warnings } = await replaced(() => ctx.settings.replace(actor(call), clientId, fromClientView(call.body), 'config.client_settings.replace'));
      return withWarnings(await clientView(call.appId, clientId), warnings);
    },
  });
}
