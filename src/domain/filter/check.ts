// Checking a parsed filter against an entity type (spec capture-api §4): every path must name an
// attribute that holds one comparable value, every literal must fit that attribute's type, and the
// result is a typed condition whose values are already in their stored form (so storage compares
// like with like). Pure: no I/O. Problems are DataError 200 on the `filter` argument.
import { PLURAL_ELEMENT_ID, RESERVED_ATTRIBUTE_NAMES, type AttributeDefinition } from '../schema/attribute-definition.js';
import { DataError } from '../schema/data-error.js';
import { normalizeValue, recordToStoredTimestamp } from '../schema/values.js';
import type { CompareOp, FilterNode, LiteralNode, PathNode } from './ast.js';

/** How a value compares: text in code point order, numbers by value, booleans for (in)equality only. */
export type ValueKind = 'text' | 'number' | 'boolean';

/** A reserved attribute, stored in its own column (`created`/`lastUpdated` in the stored timestamp form). */
export type ColumnName = 'id' | 'uuid' | 'created' | 'lastUpdated';

export type Target =
  | { kind: 'column'; column: ColumnName; valueKind: ValueKind; path: string }
  | {
      kind: 'document';
      /** Plurals crossed on the way, each path relative to the previous plural's element (the first from the document root). */
      plurals: string[][];
      /** From the last plural's element (or the document root) to the value. */
      names: string[];
      valueKind: ValueKind;
      /** Compared with ASCII letters folded (the attribute is not case-sensitive). */
      caseInsensitive: boolean;
      /** Slash form, for messages. */
      path: string;
    };

export type Scalar = string | number | boolean;

export type Condition =
  | { kind: 'and' | 'or'; items: Condition[] }
  | { kind: 'not'; item: Condition }
  | { kind: 'compare'; target: Target; op: CompareOp; value: Scalar }
  | { kind: 'isNull'; target: Target; negated: boolean };

export function filterError(reason: string, argument: 'filter' | 'sort_on' = 'filter'): DataError {
  return new DataError(200, `${argument} was not valid for the following reason: ${reason}`, undefined, argument);
}

/** ASCII-only lower case: what SQLite's lower() and PostgreSQL's lower() under the C collation do. */
export function foldCase(text: string): string {
  return text.replace(/[A-Z]+/g, (s) => s.toLowerCase());
}

const COLUMNS: Record<ColumnName, ValueKind> = { id: 'number', uuid: 'text', created: 'text', lastUpdated: 'text' };
const FLIPPED: Record<CompareOp, CompareOp> = { '=': '=', '!=': '!=', '<': '>', '<=': '>=', '>': '<', '>=': '<=' };

const show = (path: PathNode): string => path.names.join('.');

/** The attribute a filter path names, with how it is stored and compared. */
export function resolveTarget(attrDefs: readonly AttributeDefinition[], names: readonly string[], purpose: 'filter' | 'sort'): { target: Target; def: AttributeDefinition } {
  const dotted = names.join('.');
  const fail = (reason: string): DataError => filterError(reason, purpose === 'sort' ? 'sort_on' : 'filter');
  const first = names[0];
  if (names.length === 1 && first !== undefined && RESERVED_ATTRIBUTE_NAMES.has(first)) {
    const def = attrDefs.find((d) => d.name === first) ?? { name: first, type: 'id' as const };
    return { def, target: { kind: 'column', column: first as ColumnName, valueKind: COLUMNS[first as ColumnName], path: `/${first}` } };
  }
  const plurals: string[][] = [];
  let hop: string[] = [];
  let defs: readonly AttributeDefinition[] = attrDefs;
  let parent: AttributeDefinition | null = null;
  let def: AttributeDefinition | undefined;
  for (const [i, name] of names.entries()) {
    def = defs.find((d) => d.name === name);
    if (def === undefined && parent?.type === 'plural' && name === PLURAL_ELEMENT_ID && i === names.length - 1) def = { name, type: 'id' };
    if (def === undefined || (i > 0 && parent?.type !== 'object' && parent?.type !== 'plural')) throw fail(`Unknown attribute (${dotted})`);
    if (i === 0 && RESERVED_ATTRIBUTE_NAMES.has(name)) throw fail(`Unknown attribute (${dotted})`);
    hop.push(name);
    if (def.type === 'plural' && i < names.length - 1) {
      plurals.push(hop);
      hop = [];
    }
    parent = def;
    defs = def.attr_defs ?? [];
  }
  if (def === undefined) throw fail('a filter path needs at least one attribute name');
  const path = `/${names.join('/')}`;
  if (def.type === 'password') throw fail(`${dotted} is a password attribute; records cannot be searched by password`);
  if (def.type === 'object' || def.type === 'plural') throw fail(`${dotted} is ${def.type === 'object' ? 'an object' : 'a plural'}; ${purpose === 'sort' ? 'sort' : 'filter'} on one of its attributes instead, e.g. ${dotted}.${def.attr_defs?.[0]?.name ?? 'name'}`);
  if (purpose === 'sort' && plurals.length > 0) throw fail(`${dotted} is inside a plural; records cannot be sorted by it`);
  if (def.type === 'json' && purpose === 'sort') throw fail(`${dotted} is a json attribute; records cannot be sorted by it`);
  const valueKind: ValueKind = def.type === 'boolean' ? 'boolean' : def.type === 'integer' || def.type === 'decimal' || def.type === 'id' ? 'number' : 'text';
  const caseInsensitive = def.type === 'string' && def['case-sensitive'] !== true;
  return { def, target: { kind: 'document', plurals, names: hop, valueKind, caseInsensitive, path } };
}

