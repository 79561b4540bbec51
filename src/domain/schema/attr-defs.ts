// Attribute definitions a caller gives (spec capture-api §5.0, §5.3, §5.4, §5.6): checking the
// `attr_def` / `attr_defs` / `constraints` arguments and turning them into the one clean shape every
// other layer trusts. Pure: no I/O. Bad input only ever raises DataError (200, 233 or 234).
import {
  ATTRIBUTE_FEATURES,
  ATTRIBUTE_NAME,
  CONSTRAINTS,
  PLURAL_ELEMENT_ID,
  RESERVED_ATTRIBUTE_NAMES,
  RESERVED_ATTRIBUTES,
  USER_ATTRIBUTE_TYPES,
  type AttributeDefinition,
  type AttributeFeature,
  type AttributeType,
  type Constraint,
} from './attribute-definition.js';
import { DataError } from './data-error.js';

/** Deepest path an attribute may have (a top-level attribute is at depth 1). */
export const MAX_ATTRIBUTE_DEPTH = 8;
/** Longest `length` a string or password attribute may declare. */
export const MAX_ATTRIBUTE_LENGTH = 1_000_000;
/** Longest `description`. */
export const MAX_DESCRIPTION_LENGTH = 1000;

/**
 * Where an attribute sits in its entity type; some constraints and features depend on it
 * (`locally-unique` and `primary-key` need a plural parent, `unique` is refused inside plurals).
 */
export interface AttributePlacement {
  /** Slash path of the containing attribute; '' at top level. */
  parentPath: string;
  parentType: 'entity' | 'object' | 'plural';
  /** Whether any ancestor is a plural. */
  insidePlural: boolean;
}

export const TOP_LEVEL: Readonly<AttributePlacement> = Object.freeze({ parentPath: '', parentType: 'entity', insidePlural: false });

/** Placement of the children of `def`, which sits at `path` under `placement`. */
export function childPlacement(def: AttributeDefinition, path: string, placement: AttributePlacement): AttributePlacement {
  return {
    parentPath: path,
    parentType: def.type === 'plural' ? 'plural' : 'object',
    insidePlural: placement.insidePlural || def.type === 'plural',
  };
}

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

/**
 * Checks and normalizes one attr_def object (entityType.addAttribute `attr_def`, or one element of
 * entityType.create `attr_defs`). `argument` names the request argument in errors. `placement` says
 * where the attribute will sit (default: top level). Returns only the known keys, in the order name,
 * type, length, case-sensitive, description, constraints, features, attr_defs.
 */
export function parseAttributeDefinition(input: unknown, argument: string, placement: AttributePlacement = TOP_LEVEL): AttributeDefinition {
  return parseDefinition(input, argument, placement);
}

/**
 * Parses a whole attr_defs array for entityType.create: the reserved attributes (cloned) followed by
 * the caller's. Reserved names → 234, the same name twice among siblings → 233.
 */
export function parseEntityTypeAttributes(input: unknown): AttributeDefinition[] {
  const argument = 'attr_defs';
  if (!Array.isArray(input)) throw invalid(argument, 'must be a JSON array of attribute definitions');
  const items = input as unknown[];
  // Reserved names first: {"name":"id","type":"id"} is a reserved-name problem, not a type problem.
  for (const item of items) {
    const name = isPlainObject(item) ? own(item, 'name') : undefined;
    if (typeof name === 'string' && RESERVED_ATTRIBUTE_NAMES.has(name)) throw reserved(`/${name}`, `${name} is a reserved attribute; every entity type has it already`);
  }
  const parsed = parseSiblings(items, argument, TOP_LEVEL);
  return [...structuredClone(RESERVED_ATTRIBUTES) as AttributeDefinition[], ...parsed];
}

/**
 * Parses the `constraints` argument of setAttributeConstraints for the attribute `def`: an array of
 * known constraint names (duplicates dropped, first order kept), each valid for the type. Without
 * `placement` the checks that depend on the parent (locally-unique, unique inside plurals) are
 * skipped; pass it (see paths.ts placementOf) to have them.
 */
export function parseConstraints(input: unknown, def: AttributeDefinition, argument: string, placement?: AttributePlacement): Constraint[] {
  const path = placement ? `${placement.parentPath}/${def.name}` : `/${def.name}`;
  return parseConstraintList(input, def.type, path, argument, placement);
}

/** The attributes without the reserved ones (for /entityType with remove_reserved=true). */
export function withoutReserved(attrDefs: readonly AttributeDefinition[]): AttributeDefinition[] {
  return attrDefs.filter((d) => !RESERVED_ATTRIBUTE_NAMES.has(d.name));
}

