// `idcloud import` and `idcloud export` against a SQLite data directory: formats, failures, exactly-once
// resumption, and the round trip (password hashes included).
import { hashSync } from '@node-rs/bcrypt';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importUuid, withoutIds } from '../../src/cli/import-export.js';
import { Progress } from '../../src/cli/progress.js';
import { verifyPassword } from '../../src/security/passwords.js';
import SQLite from '../../src/store/sqlite-driver.js';
import { startTestServer } from '../helpers/server.js';

const cli = (args: string[]): { status: number | null; stdout: string; stderr: string } => {
  const r = spawnSync(process.execPath, ['dist/src/cli.js', ...args], { encoding: 'utf8', env: { PATH: process.env.PATH } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
};

type Row = Record<string, unknown>;

describe('idcloud import and export', () => {
  let root: string;
  let n = 0;
  /** A fresh data directory with the default `user` entity type. */
  const fresh = (): string => {
    const dir = join(root, `d${n++}`);
    expect(cli(['init', '--data-dir', dir]).status).toBe(0);
    return dir;
  };
  const records = (dir: string): Row[] => {
    const db = new SQLite(join(dir, 'idcloud.db'), { readonly: true });
    try {
      return (db.prepare('select uuid, created, document from entities order by id').all() as { uuid: string; created: string; document: string }[]).map((r) => ({ uuid: r.uuid, created: r.created, ...(JSON.parse(r.document) as Row) }));
    } finally {
      db.close();
    }
  };
  const file = (name: string, text: string): string => {
    const path = join(root, name);
    writeFileSync(path, text);
    return path;
  };
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'idcloud-transfer-'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('imports JSON lines with nested objects and keeps given uuids and created; reports a bad line and a duplicate and imports the rest', () => {
    const dir = fresh();
    const lines = [
      JSON.stringify({ email: 'a@example.com', givenName: 'A', primaryAddress: { city: 'Oslo' }, uuid: '0b1a6e9e-4b7e-4c55-a1d1-0f4c3b2a1d00', created: '2014-02-03 04:05:06 +0000' }),
      '',
      '{not json',
      JSON.stringify({ email: 'A@example.com' }),
      JSON.stringify([1, 2]),
      JSON.stringify({ email: 'b@example.com', birthday: '1990-01-02' }),
    ];
    const input = file('people.jsonl', `${lines.join('\n')}\n`);
    const r = cli(['import', input, '--type', 'user', '--data-dir', dir]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('created 2, already imported 0, failed 3');
    const failures = readFileSync(`${input}.failures.jsonl`, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Row);
    expect(failures.map((f) => [f.record, f.line, f.code])).toEqual([[2, 3, 200], [4, 5, 200], [3, 4, 361]]);
    expect(failures[2]?.error).toBe('unique_violation');
    const rows = records(dir);
    expect(rows.map((x) => x.email)).toEqual(['a@example.com', 'b@example.com']);
    expect(rows[0]).toMatchObject({ uuid: '0b1a6e9e-4b7e-4c55-a1d1-0f4c3b2a1d00', created: '2014-02-03T04:05:06.000000Z', primaryAddress: { city: 'Oslo' } });
    expect(existsSync(`${input}.idcloud-import.json`)).toBe(false);
  });

  it('imports CSV with typed cells, quoted commas and newlines, and reports a bad row by its line', () => {
    const dir = fresh();
    const input = file('people.csv', [
      'email,givenName,primaryAddress.city,birthday,emailVerified',
      'c@example.com,"Smith, Jo",Paris,1980-05-06,',
      'd@example.com,"two',
      'lines",Lyon,,2020-01-01 10:00:00',
      'e@example.com,E,Rome,not a date,',
      'f@example.com,F',
      '',
    ].join('\n'));
    const r = cli(['import', input, '--type', 'user', '--data-dir', dir]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('created 2, already imported 0, failed 2');
    const rows = records(dir);
    expect(rows[0]).toMatchObject({ email: 'c@example.com', givenName: 'Smith, Jo', primaryAddress: { city: 'Paris' }, birthday: '1980-05-06' });
    expect(rows[1]).toMatchObject({ givenName: 'two\nlines', emailVerified: '2020-01-01 10:00:00 +0000' });
    const failures = readFileSync(`${input}.failures.jsonl`, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Row);
    expect(failures.map((f) => f.line)).toEqual([6, 5]);
    expect(failures.map((f) => f.code)).toEqual([200, 342]);
    expect(cli(['import', file('bad.csv', 'email,nickname\nx@example.com,x\n'), '--type', 'user', '--data-dir', dir]).status).toBe(2);
  });

  it('resumes after an interruption and creates every record exactly once', () => {
    const dir = fresh();
    const total = 2500;
    const input = file('many.jsonl', `${Array.from({ length: total }, (_, i) => JSON.stringify({ email: `u${i}@example.com` })).join('\n')}\n`);
    expect(cli(['import', input, '--type', 'user', '--data-dir', dir, '--batch', '1000']).status).toBe(0);
    expect(records(dir)).toHaveLength(total);

    // A run interrupted right after committing its second batch, before its checkpoint said so:
    // the checkpoint still says 1000, and the records 1001-2000 are in the database already.
    const dir2 = fresh();
    const stat = statSync(input);
    const importId = 'f00dfeed-0000-4000-8000-000000000001';
    const db = new SQLite(join(dir2, 'idcloud.db'));
    const typeId = (db.prepare("select id from entity_types where name = 'user'").get() as { id: number }).id;
    const insert = db.prepare('insert into entities (entity_type_id, uuid, created, last_updated, document) values (?, ?, ?, ?, ?)');
    for (let i = 0; i < 2000; i += 1) insert.run(typeId, importUuid(importId, i + 1), '2020-01-01T00:00:00.000000Z', '2020-01-01T00:00:00.000000Z', JSON.stringify({ email: `u${i}@example.com` }));
    db.close();
    writeFileSync(`${input}.idcloud-import.json`, JSON.stringify({ importId, size: stat.size, mtimeMs: stat.mtimeMs, done: 1000, created: 1000, alreadyImported: 0, failed: 0 }));
    const r = cli(['import', input, '--type', 'user', '--data-dir', dir2, '--batch', '1000']);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('resuming after 1000 records');
    expect(r.stdout).toContain('created 1500, already imported 1000, failed 0');
    const rows = records(dir2);
    expect(rows).toHaveLength(total);
    expect(new Set(rows.map((x) => x.email)).size).toBe(total);
  });

  it('refuses a checkpoint of a changed file unless told to restart', () => {
    const dir = fresh();
    const input = file('changing.jsonl', `${JSON.stringify({ email: 'g@example.com' })}\n`);
    writeFileSync(`${input}.idcloud-import.json`, JSON.stringify({ importId: 'x', size: 1, mtimeMs: 1, done: 1, created: 1, alreadyImported: 0, failed: 0 }));
    const refused = cli(['import', input, '--type', 'user', '--data-dir', dir]);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/--restart/);
    expect(cli(['import', input, '--type', 'user', '--data-dir', dir, '--restart']).stdout).toContain('created 1');
    writeFileSync(`${input}.idcloud-import.json`, '{not json');
    const corrupt = cli(['import', input, '--type', 'user', '--data-dir', dir]);
    expect(corrupt.status).toBe(2);
    expect(corrupt.stderr).toMatch(/cannot be read; pass --restart/);
    expect(cli(['import', join(root, 'missing.jsonl'), '--type', 'user', '--data-dir', dir]).status).toBe(2);
    expect(cli(['import', input, '--data-dir', dir]).status).toBe(2);
    expect(cli(['import', file('x.txt', ''), '--type', 'user', '--data-dir', dir]).status).toBe(2);
  });

  it('exports every record or a filter\'s, and an export imports into another instance with passwords intact', () => {
    const dir = fresh();
    const bcrypt = hashSync('open sesame', 4);
    const input = file('source.jsonl', [
      JSON.stringify({ email: 'h@example.com', givenName: 'H', password: bcrypt }),
      JSON.stringify({ email: 'i@example.com', givenName: 'I', password: 'plain secret' }),
      JSON.stringify({ email: 'j@example.com', givenName: 'J' }),
    ].join('\n'));
    expect(cli(['import', input, '--type', 'user', '--data-dir', dir]).status).toBe(0);

    const all = cli(['export', '--type', 'user', '--data-dir', dir]);
    expect(all.status).toBe(0);
    const exported = all.stdout.trim().split('\n').map((l) => JSON.parse(l) as Row);
    expect(exported.map((x) => x.email)).toEqual(['h@example.com', 'i@example.com', 'j@example.com']);
    expect(exported.every((x) => x.password === null)).toBe(true);
    const some = cli(['export', '--type', 'user', '--data-dir', dir, '--filter', "givenName = 'I' or email = 'j@example.com'"]);
    expect(some.stdout.trim().split('\n').map((l) => (JSON.parse(l) as Row).givenName)).toEqual(['I', 'J']);
    expect(cli(['export', '--type', 'user', '--data-dir', dir, '--filter', 'nope = 1']).status).toBe(2);

    const out = join(root, 'with-hashes.jsonl');
    expect(cli(['export', '--type', 'user', '--data-dir', dir, '--password-hashes', '--output', out, '--page', '2']).status).toBe(0);
    const target = fresh();
    const moved = cli(['import', out, '--type', 'user', '--data-dir', target]);
    expect(moved.stdout).toContain('created 3, already imported 0, failed 0');
    const copies = records(target);
    const originals = records(dir);
    expect(copies.map((x) => [x.uuid, x.email, x.created])).toEqual(originals.map((x) => [x.uuid, x.email, x.created]));
    return Promise.all([
      verifyPassword(copies[0]?.password, 'open sesame').then((ok) => expect(ok).toBe(true)),
      verifyPassword(copies[1]?.password, 'plain secret').then((ok) => expect(ok).toBe(true)),
    ]);
  });
});

describe('idcloud import and export of a typed entity type', () => {
  const attrDefs = [
    { name: 'email', type: 'string', constraints: ['unique'] },
    { name: 'age', type: 'integer' },
    { name: 'score', type: 'decimal' },
    { name: 'active', type: 'boolean' },
    { name: 'prefs', type: 'json' },
    { name: 'address', type: 'object', attr_defs: [{ name: 'city', type: 'string' }] },
    { name: 'tags', type: 'plural', attr_defs: [{ name: 'label', type: 'string' }] },
  ];

  /** A stopped server's data directory with the entity type `member`: the CLI works on it. */
  const memberDataDir = async (): Promise<{ dataDir: string; dispose: () => Promise<void> }> => {
    const t = await startTestServer('sqlite');
    try {
      const auth = `Basic ${Buffer.from(`${t.owner.clientId}:${t.owner.clientSecret}`).toString('base64')}`;
      const res = await t.fetch('/entityType.create', { method: 'POST', headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ type_name: 'member', attr_defs: JSON.stringify(attrDefs) }).toString() });
      expect(((await res.json()) as Row).stat).toBe('ok');
    } finally {
      await t.server.close();
    }
    return { dataDir: t.env.dataDir, dispose: () => t.env.dispose() };
  };

  it('converts CSV cells by attribute type, imports plurals from JSON lines, and round-trips through export into another instance', async () => {
    const source = await memberDataDir();
    const target = await memberDataDir();
    const root = mkdtempSync(join(tmpdir(), 'idcloud-typed-'));
    try {
      const csv = join(root, 'members.csv');
      writeFileSync(csv, [
        'email,age,score,active,prefs,address.city,tags',
        'k@example.com,42,3.5,TRUE,"{""lang"":""nb""}",Bergen,"[{""label"":""x""},{""label"":""y""}]"',
        'l@example.com,,,0,,,',
        'm@example.com,forty,1,true,,,',
        'n@example.com,1,2,maybe,,,',
        'o@example.com,1,2,1,{oops,,',
        '',
      ].join('\n'));
      const r = cli(['import', csv, '--type', 'member', '--data-dir', source.dataDir]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain('created 2, already imported 0, failed 3');
      const failures = readFileSync(`${csv}.failures.jsonl`, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Row);
      expect(failures.map((f) => [f.record, f.line])).toEqual([[3, 4], [4, 5], [5, 6]]);
      expect(failures.map((f) => String(f.error_description))).toEqual([expect.stringMatching(/^age: /), expect.stringMatching(/^active: /), expect.stringMatching(/^prefs: /)]);

      const jsonl = join(root, 'members.jsonl');
      writeFileSync(jsonl, `${JSON.stringify({ email: 'p@example.com', age: 7, tags: [{ label: 'a' }, { label: 'b' }, { label: 'c' }], address: { city: 'Tromsø' } })}\n`);
      expect(cli(['import', jsonl, '--type', 'member', '--data-dir', source.dataDir]).stdout).toContain('created 1, already imported 0, failed 0');

      const exported = cli(['export', '--type', 'member', '--data-dir', source.dataDir]);
      expect(exported.status).toBe(0);
      const rows = exported.stdout.trim().split('\n').map((l) => JSON.parse(l) as Row);
      expect(rows).toHaveLength(3);
      expect(rows[0]).toMatchObject({ email: 'k@example.com', age: 42, score: 3.5, active: true, prefs: { lang: 'nb' }, address: { city: 'Bergen' } });
      expect((rows[0]?.tags as Row[]).map((e) => e.label)).toEqual(['x', 'y']);
      expect(rows[1]).toMatchObject({ email: 'l@example.com', age: null, active: false, tags: [] });
      expect(rows[2]).toMatchObject({ email: 'p@example.com', age: 7, address: { city: 'Tromsø' } });
      expect((rows[2]?.tags as Row[]).map((e) => e.label)).toEqual(['a', 'b', 'c']);

      const dump = join(root, 'dump.jsonl');
      expect(cli(['export', '--type', 'member', '--data-dir', source.dataDir, '--output', dump]).status).toBe(0);
      expect(readFileSync(dump, 'utf8')).toBe(exported.stdout);
      expect(cli(['import', dump, '--type', 'member', '--data-dir', target.dataDir]).stdout).toContain('created 3, already imported 0, failed 0');
      const copied = cli(['export', '--type', 'member', '--data-dir', target.dataDir]).stdout.trim().split('\n').map((l) => JSON.parse(l) as Row);
      const withoutRowIds = (x: Row): Row => ({ ...x, id: undefined, tags: (x.tags as Row[]).map((e) => ({ ...e, id: undefined })) });
      expect(copied.map(withoutRowIds)).toEqual(rows.map(withoutRowIds));
    } finally {
      rmSync(root, { recursive: true, force: true });
      await Promise.all([source.dispose(), target.dispose()]);
    }
  });
});

describe('import helpers', () => {
  it('derives version-4 uuids per import and record, the same every time', () => {
    expect(importUuid('a', 1)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(importUuid('a', 1)).toBe(importUuid('a', 1));
    expect(importUuid('a', 1)).not.toBe(importUuid('a', 2));
    expect(importUuid('a', 1)).not.toBe(importUuid('b', 1));
  });

  it('drops record and plural element ids, and nothing else', () => {
    const defs = [{ name: 'tags', type: 'plural' as const, attr_defs: [{ name: 'label', type: 'string' as const }] }, { name: 'o', type: 'object' as const, attr_defs: [{ name: 'id', type: 'string' as const }] }];
    expect(withoutIds(defs, { id: 3, uuid: 'u', tags: [{ id: 1, label: 'x' }], o: { id: 'kept' } })).toEqual({ uuid: 'u', tags: [{ label: 'x' }], o: { id: 'kept' } });
  });
});

describe('progress', () => {
  it('draws a bar with rate and ETA on a terminal, at most ten times a second', () => {
    let now = 0;
    const out: string[] = [];
    const p = new Progress({ verb: 'imported', totalBytes: 1000, tty: true, write: (t) => out.push(t), now: () => now });
    now = 2000;
    p.update({ records: 500, failed: 2, bytes: 250 });
    now = 2050;
    p.update({ records: 510, failed: 2, bytes: 260 });
    expect(out).toHaveLength(1);
    expect(out[0]).toBe('\r\u001b[2K[######..................] 25.0% imported 500 records (250/s), 2 failed, ETA 6s');
    now = 2100;
    p.update({ records: 600, failed: 2, bytes: 300 });
    expect(out).toHaveLength(2);
  });

  it('writes plain lines elsewhere, at most every two seconds, and always a last one', () => {
    let now = 0;
    const out: string[] = [];
    const p = new Progress({ verb: 'exported', tty: false, write: (t) => out.push(t), now: () => now });
    now = 1000;
    p.update({ records: 10, failed: 0 });
    now = 1500;
    p.update({ records: 20, failed: 0 });
    now = 4000;
    p.done({ records: 40, failed: 0 });
    expect(out).toEqual(['exported 10 records (10/s)\n', 'exported 40 records (10/s)\n']);
  });
});
