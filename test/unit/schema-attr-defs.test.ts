import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  parseAttributeDefinition,
  parseConstraints,
  parseEntityTypeAttributes,
  TOP_LEVEL,
  withoutReserved,
  type AttributePlacement,
} from '../../src/domain/schema/attr-defs.js';
import { ATTRIBUTE_TYPES, CONSTRAINTS, RESERVED_ATTRIBUTES, type AttributeDefinition } from '../../src/domain/schema/attribute-definition.js';
import { DataError } from '../../src/domain/schema/data-error.js';
import { defaultUserAttributes } from '../../src/domain/schema/default-user-type.js';

/** Runs `fn`, which must throw a DataError with this code; returns it for further checks. */
function dataError(fn: () => unknown, code: number): DataError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DataError);
    const e = err as DataError;
    expect(e.code).toBe(code);
    return e;
  }
  throw new Error(`expected DataError ${code}, nothing was thrown`);
}

/** Expects 200 invalid_argument for `argument` whose reason mentions `fragment`. */
function invalid(fn: () => unknown, fragment: string, argument = 'attr_def'): DataError {
  const e = dataError(fn, 200);
  expect(e.argument).toBe(argument);
  expect(e.message.startsWith(`${argument} was not valid for the following reason: `)).toBe(true);
  expect(e.message).toContain(fragment);
  return e;
}

/** Anything thrown must be a DataError. */
function onlyDataError(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof DataError)) throw err;
  }
}

const parse = (input: unknown): AttributeDefinition => parseAttributeDefinition(input, 'attr_def');
const IN_PLURAL: AttributePlacement = { parentPath: '/profiles', parentType: 'plural', insidePlural: true };
const IN_OBJECT: AttributePlacement = { parentPath: '/primaryAddress', parentType: 'object', insidePlural: false };
const IN_OBJECT_IN_PLURAL: AttributePlacement = { parentPath: '/profiles/address', parentType: 'object', insidePlural: true };

/** Wraps `def` as the only child of `levels` nested objects. */
function nested(levels: number, def: unknown): unknown {
  let out = def;
  for (let i = levels; i >= 1; i -= 1) out = { name: `o${i}`, type: 'object', attr_defs: [out] };
  return out;
}

