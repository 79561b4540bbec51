// Bad input to the Entity and Entity Type APIs over HTTP, on both engines (spec capture-api §0, §3, §5;
// capture-error-codes.md): every refusal carries its exact code and `error` name in a clean HTTP 200
// envelope (16-character request_id, no stack frames, no driver text), and none of them writes
// anything. Creates are proven empty by a row count and by looking the refused record's unique `probe`
// value up; updates, replaces and deletes by reading the whole record back (lastUpdated included);
// schema changes by reading the entity type and its rules back and counting /audit/list entries.
// Ends with a property-based test: random JSON as `attributes` never makes the server fail (500).
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../helpers/engines.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { auditList, basic, expectOk, reg, RELAXED_THROTTLE, type Credentials, type RegResult } from './helpers.js';

type Doc = Record<string, unknown>;
type Params = Record<string, string>;

/** The one canonical name of each code these operations may answer (capture-error-codes.md §3). */
const ERROR_NAME: Readonly<Record<number, string>> = {
  100: 'missing_argument',
  200: 'invalid_argument',
  201: 'duplicate_argument',
  222: 'unknown_entity_type',
  223: 'unknown_attribute',
  232: 'entity_type_exists',
  233: 'attribute_exists',
  234: 'reserved_attribute',
  310: 'record_not_found',
  320: 'id_in_new_record',
  330: 'timestamp_mismatch',
  340: 'invalid_data_format',
  341: 'invalid_json_type',
  342: 'invalid_date_time',
  360: 'constraint_violation',
  361: 'unique_violation',
  362: 'missing_required_attribute',
  363: 'length_violation',
};

/** A V8 stack frame ("    at fn (/path/file.js:1:2)", "at file:///x.js:3:4", "at node:internal/...:5:6"). */
const STACK_FRAME = /\bat (?:async )?(?:[\w$.<>[\]]+ )?\(?(?:file:\/\/|node:|\/)[^\s)]*:\d+:\d+\)?/;
const INTERNAL_TEXT = /\n\s+at |node_modules|sqlite|duplicate key|violates unique constraint|syntaxerror|typeerror|referenceerror/i;

/** A clean Registration error envelope with exactly this code and its name. */
function expectBadInput(res: RegResult, code: number, opts: { argument?: string; description?: string | RegExp } = {}): void {
  expect(res.status, res.text).toBe(200);
  expect(res.headers['content-type'], res.text).toMatch(/^application\/json/);
  expect(res.body.stat, res.text).toBe('error');
  expect(res.body.code, res.text).toBe(code);
  expect(res.body.error, res.text).toBe(ERROR_NAME[code]);
  expect(typeof res.body.error_description, res.text).toBe('string');
  expect(res.body.request_id, res.text).toMatch(/^[a-z0-9]{16}$/);
  expect(res.body, res.text).not.toHaveProperty('stack');
  expect(res.text).not.toMatch(STACK_FRAME);
  expect(res.text).not.toMatch(INTERNAL_TEXT);
  if (opts.argument !== undefined) expect(res.body.argument_name, res.text).toBe(opts.argument);
  if (typeof opts.description === 'string') expect(res.body.error_description, res.text).toBe(opts.description);
  else if (opts.description !== undefined) expect(res.body.error_description, res.text).toMatch(opts.description);
}

const json = (v: unknown): string => JSON.stringify(v);
let probeSeq = 0;
/** A value for the unique `probe` attribute no other call uses. */
const freshProbe = (): string => `probe-${process.pid}-${(probeSeq += 1)}-${randomUUID().slice(0, 8)}`;

/** Attributes added to `user` for these tests (beside email, givenName, birthday, primaryAddress, …). */
const EXTRA_ATTRIBUTES: readonly Doc[] = [
  { name: 'probe', type: 'string', length: 200, constraints: ['unique'] },
  { name: 'externalId', type: 'uuid' },
  { name: 'lastIp', type: 'ipAddress' },
  { name: 'optIn', type: 'boolean' },
  { name: 'score', type: 'integer' },
  { name: 'blob', type: 'json' },
  { name: 'prefs', type: 'object', attr_defs: [{ name: 'theme', type: 'string', length: 20 }] },
  { name: 'statuses', type: 'plural', attr_defs: [{ name: 'status', type: 'string', length: 100 }] },
  { name: 'shortCode', type: 'string', length: 5, constraints: ['alphanumeric'] },
  { name: 'team', type: 'string', length: 50 },
];

