// A checked filter (src/domain/filter/check.ts) as SQL over entity rows, for SQLite and PostgreSQL.
// Semantics are those of src/domain/filter/evaluate.ts: a comparison with a missing value is false
// (SQL's unknown, folded to false wherever `not` could turn it into true), and a condition under a
// plural is an EXISTS over the plural's elements. Top-level comparisons use the same expressions as
// the per-attribute indexes (entity-indexes.ts), so an indexed attribute's condition uses its index.
import { sql, type RawBuilder, type SqlBool } from 'kysely';
import type { ColumnName, Condition, Target } from '../domain/filter/check.js';
import type { Engine } from './database.js';
import { documentBase, expressionValue, safeNames, valueExpression, type ExpressionKind } from './entity-indexes.js';

const COLUMN_SQL: Record<ColumnName, string> = { id: 'id', uuid: 'uuid', created: 'created', lastUpdated: 'last_updated' };
const OPERATOR_SQL = { '=': '=', '!=': '<>', '<': '<', '<=': '<=', '>': '>', '>=': '>=' } as const;

function kindOf(target: Target): ExpressionKind {
  if (target.kind === 'document' && target.valueKind === 'text') return target.caseInsensitive ? 'text-ci' : 'text';
  return target.valueKind;
}

/** Compiles a checked filter to a boolean SQL expression over `entities` (never NULL at a `not`). */
export function filterSql(engine: Engine, condition: Condition): RawBuilder<SqlBool> {
  let aliases = 0;

  /** `leaf` is the test on one value expression; plurals on the way become nested EXISTS. */
  const atTarget = (target: Target, leaf: (expr: RawBuilder<unknown>) => RawBuilder<SqlBool>, ordered: boolean): RawBuilder<SqlBool> => {
    if (target.kind === 'column') return leaf(columnSql(engine, target.column, ordered));
    const nest = (base: string, hops: readonly string[][]): RawBuilder<SqlBool> => {
      const [hop, ...rest] = hops;
      if (hop === undefined) return leaf(sql.raw(valueExpression(engine, base, target.names, kindOf(target))));
      const alias = `p${aliases++}`;
      const path = safeNames(hop);
      if (engine === 'sqlite') {
        const elements = sql.raw(`json_each(${base}, '$.${path.join('.')}') as ${alias}`);
        return sql<SqlBool>`exists (select 1 from ${elements} where ${nest(`${alias}.value`, rest)})`;
      }
      const elements = sql.raw(`jsonb_array_elements(${base} #> '{${path.join(',')}}') as ${alias}(v)`);
      return sql<SqlBool>`exists (select 1 from ${elements} where ${nest(`${alias}.v`, rest)})`;
    };
    return nest(documentBase(engine), target.plurals);
  };

  const compile = (c: Condition): RawBuilder<SqlBool> => {
    switch (c.kind) {
      case 'and':
      case 'or':
        return sql<SqlBool>`(${sql.join(c.items.map(compile), sql.raw(` ${c.kind} `))})`;
      case 'not':
        // Unknown (a missing value) is false before it is negated: `not (age > 5)` holds when age is unset.
        return sql<SqlBool>`(${compile(c.item)}) is not true`;
      case 'isNull':
        return atTarget(c.target, (expr) => sql<SqlBool>`${expr} ${sql.raw(c.negated ? 'is not null' : 'is null')}`, false);
      case 'compare': {
        const value = expressionValue(engine, c.value, kindOf(c.target));
        return atTarget(c.target, (expr) => sql<SqlBool>`${expr} ${sql.raw(OPERATOR_SQL[c.op])} ${value}`, c.op !== '=' && c.op !== '!=');
      }
    }
  };
  return compile(condition);
}

/**
 * A reserved attribute's column. Text columns are put in code point order on PostgreSQL (SQLite's
 * BINARY already is): created and last_updated always (their indexes are built so), uuid only where
 * order matters (its unique index serves equality).
 */
function columnSql(engine: Engine, column: ColumnName, ordered: boolean): RawBuilder<unknown> {
  const name = sql.raw(COLUMN_SQL[column]);
  const collate = engine === 'postgres' && (column === 'created' || column === 'lastUpdated' || (column === 'uuid' && ordered));
  return collate ? sql`(${name} collate "C")` : name;
}

export interface SortKey {
  target: Target;
  descending: boolean;
}

/**
 * ORDER BY terms for `sort_on`: nulls sort as the smallest value on both engines (SQLite's own order;
 * PostgreSQL is told so, and its per-attribute indexes are built that way). Record id breaks ties, so
 * pages never overlap.
 */
export function sortSql(engine: Engine, keys: readonly SortKey[]): RawBuilder<unknown>[] {
  const terms = keys.map(({ target, descending }) => {
    const direction = descending ? 'desc' : 'asc';
    if (target.kind === 'column') return sql`${columnSql(engine, target.column, true)} ${sql.raw(direction)}`;
    const expr = sql.raw(valueExpression(engine, documentBase(engine), target.names, kindOf(target)));
    const nulls = engine === 'postgres' ? (descending ? ' nulls last' : ' nulls first') : '';
    return sql`${expr} ${sql.raw(direction + nulls)}`;
  });
  if (!keys.some((k) => k.target.kind === 'column' && k.target.column === 'id')) terms.push(sql`id asc`);
  return terms;
}

/**
 * The values filterSql binds, in the order it binds them (one per comparison, depth first): what a
 * statement kept for the filter's shape (filterShape) is run with.
 */
export function filterValues(engine: Engine, condition: Condition, into: unknown[] = []): unknown[] {
  switch (condition.kind) {
    case 'and':
    case 'or':
      for (const item of condition.items) filterValues(engine, item, into);
      break;
    case 'not':
      filterValues(engine, condition.item, into);
      break;
    case 'compare':
      into.push(expressionValue(engine, condition.value, kindOf(condition.target)));
      break;
    case 'isNull':
      break;
  }
  return into;
}

/**
 * Everything filterSql's text depends on, with the values left out: two filters of the same shape
 * compile to the same SQL and differ only in the values bound (`email = 'a'` and `email = 'b'`).
 */
export function filterShape(condition: Condition): string {
  switch (condition.kind) {
    case 'and':
    case 'or':
      return `${condition.kind}(${condition.items.map(filterShape).join(',')})`;
    case 'not':
      return `not(${filterShape(condition.item)})`;
    case 'isNull':
      return `${condition.negated ? 'notnull' : 'null'}(${targetShape(condition.target)})`;
    case 'compare':
      return `${condition.op}${typeof condition.value}(${targetShape(condition.target)})`;
  }
}

/**
 * What a target's SQL depends on. Attribute names are [A-Za-z0-9_] (safeNames refuses anything else),
 * so `.` and `>` separate them unambiguously, and a document target (always with `>`) never reads
 * as a column name.
 */
function targetShape(t: Target): string {
  if (t.kind === 'column') return t.column;
  return `${t.plurals.map((p) => p.join('.')).join('>')}>${t.names.join('.')}:${kindOf(t)}`;
}

/** What sortSql's text depends on (it binds no values). */
export function sortShape(keys: readonly SortKey[]): string {
  return keys.map((k) => `${k.descending ? '-' : '+'}${targetShape(k.target)}`).join(',');
}
