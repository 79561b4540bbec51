// Many records at once (spec capture-api §3.2, §3.3, §3.5, §3.10): entity.find, entity.count,
// entity.bulkCreate, entity.bulkDelete, entity.purge, and the records and schemas of earlier times.
import { EntityBulkService, type BulkOutcome } from '../../services/entity-bulk.js';
import { DEFAULT_MAX_RESULTS, EntitySearchService, MAX_RESULTS_LIMIT, MAX_TIMEOUT_SECONDS } from '../../services/entity-search.js';
import { EntityService } from '../../services/entities.js';
import { asOfTimestamp, entityAsOf, entityTypeAsOf } from '../../services/entity-versions.js';
import { callerOf, entityTypeOf, recordRef } from './entities.js';
import { booleanParam } from './entity-types.js';
import { invalidArgument, missingArgument } from './errors.js';
import { asRegistrationError, type RegistrationCall, type RegistrationOperation } from './operation.js';
import { jsonParam, type Params } from './params.js';

/** A whole-number argument within bounds; `fallback` when absent. */
function integerParam(p: Params, name: string, fallback: number, min: number, max: number): number {
  const text = p.get(name);
  if (text === undefined || text === '') return fallback;
  const n = /^-?\d{1,15}$/.test(text.trim()) ? Number(text.trim()) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw invalidArgument(name, `must be a whole number from ${min} to ${max}`);
  return n;
}

const timeoutOf = (p: Params): number => integerParam(p, 'timeout', MAX_TIMEOUT_SECONDS, 1, MAX_TIMEOUT_SECONDS);

function services(call: RegistrationCall): { entities: EntityService; search: EntitySearchService; bulk: EntityBulkService } {
  const entities = new EntityService(call.ctx);
  const search = new EntitySearchService(call.ctx, entities);
  return { entities, search, bulk: new EntityBulkService(call.ctx, entities, search) };
}

/** A per-record failure inside a bulk answer: the full error object, in both arrays (spec §3.5). */
function outcomeBodies(outcomes: readonly BulkOutcome[]): { results: unknown[]; uuid_results: unknown[] } {
  const results: unknown[] = [];
  const uuids: unknown[] = [];
  for (const o of outcomes) {
    if ('error' in o) {
      const e = asRegistrationError(o.error);
      const body = { code: e.code, error: e.error, error_description: e.description, ...e.extra, stat: 'error' };
      results.push(body);
      uuids.push(body);
    } else {
      results.push(o.id);
      uuids.push(o.uuid);
    }
  }
  return { results, uuid_results: uuids };
}

export function entitySearchOperations(): RegistrationOperation[] {
  return [
    {
      name: '/entity.find',
      async run(call) {
        const { entities, search } = services(call);
        const loaded = await entityTypeOf(entities, call);
        const p = call.params;
        const { results, totalCount } = await search.find(callerOf(call), loaded, {
          filter: p.get('filter'),
          sortOn: p.has('sort_on') && p.get('sort_on') !== '' ? jsonParam(p, 'sort_on') : undefined,
          firstResult: integerParam(p, 'first_result', 1, 1, Number.MAX_SAFE_INTEGER),
          maxResults: integerParam(p, 'max_results', DEFAULT_MAX_RESULTS, 1, MAX_RESULTS_LIMIT),
          showTotalCount: booleanParam(p, 'show_total_count'),
          attributes: p.has('attributes') ? jsonParam(p, 'attributes') : undefined,
          timeoutSeconds: timeoutOf(p),
        });
        return { result_count: results.length, results, ...(totalCount === undefined ? {} : { total_count: totalCount }) };
      },
    },
    {
      name: '/entity.count',
      async run(call) {
        const { entities, search } = services(call);
        const loaded = await entityTypeOf(entities, call);
        return { total_count: await search.count(callerOf(call), loaded, call.params.get('filter'), timeoutOf(call.params)) };
      },
    },
    {
      name: '/entity.bulkCreate',
      async run(call) {
        const { entities, bulk } = services(call);
        const loaded = await entityTypeOf(entities, call);
        const p = call.params;
        if (!p.has('all_attributes') || p.get('all_attributes') === '') throw missingArgument('all_attributes');
        // commit_each defaults to true: one bad record of an import must not cost the others.
        const commitEach = p.has('commit_each') && p.get('commit_each') !== '' ? booleanParam(p, 'commit_each') : true;
        return outcomeBodies(await bulk.bulkCreate(callerOf(call), loaded, jsonParam(p, 'all_attributes'), commitEach));
      },
    },
    {
      name: '/entity.bulkDelete',
      async run(call) {
        const { entities, bulk } = services(call);
        const loaded = await entityTypeOf(entities, call);
        const p = call.params;
        const filter = p.get('filter');
        if (filter === undefined || filter.trim() === '') throw missingArgument('filter');
        return { delete_count: await bulk.bulkDelete(callerOf(call), loaded, filter, booleanParam(p, 'commit'), timeoutOf(p)) };
      },
    },
    {
      name: '/entity.purge',
      async run(call) {
        const { entities, bulk } = services(call);
        const loaded = await entityTypeOf(entities, call);
        if (!booleanParam(call.params, 'commit')) throw invalidArgument('commit', 'must be true: entity.purge deletes every record of the entity type');
        await bulk.bulkDelete(callerOf(call), loaded, undefined, true, MAX_TIMEOUT_SECONDS);
        return {};
      },
    },
    {
      name: '/versions/entity',
      async run(call) {
        const { entities } = services(call);
        const loaded = await entityTypeOf(entities, call);
        const at = asOfTimestamp(call.params.get('timestamp'));
        return entityAsOf(call.ctx, entities, callerOf(call), loaded, recordRef(call), at, booleanParam(call.params, 'include_schema'));
      },
    },
    {
      name: '/versions/entityType',
      async run(call) {
        const { entities } = services(call);
        const loaded = await entityTypeOf(entities, call);
        const type = await entityTypeAsOf(call.ctx, loaded.type, asOfTimestamp(call.params.get('timestamp')));
        return { schema: { attr_defs: type.attrDefs, name: type.name } };
      },
    },
  ];
}
