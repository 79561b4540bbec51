// Unit and property tests for src/domain/schema/record.ts: building the stored document for
// entity.create / entity.update / entity.replace (spec capture-api §3.4, §3.6, §3.7), deleting plural
// elements (§3.8), rendering (§3.1) and the `touched` / `passwords` bookkeeping the entity service
// relies on (docs/entities.md "Writes"). Pure: no database, no HTTP.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseEntityTypeAttributes, withoutReserved } from '../../src/domain/schema/attr-defs.js';
import {
  RESERVED_ATTRIBUTE_NAMES,
  USER_ATTRIBUTE_TYPES,
  type AttributeDefinition,
  type AttributeType,
  type Constraint,
} from '../../src/domain/schema/attribute-definition.js';
import { AccessSchema, checkWritable } from '../../src/domain/access-schema.js';
import { DataError } from '../../src/domain/schema/data-error.js';
import { defaultUserAttributes } from '../../src/domain/schema/default-user-type.js';
import { parseAttributePath, type PathSegment } from '../../src/domain/schema/paths.js';
import {
  createDocument,
  deletePluralElement,
  getAt,
  renderRecord,
  setAt,
  valueAt,
  writeDocument,
  type CompiledRule,
  type Doc,
  type EntityTypeModel,
  type Location,
  type RecordMeta,
  type WriteOptions,
  type WriteOutcome,
} from '../../src/domain/schema/record.js';
import { parseRuleDefinition } from '../../src/domain/schema/rules.js';
import { normalizeValue } from '../../src/domain/schema/values.js';

// ---------------------------------------------------------------------------------------------
// Fixtures and helpers
// ---------------------------------------------------------------------------------------------

const NOW = new Date('2024-05-06T07:08:09.123Z');
const META: RecordMeta = { id: 7, uuid: '2f1a0c52-3f7e-4a53-9c53-0b1c2d3e4f50', created: '2024-01-01 00:00:00.000000 +0000', lastUpdated: '2024-05-06 07:08:09.123000 +0000' };

/** Plural element ids handed out from `start + 1` on; `issued` lists them. */
function ids(start = 100): WriteOptions & { issued: number[] } {
  const issued: number[] = [];
  let next = start;
  return {
    now: NOW,
    issued,
    nextElementId: () => {
      next += 1;
      issued.push(next);
      return next;
    },
  };
}

const rule = (paths: string[], definition: unknown): CompiledRule => ({ uuid: `rule-${paths.join(',')}`, paths, rule: parseRuleDefinition(definition) });
const modelOf = (attrDefs: unknown[], rules: CompiledRule[] = []): EntityTypeModel => ({ attrDefs: parseEntityTypeAttributes(attrDefs), rules });

/** The `user` type plus plurals (nested ones too) and an object holding a plural. */
const USER_ATTRS: unknown[] = [
  ...withoutReserved(defaultUserAttributes()),
  { name: 'statuses', type: 'plural', attr_defs: [{ name: 'status', type: 'string' }, { name: 'at', type: 'dateTime' }] },
  {
    name: 'profiles',
    type: 'plural',
    attr_defs: [
      { name: 'domain', type: 'string', constraints: ['locally-unique'] },
      { name: 'handle', type: 'string', 'case-sensitive': true, constraints: ['locally-unique'] },
      { name: 'secret', type: 'password' },
      { name: 'info', type: 'object', attr_defs: [{ name: 'nick', type: 'string' }] },
      { name: 'tags', type: 'plural', attr_defs: [{ name: 'tag', type: 'string' }] },
    ],
  },
  { name: 'settings', type: 'object', attr_defs: [{ name: 'theme', type: 'string' }, { name: 'flags', type: 'plural', attr_defs: [{ name: 'flag', type: 'string' }] }] },
];
const USER = modelOf(USER_ATTRS);

/** A stored `user` document (passwords as their stored hashes). */
function current(): Doc {
  return {
    email: 'ann@example.com',
    givenName: 'Ann',
    familyName: null,
    password: 'HASH0',
    primaryAddress: { address1: '1 Main St', city: 'Springfield', zip: null },
    statuses: [
      { id: 1, status: 'new', at: '2024-01-01 00:00:00 +0000' },
      { id: 2, status: 'active' },
    ],
    profiles: [{ id: 3, domain: 'a.example', handle: 'Ann', secret: 'HASH1', info: { nick: 'annie' }, tags: [{ id: 4, tag: 'x' }] }],
    settings: { theme: 'dark', flags: [{ id: 5, flag: 'beta' }] },
  };
}

const path = (text: string): PathSegment[] => (text === '' ? [] : parseAttributePath(text, 'attribute_name'));
const create = (input: unknown, model = USER, options: WriteOptions = ids()): WriteOutcome => createDocument(model, input, options);
const update = (doc: Doc, input: unknown, at = '', model = USER, options: WriteOptions = ids()): WriteOutcome => writeDocument('update', model, doc, input, path(at), options);
const replace = (doc: Doc, input: unknown, at = '', model = USER, options: WriteOptions = ids()): WriteOutcome => writeDocument('replace', model, doc, input, path(at), options);

/** The DataError a call throws (fails when it returns or throws anything else), checked for code and attribute. */
function dataError(call: () => unknown, code: number, attribute?: string): DataError {
  let result: unknown;
  try {
    result = call();
  } catch (error) {
    if (!(error instanceof DataError)) throw error;
    expect(error.code).toBe(code);
    if (attribute !== undefined) expect(error.attribute).toBe(attribute);
    return error;
  }
  throw new Error(`expected DataError ${code}, got a result: ${JSON.stringify(result)}`);
}

/** Runs `call`; anything it throws must be a DataError. */
function onlyDataError(call: () => unknown): void {
  try {
    call();
  } catch (error) {
    if (!(error instanceof DataError)) throw error;
  }
}

const sorted = (set: Iterable<string>): string[] => [...set].sort();
const isObject = (v: unknown): v is Doc => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every location in `doc` holding a non-null value of a password attribute. */
function passwordLocations(defs: readonly AttributeDefinition[], doc: Doc, loc: Location = []): Location[] {
  const out: Location[] = [];
  for (const d of defs) {
    if (!Object.hasOwn(doc, d.name)) continue;
    const v = doc[d.name];
    if (d.type === 'password' && v !== null && v !== undefined) out.push([...loc, d.name]);
    if (d.type === 'object' && isObject(v)) out.push(...passwordLocations(d.attr_defs ?? [], v, [...loc, d.name]));
    if (d.type === 'plural' && Array.isArray(v)) {
      (v as unknown[]).forEach((el, i) => {
        if (isObject(el)) out.push(...passwordLocations(d.attr_defs ?? [], el, [...loc, d.name, i]));
      });
    }
  }
  return out;
}
const locKeys = (locs: readonly Location[]): string[] => locs.map((l) => JSON.stringify(l)).sort();

/**
 * A copy of a document or rendered record without the `id` of its plural elements. Follows the
 * definitions, so `json` values (which may hold any keys, `id` and `__proto__` included) are kept as they are.
 */
