// The data benchmarks of `npm run bench` (docs/benchmarks.md "Data"): a seeded set of BENCH_USERS
// users (default 1,000,000) is imported with `idcloud import` and exported with `idcloud export`,
// each import compared with a raw batched INSERT of the same rows through the same driver into an
// identical database; entity.find (through the service, as the API runs it) is compared with the
// same SQL run directly on the driver; deep paging compares page 1 with page 5,000 of the id idiom.
// Peak RSS of the CLI children is read from /proc while they run.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import pg from 'pg';
import { defaultConfig } from '../src/config.js';
import { EntitySearchService } from '../src/services/entity-search.js';
import { EntityService, type EntityCaller } from '../src/services/entities.js';
import { EntityTypeDirectory } from '../src/services/entity-type-directory.js';
import { prepareStorage } from '../src/setup/storage.js';
import SQLite from '../src/store/sqlite-driver.js';
import { freshPostgresDatabase } from './postgres.js';
import { createdOf, generateUsers } from './users.js';

const CLI = join(import.meta.dirname, '..', 'src', 'cli.js');

/** The columns entity.find reads (store/repositories/entities.ts), as the direct SQL writes them. */
const RECORD_COLUMNS = 'id, uuid, created, last_updated, document';

export interface DataSettings {
  users: number;
  databaseUrl: string | null;
  progress: (line: string) => void;
}

export interface DataFigure {
  name: string;
  ours: number;
  reference: number;
  unit: string;
  /** ours relative to the reference: for rates ours/reference, for times reference/ours (higher is better) */
  ratio: number;
  goal: string;
}

interface Target {
  dataDir: string;
  databaseUrl: string | null;
  drop(): Promise<void>;
}

async function freshTarget(adminUrl: string | null): Promise<Target> {
  const dataDir = mkdtempSync(join(tmpdir(), 'idcloud-data-bench-'));
  const removeDir = (): void => rmSync(dataDir, { recursive: true, force: true });
  if (adminUrl === null) return { dataDir, databaseUrl: null, drop: () => Promise.resolve(removeDir()) };
  const database = await freshPostgresDatabase(adminUrl, 'idcloud_data');
  return {
    dataDir,
    databaseUrl: database.url,
    drop: async () => {
      await database.drop();
      removeDir();
    },
  };
}

function storageArgs(t: Target): string[] {
  return ['--data-dir', t.dataDir, ...(t.databaseUrl ? ['--database-url', t.databaseUrl] : [])];
}

/** Runs the CLI; answers wall time and peak RSS (VmHWM, polled from /proc). */
async function runCli(args: string[], stdoutFile: string | null): Promise<{ seconds: number; peakRssMb: number; stderr: string }> {
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', stdoutFile === null ? 'ignore' : 'pipe', 'pipe'], env: { ...process.env, IDCLOUD_MASTER_KEY: undefined } });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  if (stdoutFile !== null && child.stdout) child.stdout.pipe(createWriteStream(stdoutFile));
  let peakKb = 0;
  const poll = setInterval(() => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (m) peakKb = Math.max(peakKb, Number(m[1]));
    } catch {
      // the child has gone
    }
  }, 50);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearInterval(poll);
  if (code !== 0) throw new Error(`idcloud ${args[0]} exited ${code}: ${stderr}`);
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, peakRssMb: peakKb / 1024, stderr };
}

/** Writes the users as JSON lines; keeps a sample of emails to look up. */
async function writeUsers(file: string, total: number): Promise<string[]> {
  const out = createWriteStream(file);
  const sample: string[] = [];
  const every = Math.max(1, Math.floor(total / 1000));
  let i = 0;
  for (const u of generateUsers(total)) {
    if (i % every === 0) sample.push(u.email);
    if (!out.write(`${JSON.stringify(u)}\n`)) await once(out, 'drain');
    i += 1;
  }
  out.end();
  await once(out, 'finish');
  return sample;
}