describe.each(ENGINES)('bad input to the entity APIs on %s', (engine) => {
  let t: TestServer;
  let owner: Credentials;
  /** A record every "writes nothing" check reads back. */
  let base: { uuid: string; id: number; statusId: number };

  const call = (path: string, params: Params): Promise<RegResult> => reg(t, path, params, { auth: basic(owner) });

  async function readRecord(uuid: string, typeName = 'user'): Promise<Doc> {
    const res = await call('/entity', { type_name: typeName, uuid });
    expectOk(res);
    return res.body.result as Doc;
  }

  async function entityRows(): Promise<number> {
    const row = await t.server.context.store.db
      .selectFrom('entities')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async function auditCount(): Promise<number> {
    return (await auditList(t, owner)).rows.length;
  }

  async function schemaOf(typeName: string): Promise<{ schema: unknown; rules: unknown }> {
    const schema = await call('/entityType', { type_name: typeName });
    expectOk(schema);
    const rules = await call('/entityType.rules', { type_name: typeName });
    expectOk(rules);
    return { schema: schema.body.schema, rules: rules.body.results };
  }

  async function expectProbeAbsent(probe: string, typeName = 'user'): Promise<void> {
    const res = await call('/entity', { type_name: typeName, key_attribute: 'probe', key_value: json(probe) });
    expectBadInput(res, 310);
  }

  /** entity.create refused with `code`, and no record appeared (row count; the probe value finds nothing). */
  async function rejectedCreate(attributes: Doc | string | undefined, code: number, opts: { typeName?: string; argument?: string; description?: string | RegExp; probeType?: string; extra?: Params } = {}): Promise<RegResult> {
    const probe = freshProbe();
    const params: Params = { type_name: opts.typeName ?? 'user', ...opts.extra };
    if (typeof attributes === 'string') params.attributes = attributes;
    else if (attributes !== undefined) params.attributes = json({ probe, ...attributes });
    const rowsBefore = await entityRows();
    const res = await call('/entity.create', params);
    expectBadInput(res, code, opts);
    expect(res.body).not.toHaveProperty('uuid');
    expect(await entityRows()).toBe(rowsBefore);
    if (typeof attributes === 'object') await expectProbeAbsent(probe, opts.probeType ?? opts.typeName ?? 'user');
    return res;
  }

  /** A write to an existing record refused with `code`; the record reads back exactly as before. */
  async function rejectedWrite(path: string, params: Params, code: number, uuid: string, opts: { argument?: string; description?: string | RegExp; typeName?: string } = {}): Promise<RegResult> {
    const before = await readRecord(uuid, opts.typeName);
    const rowsBefore = await entityRows();
    const res = await call(path, params);
    expectBadInput(res, code, opts);
    expect(await readRecord(uuid, opts.typeName)).toEqual(before);
    expect(await entityRows()).toBe(rowsBefore);
    return res;
  }

  /** A schema change refused with `code`; the type, its rules and the audit log are unchanged. */
  async function rejectedSchemaChange(path: string, params: Params, code: number, typeName: string, opts: { argument?: string; description?: string | RegExp } = {}): Promise<RegResult> {
    const before = await schemaOf(typeName);
    const auditBefore = await auditCount();
    const res = await call(path, params);
    expectBadInput(res, code, opts);
    expect(await schemaOf(typeName)).toEqual(before);
    expect(await auditCount()).toBe(auditBefore);
    return res;
  }

  async function create(attributes: Doc, typeName = 'user'): Promise<{ uuid: string; id: number; record: Doc }> {
    const res = await call('/entity.create', { type_name: typeName, attributes: json(attributes), include_record: 'true' });
    expectOk(res);
    return { uuid: String(res.body.uuid), id: Number(res.body.id), record: res.body.result as Doc };
  }

  beforeAll(async () => {
    t = await startTestServer(engine, RELAXED_THROTTLE);
    owner = t.owner;
    for (const attrDef of EXTRA_ATTRIBUTES) expectOk(await call('/entityType.addAttribute', { type_name: 'user', attr_def: json(attrDef) }));
    const made = await create({ email: 'base@example.com', givenName: 'Base', probe: 'base', statuses: [{ status: 'one' }] });
    const statuses = made.record.statuses as { id: number }[];
    base = { uuid: made.uuid, id: made.id, statusId: Number(statuses[0]?.id) };
    await create({ email: 'dup@example.com', probe: 'dup' });
  });
  afterAll(async () => {
    await t?.close();
  });

  // -------------------------------------------------------------------------------------------
  // Selectors, arguments and types

  it('unknown type_name → 222 unknown_entity_type on every entity operation', async () => {
    await rejectedCreate({ givenName: 'x' }, 222, { typeName: 'no_such_type', argument: 'type_name', probeType: 'user' });
    await rejectedWrite('/entity.update', { type_name: 'no_such_type', uuid: base.uuid, attributes: json({ givenName: 'x' }) }, 222, base.uuid);
    await rejectedWrite('/entity.replace', { type_name: 'no_such_type', uuid: base.uuid, attributes: json({ givenName: 'x' }) }, 222, base.uuid);
    await rejectedWrite('/entity.delete', { type_name: 'no_such_type', uuid: base.uuid }, 222, base.uuid);
    expectBadInput(await call('/entity', { type_name: 'no_such_type', uuid: base.uuid }), 222);
    expectBadInput(await call('/entityType', { type_name: 'no_such_type' }), 222);
    const auditBefore = await auditCount();
    expectBadInput(await call('/entityType.addAttribute', { type_name: 'no_such_type', attr_def: json({ name: 'x', type: 'string' }) }), 222);
    expect(await auditCount()).toBe(auditBefore);
  });

  it('missing, duplicate and malformed selectors: 100, 201, 200 "invalid uuid", 310', async () => {
    const attrs = json({ givenName: 'Changed' });
    // no selector
    await rejectedWrite('/entity.update', { type_name: 'user', attributes: attrs }, 100, base.uuid);
    await rejectedWrite('/entity.delete', { type_name: 'user' }, 100, base.uuid);
    expectBadInput(await call('/entity', { type_name: 'user' }), 100);
    // two selectors
    for (const path of ['/entity.update', '/entity.replace']) {
      const res = await rejectedWrite(path, { type_name: 'user', uuid: base.uuid, id: String(base.id), attributes: attrs }, 201, base.uuid);
      expect(res.body.argument_names, res.text).toEqual(expect.arrayContaining(['uuid', 'id']));
    }
    await rejectedWrite('/entity.delete', { type_name: 'user', uuid: base.uuid, id: String(base.id) }, 201, base.uuid);
    expectBadInput(await call('/entity', { type_name: 'user', uuid: base.uuid, key_attribute: 'email', key_value: '"base@example.com"' }), 201);
    // malformed uuid: the documented answer, word for word (spec §3.8)
    const invalidUuid = { argument: 'uuid', description: 'uuid was not valid for the following reason: invalid uuid' };
    await rejectedWrite('/entity.update', { type_name: 'user', uuid: 'not-a-uuid', attributes: attrs }, 200, base.uuid, invalidUuid);
    await rejectedWrite('/entity.delete', { type_name: 'user', uuid: 'not-a-uuid' }, 200, base.uuid, invalidUuid);
    expectBadInput(await call('/entity', { type_name: 'user', uuid: `${base.uuid}x` }), 200, invalidUuid);
    // well-formed but absent
    const nobody = randomUUID();
    for (const path of ['/entity.update', '/entity.replace']) {
      await rejectedWrite(path, { type_name: 'user', uuid: nobody, attributes: attrs }, 310, base.uuid);
      await rejectedWrite(path, { type_name: 'user', id: '987654321', attributes: attrs }, 310, base.uuid);
    }
    await rejectedWrite('/entity.delete', { type_name: 'user', uuid: nobody }, 310, base.uuid);
    expectBadInput(await call('/entity', { type_name: 'user', uuid: nobody }), 310);
    expectBadInput(await call('/entity', { type_name: 'user', id: '987654321' }), 310);
    expectBadInput(await call('/entity', { type_name: 'user', key_attribute: 'email', key_value: '"nobody@example.com"' }), 310);
  });

  it('missing or unparseable attributes: 100 and 200 with argument_name', async () => {
    await rejectedCreate(undefined, 100, { argument: 'attributes' });
    await rejectedWrite('/entity.update', { type_name: 'user', uuid: base.uuid }, 100, base.uuid, { argument: 'attributes' });
    await rejectedWrite('/entity.replace', { type_name: 'user', uuid: base.uuid }, 100, base.uuid, { argument: 'attributes' });
    const bad = { argument: 'attributes', description: /^attributes was not valid for the following reason: / };
    await rejectedCreate('{bad', 200, bad);
    await rejectedCreate('', 200, bad);
    await rejectedCreate('[1, 2]', 200, bad);
    await rejectedCreate('"just a string"', 200, bad);
    await rejectedCreate('null', 200, bad);
    for (const path of ['/entity.update', '/entity.replace']) {
      await rejectedWrite(path, { type_name: 'user', uuid: base.uuid, attributes: '{bad' }, 200, base.uuid, bad);
      await rejectedWrite(path, { type_name: 'user', uuid: base.uuid, attributes: '{"givenName": "x",}' }, 200, base.uuid, bad);
      await rejectedWrite(path, { type_name: 'user', uuid: base.uuid, attributes: '[]' }, 200, base.uuid, bad);
    }
    expectBadInput(await call('/entity', { type_name: 'user', uuid: base.uuid, attributes: '[bad' }), 200, bad);
  });

  it('unknown attributes → 223 on create, update, replace and in the attributes of /entity', async () => {
    const desc = /attribute does not exist: \/nope/;
    await rejectedCreate({ nope: 1 }, 223, { description: desc });
    await rejectedCreate({ givenName: 'ok', primaryAddress: { city: 'x', nope: 'y' } }, 223, { description: /\/primaryAddress\/nope/ });
    await rejectedCreate({ statuses: [{ status: 'a', nope: true }] }, 223, { description: /\/statuses\/nope/ });
    for (const path of ['/entity.update', '/entity.replace']) {
      await rejectedWrite(path, { type_name: 'user', uuid: base.uuid, attributes: json({ givenName: 'Changed', nope: 1 }) }, 223, base.uuid, { description: desc });
      await rejectedWrite(path, { type_name: 'user', uuid: base.uuid, attributes: json({ primaryAddress: { nope: 'y' } }) }, 223, base.uuid);
    }
    await rejectedWrite('/entity.update', { type_name: 'user', uuid: base.uuid, attribute_name: '/nope', value: json('x') }, 223, base.uuid);
    await rejectedWrite('/entity.update', { type_name: 'user', uuid: base.uuid, attribute_name: 'primaryAddress.nope', attributes: json('x') }, 223, base.uuid);
    expectBadInput(await call('/entity', { type_name: 'user', uuid: base.uuid, attributes: json(['givenName', 'nope']) }), 223, { description: desc });
    expectBadInput(await call('/entity', { type_name: 'user', uuid: base.uuid, attributes: json(['primaryAddress.nope']) }), 223);
  });

  it('reserved attributes: 234 when written, 320 for an id in a new record or plural element', async () => {
    for (const [name, value] of [['uuid', randomUUID()], ['created', '2020-01-01 00:00:00.000000 +0000'], ['lastUpdated', '2020-01-01 00:00:00.000000 +0000']] as const) {
      await rejectedCreate({ givenName: 'x', [name]: value }, 234);
    }
    await rejectedCreate({ givenName: 'x', id: 424242 }, 320);
    await rejectedCreate({ statuses: [{ status: 'a' }, { id: 7, status: 'b' }] }, 320);
    for (const [name, value] of [['id', base.id], ['uuid', randomUUID()], ['created', '2020-01-01 00:00:00.000000 +0000'], ['lastUpdated', '2020-01-01 00:00:00.000000 +0000']] as const) {
      await rejectedWrite('/entity.update', { type_name: 'user', uuid: base.uuid, attributes: json({ givenName: 'Changed', [name]: value }) }, 234, base.uuid);
      await rejectedWrite('/entity.replace', { type_name: 'user', uuid: base.uuid, attributes: json({ email: 'base@example.com', [name]: value }) }, 234, base.uuid);
    }
    await rejectedWrite('/entity.update', { type_name: 'user', uuid: base.uuid, attribute_name: '/uuid', value: json(randomUUID()) }, 234, base.uuid);
  });

  it('wrong JSON types → 341, badly formatted values → 340, bad dates → 342', async () => {
    const cases: [Doc, number][] = [
      [{ givenName: 42 }, 341],
      [{ givenName: ['a'] }, 341],
      [{ optIn: 'yes' }, 341],
      [{ score: '12' }, 341],
      [{ primaryAddress: 'London' }, 341],
      [{ primaryAddress: { city: 5 } }, 341],
      [{ statuses: 'one' }, 341],
      [{ statuses: ['one'] }, 341],
      [{ externalId: 'not-a-uuid' }, 340],
      [{ externalId: '123e4567-e89b-12d3-a456-42661417400' }, 340],
      [{ lastIp: '999.1.1.1' }, 340],
      [{ lastIp: 'not an address' }, 340],
      [{ score: 1.5 }, 340],
      [{ birthday: 'not a date' }, 342],
      [{ birthday: '2001-02-30' }, 342],
      [{ emailVerified: 'not a date' }, 342],
    ];
    for (const [attributes, code] of cases) {
      await rejectedCreate(attributes, code);
      await rejectedWrite('/entity.update', { type_name: 'user', uuid: base.uuid, attributes: json(attributes) }, code, base.uuid);
    }
    await rejectedWrite('/entity.replace', { type_name: 'user', uuid: base.uuid, attributes: json({ email: 'base@example.com', birthday: 'not a date' }) }, 342, base.uuid);
  });

  it('constraints and lengths: 360 email-address and alphanumeric, 363 over the length', async () => {
    await rejectedCreate({ email: 'not-an-email' }, 360);
    await rejectedWrite('/entity.update', { type_name: 'user', uuid: base.uuid, attributes: json({ email: 'not-an-email' }) }, 360, base.uuid);
    await rejectedCreate({ shortCode: 'ab-!' }, 360);
    await rejectedWrite('/entity.update', { type_name: 'user', uuid: base.uuid, attributes: json({ shortCode: 'a b' }) }, 360, base.uuid);
    await rejectedCreate({ shortCode: 'abcdef' }, 363);
    await rejectedCreate({ prefs: { theme: 'x'.repeat(21) } }, 363);
    await rejectedCreate({ email: `${'a'.repeat(250)}@example.com` }, 363);
    await rejectedWrite('/entity.update', { type_name: 'user', uuid: base.uuid, attributes: json({ shortCode: 'abcdef' }) }, 363, base.uuid);
    // the limits themselves are fine
    const ok = await create({ shortCode: 'abcde', prefs: { theme: 'x'.repeat(20) } });
    expect(ok.record).toMatchObject({ shortCode: 'abcde' });
  });

  it('a duplicate email → 361 unique_violation, case-insensitively, on create and on update', async () => {
    const res = await rejectedCreate({ email: 'DUP@Example.COM', givenName: 'Second' }, 361, { description: /duplicate value/ });
    expect(res.body.error).toBe('unique_violation');
    await rejectedCreate({ email: 'dup@example.com' }, 361);
    const other = await create({ email: 'other@example.com', givenName: 'Other' });
    const upd = await rejectedWrite('/entity.update', { type_name: 'user', uuid: other.uuid, attributes: json({ email: 'Dup@Example.com', givenName: 'Renamed' }) }, 361, other.uuid, { description: /duplicate value/ });
    expect(upd.body.error).toBe('unique_violation');
    await rejectedWrite('/entity.replace', { type_name: 'user', uuid: other.uuid, attributes: json({ email: 'dup@EXAMPLE.com' }) }, 361, other.uuid);
    await rejectedWrite('/entity.update', { type_name: 'user', uuid: other.uuid, attribute_name: '/email', value: json('DUP@example.com') }, 361, other.uuid);
    // the existing holder of the address is untouched too
    const holder = await call('/entity', { type_name: 'user', key_attribute: 'email', key_value: '"dup@example.com"' });
    expectOk(holder);
    expect(holder.body.result).toMatchObject({ email: 'dup@example.com', probe: 'dup', givenName: null });
  });

  it('timestamp guards that do not match → 330 on /entity, update, replace and delete', async () => {
    const record = await readRecord(base.uuid);
    const wrong = '2001-02-03 04:05:06.000000 +0000';
    // the right values pass (so the mismatch is what is refused)
    expectOk(await call('/entity', { type_name: 'user', uuid: base.uuid, created: String(record.created), lastUpdated: String(record.lastUpdated) }));
    for (const guard of ['created', 'lastUpdated', 'last_updated']) {
      expectBadInput(await call('/entity', { type_name: 'user', uuid: base.uuid, [guard]: wrong }), 330);
      for (const path of ['/entity.update', '/entity.replace']) {
        await rejectedWrite(path, { type_name: 'user', uuid: base.uuid, [guard]: wrong, attributes: json({ email: 'base@example.com', givenName: 'Guarded' }) }, 330, base.uuid);
      }
      await rejectedWrite('/entity.delete', { type_name: 'user', uuid: base.uuid, [guard]: wrong }, 330, base.uuid);
      await rejectedWrite('/entity.delete', { type_name: 'user', uuid: base.uuid, [guard]: wrong, attribute_name: `/statuses#${base.statusId}` }, 330, base.uuid);
    }
    // one right guard does not excuse a wrong one
    await rejectedWrite('/entity.update', { type_name: 'user', uuid: base.uuid, created: String(record.created), lastUpdated: wrong, attributes: json({ givenName: 'Guarded' }) }, 330, base.uuid);
  });

  it('a plural element id that does not exist → 310 on update and delete', async () => {
    await rejectedWrite('/entity.update', { type_name: 'user', uuid: base.uuid, attributes: json({ statuses: [{ id: 99999, status: 'x' }] }) }, 310, base.uuid);
    // the unknown id comes after a valid change: still nothing written
    await rejectedWrite('/entity.update', { type_name: 'user', uuid: base.uuid, attributes: json({ givenName: 'Changed', statuses: [{ id: base.statusId, status: 'changed' }, { status: 'new' }, { id: 99999, status: 'x' }] }) }, 310, base.uuid);
    await rejectedWrite('/entity.update', { type_name: 'user', uuid: base.uuid, attribute_name: '/statuses#99999', attributes: json({ status: 'x' }) }, 310, base.uuid);
    await rejectedWrite('/entity.delete', { type_name: 'user', uuid: base.uuid, attribute_name: '/statuses#99999' }, 310, base.uuid);
    // element ids are numbers: the same id as a string names no element
    await rejectedWrite('/entity.update', { type_name: 'user', uuid: base.uuid, attributes: json({ statuses: [{ id: String(base.statusId), status: 'x' }] }) }, 310, base.uuid);
    // paths that name no attribute
    await rejectedWrite('/entity.update', { type_name: 'user', uuid: base.uuid, attribute_name: `/statuses#${base.statusId}/nope`, value: json('x') }, 223, base.uuid);
    await rejectedWrite('/entity.update', { type_name: 'user', uuid: base.uuid, attribute_name: '/primaryAddress#1', value: json({}) }, 223, base.uuid);
    await rejectedWrite('/entity.update', { type_name: 'user', uuid: base.uuid, attribute_name: '/givenName/x', value: json('x') }, 223, base.uuid);
    // an element's value must be an object, a plural's an array
    await rejectedWrite('/entity.update', { type_name: 'user', uuid: base.uuid, attribute_name: `/statuses#${base.statusId}`, attributes: json('x') }, 200, base.uuid, { argument: 'attributes' });
    await rejectedWrite('/entity.update', { type_name: 'user', uuid: base.uuid, attribute_name: '/statuses', attributes: json('x') }, 341, base.uuid);
    await rejectedWrite('/entity.update', { type_name: 'user', uuid: base.uuid, attribute_name: `/statuses#${base.statusId}/status`, value: json('x'.repeat(101)) }, 363, base.uuid);
  });

  it('entity.delete with an attribute_name that is not a plural element → 200, and the record stays', async () => {
    for (const attributeName of ['/givenName', '/statuses', '/primaryAddress', 'a..b', '/statuses#0', '/statuses#x']) {
      await rejectedWrite('/entity.delete', { type_name: 'user', uuid: base.uuid, attribute_name: attributeName }, 200, base.uuid, { argument: 'attribute_name' });
    }
    await rejectedWrite('/entity.delete', { type_name: 'user', uuid: base.uuid, attribute_name: '/nope#1' }, 223, base.uuid);
    // malformed id selector and a malformed boolean are refused before anything is written
    await rejectedWrite('/entity.delete', { type_name: 'user', id: '-1' }, 200, base.uuid, { argument: 'id' });
    await rejectedWrite('/entity.update', { type_name: 'user', uuid: base.uuid, attributes: json({ givenName: 'Changed' }), include_record: 'maybe' }, 200, base.uuid, { argument: 'include_record' });
    await rejectedCreate({ givenName: 'x' }, 200, { argument: 'include_record', extra: { include_record: 'maybe' } });
    // and a guard that is not a timestamp at all is a malformed argument, not a mismatch
    await rejectedWrite('/entity.update', { type_name: 'user', uuid: base.uuid, created: 'garbage', attributes: json({ givenName: 'Changed' }) }, 200, base.uuid, { argument: 'created' });
  });

  it('strings PostgreSQL text cannot hold (NUL, lone surrogates) are stored or refused with 340, never 500', async () => {
    // Valid JSON (JSON.stringify writes them as \u0000 and \ud800): either the value round-trips, or
    // it is refused as badly formatted data with nothing written. Both engines must answer cleanly.
    const values = ['a\u0000b', '\ud800', 'x\udfffy', '\u0000'];
    const places: [build: (v: string) => Doc, get: (record: Doc) => unknown][] = [
      [(v) => ({ givenName: v }), (r) => r.givenName],
      [(v) => ({ primaryAddress: { city: v } }), (r) => (r.primaryAddress as Doc).city],
      [(v) => ({ statuses: [{ status: v }] }), (r) => (r.statuses as Doc[]).at(-1)?.status],
      [(v) => ({ blob: { [v]: v } }), (r) => r.blob],
    ];
    for (const value of values) {
      for (const [build, get] of places) {
        const attributes = build(value);
        const expected = get(attributes);
        const probe = freshProbe();
        const rowsBefore = await entityRows();
        const res = await call('/entity.create', { type_name: 'user', attributes: json({ probe, ...attributes }) });
        if (res.body.stat === 'ok') {
          expect(get(await readRecord(String(res.body.uuid))), res.text).toEqual(expected);
        } else {
          expectBadInput(res, 340);
          expect(await entityRows()).toBe(rowsBefore);
          await expectProbeAbsent(probe);
        }
        const before = await readRecord(base.uuid);
        const upd = await call('/entity.update', { type_name: 'user', uuid: base.uuid, attributes: json(attributes) });
        if (upd.body.stat === 'ok') {
          expect(get(await readRecord(base.uuid)), upd.text).toEqual(expected);
        } else {
          expectBadInput(upd, 340);
          expect(await readRecord(base.uuid)).toEqual(before);
        }
      }
      // looking a record up by such a value finds nothing (or refuses the value); it never fails
      const lookup = await call('/entity', { type_name: 'user', key_attribute: 'email', key_value: json(value) });
      expect([200, 310, 340], lookup.text).toContain(lookup.body.code);
      expectBadInput(lookup, Number(lookup.body.code));
    }
    // put the fixture back the way the other tests expect it
    expectOk(await call('/entity.update', { type_name: 'user', uuid: base.uuid, attributes: json({ givenName: 'Base', blob: null, primaryAddress: { city: null } }) }));
  });

  // -------------------------------------------------------------------------------------------
  // Rules and required attributes, on a type of their own

  it('rules (addRule) → 360 and required attributes → 362, on create, update and replace', async () => {
    expectOk(await call('/entityType.create', {
      type_name: 'bi_rules',
      attr_defs: json([
        { name: 'probe', type: 'string', constraints: ['unique'] },
        { name: 'nickname', type: 'string' },
        { name: 'mustHave', type: 'string' },
      ]),
    }));
    const before = await create({ probe: 'rules-existing', nickname: 'abc', mustHave: 'yes' }, 'bi_rules');
    const added = await call('/entityType.addRule', { type_name: 'bi_rules', attributes: json(['nickname']), definition: json({ 'max-length': 3 }), description: 'short nicknames' });
    expectOk(added);
    await rejectedCreate({ nickname: 'abcd', mustHave: 'x' }, 360, { typeName: 'bi_rules' });
    await rejectedWrite('/entity.update', { type_name: 'bi_rules', uuid: before.uuid, attributes: json({ nickname: 'abcd' }) }, 360, before.uuid, { typeName: 'bi_rules' });
    await rejectedWrite('/entity.replace', { type_name: 'bi_rules', uuid: before.uuid, attributes: json({ probe: 'rules-existing', nickname: 'abcdef', mustHave: 'yes' }) }, 360, before.uuid, { typeName: 'bi_rules' });

    expectOk(await call('/entityType.setAttributeConstraints', { type_name: 'bi_rules', attribute_name: 'mustHave', constraints: json(['required']) }));
    await rejectedCreate({ nickname: 'ab' }, 362, { typeName: 'bi_rules' });
    await rejectedCreate({ nickname: 'ab', mustHave: null }, 362, { typeName: 'bi_rules' });
    await rejectedWrite('/entity.update', { type_name: 'bi_rules', uuid: before.uuid, attributes: json({ mustHave: null }) }, 362, before.uuid, { typeName: 'bi_rules' });
    await rejectedWrite('/entity.replace', { type_name: 'bi_rules', uuid: before.uuid, attributes: json({ probe: 'rules-existing', nickname: 'ab' }) }, 362, before.uuid, { typeName: 'bi_rules' });
    // a write that satisfies both goes through
    expectOk(await call('/entity.create', { type_name: 'bi_rules', attributes: json({ nickname: 'abc', mustHave: 'x' }) }));
  });

  // -------------------------------------------------------------------------------------------
  // Entity Type API

  it('entityType.create of an existing name → 232, and bad attr_defs create nothing (200)', async () => {
    const listBefore = await call('/entityType.list', {});
    await rejectedSchemaChange('/entityType.create', { type_name: 'user', attr_defs: json([{ name: 'x', type: 'string' }]) }, 232, 'user');
    const auditBefore = await auditCount();
    for (const attrDefs of ['{bad', json({ name: 'x', type: 'string' }), json([{ name: 'x' }]), json([{ name: '9lives', type: 'string' }]), json([{ name: 'x', type: 'nosuchtype' }])]) {
      expectBadInput(await call('/entityType.create', { type_name: 'bi_never', attr_defs: attrDefs }), 200, { argument: 'attr_defs' });
    }
    expectBadInput(await call('/entityType.create', { type_name: 'bi_never', attr_defs: json([{ name: 'x', type: 'string' }, { name: 'x', type: 'string' }]) }), 233);
    expectBadInput(await call('/entityType.create', { type_name: 'bi_never', attr_defs: json([{ name: 'uuid', type: 'uuid' }]) }), 234);
    expectBadInput(await call('/entityType', { type_name: 'bi_never' }), 222);
    expect((await call('/entityType.list', {})).body.results).toEqual(listBefore.body.results);
    expect(await auditCount()).toBe(auditBefore);
  });

  it('addAttribute of an existing name → 233, of a reserved one → 234, malformed attr_def → 200', async () => {
    await rejectedSchemaChange('/entityType.addAttribute', { type_name: 'user', attr_def: json({ name: 'email', type: 'string' }) }, 233, 'user');
    await rejectedSchemaChange('/entityType.addAttribute', { type_name: 'user', attr_def: json({ name: 'givenName', type: 'integer' }) }, 233, 'user');
    await rejectedSchemaChange('/entityType.addAttribute', { type_name: 'user', attr_def: json({ name: 'uuid', type: 'string' }) }, 234, 'user');
    for (const attrDef of [
      '{bad',
      json([{ name: 'x', type: 'string' }]),
      json({ name: 'x' }),
      json({ type: 'string' }),
      json({ name: 'has space', type: 'string' }),
      json({ name: 'x', type: 'nosuchtype' }),
      json({ name: 'x', type: 'string', length: -1 }),
      json({ name: 'x', type: 'string', constraints: ['nosuchconstraint'] }),
      json({ name: 'x', type: 'object' }),
      json({ name: 'x', type: 'plural', attr_defs: [{ name: 'id', type: 'string' }] }),
    ]) {
      const res = await call('/entityType.addAttribute', { type_name: 'user', attr_def: attrDef });
      // the reserved plural child id is 234; everything else is a malformed argument
      if (attrDef.includes('"plural"')) expectBadInput(res, 234);
      else expectBadInput(res, 200, { argument: 'attr_def', description: /^attr_def was not valid for the following reason: / });
    }
    const schema = await schemaOf('user');
    expect(JSON.stringify(schema.schema)).not.toMatch(/"name":"x"/);
    await rejectedSchemaChange('/entityType.addAttribute', { type_name: 'user' }, 100, 'user', { argument: 'attr_def' });
  });

  it('removeAttribute of a reserved attribute → 234 (and an unknown one → 223)', async () => {
    for (const name of ['id', 'uuid', 'created', 'lastUpdated', '/uuid']) {
      await rejectedSchemaChange('/entityType.removeAttribute', { type_name: 'user', attribute_name: name }, 234, 'user');
    }
    await rejectedSchemaChange('/entityType.removeAttribute', { type_name: 'user', attribute_name: 'nope' }, 223, 'user');
    expect((await readRecord(base.uuid)).uuid).toBe(base.uuid);
  });

  it('unique constraint over duplicated data → 361 naming the records, and the constraint is not applied', async () => {
    const a = await create({ team: 'red' });
    const b = await create({ team: 'red' });
    const res = await rejectedSchemaChange('/entityType.setAttributeConstraints', { type_name: 'user', attribute_name: 'team', constraints: json(['unique']) }, 361, 'user');
    expect(res.body.error).toBe('unique_violation');
    expect(res.body.error_description).toMatch(new RegExp(`\\b${a.id}\\b`));
    expect(res.body.error_description).toMatch(new RegExp(`\\b${b.id}\\b`));
    // no unique index was left behind: another duplicate still goes in, and the definition has no unique
    const c = await create({ team: 'red' });
    expect(c.record.team).toBe('red');
    const team = ((await schemaOf('user')).schema as { attr_defs: Doc[] }).attr_defs.find((d) => d.name === 'team');
    expect(team?.constraints ?? []).not.toContain('unique');
    // locally-unique is retroactive too
    const d = await create({ statuses: [{ status: 'same' }, { status: 'SAME' }] });
    const local = await rejectedSchemaChange('/entityType.setAttributeConstraints', { type_name: 'user', attribute_name: 'statuses.status', constraints: json(['locally-unique']) }, 361, 'user');
    expect(local.body.error_description).toMatch(new RegExp(`\\b${d.id}\\b`));
    expectOk(await call('/entity.update', { type_name: 'user', uuid: d.uuid, attributes: json({ statuses: [{ status: 'same' }] }) }));
    // constraints that cannot apply, or are not constraints, are malformed arguments
    await rejectedSchemaChange('/entityType.setAttributeConstraints', { type_name: 'user', attribute_name: 'team', constraints: json(['nosuch']) }, 200, 'user', { argument: 'constraints' });
    await rejectedSchemaChange('/entityType.setAttributeConstraints', { type_name: 'user', attribute_name: 'team', constraints: '{bad' }, 200, 'user', { argument: 'constraints' });
    await rejectedSchemaChange('/entityType.setAttributeConstraints', { type_name: 'user', attribute_name: 'uuid', constraints: json([]) }, 234, 'user');
    await rejectedSchemaChange('/entityType.setAttributeConstraints', { type_name: 'user', attribute_name: 'nope', constraints: json(['required']) }, 223, 'user');
  });

  it('malformed rule definitions and attribute lists → 200, reserved → 234; no rule is stored', async () => {
    for (const definition of ['{bad', json({ nosuchrule: 1 }), json({ 'max-length': 'three' }), json({ 'max-length': -1 }), json({ and: [] }), json({ match: '(' }), json(42), json({ 'max-length': 3, 'min-length': 1 })]) {
      await rejectedSchemaChange('/entityType.addRule', { type_name: 'user', attributes: json(['givenName']), definition, description: 'bad' }, 200, 'user', { argument: 'definition' });
    }
    // a rule that cannot apply to the attribute's type
    await rejectedSchemaChange('/entityType.addRule', { type_name: 'user', attributes: json(['optIn']), definition: json({ 'max-length': 3 }), description: 'bad' }, 200, 'user', { argument: 'definition' });
    for (const attributes of ['{bad', json([]), json('givenName'), json([1])]) {
      await rejectedSchemaChange('/entityType.addRule', { type_name: 'user', attributes, definition: json({ 'max-length': 3 }), description: 'bad' }, 200, 'user', { argument: 'attributes' });
    }
    await rejectedSchemaChange('/entityType.addRule', { type_name: 'user', attributes: json(['nope']), definition: json({ 'max-length': 3 }), description: 'bad' }, 223, 'user');
    await rejectedSchemaChange('/entityType.addRule', { type_name: 'user', attributes: json(['uuid']), definition: json('required'), description: 'bad' }, 234, 'user');
    expect((await schemaOf('user')).rules).toEqual([]);
  });

  it('setPasswordSettings outside 0..10 → 200, nothing audited', async () => {
    for (const settings of [json({ historySize: 11 }), json({ historySize: -1 }), json({ historySize: 2.5 }), json({ historySize: '3' }), json({ history: 3 }), json([]), '{bad']) {
      await rejectedSchemaChange('/entityType.setPasswordSettings', { type_name: 'user', settings }, 200, 'user', { argument: 'settings' });
    }
    // the same password twice is still accepted: no history was switched on
    const made = await create({ password: 'first secret' });
    expectOk(await call('/entity.update', { type_name: 'user', uuid: made.uuid, attributes: json({ password: 'first secret' }) }));
  });

  // -------------------------------------------------------------------------------------------
  // Random input

  it('random JSON as attributes is answered ok or with a documented error, never 500', { timeout: 120_000 }, async () => {
    const names = ['email', 'givenName', 'displayName', 'emailVerified', 'password', 'birthday', 'primaryAddress', 'externalId', 'lastIp', 'optIn', 'score', 'blob', 'prefs', 'statuses', 'shortCode', 'team', 'id', 'uuid', 'created', 'lastUpdated', 'nope'];
    const childNames = ['city', 'zip', 'theme', 'status', 'id', 'nope'];
    // Strings of plain characters mostly, any code point sometimes, and now and then the ones storage
    // layers trip over (NUL, lone surrogates, astral and combining characters).
    const unit = fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom('a', 'b', 'Z', '0', '7', '@', '.', '-', ' ', '_', ':') },
      { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
      { weight: 1, arbitrary: fc.constantFrom('\u0000', '\ud800', '\udc00', '\u0301', 'é', 'İ', '😀') },
    );
    const value = (maxDepth: number) => fc.jsonValue({ maxDepth, stringUnit: unit });
    const child = fc.dictionary(fc.constantFrom(...childNames), value(1), { maxKeys: 3 });
    const inner = fc.oneof(fc.string({ maxLength: 12, unit }), value(2), child, fc.array(child, { maxLength: 3 }));
    // Mostly objects keyed by the type's attribute names (so many writes get past the name check).
    const attributes = fc.oneof(
      { weight: 4, arbitrary: fc.dictionary(fc.constantFrom(...names), inner, { maxKeys: 4 }).map((v) => json(v)) },
      { weight: 1, arbitrary: value(3).map((v) => json(v)) },
      { weight: 1, arbitrary: fc.string({ maxLength: 40, unit }) },
    );
    const target = await create({ givenName: 'Fuzz' });
    const createCodes = new Set([200, 223, 234, 320, 340, 341, 342, 360, 361, 362, 363]);
    const updateCodes = new Set([200, 223, 234, 310, 340, 341, 342, 360, 361, 362, 363]);
    const check = (res: RegResult, codes: ReadonlySet<number>): void => {
      expect(res.status, res.text).toBe(200);
      if (res.body.stat === 'ok') return;
      expect(res.body.code, res.text).not.toBe(500);
      expect(codes.has(Number(res.body.code)), res.text).toBe(true);
      expectBadInput(res, Number(res.body.code));
    };
    let runs = 0;
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(attributes, attributes, async (forCreate, forUpdate) => {
        runs += 1;
        const rowsBefore = await entityRows();
        const created = await call('/entity.create', { type_name: 'user', attributes: forCreate });
        check(created, createCodes);
        if (created.body.stat === 'ok') accepted += 1;
        else expect(await entityRows()).toBe(rowsBefore);
        const before = await readRecord(target.uuid);
        const updated = await call('/entity.update', { type_name: 'user', uuid: target.uuid, attributes: forUpdate });
        check(updated, updateCodes);
        if (updated.body.stat === 'ok') accepted += 1;
        else expect(await readRecord(target.uuid)).toEqual(before);
      }),
      { numRuns: 50, interruptAfterTimeLimit: 90_000 },
    );
    expect(runs).toBeGreaterThanOrEqual(20);
    // the generator is not vacuous: some random writes are valid and go through
    expect(accepted).toBeGreaterThan(0);
  });
});
