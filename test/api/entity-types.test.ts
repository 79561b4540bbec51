// Entity Type API over HTTP (spec capture-api §5, §8; docs/entities.md "Entity types"): every schema
// operation on both engines — list, view, create, addAttribute, removeAttribute,
// setAttributeConstraints (unique and locally-unique, applied retroactively), setPasswordSettings
// (history), rules, the legacy operations — each checked through the records it affects (/entity)
// and the audit entry it leaves; the read-only /config/{app_id}/entityTypes… endpoints with their
// permission matrix; and a schema change seen by a second server on the same PostgreSQL database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../helpers/engines.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import {
  addApplicationWithOwner,
  addClient,
  auditList,
  basic,
  cfg,
  expectOk,
  expectRegError,
  pollUntil,
  reg,
  sleep,
  RELAXED_THROTTLE,
  startSharedCluster,
  type Credentials,
  type RegResult,
  type SharedCluster,
  type SharedServer,
} from './helpers.js';

interface AttrDef {
  name: string;
  type: string;
  length?: number | null;
  'case-sensitive'?: boolean;
  description?: string;
  constraints?: string[];
  features?: string[];
  attr_defs?: AttrDef[];
}

interface Schema {
  attr_defs: AttrDef[];
  name: string;
}

interface Rule {
  uuid: string;
  attributes: string[];
  definition: unknown;
  description: string;
}

type Rec = Record<string, unknown>;

const RESERVED = ['id', 'uuid', 'created', 'lastUpdated'];
const names = (defs: readonly AttrDef[]): string[] => defs.map((d) => d.name);
const def = (defs: readonly AttrDef[], name: string): AttrDef | undefined => defs.find((d) => d.name === name);
const json = (v: unknown): string => JSON.stringify(v);

