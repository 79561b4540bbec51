// The filter compiler against its reference semantics: for random record sets and random filters, the
// records the SQL selects on each engine are exactly those the in-memory evaluation accepts.
import fc from 'fast-check';
import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FilterNode, LiteralNode } from '../../src/domain/filter/ast.js';
import { checkFilter, type Condition } from '../../src/domain/filter/check.js';
import { evaluateFilter, type StoredRecord } from '../../src/domain/filter/evaluate.js';
import type { AttributeDefinition } from '../../src/domain/schema/attribute-definition.js';
import { RESERVED_ATTRIBUTES } from '../../src/domain/schema/attribute-definition.js';
import type { PreparedStorage } from '../../src/setup/storage.js';
import { filterShape, filterSql, filterValues } from '../../src/store/filter-sql.js';
import { entityPage, insertEntities, searchEntities } from '../../src/store/repositories/entities.js';
import { ENGINES } from '../helpers/engines.js';
import type { Engine } from '../../src/store/database.js';
import { entityStore, type EntityStore } from '../helpers/entity-store.js';

const ATTR_DEFS: AttributeDefinition[] = [
  ...RESERVED_ATTRIBUTES,
  { name: 'email', type: 'string', constraints: ['unique'] },
  { name: 'name', type: 'string', 'case-sensitive': true, features: ['query'] },
  { name: 'age', type: 'integer', features: ['query'] },
  { name: 'score', type: 'decimal' },
  { name: 'active', type: 'boolean', features: ['query'] },
  { name: 'birthday', type: 'date' },
  { name: 'lastLogin', type: 'dateTime' },
  { name: 'data', type: 'json' },
  { name: 'address', type: 'object', attr_defs: [{ name: 'city', type: 'string' }, { name: 'zip', type: 'string', 'case-sensitive': true }] },
  { name: 'profiles', type: 'plural', attr_defs: [{ name: 'domain', type: 'string', 'case-sensitive': true }, { name: 'followers', type: 'integer' }] },
];

// Small value pools, so that equalities hit; case variants and non-ASCII to exercise folding and order.
const NAMES = ['Ann', 'ann', 'ANN', 'Bob', 'bob', 'Åsa', 'åsa', 'Zoë', "O'Neil", 'back\\slash', ''];
const CITIES = ['Paris', 'paris', 'PARIS', 'Lyon', 'Éze', 'éze'];
const DOMAINS = ['x.com', 'X.com', 'y.org', 'z.net'];
const DATES = ['1999-12-31', '2000-01-01', '2000-01-02', '2016-06-13'];
const DATETIMES = ['2016-01-01 00:00:00 +0000', '2016-01-01 00:00:00.000001 +0000', '2016-01-01 00:00:00.5 +0000'.replace('.5', '.500000'), '2020-02-29 23:59:59 +0000'];
const CREATED = ['2015-01-01T00:00:00.000000Z', '2016-01-01T00:00:00.000000Z', '2016-01-01T00:00:00.000001Z', '2020-05-05T12:00:00.000000Z'];

const maybe = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined | null> => fc.oneof(arb, fc.constant(undefined), fc.constant(null));

const documentArb = fc.record(
  {
    email: maybe(fc.constantFrom(...NAMES).map((n) => `${n}@ex.com`)),
    name: maybe(fc.constantFrom(...NAMES)),
    age: maybe(fc.integer({ min: -3, max: 5 })),
    score: maybe(fc.constantFrom(-1.5, 0, 0.25, 2, 10.75)),
    active: maybe(fc.boolean()),
    birthday: maybe(fc.constantFrom(...DATES)),
    lastLogin: maybe(fc.constantFrom(...DATETIMES)),
    data: maybe(fc.constantFrom({ a: 1 }, [1, 2], 'text', 3)),
    address: maybe(fc.record({ city: maybe(fc.constantFrom(...CITIES)), zip: maybe(fc.constantFrom('75001', 'ab-1', 'AB-1')) })),
    profiles: fc.array(fc.record({ domain: maybe(fc.constantFrom(...DOMAINS)), followers: maybe(fc.integer({ min: 0, max: 3 })) }), { maxLength: 3 }),
  },
  { requiredKeys: [] },
);

/** A stored document: undefined keys dropped, plural elements numbered (unique emails are made unique per record set). */
function stored(doc: Record<string, unknown>, index: number): Record<string, unknown> {
  const out = JSON.parse(JSON.stringify(doc)) as Record<string, unknown>;
  if (typeof out.email === 'string') out.email = `${index}.${out.email}`;
  if (Array.isArray(out.profiles)) out.profiles = (out.profiles as Record<string, unknown>[]).map((p, i) => ({ ...p, id: i + 1 }));
  return out;
}

const path = (...names: string[]): FilterNode => ({ kind: 'path', names });
const str = (value: string): LiteralNode => ({ kind: 'string', value });
const num = (n: number): LiteralNode => ({ kind: 'number', text: String(n) });