describe('parseAttributeDefinition: normal form', () => {
  it('fills the defaults for a string and orders the keys', () => {
    const def = parse({ type: 'string', name: 'nickname' });
    expect(def).toEqual({ name: 'nickname', type: 'string', length: null, 'case-sensitive': false, constraints: [], features: [] });
    expect(Object.keys(def)).toEqual(['name', 'type', 'length', 'case-sensitive', 'constraints', 'features']);
  });

  it('keeps every known key, in order, and drops unknown ones', () => {
    const def = parse({
      features: ['query'], constraints: ['unique', 'email-address'], description: 'main address', 'case-sensitive': true,
      length: 256, type: 'string', name: 'email', colour: 'red', case_sensitive: false, id: 7,
    });
    expect(Object.keys(def)).toEqual(['name', 'type', 'length', 'case-sensitive', 'description', 'constraints', 'features']);
    expect(def).toEqual({ name: 'email', type: 'string', length: 256, 'case-sensitive': true, description: 'main address', constraints: ['unique', 'email-address'], features: ['query'] });
  });

  it('gives passwords a length but no case-sensitive', () => {
    expect(parse({ name: 'password', type: 'password' })).toEqual({ name: 'password', type: 'password', length: null, constraints: [], features: [] });
    expect(parse({ name: 'pin', type: 'password', length: 12 }).length).toBe(12);
  });

  it.each(['boolean', 'integer', 'decimal', 'date', 'dateTime', 'time', 'ipAddress', 'json', 'uuid'])('gives %s neither length nor case-sensitive', (type) => {
    expect(parse({ name: 'x', type })).toEqual({ name: 'x', type, constraints: [], features: [] });
  });

  it('tolerates null for optional keys a schema dump may show', () => {
    expect(parse({ name: 'n', type: 'integer', length: null, 'case-sensitive': null, description: null, constraints: null, features: null, attr_defs: null }))
      .toEqual({ name: 'n', type: 'integer', constraints: [], features: [] });
  });

  it('reads type names without regard to case (Akamai pages write "datetime")', () => {
    expect(parse({ name: 'seen', type: 'datetime' }).type).toBe('dateTime');
    expect(parse({ name: 'ip', type: 'IPADDRESS' }).type).toBe('ipAddress');
    expect(parse({ name: 's', type: 'String' }).type).toBe('string');
  });

  it('parses objects and plurals with their children', () => {
    const def = parse({
      name: 'profiles', type: 'plural', description: 'social logins',
      attr_defs: [
        { name: 'domain', type: 'string', length: 100, constraints: ['required'] },
        { name: 'identifier', type: 'string', constraints: ['locally-unique'], features: ['primary-key'] },
        { name: 'profile', type: 'object', attr_defs: [{ name: 'email', type: 'string', constraints: ['email-address'] }] },
      ],
    });
    expect(def).toEqual({
      name: 'profiles', type: 'plural', description: 'social logins', constraints: [], features: [],
      attr_defs: [
        { name: 'domain', type: 'string', length: 100, 'case-sensitive': false, constraints: ['required'], features: [] },
        { name: 'identifier', type: 'string', length: null, 'case-sensitive': false, constraints: ['locally-unique'], features: ['primary-key'] },
        {
          name: 'profile', type: 'object', constraints: [], features: [],
          attr_defs: [{ name: 'email', type: 'string', length: null, 'case-sensitive': false, constraints: ['email-address'], features: [] }],
        },
      ],
    });
  });

  it('drops repeated constraints and features, keeping the first order', () => {
    const def = parse({ name: 'e', type: 'string', constraints: ['required', 'unique', 'required'], features: ['query', 'query'] });
    expect(def.constraints).toEqual(['required', 'unique']);
    expect(def.features).toEqual(['query']);
  });

  it('does not change its input', () => {
    const input = { name: 'a', type: 'object', attr_defs: [{ name: 'b', type: 'string', constraints: ['required', 'required'] }] };
    const before = structuredClone(input);
    parse(input);
    expect(input).toEqual(before);
  });
});

describe('parseAttributeDefinition: the object itself', () => {
  it.each([null, undefined, [], 'string', 3, true, [{ name: 'a', type: 'string' }]])('refuses %j', (input) => {
    invalid(() => parse(input), 'must be a JSON object');
  });

  it('refuses objects that are not plain JSON objects', () => {
    invalid(() => parse(Object.create({ name: 'a', type: 'string' })), 'must be a JSON object');
    invalid(() => parse(new Date()), 'must be a JSON object');
    invalid(() => parse(new Map([['name', 'a']])), 'must be a JSON object');
  });

  it('reads own keys only (no __proto__ tricks)', () => {
    invalid(() => parse(JSON.parse('{"__proto__": {"name": "a"}, "type": "string"}')), 'name is required');
  });

  it('uses the argument name it is given', () => {
    invalid(() => parseAttributeDefinition(5, 'target_name'), 'must be a JSON object', 'target_name');
  });
});

describe('parseAttributeDefinition: name and type', () => {
  it.each([undefined, null])('requires a name (%s)', (name) => {
    invalid(() => parse({ name, type: 'string' }), 'name is required');
  });

  it.each(['', '1abc', 'a-b', 'a.b', 'a/b', 'a b', 'é', 'a#1', 'x'.repeat(65), 5, true, ['a'], { a: 1 }])('refuses the name %j', (name) => {
    invalid(() => parse({ name, type: 'string' }), 'is not valid');
  });

  it.each(['a', '_', '_x9', 'A_b_C', 'x'.repeat(64)])('accepts the name %s', (name) => {
    expect(parse({ name, type: 'string' }).name).toBe(name);
  });

  it.each([undefined, null])('requires a type (%s)', (type) => {
    invalid(() => parse({ name: 'a', type }), 'type is required');
  });

  it.each(['text', 'int', 'array', '', 'objects'])('refuses the unknown type %j', (type) => {
    invalid(() => parse({ name: 'a', type }), 'is not a known type');
  });

  it.each(['id', 'version', 'ID'])('refuses the reserved type %s', (type) => {
    invalid(() => parse({ name: 'a', type }), 'reserved attributes');
  });

  it.each([5, true, ['string'], { type: 'string' }])('refuses the type %j', (type) => {
    invalid(() => parse({ name: 'a', type }), 'type must be a string');
  });
});

