// Unit and property tests for src/domain/access-schema.ts: which attribute paths a client may read or
// write (spec capture-api §5.11-§5.13, docs/entities.md "Access schemas"). Pure: no database, no HTTP.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ACCESS_TYPES,
  AccessSchema,
  accessTypeFor,
  checkWritable,
  isAccessType,
  parseAccessSchemaAttributes,
} from '../../src/domain/access-schema.js';
import { parseEntityTypeAttributes, withoutReserved } from '../../src/domain/schema/attr-defs.js';
import { RESERVED_ATTRIBUTE_NAMES, type AttributeDefinition } from '../../src/domain/schema/attribute-definition.js';
import { DataError } from '../../src/domain/schema/data-error.js';
import { defaultUserAttributes } from '../../src/domain/schema/default-user-type.js';
import { allAttributePaths } from '../../src/domain/schema/paths.js';
import { renderRecord, type Doc } from '../../src/domain/schema/record.js';

// ---------------------------------------------------------------------------------------------
// Fixtures and helpers
// ---------------------------------------------------------------------------------------------

const RESERVED = ['/id', '/uuid', '/created', '/lastUpdated'];

const ATTR_DEFS: AttributeDefinition[] = parseEntityTypeAttributes([
  ...withoutReserved(defaultUserAttributes()),
  { name: 'statuses', type: 'plural', attr_defs: [{ name: 'status', type: 'string' }, { name: 'note', type: 'string' }] },
  {
    name: 'profiles',
    type: 'plural',
    attr_defs: [
      { name: 'domain', type: 'string' },
      { name: 'info', type: 'object', attr_defs: [{ name: 'nick', type: 'string' }, { name: 'bio', type: 'string' }] },
    ],
  },
  { name: 'meta', type: 'object', attr_defs: [{ name: 'id', type: 'string' }, { name: 'source', type: 'string' }] },
]);

const RECORD: Doc = {
  id: 7,
  uuid: '2f1a0c52-3f7e-4a53-9c53-0b1c2d3e4f50',
  created: '2024-01-01 00:00:00.000000 +0000',
  lastUpdated: '2024-05-06 07:08:09.123000 +0000',
  email: 'ann@example.com',
  givenName: 'Ann',
  familyName: null,
  displayName: null,
  emailVerified: null,
  password: null,
  birthday: null,
  primaryAddress: { address1: '1 Main St', address2: null, city: 'Springfield', stateAbbreviation: null, zip: '12345', country: null, phone: null },
  statuses: [
    { id: 1, status: 'new', note: 'n1' },
    { id: 2, status: 'active', note: null },
  ],
  profiles: [{ id: 3, domain: 'a.example', info: { nick: 'annie', bio: 'hi' } }],
  meta: { id: 'internal-id', source: 'import' },
};
const record = (): Doc => structuredClone(RECORD);

/** The DataError a call throws (fails when it returns or throws anything else), checked for code. */
function dataError(call: () => unknown, code: number): DataError {
  let result: unknown;
  try {
    result = call();
  } catch (error) {
    if (!(error instanceof DataError)) throw error;
    expect(error.code).toBe(code);
    return error;
  }
  throw new Error(`expected DataError ${code}, got a result: ${JSON.stringify(result)}`);
}

const isObject = (v: unknown): v is Doc => typeof v === 'object' && v !== null && !Array.isArray(v);

// ---------------------------------------------------------------------------------------------
// accessTypeFor, isAccessType
// ---------------------------------------------------------------------------------------------

