// Entity API (spec capture-api §3.1, §3.4, §3.6–§3.9): reading and writing one record, by client
// credentials (with a selector) or by a user access token (bound to its own record).
import type { PathSegment } from '../../domain/schema/paths.js';
import { parseAttributePath } from '../../domain/schema/paths.js';
import { EntityService, type EntityCaller, type Guards, type RecordRef } from '../../services/entities.js';
import type { LoadedEntityType } from '../../services/entity-type-directory.js';
import { booleanParam } from './entity-types.js';
import { clientPermissionError, missingArgument } from './errors.js';
import type { RegistrationCall, RegistrationOperation } from './operation.js';
import { jsonParam, type Params } from './params.js';

export function callerOf(call: RegistrationCall): EntityCaller {
  return {
    applicationId: call.client.record.applicationId,
    clientId: call.client.record.clientId,
    features: call.client.features,
    withToken: call.user !== null || call.creation !== null,
  };
}

/** The record: a token's own (selectors ignored, spec §1.4), else the one the selector names. */
export function recordRef(call: RegistrationCall): RecordRef {
  if (call.user) return { kind: 'bound', entityId: call.user.entityId };
  const p = call.params;
  return { kind: 'selector', uuid: p.get('uuid'), id: p.get('id'), keyAttribute: p.get('key_attribute'), keyValue: p.get('key_value') };
}

export async function entityTypeOf(service: EntityService, call: RegistrationCall): Promise<LoadedEntityType> {
  return service.entityType(call.client.record.applicationId, call.user ? call.user.typeName : call.params.get('type_name'));
}

function guardsOf(p: Params): Guards {
  // The Mule connector spells it last_updated.
  return { created: p.get('created') || undefined, lastUpdated: p.get('lastUpdated') || p.get('last_updated') || undefined };
}

function pathParam(p: Params, name: string): PathSegment[] | null {
  const text = p.get(name);
  return text === undefined || text === '' ? null : parseAttributePath(text, name);
}

/** entity.update / entity.replace: `attributes`, or the older `value`. */
function writeInput(p: Params): unknown {
  if (p.has('attributes')) return jsonParam(p, 'attributes');
  if (p.has('value')) return jsonParam(p, 'value');
  throw missingArgument('attributes');
}

const service = (call: RegistrationCall): EntityService => new EntityService(call.ctx);

export function entityOperations(): RegistrationOperation[] {
  const write = (kind: 'update' | 'replace'): RegistrationOperation => ({
    name: `/entity.${kind}`,
    async run(call) {
      const svc = service(call);
      const loaded = await entityTypeOf(svc, call);
      const input = writeInput(call.params);
      const at = pathParam(call.params, 'attribute_name') ?? [];
      const result = await svc.write(kind, callerOf(call), loaded, recordRef(call), input, at, guardsOf(call.params), booleanParam(call.params, 'include_record'));
      return result === undefined ? {} : { result };
    },
  });
  return [
    {
      name: '/entity',
      async run(call) {
        const svc = service(call);
        const loaded = await entityTypeOf(svc, call);
        const p = call.params;
        const passwordAttribute = p.get('password_attribute');
        const passwordValue = p.get('password_value');
        if (passwordAttribute !== undefined && passwordValue === undefined) throw missingArgument('password_value');
        const result = await svc.get(callerOf(call), loaded, recordRef(call), {
          attributes: p.has('attributes') ? jsonParam(p, 'attributes') : undefined,
          attributeName: p.get('attribute_name') || undefined,
          password: passwordValue === undefined ? undefined : { attribute: passwordAttribute ?? 'password', value: passwordValue },
          guards: guardsOf(p),
        });
        return { result };
      },
    },
    {
      name: '/entity.create',
      async run(call) {
        const svc = service(call);
        const p = call.params;
        const loaded = await svc.entityType(call.client.record.applicationId, p.get('type_name') || (call.creation ? String(call.creation.data.type_name) : undefined));
        if (!p.has('attributes')) throw missingArgument('attributes');
        const attributes = jsonParam(p, 'attributes');
        const includeRecord = booleanParam(p, 'include_record');
        const creation = call.creation;
        if (creation === null) {
          const { id, uuid, record } = await svc.create(callerOf(call), loaded, attributes, includeRecord);
          return { id, uuid, ...(record ? { result: record } : {}) };
        }
        if (creation.entityTypeId !== loaded.type.id) throw clientPermissionError();
        // The creation token is used up in the same transaction that creates the record.
        const token = p.get('creation_token') ?? '';
        const { id, uuid, record } = await svc.create(callerOf(call), loaded, attributes, includeRecord, async (trx) => {
          await call.ctx.userTokens.redeem('creation_token', token, trx);
        });
        return { id, uuid, ...(record ? { result: record } : {}) };
      },
    },
    write('update'),
    write('replace'),
    {
      name: '/entity.delete',
      async run(call) {
        const svc = service(call);
        const loaded = await entityTypeOf(svc, call);
        await svc.delete(callerOf(call), loaded, recordRef(call), pathParam(call.params, 'attribute_name'), guardsOf(call.params));
        return {};
      },
    },
    {
      name: '/entity.deleteAccess',
      async run(call) {
        // A login_client acts for the signed-in user only (seed 000): it must use that user's token.
        const privileged = ['owner', 'access_issuer', 'direct_access'] as const;
        if (call.user === null && !privileged.some((f) => call.client.features.has(f))) throw clientPermissionError();
        const svc = service(call);
        const loaded = await entityTypeOf(svc, call);
        const row = await svc.findRecord(loaded, recordRef(call));
        await call.ctx.userTokens.revokeAll(row.id);
        return {};
      },
    },
  ];
}