describe('parseAttributeDefinition: length, case-sensitive, description', () => {
  it.each([1, 100, 1_000_000])('accepts the length %d', (length) => {
    expect(parse({ name: 's', type: 'string', length }).length).toBe(length);
  });

  it.each([0, -1, 1.5, 1_000_001, '10', true, [10], Number.MAX_SAFE_INTEGER + 2])('refuses the length %j', (length) => {
    invalid(() => parse({ name: 's', type: 'string', length }), 'length must be null or an integer from 1 to 1000000');
  });

  it.each(['integer', 'boolean', 'json', 'date', 'uuid'])('refuses a length on %s', (type) => {
    invalid(() => parse({ name: 'n', type, length: 10 }), 'length is only for string and password attributes');
  });

  it('refuses a length on containers', () => {
    invalid(() => parse({ name: 'o', type: 'object', length: 10, attr_defs: [{ name: 'a', type: 'string' }] }), 'length is only for');
  });

  it('takes case-sensitive as a boolean', () => {
    expect(parse({ name: 's', type: 'string', 'case-sensitive': true })['case-sensitive']).toBe(true);
    expect(parse({ name: 's', type: 'string', 'case-sensitive': false })['case-sensitive']).toBe(false);
    invalid(() => parse({ name: 's', type: 'string', 'case-sensitive': 'true' }), 'case-sensitive must be true or false');
    invalid(() => parse({ name: 's', type: 'string', 'case-sensitive': 1 }), 'case-sensitive must be true or false');
  });

  it('only knows the hyphen form of case-sensitive', () => {
    expect(parse({ name: 's', type: 'string', case_sensitive: true })['case-sensitive']).toBe(false);
  });

  it.each(['password', 'integer', 'json'])('refuses case-sensitive on %s', (type) => {
    invalid(() => parse({ name: 'p', type, 'case-sensitive': false }), 'case-sensitive is only for string attributes');
  });

  it('takes a description of at most 1000 characters', () => {
    expect(parse({ name: 'd', type: 'date', description: 'x'.repeat(1000) }).description).toHaveLength(1000);
    expect(parse({ name: 'd', type: 'date', description: '' }).description).toBe('');
    invalid(() => parse({ name: 'd', type: 'date', description: 'x'.repeat(1001) }), 'at most 1000 characters');
    invalid(() => parse({ name: 'd', type: 'date', description: 5 }), 'description must be a string');
  });
});