describe('access types', () => {
  it('picks the access type for reads and writes, with and without a user token', () => {
    expect(accessTypeFor('read', false)).toBe('read');
    expect(accessTypeFor('write', false)).toBe('write');
    expect(accessTypeFor('read', true)).toBe('read_with_token');
    expect(accessTypeFor('write', true)).toBe('write_with_token');
  });

  it('isAccessType knows exactly the four access types', () => {
    expect([...ACCESS_TYPES].sort()).toEqual(['read', 'read_with_token', 'write', 'write_with_token']);
    for (const t of ACCESS_TYPES) expect(isAccessType(t)).toBe(true);
    for (const t of ['READ', 'readWithToken', '', null, 1, undefined, ['read']]) expect(isAccessType(t)).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
// allows
// ---------------------------------------------------------------------------------------------

describe('AccessSchema.allows', () => {
  const schema = new AccessSchema(['/email', '/primaryAddress', '/statuses/status', '/profiles/info/nick']);

  it('allows a listed path and every descendant of one', () => {
    expect(schema.allows('/email')).toBe(true);
    expect(schema.allows('/primaryAddress')).toBe(true);
    expect(schema.allows('/primaryAddress/city')).toBe(true);
    expect(schema.allows('/statuses/status')).toBe(true);
    expect(schema.allows('/profiles/info/nick')).toBe(true);
  });

  it('does not allow a container because a child of it is listed', () => {
    expect(schema.allows('/statuses')).toBe(false);
    expect(schema.allows('/profiles')).toBe(false);
    expect(schema.allows('/profiles/info')).toBe(false);
  });

  it('does not allow siblings, unknown paths, or paths that only share a text prefix', () => {
    expect(schema.allows('/givenName')).toBe(false);
    expect(schema.allows('/statuses/note')).toBe(false);
    expect(schema.allows('/profiles/info/bio')).toBe(false);
    expect(schema.allows('/emailVerified')).toBe(false);
    expect(new AccessSchema(['/primary']).allows('/primaryAddress')).toBe(false);
    expect(schema.allows('/')).toBe(false);
    expect(schema.allows('')).toBe(false);
  });

  it('an empty schema allows nothing', () => {
    expect(new AccessSchema([]).allows('/email')).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
// filterRecord
// ---------------------------------------------------------------------------------------------

describe('AccessSchema.filterRecord', () => {
  it('keeps listed attributes and drops the others', () => {
    expect(new AccessSchema(['/email', '/givenName']).filterRecord(record())).toEqual({ email: 'ann@example.com', givenName: 'Ann' });
  });

  it('does not add the reserved attributes itself; a parsed schema lists them', () => {
    expect(new AccessSchema(['/email']).filterRecord(record())).toEqual({ email: 'ann@example.com' });
    const parsed = parseAccessSchemaAttributes(['email'], ATTR_DEFS);
    expect(new AccessSchema(parsed.paths).filterRecord(record())).toEqual({ id: 7, uuid: RECORD.uuid, created: RECORD.created, lastUpdated: RECORD.lastUpdated, email: 'ann@example.com' });
  });

  it('a listed container keeps all of its children', () => {
    const out = new AccessSchema(['/primaryAddress', '/statuses']).filterRecord(record());
    expect(out).toEqual({ primaryAddress: RECORD.primaryAddress, statuses: RECORD.statuses });
  });

  it('a listed child makes its object partly visible', () => {
    expect(new AccessSchema(['/primaryAddress/city']).filterRecord(record())).toEqual({ primaryAddress: { city: 'Springfield' } });
  });

  it('plural elements keep their id when only some children are listed', () => {
    expect(new AccessSchema(['/statuses/status']).filterRecord(record())).toEqual({ statuses: [{ id: 1, status: 'new' }, { id: 2, status: 'active' }] });
    expect(new AccessSchema(['/profiles/info/nick']).filterRecord(record())).toEqual({ profiles: [{ id: 3, info: { nick: 'annie' } }] });
  });

  it('an object child named id is not shown unless listed (only plural elements keep their id)', () => {
    expect(new AccessSchema(['/meta/source']).filterRecord(record())).toEqual({ meta: { source: 'import' } });
  });

  it('keeps empty containers partly visible as empty', () => {
    const r = { ...record(), statuses: [] };
    expect(new AccessSchema(['/statuses/status']).filterRecord(r)).toEqual({ statuses: [] });
  });

  it('does not change the record it filters', () => {
    const r = record();
    new AccessSchema(['/primaryAddress/city', '/statuses/status']).filterRecord(r);
    expect(r).toEqual(RECORD);
  });
});

// ---------------------------------------------------------------------------------------------
// pruneDefinitions
// ---------------------------------------------------------------------------------------------

describe('AccessSchema.pruneDefinitions', () => {
  it('keeps listed definitions whole and prunes partly listed containers to their listed children', () => {
    const pruned = new AccessSchema([...RESERVED, '/email', '/primaryAddress/city', '/profiles/info/nick']).pruneDefinitions(ATTR_DEFS);
    expect(pruned.map((d) => d.name)).toEqual(['id', 'uuid', 'created', 'lastUpdated', 'email', 'primaryAddress', 'profiles']);
    expect(pruned.find((d) => d.name === 'email')).toEqual(ATTR_DEFS.find((d) => d.name === 'email'));
    expect(pruned.find((d) => d.name === 'primaryAddress')?.attr_defs?.map((d) => d.name)).toEqual(['city']);
    const profiles = pruned.find((d) => d.name === 'profiles');
    expect(profiles?.type).toBe('plural');
    expect(profiles?.attr_defs).toEqual([{ ...ATTR_DEFS.find((d) => d.name === 'profiles')?.attr_defs?.find((d) => d.name === 'info'), attr_defs: [{ name: 'nick', type: 'string', length: null, 'case-sensitive': false, constraints: [], features: [] }] }]);
  });

  it('answers copies: changing them leaves the entity type alone', () => {
    const before = structuredClone(ATTR_DEFS);
    const pruned = new AccessSchema(['/email', '/primaryAddress', '/statuses/status']).pruneDefinitions(ATTR_DEFS);
    for (const d of pruned) {
      d.name = 'changed';
      d.attr_defs?.push({ name: 'x', type: 'string' });
    }
    expect(ATTR_DEFS).toEqual(before);
  });

  it('a schema listing every path gives the definitions back', () => {
    expect(new AccessSchema(allAttributePaths(ATTR_DEFS)).pruneDefinitions(ATTR_DEFS)).toEqual(ATTR_DEFS);
    expect(new AccessSchema(ATTR_DEFS.map((d) => `/${d.name}`)).pruneDefinitions(ATTR_DEFS)).toEqual(ATTR_DEFS);
  });
});

// ---------------------------------------------------------------------------------------------
// checkWritable
// ---------------------------------------------------------------------------------------------

describe('checkWritable', () => {
  it('lets anything through without a schema (no schema = full access)', () => {
    expect(() => checkWritable(null, ['/email', '/nope', '/statuses'])).not.toThrow();
  });

  it('lets through writes inside the schema, and writes that touch nothing', () => {
    const schema = new AccessSchema(['/email', '/primaryAddress', '/statuses/status']);
    expect(() => checkWritable(schema, ['/email', '/primaryAddress/city', '/primaryAddress', '/statuses/status'])).not.toThrow();
    expect(() => checkWritable(schema, [])).not.toThrow();
    expect(() => checkWritable(schema, new Set(['/email']))).not.toThrow();
  });

  it('refuses a write touching a path outside the schema: 223 naming that path', () => {
    const schema = new AccessSchema(['/email', '/statuses/status']);
    const e = dataError(() => checkWritable(schema, ['/email', '/givenName']), 223);
    expect(e.message).toBe('attribute does not exist: /givenName');
    expect(e.attribute).toBe('/givenName');
    expect(dataError(() => checkWritable(schema, ['/statuses']), 223).attribute).toBe('/statuses');
    expect(dataError(() => checkWritable(schema, new Set(['/statuses/note'])), 223).attribute).toBe('/statuses/note');
  });
});

// ---------------------------------------------------------------------------------------------
// parseAccessSchemaAttributes
// ---------------------------------------------------------------------------------------------

describe('parseAccessSchemaAttributes', () => {
  it('accepts slash and dot forms and answers slash paths in attr_defs order, without repeats', () => {
    const out = parseAccessSchemaAttributes(['primaryAddress.city', '/email', 'email', 'profiles/info.nick', '/statuses', ...RESERVED], ATTR_DEFS);
    expect(out.paths).toEqual([...RESERVED, '/email', '/primaryAddress/city', '/statuses', '/profiles/info/nick']);
    expect(out.addedReserved).toBe(false);
  });

  it('adds the reserved attributes, and says so', () => {
    const out = parseAccessSchemaAttributes(['givenName'], ATTR_DEFS);
    expect(out.paths).toEqual([...RESERVED, '/givenName']);
    expect(out.addedReserved).toBe(true);
    expect(parseAccessSchemaAttributes([], ATTR_DEFS)).toEqual({ paths: RESERVED, addedReserved: true });
    expect(parseAccessSchemaAttributes(['/id', 'uuid', 'created'], ATTR_DEFS)).toEqual({ paths: RESERVED, addedReserved: true });
  });

  it('refuses unknown attributes: 223 naming the path in slash form', () => {
    const e = dataError(() => parseAccessSchemaAttributes(['email', 'primaryAddress.planet'], ATTR_DEFS), 223);
    expect(e.attribute).toBe('/primaryAddress/planet');
    expect(e.message).toBe('attribute does not exist: /primaryAddress/planet');
    expect(dataError(() => parseAccessSchemaAttributes(['nope'], ATTR_DEFS), 223).attribute).toBe('/nope');
    expect(dataError(() => parseAccessSchemaAttributes(['email/inner'], ATTR_DEFS), 223).attribute).toBe('/email/inner');
  });

  it('answers 200 (argument attributes) when the argument is not a JSON array of names', () => {
    for (const input of [null, undefined, 'email', { email: true }, 3]) {
      const e = dataError(() => parseAccessSchemaAttributes(input, ATTR_DEFS), 200);
      expect(e.argument).toBe('attributes');
      expect(e.message.startsWith('attributes was not valid for the following reason: ')).toBe(true);
    }
    for (const input of [[1], ['email', null], [['email']], [{}]]) expect(dataError(() => parseAccessSchemaAttributes(input, ATTR_DEFS), 200).argument).toBe('attributes');
  });

  it('accepts the id of a plural element as a path (every element has one)', () => {
    const out = parseAccessSchemaAttributes(['statuses.id'], ATTR_DEFS);
    expect(out.paths).toContain('/statuses/id');
    expect(new AccessSchema(['/statuses/id']).filterRecord(record())).toEqual({ statuses: [{ id: 1 }, { id: 2 }] });
  });

  it('refuses malformed paths and plural element paths (200)', () => {
    for (const item of ['', '/', 'a..b', '/statuses#1', '/statuses#1/status', 'profiles#3.info']) {
      expect(dataError(() => parseAccessSchemaAttributes([item], ATTR_DEFS), 200).argument).toBe('attributes');
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

const nameArb = fc.stringMatching(/^[a-z][A-Za-z0-9_]{0,5}$/).filter((n) => !(n in {}) && !RESERVED_ATTRIBUTE_NAMES.has(n) && n !== 'id');

interface RawDef {
  name: string;
  type: 'string' | 'integer' | 'json' | 'object' | 'plural';
  attr_defs?: RawDef[];
}

function defArb(depth: number): fc.Arbitrary<RawDef> {
  const leaf = fc.record({ name: nameArb, type: fc.constantFrom<'string' | 'integer' | 'json'>('string', 'integer', 'json') });
  if (depth >= 3) return leaf;
  const container = fc
    .record({ name: nameArb, type: fc.constantFrom<'object' | 'plural'>('object', 'plural'), attr_defs: fc.uniqueArray(defArb(depth + 1), { minLength: 1, maxLength: 3, selector: (d) => d.name }) });
  return fc.oneof({ weight: 3, arbitrary: leaf }, { weight: 2, arbitrary: container });
}

const attrDefsArb: fc.Arbitrary<AttributeDefinition[]> = fc.uniqueArray(defArb(1), { minLength: 1, maxLength: 5, selector: (d) => d.name }).map((raw) => parseEntityTypeAttributes(raw));

/** A stored document for these definitions: each value absent, null or present (json may be any JSON). */
function docArb(defs: readonly AttributeDefinition[]): fc.Arbitrary<Doc> {
  const own = defs.filter((d) => !RESERVED_ATTRIBUTE_NAMES.has(d.name));
  const value = (d: AttributeDefinition): fc.Arbitrary<unknown> => {
    if (d.type === 'object') return docArb(d.attr_defs ?? []);
    if (d.type === 'plural') return fc.array(docArb(d.attr_defs ?? []), { maxLength: 3 }).map((els) => els.map((el, i) => ({ id: i + 1, ...el })));
    if (d.type === 'integer') return fc.integer();
    if (d.type === 'json') return fc.jsonValue({ maxDepth: 2 });
    return fc.string();
  };
  return fc.tuple(...own.map((d) => fc.option(value(d), { nil: undefined }))).map((values) => {
    const out: Doc = {};
    own.forEach((d, i) => {
      if (values[i] !== undefined) out[d.name] = values[i];
    });
    return out;
  });
}

const META = { id: 1, uuid: '2f1a0c52-3f7e-4a53-9c53-0b1c2d3e4f50', created: 'c', lastUpdated: 'l' };

/** A rendered record of a generated type, and a schema: some of the type's paths. */
const caseArb = attrDefsArb.chain((attrDefs) =>
  fc.record({
    attrDefs: fc.constant(attrDefs),
    record: docArb(attrDefs).map((doc) => renderRecord({ attrDefs, rules: [] }, doc, META)),
    paths: fc.subarray(allAttributePaths(attrDefs)),
  }),
);

/** Whether every key path of `inner` (plural elements by position) exists in `outer`. */
function addsNothing(inner: unknown, outer: unknown): boolean {
  if (Array.isArray(inner)) return Array.isArray(outer) && inner.length === outer.length && (inner as unknown[]).every((v, i) => addsNothing(v, (outer as unknown[])[i]));
  if (isObject(inner)) return isObject(outer) && Object.entries(inner).every(([k, v]) => Object.hasOwn(outer, k) && addsNothing(v, outer[k]));
  return Object.is(inner, outer);
}

/** The values a path (names, no element ids) reaches in a record; plurals contribute each element's. */
function reach(value: unknown, names: readonly string[]): unknown[] {
  const [first, ...rest] = names;
  if (first === undefined) return [value];
  if (Array.isArray(value)) return (value as unknown[]).flatMap((el) => reach(el, names));
  if (isObject(value) && Object.hasOwn(value, first)) return reach(value[first], rest);
  return [];
}

/**
 * Every value kept is covered: its path is allowed, or it is a container whose kept contents are
 * covered, or it is the id of an element of a plural.
 */
function everyLeafAllowed(schema: AccessSchema, value: unknown, path: string, defs: readonly AttributeDefinition[]): boolean {
  if (path !== '' && schema.allows(path)) return true;
  if (!isObject(value)) return false;
  return Object.entries(value).every(([k, v]) => {
    const def = defs.find((d) => d.name === k);
    if (def === undefined) return false;
    const here = `${path}/${k}`;
    if (schema.allows(here)) return true;
    if (def.type === 'object') return everyLeafAllowed(schema, v, here, def.attr_defs ?? []);
    if (def.type === 'plural') {
      return Array.isArray(v) && (v as unknown[]).every((el) => isObject(el) && Object.entries(el).every(([ek, ev]) => ek === 'id' || everyLeafAllowed(schema, { [ek]: ev }, here, def.attr_defs ?? [])));
    }
    return false;
  });
}

describe('property: filterRecord', () => {
  it('never adds keys or values, is idempotent, and keeps only what the schema covers', () => {
    fc.assert(
      fc.property(caseArb, ({ attrDefs, record: r, paths }) => {
        const schema = new AccessSchema(paths);
        const copy = structuredClone(r);
        const out = schema.filterRecord(r);
        expect(r).toEqual(copy);
        expect(addsNothing(out, r)).toBe(true);
        expect(schema.filterRecord(out)).toEqual(out);
        expect(everyLeafAllowed(schema, out, '', attrDefs)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps every value the schema lists, wherever it sits', () => {
    fc.assert(
      fc.property(caseArb, ({ record: r, paths }) => {
        const out = new AccessSchema(paths).filterRecord(r);
        for (const p of paths) expect(reach(out, p.split('/').slice(1))).toEqual(reach(r, p.split('/').slice(1)));
      }),
      { numRuns: 200 },
    );
  });

  it('a schema listing every path, or every top-level path, or every leaf, is the identity', () => {
    fc.assert(
      fc.property(caseArb, ({ attrDefs, record: r }) => {
        const all = allAttributePaths(attrDefs);
        expect(new AccessSchema(all).filterRecord(r)).toEqual(r);
        expect(new AccessSchema(attrDefs.map((d) => `/${d.name}`)).filterRecord(r)).toEqual(r);
        const leaves = all.filter((p) => !all.some((q) => q.startsWith(`${p}/`)));
        expect(new AccessSchema(leaves).filterRecord(r)).toEqual(r);
        // The parsed form of the same list answers the same.
        expect(new AccessSchema(parseAccessSchemaAttributes(leaves, attrDefs).paths).filterRecord(r)).toEqual(r);
      }),
      { numRuns: 200 },
    );
  });

  it('checkWritable refuses exactly the touched sets with a path the schema does not allow', () => {
    fc.assert(
      fc.property(
        attrDefsArb.chain((attrDefs) => {
          const all = allAttributePaths(attrDefs);
          return fc.record({ paths: fc.subarray(all), touched: fc.subarray(all) });
        }),
        ({ paths, touched }) => {
          const schema = new AccessSchema(paths);
          const outside = touched.filter((p) => !schema.allows(p));
          if (outside.length === 0) expect(() => checkWritable(schema, touched)).not.toThrow();
          else expect(dataError(() => checkWritable(schema, touched), 223).attribute).toBe(outside[0]);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('parseAccessSchemaAttributes accepts every path of the type in either form, and prunes consistently', () => {
    fc.assert(
      fc.property(
        attrDefsArb.chain((attrDefs) => fc.record({ attrDefs: fc.constant(attrDefs), paths: fc.subarray(allAttributePaths(attrDefs)), dots: fc.boolean() })),
        ({ attrDefs, paths, dots }) => {
          const given = dots ? paths.map((p) => p.slice(1).replaceAll('/', '.')) : paths;
          const parsed = parseAccessSchemaAttributes(given, attrDefs);
          expect(new Set(parsed.paths)).toEqual(new Set([...RESERVED, ...paths]));
          expect(parsed.addedReserved).toBe(!RESERVED.every((p) => paths.includes(p)));
          // Sorted like the attr_defs.
          const order = allAttributePaths(attrDefs);
          expect(parsed.paths).toEqual([...parsed.paths].sort((a, b) => order.indexOf(a) - order.indexOf(b)));
          // The pruned definitions name exactly the allowed paths and the containers leading to listed ones.
          const schema = new AccessSchema(parsed.paths);
          const kept = allAttributePaths(schema.pruneDefinitions(attrDefs));
          for (const p of order) expect(kept.includes(p)).toBe(schema.allows(p) || parsed.paths.some((q) => q.startsWith(`${p}/`)));
        },
      ),
      { numRuns: 300 },
    );
  });
});