/** The literal in the stored form of the attribute it is compared with. */
function literalValue(def: AttributeDefinition, target: Target, literal: LiteralNode, path: PathNode, now: Date): Scalar {
  const where = `the value for ${show(path)}`;
  const text = literal.kind === 'string' ? literal.value : literal.kind === 'number' ? literal.text : null;
  if (target.valueKind === 'boolean') {
    if (literal.kind === 'boolean') return literal.value;
    if (text === 'true' || text === 'false') return text === 'true';
    throw filterError(`${where} must be true or false`);
  }
  if (text === null) throw filterError(`${where} must be ${target.valueKind === 'number' ? 'a number' : 'a quoted string'}, not ${String(literal.kind === 'boolean' && literal.value)}`);
  if (target.valueKind === 'number') {
    const n = /^\s*-?\d+(\.\d+)?\s*$/.test(text) ? Number(text) : NaN;
    if (!Number.isFinite(n)) throw filterError(`${where} must be a number, not ${JSON.stringify(text)}`);
    // Ids and integer attributes are compared with whole numbers (PostgreSQL's bigint id column takes no other).
    if ((def.type === 'integer' || def.type === 'id') && !Number.isSafeInteger(n)) throw filterError(`${where} must be a whole number, not ${text}`);
    return n;
  }
  if (target.kind === 'column') {
    if (target.column === 'uuid') return text.toLowerCase();
    const stored = recordToStoredTimestamp(text);
    if (stored === null) throw filterError(`${where} must be a timestamp such as '2016-01-01' or '2016-03-13 19:39:17.856608 +0000', not ${JSON.stringify(text)}`);
    return stored;
  }
  if (def.type === 'string') return target.caseInsensitive ? foldCase(text) : text;
  try {
    const stored = normalizeValue(def, text, target.path, now);
    return typeof stored === 'string' ? stored : text;
  } catch (err) {
    if (err instanceof DataError) throw filterError(`${where}: ${err.message.replace(/^\/\S*: /, '')}`);
    throw err;
  }
}

function isLiteral(node: FilterNode): node is LiteralNode {
  return node.kind === 'string' || node.kind === 'number' || node.kind === 'boolean';
}

/**
 * Checks a parsed filter against an entity type's attr_defs and returns the typed condition. `now`
 * anchors relative timestamps (`'today'`, `'now'`).
 */
export function checkFilter(node: FilterNode, attrDefs: readonly AttributeDefinition[], now: Date = new Date()): Condition {
  const condition = (n: FilterNode): Condition => {
    switch (n.kind) {
      case 'and':
      case 'or':
        return { kind: n.kind, items: n.items.map(condition) };
      case 'not':
        return { kind: 'not', item: condition(n.operand) };
      case 'isNull': {
        if (n.operand.kind !== 'path') throw filterError('is null and is not null apply to an attribute, e.g. birthday is not null');
        return { kind: 'isNull', target: resolveTarget(attrDefs, n.operand.names, 'filter').target, negated: n.negated };
      }
      case 'path': {
        const { target } = resolveTarget(attrDefs, n.names, 'filter');
        if (target.valueKind !== 'boolean') throw filterError(`${show(n)} is not a boolean attribute; compare it with a value, e.g. ${show(n)} = 'x'`);
        return { kind: 'compare', target, op: '=', value: true };
      }
      case 'compare': {
        const pathFirst = n.left.kind === 'path' && isLiteral(n.right);
        const literalFirst = isLiteral(n.left) && n.right.kind === 'path';
        if (!pathFirst && !literalFirst) {
          const hint = n.left.kind === 'not' ? '; not applies to what follows it, so write not (a > 1)' : '';
          throw filterError(`a comparison needs an attribute on one side and a value on the other${hint}`);
        }
        const path = (pathFirst ? n.left : n.right) as PathNode;
        const literal = (pathFirst ? n.right : n.left) as LiteralNode;
        const op = pathFirst ? n.op : FLIPPED[n.op];
        const { target, def } = resolveTarget(attrDefs, path.names, 'filter');
        if (def.type === 'json') throw filterError(`${show(path)} is a json attribute; it can only be tested with is null or is not null`);
        if (target.valueKind === 'boolean' && op !== '=' && op !== '!=') throw filterError(`${show(path)} is a boolean attribute; compare it with = or !=`);
        return { kind: 'compare', target, op, value: literalValue(def, target, literal, path, now) };
      }
      default:
        throw filterError(`a filter condition needs an attribute, e.g. email = 'a@example.com'; found the value ${n.kind === 'string' ? `'${n.value}'` : n.kind === 'number' ? n.text : String(n.value)} alone`);
    }
  };
  return condition(node);
}
