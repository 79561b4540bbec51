import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseEntityTypeAttributes, TOP_LEVEL, withoutReserved } from '../../src/domain/schema/attr-defs.js';
import { ATTRIBUTE_NAME, type AttributeDefinition } from '../../src/domain/schema/attribute-definition.js';
import { DataError } from '../../src/domain/schema/data-error.js';
import {
  addAttributeAt,
  allAttributePaths,
  findAttribute,
  formatAttributePath,
  parseAttributePath,
  placementOf,
  requireAttribute,
  updateAttribute,
  type PathSegment,
} from '../../src/domain/schema/paths.js';

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

function onlyDataError(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof DataError)) throw err;
  }
}

/** Freezes a value and everything in it, so any mutation throws in strict mode. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

const p = (text: string): PathSegment[] => parseAttributePath(text, 'attribute_name');

// A schema with every kind of container: the reserved attributes, an object, a plural holding an
// object, and an object holding a plural.
const SCHEMA: AttributeDefinition[] = parseEntityTypeAttributes([
  { name: 'email', type: 'string', length: 256, constraints: ['unique'], features: ['query'] },
  { name: 'primaryAddress', type: 'object', attr_defs: [{ name: 'city', type: 'string' }, { name: 'zip', type: 'string' }] },
  {
    name: 'profiles',
    type: 'plural',
    attr_defs: [
      { name: 'domain', type: 'string', constraints: ['required'] },
      { name: 'identifier', type: 'string', constraints: ['locally-unique'], features: ['primary-key'] },
      { name: 'profile', type: 'object', attr_defs: [{ name: 'email', type: 'string' }] },
    ],
  },
  { name: 'settings', type: 'object', attr_defs: [{ name: 'tags', type: 'plural', attr_defs: [{ name: 'label', type: 'string' }] }] },
]);

const ALL_PATHS = [
  '/id', '/uuid', '/created', '/lastUpdated', '/email',
  '/primaryAddress', '/primaryAddress/city', '/primaryAddress/zip',
  '/profiles', '/profiles/domain', '/profiles/identifier', '/profiles/profile', '/profiles/profile/email',
  '/settings', '/settings/tags', '/settings/tags/label',
];

describe('parseAttributePath', () => {
  it.each([
    ['/primaryAddress/city', [{ name: 'primaryAddress' }, { name: 'city' }]],
    ['primaryAddress/city', [{ name: 'primaryAddress' }, { name: 'city' }]],
    ['primaryAddress.city', [{ name: 'primaryAddress' }, { name: 'city' }]],
    ['/primaryAddress.city', [{ name: 'primaryAddress' }, { name: 'city' }]],
    ['profiles.profile.email', [{ name: 'profiles' }, { name: 'profile' }, { name: 'email' }]],
    ['email', [{ name: 'email' }]],
    ['/email', [{ name: 'email' }]],
    ['/profiles#12', [{ name: 'profiles', elementId: 12 }]],
    ['/profiles#12/domain', [{ name: 'profiles', elementId: 12 }, { name: 'domain' }]],
    ['profiles#12.domain', [{ name: 'profiles', elementId: 12 }, { name: 'domain' }]],
    ['/a#1/b.c#9007199254740991/d', [{ name: 'a', elementId: 1 }, { name: 'b' }, { name: 'c', elementId: 9007199254740991 }, { name: 'd' }]],
    ['/statuses#007', [{ name: 'statuses', elementId: 7 }]],
  ])('parses %s', (text, expected) => {
    const out = p(text);
    expect(out).toEqual(expected);
    // No `elementId: undefined` keys: the segments compare equal to the literal form.
    for (const s of out) if (s.elementId === undefined) expect(Object.keys(s)).toEqual(['name']);
  });

  it.each([
    ['', 'empty'], ['/', 'empty'], ['//a', 'empty step'], ['a//b', 'empty step'], ['a/', 'empty step'], ['a.', 'empty step'],
    ['.a', 'empty step'], ['a./b', 'empty step'], ['1a', 'not an attribute name'], ['a-b', 'not an attribute name'],
    [' a', 'not an attribute name'], ['a b', 'not an attribute name'], ['#1', 'not an attribute name'], ['x'.repeat(65), 'not an attribute name'],
    ['a#', 'positive integer'], ['a#0', 'positive integer'], ['a#-1', 'positive integer'], ['a#x', 'positive integer'], ['a##1', 'positive integer'],
    ['a#1#2', 'positive integer'], ['a#+1', 'positive integer'], ['a#1e3', 'positive integer'], ['a# 1', 'positive integer'],
    ['a#9007199254740992', 'positive integer'], ['a#12345678901234567', 'positive integer'], ['a#1.5', 'not an attribute name'],
  ])('refuses %j (%s)', (text, fragment) => {
    const e = dataError(() => p(text), 200);
    expect(e.argument).toBe('attribute_name');
    expect(e.message.startsWith('attribute_name was not valid for the following reason: ')).toBe(true);
    expect(e.message).toContain(fragment);
  });

  it('refuses what is not a string, without a TypeError', () => {
    const values: unknown[] = [null, undefined, 5, {}, ['a']];
    for (const v of values) dataError(() => parseAttributePath(v as string, 'attributes'), 200);
  });

  it('keeps messages short for long input', () => {
    const e = dataError(() => p(`${'a/'.repeat(5000)}-`), 200);
    expect(e.message.length).toBeLessThan(400);
  });
});

describe('formatAttributePath', () => {
  it('writes the canonical slash form', () => {
    expect(formatAttributePath([{ name: 'primaryAddress' }, { name: 'city' }])).toBe('/primaryAddress/city');
    expect(formatAttributePath([{ name: 'profiles', elementId: 12 }, { name: 'domain' }])).toBe('/profiles#12/domain');
    expect(formatAttributePath([{ name: 'profiles', elementId: 12 }])).toBe('/profiles#12');
    expect(formatAttributePath([])).toBe('/');
    expect(formatAttributePath(p('profiles.profile.email'))).toBe('/profiles/profile/email');
  });
});

describe('findAttribute and requireAttribute', () => {
  it('finds every attribute of the schema by its path, in either form', () => {
    for (const path of ALL_PATHS) {
      const def = findAttribute(SCHEMA, p(path));
      expect(def?.name).toBe(path.split('/').pop());
      expect(findAttribute(SCHEMA, p(path.slice(1).replaceAll('/', '.')))).toBe(def);
    }
    expect(findAttribute(SCHEMA, p('/primaryAddress/city'))?.type).toBe('string');
    expect(findAttribute(SCHEMA, p('/lastUpdated'))?.type).toBe('version');
  });

  it('accepts element ids on plurals, whatever their value', () => {
    expect(findAttribute(SCHEMA, p('/profiles#3'))?.type).toBe('plural');
    expect(findAttribute(SCHEMA, p('/profiles#3/domain'))?.name).toBe('domain');
    expect(findAttribute(SCHEMA, p('/profiles#3/profile/email'))?.name).toBe('email');
    expect(findAttribute(SCHEMA, p('/settings/tags#8/label'))?.name).toBe('label');
  });

  it("answers a plural element's id with a synthetic id definition", () => {
    expect(findAttribute(SCHEMA, p('/profiles/id'))).toEqual({ name: 'id', type: 'id' });
    expect(findAttribute(SCHEMA, p('/profiles#3/id'))).toEqual({ name: 'id', type: 'id' });
    expect(findAttribute(SCHEMA, p('settings.tags.id'))).toEqual({ name: 'id', type: 'id' });
  });

  it.each([
    '/nope', '/email/x', '/primaryAddress/nope', '/primaryAddress/id', '/profiles/nope', '/profiles/id/x', '/profiles/id#2',
    '/email#2', '/primaryAddress#1/city', '/id/x', '/profiles/domain/x', '/settings/id', '/profiles/profile/id',
  ])('finds nothing at %s', (path) => {
    expect(findAttribute(SCHEMA, p(path))).toBeNull();
    const e = dataError(() => requireAttribute(SCHEMA, p(path)), 223);
    expect(e.message).toBe(`attribute does not exist: ${formatAttributePath(p(path))}`);
    expect(e.attribute).toBe(formatAttributePath(p(path)));
  });

  it('finds nothing for the empty path', () => {
    expect(findAttribute(SCHEMA, [])).toBeNull();
    dataError(() => requireAttribute(SCHEMA, []), 223);
  });

  it('requireAttribute returns what findAttribute finds', () => {
    expect(requireAttribute(SCHEMA, p('primaryAddress.zip'))).toBe(findAttribute(SCHEMA, p('/primaryAddress/zip')));
  });
});

describe('allAttributePaths', () => {
  it('lists every path depth first, containers before their children', () => {
    expect(allAttributePaths(SCHEMA)).toEqual(ALL_PATHS);
    expect(allAttributePaths([])).toEqual([]);
  });
});

describe('placementOf', () => {
  it('says where an attribute sits', () => {
    expect(placementOf(SCHEMA, p('/email'))).toEqual(TOP_LEVEL);
    expect(placementOf(SCHEMA, p('/primaryAddress/city'))).toEqual({ parentPath: '/primaryAddress', parentType: 'object', insidePlural: false });
    expect(placementOf(SCHEMA, p('/profiles#2/domain'))).toEqual({ parentPath: '/profiles', parentType: 'plural', insidePlural: true });
    expect(placementOf(SCHEMA, p('/profiles/profile/email'))).toEqual({ parentPath: '/profiles/profile', parentType: 'object', insidePlural: true });
    expect(placementOf(SCHEMA, p('/settings/tags/label'))).toEqual({ parentPath: '/settings/tags', parentType: 'plural', insidePlural: true });
  });

  it('is null when the parent is missing or not a container', () => {
    expect(placementOf(SCHEMA, [])).toBeNull();
    expect(placementOf(SCHEMA, p('/nope/x'))).toBeNull();
    expect(placementOf(SCHEMA, p('/email/x'))).toBeNull();
    expect(placementOf(SCHEMA, p('/primaryAddress#1/city'))).toBeNull();
  });
});

describe('updateAttribute', () => {
  it('replaces a definition at any depth and leaves the rest alone', () => {
    const input = deepFreeze(structuredClone(SCHEMA));
    const out = updateAttribute(input, p('/profiles/profile/email'), (d) => ({ ...d, description: 'from the provider' }));
    expect(findAttribute(out, p('/profiles/profile/email'))?.description).toBe('from the provider');
    expect(findAttribute(input, p('/profiles/profile/email'))?.description).toBeUndefined();
    expect(allAttributePaths(out)).toEqual(ALL_PATHS);
  });

  it('ignores element ids in the path', () => {
    const out = updateAttribute(SCHEMA, p('/profiles#9/domain'), (d) => ({ ...d, constraints: [] }));
    expect(findAttribute(out, p('/profiles/domain'))?.constraints).toEqual([]);
  });

  it('removes a definition when the update returns null', () => {
    const out = updateAttribute(deepFreeze(structuredClone(SCHEMA)), p('/primaryAddress/zip'), () => null);
    expect(allAttributePaths(out)).toEqual(ALL_PATHS.filter((x) => x !== '/primaryAddress/zip'));
    const top = updateAttribute(SCHEMA, p('/profiles'), () => null);
    expect(allAttributePaths(top)).toEqual(ALL_PATHS.filter((x) => !x.startsWith('/profiles')));
  });

  it('renames, keeping the position', () => {
    const out = updateAttribute(SCHEMA, p('/primaryAddress/city'), (d) => ({ ...d, name: 'town' }));
    expect(out[5]?.attr_defs?.map((d) => d.name)).toEqual(['town', 'zip']);
  });

  it('refuses a rename onto a sibling (233)', () => {
    const e = dataError(() => updateAttribute(SCHEMA, p('/primaryAddress/city'), (d) => ({ ...d, name: 'zip' })), 233);
    expect(e.attribute).toBe('/primaryAddress/zip');
  });

  it.each(['/nope', '/email/x', '/primaryAddress#1/city', '/profiles/nope'])('answers 223 for the missing %s', (path) => {
    const e = dataError(() => updateAttribute(SCHEMA, p(path), (d) => d), 223);
    expect(e.message).toBe(`attribute does not exist: ${formatAttributePath(p(path))}`);
    dataError(() => updateAttribute(SCHEMA, [], (d) => d), 223);
  });

  it("answers 234 for a plural element's id", () => {
    expect(dataError(() => updateAttribute(SCHEMA, p('/profiles/id'), () => null), 234).attribute).toBe('/profiles/id');
  });

  it('shares nothing with its input', () => {
    const input = structuredClone(SCHEMA);
    const before = structuredClone(input);
    const out = updateAttribute(input, p('/email'), (d) => d);
    out[5]?.attr_defs?.push({ name: 'extra', type: 'string' });
    (out[4] as AttributeDefinition).name = 'changed';
    expect(input).toEqual(before);
  });
});

describe('addAttributeAt', () => {
  const base = deepFreeze(structuredClone(SCHEMA));

  it('adds at the top level, last', () => {
    const out = addAttributeAt(base, [], { name: 'nickname', type: 'string', length: 20 });
    expect(out.map((d) => d.name).slice(-1)).toEqual(['nickname']);
    // The definition is stored in its normal form.
    expect(out.at(-1)).toEqual({ name: 'nickname', type: 'string', length: 20, 'case-sensitive': false, constraints: [], features: [] });
  });

  it('adds inside objects and plurals, element ids ignored', () => {
    expect(findAttribute(addAttributeAt(base, p('/primaryAddress'), { name: 'country', type: 'string' }), p('/primaryAddress/country'))?.type).toBe('string');
    expect(findAttribute(addAttributeAt(base, p('/profiles#4'), { name: 'verified', type: 'boolean' }), p('/profiles/verified'))?.type).toBe('boolean');
    expect(findAttribute(addAttributeAt(base, p('/settings/tags'), { name: 'colour', type: 'string', constraints: ['locally-unique'] }), p('/settings/tags/colour'))?.constraints).toEqual(['locally-unique']);
  });

  it.each(['/nope', '/email', '/primaryAddress/city', '/primaryAddress#2', '/profiles/id'])('answers 223 for the parent %s', (parent) => {
    const e = dataError(() => addAttributeAt(base, p(parent), { name: 'x', type: 'string' }), 223);
    expect(e.attribute).toBe(formatAttributePath(p(parent)));
  });

  it('answers 233 when the name is taken', () => {
    expect(dataError(() => addAttributeAt(base, [], { name: 'email', type: 'string' }), 233).attribute).toBe('/email');
    expect(dataError(() => addAttributeAt(base, p('/profiles'), { name: 'domain', type: 'string' }), 233).attribute).toBe('/profiles/domain');
  });

  it('answers 234 for reserved names', () => {
    const plain = withoutReserved(base);
    for (const name of ['id', 'uuid', 'created', 'lastUpdated']) expect(dataError(() => addAttributeAt(plain, [], { name, type: 'string' }), 234).attribute).toBe(`/${name}`);
    expect(dataError(() => addAttributeAt(base, p('/profiles'), { name: 'id', type: 'integer' }), 234).attribute).toBe('/profiles/id');
    expect(addAttributeAt(base, p('/primaryAddress'), { name: 'id', type: 'integer' })[5]?.attr_defs?.map((d) => d.name)).toEqual(['city', 'zip', 'id']);
  });

  it('checks the definition again where it lands (200 attr_def)', () => {
    const cases: [readonly PathSegment[], AttributeDefinition, string][] = [
      [[], { name: 'k', type: 'string', constraints: ['locally-unique'] }, 'only applies to the children of a plural'],
      [[], { name: 'k', type: 'string', features: ['primary-key'] }, 'only applies to the children of a plural'],
      [p('/profiles'), { name: 'k', type: 'string', constraints: ['unique'] }, 'use locally-unique inside plurals'],
      [p('/profiles/profile'), { name: 'k', type: 'string', constraints: ['unique'] }, 'use locally-unique inside plurals'],
      [p('/primaryAddress'), { name: 'k', type: 'id' }, 'reserved attributes'],
    ];
    for (const [parent, def, fragment] of cases) {
      const e = dataError(() => addAttributeAt(base, parent, def), 200);
      expect(e.argument).toBe('attr_def');
      expect(e.message).toContain(fragment);
    }
  });

  it('keeps attributes at most 8 deep', () => {
    let schema: AttributeDefinition[] = [];
    const parent: PathSegment[] = [];
    for (let depth = 1; depth <= 7; depth += 1) {
      schema = addAttributeAt(schema, parent, { name: `o${depth}`, type: 'object', attr_defs: [{ name: 'x', type: 'string' }] });
      parent.push({ name: `o${depth}` });
    }
    schema = addAttributeAt(schema, parent, { name: 'leaf', type: 'string' });
    expect(allAttributePaths(schema)).toContain('/o1/o2/o3/o4/o5/o6/o7/leaf');
    const e = dataError(() => addAttributeAt(schema, parent, { name: 'deep', type: 'object', attr_defs: [{ name: 'y', type: 'string' }] }), 200);
    expect(e.message).toContain('at most 8 deep');
  });
});

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

const nameArb = fc.stringMatching(ATTRIBUTE_NAME);
const segmentArb: fc.Arbitrary<PathSegment> = fc.record({ name: nameArb, elementId: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }) }, { requiredKeys: ['name'] });
const pathArb = fc.array(segmentArb, { minLength: 1, maxLength: 10 });
const seg = (s: PathSegment): string => `${s.name}${s.elementId === undefined ? '' : `#${s.elementId}`}`;

describe('properties', () => {
  it('parse ∘ format is the identity on paths', () => {
    fc.assert(fc.property(pathArb, (path) => {
      expect(parseAttributePath(formatAttributePath(path), 'a')).toEqual(path);
    }), { numRuns: 500 });
  });

  it('slash, dot, mixed and leading-slash forms parse equal', () => {
    fc.assert(fc.property(pathArb, fc.array(fc.constantFrom('/', '.'), { minLength: 9, maxLength: 9 }), fc.boolean(), (path, separators, leading) => {
      const slash = path.map(seg).join('/');
      const dot = path.map(seg).join('.');
      const mixed = path.map(seg).reduce((acc, s, i) => (i === 0 ? s : `${acc}${separators[i - 1] ?? '/'}${s}`), '');
      const expected = parseAttributePath(`/${slash}`, 'a');
      expect(parseAttributePath(slash, 'a')).toEqual(expected);
      expect(parseAttributePath(dot, 'a')).toEqual(expected);
      expect(parseAttributePath(`${leading ? '/' : ''}${mixed}`, 'a')).toEqual(expected);
    }), { numRuns: 300 });
  });

  it('format ∘ parse is stable: a parsed text formats to a text that parses the same', () => {
    const textArb = fc.stringMatching(/^\/?[A-Za-z_][A-Za-z0-9_]{0,3}(#[0-9]{1,4})?([/.][A-Za-z_][A-Za-z0-9_]{0,3}(#[0-9]{1,4})?){0,4}$/);
    fc.assert(fc.property(textArb, (text) => {
      let parsed: PathSegment[];
      try {
        parsed = parseAttributePath(text, 'a');
      } catch (err) {
        expect(err).toBeInstanceOf(DataError); // only #0 and the like
        return;
      }
      expect(parseAttributePath(formatAttributePath(parsed), 'a')).toEqual(parsed);
    }), { numRuns: 300 });
  });

  it('parseAttributePath throws nothing but DataError, whatever it gets', () => {
    fc.assert(fc.property(fc.string(), (text) => onlyDataError(() => parseAttributePath(text, 'a'))), { numRuns: 1000 });
    fc.assert(fc.property(fc.string({ unit: fc.constantFrom('a', 'Z', '_', '1', '/', '.', '#', '0', '-', ' ') }), (text) => onlyDataError(() => parseAttributePath(text, 'a'))), { numRuns: 1000 });
    fc.assert(fc.property(fc.anything(), (value) => onlyDataError(() => parseAttributePath(value as string, 'a'))), { numRuns: 300 });
  });

  it('every listed path is found, and requireAttribute names its last step', () => {
    for (const path of allAttributePaths(SCHEMA)) expect(requireAttribute(SCHEMA, p(path)).name).toBe(path.split('/').pop());
  });

  it('updateAttribute and addAttributeAt never mutate their input', () => {
    const pathsArb = fc.constantFrom(...ALL_PATHS, '/nope', '/profiles/id', '/email/x');
    const updateArb = fc.constantFrom<(d: AttributeDefinition) => AttributeDefinition | null>(
      () => null,
      (d) => d,
      (d) => ({ ...d, description: 'x' }),
      (d) => ({ ...d, name: 'renamed' }),
      (d) => ({ ...d, name: 'email' }),
      (d) => { d.constraints = ['required']; return d; }, // mutating what it is given must be harmless too
    );
    const newDefArb = fc.record({ name: fc.constantFrom('x', 'id', 'email', 'city', 'domain'), type: fc.constantFrom('string', 'integer', 'json') });
    const parentArb = fc.constantFrom('', '/primaryAddress', '/profiles', '/profiles/profile', '/settings/tags', '/email', '/nope');
    fc.assert(fc.property(pathsArb, updateArb, newDefArb, parentArb, (path, update, def, parent) => {
      const input = deepFreeze(structuredClone(SCHEMA));
      const snapshot = JSON.stringify(input);
      onlyDataError(() => updateAttribute(input, p(path), update));
      onlyDataError(() => addAttributeAt(input, parent === '' ? [] : p(parent), deepFreeze({ ...def })));
      expect(JSON.stringify(input)).toBe(snapshot);
    }), { numRuns: 500 });
  });

  it('updateAttribute with the identity returns an equal schema; addAttributeAt then remove gives it back', () => {
    fc.assert(fc.property(fc.constantFrom(...ALL_PATHS), (path) => {
      expect(updateAttribute(SCHEMA, p(path), (d) => d)).toEqual(SCHEMA);
    }));
    fc.assert(fc.property(fc.constantFrom('', '/primaryAddress', '/profiles', '/profiles/profile', '/settings', '/settings/tags'), nameArb, (parent, name) => {
      const at = parent === '' ? [] : p(parent);
      if (findAttribute(SCHEMA, [...at, { name }]) !== null || name === 'id' || ['uuid', 'created', 'lastUpdated'].includes(name)) return;
      const added = addAttributeAt(SCHEMA, at, { name, type: 'string' });
      expect(updateAttribute(added, [...at, { name }], () => null)).toEqual(SCHEMA);
    }), { numRuns: 300 });
  });
});
