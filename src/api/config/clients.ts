// /config/{app_id}/clients… (spec capture-api §8): the configuration API's view of API clients.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { ApiClientService, parseFeatures, parseHoursToLive, parseWhitelist, type ClientWithSecret } from '../../services/api-clients.js';
import { configRoute, type ConfigCall } from './transport.js';

const clientSchema = {
  type: 'object',
  properties: {
    _id: { type: 'string' },
    _secret: { type: 'string' },
    _self: { type: 'string' },
    _settings: { type: 'string' },
    name: { type: 'string' },
    features: { type: 'array', items: { type: 'string' } },
    ipWhitelist: { type: 'array', items: { type: 'string' } },
  },
  required: ['_id', '_secret', '_self', '_settings', 'name', 'features', 'ipWhitelist'],
} as const;

const clientBody = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 1000 },
    features: { type: 'array', items: { type: 'string' } },
    ipWhitelist: { type: 'array', items: { type: 'string' } },
  },
  required: ['name'],
  additionalProperties: false,
} as const;

interface ClientBody {
  name: string;
  features?: unknown[];
  ipWhitelist?: unknown[];
}

export function clientView(appId: string, { record, secret }: ClientWithSecret): Record<string, unknown> {
  const self = `/config/${appId}/clients/${record.clientId}`;
  return { _id: record.clientId, _secret: secret, _self: self, _settings: `${self}/settings`, name: record.description, features: record.features, ipWhitelist: record.whitelist };
}

const actor = (call: ConfigCall): { applicationId: string; clientId: string; address: string } => ({
  applicationId: call.appId,
  clientId: call.client.record.clientId,
  address: call.request.ip,
});

export function configClientRoutes(app: FastifyInstance, ctx: AppContext): void {
  const service = new ApiClientService(ctx);
  const clientId = { type: 'object', properties: { app_id: { type: 'string' }, client_id: { type: 'string' } } } as const;

  configRoute(app, ctx, {
    method: 'GET',
    route: '/config/{app_id}/clients',
    schema: { summary: 'List API clients', response: { 200: { type: 'array', items: clientSchema } } },
    run: async (call) => (await service.list(call.appId)).map((c) => clientView(call.appId, c)),
  });

  configRoute<ClientBody>(app, ctx, {
    method: 'POST',
    route: '/config/{app_id}/clients',
    schema: { summary: 'Create an API client', body: clientBody, response: { 201: clientSchema } },
    run: async (call) => {
      const features = parseFeatures(call.body.features ?? []);
      const whitelist = call.body.ipWhitelist === undefined ? undefined : parseWhitelist(call.body.ipWhitelist);
      const created = await service.create(actor(call), { description: call.body.name, features, whitelist }, 'config.clients.create');
      void call.reply.code(201);
      return clientView(call.appId, created);
    },
  });

  configRoute(app, ctx, {
    method: 'GET',
    route: '/config/{app_id}/clients/{client_id}',
    schema: { summary: 'Get an API client', params: clientId, response: { 200: clientSchema } },
    run: async (call) => clientView(call.appId, await service.get(call.appId, call.pathParams.client_id ?? '')),
  });

  configRoute<ClientBody>(app, ctx, {
    method: 'PUT',
    route: '/config/{app_id}/clients/{client_id}',
    schema: { summary: 'Replace an API client’s name, features and allow list', params: clientId, body: clientBody, response: { 200: clientSchema } },
    run: async (call) => {
      const target = call.pathParams.client_id ?? '';
      const features = parseFeatures(call.body.features ?? []);
      // PUT replaces: an absent allow list means the default one (spec §8).
      const whitelist = parseWhitelist(call.body.ipWhitelist ?? ['0.0.0.0/0']);
      await service.update(actor(call), target, { description: call.body.name, features, whitelist }, 'config.clients.update');
      return clientView(call.appId, await service.get(call.appId, target));
    },
  });

  configRoute(app, ctx, {
    method: 'DELETE',
    route: '/config/{app_id}/clients/{client_id}',
    schema: { summary: 'Delete an API client', params: clientId },
    run: async (call) => {
      await service.delete(actor(call), call.pathParams.client_id ?? '', 'config.clients.delete');
      void call.reply.code(204);
      return undefined;
    },
  });

  configRoute<{ hoursToLive?: unknown }>(app, ctx, {
    method: 'PUT',
    route: '/config/{app_id}/clients/{client_id}/secret',
    schema: {
      summary: 'Reset an API client’s secret; the old one stays valid for hoursToLive hours',
      params: clientId,
      // hoursToLive defaults to 0 (the old secret stops at once), as before grace periods existed.
      body: { type: 'object', properties: { hoursToLive: { type: 'integer' } }, additionalProperties: false },
    },
    run: async (call) => {
      const target = call.pathParams.client_id ?? '';
      const hours = parseHoursToLive(call.body?.hoursToLive ?? 0);
      const { previousValidUntil, loginPolicies } = await service.resetSecret(actor(call), target, hours, 'config.clients.reset_secret');
      return { ...clientView(call.appId, await service.get(call.appId, target)), previousSecretValidUntil: previousValidUntil, loginPolicies };
    },
  });
}