const OPS = ['=', '!=', '<', '<=', '>', '>='] as const;

/** Comparisons whose literal fits the attribute, path on either side. */
const leafArb: fc.Arbitrary<FilterNode> = fc.oneof(
  fc.tuple(fc.constantFrom(path('name'), path('email'), path('address', 'city'), path('address', 'zip'), path('profiles', 'domain')), fc.constantFrom(...NAMES, ...CITIES, ...DOMAINS, 'Ann@ex.com', '0.ann@ex.com', 'ab-1')).map(([p, v]) => [p, str(v)] as const),
  fc.tuple(fc.constantFrom(path('age'), path('score'), path('profiles', 'followers'), path('id'), path('profiles', 'id')), fc.constantFrom(-2, 0, 1, 2, 3)).map(([p, v]) => [p, num(v)] as const),
  fc.tuple(fc.constant(path('score')), fc.constantFrom(-1.5, 0.25, 2.5, 10.75)).map(([p, v]) => [p, num(v)] as const),
  fc.tuple(fc.constant(path('birthday')), fc.constantFrom(...DATES, '2000-01-01 12:00:00 +0000')).map(([p, v]) => [p, str(v)] as const),
  fc.tuple(fc.constant(path('lastLogin')), fc.constantFrom(...DATETIMES, '2016-01-01')).map(([p, v]) => [p, str(v)] as const),
  fc.tuple(fc.constantFrom(path('created'), path('lastUpdated')), fc.constantFrom('2016-01-01', '2016-01-01 00:00:00.000001 +0000', '2019-01-01')).map(([p, v]) => [p, str(v)] as const),
).chain(([p, v]) =>
  fc.tuple(fc.constantFrom(...OPS), fc.boolean()).map(([op, flip]): FilterNode => ({ kind: 'compare', op, left: flip ? v : p, right: flip ? p : v })),
);

const nullArb: fc.Arbitrary<FilterNode> = fc
  .tuple(fc.constantFrom(path('name'), path('age'), path('address', 'city'), path('profiles', 'domain'), path('data'), path('active')), fc.boolean())
  .map(([operand, negated]) => ({ kind: 'isNull', operand, negated }));

const boolArb: fc.Arbitrary<FilterNode> = fc.oneof(
  fc.constant(path('active')),
  fc.tuple(fc.constantFrom<'=' | '!='>('=', '!='), fc.boolean()).map(([op, value]): FilterNode => ({ kind: 'compare', op, left: path('active'), right: { kind: 'boolean', value } })),
);

const filterArb: fc.Arbitrary<FilterNode> = fc.letrec<{ node: FilterNode }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leafArb,
    nullArb,
    boolArb,
    tie('node').map((operand): FilterNode => ({ kind: 'not', operand })),
    fc.tuple(fc.constantFrom<'and' | 'or'>('and', 'or'), fc.array(tie('node'), { minLength: 2, maxLength: 3 })).map(([kind, items]): FilterNode => ({ kind, items })),
  ),
})).node;

/** Kysely that compiles for an engine and runs nothing: the filter compiler's text and bound values, no database. */
function compilerFor(engine: Engine): Kysely<unknown> {
  const sqlite = engine === 'sqlite';
  return new Kysely<unknown>({
    dialect: {
      createAdapter: () => (sqlite ? new SqliteAdapter() : new PostgresAdapter()),
      createDriver: () => new DummyDriver(),
      createIntrospector: (db) => (sqlite ? new SqliteIntrospector(db) : new PostgresIntrospector(db)),
      createQueryCompiler: () => (sqlite ? new SqliteQueryCompiler() : new PostgresQueryCompiler()),
    },
  });
}

describe.each(ENGINES)('filter shapes on %s (what statements are kept by)', (engine) => {
  const db = compilerFor(engine);
  const compiled = (c: Condition) => filterSql(engine, c).compile(db);

  it('filterValues lists exactly the values filterSql binds, in its order', () => {
    fc.assert(
      fc.property(filterArb, (f) => {
        const condition = checkFilter(f, ATTR_DEFS, new Date('2026-01-01T00:00:00Z'));
        expect(filterValues(engine, condition)).toEqual(compiled(condition).parameters);
      }),
      { numRuns: 500 },
    );
  });

  it('filters of one shape compile to one SQL text', () => {
    let sameShape = 0;
    fc.assert(
      fc.property(filterArb, filterArb, (f, g) => {
        const [a, b] = [f, g].map((x) => checkFilter(x, ATTR_DEFS, new Date('2026-01-01T00:00:00Z'))) as [Condition, Condition];
        if (filterShape(a) !== filterShape(b)) return;
        sameShape += 1;
        expect(compiled(a).sql).toBe(compiled(b).sql);
      }),
      { numRuns: 3000 },
    );
    // The property is only worth something if equal shapes came up.
    expect(sameShape).toBeGreaterThan(20);
  });

  it('tells apart filters that differ in anything but their values', () => {
    const shape = (text: FilterNode) => filterShape(checkFilter(text, ATTR_DEFS));
    const cmp = (op: (typeof OPS)[number], p: FilterNode, v: LiteralNode): FilterNode => ({ kind: 'compare', op, left: p, right: v });
    expect(shape(cmp('=', path('name'), str('Ann')))).toBe(shape(cmp('=', path('name'), str('Bob'))));
    expect(shape(cmp('=', path('name'), str('Ann')))).not.toBe(shape(cmp('!=', path('name'), str('Ann'))));
    expect(shape(cmp('=', path('name'), str('Ann')))).not.toBe(shape(cmp('=', path('email'), str('Ann'))));
    expect(shape(cmp('=', path('address', 'city'), str('x')))).not.toBe(shape(cmp('=', path('address', 'zip'), str('x'))));
  });
});