// ---------------------------------------------------------------------------------------------
// Checking one definition
// ---------------------------------------------------------------------------------------------

type Doc = Record<string, unknown>;

const CONTAINER_TYPES: ReadonlySet<AttributeType> = new Set(['object', 'plural']);
const LENGTH_TYPES: ReadonlySet<AttributeType> = new Set(['string', 'password']);
/** Types whose values cannot be compared or indexed: whole JSON documents and password hashes. */
const OPAQUE_TYPES: ReadonlySet<AttributeType> = new Set(['json', 'password']);
const STRING_ONLY_CONSTRAINTS: ReadonlySet<Constraint> = new Set(['alphabetic', 'alphanumeric', 'unicode-letters', 'unicode-printable', 'email-address']);
/** Type names matched without regard to case: Akamai's own pages write "datetime" and "ipaddress". */
const TYPE_BY_LOWER_NAME: ReadonlyMap<string, AttributeType> = new Map(USER_ATTRIBUTE_TYPES.map((t) => [t.toLowerCase(), t]));

function parseDefinition(input: unknown, argument: string, placement: AttributePlacement): AttributeDefinition {
  // Before a name is known, messages can only say which container the definition was for.
  const where = placement.parentPath === '' ? '' : `${placement.parentPath}: `;
  if (!isPlainObject(input)) {
    throw invalid(argument, `${where}an attribute definition must be a JSON object, not ${describe(input)}`);
  }

  const nameValue = own(input, 'name');
  if (nameValue === undefined || nameValue === null) throw invalid(argument, `${where}name is required`);
  if (typeof nameValue !== 'string' || !ATTRIBUTE_NAME.test(nameValue)) {
    throw invalid(argument, `${where}name ${describe(nameValue)} is not valid; use a letter or underscore, then letters, digits and underscores, at most 64 in all`);
  }
  const name = nameValue;
  if (name in Object.prototype) {
    throw invalid(argument, `${where}name ${describe(name)} is not valid: it is the name of a built-in property of every JSON object in JavaScript`);
  }
  const path = `${placement.parentPath}/${name}`;
  // Every plural element carries its own id, so no child of a plural may take the name.
  if (placement.parentType === 'plural' && name === PLURAL_ELEMENT_ID) throw reserved(path, `${path}: ${PLURAL_ELEMENT_ID} is reserved inside a plural; every plural element has its own id`);

  const type = parseType(own(input, 'type'), path, argument);
  const depth = path.split('/').length - 1;
  if (depth > MAX_ATTRIBUTE_DEPTH) throw invalid(argument, `${path}: attributes may nest at most ${MAX_ATTRIBUTE_DEPTH} deep`);

  const out: AttributeDefinition = { name, type };

  const length = own(input, 'length');
  if (LENGTH_TYPES.has(type)) {
    out.length = parseLength(length, path, argument);
  } else if (length !== undefined && length !== null) {
    // A null length is what a schema dump may show for any type; only a real limit is refused.
    throw invalid(argument, `${path}: length is only for string and password attributes`);
  }

  const caseSensitive = own(input, 'case-sensitive');
  if (type === 'string') {
    if (caseSensitive !== undefined && caseSensitive !== null && typeof caseSensitive !== 'boolean') {
      throw invalid(argument, `${path}: case-sensitive must be true or false`);
    }
    out['case-sensitive'] = caseSensitive === true;
  } else if (caseSensitive !== undefined && caseSensitive !== null) {
    throw invalid(argument, `${path}: case-sensitive is only for string attributes`);
  }

  const description = own(input, 'description');
  if (description !== undefined && description !== null) {
    if (typeof description !== 'string') throw invalid(argument, `${path}: description must be a string`);
    if (description.length > MAX_DESCRIPTION_LENGTH) throw invalid(argument, `${path}: description may be at most ${MAX_DESCRIPTION_LENGTH} characters long`);
    out.description = description;
  }

  out.constraints = parseConstraintList(own(input, 'constraints'), type, path, argument, placement);
  out.features = parseFeatures(own(input, 'features'), type, path, argument, placement);

  const children = own(input, 'attr_defs');
  if (CONTAINER_TYPES.has(type)) {
    if (!Array.isArray(children) || children.length === 0) {
      throw invalid(argument, `${path}: an ${type} attribute needs attr_defs, a non-empty JSON array of its children's definitions`);
    }
    out.attr_defs = parseSiblings(children as unknown[], argument, childPlacement(out, path, placement));
  } else if (children !== undefined && children !== null) {
    throw invalid(argument, `${path}: attr_defs is only for object and plural attributes`);
  }
  return out;
}

