// A checked filter evaluated on one stored record in memory: the reference semantics the SQL
// compiler (src/store/filter-sql.ts) must agree with, which the property tests hold it to.
// A comparison with a missing or null value is false; `not` negates that; a condition under a
// plural holds when any element satisfies it.
import { foldCase, type Condition, type Scalar, type Target } from './check.js';

export interface StoredRecord {
  id: number;
  uuid: string;
  /** stored timestamp form, like the columns */
  created: string;
  lastUpdated: string;
  document: Record<string, unknown>;
}

/** Text order of both databases (SQLite BINARY, PostgreSQL "C"): by Unicode code point. */
export function compareText(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i += 1) {
    const x = a.codePointAt(i) ?? 0;
    const y = b.codePointAt(i) ?? 0;
    if (x !== y) return x < y ? -1 : 1;
    if (x > 0xffff) i += 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

function child(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>)[name] : undefined;
}

const follow = (value: unknown, names: readonly string[]): unknown => names.reduce(child, value);

/** Every value the target reaches in the record (one, or one per element of the plurals crossed). */
function valuesOf(target: Target, record: StoredRecord): unknown[] {
  if (target.kind === 'column') return [record[target.column]];
  let bases: unknown[] = [record.document];
  for (const hop of target.plurals) {
    bases = bases.flatMap((b) => {
      const elements = follow(b, hop);
      return Array.isArray(elements) ? (elements as unknown[]) : [];
    });
  }
  return bases.map((b) => follow(b, target.names));
}

function compare(target: Target, op: string, actual: unknown, expected: Scalar): boolean {
  if (actual === null || actual === undefined) return false;
  let order: number;
  if (target.valueKind === 'number') {
    if (typeof actual !== 'number' || typeof expected !== 'number') return false;
    order = actual === expected ? 0 : actual < expected ? -1 : 1;
  } else if (target.valueKind === 'boolean') {
    if (typeof actual !== 'boolean') return false;
    order = actual === expected ? 0 : 1;
  } else {
    if (typeof actual !== 'string' || typeof expected !== 'string') return false;
    order = compareText(target.kind === 'document' && target.caseInsensitive ? foldCase(actual) : actual, expected);
  }
  switch (op) {
    case '=':
      return order === 0;
    case '!=':
      return order !== 0;
    case '<':
      return order < 0;
    case '<=':
      return order <= 0;
    case '>':
      return order > 0;
    default:
      return order >= 0;
  }
}

export function evaluateFilter(condition: Condition, record: StoredRecord): boolean {
  switch (condition.kind) {
    case 'and':
      return condition.items.every((c) => evaluateFilter(c, record));
    case 'or':
      return condition.items.some((c) => evaluateFilter(c, record));
    case 'not':
      return !evaluateFilter(condition.item, record);
    case 'isNull':
      return valuesOf(condition.target, record).some((v) => (v === null || v === undefined) !== condition.negated);
    case 'compare':
      return valuesOf(condition.target, record).some((v) => compare(condition.target, condition.op, v, condition.value));
  }
}
