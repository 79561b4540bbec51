// Searching records (spec capture-api §3.2, §3.3, §4): a filter checked against the entity type and
// the caller's read access schema, compiled to SQL, run with a deadline; every result leaves through
// presentWith like any other record read.
import type { AccessSchema } from '../domain/access-schema.js';
import { parseFilter } from '../domain/filter/parse.js';
import { checkFilter, resolveTarget, type Condition, type Target } from '../domain/filter/check.js';
import { DataError } from '../domain/schema/data-error.js';
import { parseAttributePath } from '../domain/schema/paths.js';
import { getAt, setAt, type Doc } from '../domain/schema/record.js';
import type { AttributeDefinition } from '../domain/schema/attribute-definition.js';
import { QueryTimeout } from '../store/database.js';
import type { SortKey } from '../store/filter-sql.js';
import { countEntities, searchEntities, type EntitySearch } from '../store/repositories/entities.js';
import { invalid, presentWith, type EntityCaller, type EntityContext, type EntityService } from './entities.js';
import type { LoadedEntityType } from './entity-type-directory.js';

/** entity.find limits (spec §3.2): max_results at most 10000; the default page is 100 records. */
export const MAX_RESULTS_LIMIT = 10_000;
export const DEFAULT_MAX_RESULTS = 100;
/** `timeout` in seconds: at most 60 (spec §3.2), and 60 when not given. */
export const MAX_TIMEOUT_SECONDS = 60;

export interface FindRequest {
  filter?: string | undefined;
  /** parsed sort_on: a JSON array of attribute names, `-name` for descending; undefined = by id */
  sortOn?: unknown;
  firstResult: number;
  maxResults: number;
  showTotalCount: boolean;
  attributes?: unknown;
  timeoutSeconds: number;
}

function targetsOf(c: Condition): Target[] {
  switch (c.kind) {
    case 'and':
    case 'or':
      return c.items.flatMap(targetsOf);
    case 'not':
      return targetsOf(c.item);
    default:
      return [c.target];
  }
}

export class EntitySearchService {
  constructor(
    private readonly ctx: EntityContext,
    private readonly entities: EntityService,
  ) {}

  /**
   * A filter checked against the type, or null for none. Least privilege: a client may only search
   * and sort by attributes its read access schema lets it see (otherwise a search would tell it values
   * it cannot read).
   */
  async condition(caller: EntityCaller, loaded: LoadedEntityType, filter: string | undefined): Promise<Condition | null> {
    if (filter === undefined || filter.trim() === '') return null;
    return checkedCondition(loaded, filter, await this.entities.readSchema(caller, loaded));
  }

  async find(caller: EntityCaller, loaded: LoadedEntityType, req: FindRequest): Promise<{ results: Doc[]; totalCount?: number }> {
    // One schema lookup serves the filter, the sort and the results.
    const schema = await this.entities.readSchema(caller, loaded);
    const condition = checkedCondition(loaded, req.filter, schema);
    const order = sortKeys(loaded, req.sortOn, schema);
    const search: EntitySearch = {
      entityTypeId: loaded.type.id,
      condition,
      order,
      limit: req.maxResults,
      offset: req.firstResult - 1,
      deadline: Date.now() + req.timeoutSeconds * 1000,
    };
    const rows = await this.timed(req.timeoutSeconds, () => searchEntities(this.ctx.store, search));
    const pick = req.attributes === undefined ? null : this.entities.picker(loaded, req.attributes);
    const records = presentWith(loaded, rows, schema);
    const results = pick === null ? records : records.map(pick);
    if (!req.showTotalCount) return { results };
    const totalCount = await this.timed(req.timeoutSeconds, () => countEntities(this.ctx.store, { ...search, deadline: Date.now() + req.timeoutSeconds * 1000 }));
    return { results, totalCount };
  }

  async count(caller: EntityCaller, loaded: LoadedEntityType, filter: string | undefined, timeoutSeconds: number): Promise<number> {
    const condition = await this.condition(caller, loaded, filter);
    return this.countWhere(loaded, condition, timeoutSeconds);
  }

  /** How many records of the type a checked filter matches. */
  countWhere(loaded: LoadedEntityType, condition: Condition | null, timeoutSeconds: number): Promise<number> {
    return this.timed(timeoutSeconds, () => countEntities(this.ctx.store, { entityTypeId: loaded.type.id, condition, deadline: Date.now() + timeoutSeconds * 1000 }));
  }

