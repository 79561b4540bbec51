// entity.find, entity.count, bulk operations and history over HTTP (spec capture-api §3.2, §3.3,
// §3.5, §3.10, §4), on both engines: the answers scripts and migration tools depend on.
import { hashSync } from '@node-rs/bcrypt';
import { createHash, pbkdf2Sync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../helpers/engines.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { addClient, basic, expectOk, expectRegError, reg, RELAXED_THROTTLE, type Credentials } from './helpers.js';

type Row = Record<string, unknown>;

describe.each(ENGINES)('finding and moving records on %s', (engine) => {
  let t: TestServer;
  let owner: Credentials;
  beforeAll(async () => {
    t = await startTestServer(engine, RELAXED_THROTTLE);
    owner = t.owner;
    expectOk(await call('/entityType.create', { type_name: 'person', attr_defs: JSON.stringify([
      { name: 'email', type: 'string', constraints: ['unique'] },
      { name: 'name', type: 'string', 'case-sensitive': true, features: ['query'] },
      { name: 'age', type: 'integer', features: ['query'] },
      { name: 'vip', type: 'boolean' },
      { name: 'birthday', type: 'date' },
      { name: 'secret', type: 'string' },
      { name: 'password', type: 'password' },
      { name: 'address', type: 'object', attr_defs: [{ name: 'city', type: 'string' }] },
      { name: 'profiles', type: 'plural', attr_defs: [{ name: 'domain', type: 'string' }] },
    ]) }));
    const people = [
      { email: 'ann@example.com', name: 'Ann', age: 31, vip: true, birthday: '1990-05-01', address: { city: 'Paris' }, profiles: [{ domain: 'x.com' }] },
      { email: 'bob@example.com', name: 'Bob', age: 25, vip: false, birthday: '1998-01-02', address: { city: 'Lyon' }, profiles: [{ domain: 'y.org' }, { domain: 'x.com' }] },
      { email: 'cy@example.com', name: 'Cy', age: 47, address: { city: 'paris' } },
      { email: "o'neil@example.com", name: "O'Neil", age: 25 },
      { email: 'dee@example.com', name: 'dee' },
    ];
    const made = await call('/entity.bulkCreate', { type_name: 'person', all_attributes: JSON.stringify(people) });
    expectOk(made);
    expect(made.body.results).toEqual([expect.any(Number), expect.any(Number), expect.any(Number), expect.any(Number), expect.any(Number)]);
  });
  afterAll(async () => {
    await t?.close();
  });

  const call = (path: string, params: Record<string, string>, creds: Credentials = owner) => reg(t, path, params, { auth: basic(creds) });
  const find = async (params: Record<string, string>, creds?: Credentials): Promise<Row[]> => {
    const res = await call('/entity.find', { type_name: 'person', ...params }, creds);
    expectOk(res);
    expect(res.body.result_count).toBe((res.body.results as Row[]).length);
    return res.body.results as Row[];
  };
  const names = (rows: Row[]): unknown[] => rows.map((r) => r.name);

  it('finds by the filter language: equality (case folded by the attribute), ranges, null tests, objects and plurals', async () => {
    expect(names(await find({ filter: "email = 'ANN@example.com'" }))).toEqual(['Ann']);
    expect(names(await find({ filter: "name = 'ann'" }))).toEqual([]);
    expect(names(await find({ filter: 'age > 25 and age < 50', sort_on: '["age"]' }))).toEqual(['Ann', 'Cy']);
    expect(names(await find({ filter: "age >= '25' AND NOT (vip = true)", sort_on: '["name"]' }))).toEqual(['Bob', 'Cy', "O'Neil"]);
    expect(names(await find({ filter: 'age is null' }))).toEqual(['dee']);
    expect(names(await find({ filter: "name = 'O''Neil' or name = 'O\\'Neil'" }))).toEqual(["O'Neil"]);
    expect(names(await find({ filter: "address.city = 'PARIS'" }))).toEqual(['Ann', 'Cy']);
    expect(names(await find({ filter: "/profiles/domain = 'x.com'" }))).toEqual(['Ann', 'Bob']);
    expect(names(await find({ filter: "birthday > '1995-01-01'" }))).toEqual(['Bob']);
    expect(names(await find({ filter: 'vip' }))).toEqual(['Ann']);
    expect(names(await find({ filter: "created > '2000-01-01' and lastUpdated <= 'now'" }))).toHaveLength(5);
  });

  it('sorts, pages, projects and counts', async () => {
    expect(names(await find({ sort_on: '["-age","name"]' }))).toEqual(['Cy', 'Ann', 'Bob', "O'Neil", 'dee']);
    expect(names(await find({}))).toEqual(['Ann', 'Bob', 'Cy', "O'Neil", 'dee']);
    expect(await find({ sort_on: '[]' })).toHaveLength(5);
    expect(names(await find({ first_result: '2', max_results: '2' }))).toEqual(['Bob', 'Cy']);
    const projected = await find({ filter: "name = 'Ann'", attributes: '["name","address.city"]' });
    expect(projected).toEqual([{ name: 'Ann', address: { city: 'Paris' } }]);
    const res = await call('/entity.find', { type_name: 'person', max_results: '1', show_total_count: 'true' });
    expect(res.body).toMatchObject({ stat: 'ok', result_count: 1, total_count: 5 });
    const counted = await call('/entity.count', { type_name: 'person', filter: 'age = 25' });
    expect(counted.body).toEqual({ stat: 'ok', total_count: 2 });
    expect((await call('/entity.count', { type_name: 'person' })).body.total_count).toBe(5);
  });

  it('pages through every record with the id idiom', async () => {
    const seen: unknown[] = [];
    let last = 0;
    for (;;) {
      const page = await find({ filter: `id > ${last}`, sort_on: '["id"]', max_results: '2' });
      if (page.length === 0) break;
      seen.push(...names(page));
      last = Number(page[page.length - 1]?.id);
    }
    expect(seen).toEqual(['Ann', 'Bob', 'Cy', "O'Neil", 'dee']);
  });

  it('answers bad searches with the documented errors', async () => {
    const unknown = await call('/entity.count', { type_name: 'person', filter: "nope = 'x'" });
    expectRegError(unknown, 200, 'filter');
    expect(unknown.body.error_description).toBe('filter was not valid for the following reason: Unknown attribute (nope)');
    expectRegError(await call('/entity.find', { type_name: 'person', filter: "email contains 'ann'" }), 485, 'filter');
    const syntax = await call('/entity.find', { type_name: 'person', filter: "name = 'Ann' and" });
    expectRegError(syntax, 200, 'filter');
    expect(syntax.body.error_description).toMatch(/found the end of the filter at position 17$/);
    const position = await call('/entity.find', { type_name: 'person', filter: 'name = = 1' });
    expect(position.body.error_description).toMatch(/at position 8$/);
    expectRegError(await call('/entity.find', { type_name: 'person', filter: "password = 'x'" }), 200, 'filter');
    expectRegError(await call('/entity.find', { type_name: 'person', filter: "age = 'old'" }), 200, 'filter');
    expectRegError(await call('/entity.find', { type_name: 'person', max_results: '10001' }), 200, 'max_results');
    expectRegError(await call('/entity.find', { type_name: 'person', first_result: '0' }), 200, 'first_result');
    expectRegError(await call('/entity.find', { type_name: 'person', first_result: '-3' }), 200, 'first_result');
    expectRegError(await call('/entity.find', { type_name: 'person', sort_on: '["nope"]' }), 200, 'sort_on');
    expectRegError(await call('/entity.find', { type_name: 'person', sort_on: 'name' }), 200, 'sort_on');
    expectRegError(await call('/entity.find', { type_name: 'person', timeout: '61' }), 200, 'timeout');
    expectRegError(await call('/entity.find', { type_name: 'nobody' }), 222);
  });

  it('lets a client search only by what its read access schema shows, and shows only that', async () => {
    const reader = await addClient(t, owner, ['direct_read_access']);
    expectOk(await call('/entityType.setAccessSchema', { type_name: 'person', for_client_id: reader.clientId, access_type: 'read', attributes: JSON.stringify(['name', 'age']) }));
    const rows = await find({ filter: 'age > 40' }, reader);
    expect(rows).toHaveLength(1);
    expect(rows[0]).not.toHaveProperty('email');
    expect(rows[0]).toMatchObject({ name: 'Cy', age: 47 });
    expectRegError(await call('/entity.find', { type_name: 'person', filter: "secret = 'x'" }, reader), 200, 'filter');
    expectRegError(await call('/entity.count', { type_name: 'person', filter: "email = 'ann@example.com'" }, reader), 200, 'filter');
    expectRegError(await call('/entity.find', { type_name: 'person', sort_on: '["email"]' }, reader), 200, 'sort_on');
    // A login client has no business searching (permission matrix).
    const login = await addClient(t, owner, ['login_client']);
    expectRegError(await call('/entity.find', { type_name: 'person' }, login), 403);
  });

  it('bulkCreate with commit_each answers each bad record in place and creates the rest', async () => {
    const res = await call('/entity.bulkCreate', {
      type_name: 'person',
      all_attributes: JSON.stringify([{ email: 'e1@example.com' }, { email: 'ANN@example.com' }, { age: 'old' }, { email: 'e2@example.com' }, { id: 5 }]),
    });
    expectOk(res);
    const results = res.body.results as unknown[];
    const uuids = res.body.uuid_results as unknown[];
    expect(results[0]).toEqual(expect.any(Number));
    expect(uuids[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(results[1]).toMatchObject({ code: 361, error: 'unique_violation', stat: 'error' });
    expect(uuids[1]).toEqual(results[1]);
    expect(results[2]).toMatchObject({ code: 341, stat: 'error' });
    expect(results[3]).toEqual(expect.any(Number));
    expect(results[4]).toMatchObject({ stat: 'error' });
    expect((await call('/entity.count', { type_name: 'person', filter: "email = 'e1@example.com' or email = 'e2@example.com'" })).body.total_count).toBe(2);
  });

  it('bulkCreate without commit_each is all or nothing, and a call over the limit is refused whole', async () => {
    const res = await call('/entity.bulkCreate', { type_name: 'person', commit_each: 'false', all_attributes: JSON.stringify([{ email: 'f1@example.com' }, { email: 'f1@EXAMPLE.com' }]) });
    expectRegError(res, 361);
    const bad = await call('/entity.bulkCreate', { type_name: 'person', commit_each: 'false', all_attributes: JSON.stringify([{ email: 'f2@example.com' }, { age: 1.5 }]) });
    expectRegError(bad, 340);
    expect(bad.body.error_description).toMatch(/^all_attributes\[1\]: .*nothing was created$/);
    expect((await call('/entity.count', { type_name: 'person', filter: "email = 'f1@example.com' or email = 'f2@example.com'" })).body.total_count).toBe(0);
    const tooMany = await call('/entity.bulkCreate', { type_name: 'person', all_attributes: JSON.stringify(Array.from({ length: 2001 }, (_, i) => ({ name: `many${i}` }))) });
    expectRegError(tooMany, 200, 'all_attributes');
    expect((await call('/entity.count', { type_name: 'person', filter: "name = 'many0'" })).body.total_count).toBe(0);
    expectRegError(await call('/entity.bulkCreate', { type_name: 'person' }), 100, 'all_attributes');
  });

  it('bulkCreate keeps a migration\'s uuid, created and lastUpdated', async () => {
    const uuid = '6f1c1f57-2f0e-4a43-9b0a-4a6f7b9d1c11';
    const res = await call('/entity.bulkCreate', { type_name: 'person', all_attributes: JSON.stringify([{ uuid, created: '2012-03-04 05:06:07.000008 +0000', lastUpdated: '2013-01-01', name: 'old timer' }, { uuid, name: 'clash' }]) });
    expectOk(res);
    expect((res.body.uuid_results as unknown[])[0]).toBe(uuid);
    expect((res.body.results as unknown[])[1]).toMatchObject({ code: 361 });
    const read = (await call('/entity', { type_name: 'person', uuid })).body.result as Row;
    expect(read).toMatchObject({ name: 'old timer', created: '2012-03-04 05:06:07.000008 +0000', lastUpdated: '2013-01-01 00:00:00.000000 +0000' });
  });

  it('takes imported password hashes, verifies them, and upgrades them to argon2id at the first sign-in', async () => {
    const salt = 'NaCl';
    const pbkdf2 = pbkdf2Sync('django pw', salt, 1000, 32, 'sha256').toString('base64');
    const records = [
      { email: 'h1@example.com', password: hashSync('bcrypt pw', 4) },
      { email: 'h2@example.com', password: { algorithm: 'pbkdf2-sha256', hash: `pbkdf2_sha256$1000$${salt}$${pbkdf2}` } },
      { email: 'h3@example.com', password: { algorithm: 'md5', hash: createHash('md5').update('md5 pw').digest('hex') } },
      { email: 'h4@example.com', password: { algorithm: 'sha1', hash: 'x' } },
      { email: 'h5@example.com', password: 'plain pw' },
    ];
    const res = await call('/entity.bulkCreate', { type_name: 'person', all_attributes: JSON.stringify(records) });
    expectOk(res);
    expect((res.body.results as unknown[])[3]).toMatchObject({ code: 340 });
    const check = (email: string, password: string) => call('/entity', { type_name: 'person', key_attribute: 'email', key_value: JSON.stringify(email), password_attribute: 'password', password_value: password });
    const stored = async (email: string): Promise<string> => {
      const read = await call('/entity', { type_name: 'person', key_attribute: 'email', key_value: JSON.stringify(email) });
      const row = await t.server.context.store.db.selectFrom('entities').select('document').where('uuid', '=', String((read.body.result as Row).uuid)).executeTakeFirstOrThrow();
      return String((JSON.parse(row.document) as Row).password);
    };
    for (const [email, password] of [['h1@example.com', 'bcrypt pw'], ['h2@example.com', 'django pw'], ['h3@example.com', 'md5 pw'], ['h5@example.com', 'plain pw']] as const) {
      expectRegError(await check(email, 'wrong'), 350);
      const before = await stored(email);
      expect(before).not.toContain(password);
      expectOk(await check(email, password));
      const after = await stored(email);
      expect(after).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      if (email !== 'h5@example.com') expect(after).not.toBe(before);
      expectOk(await check(email, password));
      expect((await call('/entity', { type_name: 'person', key_attribute: 'email', key_value: JSON.stringify(email) })).body.result).toMatchObject({ password: null });
    }
  });

  it('bulkDelete counts without commit, deletes with it; purge needs commit and the owner', async () => {
    expectOk(await call('/entity.bulkCreate', { type_name: 'person', all_attributes: JSON.stringify([{ name: 'gone1', age: 90 }, { name: 'gone2', age: 91 }]) }));
    const dry = await call('/entity.bulkDelete', { type_name: 'person', filter: 'age >= 90' });
    expect(dry.body).toEqual({ stat: 'ok', delete_count: 2 });
    expect((await call('/entity.count', { type_name: 'person', filter: 'age >= 90' })).body.total_count).toBe(2);
    const done = await call('/entity.bulkDelete', { type_name: 'person', filter: 'age >= 90', commit: 'true' });
    expect(done.body).toEqual({ stat: 'ok', delete_count: 2 });
    expect((await call('/entity.count', { type_name: 'person', filter: 'age >= 90' })).body.total_count).toBe(0);
    expectRegError(await call('/entity.bulkDelete', { type_name: 'person', commit: 'true' }), 100, 'filter');

    expectOk(await call('/entityType.create', { type_name: 'scratch', attr_defs: JSON.stringify([{ name: 'n', type: 'integer' }]) }));
    expectOk(await call('/entity.bulkCreate', { type_name: 'scratch', all_attributes: JSON.stringify([{ n: 1 }, { n: 2 }]) }));
    expectRegError(await call('/entity.purge', { type_name: 'scratch' }), 200, 'commit');
    const writer = await addClient(t, owner, ['direct_access']);
    expectRegError(await call('/entity.purge', { type_name: 'scratch', commit: 'true' }, writer), 403);
    expect((await call('/entity.purge', { type_name: 'scratch', commit: 'true' })).body).toEqual({ stat: 'ok' });
    expect((await call('/entity.count', { type_name: 'scratch' })).body.total_count).toBe(0);
  });

  it('keeps history: a record and its entity type as they were at a time', async () => {
    const created = await call('/entity.create', { type_name: 'person', attributes: JSON.stringify({ name: 'v1', age: 1 }) });
    const uuid = String(created.body.uuid);
    const at1 = (await call('/entity', { type_name: 'person', uuid })).body.result as Row;
    await new Promise((r) => setTimeout(r, 5));
    const between = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 5));
    expectOk(await call('/entity.update', { type_name: 'person', uuid, attributes: JSON.stringify({ name: 'v2' }) }));
    expectOk(await call('/entityType.addAttribute', { type_name: 'person', attr_def: JSON.stringify({ name: 'nickname', type: 'string' }) }));

    const then = await call('/versions/entity', { type_name: 'person', uuid, timestamp: between, include_schema: 'true' });
    expectOk(then);
    expect(then.body.result).toMatchObject({ name: 'v1', age: 1, lastUpdated: at1.lastUpdated });
    expect(then.body.result).not.toHaveProperty('nickname');
    expect((then.body.schema as { attr_defs: Row[] }).attr_defs.map((d) => d.name)).not.toContain('nickname');
    const now = await call('/versions/entity', { type_name: 'person', id: String(created.body.id) });
    expect(now.body.result).toMatchObject({ name: 'v2', nickname: null });
    expectRegError(await call('/versions/entity', { type_name: 'person', uuid, timestamp: '2001-01-01' }), 310);

    const schemaThen = await call('/versions/entityType', { type_name: 'person', timestamp: between });
    expect((schemaThen.body.schema as { attr_defs: Row[] }).attr_defs.map((d) => d.name)).not.toContain('nickname');
    const schemaNow = await call('/versions/entityType', { type_name: 'person' });
    expect((schemaNow.body.schema as { attr_defs: Row[] }).attr_defs.map((d) => d.name)).toContain('nickname');

    expectOk(await call('/entity.delete', { type_name: 'person', uuid }));
    expectRegError(await call('/versions/entity', { type_name: 'person', uuid }), 310);
    expect((await call('/versions/entity', { type_name: 'person', uuid, timestamp: between })).body.result).toMatchObject({ name: 'v1' });
    expectRegError(await call('/versions/entity', { type_name: 'person', uuid, timestamp: 'not a time' }), 200, 'timestamp');
  });
});