describe('parseAttributeDefinition: constraints', () => {
  it('needs an array of known names', () => {
    invalid(() => parse({ name: 's', type: 'string', constraints: 'unique' }), 'constraints must be a JSON array');
    invalid(() => parse({ name: 's', type: 'string', constraints: { unique: true } }), 'constraints must be a JSON array');
    invalid(() => parse({ name: 's', type: 'string', constraints: ['unique', 'sorted'] }), '"sorted" is not one of the constraints');
    invalid(() => parse({ name: 's', type: 'string', constraints: ['Unique'] }), 'is not one of the constraints');
    invalid(() => parse({ name: 's', type: 'string', constraints: [1] }), 'is not one of the constraints');
    invalid(() => parse({ name: 's', type: 'string', constraints: [null] }), 'is not one of the constraints');
  });

  it('allows required on every primitive type but not on containers', () => {
    for (const type of ['string', 'password', 'json', 'integer', 'boolean', 'date', 'uuid', 'ipAddress']) {
      expect(parse({ name: 'r', type, constraints: ['required'] }).constraints).toEqual(['required']);
    }
    invalid(() => parse({ name: 'o', type: 'object', constraints: ['required'], attr_defs: [{ name: 'a', type: 'string' }] }), 'required does not apply to object attributes');
    invalid(() => parse({ name: 'p', type: 'plural', constraints: ['required'], attr_defs: [{ name: 'a', type: 'string' }] }), 'required does not apply to plural attributes');
  });

  it('allows unique on comparable top-level and object attributes', () => {
    expect(parse({ name: 'u', type: 'integer', constraints: ['unique'] }).constraints).toEqual(['unique']);
    expect(parseAttributeDefinition({ name: 'u', type: 'string', constraints: ['unique'] }, 'attr_def', IN_OBJECT).constraints).toEqual(['unique']);
  });

  it.each(['json', 'password'])('refuses unique on %s', (type) => {
    invalid(() => parse({ name: 'u', type, constraints: ['unique'] }), `unique does not apply to ${type} attributes`);
  });

  it.each(['object', 'plural'])('refuses unique on %s', (type) => {
    invalid(() => parse({ name: 'u', type, constraints: ['unique'], attr_defs: [{ name: 'a', type: 'string' }] }), `unique does not apply to ${type}`);
  });

  it('refuses unique anywhere inside a plural, pointing at locally-unique', () => {
    const e = invalid(() => parse({ name: 'profiles', type: 'plural', attr_defs: [{ name: 'identifier', type: 'string', constraints: ['unique'] }] }), 'use locally-unique inside plurals');
    expect(e.message).toContain('/profiles/identifier');
    invalid(() => parse({
      name: 'profiles', type: 'plural',
      attr_defs: [{ name: 'address', type: 'object', attr_defs: [{ name: 'zip', type: 'string', constraints: ['unique'] }] }],
    }), 'use locally-unique inside plurals');
  });

  it('allows locally-unique only on primitive children of a plural', () => {
    expect(parse({ name: 'p', type: 'plural', attr_defs: [{ name: 'k', type: 'integer', constraints: ['locally-unique'] }] }).attr_defs?.[0]?.constraints).toEqual(['locally-unique']);
    invalid(() => parse({ name: 'k', type: 'string', constraints: ['locally-unique'] }), 'locally-unique only applies to the children of a plural');
    invalid(() => parseAttributeDefinition({ name: 'k', type: 'string', constraints: ['locally-unique'] }, 'attr_def', IN_OBJECT), 'only applies to the children of a plural');
    invalid(() => parseAttributeDefinition({ name: 'k', type: 'string', constraints: ['locally-unique'] }, 'attr_def', IN_OBJECT_IN_PLURAL), 'only applies to the children of a plural');
    invalid(() => parseAttributeDefinition({ name: 'o', type: 'object', constraints: ['locally-unique'], attr_defs: [{ name: 'a', type: 'string' }] }, 'attr_def', IN_PLURAL), 'locally-unique does not apply to object');
    invalid(() => parseAttributeDefinition({ name: 'j', type: 'json', constraints: ['locally-unique'] }, 'attr_def', IN_PLURAL), 'locally-unique does not apply to json');
  });

  it.each(['alphabetic', 'alphanumeric', 'unicode-letters', 'unicode-printable', 'email-address'])('allows %s on strings only', (c) => {
    expect(parse({ name: 's', type: 'string', constraints: [c] }).constraints).toEqual([c]);
    for (const type of ['password', 'integer', 'json', 'date']) invalid(() => parse({ name: 'x', type, constraints: [c] }), `${c} only applies to string attributes`);
  });
});

