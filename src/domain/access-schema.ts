// Access schemas (spec capture-api §5.11–§5.13, seed 000): per API client, entity type and access
// type, the attributes a client may read or write. No schema means full access; there is no
// inheritance between access types. Reads are filtered by `filterRecord` and writes checked by
// `checkWritable` — the entity service calls each from exactly one place.
import type { AttributeDefinition } from './schema/attribute-definition.js';
import { RESERVED_ATTRIBUTE_NAMES } from './schema/attribute-definition.js';
import { DataError } from './schema/data-error.js';
import { findAttribute, formatAttributePath, parseAttributePath } from './schema/paths.js';

export const ACCESS_TYPES = ['read', 'write', 'read_with_token', 'write_with_token'] as const;
export type AccessType = (typeof ACCESS_TYPES)[number];

export function isAccessType(value: unknown): value is AccessType {
  return typeof value === 'string' && (ACCESS_TYPES as readonly string[]).includes(value);
}

/** The access type that applies to a call: reads or writes, with client credentials or a user token. */
export function accessTypeFor(mode: 'read' | 'write', withToken: boolean): AccessType {
  return withToken ? `${mode}_with_token` : mode;
}

const RESERVED_PATHS = [...RESERVED_ATTRIBUTE_NAMES].map((n) => `/${n}`);

export const RESERVED_NOTICE = 'the reserved attributes id, uuid, created and lastUpdated are always part of an access schema; they were added';

/**
 * Checks an `attributes` argument of setAccessSchema against the entity type: a JSON array of
 * attribute paths (slash or dot form), each naming an attribute of the type. Returns the paths in
 * slash form with the reserved ones added, and whether any were added that the caller did not list.
 */
export function parseAccessSchemaAttributes(input: unknown, attrDefs: readonly AttributeDefinition[]): { paths: string[]; addedReserved: boolean } {
  if (!Array.isArray(input)) throw new DataError(200, 'attributes was not valid for the following reason: must be a JSON array of attribute names', undefined, 'attributes');
  const paths: string[] = [];
  for (const item of input as unknown[]) {
    if (typeof item !== 'string') throw new DataError(200, 'attributes was not valid for the following reason: every element must be an attribute name', undefined, 'attributes');
    const segments = parseAttributePath(item, 'attributes');
    if (segments.some((s) => s.elementId !== undefined)) {
      throw new DataError(200, `attributes was not valid for the following reason: ${item} names a plural element; name the attribute instead`, undefined, 'attributes');
    }
    if (findAttribute(attrDefs, segments) === null) throw new DataError(223, `attribute does not exist: ${formatAttributePath(segments)}`, formatAttributePath(segments));
    const path = formatAttributePath(segments);
    if (!paths.includes(path)) paths.push(path);
  }
  const addedReserved = RESERVED_PATHS.some((p) => !paths.includes(p));
  for (const p of RESERVED_PATHS) if (!paths.includes(p)) paths.unshift(p);
  return { paths: sortLike(paths, attrDefs), addedReserved };
}

function sortLike(paths: string[], attrDefs: readonly AttributeDefinition[]): string[] {
  const order: string[] = [];
  const walk = (defs: readonly AttributeDefinition[], prefix: string): void => {
    for (const d of defs) {
      order.push(`${prefix}/${d.name}`);
      if (d.attr_defs) walk(d.attr_defs, `${prefix}/${d.name}`);
    }
  };
  walk(attrDefs, '');
  return [...paths].sort((a, b) => order.indexOf(a) - order.indexOf(b));
}

/** What a schema covers inside one object: names covered whole, and containers covered in part. */
interface Coverage {
  whole: Set<string>;
  partial: Map<string, Coverage>;
}

function coverageOf(paths: readonly string[]): Coverage {
  const root: Coverage = { whole: new Set(), partial: new Map() };
  for (const p of paths) {
    const parts = p.split('/').slice(1);
    let node = root;
    for (const part of parts.slice(0, -1)) {
      let inner = node.partial.get(part);
      if (inner === undefined) node.partial.set(part, (inner = { whole: new Set(), partial: new Map() }));
      node = inner;
    }
    node.whole.add(parts[parts.length - 1] ?? '');
  }
  return root;
}

/** A compiled access schema: answers "may this path be read/written" without parsing again. */
export class AccessSchema {
  readonly #listed: ReadonlySet<string>;
  /** The same as a tree, so filtering looks names up level by level without building paths. */
  readonly #coverage: Coverage;

  constructor(readonly paths: readonly string[]) {
    this.#listed = new Set(paths);
    this.#coverage = coverageOf(paths);
  }

  /** A path (slash form, no element ids) is covered when it or one of its ancestors is listed. */
  allows(path: string): boolean {
    if (this.#listed.has(path)) return true;
    for (let i = path.lastIndexOf('/'); i > 0; i = path.lastIndexOf('/', i - 1)) if (this.#listed.has(path.slice(0, i))) return true;
    return false;
  }

  /** The record with only the attributes this schema covers (containers keep their covered children). */
  filterRecord(record: Record<string, unknown>): Record<string, unknown> {
    return filterObject(record, this.#coverage, false);
  }

  /** The entity type's attr_defs pruned to what this schema covers (getAccessSchema's answer). */
  pruneDefinitions(attrDefs: readonly AttributeDefinition[]): AttributeDefinition[] {
    return pruneDefinitions(attrDefs, this.#coverage);
  }
}

/** Refuses a write that touches an attribute outside the schema, the way the original does (223). */
export function checkWritable(schema: AccessSchema | null, touched: Iterable<string>): void {
  if (schema === null) return;
  for (const path of touched) if (!schema.allows(path)) throw new DataError(223, `attribute does not exist: ${path}`, path);
}

function pruneDefinitions(attrDefs: readonly AttributeDefinition[], coverage: Coverage): AttributeDefinition[] {
  const out: AttributeDefinition[] = [];
  for (const d of attrDefs) {
    const inner = coverage.partial.get(d.name);
    if (coverage.whole.has(d.name)) out.push(structuredClone(d));
    else if (inner !== undefined && d.attr_defs) out.push({ ...structuredClone(d), attr_defs: pruneDefinitions(d.attr_defs, inner) });
  }
  return out;
}

function filterObject(obj: Record<string, unknown>, coverage: Coverage, pluralElement: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(obj)) {
    if (coverage.whole.has(key)) {
      out[key] = obj[key];
    } else {
      const inner = coverage.partial.get(key);
      if (inner !== undefined) out[key] = filterContainer(obj[key], inner);
      // Plural elements keep their id so that a reader can address them.
      else if (key === 'id' && pluralElement) out[key] = obj[key];
    }
  }
  return out;
}

function filterContainer(value: unknown, coverage: Coverage): unknown {
  if (Array.isArray(value)) return value.map((el: unknown) => (isPlainObject(el) ? filterObject(el, coverage, true) : el));
  if (isPlainObject(value)) return filterObject(value, coverage, false);
  return value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
