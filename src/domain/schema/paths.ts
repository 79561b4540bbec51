// Attribute paths (spec capture-api §5.0 last paragraph, §3.1, §3.6, §3.8): parsing what callers
// write (`/primaryAddress/city`, `primaryAddress.city`, `/profiles#12/domain`), the one canonical
// slash form, and finding, changing and adding definitions at a path of an entity type's attr_defs.
// Pure: no I/O. Bad input only ever raises DataError (200, 223, 233 or 234).
import {
  ATTRIBUTE_NAME,
  PLURAL_ELEMENT_ID,
  RESERVED_ATTRIBUTE_NAMES,
  type AttributeDefinition,
} from './attribute-definition.js';
import { childPlacement, parseAttributeDefinition, TOP_LEVEL, type AttributePlacement } from './attr-defs.js';
import { DataError } from './data-error.js';

/** One step of a path; `elementId` picks one element of a plural. */
export interface PathSegment {
  name: string;
  elementId?: number;
}

// ---------------------------------------------------------------------------------------------
// Text form
// ---------------------------------------------------------------------------------------------

/**
 * Parses an attribute path: slash or dot delimited (both may be mixed), with an optional leading
 * slash; `name#<id>` names one plural element (id a positive integer). Malformed → DataError 200.
 */
export function parseAttributePath(text: string, argument: string): PathSegment[] {
  const fail = (reason: string): DataError => new DataError(200, `${argument} was not valid for the following reason: ${reason}`, undefined, argument);
  // Callers pass request arguments; never trust that a non-string cannot arrive.
  if (typeof text !== 'string') throw fail('an attribute path must be a string');
  const body = text.startsWith('/') ? text.slice(1) : text;
  if (body === '') throw fail('the attribute path is empty');
  return body.split(/[/.]/).map((part) => {
    if (part === '') throw fail(`${show(text)} has an empty step; separate attribute names with one / or .`);
    const hash = part.indexOf('#');
    const name = hash < 0 ? part : part.slice(0, hash);
    if (!ATTRIBUTE_NAME.test(name)) throw fail(`${show(name)} in ${show(text)} is not an attribute name`);
    if (hash < 0) return { name };
    const digits = part.slice(hash + 1);
    const elementId = /^[0-9]{1,16}$/.test(digits) ? Number(digits) : NaN;
    if (!Number.isSafeInteger(elementId) || elementId < 1) throw fail(`${show(part)} in ${show(text)}: a plural element id after # must be a positive integer`);
    return { name, elementId };
  });
}