describe('parseAttributeDefinition: features', () => {
  it('needs an array of known features', () => {
    invalid(() => parse({ name: 's', type: 'string', features: 'query' }), 'features must be a JSON array');
    invalid(() => parse({ name: 's', type: 'string', features: ['index'] }), '"index" is not one of the features query, primary-key');
  });

  it('allows query on comparable attributes, also inside plurals', () => {
    for (const type of ['string', 'integer', 'date', 'dateTime', 'uuid', 'boolean', 'decimal']) expect(parse({ name: 'q', type, features: ['query'] }).features).toEqual(['query']);
    expect(parseAttributeDefinition({ name: 'q', type: 'string', features: ['query'] }, 'attr_def', IN_PLURAL).features).toEqual(['query']);
  });

  it.each(['json', 'password'])('refuses query on %s', (type) => {
    invalid(() => parse({ name: 'q', type, features: ['query'] }), `the query feature does not apply to ${type} attributes`);
  });

  it.each(['object', 'plural'])('refuses query on %s', (type) => {
    invalid(() => parse({ name: 'q', type, features: ['query'], attr_defs: [{ name: 'a', type: 'string' }] }), `does not apply to ${type}`);
  });

  it('allows primary-key only on primitive children of a plural', () => {
    expect(parseAttributeDefinition({ name: 'k', type: 'string', features: ['primary-key'] }, 'attr_def', IN_PLURAL).features).toEqual(['primary-key']);
    invalid(() => parse({ name: 'k', type: 'string', features: ['primary-key'] }), 'primary-key feature only applies to the children of a plural');
    invalid(() => parseAttributeDefinition({ name: 'k', type: 'string', features: ['primary-key'] }, 'attr_def', IN_OBJECT_IN_PLURAL), 'only applies to the children of a plural');
    invalid(() => parseAttributeDefinition({ name: 'o', type: 'object', features: ['primary-key'], attr_defs: [{ name: 'a', type: 'string' }] }, 'attr_def', IN_PLURAL), 'does not apply to object');
  });
});

describe('parseAttributeDefinition: children', () => {
  it.each(['object', 'plural'])('requires a non-empty attr_defs array on %s', (type) => {
    for (const attr_defs of [undefined, null, [], {}, 'a']) invalid(() => parse({ name: 'c', type, attr_defs }), `needs attr_defs`);
  });

  it('refuses attr_defs on primitives', () => {
    invalid(() => parse({ name: 's', type: 'string', attr_defs: [{ name: 'a', type: 'string' }] }), 'attr_defs is only for object and plural attributes');
    invalid(() => parse({ name: 's', type: 'json', attr_defs: [] }), 'attr_defs is only for object and plural attributes');
  });

  it('checks children with their path in the message', () => {
    const e = invalid(() => parse({ name: 'primaryAddress', type: 'object', attr_defs: [{ name: 'city', type: 'string', length: 0 }] }), '/primaryAddress/city: length');
    expect(e.code).toBe(200);
    invalid(() => parse({ name: 'primaryAddress', type: 'object', attr_defs: [{ type: 'string' }] }), '/primaryAddress: name is required');
    invalid(() => parse({ name: 'primaryAddress', type: 'object', attr_defs: [7] }), '/primaryAddress: an attribute definition must be a JSON object');
  });

  it('allows attributes 8 deep and refuses 9', () => {
    const eight = parse(nested(7, { name: 'leaf', type: 'string' }));
    let depth = 1;
    for (let d = eight; d.attr_defs; d = d.attr_defs[0] as AttributeDefinition) depth += 1;
    expect(depth).toBe(8);
    invalid(() => parse(nested(8, { name: 'leaf', type: 'string' })), 'at most 8 deep');
    invalid(() => parseAttributeDefinition(nested(1, { name: 'leaf', type: 'string' }), 'attr_def', { parentPath: '/a/b/c/d/e/f/g', parentType: 'object', insidePlural: false }), 'at most 8 deep');
  });

  it('refuses a plural child named id (234): elements carry their own id', () => {
    const e = dataError(() => parse({ name: 'profiles', type: 'plural', attr_defs: [{ name: 'id', type: 'integer' }] }), 234);
    expect(e.attribute).toBe('/profiles/id');
    expect(parse({ name: 'o', type: 'object', attr_defs: [{ name: 'id', type: 'integer' }] }).attr_defs?.[0]?.name).toBe('id');
    expect(parse({ name: 'p', type: 'plural', attr_defs: [{ name: 'uuid', type: 'string' }] }).attr_defs?.[0]?.name).toBe('uuid');
  });

  it('refuses two children of the same name (233)', () => {
    const e = dataError(() => parse({ name: 'o', type: 'object', attr_defs: [{ name: 'a', type: 'string' }, { name: 'a', type: 'integer' }] }), 233);
    expect(e.attribute).toBe('/o/a');
    dataError(() => parse({ name: 'o', type: 'object', attr_defs: [{ name: 'p', type: 'plural', attr_defs: [{ name: 'x', type: 'string' }, { name: 'x', type: 'string' }] }] }), 233);
  });

  it('lets children of different parents share a name', () => {
    const def = parse({ name: 'o', type: 'object', attr_defs: [{ name: 'a', type: 'object', attr_defs: [{ name: 'a', type: 'string' }] }, { name: 'b', type: 'string' }] });
    expect(def.attr_defs?.map((d) => d.name)).toEqual(['a', 'b']);
  });
});