describe.each(ENGINES)('filters in SQL agree with their in-memory meaning on %s', (engine) => {
  let es: EntityStore;
  let storage: PreparedStorage;
  let typeId = 0;
  beforeAll(async () => {
    es = await entityStore(engine, ATTR_DEFS, CREATED[0]);
    ({ storage, typeId } = es);
  });
  afterAll(async () => {
    await es.dispose();
  });

  async function load(docs: Record<string, unknown>[], created: string[]): Promise<StoredRecord[]> {
    const db = storage.store.db;
    await db.deleteFrom('entities').where('entity_type_id', '=', typeId).execute();
    await insertEntities(
      db,
      typeId,
      docs.map((d, i) => {
        const at = created[i % created.length] ?? '';
        return { uuid: crypto.randomUUID(), created: at, lastUpdated: at, document: stored(d, i), elementSeq: 3, passwordHistory: null };
      }),
    );
    return (await entityPage(db, typeId, 0, 1000)).map((r) => ({ id: r.id, uuid: r.uuid, created: r.created, lastUpdated: r.lastUpdated, document: r.document }));
  }

  async function selected(condition: Condition): Promise<number[]> {
    const rows = await searchEntities(storage.store, { entityTypeId: typeId, condition, order: [], deadline: Date.now() + 30_000 });
    return rows.map((r) => r.id);
  }

  it('selects exactly the records the evaluation accepts, for random filters and records', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(documentArb, { minLength: 0, maxLength: 12 }), fc.array(filterArb, { minLength: 1, maxLength: 5 }), fc.shuffledSubarray(CREATED, { minLength: 1 }), async (docs, filters, created) => {
        const records = await load(docs, created);
        for (const f of filters) {
          const condition = checkFilter(f, ATTR_DEFS, new Date('2026-01-01T00:00:00Z'));
          const expected = records.filter((r) => evaluateFilter(condition, r)).map((r) => r.id);
          expect(await selected(condition)).toEqual(expected);
        }
      }),
      { numRuns: engine === 'sqlite' ? 150 : 60 },
    );
  });

  it('treats a missing value as not matching, before and after not', async () => {
    const records = await load([{ age: 4 }, {}, { age: 1 }], CREATED);
    const [withAge, without, young] = records.map((r) => r.id);
    const cond = (f: FilterNode): Condition => checkFilter(f, ATTR_DEFS);
    const over = { kind: 'compare', op: '>', left: path('age'), right: num(2) } as const;
    expect(await selected(cond(over))).toEqual([withAge]);
    expect(await selected(cond({ kind: 'not', operand: over }))).toEqual([without, young]);
    expect(await selected(cond({ kind: 'not', operand: { kind: 'not', operand: over } }))).toEqual([withAge]);
  });

  it('compares case-insensitive strings with ASCII folding only, and sorts text by code point', async () => {
    const records = await load([{ address: { city: 'PARIS' } }, { address: { city: 'Éze' } }, { address: { city: 'éze' } }, { address: { city: 'lyon' } }], CREATED);
    const ids = records.map((r) => r.id);
    const eq = (v: string): Condition => checkFilter({ kind: 'compare', op: '=', left: path('address', 'city'), right: str(v) }, ATTR_DEFS);
    expect(await selected(eq('paris'))).toEqual([ids[0]]);
    // É is not ASCII: it does not fold to é on either engine.
    expect(await selected(eq('ÉZE'))).toEqual([ids[1]]);
    const sorted = await searchEntities(storage.store, {
      entityTypeId: typeId,
      condition: null,
      order: [{ target: checkFilterTarget('address.city'), descending: false }],
      deadline: Date.now() + 30_000,
    });
    // Folded: 'lyon' < 'paris' < 'Éze' (U+00C9 folds to itself) < 'éze' (U+00E9).
    expect(sorted.map((r) => r.id)).toEqual([ids[3], ids[0], ids[1], ids[2]]);
  });
});

function checkFilterTarget(dotted: string) {
  const c = checkFilter({ kind: 'isNull', operand: { kind: 'path', names: dotted.split('.') }, negated: false }, ATTR_DEFS);
  if (c.kind !== 'isNull') throw new Error('unexpected condition');
  return c.target;
}
