// /config/{app_id}/entityTypes… (spec capture-api §8): the entity types, read-only. Changes go
// through the Entity Type API, which validates, indexes and audits them.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import type { AttributeDefinition } from '../../domain/schema/attribute-definition.js';
import { DataError } from '../../domain/schema/data-error.js';
import { findAttribute, formatAttributePath, parseAttributePath } from '../../domain/schema/paths.js';
import { findEntityType, listEntityTypes, type EntityType } from '../../store/repositories/entity-types.js';
import { ConfigApiError, configRoute, type ConfigCall } from './transport.js';

const typeSelf = (appId: string, name: string): string => `/config/${appId}/entityTypes/${encodeURIComponent(name)}`;

async function typeOf(call: ConfigCall): Promise<EntityType> {
  const name = call.pathParams.entity_type ?? '';
  const type = await findEntityType(call.ctx.store.db, call.appId, name);
  if (!type) throw new ConfigApiError(404, `entity type ${name} not found`);
  return type;
}

const attributeView = (self: string, def: AttributeDefinition): Record<string, unknown> => ({ _self: `${self}/attributes/${encodeURIComponent(def.name)}`, ...def });

export function configEntityTypeRoutes(app: FastifyInstance, ctx: AppContext): void {
  configRoute(app, ctx, {
    method: 'GET',
    route: '/config/{app_id}/entityTypes',
    async run(call) {
      return (await listEntityTypes(call.ctx.store.db, call.appId)).map((t) => ({ _self: typeSelf(call.appId, t.name), name: t.name }));
    },
  });
  configRoute(app, ctx, {
    method: 'GET',
    route: '/config/{app_id}/entityTypes/{entity_type}',
    async run(call) {
      const type = await typeOf(call);
      const self = typeSelf(call.appId, type.name);
      return { _self: self, _attributes: `${self}/attributes`, name: type.name, attr_defs: type.attrDefs };
    },
  });
  configRoute(app, ctx, {
    method: 'GET',
    route: '/config/{app_id}/entityTypes/{entity_type}/attributes',
    async run(call) {
      const type = await typeOf(call);
      const self = typeSelf(call.appId, type.name);
      return type.attrDefs.map((d) => attributeView(self, d));
    },
  });
  configRoute(app, ctx, {
    method: 'GET',
    route: '/config/{app_id}/entityTypes/{entity_type}/attributes/{attribute_name}',
    async run(call) {
      const type = await typeOf(call);
      const text = call.pathParams.attribute_name ?? '';
      let def: AttributeDefinition | null;
      try {
        const segments = parseAttributePath(text, 'attribute_name');
        def = findAttribute(type.attrDefs, segments);
        if (def) return { _self: `${typeSelf(call.appId, type.name)}/attributes/${encodeURIComponent(text)}`, path: formatAttributePath(segments), ...def };
      } catch (err) {
        if (err instanceof DataError) throw new ConfigApiError(400, { attribute_name: err.message });
        throw err;
      }
      throw new ConfigApiError(404, `attribute ${text} not found in entity type ${type.name}`);
    },
  });
}