describe.each(ENGINES)('entity types on %s', (engine) => {
  let t: TestServer;
  let owner: Credentials;
  beforeAll(async () => {
    t = await startTestServer(engine, RELAXED_THROTTLE);
    owner = t.owner;
  });
  afterAll(async () => {
    await t?.close();
  });

  const call = (path: string, params: Record<string, string>, creds: Credentials = owner): Promise<RegResult> => reg(t, path, params, { auth: basic(creds) });
  const ok = async (path: string, params: Record<string, string>, creds: Credentials = owner): Promise<RegResult> => {
    const res = await call(path, params, creds);
    expectOk(res);
    return res;
  };
  const schemaOf = (res: RegResult): Schema => res.body.schema as Schema;
  const view = async (typeName: string): Promise<Schema> => schemaOf(await ok('/entityType', { type_name: typeName }));

  /**
   * Calls a schema operation that must succeed and checks it left exactly one new audit entry
   * `entityType.<auditOp>` (default: the operation's own name) with target `entity_type:<typeName>`.
   */
  const audited = async (op: string, typeName: string, params: Record<string, string>, auditOps: readonly string[] = [`entityType.${op}`]): Promise<RegResult> => {
    const mark = async (): Promise<number> => {
      let max = 0;
      for (const operation of auditOps) for (const r of (await auditList(t, owner, { operation })).rows) max = Math.max(max, r.id);
      return max;
    };
    const since = await mark();
    const res = await ok(`/entityType.${op}`, { type_name: typeName, ...params });
    const fresh = [];
    for (const operation of auditOps) fresh.push(...(await auditList(t, owner, { operation })).rows.filter((r) => r.id > since));
    expect(fresh, `audit entries of ${op}`).toHaveLength(1);
    expect(fresh[0]).toMatchObject({ target: `entity_type:${typeName}`, client_id: owner.clientId });
    return res;
  };

  const createType = async (typeName: string, attrDefs: unknown[]): Promise<Schema> => schemaOf(await audited('create', typeName, { attr_defs: json(attrDefs) }));
  const createRecord = async (typeName: string, attributes: Rec): Promise<{ id: number; uuid: string }> => {
    const res = await ok('/entity.create', { type_name: typeName, attributes: json(attributes) });
    return { id: res.body.id as number, uuid: res.body.uuid as string };
  };
  const read = async (typeName: string, id: number): Promise<Rec> => (await ok('/entity', { type_name: typeName, id: String(id) })).body.result as Rec;

  // -------------------------------------------------------------------------------------------
  // list, view, create

  it('lists entity types and views one, with and without the reserved attributes', async () => {
    const list = await ok('/entityType.list', {});
    expect(list.body.results).toEqual(['user']);

    const user = await view('user');
    expect(user.name).toBe('user');
    expect(names(user.attr_defs).slice(0, 4)).toEqual(RESERVED);
    expect(names(user.attr_defs)).toEqual(expect.arrayContaining(['email', 'givenName', 'familyName', 'displayName', 'emailVerified', 'password', 'birthday', 'primaryAddress']));
    expect(def(user.attr_defs, 'email')).toMatchObject({ type: 'string', constraints: expect.arrayContaining(['unique', 'email-address']) as unknown });
    expect(names(def(user.attr_defs, 'primaryAddress')?.attr_defs ?? [])).toEqual(['address1', 'address2', 'city', 'stateAbbreviation', 'zip', 'country', 'phone']);

    const bare = schemaOf(await ok('/entityType', { type_name: 'user', remove_reserved: 'true' }));
    expect(bare.name).toBe('user');
    expect(names(bare.attr_defs)).toEqual(names(user.attr_defs).filter((n) => !RESERVED.includes(n)));
    expect(names(schemaOf(await ok('/entityType', { type_name: 'user', remove_reserved: 'false' })).attr_defs)).toEqual(names(user.attr_defs));

    expectRegError(await call('/entityType', { type_name: 'nosuchtype' }), 222);
    expectRegError(await call('/entityType', {}), 100);
  });

  it('creates a type with object and plural attributes, adds the reserved attributes, and stores records of it', async () => {
    const schema = await createType('et_create', [
      { name: 'nick', type: 'string', length: 50 },
      { name: 'profile', type: 'object', attr_defs: [{ name: 'handle', type: 'string' }, { name: 'age', type: 'integer' }] },
      { name: 'tags', type: 'plural', attr_defs: [{ name: 'tag', type: 'string' }, { name: 'weight', type: 'decimal' }] },
    ]);
    expect(schema.name).toBe('et_create');
    expect(names(schema.attr_defs)).toEqual([...RESERVED, 'nick', 'profile', 'tags']);
    expect(def(schema.attr_defs, 'id')).toMatchObject({ type: 'id' });
    expect(def(schema.attr_defs, 'uuid')).toMatchObject({ type: 'uuid' });
    expect(def(schema.attr_defs, 'lastUpdated')).toMatchObject({ type: 'version' });
    expect(def(schema.attr_defs, 'nick')).toMatchObject({ type: 'string', length: 50 });
    expect(def(schema.attr_defs, 'profile')).toMatchObject({ type: 'object', attr_defs: [{ name: 'handle', type: 'string' }, { name: 'age', type: 'integer' }] });
    expect(def(schema.attr_defs, 'tags')).toMatchObject({ type: 'plural', attr_defs: [{ name: 'tag', type: 'string' }, { name: 'weight', type: 'decimal' }] });

    expect((await ok('/entityType.list', {})).body.results).toEqual(expect.arrayContaining(['user', 'et_create']));
    expect(await view('et_create')).toEqual(schema);

    const r = await createRecord('et_create', { nick: 'n1', profile: { handle: 'h1', age: 30 }, tags: [{ tag: 'a', weight: 1.5 }, { tag: 'b' }] });
    const rec = await read('et_create', r.id);
    expect(rec).toMatchObject({ id: r.id, uuid: r.uuid, nick: 'n1', profile: { handle: 'h1', age: 30 } });
    expect((rec.tags as Rec[]).map((e) => [e.tag, e.weight])).toEqual([['a', 1.5], ['b', null]]);
    expect(rec.created).toEqual(expect.any(String));

    // Refusals: an existing name (232), a reserved attribute given (234), a bad name, a bad type.
    expectRegError(await call('/entityType.create', { type_name: 'et_create', attr_defs: '[]' }), 232);
    expectRegError(await call('/entityType.create', { type_name: 'user', attr_defs: '[]' }), 232);
    expectRegError(await call('/entityType.create', { type_name: 'et_bad1', attr_defs: json([{ name: 'uuid', type: 'uuid' }]) }), 234);
    expectRegError(await call('/entityType.create', { type_name: 'et bad', attr_defs: '[]' }), 200, 'type_name');
    expectRegError(await call('/entityType.create', { type_name: 'et_bad2', attr_defs: json([{ name: 'x', type: 'nosuchtype' }]) }), 200, 'attr_defs');
    expectRegError(await call('/entityType.create', { type_name: 'et_bad3', attr_defs: json([{ name: 'o', type: 'object' }]) }), 200, 'attr_defs');
    expect((await ok('/entityType.list', {})).body.results).not.toEqual(expect.arrayContaining(['et_bad1']));
  });

  it('only the owner changes schemas; every client may view one', async () => {
    const direct = await addClient(t, owner, ['direct_access']);
    const login = await addClient(t, owner, ['login_client']);
    expectRegError(await call('/entityType.addAttribute', { type_name: 'user', attr_def: json({ name: 'nope', type: 'string' }) }, direct), 403);
    expectRegError(await call('/entityType.create', { type_name: 'et_nope', attr_defs: '[]' }, direct), 403);
    expectRegError(await call('/entityType.list', {}, direct), 403);
    expectRegError(await call('/entityType.rules', { type_name: 'user' }, login), 403);
    expect(names(schemaOf(await ok('/entityType', { type_name: 'user' }, login)).attr_defs)).toContain('email');
    expect(names(schemaOf(await ok('/entityType', { type_name: 'user' }, direct)).attr_defs)).not.toContain('nope');
  });

  // -------------------------------------------------------------------------------------------
  // addAttribute, removeAttribute

  it('addAttribute: existing records show the new attribute as null and can then store it', async () => {
    const before = await createRecord('user', { email: 'add-attr@example.com', givenName: 'Before' });
    const res = await audited('addAttribute', 'user', { attr_def: json({ name: 'nickname', type: 'string', length: 20, features: ['query'] }) });
    expect(def(schemaOf(res).attr_defs, 'nickname')).toMatchObject({ type: 'string', length: 20 });
    expect(names(schemaOf(res).attr_defs).slice(-1)).toEqual(['nickname']);
    expect(await read('user', before.id)).toMatchObject({ email: 'add-attr@example.com', givenName: 'Before', nickname: null });

    expectOk(await call('/entity.update', { type_name: 'user', id: String(before.id), attributes: json({ nickname: 'Nick' }) }));
    expect((await read('user', before.id)).nickname).toBe('Nick');

    // A plural added to a type with records: existing records show [].
    await audited('addAttribute', 'user', { attr_def: json({ name: 'pets', type: 'plural', attr_defs: [{ name: 'petName', type: 'string' }] }) });
    expect((await read('user', before.id)).pets).toEqual([]);

    expectRegError(await call('/entityType.addAttribute', { type_name: 'user', attr_def: json({ name: 'nickname', type: 'string' }) }), 233);
    expectRegError(await call('/entityType.addAttribute', { type_name: 'user', attr_def: json({ name: 'created', type: 'dateTime' }) }), 234);
    expectRegError(await call('/entityType.addAttribute', { type_name: 'user', attr_def: json({ name: 'bad-name', type: 'string' }) }), 200, 'attr_def');
    expectRegError(await call('/entityType.addAttribute', { type_name: 'user' }), 100, 'attr_def');
    expectRegError(await call('/entityType.addAttribute', { type_name: 'nosuchtype', attr_def: json({ name: 'x', type: 'string' }) }), 222);
    // A length of 0: refused.
    expectRegError(await call('/entityType.addAttribute', { type_name: 'user', attr_def: json({ name: 'z', type: 'string', length: 0 }) }), 200, 'attr_def');
  });

  it('removeAttribute: the data leaves every record, and the attribute leaves access schemas and rules', async () => {
    await createType('et_remove', [
      { name: 'keep', type: 'string' },
      { name: 'tag', type: 'string', constraints: ['unique'] },
      { name: 'profile', type: 'object', attr_defs: [{ name: 'handle', type: 'string' }, { name: 'age', type: 'integer' }] },
      { name: 'items', type: 'plural', attr_defs: [{ name: 'label', type: 'string' }, { name: 'size', type: 'integer' }] },
    ]);
    const a = await createRecord('et_remove', { keep: 'k1', tag: 't1', profile: { handle: 'h1', age: 1 }, items: [{ label: 'l1', size: 1 }] });
    const b = await createRecord('et_remove', { keep: 'k2', tag: 't2', profile: { handle: 'h2', age: 2 }, items: [{ label: 'l2', size: 2 }, { label: 'l3', size: 3 }] });

    // A client whose access schemas and two rules name the attribute about to go.
    const client = await addClient(t, owner, ['direct_access']);
    await audited('setAccessSchema', 'et_remove', { for_client_id: client.clientId, access_type: 'read', attributes: json(['keep', 'tag']) });
    await audited('setAccessSchema', 'et_remove', { for_client_id: client.clientId, access_type: 'write', attributes: json(['tag']) });
    const onlyTag = (await audited('addRule', 'et_remove', { attributes: json(['tag']), definition: json({ 'max-length': 10 }), description: 'tag only' })).body.result as Rule;
    const both = (await audited('addRule', 'et_remove', { attributes: json(['keep', 'tag']), definition: json({ 'max-length': 20 }), description: 'keep and tag' })).body.result as Rule;

    const res = await audited('removeAttribute', 'et_remove', { attribute_name: 'tag' });
    expect(names(schemaOf(res).attr_defs)).toEqual([...RESERVED, 'keep', 'profile', 'items']);
    for (const r of [a, b]) {
      const rec = await read('et_remove', r.id);
      expect(rec).not.toHaveProperty('tag');
      expect(rec.keep).toEqual(r === a ? 'k1' : 'k2');
    }
    // Writing it now: unknown attribute.
    expectRegError(await call('/entity.update', { type_name: 'et_remove', id: String(a.id), attributes: json({ tag: 'x' }) }), 223);

    const rules = (await ok('/entityType.rules', { type_name: 'et_remove' })).body.results as Rule[];
    expect(rules.map((r) => r.uuid)).toEqual([both.uuid]);
    expect(rules[0]?.attributes).toEqual(['/keep']);
    expect(rules.some((r) => r.uuid === onlyTag.uuid)).toBe(false);

    // Re-adding an attribute of the same name brings back neither the data nor the schema entries
    // nor the uniqueness of the old one.
    await audited('addAttribute', 'et_remove', { attr_def: json({ name: 'tag', type: 'string' }) });
    for (const r of [a, b]) expect((await read('et_remove', r.id)).tag).toBeNull();
    const readSchema = schemaOf(await ok('/entityType.getAccessSchema', { type_name: 'et_remove', for_client_id: client.clientId, access_type: 'read' }));
    expect(names(readSchema.attr_defs)).toEqual([...RESERVED, 'keep']);
    const writeSchema = schemaOf(await ok('/entityType.getAccessSchema', { type_name: 'et_remove', for_client_id: client.clientId, access_type: 'write' }));
    expect(names(writeSchema.attr_defs)).toEqual(RESERVED);
    expect(((await ok('/entityType.rules', { type_name: 'et_remove' })).body.results as Rule[]).map((r) => r.attributes)).toEqual([['/keep']]);
    expectOk(await call('/entity.update', { type_name: 'et_remove', id: String(a.id), attributes: json({ tag: 'same' }) }));
    expectOk(await call('/entity.update', { type_name: 'et_remove', id: String(b.id), attributes: json({ tag: 'same' }) }));
    // The client's read schema lost the attribute: it does not see the new one either.
    const asClient = (await ok('/entity', { type_name: 'et_remove', id: String(a.id) }, client)).body.result as Rec;
    expect(asClient).toMatchObject({ keep: 'k1' });
    expect(asClient).not.toHaveProperty('tag');

    // Children of objects and plurals, in dot and slash form.
    const nested = await audited('removeAttribute', 'et_remove', { attribute_name: 'profile.handle' });
    expect(names(def(schemaOf(nested).attr_defs, 'profile')?.attr_defs ?? [])).toEqual(['age']);
    await audited('removeAttribute', 'et_remove', { attribute_name: '/items/size' });
    const recB = await read('et_remove', b.id);
    expect(recB.profile).toEqual({ age: 2 });
    expect((recB.items as Rec[]).map((e) => Object.keys(e).sort())).toEqual([['id', 'label'], ['id', 'label']]);
    expect((recB.items as Rec[]).map((e) => e.label)).toEqual(['l2', 'l3']);

    // Reserved attributes and unknown ones.
    expectRegError(await call('/entityType.removeAttribute', { type_name: 'et_remove', attribute_name: 'uuid' }), 234);
    expectRegError(await call('/entityType.removeAttribute', { type_name: 'et_remove', attribute_name: 'nosuch' }), 223);
  });

  it('removeAttribute while a record write is in flight: the removed data does not come back', async () => {
    // A write reads the record, then spends a while checking the password history (argon2) before it
    // commits; the attribute is removed in that window. The write must not store the old document
    // (with the removed attribute's data) over the rewritten one.
    await createType('et_race', [{ name: 'password', type: 'password' }, { name: 'tag', type: 'string' }, { name: 'nick', type: 'string' }]);
    await audited('setPasswordSettings', 'et_race', { settings: json({ historySize: 10 }) });
    const r = await createRecord('et_race', { password: 'pw-0', tag: 'secret-tag' });
    for (let i = 1; i <= 8; i++) expectOk(await call('/entity.update', { type_name: 'et_race', id: String(r.id), attributes: json({ password: `pw-${i}` }) }));

    const started = Date.now();
    const write = call('/entity.update', { type_name: 'et_race', id: String(r.id), attributes: json({ password: 'pw-9', nick: 'during' }) });
    await sleep(40);
    await audited('removeAttribute', 'et_race', { attribute_name: 'tag' });
    const removedAfter = Date.now() - started;
    const written = await write;
    const wroteAfter = Date.now() - started;
    await audited('addAttribute', 'et_race', { attr_def: json({ name: 'tag', type: 'string' }) });
    const rec = await read('et_race', r.id);
    expect(rec.tag, `write answered ${written.body.stat} after ${wroteAfter} ms, removal done after ${removedAfter} ms`).toBeNull();
    if (written.body.stat === 'ok') expect(rec.nick).toBe('during');
  });

  it('renameAttribute while a record write is in flight: the data stays with the renamed attribute', async () => {
    await createType('et_race2', [{ name: 'password', type: 'password' }, { name: 'tag', type: 'string' }, { name: 'nick', type: 'string' }]);
    await audited('setPasswordSettings', 'et_race2', { settings: json({ historySize: 10 }) });
    const r = await createRecord('et_race2', { password: 'pw-0', tag: 'kept-tag' });
    for (let i = 1; i <= 8; i++) expectOk(await call('/entity.update', { type_name: 'et_race2', id: String(r.id), attributes: json({ password: `pw-${i}` }) }));

    const write = call('/entity.update', { type_name: 'et_race2', id: String(r.id), attributes: json({ password: 'pw-9', nick: 'during' }) });
    await sleep(40);
    await audited('renameAttribute', 'et_race2', { source_name: 'tag', target_name: 'label' });
    const written = await write;
    const rec = await read('et_race2', r.id);
    expect(rec.label, `write answered ${written.text}`).toBe('kept-tag');
    // And the old name does not come back with its data when it is added again.
    await audited('addAttribute', 'et_race2', { attr_def: json({ name: 'tag', type: 'string' }) });
    expect((await read('et_race2', r.id)).tag).toBeNull();
  });

  // -------------------------------------------------------------------------------------------
  // setAttributeConstraints

  it('setAttributeConstraints unique: applied to clean data, enforced afterwards, [] clears it, refused over duplicates', async () => {
    await createType('et_unique', [{ name: 'code', type: 'string' }, { name: 'profile', type: 'object', attr_defs: [{ name: 'handle', type: 'string' }] }]);
    const a = await createRecord('et_unique', { code: 'A1', profile: { handle: 'ha' } });
    const b = await createRecord('et_unique', { code: 'B2', profile: { handle: 'hb' } });
    await createRecord('et_unique', {});

    const res = await audited('setAttributeConstraints', 'et_unique', { attribute_name: 'code', constraints: json(['unique']) });
    expect(def(schemaOf(res).attr_defs, 'code')?.constraints).toEqual(['unique']);
    const dup = await call('/entity.create', { type_name: 'et_unique', attributes: json({ code: 'a1' }) });
    expectRegError(dup, 361);
    expect(dup.body.error).toBe('unique_violation');
    expectRegError(await call('/entity.update', { type_name: 'et_unique', id: String(b.id), attributes: json({ code: 'A1' }) }), 361);
    // Absent values are not duplicates of each other.
    await createRecord('et_unique', {});
    await createRecord('et_unique', { code: 'C3' });
    // The unique attribute is now a key attribute.
    const byKey = (await ok('/entity', { type_name: 'et_unique', key_attribute: 'code', key_value: '"a1"' })).body.result as Rec;
    expect(byKey.id).toBe(a.id);

    const cleared = await audited('setAttributeConstraints', 'et_unique', { attribute_name: 'code', constraints: '[]' });
    expect(def(schemaOf(cleared).attr_defs, 'code')?.constraints).toEqual([]);
    await createRecord('et_unique', { code: 'A1' });
    await createRecord('et_unique', { code: 'a1' });

    // Now the data has duplicates: unique is refused (361), nothing changes and no audit entry is written.
    const auditBefore = (await auditList(t, owner, { operation: 'entityType.setAttributeConstraints' })).rows.length;
    const refused = await call('/entityType.setAttributeConstraints', { type_name: 'et_unique', attribute_name: 'code', constraints: json(['unique']) });
    expectRegError(refused, 361);
    expect(def((await view('et_unique')).attr_defs, 'code')?.constraints).toEqual([]);
    expect((await auditList(t, owner, { operation: 'entityType.setAttributeConstraints' })).rows.length).toBe(auditBefore);
    await createRecord('et_unique', { code: 'A1' });

    // Inside an object (dot path).
    await audited('setAttributeConstraints', 'et_unique', { attribute_name: 'profile.handle', constraints: json(['unique']) });
    expect(def(def((await view('et_unique')).attr_defs, 'profile')?.attr_defs ?? [], 'handle')?.constraints).toEqual(['unique']);
    expectRegError(await call('/entity.create', { type_name: 'et_unique', attributes: json({ profile: { handle: 'HA' } }) }), 361);
    await createRecord('et_unique', { profile: { handle: 'hc' } });

    // Refusals: unknown constraint, reserved attribute, unknown attribute, locally-unique outside a plural.
    expectRegError(await call('/entityType.setAttributeConstraints', { type_name: 'et_unique', attribute_name: 'code', constraints: json(['nosuch']) }), 200, 'constraints');
    expectRegError(await call('/entityType.setAttributeConstraints', { type_name: 'et_unique', attribute_name: 'id', constraints: '[]' }), 234);
    expectRegError(await call('/entityType.setAttributeConstraints', { type_name: 'et_unique', attribute_name: 'nosuch', constraints: '[]' }), 223);
    expectRegError(await call('/entityType.setAttributeConstraints', { type_name: 'et_unique', attribute_name: 'code', constraints: json(['locally-unique']) }), 200, 'constraints');
  });

  it('setAttributeConstraints: unique is refused over values equal but for case, not over case-sensitive ones; required applies to new writes', async () => {
    await createType('et_case', [{ name: 'ci', type: 'string' }, { name: 'cs', type: 'string', 'case-sensitive': true }, { name: 'n', type: 'integer' }, { name: 'req', type: 'string' }]);
    await createRecord('et_case', { ci: 'Alpha', cs: 'Alpha', n: 7 });
    const other = await createRecord('et_case', { ci: 'ALPHA', cs: 'ALPHA', n: 8 });
    expectRegError(await call('/entityType.setAttributeConstraints', { type_name: 'et_case', attribute_name: 'ci', constraints: json(['unique']) }), 361);
    await audited('setAttributeConstraints', 'et_case', { attribute_name: 'cs', constraints: json(['unique']) });
    await createRecord('et_case', { cs: 'alpha' });
    expectRegError(await call('/entity.create', { type_name: 'et_case', attributes: json({ cs: 'Alpha' }) }), 361);
    await audited('setAttributeConstraints', 'et_case', { attribute_name: 'n', constraints: json(['unique']) });
    expectRegError(await call('/entity.create', { type_name: 'et_case', attributes: json({ n: 7 }) }), 361);

    // required: not retroactive; new records need it, updates that write it must give a value.
    await audited('setAttributeConstraints', 'et_case', { attribute_name: 'req', constraints: json(['required']) });
    expectRegError(await call('/entity.create', { type_name: 'et_case', attributes: json({ ci: 'x' }) }), 362);
    await createRecord('et_case', { req: 'given' });
    expectOk(await call('/entity.update', { type_name: 'et_case', id: String(other.id), attributes: json({ ci: 'beta' }) }));
    expectRegError(await call('/entity.update', { type_name: 'et_case', id: String(other.id), attributes: json({ req: null }) }), 362);
  });

  it('setAttributeConstraints locally-unique inside a plural: retroactive, per plural, not across records', async () => {
    await createType('et_local', [{ name: 'phones', type: 'plural', attr_defs: [{ name: 'number', type: 'string' }, { name: 'kind', type: 'string' }] }]);
    const a = await createRecord('et_local', { phones: [{ number: '111', kind: 'home' }, { number: '111', kind: 'work' }] });
    // `unique` is not allowed inside a plural.
    expectRegError(await call('/entityType.setAttributeConstraints', { type_name: 'et_local', attribute_name: 'phones.number', constraints: json(['unique']) }), 200, 'constraints');

    // Record a holds a duplicate inside its plural: refused.
    expectRegError(await call('/entityType.setAttributeConstraints', { type_name: 'et_local', attribute_name: 'phones.number', constraints: json(['locally-unique']) }), 361);
    const phones = (await read('et_local', a.id)).phones as { id: number; number: string }[];
    expectOk(await call('/entity.delete', { type_name: 'et_local', id: String(a.id), attribute_name: `/phones#${String(phones[1]?.id)}` }));

    const res = await audited('setAttributeConstraints', 'et_local', { attribute_name: '/phones/number', constraints: json(['locally-unique']) });
    expect(def(def(schemaOf(res).attr_defs, 'phones')?.attr_defs ?? [], 'number')?.constraints).toEqual(['locally-unique']);

    // The same number in another record is fine; twice in one plural is not (create, append, case-insensitively).
    const b = await createRecord('et_local', { phones: [{ number: '111' }, { number: '222' }] });
    expectRegError(await call('/entity.create', { type_name: 'et_local', attributes: json({ phones: [{ number: '9' }, { number: '9' }] }) }), 361);
    expectRegError(await call('/entity.update', { type_name: 'et_local', id: String(b.id), attributes: json({ phones: [{ number: '222' }] }) }), 361);
    expectOk(await call('/entity.update', { type_name: 'et_local', id: String(b.id), attributes: json({ phones: [{ number: '333' }] }) }));
    expect(((await read('et_local', b.id)).phones as { number: string }[]).map((p) => p.number)).toEqual(['111', '222', '333']);
    // Other children may repeat.
    expectOk(await call('/entity.update', { type_name: 'et_local', id: String(b.id), attributes: json({ phones: [{ number: '444', kind: 'home' }, { number: '555', kind: 'home' }] }) }));

    // Cleared: duplicates inside a plural become possible.
    await audited('setAttributeConstraints', 'et_local', { attribute_name: 'phones.number', constraints: '[]' });
    await createRecord('et_local', { phones: [{ number: '9' }, { number: '9' }] });
  });

  // -------------------------------------------------------------------------------------------
  // setPasswordSettings

  it('setPasswordSettings: with historySize 3 the last three passwords cannot be reused, the fourth-older can', async () => {
    await createType('et_pw', [{ name: 'password', type: 'password' }, { name: 'nick', type: 'string' }]);
    const res = await audited('setPasswordSettings', 'et_pw', { settings: json({ historySize: 3 }) });
    expect(res.body.settings).toEqual({ historySize: 3 });

    const r = await createRecord('et_pw', { password: 'first-pass', nick: 'n' });
    const setPassword = (p: string): Promise<RegResult> => call('/entity.update', { type_name: 'et_pw', id: String(r.id), attributes: json({ password: p }) });
    const passwordIs = async (p: string): Promise<boolean> => {
      const check = await call('/entity', { type_name: 'et_pw', id: String(r.id), password_attribute: 'password', password_value: p });
      if (check.body.stat === 'ok') return true;
      expectRegError(check, 350);
      return false;
    };
    expectOk(await setPassword('second-pass'));
    expectOk(await setPassword('third-pass'));
    // The current one and the two before it: 360, and the password stays.
    for (const reused of ['third-pass', 'second-pass', 'first-pass']) {
      const refused = await setPassword(reused);
      expectRegError(refused, 360);
      expect(refused.body.error).toBe('constraint_violation');
    }
    expect(await passwordIs('third-pass')).toBe(true);

    expectOk(await setPassword('fourth-pass'));
    expectRegError(await setPassword('second-pass'), 360);
    // entity.replace and a write by attribute_name are held to the same history.
    expectRegError(await call('/entity.replace', { type_name: 'et_pw', id: String(r.id), attributes: json({ password: 'third-pass', nick: 'n' }) }), 360);
    expectRegError(await call('/entity.update', { type_name: 'et_pw', id: String(r.id), attribute_name: '/password', value: json('fourth-pass') }), 360);
    expect(await passwordIs('fourth-pass')).toBe(true);
    // first-pass is now the fourth most recent: accepted.
    expectOk(await setPassword('first-pass'));
    expect(await passwordIs('first-pass')).toBe(true);
    expect(await passwordIs('fourth-pass')).toBe(false);
    // Other attributes are written freely.
    expectOk(await call('/entity.update', { type_name: 'et_pw', id: String(r.id), attributes: json({ nick: 'm' }) }));

    // Without history any password may be reused.
    await audited('setPasswordSettings', 'et_pw', { settings: json({ historySize: 0 }) });
    expectOk(await setPassword('first-pass'));

    expectRegError(await call('/entityType.setPasswordSettings', { type_name: 'et_pw', settings: json({ historySize: 11 }) }), 200, 'settings');
    expectRegError(await call('/entityType.setPasswordSettings', { type_name: 'et_pw', settings: json({ historySize: -1 }) }), 200, 'settings');
    expectRegError(await call('/entityType.setPasswordSettings', { type_name: 'et_pw', settings: json({ history: 3 }) }), 200, 'settings');
  });

  // -------------------------------------------------------------------------------------------
  // Rules

  it('addRule / rules / removeRule: a validating rule refuses bad writes with 360 and accepts good ones', async () => {
    await createType('et_rules', [{ name: 'givenName', type: 'string' }, { name: 'handle', type: 'string' }, { name: 'age', type: 'integer' }]);
    const definition = { and: [{ 'match-all': '[a-zA-Z]*' }, { 'max-length': 25 }] };
    const added = await audited('addRule', 'et_rules', { attributes: json(['givenName']), definition: json(definition), description: 'letters only, at most 25' });
    const rule = added.body.result as Rule;
    expect(rule).toEqual({ uuid: expect.stringMatching(/^[0-9a-f-]{36}$/) as unknown, attributes: ['/givenName'], definition, description: 'letters only, at most 25' });
    expect((await ok('/entityType.rules', { type_name: 'et_rules' })).body.results).toEqual([rule]);

    for (const bad of ['Abc1', 'has space', 'a'.repeat(26)]) {
      const res = await call('/entity.create', { type_name: 'et_rules', attributes: json({ givenName: bad }) });
      expectRegError(res, 360);
    }
    const good = await createRecord('et_rules', { givenName: 'Good', handle: 'anything 1!' });
    await createRecord('et_rules', { givenName: 'b'.repeat(25) });
    expectRegError(await call('/entity.update', { type_name: 'et_rules', id: String(good.id), attributes: json({ givenName: 'Bad!' }) }), 360);
    expectRegError(await call('/entity.replace', { type_name: 'et_rules', id: String(good.id), attributes: json({ givenName: 'Bad!' }) }), 360);
    expect((await read('et_rules', good.id)).givenName).toBe('Good');
    expectOk(await call('/entity.update', { type_name: 'et_rules', id: String(good.id), attributes: json({ givenName: 'Better' }) }));

    await audited('removeRule', 'et_rules', { uuid: rule.uuid });
    expect((await ok('/entityType.rules', { type_name: 'et_rules' })).body.results).toEqual([]);
    expectOk(await call('/entity.update', { type_name: 'et_rules', id: String(good.id), attributes: json({ givenName: 'Bad!' }) }));
    expectRegError(await call('/entityType.removeRule', { type_name: 'et_rules', uuid: rule.uuid }), 200, 'uuid');

    // Refusals: unknown attribute, reserved attribute, a definition that is not a rule, no attributes.
    expectRegError(await call('/entityType.addRule', { type_name: 'et_rules', attributes: json(['nosuch']), definition: json({ 'max-length': 3 }) }), 223);
    expectRegError(await call('/entityType.addRule', { type_name: 'et_rules', attributes: json(['uuid']), definition: json({ 'max-length': 3 }) }), 234);
    expectRegError(await call('/entityType.addRule', { type_name: 'et_rules', attributes: json(['handle']), definition: json({ 'no-such-rule': 3 }) }), 200, 'definition');
    expectRegError(await call('/entityType.addRule', { type_name: 'et_rules', attributes: '[]', definition: json({ 'max-length': 3 }) }), 200, 'attributes');
    expect((await ok('/entityType.rules', { type_name: 'et_rules' })).body.results).toEqual([]);
  });

  it('transforming rules change the stored value (to-lower, to-upper, truncate) and run before validating ones', async () => {
    await createType('et_xform', [{ name: 'handle', type: 'string' }, { name: 'code', type: 'string' }, { name: 'note', type: 'string' }]);
    const lower = (await audited('addRule', 'et_xform', { attributes: json(['handle']), definition: json('to-lower'), description: 'lower' })).body.result as Rule;
    expect(lower.definition).toBe('to-lower');
    await audited('addRule', 'et_xform', { attributes: json(['code']), definition: json('to-upper'), description: 'upper' });
    await audited('addRule', 'et_xform', { attributes: json(['note']), definition: json({ truncate: 5 }), description: 'short' });
    // Validating after transforming: lower-case letters only; "MiXeD" passes because it is lowered first.
    await audited('addRule', 'et_xform', { attributes: json(['handle']), definition: json({ 'match-all': '[a-z]*' }), description: 'lower letters' });

    const r = await createRecord('et_xform', { handle: 'MiXeD', code: 'abc', note: 'a long note' });
    expect(await read('et_xform', r.id)).toMatchObject({ handle: 'mixed', code: 'ABC', note: 'a lon' });
    expectOk(await call('/entity.update', { type_name: 'et_xform', id: String(r.id), attributes: json({ handle: 'UPPER' }) }));
    expect((await read('et_xform', r.id)).handle).toBe('upper');
    expectRegError(await call('/entity.update', { type_name: 'et_xform', id: String(r.id), attributes: json({ handle: 'UP1' }) }), 360);
    expect((await read('et_xform', r.id)).handle).toBe('upper');

    // removeRule without type_name (older clients): the rule is found by its uuid.
    expectOk(await call('/entityType.removeRule', { uuid: lower.uuid }));
    expect(((await ok('/entityType.rules', { type_name: 'et_xform' })).body.results as Rule[]).some((x) => x.uuid === lower.uuid)).toBe(false);
    expectRegError(await call('/entity.update', { type_name: 'et_xform', id: String(r.id), attributes: json({ handle: 'Again' }) }), 360);
    expectOk(await call('/entity.update', { type_name: 'et_xform', id: String(r.id), attributes: json({ handle: 'again' }) }));
  });

  it('the rule vocabulary: default, ignore-update, required, numeric limits, min-age, or, not, and rules inside objects and plurals', async () => {
    await createType('et_vocab', [
      { name: 'nick', type: 'string' },
      { name: 'code', type: 'string' },
      { name: 'score', type: 'integer' },
      { name: 'birthday', type: 'date' },
      { name: 'color', type: 'string' },
      { name: 'word', type: 'string' },
      { name: 'profile', type: 'object', attr_defs: [{ name: 'handle', type: 'string' }] },
      { name: 'items', type: 'plural', attr_defs: [{ name: 'label', type: 'string' }] },
    ]);
    const rule = (attributes: string[], definition: unknown): Promise<RegResult> => audited('addRule', 'et_vocab', { attributes: json(attributes), definition: json(definition), description: '' });
    await rule(['nick'], { default: 'guest' });
    await rule(['code'], 'ignore-update');
    await rule(['code'], 'required');
    await rule(['score'], { and: [{ 'greater-than': 0 }, { 'less-than': 100 }] });
    await rule(['birthday'], { 'min-age': 18 });
    await rule(['color'], { or: [{ 'match-all': 'red|green' }, { 'match-all': '#[0-9a-f]{6}' }] });
    await rule(['word'], { not: { match: 'bad' } });
    await rule(['profile.handle'], { 'min-length': 3 });
    await rule(['/items/label'], { 'max-length': 3 });
    expect(((await ok('/entityType.rules', { type_name: 'et_vocab' })).body.results as Rule[]).map((r) => r.attributes)).toEqual([
      ['/nick'], ['/code'], ['/code'], ['/score'], ['/birthday'], ['/color'], ['/word'], ['/profile/handle'], ['/items/label'],
    ]);

    const create = (attributes: Rec): Promise<RegResult> => call('/entity.create', { type_name: 'et_vocab', attributes: json(attributes) });
    const r = await createRecord('et_vocab', { code: 'c1', score: 50, birthday: '1990-01-01', color: 'red', word: 'good', profile: { handle: 'abc' }, items: [{ label: 'abc' }] });
    expect(await read('et_vocab', r.id)).toMatchObject({ nick: 'guest', code: 'c1', score: 50 });
    expect((await read('et_vocab', (await createRecord('et_vocab', { code: 'c2', nick: 'named' })).id)).nick).toBe('named');

    expectRegError(await create({}), 362);
    for (const bad of [{ score: 0 }, { score: 100 }, { birthday: new Date(Date.now() - 5 * 365 * 86_400_000).toISOString().slice(0, 10) }, { color: 'blue' }, { word: 'notbad' }, { profile: { handle: 'ab' } }, { items: [{ label: 'ok' }, { label: 'long' }] }]) {
      expectRegError(await create({ code: 'x', ...bad }), 360);
    }
    for (const good of [{ score: 1 }, { color: '#00ff00' }, { word: 'fine' }, { profile: { handle: 'abcd' } }, { items: [{ label: 'abc' }] }]) {
      expectOk(await create({ code: 'y', ...good }));
    }

    // ignore-update: the stored value stays; required is checked on update for the attributes written.
    expectOk(await call('/entity.update', { type_name: 'et_vocab', id: String(r.id), attributes: json({ code: 'changed', score: 60 }) }));
    expect(await read('et_vocab', r.id)).toMatchObject({ code: 'c1', score: 60 });
    expectRegError(await call('/entity.update', { type_name: 'et_vocab', id: String(r.id), attributes: json({ score: 100 }) }), 360);
    expectRegError(await call('/entity.update', { type_name: 'et_vocab', id: String(r.id), attributes: json({ items: [{ label: 'long' }] }) }), 360);
    expectRegError(await call('/entity.update', { type_name: 'et_vocab', id: String(r.id), attributes: json({ profile: { handle: 'x' } }) }), 360);
    // default fills only on create.
    expectOk(await call('/entity.update', { type_name: 'et_vocab', id: String(r.id), attributes: json({ nick: null }) }));
    expect((await read('et_vocab', r.id)).nick).toBeNull();

    // A rule that does not fit the attribute's type is refused.
    expectRegError(await call('/entityType.addRule', { type_name: 'et_vocab', attributes: json(['score']), definition: json('to-lower') }), 200, 'definition');
    expectRegError(await call('/entityType.addRule', { type_name: 'et_vocab', attributes: json(['nick']), definition: json({ 'min-age': 3 }) }), 200, 'definition');
  });

  // -------------------------------------------------------------------------------------------
  // Legacy operations

  it('renameAttribute: the data, constraints, access schemas and rules follow the attribute', async () => {
    await createType('et_rename', [{ name: 'nick', type: 'string', constraints: ['unique'] }, { name: 'other', type: 'string' }, { name: 'box', type: 'object', attr_defs: [{ name: 'inner', type: 'string' }] }]);
    const a = await createRecord('et_rename', { nick: 'n1', other: 'o1', box: { inner: 'i1' } });
    const b = await createRecord('et_rename', { nick: 'n2', other: 'o2' });
    const client = await addClient(t, owner, ['direct_access']);
    await audited('setAccessSchema', 'et_rename', { for_client_id: client.clientId, access_type: 'read', attributes: json(['nick']) });
    const rule = (await audited('addRule', 'et_rename', { attributes: json(['nick']), definition: json({ 'max-length': 5 }), description: '' })).body.result as Rule;

    const res = await audited('renameAttribute', 'et_rename', { source_name: 'nick', target_name: 'handle' });
    expect(names(schemaOf(res).attr_defs)).toEqual([...RESERVED, 'handle', 'other', 'box']);
    expect(def(schemaOf(res).attr_defs, 'handle')?.constraints).toEqual(['unique']);
    const recA = await read('et_rename', a.id);
    expect(recA).toMatchObject({ handle: 'n1', other: 'o1' });
    expect(recA).not.toHaveProperty('nick');
    expect((await read('et_rename', b.id)).handle).toBe('n2');

    expectRegError(await call('/entity.create', { type_name: 'et_rename', attributes: json({ handle: 'N1' }) }), 361);
    expectRegError(await call('/entity.create', { type_name: 'et_rename', attributes: json({ nick: 'n3' }) }), 223);
    expectRegError(await call('/entity.create', { type_name: 'et_rename', attributes: json({ handle: 'toolong' }) }), 360);
    expect((await ok('/entityType.rules', { type_name: 'et_rename' })).body.results).toEqual([{ ...rule, attributes: ['/handle'] }]);
    const asClient = (await ok('/entity', { type_name: 'et_rename', id: String(a.id) }, client)).body.result as Rec;
    expect(asClient).toMatchObject({ handle: 'n1' });
    expect(asClient).not.toHaveProperty('other');

    // A child of an object keeps its place.
    await audited('renameAttribute', 'et_rename', { source_name: 'box.inner', target_name: 'content' });
    expect((await read('et_rename', a.id)).box).toEqual({ content: 'i1' });

    expectRegError(await call('/entityType.renameAttribute', { type_name: 'et_rename', source_name: 'handle', target_name: 'other' }), 233);
    expectRegError(await call('/entityType.renameAttribute', { type_name: 'et_rename', source_name: 'handle', target_name: 'uuid' }), 233);
    expectRegError(await call('/entityType.renameAttribute', { type_name: 'et_rename', source_name: 'created', target_name: 'made' }), 234);
    expectRegError(await call('/entityType.renameAttribute', { type_name: 'et_rename', source_name: 'nosuch', target_name: 'x' }), 223);
  });

  it('setAttributeDescription sets the description from a JSON string', async () => {
    await createType('et_desc', [{ name: 'nick', type: 'string' }, { name: 'box', type: 'object', attr_defs: [{ name: 'inner', type: 'string' }] }]);
    const res = await audited('setAttributeDescription', 'et_desc', { attribute_name: 'nick', description: json('The nickname, "quoted"') });
    expect(def(schemaOf(res).attr_defs, 'nick')?.description).toBe('The nickname, "quoted"');
    await audited('setAttributeDescription', 'et_desc', { attribute_name: '/box/inner', description: json('inside') });
    expect(def(def((await view('et_desc')).attr_defs, 'box')?.attr_defs ?? [], 'inner')?.description).toBe('inside');
    expectRegError(await call('/entityType.setAttributeDescription', { type_name: 'et_desc', attribute_name: 'nick', description: '42' }), 200, 'description');
    expectRegError(await call('/entityType.setAttributeDescription', { type_name: 'et_desc', attribute_name: 'nosuch', description: json('x') }), 223);
  });

  it('delete needs commit=true and removes the type with its records', async () => {
    await createType('et_delete', [{ name: 'nick', type: 'string', constraints: ['unique'] }]);
    const r = await createRecord('et_delete', { nick: 'gone' });
    expectRegError(await call('/entityType.delete', { type_name: 'et_delete' }), 200, 'commit');
    expectRegError(await call('/entityType.delete', { type_name: 'et_delete', commit: 'false' }), 200, 'commit');
    expect((await read('et_delete', r.id)).nick).toBe('gone');

    await audited('delete', 'et_delete', { commit: 'true' });
    expect((await ok('/entityType.list', {})).body.results).not.toContain('et_delete');
    expectRegError(await call('/entityType', { type_name: 'et_delete' }), 222);
    expectRegError(await call('/entity', { type_name: 'et_delete', id: String(r.id) }), 222);
    expectRegError(await call('/entityType.delete', { type_name: 'et_delete', commit: 'true' }), 222);

    // A new type of the same name starts empty (the old record and its unique index are gone).
    await createType('et_delete', [{ name: 'nick', type: 'string', constraints: ['unique'] }]);
    expectRegError(await call('/entity', { type_name: 'et_delete', id: String(r.id) }), 310);
    await createRecord('et_delete', { nick: 'gone' });
  });

  it('delete takes the records\' tokens, access schemas and rules with the type', async () => {
    await createType('et_delete2', [{ name: 'nick', type: 'string' }]);
    const r = await createRecord('et_delete2', { nick: 'n' });
    const client = await addClient(t, owner, ['direct_access']);
    await audited('setAccessSchema', 'et_delete2', { for_client_id: client.clientId, access_type: 'read', attributes: json(['nick']) });
    await audited('addRule', 'et_delete2', { attributes: json(['nick']), definition: json({ 'max-length': 1 }), description: '' });
    const token = (await ok('/access/getAccessToken', { type_name: 'et_delete2', id: String(r.id) })).body.accessToken as string;
    const creation = (await ok('/access/getCreationToken', { type_name: 'et_delete2' })).body.creation_token as string;
    expectOk(await reg(t, '/entity', {}, { auth: { kind: 'header', value: `OAuth ${token}` } }));

    await audited('delete', 'et_delete2', { commit: 'true' });
    expectRegError(await reg(t, '/entity', {}, { auth: { kind: 'header', value: `OAuth ${token}` } }), 413);
    expect((await reg(t, '/entity.create', { creation_token: creation, attributes: json({ nick: 'x' }) })).body.stat).toBe('error');

    await createType('et_delete2', [{ name: 'nick', type: 'string' }]);
    expect((await ok('/entityType.rules', { type_name: 'et_delete2' })).body.results).toEqual([]);
    expect(names(schemaOf(await ok('/entityType.getAccessSchema', { type_name: 'et_delete2', for_client_id: client.clientId, access_type: 'read' })).attr_defs)).toEqual([...RESERVED, 'nick']);
    expectOk(await call('/entity.create', { type_name: 'et_delete2', attributes: json({ nick: 'long' }) }));
  });

  it('properties / addProperty / removeProperty: rules and unique constraints as legacy properties', async () => {
    await createType('et_props', [{ name: 'code', type: 'string' }, { name: 'nick', type: 'string' }]);
    const ruleRes = await audited('addProperty', 'et_props', { property: json({ type: 'rule', attributes: ['nick'], definition: { 'max-length': 5 }, description: 'short' }) }, ['entityType.addProperty', 'entityType.addRule']);
    const ruleProp = ruleRes.body.result as Rule & { property: string };
    expect(ruleProp).toMatchObject({ uuid: expect.any(String) as unknown, attributes: ['/nick'], definition: { 'max-length': 5 }, description: 'short', property: 'rule' });
    const uniqueRes = await audited('addProperty', 'et_props', { property: json({ type: 'unique', attributes: ['code'] }) }, ['entityType.addProperty', 'entityType.setAttributeConstraints']);
    expect(uniqueRes.body.result).toMatchObject({ uuid: 'unique:/code', attributes: ['/code'], property: 'unique' });

    const props = (await ok('/entityType.properties', { type_name: 'et_props' })).body.results as { uuid: string; property: string; attributes: string[] }[];
    expect(props.map((p) => [p.property, p.uuid, p.attributes])).toEqual(
      expect.arrayContaining([['rule', ruleProp.uuid, ['/nick']], ['unique', 'unique:/code', ['/code']]]),
    );
    expect(props).toHaveLength(2);
    expect(def((await view('et_props')).attr_defs, 'code')?.constraints).toEqual(['unique']);

    await createRecord('et_props', { code: 'c1', nick: 'abc' });
    expectRegError(await call('/entity.create', { type_name: 'et_props', attributes: json({ code: 'C1' }) }), 361);
    expectRegError(await call('/entity.create', { type_name: 'et_props', attributes: json({ nick: 'abcdef' }) }), 360);

    await audited('removeProperty', 'et_props', { uuid: 'unique:/code' }, ['entityType.removeProperty', 'entityType.setAttributeConstraints']);
    await createRecord('et_props', { code: 'C1' });
    await audited('removeProperty', 'et_props', { uuid: ruleProp.uuid }, ['entityType.removeProperty', 'entityType.removeRule']);
    await createRecord('et_props', { nick: 'abcdef' });
    expect((await ok('/entityType.properties', { type_name: 'et_props' })).body.results).toEqual([]);

    expectRegError(await call('/entityType.addProperty', { type_name: 'et_props', property: json({ type: 'other', attributes: ['code'] }) }), 200, 'property');
    expectRegError(await call('/entityType.removeProperty', { type_name: 'et_props', uuid: 'unique:/nosuch' }), 200, 'uuid');
    // The user type lists its unique email (not id or uuid).
    const userProps = (await ok('/entityType.properties', { type_name: 'user' })).body.results as { uuid: string }[];
    expect(userProps.map((p) => p.uuid)).toContain('unique:/email');
    expect(userProps.map((p) => p.uuid)).not.toContain('unique:/id');
  });

  it('entity types belong to one application: another one has its own, of the same names', async () => {
    const other = await addApplicationWithOwner(t);
    const otherCall = (path: string, params: Record<string, string>): Promise<RegResult> => reg(t, path, params, { auth: basic(other.owner) });
    expect((await otherCall('/entityType.list', {})).body.results).toEqual([]);
    expectRegError(await otherCall('/entityType', { type_name: 'user' }), 222);
    expectRegError(await otherCall('/entityType.addAttribute', { type_name: 'user', attr_def: json({ name: 'intruder', type: 'string' }) }), 222);
    expectOk(await otherCall('/entityType.create', { type_name: 'user', attr_defs: json([{ name: 'email', type: 'string', constraints: ['unique'] }]) }));
    expectOk(await otherCall('/entity.create', { type_name: 'user', attributes: json({ email: 'add-attr@example.com' }) }));
    expect(names((await view('user')).attr_defs)).toContain('givenName');
    expect(names(schemaOf(await otherCall('/entityType', { type_name: 'user' })).attr_defs)).toEqual([...RESERVED, 'email']);
    const config = await cfg(t, 'GET', `/config/${other.applicationId}/entityTypes/user/attributes`, { auth: basic(other.owner) });
    expect(names(config.body as AttrDef[])).toEqual([...RESERVED, 'email']);
    expect((await cfg(t, 'GET', `/config/${other.applicationId}/entityTypes`, { auth: basic(owner) })).status).toBe(404);
    // Its audit entries are its own.
    const ours = await auditList(t, owner, { operation: 'entityType.create' });
    expect(ours.rows.every((r) => r.client_id === owner.clientId)).toBe(true);
  });

  // -------------------------------------------------------------------------------------------
  // Configuration API (read-only)

  describe('the /config/{app_id}/entityTypes… endpoints', () => {
    const base = (): string => `/config/${t.applicationId}/entityTypes`;
    const get = (path: string, creds: Credentials = owner) => cfg(t, 'GET', path, { auth: basic(creds) });

    it('list the types, show one, its attributes and one attribute by dot or slash path', async () => {
      const list = await get(base());
      expect(list.status, list.text).toBe(200);
      const types = list.body as { _self: string; name: string }[];
      expect(types).toEqual(expect.arrayContaining([{ _self: `${base()}/user`, name: 'user' }]));
      const registration = (await ok('/entityType.list', {})).body.results as string[];
      expect(types.map((x) => x.name).sort()).toEqual([...registration].sort());

      const one = await get(`${base()}/user`);
      expect(one.status, one.text).toBe(200);
      const user = one.body as { _self: string; _attributes: string; name: string; attr_defs: AttrDef[] };
      expect(user).toMatchObject({ _self: `${base()}/user`, _attributes: `${base()}/user/attributes`, name: 'user' });
      expect(user.attr_defs).toEqual((await view('user')).attr_defs);

      const attrs = await get(`${base()}/user/attributes`);
      expect(attrs.status, attrs.text).toBe(200);
      const list2 = attrs.body as (AttrDef & { _self: string })[];
      expect(names(list2)).toEqual(names(user.attr_defs));
      expect(list2.find((a) => a.name === 'email')).toMatchObject({ _self: `${base()}/user/attributes/email`, type: 'string', constraints: expect.arrayContaining(['unique']) as unknown });

      const city = await get(`${base()}/user/attributes/primaryAddress.city`);
      expect(city.status, city.text).toBe(200);
      expect(city.body).toMatchObject({ _self: `${base()}/user/attributes/primaryAddress.city`, path: '/primaryAddress/city', name: 'city', type: 'string' });
      const slash = await get(`${base()}/user/attributes/${encodeURIComponent('primaryAddress/city')}`);
      expect(slash.status, slash.text).toBe(200);
      expect(slash.body).toMatchObject({ path: '/primaryAddress/city', name: 'city' });
      const object = await get(`${base()}/user/attributes/primaryAddress`);
      expect(object.status, object.text).toBe(200);
      expect(names((object.body as AttrDef).attr_defs ?? [])).toContain('city');
    });

    it('answer 404 for an unknown type or attribute, and 404 for another application', async () => {
      for (const path of [`${base()}/nosuchtype`, `${base()}/nosuchtype/attributes`, `${base()}/nosuchtype/attributes/email`, `${base()}/user/attributes/nosuch`, `${base()}/user/attributes/primaryAddress.nosuch`]) {
        const res = await get(path);
        expect(res.status, `${path}: ${res.text}`).toBe(404);
        expect(res.body).toHaveProperty('errors');
      }
      expect((await get(`/config/nosuchapp/entityTypes`)).status).toBe(404);
      expect((await cfg(t, 'GET', base())).status).toBe(401);
    });

    it('follow the permission matrix: readers see the types, writers the attributes', async () => {
      const clients = new Map<string, Credentials>([['owner', owner]]);
      for (const f of ['access_issuer', 'direct_access', 'direct_read_access', 'login_client', 'none']) clients.set(f, await addClient(t, owner, f === 'none' ? [] : [f]));
      const readers = ['owner', 'direct_access', 'direct_read_access'];
      const writers = ['owner', 'direct_access'];
      const paths: [string, string[]][] = [
        [base(), readers],
        [`${base()}/user`, readers],
        [`${base()}/user/attributes`, writers],
        [`${base()}/user/attributes/primaryAddress.city`, writers],
      ];
      for (const [path, allowed] of paths) {
        for (const [feature, creds] of clients) {
          const res = await get(path, creds);
          expect(res.status, `${feature} GET ${path}: ${res.text}`).toBe(allowed.includes(feature) ? 200 : 403);
        }
      }
      // Read-only: nothing but GET is routed.
      const put = await cfg(t, 'PUT', `${base()}/user`, { auth: basic(owner), json: { attr_defs: [] } });
      expect([404, 405]).toContain(put.status);
      expect(names((await view('user')).attr_defs)).toContain('email');
    });
  });
});