describe('parseEntityTypeAttributes', () => {
  it('needs an array', () => {
    for (const input of [null, undefined, {}, 'x', 3]) invalid(() => parseEntityTypeAttributes(input), 'must be a JSON array', 'attr_defs');
  });

  it('puts (copies of) the reserved attributes first', () => {
    const out = parseEntityTypeAttributes([{ name: 'email', type: 'string' }]);
    expect(out.slice(0, 4)).toEqual(RESERVED_ATTRIBUTES);
    expect(out[0]).not.toBe(RESERVED_ATTRIBUTES[0]);
    expect(out.map((d) => d.name)).toEqual(['id', 'uuid', 'created', 'lastUpdated', 'email']);
    expect(parseEntityTypeAttributes([])).toEqual(RESERVED_ATTRIBUTES);
  });

  it.each(['id', 'uuid', 'created', 'lastUpdated'])('refuses the reserved name %s at top level (234)', (name) => {
    const e = dataError(() => parseEntityTypeAttributes([{ name: 'email', type: 'string' }, { name, type: 'string' }]), 234);
    expect(e.attribute).toBe(`/${name}`);
    // Even when the definition would be wrong in other ways too.
    dataError(() => parseEntityTypeAttributes([{ name, type: 'id' }]), 234);
  });

  it('allows reserved names below the top level', () => {
    const out = parseEntityTypeAttributes([{ name: 'meta', type: 'object', attr_defs: [{ name: 'created', type: 'dateTime' }, { name: 'uuid', type: 'uuid' }] }]);
    expect(out[4]?.attr_defs?.map((d) => d.name)).toEqual(['created', 'uuid']);
  });

  it('refuses the same name twice (233), at any level', () => {
    expect(dataError(() => parseEntityTypeAttributes([{ name: 'a', type: 'string' }, { name: 'a', type: 'string' }]), 233).attribute).toBe('/a');
    expect(dataError(() => parseEntityTypeAttributes([{ name: 'o', type: 'object', attr_defs: [{ name: 'b', type: 'string' }, { name: 'b', type: 'date' }] }]), 233).attribute).toBe('/o/b');
  });

  it('reports element errors against attr_defs', () => {
    invalid(() => parseEntityTypeAttributes([{ name: 'a', type: 'nope' }]), 'is not a known type', 'attr_defs');
    invalid(() => parseEntityTypeAttributes(['a']), 'must be a JSON object', 'attr_defs');
  });

  it('accepts the default user type (without its reserved attributes) and keeps its meaning', () => {
    const user = withoutReserved(defaultUserAttributes());
    const out = parseEntityTypeAttributes(user);
    expect(out.map((d) => d.name)).toEqual(['id', 'uuid', 'created', 'lastUpdated', ...user.map((d) => d.name)]);
    expect(out.find((d) => d.name === 'email')).toEqual({ name: 'email', type: 'string', length: 256, 'case-sensitive': false, constraints: ['unique', 'email-address'], features: ['query'] });
  });
});