function stripElementIds(defs: readonly AttributeDefinition[], doc: Doc): Doc {
  const out: Doc = {};
  for (const [k, v] of Object.entries(doc)) {
    const def = defs.find((d) => d.name === k);
    let value = v;
    if (def?.type === 'object' && isObject(v)) value = stripElementIds(def.attr_defs ?? [], v);
    if (def?.type === 'plural' && Array.isArray(v)) {
      value = (v as unknown[]).map((el) => (isObject(el) ? stripElementIds(def.attr_defs ?? [], Object.fromEntries(Object.entries(el).filter(([ek]) => ek !== 'id'))) : el));
    }
    Object.defineProperty(out, k, { value, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** Every plural element id in a document or rendered record (following the definitions). */
function elementIds(defs: readonly AttributeDefinition[], doc: unknown): unknown[] {
  if (!isObject(doc)) return [];
  return defs.flatMap((d) => {
    const v = doc[d.name];
    if (d.type === 'object') return elementIds(d.attr_defs ?? [], v);
    if (d.type !== 'plural' || !Array.isArray(v)) return [];
    return (v as unknown[]).flatMap((el) => (isObject(el) ? [el.id, ...elementIds(d.attr_defs ?? [], el)] : []));
  });
}

const withoutReservedKeys = (record: Doc): Doc => Object.fromEntries(Object.entries(record).filter(([k]) => !RESERVED_ATTRIBUTE_NAMES.has(k)));

// ---------------------------------------------------------------------------------------------
// entity.create
// ---------------------------------------------------------------------------------------------

describe('createDocument', () => {
  it('stores the canonical form of each value and nothing else', () => {
    const out = create({ email: 'Ann@Example.com', birthday: '03/13/2016', emailVerified: '2016-03-13T19:39:17Z', primaryAddress: { city: 'Springfield' } });
    expect(out.document).toEqual({ email: 'Ann@Example.com', birthday: '2016-03-13', emailVerified: '2016-03-13 19:39:17 +0000', primaryAddress: { city: 'Springfield' } });
    expect(out.passwords).toEqual([]);
  });

  it('does not change its input', () => {
    const input = { email: 'a@example.com', statuses: [{ status: 'x' }], primaryAddress: { city: 'c' } };
    const copy = structuredClone(input);
    create(input);
    expect(input).toEqual(copy);
  });

  it('gives plural elements ids from nextElementId, in order, nested elements included', () => {
    const options = ids(40);
    const out = create({ statuses: [{ status: 'a' }, { status: 'b' }], profiles: [{ domain: 'd', tags: [{ tag: 't1' }, { tag: 't2' }] }] }, USER, options);
    expect(options.issued).toHaveLength(5);
    expect(out.document.statuses).toEqual([{ id: 41, status: 'a' }, { id: 42, status: 'b' }]);
    const profiles = out.document.profiles as Doc[];
    expect(profiles).toHaveLength(1);
    const profile = profiles[0] as Doc;
    // Every element, nested ones too, has one of the ids handed out, each used once.
    expect(sorted(elementIds(USER.attrDefs, out.document).map(String))).toEqual(['41', '42', '43', '44', '45']);
    expect((profile.tags as Doc[]).map((t) => t.tag)).toEqual(['t1', 't2']);
  });

  it('accepts a plural element whose id is null (it gets a new one)', () => {
    expect(create({ statuses: [{ id: null, status: 'a' }] }).document.statuses).toEqual([{ id: 101, status: 'a' }]);
  });

  it('refuses an id for the record (320) or for a plural element (320)', () => {
    dataError(() => create({ id: 5, email: 'a@example.com' }), 320, '/id');
    dataError(() => create({ statuses: [{ id: 3, status: 'a' }] }), 320, '/statuses');
    dataError(() => create({ profiles: [{ domain: 'd', tags: [{ id: 9, tag: 'x' }] }] }), 320, '/profiles/tags');
  });

  it.each(['uuid', 'created', 'lastUpdated'])('refuses the reserved attribute %s (234)', (name) => {
    dataError(() => create({ [name]: 'x' }), 234, `/${name}`);
  });

  it('refuses unknown attributes at every level (223, naming the path)', () => {
    dataError(() => create({ nickname: 'x' }), 223, '/nickname');
    dataError(() => create({ primaryAddress: { planet: 'Mars' } }), 223, '/primaryAddress/planet');
    dataError(() => create({ profiles: [{ nope: 1 }] }), 223, '/profiles/nope');
    dataError(() => create({ profiles: [{ info: { nope: 1 } }] }), 223, '/profiles/info/nope');
  });

  it('refuses values of the wrong JSON type', () => {
    dataError(() => create({ email: 5 }), 341, '/email');
    dataError(() => create({ primaryAddress: 'Main St' }), 341, '/primaryAddress');
    dataError(() => create({ primaryAddress: ['x'] }), 341, '/primaryAddress');
    dataError(() => create({ statuses: { status: 'x' } }), 341, '/statuses');
    dataError(() => create({ statuses: ['x'] }), 341, '/statuses');
    dataError(() => create({ statuses: [null] }), 341, '/statuses');
    dataError(() => create({ birthday: 'not a date' }), 342, '/birthday');
    dataError(() => create({ email: 'not an email' }), 360, '/email');
  });

  it('answers 200 for attributes that are not a JSON object, naming the argument', () => {
    for (const input of [null, [], 'x', 3, undefined]) {
      const e = dataError(() => create(input), 200);
      expect(e.argument).toBe('attributes');
    }
    expect(dataError(() => createDocument(USER, [], ids(), 'value'), 200).argument).toBe('value');
  });

  it('stores null for a plural given as null as an empty plural, and an object given as null as null', () => {
    expect(create({ statuses: null, primaryAddress: null }).document).toEqual({ statuses: [], primaryAddress: null });
  });
});

// ---------------------------------------------------------------------------------------------
// entity.update (merge)
// ---------------------------------------------------------------------------------------------

describe('writeDocument update', () => {
  it('changes only the attributes given and keeps the others', () => {
    const doc = current();
    const out = update(doc, { givenName: 'Anne', primaryAddress: { zip: '12345' } });
    expect(out.document).toEqual({ ...current(), givenName: 'Anne', primaryAddress: { address1: '1 Main St', city: 'Springfield', zip: '12345' } });
    expect(doc).toEqual(current());
  });

  it('appends plural elements without an id, with new ids', () => {
    const out = update(current(), { statuses: [{ status: 'x' }, { status: 'y' }] }, '', USER, ids(50));
    expect(out.document.statuses).toEqual([...(current().statuses as Doc[]), { id: 51, status: 'x' }, { id: 52, status: 'y' }]);
  });

  it('updates the plural element whose id is given, merging its fields', () => {
    const out = update(current(), { statuses: [{ id: 2, status: 'gone' }], profiles: [{ id: 3, info: { nick: 'A' } }] });
    expect(out.document.statuses).toEqual([{ id: 1, status: 'new', at: '2024-01-01 00:00:00 +0000' }, { id: 2, status: 'gone' }]);
    expect(out.document.profiles).toEqual([{ id: 3, domain: 'a.example', handle: 'Ann', secret: 'HASH1', info: { nick: 'A' }, tags: [{ id: 4, tag: 'x' }] }]);
  });

  it('mixes updates by id and appends in one plural', () => {
    const out = update(current(), { statuses: [{ status: 'z' }, { id: 1, status: 'old' }] }, '', USER, ids(10));
    expect(out.document.statuses).toEqual([{ id: 1, status: 'old', at: '2024-01-01 00:00:00 +0000' }, { id: 2, status: 'active' }, { id: 11, status: 'z' }]);
  });

  it('answers 310 for an element id that does not exist (also when only its JSON type differs)', () => {
    dataError(() => update(current(), { statuses: [{ id: 99, status: 'x' }] }), 310, '/statuses');
    dataError(() => update(current(), { statuses: [{ id: '1', status: 'x' }] }), 310, '/statuses');
    dataError(() => update(current(), { profiles: [{ id: 3, tags: [{ id: 5, tag: 'y' }] }] }), 310, '/profiles/tags');
  });

  it('empties a plural given as null and clears an object given as null', () => {
    const out = update(current(), { statuses: null, primaryAddress: null });
    expect(out.document.statuses).toEqual([]);
    expect(out.document.primaryAddress).toBeNull();
  });

  it.each(['id', 'uuid', 'created', 'lastUpdated'])('refuses the reserved attribute %s (234)', (name) => {
    dataError(() => update(current(), { [name]: 1 }), 234, `/${name}`);
  });

  it('refuses unknown attributes (223) and writes nothing', () => {
    const doc = current();
    dataError(() => update(doc, { givenName: 'B', nope: 1 }), 223, '/nope');
    dataError(() => update(doc, { statuses: [{ id: 1, nope: 1 }] }), 223, '/statuses/nope');
    expect(doc).toEqual(current());
  });

  it('refuses plural elements that are not objects', () => {
    dataError(() => update(current(), { statuses: [1] }), 341, '/statuses');
  });
});

// ---------------------------------------------------------------------------------------------
// entity.replace (destructive)
// ---------------------------------------------------------------------------------------------

describe('writeDocument replace', () => {
  it('keeps only what was given: every other attribute becomes null / empty', () => {
    const out = replace(current(), { givenName: 'Bob' });
    expect(out.document).toEqual({ givenName: 'Bob' });
    const rendered = renderRecord(USER, out.document, META);
    expect(rendered.email).toBeNull();
    expect(rendered.statuses).toEqual([]);
    expect(rendered.primaryAddress).toEqual({ address1: null, address2: null, city: null, stateAbbreviation: null, zip: null, country: null, phone: null });
  });

  it('replaces an object entirely: children not given become null', () => {
    expect(replace(current(), { primaryAddress: { zip: '1' } }).document.primaryAddress).toEqual({ zip: '1' });
  });

  it('replaces plurals entirely and gives every element a new id, ignoring ids sent', () => {
    const out = replace(current(), { statuses: [{ id: 1, status: 'again' }, { id: 77, status: 'other' }, { status: 'third' }] }, '', USER, ids(200));
    expect(out.document.statuses).toEqual([{ id: 201, status: 'again' }, { id: 202, status: 'other' }, { id: 203, status: 'third' }]);
  });

  it.each(['id', 'uuid', 'created', 'lastUpdated'])('refuses the reserved attribute %s (234)', (name) => {
    dataError(() => replace(current(), { [name]: 1 }), 234, `/${name}`);
  });

  it('does not change the current document', () => {
    const doc = current();
    replace(doc, { statuses: [{ status: 'x' }], primaryAddress: { city: 'c' } });
    expect(doc).toEqual(current());
  });
});

// ---------------------------------------------------------------------------------------------
// attribute_name: writing a sub-tree
// ---------------------------------------------------------------------------------------------

describe('writeDocument at attribute_name', () => {
  it('update of an object merges into it', () => {
    const out = update(current(), { city: 'Shelbyville' }, '/primaryAddress');
    expect(out.document.primaryAddress).toEqual({ address1: '1 Main St', city: 'Shelbyville', zip: null });
    expect(out.document.givenName).toBe('Ann');
  });

  it('replace of an object replaces only that object', () => {
    const out = replace(current(), { city: 'Shelbyville' }, 'primaryAddress');
    expect(out.document).toEqual({ ...current(), primaryAddress: { city: 'Shelbyville' } });
  });

  it('update of a plural appends; replace of a plural replaces it with new ids', () => {
    const appended = update(current(), [{ status: 'n' }], '/statuses', USER, ids(60));
    expect(appended.document.statuses).toEqual([...(current().statuses as Doc[]), { id: 61, status: 'n' }]);
    const replaced = replace(current(), [{ id: 1, status: 'n' }], '/statuses', USER, ids(60));
    expect(replaced.document.statuses).toEqual([{ id: 61, status: 'n' }]);
    expect(replaced.document.profiles).toEqual(current().profiles);
  });

  it('update of one element merges into it and keeps its id (an id in the value is ignored)', () => {
    const out = update(current(), { id: 999, status: 'done' }, '/statuses#1');
    expect(out.document.statuses).toEqual([{ id: 1, status: 'done', at: '2024-01-01 00:00:00 +0000' }, { id: 2, status: 'active' }]);
  });

  it('replace of one element clears its other fields and keeps its id', () => {
    const out = replace(current(), { status: 'done' }, '/statuses#1');
    expect(out.document.statuses).toEqual([{ id: 1, status: 'done' }, { id: 2, status: 'active' }]);
  });

  it('writes one value, inside objects and plural elements too', () => {
    expect(update(current(), 'bob@example.com', '/email').document.email).toBe('bob@example.com');
    expect(update(current(), 'c', 'primaryAddress.city').document.primaryAddress).toEqual({ address1: '1 Main St', city: 'c', zip: null });
    expect(update(current(), 'gone', '/statuses#2/status').document.statuses).toEqual([{ id: 1, status: 'new', at: '2024-01-01 00:00:00 +0000' }, { id: 2, status: 'gone' }]);
    expect(update(current(), 'y', '/profiles#3/tags#4/tag').document.profiles).toEqual([{ ...(current().profiles as Doc[])[0], tags: [{ id: 4, tag: 'y' }] }]);
    expect(update(current(), 'light', '/settings/theme').document.settings).toEqual({ theme: 'light', flags: [{ id: 5, flag: 'beta' }] });
    expect(replace(current(), null, '/email').document.email).toBeNull();
  });

  it('writes a child of an object that is not there yet', () => {
    const doc: Doc = { email: 'a@example.com' };
    expect(update(doc, 'c', '/primaryAddress/city').document).toEqual({ email: 'a@example.com', primaryAddress: { city: 'c' } });
  });

  it('checks the value against the attribute it lands on', () => {
    dataError(() => update(current(), 12, '/email'), 341, '/email');
    dataError(() => update(current(), 'x', '/primaryAddress'), 341, '/primaryAddress');
    dataError(() => update(current(), { status: 'x' }, '/statuses'), 341, '/statuses');
    dataError(() => update(current(), 'x', '/statuses#1'), 200);
    dataError(() => update(current(), { nope: 1 }, '/statuses#1'), 223, '/statuses/nope');
  });

  it('answers 310 for a missing element and 223 for paths the type does not have', () => {
    dataError(() => update(current(), { status: 'x' }, '/statuses#9'), 310);
    dataError(() => update(current(), 'x', '/statuses#9/status'), 310);
    dataError(() => update(current(), 'x', '/nope'), 223, '/nope');
    dataError(() => update(current(), 'x', '/email/inner'), 223, '/email/inner');
    dataError(() => update(current(), 'x', '/email#1'), 223, '/email#1');
    dataError(() => update(current(), 'x', '/primaryAddress#1'), 223);
    dataError(() => update(current(), 'x', '/statuses/status'), 223, '/statuses/status');
  });

  it.each(['/id', '/uuid', '/created', '/lastUpdated'])('refuses the reserved attribute %s (234)', (at) => {
    dataError(() => update(current(), 'x', at), 234, at);
    dataError(() => replace(current(), 'x', at), 234, at);
  });

  it('does not change the current document', () => {
    const doc = current();
    update(doc, 'z', '/statuses#1/status');
    update(doc, { nick: 'z' }, '/profiles#3/info');
    replace(doc, { tag: 'q' }, '/profiles#3/tags#4');
    expect(doc).toEqual(current());
  });
});

// ---------------------------------------------------------------------------------------------
// entity.delete of a plural element
// ---------------------------------------------------------------------------------------------

describe('deletePluralElement', () => {
  it('removes the element and nothing else', () => {
    const doc = current();
    const out = deletePluralElement(USER, doc, path('/statuses#1'));
    expect(out.document).toEqual({ ...current(), statuses: [{ id: 2, status: 'active' }] });
    expect(sorted(out.touched)).toEqual(['/statuses']);
    expect(doc).toEqual(current());
  });

  it('removes nested elements (plural in a plural element, plural in an object)', () => {
    const nested = deletePluralElement(USER, current(), path('/profiles#3/tags#4'));
    expect(nested.document.profiles).toEqual([{ ...(current().profiles as Doc[])[0], tags: [] }]);
    expect(nested.touched.has('/profiles/tags')).toBe(true);
    const inObject = deletePluralElement(USER, current(), path('settings.flags#5'));
    expect(inObject.document.settings).toEqual({ theme: 'dark', flags: [] });
    expect(inObject.touched.has('/settings/flags')).toBe(true);
  });

  it('answers 200 unless the path ends at a plural element', () => {
    for (const at of ['/statuses', '/statuses#1/status', '/email', '']) {
      expect(dataError(() => deletePluralElement(USER, current(), path(at)), 200).argument).toBe('attribute_name');
    }
  });

  it('answers 310 for an element that does not exist, 223 for paths the type does not have', () => {
    dataError(() => deletePluralElement(USER, current(), path('/statuses#3')), 310);
    dataError(() => deletePluralElement(USER, current(), path('/profiles#3/tags#99')), 310);
    dataError(() => deletePluralElement(USER, current(), path('/profiles#9/tags#4')), 310);
    dataError(() => deletePluralElement(USER, current(), path('/nope#1')), 223, '/nope#1');
    dataError(() => deletePluralElement(USER, current(), path('/email#1')), 223, '/email#1');
    dataError(() => deletePluralElement(USER, current(), path('/primaryAddress/city#1')), 223);
  });
});

// ---------------------------------------------------------------------------------------------
// Constraints: locally-unique, required
// ---------------------------------------------------------------------------------------------

describe('locally-unique (361)', () => {
  it('refuses duplicates within one plural on create (case-insensitive unless case-sensitive)', () => {
    dataError(() => create({ profiles: [{ domain: 'A.example' }, { domain: 'a.EXAMPLE' }] }), 361, '/profiles/domain');
    dataError(() => create({ profiles: [{ handle: 'x' }, { handle: 'x' }] }), 361, '/profiles/handle');
    expect(create({ profiles: [{ handle: 'X' }, { handle: 'x' }] }).document.profiles).toHaveLength(2);
  });

  it('lets absent and null values repeat', () => {
    expect(create({ profiles: [{ domain: null }, { domain: null }, {}] }).document.profiles).toHaveLength(3);
  });

  it('checks appended elements, updated elements and single values against the existing ones', () => {
    dataError(() => update(current(), { profiles: [{ domain: 'A.EXAMPLE' }] }), 361, '/profiles/domain');
    const two = update(current(), { profiles: [{ domain: 'b.example' }] }, '', USER, ids(10)).document;
    dataError(() => update(two, { profiles: [{ id: 11, domain: 'a.example' }] }), 361, '/profiles/domain');
    dataError(() => update(two, 'a.example', '/profiles#11/domain'), 361, '/profiles/domain');
    dataError(() => update(two, { domain: 'a.example' }, '/profiles#11'), 361, '/profiles/domain');
    expect(update(two, { profiles: [{ id: 3, domain: 'c.example' }, { id: 11, domain: 'a.example' }] }).document.profiles).toHaveLength(2);
  });

  it('is per plural: the same value may appear in two different elements’ nested plurals', () => {
    const M = modelOf([{ name: 'p', type: 'plural', attr_defs: [{ name: 'q', type: 'plural', attr_defs: [{ name: 'v', type: 'integer', constraints: ['locally-unique'] }] }] }]);
    expect(() => create({ p: [{ q: [{ v: 1 }] }, { q: [{ v: 1 }] }] }, M)).not.toThrow();
    dataError(() => create({ p: [{ q: [{ v: 1 }, { v: 1 }] }] }, M), 361, '/p/q/v');
  });
});

describe('required (362)', () => {
  const M = modelOf([
    { name: 'name', type: 'string', constraints: ['required'] },
    { name: 'nick', type: 'string' },
    { name: 'address', type: 'object', attr_defs: [{ name: 'city', type: 'string', constraints: ['required'] }, { name: 'zip', type: 'string' }] },
    { name: 'items', type: 'plural', attr_defs: [{ name: 'sku', type: 'string', constraints: ['required'] }, { name: 'note', type: 'string' }] },
  ]);
  const stored = (): Doc => ({ name: 'n', address: { city: 'c' }, items: [{ id: 1, sku: 's' }] });

  it('checks every required attribute on create', () => {
    dataError(() => create({ address: { city: 'c' } }, M), 362, '/name');
    dataError(() => create({ name: null, address: { city: 'c' } }, M), 362, '/name');
    dataError(() => create({ name: 'n' }, M), 362, '/address/city');
    dataError(() => create({ name: 'n', address: { zip: '1' } }, M), 362, '/address/city');
    dataError(() => create({ name: 'n', address: { city: 'c' }, items: [{ note: 'x' }] }, M), 362, '/items/sku');
    expect(create({ name: 'n', address: { city: 'c' }, items: [{ sku: 's' }] }, M).document).toEqual({ name: 'n', address: { city: 'c' }, items: [{ id: 101, sku: 's' }] });
  });

  it('on update checks only the attributes written', () => {
    // The stored record lacks /name (e.g. the constraint came later): updating something else is fine.
    expect(update({ nick: 'a' }, { nick: 'b' }, '', M).document).toEqual({ nick: 'b' });
    dataError(() => update(stored(), { name: null }, '', M), 362, '/name');
    dataError(() => update(stored(), null, '/name', M), 362, '/name');
    dataError(() => update(stored(), { address: { city: null } }, '', M), 362, '/address/city');
    dataError(() => update(stored(), { address: null }, '', M), 362, '/address/city');
    dataError(() => update(stored(), { items: [{ note: 'new element without sku' }] }, '', M), 362, '/items/sku');
  });

  it.each<[string, unknown, string]>([
    ['by id in attributes', { items: [{ id: 1, sku: null }] }, ''],
    ['at the element', { sku: null }, '/items#1'],
    ['at the value', null, '/items#1/sku'],
  ])('on update refuses clearing a required child of an existing plural element (%s)', (_how, input, at) => {
    dataError(() => update(stored(), input, at, M), 362, '/items/sku');
  });

  it('on a full replace checks every attribute', () => {
    dataError(() => replace(stored(), { address: { city: 'c' } }, '', M), 362, '/name');
    dataError(() => replace(stored(), { name: 'n' }, '', M), 362, '/address/city');
    dataError(() => replace(stored(), { sku: null, note: 'x' }, '/items#1', M), 362, '/items/sku');
    expect(replace(stored(), { name: 'm', address: { city: 'd' } }, '', M).document).toEqual({ name: 'm', address: { city: 'd' } });
  });
});

// ---------------------------------------------------------------------------------------------
// Rules
// ---------------------------------------------------------------------------------------------

describe('rules', () => {
  const attrs: unknown[] = [
    { name: 'email', type: 'string' },
    { name: 'code', type: 'string' },
    { name: 'age', type: 'integer' },
    { name: 'tags', type: 'plural', attr_defs: [{ name: 'tag', type: 'string' }] },
    { name: 'address', type: 'object', attr_defs: [{ name: 'country', type: 'string' }] },
  ];

  it('applies transforming rules before validating ones, whatever their order', () => {
    const M = modelOf(attrs, [rule(['/code'], { 'match-all': '[a-z]+' }), rule(['/code'], 'to-lower')]);
    expect(create({ code: 'ABC' }, M).document.code).toBe('abc');
    dataError(() => create({ code: 'AB1' }, M), 360, '/code');
  });

  it('on create runs every rule (default fills absent values, also in objects and plural elements)', () => {
    const M = modelOf(attrs, [rule(['/code'], { default: 'none' }), rule(['/address/country'], { default: 'US' }), rule(['/tags/tag'], { default: 't' }), rule(['/age'], 'required')]);
    expect(create({ age: 3, tags: [{}, { tag: 'x' }] }, M).document).toEqual({ age: 3, code: 'none', address: { country: 'US' }, tags: [{ id: 101, tag: 't' }, { id: 102, tag: 'x' }] });
    dataError(() => create({}, M), 362, '/age');
  });

  it('on update runs rules only for the attributes written', () => {
    const M = modelOf(attrs, [rule(['/code'], { 'match-all': '[a-z]+' }), rule(['/age'], 'required'), rule(['/email'], { default: 'x@example.com' })]);
    const stored: Doc = { code: 'BAD1', email: null };
    expect(update(stored, { email: 'a@example.com' }, '', M).document).toEqual({ code: 'BAD1', email: 'a@example.com' });
    dataError(() => update(stored, { code: 'ALSO BAD' }, '', M), 360, '/code');
    dataError(() => update(stored, 'ALSO BAD', '/code', M), 360, '/code');
    dataError(() => update(stored, { age: null }, '', M), 362, '/age');
    // default is for create only
    expect(update(stored, { code: 'ok' }, '', M).document.email).toBeNull();
  });

  it('on a full replace runs rules for what is given and for what it clears', () => {
    const M = modelOf(attrs, [rule(['/age'], 'required')]);
    dataError(() => replace({ age: 3 }, { code: 'x' }, '', M), 362, '/age');
    expect(replace({ age: 3 }, { age: 4 }, '', M).document).toEqual({ age: 4 });
  });

  it('transforms values inside plural elements, both appended and updated', () => {
    const M = modelOf(attrs, [rule(['/tags/tag'], 'to-upper')]);
    const stored = create({ tags: [{ tag: 'a' }] }, M).document;
    expect(stored.tags).toEqual([{ id: 101, tag: 'A' }]);
    expect(update(stored, { tags: [{ tag: 'b' }, { id: 101, tag: 'c' }] }, '', M, ids(200)).document.tags).toEqual([{ id: 101, tag: 'C' }, { id: 201, tag: 'B' }]);
    expect(update(stored, 'd', '/tags#101/tag', M).document.tags).toEqual([{ id: 101, tag: 'D' }]);
  });

  it('ignore-update keeps the stored value on update', () => {
    const M = modelOf(attrs, [rule(['/email'], 'ignore-update'), rule(['/tags/tag'], 'ignore-update')]);
    expect(update({ email: 'old@example.com' }, { email: 'new@example.com' }, '', M).document.email).toBe('old@example.com');
    expect(update({ tags: [{ id: 1, tag: 'old' }] }, { tags: [{ id: 1, tag: 'new' }] }, '', M).document.tags).toEqual([{ id: 1, tag: 'old' }]);
    expect(update({ email: 'old@example.com' }, 'new@example.com', '/email', M).document.email).toBe('old@example.com');
  });

  it('ignore-update keeps the stored value on a full replace too', () => {
    const M = modelOf(attrs, [rule(['/email'], 'ignore-update')]);
    expect(replace({ email: 'old@example.com', code: 'c' }, { email: 'new@example.com' }, '', M).document.email).toBe('old@example.com');
  });

  it('the output of a transforming rule still meets locally-unique', () => {
    const cs = modelOf(
      [{ name: 'p', type: 'plural', attr_defs: [{ name: 'v', type: 'string', 'case-sensitive': true, constraints: ['locally-unique'] }] }],
      [rule(['/p/v'], 'to-lower')],
    );
    dataError(() => create({ p: [{ v: 'A' }, { v: 'a' }] }, cs), 361, '/p/v');
  });

  it('the output of a transforming rule still meets the value constraints', () => {
    const email = modelOf([{ name: 'email', type: 'string', constraints: ['email-address'] }], [rule(['/email'], { truncate: 3 })]);
    dataError(() => create({ email: 'ab@example.com' }, email), 360, '/email');
  });
});

// ---------------------------------------------------------------------------------------------
// touched
// ---------------------------------------------------------------------------------------------

describe('touched: the schema paths a write sets or clears', () => {
  it('create: exactly the values given', () => {
    const out = create({ email: 'a@example.com', familyName: null, primaryAddress: { city: 'c' }, statuses: [{ status: 's', at: null }], profiles: [{ info: { nick: 'n' } }] });
    // Containers are left out: a schema listing only their children must allow this.
    expect(sorted(out.touched).filter((p) => p !== '/statuses' && p !== '/profiles')).toEqual(['/email', '/familyName', '/primaryAddress/city', '/profiles/info/nick', '/statuses/at', '/statuses/status']);
  });

  it('update: the values written, not their containers', () => {
    expect(sorted(update(current(), { givenName: 'B' }).touched)).toEqual(['/givenName']);
    expect(sorted(update(current(), { primaryAddress: { city: 'c' } }).touched)).toEqual(['/primaryAddress/city']);
    expect(sorted(update(current(), 'c', '/primaryAddress/city').touched)).toEqual(['/primaryAddress/city']);
    expect(sorted(update(current(), { city: 'c' }, '/primaryAddress').touched)).toEqual(['/primaryAddress/city']);
    expect(sorted(update(current(), { statuses: [{ id: 1, status: 'x' }] }).touched)).toEqual(['/statuses/status']);
    expect(sorted(update(current(), 'x', '/statuses#1/status').touched)).toEqual(['/statuses/status']);
  });

  it('nested-attribute and attribute_name forms of the same update touch the same paths', () => {
    const pairs: [unknown, unknown, string][] = [
      [{ primaryAddress: { city: 'c' } }, 'c', '/primaryAddress/city'],
      [{ statuses: [{ id: 2, status: 'x' }] }, 'x', '/statuses#2/status'],
      [{ profiles: [{ id: 3, info: { nick: 'z' } }] }, 'z', '/profiles#3/info/nick'],
      [{ settings: { theme: 't' } }, { theme: 't' }, '/settings'],
    ];
    for (const [nested, value, at] of pairs) expect(sorted(update(current(), nested).touched)).toEqual(sorted(update(current(), value, at).touched));
  });

  it('clearing: an object set to null touches its children that had values; a plural set to null touches the plural', () => {
    expect(sorted(update(current(), { primaryAddress: null }).touched)).toEqual(['/primaryAddress/address1', '/primaryAddress/city']);
    expect(sorted(update(current(), { statuses: null }).touched)).toEqual(['/statuses']);
    expect(sorted(update({}, { statuses: null, primaryAddress: null }).touched)).toEqual([]);
  });

  it('replace: what is given plus every attribute it clears', () => {
    expect(sorted(replace(current(), { email: 'b@example.com' }).touched)).toEqual(['/email', '/givenName', '/password', '/primaryAddress', '/profiles', '/settings', '/statuses']);
    expect(sorted(replace(current(), { city: 'x' }, '/primaryAddress').touched)).toEqual(['/primaryAddress/address1', '/primaryAddress/city']);
    expect(sorted(replace(current(), { status: 'x' }, '/statuses#1').touched)).toEqual(['/statuses/at', '/statuses/status']);
    expect(sorted(replace(current(), [{ status: 'x' }], '/statuses').touched)).toEqual(['/statuses', '/statuses/status']);
  });

  it('appending an element with no fields still needs write access to the plural', () => {
    // A new element (with its id) appears to every reader of the plural.
    const out = update(current(), { statuses: [{}] });
    expect(out.document.statuses).toHaveLength(3);
    const e = dataError(() => checkWritable(new AccessSchema(['/id', '/uuid', '/created', '/lastUpdated', '/email']), out.touched), 223);
    expect(e.attribute?.startsWith('/statuses')).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// passwords
// ---------------------------------------------------------------------------------------------

describe('passwords: where the plaintext passwords of a write are', () => {
  it('points at every password written, in objects and plural elements too', () => {
    const out = create({ password: 'pw0', profiles: [{ secret: 'pw1' }, { domain: 'd' }, { secret: 'pw2' }] });
    expect(locKeys(out.passwords)).toEqual(locKeys([['password'], ['profiles', 0, 'secret'], ['profiles', 2, 'secret']]));
    expect(out.passwords.map((l) => getAt(out.document, l)).sort()).toEqual(['pw0', 'pw1', 'pw2']);
  });

  it('points at the right element on update by id, on append and through attribute_name', () => {
    const two = update(current(), { profiles: [{ domain: 'b' }] }, '', USER, ids(10)).document;
    const byId = update(two, { profiles: [{ id: 11, secret: 'new' }] });
    expect(byId.passwords).toEqual([['profiles', 1, 'secret']]);
    expect(getAt(byId.document, ['profiles', 1, 'secret'])).toBe('new');
    const appended = update(two, { profiles: [{ secret: 'third' }] });
    expect(appended.passwords).toEqual([['profiles', 2, 'secret']]);
    const at = update(two, 'deep', '/profiles#11/secret');
    expect(at.passwords).toEqual([['profiles', 1, 'secret']]);
    expect(getAt(at.document, ['profiles', 1, 'secret'])).toBe('deep');
    const top = update(two, 'p', '/password');
    expect(top.passwords).toEqual([['password']]);
  });

  it('does not point at passwords cleared, or kept from before', () => {
    expect(update(current(), { password: null }).passwords).toEqual([]);
    expect(update(current(), { givenName: 'x' }).passwords).toEqual([]);
    expect(update(current(), { profiles: [{ id: 3, domain: 'z' }] }).passwords).toEqual([]);
  });

  it('setAt puts the hash where the plaintext was', () => {
    const out = create({ password: 'pw0', profiles: [{ secret: 'pw1' }] });
    for (const loc of out.passwords) setAt(out.document, loc, `hash(${String(getAt(out.document, loc))})`);
    expect(out.document).toEqual({ password: 'hash(pw0)', profiles: [{ id: 101, secret: 'hash(pw1)' }] });
  });

  it('every password value a rule puts into the document is listed (default)', () => {
    const M = modelOf([{ name: 'password', type: 'password' }], [rule(['/password'], { default: 'changeme' })]);
    const out = create({}, M);
    expect(locKeys(out.passwords)).toEqual(locKeys(passwordLocations(M.attrDefs, out.document)));
  });

  it('a password a rule keeps from before is not listed again (ignore-update)', () => {
    const M = modelOf([{ name: 'password', type: 'password' }], [rule(['/password'], 'ignore-update')]);
    const out = update({ password: 'STORED-HASH' }, { password: 'new' }, '', M);
    for (const loc of out.passwords) expect(getAt(out.document, loc)).toBe('new');
  });
});

// ---------------------------------------------------------------------------------------------
// Rendering and reading
// ---------------------------------------------------------------------------------------------

describe('renderRecord, valueAt, getAt', () => {
  it('renders every attribute: reserved from meta, null when unset, [] for plurals, objects expanded, passwords null', () => {
    const rendered = renderRecord(USER, { email: 'a@example.com', password: 'HASH', statuses: [{ id: 4, status: 's' }], profiles: [{ id: 5, secret: 'H', info: null }], unknownKey: 1 }, META);
    expect(Object.keys(rendered)).toEqual(USER.attrDefs.map((d) => d.name));
    expect(rendered).toMatchObject({ id: 7, uuid: META.uuid, created: META.created, lastUpdated: META.lastUpdated, email: 'a@example.com', givenName: null, password: null, birthday: null });
    expect(rendered.primaryAddress).toEqual({ address1: null, address2: null, city: null, stateAbbreviation: null, zip: null, country: null, phone: null });
    expect(rendered.statuses).toEqual([{ id: 4, status: 's', at: null }]);
    expect(rendered.profiles).toEqual([{ id: 5, domain: null, handle: null, secret: null, info: { nick: null }, tags: [] }]);
    expect(rendered.settings).toEqual({ theme: null, flags: [] });
  });

  it('valueAt finds objects, elements and values; 310 for a missing element, 223 for unknown names', () => {
    const rendered = renderRecord(USER, current(), META);
    expect(valueAt(rendered, path('/primaryAddress/city'))).toBe('Springfield');
    expect(valueAt(rendered, path('/statuses#2'))).toEqual({ id: 2, status: 'active', at: null });
    expect(valueAt(rendered, path('/profiles#3/tags#4/tag'))).toBe('x');
    expect(valueAt(rendered, path('/uuid'))).toBe(META.uuid);
    dataError(() => valueAt(rendered, path('/statuses#3')), 310, '/statuses#3');
    dataError(() => valueAt(rendered, path('/nope')), 223, '/nope');
    dataError(() => valueAt(rendered, path('/email/x')), 223);
  });

  it('getAt reads locations and answers undefined for missing ones', () => {
    const doc = current();
    expect(getAt(doc, ['profiles', 0, 'info', 'nick'])).toBe('annie');
    expect(getAt(doc, ['profiles', 4, 'info'])).toBeUndefined();
    expect(getAt(doc, ['email', 0])).toBeUndefined();
    expect(getAt(doc, [])).toBe(doc);
  });
});

// ---------------------------------------------------------------------------------------------
// Attribute names that are also names of Object.prototype members, and `id` inside objects
// ---------------------------------------------------------------------------------------------

describe('attribute names that are also Object.prototype members, and id inside objects', () => {
  it('are refused by the attr_def rules, at any depth', () => {
    for (const name of ['constructor', 'toString', '__proto__', 'valueOf', 'hasOwnProperty']) {
      expect(() => modelOf([{ name, type: 'string' }])).toThrow(DataError);
      expect(() => modelOf([{ name: 'obj', type: 'object', attr_defs: [{ name, type: 'string' }] }])).toThrow(DataError);
    }
  });

  // A model built without the attr_def rules (as stored data could be): the record rules still read
  // only a document's own properties, never inherited ones.
  const RAW: EntityTypeModel = {
    attrDefs: [
      ...defaultUserAttributes().filter((d) => ['id', 'uuid', 'created', 'lastUpdated'].includes(d.name)),
      { name: 'constructor', type: 'string' },
      { name: 'toString', type: 'string', constraints: ['required'] },
    ],
    rules: [],
  };

  it('an unset attribute named like an Object.prototype member renders as null', () => {
    const rendered = renderRecord(RAW, { toString: 't' }, META);
    expect(Object.getOwnPropertyDescriptor(rendered, 'constructor')?.value).toBeNull();
  });

  // Renderers are generated source: a name that no rule would let in must still be only a name.
  it('renders names outside the rules as plain own properties: __proto__, quotes, backslashes, line breaks', () => {
    const odd = ['__proto__', 'a"b', "c'd", 'e\\f', 'g\nh', '}; throw 1; ({'];
    const M: EntityTypeModel = {
      attrDefs: [
        ...RAW.attrDefs.slice(0, 4),
        ...odd.map((name) => ({ name, type: 'string' as const })),
        { name: 'obj', type: 'object', attr_defs: odd.map((name) => ({ name, type: 'string' as const })) },
        { name: 'list', type: 'plural', attr_defs: odd.map((name) => ({ name, type: 'string' as const })) },
      ],
      rules: [],
    };
    const values = Object.fromEntries(odd.map((name, i) => [name, `v${i}`]));
    // As stored documents arrive: JSON.parse makes `__proto__` an own property.
    const doc = JSON.parse(JSON.stringify({ ...values, obj: values, list: [{ id: 3, ...values }] })) as Doc;
    const rendered = renderRecord(M, doc, META);
    expect(Object.getPrototypeOf(rendered)).toBe(Object.prototype);
    expect(Object.keys(rendered)).toEqual(M.attrDefs.map((d) => d.name));
    expect(Object.getOwnPropertyDescriptor(rendered, '__proto__')?.value).toBe('v0');
    expect(rendered['a"b']).toBe('v1');
    expect(rendered['}; throw 1; ({']).toBe('v5');
    const obj = rendered.obj as Doc;
    expect(Object.getPrototypeOf(obj)).toBe(Object.prototype);
    expect(Object.keys(obj)).toEqual(odd);
    expect(rendered.list).toEqual([expect.objectContaining({ id: 3, 'e\\f': 'v3', 'g\nh': 'v4' })]);
  });

  it('a required attribute named like an Object.prototype member is still required', () => {
    dataError(() => create({ constructor: 'c' }, RAW), 362, '/toString');
  });

  it('a full replace only touches attributes that hold a value', () => {
    expect(sorted(replace({ toString: 't' }, { toString: 'u' }, '', RAW).touched)).toEqual(['/toString']);
  });

  it('an object child named id can be written (only plural elements reserve id)', () => {
    const M = modelOf([{ name: 'obj', type: 'object', attr_defs: [{ name: 'id', type: 'string' }, { name: 'size', type: 'integer' }] }]);
    const out = create({ obj: { id: 'abc', size: 1 } }, M);
    expect(out.document.obj).toEqual({ id: 'abc', size: 1 });
  });
});

// ---------------------------------------------------------------------------------------------
// Property: a record that validates survives a write/read round trip unchanged
// ---------------------------------------------------------------------------------------------

/** The raw attr_def shapes entityType.create accepts. */
interface RawDef {
  name: string;
  type: AttributeType;
  length?: number | null;
  'case-sensitive'?: boolean;
  constraints?: Constraint[];
  features?: string[];
  attr_defs?: RawDef[];
}
type Parent = 'entity' | 'object' | 'plural';

const PRIMITIVE_TYPES = USER_ATTRIBUTE_TYPES.filter((t) => t !== 'object' && t !== 'plural');
const TEXT_CONSTRAINTS = [null, 'alphabetic', 'alphanumeric', 'unicode-letters', 'unicode-printable'] as const;
/** Ordinary names (the names of Object.prototype members and `id` have their own examples above). */
const nameArb = fc.stringMatching(/^[a-z][A-Za-z0-9_]{0,6}$/).filter((n) => !(n in {}) && !RESERVED_ATTRIBUTE_NAMES.has(n) && n !== 'id');

function primitiveDefArb(parent: Parent): fc.Arbitrary<RawDef> {
  return fc
    .record({
      name: nameArb,
      type: fc.constantFrom(...PRIMITIVE_TYPES),
      length: fc.option(fc.integer({ min: 1, max: 40 }), { nil: null }),
      caseSensitive: fc.boolean(),
      required: fc.boolean(),
      unique: fc.boolean(),
      text: fc.constantFrom(...TEXT_CONSTRAINTS),
      query: fc.boolean(),
    })
    .map(({ name, type, length, caseSensitive, required, unique, text, query }) => {
      const def: RawDef = { name, type };
      const opaque = type === 'json' || type === 'password';
      const constraints: Constraint[] = [];
      // A required password could not be written back: it renders as null.
      if (required && type !== 'password') constraints.push('required');
      if (unique && !opaque && parent === 'plural') constraints.push('locally-unique');
      if (unique && !opaque && parent === 'entity') constraints.push('unique');
      if (type === 'string' && text !== null) constraints.push(text);
      if (constraints.length > 0) def.constraints = [...new Set(constraints)];
      if (type === 'string' || type === 'password') def.length = length;
      if (type === 'string') def['case-sensitive'] = caseSensitive;
      if (query && !opaque) def.features = ['query'];
      return def;
    });
}

function defArb(depth: number, parent: Parent): fc.Arbitrary<RawDef> {
  if (depth >= 3) return primitiveDefArb(parent);
  const container = (type: 'object' | 'plural'): fc.Arbitrary<RawDef> =>
    fc.record({ name: nameArb, children: siblingsArb(depth + 1, type, 1, 4) }).map(({ name, children }) => ({ name, type, attr_defs: children }));
  return fc.oneof({ weight: 5, arbitrary: primitiveDefArb(parent) }, { weight: 1, arbitrary: container('object') }, { weight: 1, arbitrary: container('plural') });
}

function siblingsArb(depth: number, parent: Parent, minLength: number, maxLength: number): fc.Arbitrary<RawDef[]> {
  return fc.uniqueArray(defArb(depth, parent), { minLength, maxLength, selector: (d) => d.name });
}

const entityTypeArb: fc.Arbitrary<AttributeDefinition[]> = siblingsArb(1, 'entity', 1, 6).map((raw) => parseEntityTypeAttributes(raw));

const ISO_RANGE = { min: new Date('0001-01-01T00:00:00.000Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true };
const LETTERS = [...'abcxyzABCXYZ'];
const UNICODE_LETTERS = [...'aZéßжΩ日ñ'];

function stringArb(def: AttributeDefinition, minLength: number): fc.Arbitrary<string> {
  const maxLength = typeof def.length === 'number' ? Math.min(def.length, 30) : 30;
  const constraints = def.constraints ?? [];
  if (constraints.includes('alphabetic')) return fc.string({ unit: fc.constantFrom(...LETTERS), minLength, maxLength });
  if (constraints.includes('alphanumeric')) return fc.string({ unit: fc.constantFrom(...LETTERS, '0', '7', '9'), minLength, maxLength });
  if (constraints.includes('unicode-letters')) return fc.string({ unit: fc.constantFrom(...UNICODE_LETTERS), minLength, maxLength });
  const text = fc.string({ unit: 'binary', minLength, maxLength }).filter(storable);
  return constraints.includes('unicode-printable') ? text.filter((s) => !/\p{C}/u.test(s)) : text;
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** Text every engine can store (values.ts refuses NUL and unpaired surrogates, also inside json). */
const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const storable = (text: string): boolean => !text.includes('\u0000') && !UNPAIRED_SURROGATE.test(text);
function storableJson(value: unknown): boolean {
  if (typeof value === 'string') return storable(value);
  if (Array.isArray(value)) return (value as unknown[]).every(storableJson);
  if (isObject(value)) return Object.entries(value).every(([k, v]) => storable(k) && storableJson(v));
  return true;
}

function primitiveValueArb(def: AttributeDefinition): fc.Arbitrary<unknown> {
  switch (def.type) {
    case 'string':
      return stringArb(def, 0);
    case 'password':
      return stringArb(def, 1);
    case 'boolean':
      return fc.boolean();
    case 'integer':
      return fc.oneof(fc.integer(), fc.maxSafeInteger());
    case 'decimal':
      return fc.double({ noNaN: true, noDefaultInfinity: true });
    case 'date':
      return fc.oneof(
        fc.date(ISO_RANGE).map((d) => d.toISOString()),
        fc.date(ISO_RANGE).map((d) => d.toISOString().slice(0, 10)),
      );
    case 'dateTime':
      return fc.date(ISO_RANGE).map((d) => d.toISOString());
    case 'time':
      return fc.tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }), fc.integer({ min: 0, max: 59 })).map(([h, m, s]) => `${pad(h)}:${pad(m)}:${pad(s)}`);
    case 'ipAddress':
      return fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((parts) => parts.join('.'));
    case 'uuid':
      return fc.tuple(fc.uuid(), fc.boolean()).map(([u, upper]) => (upper ? u.toUpperCase() : u));
    case 'json':
      return fc
        .jsonValue({ maxDepth: 2 })
        .map((v) => JSON.parse(JSON.stringify(v)) as unknown)
        .filter(storableJson);
    default:
      throw new Error(`no value generator for ${def.type}`);
  }
}

/** Whether a create must carry a value for `def` (required, or an object holding a required value). */
function mustHave(def: AttributeDefinition): boolean {
  if (def.type === 'object') return (def.attr_defs ?? []).some(mustHave);
  if (def.type === 'plural') return false;
  return def.constraints?.includes('required') === true;
}

/** Keeps only the first element for each value of a locally-unique child (compared generously: normalized, lower-cased). */
function dedupe(children: readonly AttributeDefinition[], elements: Doc[]): Doc[] {
  const unique = children.filter((c) => c.constraints?.includes('locally-unique'));
  const seen = new Map(unique.map((c) => [c.name, new Set<string>()]));
  return elements.filter((el) => {
    const keys = unique.map((c) => {
      const v = el[c.name];
      return v === null || v === undefined ? null : JSON.stringify(normalizeValue(c, v, '', NOW)).toLowerCase();
    });
    if (unique.some((c, i) => keys[i] !== null && seen.get(c.name)?.has(keys[i] ?? '') === true)) return false;
    unique.forEach((c, i) => {
      const key = keys[i];
      if (key !== null && key !== undefined) seen.get(c.name)?.add(key);
    });
    return true;
  });
}

function valueArb(def: AttributeDefinition): fc.Arbitrary<unknown> {
  if (def.type === 'object') return recordArb(def.attr_defs ?? []);
  if (def.type === 'plural') {
    const children = def.attr_defs ?? [];
    return fc.array(recordArb(children), { maxLength: 3 }).map((elements) => dedupe(children, elements));
  }
  return primitiveValueArb(def);
}

/** Valid `attributes` for these definitions: each attribute absent, null or a value (required ones a value). */
function recordArb(defs: readonly AttributeDefinition[]): fc.Arbitrary<Doc> {
  const writable = defs.filter((d) => !RESERVED_ATTRIBUTE_NAMES.has(d.name));
  const parts = writable.map((d) => (mustHave(d) ? valueArb(d).filter((v) => v !== null) : fc.option(fc.oneof({ weight: 4, arbitrary: valueArb(d) }, { weight: 1, arbitrary: fc.constant(null) }), { nil: undefined })));
  return fc.tuple(...parts).map((values) => {
    const out: Doc = {};
    writable.forEach((d, i) => {
      if (values[i] !== undefined) out[d.name] = values[i];
    });
    return out;
  });
}

const typeAndRecordArb: fc.Arbitrary<{ model: EntityTypeModel; input: Doc }> = entityTypeArb.chain((attrDefs) =>
  recordArb(attrDefs).map((input) => ({ model: { attrDefs, rules: [] }, input })),
);

describe('property: a record that validates survives a write/read round trip unchanged', () => {
  it('create → storage (JSON) → render equals the render of the document; writing it back keeps every value', () => {
    fc.assert(
      fc.property(typeAndRecordArb, ({ model, input }) => {
        const inputCopy = structuredClone(input);
        const created = createDocument(model, input, ids(0));
        expect(input).toEqual(inputCopy);

        const stored = JSON.parse(JSON.stringify(created.document)) as Doc;
        const rendered = renderRecord(model, stored, META);
        expect(rendered).toEqual(renderRecord(model, created.document, META));
        // The rendered record is JSON itself: nothing is lost on the wire.
        expect(JSON.parse(JSON.stringify(rendered))).toEqual(rendered);
        // Passwords never render, and `passwords` points at exactly the plaintext values.
        expect(locKeys(created.passwords)).toEqual(locKeys(passwordLocations(model.attrDefs, created.document)));

        const options = ids(1000);
        const back = writeDocument('replace', model, stored, withoutReservedKeys(rendered), [], options);
        const again = renderRecord(model, back.document, META);
        expect(stripElementIds(model.attrDefs, again)).toEqual(stripElementIds(model.attrDefs, rendered));
        for (const id of elementIds(model.attrDefs, back.document)) expect(id).toBeGreaterThan(1000);
        expect(sorted(elementIds(model.attrDefs, back.document).map(String))).toEqual(sorted(options.issued.map(String)));
      }),
      { numRuns: 300 },
    );
  });

  it('normalization is idempotent: creating from the stored document (element ids dropped) gives it back', () => {
    fc.assert(
      fc.property(typeAndRecordArb, ({ model, input }) => {
        const created = createDocument(model, input, ids(0));
        const stored = JSON.parse(JSON.stringify(created.document)) as Doc;
        const again = createDocument(model, stripElementIds(model.attrDefs, stored), ids(0));
        expect(again.document).toEqual(stored);
        // And an update that writes the stored values (elements by their ids) over themselves changes nothing.
        const same = writeDocument('update', model, stored, stored, [], ids(5000));
        expect(same.document).toEqual(stored);
      }),
      { numRuns: 200 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Property: every invalid input yields a typed error, never an exception
// ---------------------------------------------------------------------------------------------

const ANYTHING = fc.anything({
  maxDepth: 3,
  withBigInt: true,
  withBoxedValues: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withNullPrototype: true,
  withObjectString: true,
  withSparseArray: true,
  withTypedArray: true,
});

/** Every primitive type at top level, in an object and in a plural element. */
const ALL_TYPES = modelOf([
  ...USER_ATTRS,
  ...PRIMITIVE_TYPES.map((t) => ({ name: `t_${t}`, type: t })),
  { name: 'box', type: 'object', attr_defs: PRIMITIVE_TYPES.map((t) => ({ name: `t_${t}`, type: t })) },
  { name: 'list', type: 'plural', attr_defs: [...PRIMITIVE_TYPES.map((t) => ({ name: `t_${t}`, type: t })), { name: 'k', type: 'string', constraints: ['locally-unique'] }] },
]);
const NAMES = [...new Set([...ALL_TYPES.attrDefs.flatMap(function names(d: AttributeDefinition): string[] {
  return [d.name, ...(d.attr_defs ?? []).flatMap(names)];
}), 'nope', '__proto__', 'constructor'])];

/** JSON-ish values shaped like attributes: keys from the type (and some not), values anything. */
const shapedArb: fc.Arbitrary<unknown> = fc.letrec<{ node: unknown }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    ANYTHING,
    fc.dictionary(fc.constantFrom(...NAMES), tie('node'), { maxKeys: 4 }),
    fc.array(fc.dictionary(fc.constantFrom(...NAMES), tie('node'), { maxKeys: 4 }), { maxLength: 3 }),
  ),
})).node;

const segmentArb: fc.Arbitrary<PathSegment> = fc
  .tuple(fc.constantFrom(...NAMES), fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined }))
  .map(([name, elementId]) => (elementId === undefined ? { name } : { name, elementId }));
const atArb = fc.array(segmentArb, { maxLength: 4 });

/** A stored ALL_TYPES document to write over. */
const STORED: Doc = createDocument(
  ALL_TYPES,
  {
    ...current(),
    password: 'pw',
    t_json: { a: [1] },
    box: { t_string: 's', t_integer: 3 },
    list: [{ k: 'a', t_boolean: true }, { k: 'b', t_date: '2020-01-01' }],
    statuses: [{ status: 'x' }, { status: 'y' }],
    profiles: [{ domain: 'd', tags: [{ tag: 't' }] }],
    settings: { flags: [{ flag: 'f' }] },
  },
  ids(0),
).document;

describe('property: every invalid input yields a typed error, never an exception', () => {
  it('createDocument', () => {
    fc.assert(fc.property(shapedArb, (input) => onlyDataError(() => createDocument(ALL_TYPES, input, ids()))), { numRuns: 1000 });
  });

  it('writeDocument (update and replace, any attribute_name)', () => {
    fc.assert(
      fc.property(fc.constantFrom('update' as const, 'replace' as const), shapedArb, atArb, (kind, input, at) => {
        const before = structuredClone(STORED);
        onlyDataError(() => writeDocument(kind, ALL_TYPES, STORED, input, at, ids(500)));
        expect(STORED).toEqual(before);
      }),
      { numRuns: 1000 },
    );
  });

  it('deletePluralElement (any path)', () => {
    fc.assert(
      fc.property(atArb, (at) => {
        onlyDataError(() => deletePluralElement(ALL_TYPES, STORED, at));
      }),
      { numRuns: 500 },
    );
  });

  it('a plural element id of any JSON-foreign type is a 310, not a crash', () => {
    for (const id of [10n, Symbol('x'), () => 1, new Map()]) dataError(() => writeDocument('update', ALL_TYPES, STORED, { statuses: [{ id, status: 'x' }] }, [], ids()), 310, '/statuses');
  });

  /** Mutations of a valid `attributes` value: wrong types, unknown keys, reserved keys, bad nesting. */
  type Mutation = { kind: 'replace'; value: unknown } | { kind: 'add'; key: string; value: unknown } | { kind: 'wrap' } | { kind: 'unwrap' };
  const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
    ANYTHING.map((value): Mutation => ({ kind: 'replace', value })),
    fc.tuple(fc.constantFrom('nope', 'id', 'uuid', 'created', 'lastUpdated', '__proto__', 'constructor'), ANYTHING).map(([key, value]): Mutation => ({ kind: 'add', key, value })),
    fc.constant<Mutation>({ kind: 'wrap' }),
    fc.constant<Mutation>({ kind: 'unwrap' }),
  );

  /** Applies `m` at the `pick`-th container or value of `input` (a deep copy). */
  function mutate(input: Doc, pick: number, m: Mutation): unknown {
    const copy = structuredClone(input);
    const spots: { holder: Doc | unknown[]; key: string | number }[] = [];
    const walk = (v: unknown): void => {
      if (Array.isArray(v)) {
        (v as unknown[]).forEach((x, i) => {
          spots.push({ holder: v as unknown[], key: i });
          walk(x);
        });
      } else if (isObject(v)) {
        for (const [k, x] of Object.entries(v)) {
          spots.push({ holder: v, key: k });
          walk(x);
        }
      }
    };
    walk(copy);
    const spot = spots.length === 0 ? undefined : spots[pick % spots.length];
    const get = (): unknown => (spot === undefined ? copy : (spot.holder as Record<string | number, unknown>)[spot.key]);
    const set = (value: unknown): unknown => {
      if (spot === undefined) return value;
      (spot.holder as Record<string | number, unknown>)[spot.key] = value;
      return copy;
    };
    switch (m.kind) {
      case 'replace':
        return set(m.value);
      case 'wrap':
        return set([get()]);
      case 'unwrap': {
        const v = get();
        return set(Array.isArray(v) ? (v as unknown[])[0] : isObject(v) ? Object.values(v)[0] : v);
      }
      case 'add': {
        const v = get();
        const target = isObject(v) ? v : copy;
        Object.defineProperty(target, m.key, { value: m.value, enumerable: true, writable: true, configurable: true });
        return copy;
      }
    }
  }

  it('mutated valid records: create, update and replace answer a value or a DataError', () => {
    fc.assert(
      fc.property(typeAndRecordArb, fc.nat(), mutationArb, fc.nat(), ({ model, input }, pick, m, atPick) => {
        const base = createDocument(model, input, ids(0)).document;
        const bad = mutate(input, pick, m);
        onlyDataError(() => createDocument(model, bad, ids(0)));
        // Write the bad value over the stored record, whole or at one of its own paths.
        const paths: PathSegment[][] = [[]];
        const walk = (defs: readonly AttributeDefinition[], doc: unknown, prefix: PathSegment[]): void => {
          if (!isObject(doc)) return;
          for (const d of defs) {
            const here = [...prefix, { name: d.name }];
            paths.push(here);
            const v = doc[d.name];
            if (d.type === 'object') walk(d.attr_defs ?? [], v, here);
            if (d.type === 'plural' && Array.isArray(v)) {
              for (const el of v as unknown[]) {
                if (!isObject(el) || typeof el.id !== 'number') continue;
                const elementPath = [...prefix, { name: d.name, elementId: el.id }];
                paths.push(elementPath);
                walk(d.attr_defs ?? [], el, elementPath);
              }
            }
          }
        };
        walk(model.attrDefs, base, []);
        const at = paths[atPick % paths.length] ?? [];
        const before = structuredClone(base);
        for (const kind of ['update', 'replace'] as const) onlyDataError(() => writeDocument(kind, model, base, bad, at, ids(100)));
        onlyDataError(() => deletePluralElement(model, base, at));
        expect(base).toEqual(before);
      }),
      { numRuns: 400 },
    );
  });
});