/** Canonical slash form: '/primaryAddress/city', '/profiles#12/domain'; '/' for the empty path. */
export function formatAttributePath(path: readonly PathSegment[]): string {
  if (path.length === 0) return '/';
  return path.map((s) => `/${s.name}${s.elementId === undefined ? '' : `#${s.elementId}`}`).join('');
}

// ---------------------------------------------------------------------------------------------
// Looking up
// ---------------------------------------------------------------------------------------------

/**
 * The definition a path names, or null when a step is unknown, continues past a primitive, or puts an
 * element id on something that is not a plural. Element id values are not checked (that needs data).
 * A plural's `id` answers with a synthetic `{name:'id', type:'id'}`: every plural element has one.
 * Otherwise the answer is the input's own object (not a copy): read it, do not change it.
 */
export function findAttribute(attrDefs: readonly AttributeDefinition[], path: readonly PathSegment[]): AttributeDefinition | null {
  const found = locate(attrDefs, path);
  if (found === null) return null;
  return found.kind === 'element-id' ? { name: PLURAL_ELEMENT_ID, type: 'id' } : found.def;
}

/** findAttribute, with 223 `attribute does not exist` instead of null. */
export function requireAttribute(attrDefs: readonly AttributeDefinition[], path: readonly PathSegment[]): AttributeDefinition {
  const def = findAttribute(attrDefs, path);
  if (def === null) throw missing(path);
  return def;
}

/**
 * Where the attribute at `path` sits (its parent's path and type, whether inside a plural); null
 * when its parent does not exist or is not an object or plural. For parseConstraints.
 */
export function placementOf(attrDefs: readonly AttributeDefinition[], path: readonly PathSegment[]): AttributePlacement | null {
  if (path.length === 0) return null;
  return containerPlacement(attrDefs, path.slice(0, -1));
}

/**
 * Every attribute path of a schema (slash form, no element ids), depth first, containers before
 * their children. Plural element ids are not listed: they are not attributes of the schema.
 */
export function allAttributePaths(attrDefs: readonly AttributeDefinition[]): string[] {
  const out: string[] = [];
  const walk = (defs: readonly AttributeDefinition[], prefix: string): void => {
    for (const d of defs) {
      const path = `${prefix}/${d.name}`;
      out.push(path);
      if (d.attr_defs) walk(d.attr_defs, path);
    }
  };
  walk(attrDefs, '');
  return out;
}

// ---------------------------------------------------------------------------------------------
// Changing
// ---------------------------------------------------------------------------------------------

/**
 * A copy of attrDefs with the definition at `path` replaced by `update(def)`, or removed when it
 * returns null. 223 when the path names nothing, 234 for a plural element's `id` (not a definition
 * one can change), 233 when a renamed definition would clash with a sibling. Never mutates its input.
 */
export function updateAttribute(
  attrDefs: readonly AttributeDefinition[],
  path: readonly PathSegment[],
  update: (def: AttributeDefinition) => AttributeDefinition | null,
): AttributeDefinition[] {
  const found = locate(attrDefs, path);
  if (found === null) throw missing(path);
  if (found.kind === 'element-id') throw elementIdReserved(path);
  // Work on a deep copy so neither the input nor anything `update` keeps can share structure.
  const copy = structuredClone(attrDefs) as AttributeDefinition[];
  const siblings = siblingsAt(copy, path);
  const index = siblings.findIndex((d) => d.name === found.def.name);
  const current = siblings[index];
  if (current === undefined) throw missing(path);
  const next = update(current);
  if (next === null) {
    siblings.splice(index, 1);
    return copy;
  }
  if (next.name !== current.name && siblings.some((d) => d.name === next.name)) {
    const clash = formatAttributePath([...path.slice(0, -1), { name: next.name }]);
    throw new DataError(233, `attribute ${clash} already exists`, clash);
  }
  siblings[index] = structuredClone(next);
  return copy;
}

/**
 * A copy of attrDefs with `def` added as the last child of the object or plural at `parent` ([] =
 * top level). 223 if the parent is missing or not a container, 233 if the name is taken, 234 for a
 * reserved name (top level, or `id` in a plural). The definition is checked again where it lands
 * (constraints and features depend on the parent; depth is limited), with argument `attr_def`.
 */
export function addAttributeAt(attrDefs: readonly AttributeDefinition[], parent: readonly PathSegment[], def: AttributeDefinition): AttributeDefinition[] {
  const placement = containerPlacement(attrDefs, parent);
  if (placement === null) throw missing(parent);
  const path = `${placement.parentPath}/${def.name}`;
  if (placement.parentType === 'entity' && RESERVED_ATTRIBUTE_NAMES.has(def.name)) throw new DataError(234, `${def.name} is a reserved attribute`, path);
  const copy = structuredClone(attrDefs) as AttributeDefinition[];
  let siblings = copy;
  if (parent.length > 0) {
    const container = locateIn(copy, parent);
    if (container === null) throw missing(parent);
    siblings = container.attr_defs ??= [];
  }
  if (siblings.some((d) => d.name === def.name)) throw new DataError(233, `attribute ${path} already exists`, path);
  siblings.push(parseAttributeDefinition(def, 'attr_def', placement));
  return copy;
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

type Located = { kind: 'definition'; def: AttributeDefinition } | { kind: 'element-id' };

/** Walks a path through the definitions (see findAttribute for what counts as found). */
function locate(attrDefs: readonly AttributeDefinition[], path: readonly PathSegment[]): Located | null {
  if (path.length === 0) return null;
  let defs: readonly AttributeDefinition[] = attrDefs;
  let parent: AttributeDefinition | null = null;
  for (const [i, seg] of path.entries()) {
    const def = defs.find((d) => d.name === seg.name);
    if (def === undefined) {
      const isElementId = parent?.type === 'plural' && seg.name === PLURAL_ELEMENT_ID && seg.elementId === undefined && i === path.length - 1;
      return isElementId ? { kind: 'element-id' } : null;
    }
    if (seg.elementId !== undefined && def.type !== 'plural') return null;
    if (i === path.length - 1) return { kind: 'definition', def };
    if (def.type !== 'object' && def.type !== 'plural') return null;
    parent = def;
    defs = def.attr_defs ?? [];
  }
  return null;
}

/** The mutable definition at `path` inside a copy (element ids already validated by `locate`). */
function locateIn(copy: AttributeDefinition[], path: readonly PathSegment[]): AttributeDefinition | null {
  let defs: AttributeDefinition[] = copy;
  let def: AttributeDefinition | undefined;
  for (const seg of path) {
    def = defs.find((d) => d.name === seg.name);
    if (def === undefined) return null;
    defs = def.attr_defs ?? [];
  }
  return def ?? null;
}

/** The array in the copy that holds the definition at `path` (its siblings and itself). */
function siblingsAt(copy: AttributeDefinition[], path: readonly PathSegment[]): AttributeDefinition[] {
  if (path.length <= 1) return copy;
  const parent = locateIn(copy, path.slice(0, -1));
  if (parent === null) throw missing(path);
  parent.attr_defs ??= [];
  return parent.attr_defs;
}

/** Placement of the children of the container at `parent` ([] = top level); null if no container. */
function containerPlacement(attrDefs: readonly AttributeDefinition[], parent: readonly PathSegment[]): AttributePlacement | null {
  let placement = TOP_LEVEL;
  let defs: readonly AttributeDefinition[] = attrDefs;
  for (const seg of parent) {
    const def = defs.find((d) => d.name === seg.name);
    if (def === undefined || (def.type !== 'object' && def.type !== 'plural')) return null;
    if (seg.elementId !== undefined && def.type !== 'plural') return null;
    placement = childPlacement(def, `${placement.parentPath}/${def.name}`, placement);
    defs = def.attr_defs ?? [];
  }
  return placement;
}

function missing(path: readonly PathSegment[]): DataError {
  const text = formatAttributePath(path);
  return new DataError(223, `attribute does not exist: ${text}`, text);
}

function elementIdReserved(path: readonly PathSegment[]): DataError {
  const text = formatAttributePath(path);
  return new DataError(234, `${text}: every plural element has its own id; it is reserved and cannot be changed`, text);
}

/** A caller's text in a message: quoted, and cut short when long. */
function show(text: string): string {
  return JSON.stringify(text.length > 100 ? `${text.slice(0, 100)}…` : text);
}