// -------------------------------------------------------------------------------------------------
// Two servers on one PostgreSQL database: each caches compiled entity types.

describe('two servers sharing one PostgreSQL database: entity types', () => {
  let cluster: SharedCluster;
  let a: SharedServer;
  let b: SharedServer;
  beforeAll(async () => {
    cluster = await startSharedCluster(2, RELAXED_THROTTLE);
    [a, b] = cluster.servers as [SharedServer, SharedServer];
  });
  afterAll(async () => {
    await cluster?.close();
  });

  it('a schema change made through A is used by B within a second', async () => {
    const on = (s: SharedServer, path: string, params: Record<string, string>): Promise<RegResult> => reg(s, path, params, { auth: basic(cluster.owner) });
    // B reads (and caches) the type, and writes a record with it.
    const rec = await on(b, '/entity.create', { type_name: 'user', attributes: json({ email: 'shared@example.com' }) });
    expectOk(rec);
    expectRegError(await on(b, '/entity.update', { type_name: 'user', id: String(rec.body.id), attributes: json({ shoeSize: 42 }) }), 223);

    expectOk(await on(a, '/entityType.addAttribute', { type_name: 'user', attr_def: json({ name: 'shoeSize', type: 'integer' }) }));
    expectOk(await on(a, '/entityType.addRule', { type_name: 'user', attributes: json(['givenName']), definition: json({ 'max-length': 3 }), description: '' }));
    const started = Date.now();
    const seen = await pollUntil(
      () => on(b, '/entity.update', { type_name: 'user', id: String(rec.body.id), attributes: json({ shoeSize: 42 }) }),
      (r) => r.body.stat === 'ok',
      1_500,
      25,
    );
    expectOk(seen);
    expect(Date.now() - started).toBeLessThan(1_500);
    // The rule added on A is enforced on B as well.
    expectRegError(await on(b, '/entity.update', { type_name: 'user', id: String(rec.body.id), attributes: json({ givenName: 'Four' }) }), 360);
    const onB = (await on(b, '/entity', { type_name: 'user', id: String(rec.body.id) })).body.result as Rec;
    expect(onB).toMatchObject({ shoeSize: 42, givenName: null });
  });
});