/** The row the raw baseline inserts for a user: what idcloud stores for it. */
function rawRow(u: ReturnType<typeof generateUsers> extends Generator<infer T> ? T : never): [string, string, string, string] {
  const { created, lastUpdated, ...document } = u;
  const stored = (t: string): string => `${t.slice(0, 10)}T${t.slice(11, 19)}.000000Z`;
  return [randomUUID(), stored(created), stored(lastUpdated), JSON.stringify(document)];
}

const BATCH = 1000;

/** Raw batched INSERT of the same users through the same driver, 1000 rows per statement and transaction. */
async function rawInsert(t: Target, typeId: number, total: number): Promise<number> {
  const started = process.hrtime.bigint();
  if (t.databaseUrl === null) {
    const db = new SQLite(join(t.dataDir, 'idcloud.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    const statement = db.prepare(`insert into entities (entity_type_id, uuid, created, last_updated, document) values ${Array.from({ length: BATCH }, () => '(?, ?, ?, ?, ?)').join(', ')}`);
    const insertAll = db.transaction((params: unknown[]) => statement.run(params));
    let params: unknown[] = [];
    for (const u of generateUsers(total)) {
      params.push(typeId, ...rawRow(u));
      if (params.length === BATCH * 5) {
        insertAll(params);
        params = [];
      }
    }
    if (params.length > 0) db.prepare(`insert into entities (entity_type_id, uuid, created, last_updated, document) values ${Array.from({ length: params.length / 5 }, () => '(?, ?, ?, ?, ?)').join(', ')}`).run(params);
    db.close();
  } else {
    const client = new pg.Client({ connectionString: t.databaseUrl });
    await client.connect();
    let params: unknown[] = [];
    const flush = async (): Promise<void> => {
      const n = params.length / 5;
      const values = Array.from({ length: n }, (_, r) => `($${r * 5 + 1}, $${r * 5 + 2}, $${r * 5 + 3}, $${r * 5 + 4}, $${r * 5 + 5})`).join(', ');
      await client.query(`insert into entities (entity_type_id, uuid, created, last_updated, document) values ${values}`, params);
      params = [];
    };
    for (const u of generateUsers(total)) {
      params.push(typeId, ...rawRow(u));
      if (params.length === BATCH * 5) await flush();
    }
    if (params.length > 0) await flush();
    await client.end();
  }
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/**
 * Mean seconds per call of `fn` over at least `minSeconds`, after half as long a warm-up: the figures
 * are about the steady state, and the first calls pay once for compiling (V8's JIT on idcloud's side,
 * PostgreSQL preparing and planning a statement on each pooled connection). With a 20-call warm-up
 * the first of three rounds measured PostgreSQL's find at 466 µs a call against 140 µs after it.
 */
async function timePerCall(fn: (i: number) => unknown, minSeconds = 1): Promise<number> {
  const warm = process.hrtime.bigint();
  for (let i = 0; Number(process.hrtime.bigint() - warm) / 1e9 < minSeconds / 2; i += 1) await fn(i);
  let calls = 0;
  const started = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < minSeconds) {
    for (let k = 0; k < 20; k += 1) await fn(calls++);
    elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  }
  return elapsed / calls;
}

/** Rounds of timeBoth: A B B A four times over, so the order favours neither side. */
const ROUNDS = [0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0] as const;

/**
 * Seconds per call of two functions measured in alternating half-second rounds, so that the machine's
 * drift hits both alike: on the shared 2-CPU development machine both sides ran 40 % slower in one run
 * than in the next, and with six one-second rounds one ratio came out at 0.47x and 0.53x in those runs.
 */
async function timeBoth(a: (i: number) => unknown, b: (i: number) => unknown): Promise<[number, number]> {
  const times: [number[], number[]] = [[], []];
  for (const which of ROUNDS) times[which].push(await timePerCall(which === 0 ? a : b, 0.5));
  const mean = (xs: number[]): number => xs.reduce((x, y) => x + y, 0) / xs.length;
  return [mean(times[0]), mean(times[1])];
}

/** Runs the data suite on one engine; answers its figures. */
export async function runDataSuite(settings: DataSettings): Promise<DataFigure[]> {
  const { users, progress } = settings;
  const engine = settings.databaseUrl === null ? 'SQLite' : 'PostgreSQL';
  const work = mkdtempSync(join(tmpdir(), 'idcloud-data-files-'));
  const ours = await freshTarget(settings.databaseUrl);
  const raw = await freshTarget(settings.databaseUrl);
  const figures: DataFigure[] = [];
  try {
    const file = join(work, 'users.jsonl');
    progress(`${engine}: generating ${users} users`);
    const sample = await writeUsers(file, users);
    for (const t of [ours, raw]) await runCli(['init', ...storageArgs(t)], null);

    progress(`${engine}: raw batched INSERT of ${users} rows`);
    const typeIdOf = async (t: Target): Promise<number> => {
      const { store } = await prepareStorage(defaultConfig({ dataDir: t.dataDir, databaseUrl: t.databaseUrl }), {});
      try {
        const row = await store.db.selectFrom('entity_types').select('id').where('name', '=', 'user').executeTakeFirstOrThrow();
        return Number(row.id);
      } finally {
        await store.close();
      }
    };
    const rawSeconds = await rawInsert(raw, await typeIdOf(raw), users);
    progress(`${engine}: idcloud import of ${users} users`);
    const imported = await runCli(['import', file, '--type', 'user', ...storageArgs(ours)], null);
    figures.push({ name: `${engine} import (users/s)`, ours: users / imported.seconds, reference: users / rawSeconds, unit: 'users/s', ratio: rawSeconds / imported.seconds, goal: '>= 0.5' });

    progress(`${engine}: idcloud export`);
    const exported = await runCli(['export', '--type', 'user', ...storageArgs(ours)], join(work, 'export.jsonl'));
    figures.push({ name: `${engine} peak RSS of import / export (MB)`, ours: imported.peakRssMb, reference: exported.peakRssMb, unit: 'MB', ratio: Math.max(imported.peakRssMb, exported.peakRssMb), goal: 'both < 200 MB' });
    figures.push({ name: `${engine} export (users/s)`, ours: users / exported.seconds, reference: users / rawSeconds, unit: 'users/s', ratio: rawSeconds / exported.seconds, goal: '(for information)' });

    progress(`${engine}: entity.find against the same SQL run directly`);
    const config = defaultConfig({ dataDir: ours.dataDir, databaseUrl: ours.databaseUrl });
    const { store } = await prepareStorage(config, {});
    try {
      const ctx = { store, entityTypes: new EntityTypeDirectory(store) };
      const entities = new EntityService(ctx);
      const search = new EntitySearchService(ctx, entities);
      const application = await store.db.selectFrom('applications').select('id').executeTakeFirstOrThrow();
      const caller: EntityCaller = { applicationId: application.id, clientId: 'bench', features: new Set(['owner']), withToken: false };
      const loaded = await entities.entityType(application.id, 'user');
      const find = (filter: string, sortOn: unknown, maxResults: number) => search.find(caller, loaded, { filter, sortOn, firstResult: 1, maxResults, showTotalCount: false, timeoutSeconds: 60 });
      const emailAt = (i: number): string => sample[i % sample.length] ?? '';
      const middle = createdOf(Math.floor(users / 2), users);
      const storedMiddle = `${middle.slice(0, 10)}T${middle.slice(11, 19)}.000000Z`;

      const sqlite = store.engine === 'sqlite' ? new SQLite(join(ours.dataDir, 'idcloud.db'), { readonly: true }) : null;
      const client = store.engine === 'postgres' ? new pg.Client({ connectionString: ours.databaseUrl ?? '' }) : null;
      // Named statements: prepared once on the server, as with the SQLite driver.
      const names = new Map<string, string>();
      const named = (text: string): string => {
        let name = names.get(text);
        if (name === undefined) names.set(text, (name = `bench_${names.size}`));
        return name;
      };
      await client?.connect();
      const typeId = loaded.type.id;
      const statements = new Map<string, ReturnType<NonNullable<typeof sqlite>['prepare']>>();
      const direct = async (sqliteText: string, pgText: string, params: unknown[]): Promise<unknown[]> => {
        if (sqlite) {
          // Prepared once, as a program using the driver directly would.
          let statement = statements.get(sqliteText);
          if (!statement) statements.set(sqliteText, (statement = sqlite.prepare(sqliteText)));
          return statement.all(params);
        }
        const result: pg.QueryResult<Record<string, unknown>> = await (client as pg.Client).query({ name: named(pgText), text: pgText, values: params });
        return result.rows;
      };
      const eqSqlite = `select ${RECORD_COLUMNS} from entities where entity_type_id = ${typeId} and lower(json_extract(document, '$.email')) = ?`;
      const eqPg = `select ${RECORD_COLUMNS} from entities where entity_type_id = ${typeId} and lower((document::jsonb #>> '{email}') collate "C") = $1`;
      const rangeSqlite = `select ${RECORD_COLUMNS} from entities where entity_type_id = ${typeId} and created >= ? order by created asc, id asc limit 100`;
      const rangePg = `select ${RECORD_COLUMNS} from entities where entity_type_id = ${typeId} and (created collate "C") >= $1 order by (created collate "C") asc, id asc limit 100`;
      // Both sides must find what they look for, or the comparison means nothing.
      if ((await find(`email = '${emailAt(1)}'`, undefined, 100)).results.length !== 1) throw new Error('find by email found nothing');
      if ((await direct(eqSqlite, eqPg, [emailAt(1)])).length !== 1) throw new Error('direct SQL by email found nothing');

      const [eqOurs, eqRaw] = await timeBoth((i) => find(`email = '${emailAt(i)}'`, undefined, 100), (i) => direct(eqSqlite, eqPg, [emailAt(i)]));
      figures.push({ name: `${engine} find, indexed equality (calls/s)`, ours: 1 / eqOurs, reference: 1 / eqRaw, unit: 'calls/s', ratio: eqRaw / eqOurs, goal: '>= 0.5' });
      const [rangeOurs, rangeRaw] = await timeBoth(() => find(`created >= '${middle}'`, ['created'], 100), () => direct(rangeSqlite, rangePg, [storedMiddle]));
      figures.push({ name: `${engine} find, range + sort_on, 100 rows (calls/s)`, ours: 1 / rangeOurs, reference: 1 / rangeRaw, unit: 'calls/s', ratio: rangeRaw / rangeOurs, goal: '>= 0.5' });

      const ids = await store.db.selectFrom('entities').select('id').where('entity_type_id', '=', typeId).orderBy('id').offset(Math.min(users - 1, 100 * 4999)).limit(1).executeTakeFirstOrThrow();
      const [first, deep] = await timeBoth(() => find('id > 0', ['id'], 100), () => find(`id > ${Number(ids.id)}`, ['id'], 100));
      figures.push({ name: `${engine} paging by id: page 1 vs page 5,000 (ms)`, ours: deep * 1000, reference: first * 1000, unit: 'ms', ratio: first / deep, goal: 'within 2x (>= 0.5)' });
      sqlite?.close();
      await client?.end();
    } finally {
      await store.close();
    }
  } finally {
    await ours.drop();
    await raw.drop();
    rmSync(work, { recursive: true, force: true });
  }
  return figures;
}

export function formatDataFigures(users: number, figures: readonly DataFigure[]): string {
  const fmt = (n: number): string => (n >= 100 ? n.toFixed(0) : n.toFixed(2));
  const rows = figures.map((f) => [f.name, fmt(f.ours), fmt(f.reference), f.unit === 'MB' ? `${fmt(f.ratio)} MB` : `${f.ratio.toFixed(2)}x`, f.goal]);
  const header = ['data figure', 'idcloud', 'reference', 'ratio', 'goal'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  return ['', `idcloud data benchmark: ${users} generated users (seeded); reference = the same work done directly on the driver`, line(header), ...rows.map(line), ''].join('\n');
}
