// Entity Type API (spec capture-api §5): schemas, rules, password settings and access schemas.
import { isAccessType, ACCESS_TYPES, AccessSchema, type AccessType } from '../../domain/access-schema.js';
import { withoutReserved } from '../../domain/schema/attr-defs.js';
import type { AttributeDefinition } from '../../domain/schema/attribute-definition.js';
import { DataError } from '../../domain/schema/data-error.js';
import { findAttribute, formatAttributePath, parseAttributePath } from '../../domain/schema/paths.js';
import { EntityTypeService } from '../../services/entity-types.js';
import type { EntityType } from '../../store/repositories/entity-types.js';
import type { Actor } from '../../services/api-clients.js';
import { clientPermissionError, invalidArgument, missingArgument } from './errors.js';
import type { RegistrationCall, RegistrationOperation } from './operation.js';
import { jsonParam, requireParam, type Params } from './params.js';

const actorOf = (call: RegistrationCall): Actor => ({ applicationId: call.client.record.applicationId, clientId: call.client.record.clientId, address: call.address });
const service = (call: RegistrationCall): EntityTypeService => new EntityTypeService(call.ctx);
const appOf = (call: RegistrationCall): string => call.client.record.applicationId;

export function booleanParam(params: Params, name: string): boolean {
  const v = params.get(name);
  if (v === undefined || v === '') return false;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw invalidArgument(name, 'must be true or false');
}

/** A JSON argument that must be present. */
function requireJson(params: Params, name: string): unknown {
  if (!params.has(name) || params.get(name) === '') throw missingArgument(name);
  return jsonParam(params, name);
}

const schemaOf = (type: EntityType, removeReserved = false): { schema: { attr_defs: unknown; name: string } } => ({
  schema: { attr_defs: removeReserved ? withoutReserved(type.attrDefs) : type.attrDefs, name: type.name },
});

function accessTypeParam(params: Params): AccessType {
  const value = requireParam(params, 'access_type');
  if (!isAccessType(value)) throw invalidArgument('access_type', `must be one of ${ACCESS_TYPES.join(', ')}`);
  return value;
}

/** The type an operation acts on: `type_name`, required. */
const typeName = (call: RegistrationCall): string => requireParam(call.params, 'type_name');

/** A legacy `property` of /entityType.properties: a rule, or a unique constraint with a derived id. */
const UNIQUE_PROPERTY = 'unique:';

function uniqueProperties(type: EntityType): { uuid: string; attributes: string[]; property: 'unique'; definition: null; description: string }[] {
  const out: { uuid: string; attributes: string[]; property: 'unique'; definition: null; description: string }[] = [];
  const walk = (defs: EntityType['attrDefs'], prefix: string): void => {
    for (const d of defs) {
      const path = `${prefix}/${d.name}`;
      if (d.constraints?.includes('unique') && !(prefix === '' && (d.name === 'id' || d.name === 'uuid'))) out.push({ uuid: `${UNIQUE_PROPERTY}${path}`, attributes: [path], property: 'unique', definition: null, description: '' });
      if (d.type === 'object') walk(d.attr_defs ?? [], path);
    }
  };
  walk(type.attrDefs, '');
  return out;
}