/** Definitions that share one parent: each checked, names unique among them. */
function parseSiblings(items: readonly unknown[], argument: string, placement: AttributePlacement): AttributeDefinition[] {
  const seen = new Set<string>();
  const out: AttributeDefinition[] = [];
  for (const item of items) {
    const def = parseDefinition(item, argument, placement);
    const path = `${placement.parentPath}/${def.name}`;
    if (seen.has(def.name)) throw new DataError(233, `attribute ${path} already exists`, path);
    seen.add(def.name);
    out.push(def);
  }
  return out;
}

function parseType(value: unknown, path: string, argument: string): AttributeType {
  if (value === undefined || value === null) throw invalid(argument, `${path}: type is required`);
  if (typeof value !== 'string') throw invalid(argument, `${path}: type must be a string`);
  const type = TYPE_BY_LOWER_NAME.get(value.toLowerCase());
  if (type === undefined) {
    const lower = value.toLowerCase();
    const why = lower === 'id' || lower === 'version' ? 'is kept for the reserved attributes' : 'is not a known type';
    throw invalid(argument, `${path}: type ${describe(value)} ${why}; use one of ${USER_ATTRIBUTE_TYPES.join(', ')}`);
  }
  return type;
}

function parseLength(value: unknown, path: string, argument: string): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_ATTRIBUTE_LENGTH) {
    throw invalid(argument, `${path}: length must be null or an integer from 1 to ${MAX_ATTRIBUTE_LENGTH}`);
  }
  return value;
}

function parseConstraintList(value: unknown, type: AttributeType, path: string, argument: string, placement: AttributePlacement | undefined): Constraint[] {
  const names = parseNameList(value, CONSTRAINTS, 'constraints', path, argument);
  for (const c of names) {
    const why = constraintProblem(c, type, placement);
    if (why !== null) throw invalid(argument, `${path}: ${c} ${why}`);
  }
  return names;
}

/** Why constraint `c` cannot apply to an attribute of this type and placement; null when it can. */
function constraintProblem(c: Constraint, type: AttributeType, placement: AttributePlacement | undefined): string | null {
  const container = CONTAINER_TYPES.has(type);
  switch (c) {
    case 'required':
      return container ? `does not apply to ${type} attributes; make their children required instead` : null;
    case 'unique':
      if (container || OPAQUE_TYPES.has(type)) return `does not apply to ${type} attributes`;
      if (placement?.insidePlural === true) return 'is not allowed inside a plural; use locally-unique inside plurals';
      return null;
    case 'locally-unique':
      if (container || OPAQUE_TYPES.has(type)) return `does not apply to ${type} attributes`;
      if (placement !== undefined && placement.parentType !== 'plural') return 'only applies to the children of a plural';
      return null;
    default:
      return STRING_ONLY_CONSTRAINTS.has(c) && type !== 'string' ? 'only applies to string attributes' : null;
  }
}

function parseFeatures(value: unknown, type: AttributeType, path: string, argument: string, placement: AttributePlacement): AttributeFeature[] {
  const names = parseNameList(value, ATTRIBUTE_FEATURES, 'features', path, argument);
  const unsuitable = CONTAINER_TYPES.has(type) || OPAQUE_TYPES.has(type);
  for (const f of names) {
    if (unsuitable) throw invalid(argument, `${path}: the ${f} feature does not apply to ${type} attributes`);
    if (f === 'primary-key' && placement.parentType !== 'plural') throw invalid(argument, `${path}: the primary-key feature only applies to the children of a plural`);
  }
  return names;
}

/** A JSON array of names from `known`; absent or null means none; repeats are dropped. */
function parseNameList<T extends string>(value: unknown, known: readonly T[], key: string, path: string, argument: string): T[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalid(argument, `${path}: ${key} must be a JSON array`);
  const out: T[] = [];
  for (const item of value as unknown[]) {
    const found = typeof item === 'string' ? known.find((k) => k === item) : undefined;
    if (found === undefined) throw invalid(argument, `${path}: ${describe(item)} is not one of the ${key} ${known.join(', ')}`);
    if (!out.includes(found)) out.push(found);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

function invalid(argument: string, reason: string): DataError {
  return new DataError(200, `${argument} was not valid for the following reason: ${reason}`, undefined, argument);
}

function reserved(path: string, message: string): DataError {
  return new DataError(234, message, path);
}

/** JSON objects only: class instances and the like are not attribute definitions. */
function isPlainObject(value: unknown): value is Doc {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Own properties only, so `constructor` or `__proto__` can never be read from the prototype. */
function own(obj: Doc, key: string): unknown {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/** A short, safe rendering of a caller's value for messages (never the whole of a long string). */
function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return `a value of type ${typeof value}`;
}