describe('parseConstraints', () => {
  const str: AttributeDefinition = { name: 'email', type: 'string', length: 256 };

  it('parses a replacement set; [] clears', () => {
    expect(parseConstraints(['unique', 'required', 'unique'], str, 'constraints')).toEqual(['unique', 'required']);
    expect(parseConstraints([], str, 'constraints')).toEqual([]);
  });

  it('needs an array of known names', () => {
    invalid(() => parseConstraints('unique', str, 'constraints'), 'constraints must be a JSON array', 'constraints');
    invalid(() => parseConstraints({}, str, 'constraints'), 'must be a JSON array', 'constraints');
    invalid(() => parseConstraints(['distinct'], str, 'constraints'), 'is not one of the constraints', 'constraints');
  });

  it('checks the constraints against the type', () => {
    invalid(() => parseConstraints(['unique'], { name: 'p', type: 'password' }, 'constraints'), 'unique does not apply to password', 'constraints');
    invalid(() => parseConstraints(['alphabetic'], { name: 'n', type: 'integer' }, 'constraints'), 'only applies to string', 'constraints');
    invalid(() => parseConstraints(['required'], { name: 'o', type: 'object', attr_defs: [str] }, 'constraints'), 'required does not apply to object', 'constraints');
  });

  it('checks the placement when given one', () => {
    expect(parseConstraints(['locally-unique'], str, 'constraints', IN_PLURAL)).toEqual(['locally-unique']);
    invalid(() => parseConstraints(['unique'], str, 'constraints', IN_PLURAL), 'use locally-unique inside plurals', 'constraints');
    const e = invalid(() => parseConstraints(['locally-unique'], str, 'constraints', TOP_LEVEL), 'only applies to the children of a plural', 'constraints');
    expect(e.message).toContain('/email');
    invalid(() => parseConstraints(['locally-unique'], str, 'constraints', IN_OBJECT), 'only applies to the children of a plural', 'constraints');
  });

  it('without a placement, leaves the placement rules alone', () => {
    expect(parseConstraints(['locally-unique'], str, 'constraints')).toEqual(['locally-unique']);
    expect(parseConstraints(['unique'], str, 'constraints')).toEqual(['unique']);
  });
});