export function entityTypeOperations(): RegistrationOperation[] {
  return [
    {
      name: '/entityType.list',
      async run(call) {
        return { results: await service(call).list(appOf(call)) };
      },
    },
    {
      name: '/entityType',
      async run(call) {
        // With a user token the type is the token's record's (spec §1.4: JUMP sends no type_name).
        const name = call.user ? call.user.typeName : typeName(call);
        return schemaOf(await service(call).view(appOf(call), name), booleanParam(call.params, 'remove_reserved'));
      },
    },
    {
      name: '/entityType.create',
      async run(call) {
        const attrDefs = call.params.has('attr_defs') ? jsonParam(call.params, 'attr_defs') : [];
        return schemaOf(await service(call).create(actorOf(call), typeName(call), attrDefs));
      },
    },
    {
      name: '/entityType.delete',
      async run(call) {
        // Nothing is deleted unless the caller says commit=true (the legacy clients' safety switch).
        if (!booleanParam(call.params, 'commit')) throw invalidArgument('commit', 'must be true to delete an entity type and all its records');
        await service(call).delete(actorOf(call), typeName(call));
        return {};
      },
    },
    {
      name: '/entityType.addAttribute',
      async run(call) {
        return schemaOf(await service(call).addAttribute(actorOf(call), typeName(call), requireJson(call.params, 'attr_def')));
      },
    },
    {
      name: '/entityType.removeAttribute',
      async run(call) {
        return schemaOf(await service(call).removeAttribute(actorOf(call), typeName(call), requireParam(call.params, 'attribute_name')));
      },
    },
    {
      name: '/entityType.renameAttribute',
      async run(call) {
        const source = requireParam(call.params, 'source_name');
        const target = requireParam(call.params, 'target_name');
        return schemaOf(await service(call).renameAttribute(actorOf(call), typeName(call), source, target));
      },
    },
    {
      name: '/entityType.setAttributeDescription',
      async run(call) {
        const attribute = requireParam(call.params, 'attribute_name');
        // The description arrives as a JSON string (quoted); a bare word is taken as it is.
        const raw = call.params.get('description');
        if (raw === undefined) throw missingArgument('description');
        let description: unknown = raw;
        try {
          description = JSON.parse(raw) as unknown;
        } catch {
          description = raw;
        }
        if (typeof description !== 'string') throw invalidArgument('description', 'must be a JSON string');
        return schemaOf(await service(call).setAttributeDescription(actorOf(call), typeName(call), attribute, description));
      },
    },
    {
      name: '/entityType.setAttributeConstraints',
      async run(call) {
        const attribute = requireParam(call.params, 'attribute_name');
        return schemaOf(await service(call).setAttributeConstraints(actorOf(call), typeName(call), attribute, requireJson(call.params, 'constraints')));
      },
    },
    {
      name: '/entityType.setPasswordSettings',
      async run(call) {
        const settings = await service(call).setPasswordSettings(actorOf(call), typeName(call), requireJson(call.params, 'settings'));
        return { settings };
      },
    },
    {
      name: '/entityType.addRule',
      async run(call) {
        const attributes = requireJson(call.params, 'attributes');
        const definition = requireJson(call.params, 'definition');
        const result = await service(call).addRule(actorOf(call), typeName(call), attributes, definition, call.params.get('description') ?? '');
        return { result };
      },
    },
    {
      name: '/entityType.rules',
      async run(call) {
        return { results: (await service(call).view(appOf(call), typeName(call))).rules };
      },
    },
    {
      name: '/entityType.removeRule',
      async run(call) {
        const uuid = requireParam(call.params, 'uuid');
        // Older clients send no type_name: find the type that holds the rule.
        const svc = service(call);
        const name = call.params.get('type_name') || (await findTypeWithRule(svc, appOf(call), uuid));
        await svc.removeRule(actorOf(call), name, uuid);
        return {};
      },
    },
    {
      name: '/entityType.properties',
      async run(call) {
        const type = await service(call).view(appOf(call), typeName(call));
        return { results: [...type.rules.map((r) => ({ ...r, property: 'rule' })), ...uniqueProperties(type)] };
      },
    },
    {
      name: '/entityType.addProperty',
      async run(call) {
        const property = requireJson(call.params, 'property');
        if (typeof property !== 'object' || property === null || Array.isArray(property)) throw invalidArgument('property', 'must be a JSON object');
        const p = property as Record<string, unknown>;
        const svc = service(call);
        if (p.type === 'rule') {
          return { result: { ...(await svc.addRule(actorOf(call), typeName(call), p.attributes, p.definition, typeof p.description === 'string' ? p.description : '')), property: 'rule' } };
        }
        if (p.type === 'unique') {
          if (!Array.isArray(p.attributes) || p.attributes.length !== 1 || typeof p.attributes[0] !== 'string') throw invalidArgument('property', 'a unique property names exactly one attribute');
          const path = p.attributes[0];
          const current = await svc.view(appOf(call), typeName(call));
          const def = findDef(current, path);
          const type = await svc.setAttributeConstraints(actorOf(call), typeName(call), path, [...new Set([...(def?.constraints ?? []), 'unique'])]);
          return { result: uniqueProperties(type).find((u) => u.attributes[0] === formatAttributePath(parseAttributePath(path, 'property'))) ?? null };
        }
        throw invalidArgument('property', 'type must be "rule" or "unique"');
      },
    },
    {
      name: '/entityType.removeProperty',
      async run(call) {
        const uuid = requireParam(call.params, 'uuid');
        const svc = service(call);
        if (uuid.startsWith(UNIQUE_PROPERTY)) {
          const path = uuid.slice(UNIQUE_PROPERTY.length);
          const def = findDef(await svc.view(appOf(call), typeName(call)), path);
          if (!def) throw invalidArgument('uuid', `no property ${uuid}`);
          await svc.setAttributeConstraints(actorOf(call), typeName(call), path, (def.constraints ?? []).filter((c) => c !== 'unique'));
          return {};
        }
        await svc.removeRule(actorOf(call), typeName(call), uuid);
        return {};
      },
    },
    {
      name: '/entityType.getAccessSchema',
      async run(call) {
        // Any of the five may read its own access schemas; naming another client needs owner.
        const forClient = call.params.get('for_client_id') || call.client.record.clientId;
        if (forClient !== call.client.record.clientId && !call.client.features.has('owner')) throw clientPermissionError();
        const { type, paths } = await service(call).getAccessSchema(appOf(call), typeName(call), forClient, accessTypeParam(call.params));
        const attrDefs = paths === null ? type.attrDefs : new AccessSchema(paths).pruneDefinitions(type.attrDefs);
        return { schema: { attr_defs: attrDefs, name: type.name } };
      },
    },
    {
      name: '/entityType.setAccessSchema',
      async run(call) {
        const forClient = requireParam(call.params, 'for_client_id');
        const accessType = accessTypeParam(call.params);
        const { type, paths, notice } = await service(call).setAccessSchema(actorOf(call), typeName(call), forClient, accessType, requireJson(call.params, 'attributes'));
        return { schema: { attr_defs: new AccessSchema(paths).pruneDefinitions(type.attrDefs), name: type.name }, ...(notice ? { notice } : {}) };
      },
    },
    {
      name: '/entityType.deleteAccessSchema',
      async run(call) {
        await service(call).deleteAccessSchema(actorOf(call), typeName(call), requireParam(call.params, 'for_client_id'), accessTypeParam(call.params));
        return { result: 'access schema was deleted.' };
      },
    },
  ];
}

/** The definition at a caller's attribute path (slash or dot form), if there is one. */
function findDef(type: EntityType, path: string): AttributeDefinition | null {
  return findAttribute(type.attrDefs, parseAttributePath(path, 'property'));
}

async function findTypeWithRule(svc: EntityTypeService, applicationId: string, uuid: string): Promise<string> {
  for (const name of await svc.list(applicationId)) if ((await svc.view(applicationId, name)).rules.some((r) => r.uuid === uuid)) return name;
  throw new DataError(200, `uuid was not valid for the following reason: no rule ${uuid}`, undefined, 'uuid');
}