  /**
   * Every record the filter matches, in id order, a page at a time, starting after `afterId` (export,
   * resumable). Each page is an index-backed `id > last` query, so the cost per page stays flat at
   * any depth. `passwordHashes` puts the stored hashes of top-level and object password attributes in
   * the records (an owner's migration to another instance; entity.bulkCreate takes them back).
   */
  async *scan(caller: EntityCaller, loaded: LoadedEntityType, filter: string | undefined, options: { pageSize: number; afterId?: number; passwordHashes?: boolean; timeoutSeconds?: number }): AsyncGenerator<{ lastId: number; records: Doc[] }> {
    const condition = await this.condition(caller, loaded, filter);
    const idTarget = resolveTarget(loaded.type.attrDefs, ['id'], 'filter').target;
    const passwords = options.passwordHashes ? passwordPaths(loaded.type.attrDefs) : [];
    let lastId = options.afterId ?? 0;
    for (;;) {
      const after: Condition = { kind: 'compare', target: idTarget, op: '>', value: lastId };
      const where: Condition = condition ? { kind: 'and', items: [after, condition] } : after;
      const timeout = options.timeoutSeconds ?? MAX_TIMEOUT_SECONDS;
      const rows = await this.timed(timeout, () =>
        searchEntities(this.ctx.store, { entityTypeId: loaded.type.id, condition: where, order: [{ target: idTarget, descending: false }], limit: options.pageSize, deadline: Date.now() + timeout * 1000 }),
      );
      if (rows.length === 0) return;
      const records = await this.entities.presentAll(loaded, rows, caller);
      for (const [i, row] of rows.entries()) {
        for (const loc of passwords) {
          const hash = getAt(row.document, loc);
          if (typeof hash === 'string') setAt(records[i] as Doc, loc, hash);
        }
      }
      lastId = rows[rows.length - 1]?.id ?? lastId;
      yield { lastId, records };
    }
  }

  /** Runs a query with a deadline; running past it is error 504. */
  async timed<T>(timeoutSeconds: number, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      if (err instanceof QueryTimeout) throw new DataError(504, `the query did not finish within timeout (${timeoutSeconds} seconds); narrow the filter, use an indexed attribute, or allow a longer timeout (at most ${MAX_TIMEOUT_SECONDS})`);
      throw err;
    }
  }
}

/** Refuses targets outside the reader's access schema (null: full access). */
function checkReadable(schema: AccessSchema | null, targets: readonly Target[], argument: string): void {
  if (!schema) return;
  for (const t of targets) {
    if (t.kind === 'document' && !schema.allows(t.path)) throw invalid(argument, `Unknown attribute (${t.path.slice(1).replaceAll('/', '.')}): it is not in this client's read access schema`);
  }
}

/** A filter parsed and checked against the type and the reader's schema, or null for none. */
function checkedCondition(loaded: LoadedEntityType, filter: string | undefined, schema: AccessSchema | null): Condition | null {
  if (filter === undefined || filter.trim() === '') return null;
  const condition = checkFilter(parseFilter(filter), loaded.type.attrDefs);
  checkReadable(schema, targetsOf(condition), 'filter');
  return condition;
}

/** sort_on checked against the type and the reader's schema; by id when not given, null for `[]`. */
function sortKeys(loaded: LoadedEntityType, sortOn: unknown, schema: AccessSchema | null): SortKey[] | null {
  if (sortOn === undefined) return [{ target: resolveTarget(loaded.type.attrDefs, ['id'], 'sort').target, descending: false }];
  if (!Array.isArray(sortOn) || !sortOn.every((s) => typeof s === 'string')) throw invalid('sort_on', 'must be a JSON array of attribute names, e.g. ["-lastUpdated","id"]');
  if (sortOn.length === 0) return null;
  if (sortOn.length > 16) throw invalid('sort_on', 'at most 16 attributes');
  const keys = sortOn.map((entry: string) => {
    const descending = entry.startsWith('-');
    const names = parseAttributePath(descending ? entry.slice(1) : entry, 'sort_on').map((s) => s.name);
    return { target: resolveTarget(loaded.type.attrDefs, names, 'sort').target, descending };
  });
  checkReadable(schema, keys.map((k) => k.target), 'sort_on');
  return keys;
}

/** Locations of password attributes outside plurals (top level and inside objects). */
function passwordPaths(defs: readonly AttributeDefinition[], prefix: string[] = []): string[][] {
  return defs.flatMap((d) => (d.type === 'password' ? [[...prefix, d.name]] : d.type === 'object' ? passwordPaths(d.attr_defs ?? [], [...prefix, d.name]) : []));
}