describe('withoutReserved', () => {
  it('drops the four reserved attributes at top level only, without changing its input', () => {
    const all = defaultUserAttributes();
    const before = structuredClone(all);
    const out = withoutReserved(all);
    expect(out.map((d) => d.name)).toEqual(all.map((d) => d.name).filter((n) => !['id', 'uuid', 'created', 'lastUpdated'].includes(n)));
    expect(out.map((d) => d.name)).toContain('primaryAddress');
    expect(out).toHaveLength(all.length - 4);
    expect(all).toEqual(before);
    const inner: AttributeDefinition[] = [{ name: 'o', type: 'object', attr_defs: [{ name: 'id', type: 'integer' }] }];
    expect(withoutReserved(inner)).toEqual(inner);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

/** attr_def-like objects: mostly well formed, sometimes not, so both paths get exercised. */
const nameArb = fc.oneof({ weight: 8, arbitrary: fc.constantFrom('a', 'b', 'c', 'id', 'email', 'x_1') }, { weight: 1, arbitrary: fc.string({ maxLength: 5 }) });
const PRIMITIVES = ATTRIBUTE_TYPES.filter((t) => t !== 'object' && t !== 'plural' && t !== 'id' && t !== 'version');
const constraintsArb = fc.oneof(fc.constant([]), fc.subarray([...CONSTRAINTS], { maxLength: 2 }));
const featuresArb = fc.oneof(fc.constant([]), fc.subarray(['query', 'primary-key'], { maxLength: 1 }));
/** Leaves whose keys suit their type (so many parse), and leaves with any keys at all (so many do not). */
const stringLeafArb = fc.record(
  {
    name: nameArb,
    type: fc.constantFrom('string', 'String', 'password'),
    length: fc.oneof(fc.constant(null), fc.integer({ min: 1, max: 1000 })),
    'case-sensitive': fc.boolean(),
    description: fc.string({ maxLength: 20 }),
    constraints: constraintsArb,
    features: featuresArb,
  },
  { requiredKeys: ['name', 'type'] },
);
const otherLeafArb = fc.record(
  { name: nameArb, type: fc.constantFrom(...PRIMITIVES, 'datetime'), description: fc.string({ maxLength: 20 }), constraints: constraintsArb, features: featuresArb, junk: fc.jsonValue({ maxDepth: 1 }) },
  { requiredKeys: ['name', 'type'] },
);
const anyLeafArb = fc.record(
  {
    name: nameArb,
    type: fc.oneof({ weight: 9, arbitrary: fc.constantFrom(...PRIMITIVES) }, { weight: 1, arbitrary: fc.constantFrom('id', 'nope') }),
    length: fc.oneof(fc.constant(null), fc.integer({ min: -1, max: 2_000_000 })),
    'case-sensitive': fc.oneof(fc.boolean(), fc.constant(null)),
    description: fc.string({ maxLength: 20 }),
    constraints: constraintsArb,
    features: featuresArb,
  },
  { requiredKeys: ['name', 'type'] },
);
const leafDefArb = fc.oneof(stringLeafArb, otherLeafArb, anyLeafArb);
const { def: defArb } = fc.letrec<{ def: unknown }>((tie) => ({
  def: fc.oneof(
    { weight: 3, arbitrary: leafDefArb },
    {
      weight: 1,
      arbitrary: fc.record(
        {
          name: nameArb,
          type: fc.constantFrom('object', 'plural'),
          description: fc.string({ maxLength: 10 }),
          constraints: fc.oneof(fc.constant([]), fc.subarray([...CONSTRAINTS], { maxLength: 1 })),
          attr_defs: fc.array(tie('def'), { minLength: 1, maxLength: 3 }),
        },
        { requiredKeys: ['name', 'type', 'attr_defs'] },
      ),
    },
  ),
}));

describe('properties', () => {
  it('parseAttributeDefinition throws nothing but DataError, whatever it gets', () => {
    fc.assert(fc.property(fc.anything(), (input) => onlyDataError(() => parse(input))), { numRuns: 500 });
    fc.assert(fc.property(fc.jsonValue(), (input) => onlyDataError(() => parse(input))), { numRuns: 500 });
    fc.assert(fc.property(defArb, (input) => onlyDataError(() => parse(input))), { numRuns: 500 });
  });

  it('parseEntityTypeAttributes throws nothing but DataError, whatever it gets', () => {
    fc.assert(fc.property(fc.anything(), (input) => onlyDataError(() => parseEntityTypeAttributes(input))), { numRuns: 500 });
    fc.assert(fc.property(fc.jsonValue(), (input) => onlyDataError(() => parseEntityTypeAttributes(input))), { numRuns: 500 });
    fc.assert(fc.property(fc.array(defArb, { maxLength: 4 }), (input) => onlyDataError(() => parseEntityTypeAttributes(input))), { numRuns: 300 });
  });

  it('parseConstraints throws nothing but DataError, whatever it gets', () => {
    const defs: AttributeDefinition[] = [{ name: 's', type: 'string' }, { name: 'j', type: 'json' }, { name: 'o', type: 'object', attr_defs: [{ name: 'a', type: 'string' }] }];
    const placements = [undefined, TOP_LEVEL, IN_OBJECT, IN_PLURAL, IN_OBJECT_IN_PLURAL];
    const input = fc.oneof(fc.anything(), fc.jsonValue(), fc.subarray([...CONSTRAINTS]), fc.array(fc.string()));
    fc.assert(fc.property(input, fc.constantFrom(...defs), fc.constantFrom(...placements), (i, d, p) => onlyDataError(() => parseConstraints(i, d, 'constraints', p))), { numRuns: 500 });
  });

  it('a parsed definition parses to itself, and DataErrors carry the right argument', () => {
    let parsed = 0;
    fc.assert(
      fc.property(defArb, (input) => {
        let once: AttributeDefinition;
        try {
          once = parse(input);
        } catch (err) {
          expect(err).toBeInstanceOf(DataError);
          if ((err as DataError).code === 200) expect((err as DataError).argument).toBe('attr_def');
          return;
        }
        parsed += 1;
        const twice = parse(once);
        expect(twice).toEqual(once);
        expect(JSON.stringify(twice)).toBe(JSON.stringify(once)); // same key order too
      }),
      { numRuns: 1000 },
    );
    expect(parsed).toBeGreaterThan(100);
  });

  it('a parsed entity type re-parses to itself once its reserved attributes are set aside', () => {
    fc.assert(
      fc.property(fc.array(defArb, { maxLength: 4 }), (input) => {
        let once: AttributeDefinition[];
        try {
          once = parseEntityTypeAttributes(input);
        } catch {
          return;
        }
        expect(JSON.stringify(parseEntityTypeAttributes(withoutReserved(once)))).toBe(JSON.stringify(once));
      }),
      { numRuns: 500 },
    );
  });
});
