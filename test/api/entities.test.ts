// Entity API over HTTP (spec capture-api §3.1, §3.4, §3.6–§3.8): the everyday life of a user record
// on both engines — create, read by each selector, partial update, destructive replace, plural
// elements, delete — and the answers migration tools depend on (361 unique_violation).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../helpers/engines.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { basic, expectOk, expectRegError, reg, RELAXED_THROTTLE, type Credentials } from './helpers.js';

describe.each(ENGINES)('entities on %s', (engine) => {
  let t: TestServer;
  let owner: Credentials;
  beforeAll(async () => {
    t = await startTestServer(engine, RELAXED_THROTTLE);
    owner = t.owner;
  });
  afterAll(async () => {
    await t?.close();
  });

  const call = (path: string, params: Record<string, string>) => reg(t, path, params, { auth: basic(owner) });

  it('creates a user and reads it back by uuid, id and key attribute', async () => {
    const created = await call('/entity.create', { type_name: 'user', attributes: JSON.stringify({ email: 'Ada@Example.com', givenName: 'Ada', primaryAddress: { city: 'London' } }) });
    expectOk(created);
    expect(created.body.id).toEqual(expect.any(Number));
    expect(created.body.uuid).toMatch(/^[0-9a-f-]{36}$/);
    const selectors: Record<string, string>[] = [{ uuid: String(created.body.uuid) }, { id: String(created.body.id) }, { key_attribute: 'email', key_value: '"ada@example.com"' }];
    for (const selector of selectors) {
      const read = await call('/entity', { type_name: 'user', ...selector });
      expectOk(read);
      const result = read.body.result as Record<string, unknown>;
      expect(result).toMatchObject({ id: created.body.id, uuid: created.body.uuid, email: 'Ada@Example.com', givenName: 'Ada', familyName: null, password: null });
      expect(result.primaryAddress).toMatchObject({ city: 'London', zip: null });
      expect(result.created).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6} \+0000$/);
    }
  });

  it('answers unique_violation (361) for a duplicate email, case-insensitively, and writes nothing', async () => {
    expectOk(await call('/entity.create', { type_name: 'user', attributes: JSON.stringify({ email: 'dup@example.com' }) }));
    const again = await call('/entity.create', { type_name: 'user', attributes: JSON.stringify({ email: 'DUP@example.com', givenName: 'Second' }) });
    expectRegError(again, 361);
    expect(again.body.error).toBe('unique_violation');
    const read = await call('/entity', { type_name: 'user', key_attribute: 'email', key_value: '"dup@example.com"' });
    expect((read.body.result as Record<string, unknown>).givenName).toBeNull();
  });

  it('updates partially, replaces destructively and keeps lastUpdated moving', async () => {
    const created = await call('/entity.create', { type_name: 'user', attributes: JSON.stringify({ email: 'upd@example.com', givenName: 'G', familyName: 'F' }), include_record: 'true' });
    const before = created.body.result as Record<string, unknown>;
    expectOk(await call('/entity.update', { type_name: 'user', uuid: String(created.body.uuid), attributes: JSON.stringify({ givenName: 'Grace' }) }));
    const updated = (await call('/entity', { type_name: 'user', uuid: String(created.body.uuid) })).body.result as Record<string, unknown>;
    expect(updated).toMatchObject({ givenName: 'Grace', familyName: 'F', email: 'upd@example.com' });
    expect(updated.lastUpdated).not.toBe(before.lastUpdated);
    expectOk(await call('/entity.replace', { type_name: 'user', uuid: String(created.body.uuid), attributes: JSON.stringify({ email: 'upd@example.com' }) }));
    const replaced = (await call('/entity', { type_name: 'user', uuid: String(created.body.uuid) })).body.result as Record<string, unknown>;
    expect(replaced).toMatchObject({ givenName: null, familyName: null, email: 'upd@example.com', created: before.created });
  });

  it('gives plural elements ids, updates them by id and deletes one', async () => {
    expectOk(await call('/entityType.addAttribute', { type_name: 'user', attr_def: JSON.stringify({ name: 'statuses', type: 'plural', attr_defs: [{ name: 'status', type: 'string', length: 100 }] }) }));
    const created = await call('/entity.create', { type_name: 'user', attributes: JSON.stringify({ statuses: [{ status: 'a' }, { status: 'b' }] }), include_record: 'true' });
    expectOk(created);
    const statuses = (created.body.result as { statuses: { id: number; status: string }[] }).statuses;
    expect(statuses.map((s) => s.status)).toEqual(['a', 'b']);
    const [first, second] = statuses;
    expectOk(await call('/entity.update', { type_name: 'user', id: String(created.body.id), attributes: JSON.stringify({ statuses: [{ id: first?.id, status: 'A' }, { status: 'c' }] }) }));
    expectOk(await call('/entity.delete', { type_name: 'user', id: String(created.body.id), attribute_name: `/statuses#${String(second?.id)}` }));
    const read = (await call('/entity', { type_name: 'user', id: String(created.body.id) })).body.result as { statuses: { id: number; status: string }[] };
    expect(read.statuses.map((s) => s.status)).toEqual(['A', 'c']);
    expect(new Set(read.statuses.map((s) => s.id)).size).toBe(2);
    expectRegError(await call('/entity.delete', { type_name: 'user', id: String(created.body.id), attribute_name: `/statuses#${String(second?.id)}` }), 310);
  });

  it('concurrent writers on one record all succeed and none loses another\'s change', async () => {
    const created = await call('/entity.create', { type_name: 'user', attributes: JSON.stringify({ givenName: 'busy' }) });
    const uuid = String(created.body.uuid);
    // Ten writers append five plural elements each, all at once: every append must survive.
    const answers = await Promise.all(
      Array.from({ length: 10 }, async (_, writer) => {
        const codes: unknown[] = [];
        for (let i = 0; i < 5; i += 1) {
          const res = await call('/entity.update', { type_name: 'user', uuid, attributes: JSON.stringify({ statuses: [{ status: `w${writer}-${i}` }] }) });
          codes.push(res.body.stat === 'ok' ? 'ok' : res.body.code);
        }
        return codes;
      }),
    );
    expect(answers.flat().filter((c) => c !== 'ok')).toEqual([]);
    const read = (await call('/entity', { type_name: 'user', uuid })).body.result as { statuses: { id: number; status: string }[] };
    expect(read.statuses).toHaveLength(50);
    expect(new Set(read.statuses.map((s) => s.status)).size).toBe(50);
    expect(new Set(read.statuses.map((s) => s.id)).size).toBe(50);
  });

  it('deletes a record', async () => {
    const created = await call('/entity.create', { type_name: 'user', attributes: JSON.stringify({ givenName: 'Gone' }) });
    expectOk(await call('/entity.delete', { type_name: 'user', uuid: String(created.body.uuid) }));
    expectRegError(await call('/entity', { type_name: 'user', uuid: String(created.body.uuid) }), 310);
  });

  it('checks passwords without ever returning them', async () => {
    const created = await call('/entity.create', { type_name: 'user', attributes: JSON.stringify({ email: 'pw@example.com', password: 'correct horse' }) });
    const ok = await call('/entity', { type_name: 'user', uuid: String(created.body.uuid), password_attribute: 'password', password_value: 'correct horse' });
    expectOk(ok);
    expect((ok.body.result as Record<string, unknown>).password).toBeNull();
    expect(ok.text).not.toContain('argon2');
    expectRegError(await call('/entity', { type_name: 'user', uuid: String(created.body.uuid), password_attribute: 'password', password_value: 'wrong' }), 350);
  });
});
