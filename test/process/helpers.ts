// Process-level test helpers: run the built CLI (dist/src/cli.js) as a child process, watch its
// JSON log, and look at what it left behind in the data directory and the database — the way an
// operator would, from outside the process.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import SQLite, { SQLITE_PACKAGE, type SqliteDatabase } from '../../src/store/sqlite-driver.js';
import pg from 'pg';
import { afterEach, expect } from 'vitest';
import type { BootstrapCredentials } from '../../src/setup/bootstrap.js';
import { SecretBox } from '../../src/security/secret-box.js';
import type { Engine } from '../../src/store/database.js';
import { createPostgresDatabase } from '../helpers/postgres.js';

export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
/** The built CLI; PROCESS_TEST_CLI may point at another build (e.g. a patched copy) to try a fix against these tests. */
export const CLI_PATH = process.env.PROCESS_TEST_CLI ?? join(REPO_ROOT, 'dist', 'src', 'cli.js');

/**
 * Per-test safety bound for these suites (each test runs several whole CLI processes, on a two-core machine
 * shared with other suites). It bounds a hang; no assertion depends on how long anything takes.
 */
export const PROCESS_TEST_TIMEOUT = 120_000;

/** Upper bound for any one child process; a child still running then is killed and the test fails. */
const CHILD_LIMIT_MS = 60_000;

// ---------------------------------------------------------------------------------------------
// Children

const live = new Set<ChildProcess>();

/** SIGKILLs every child still running and waits for each to be gone. Call from afterEach. */
export async function killLiveChildren(): Promise<void> {
  const waits = [...live].map(
    (child) =>
      new Promise<void>((done) => {
        if (child.exitCode !== null || child.signalCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGKILL');
      }),
  );
  live.clear();
  await Promise.all(waits);
}

/** The environment a child sees: ours, minus anything that would configure idcloud or node behind the test's back. */
export function childEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (name.startsWith('IDCLOUD_') || name === 'DATABASE_URL' || name === 'NODE_OPTIONS') continue;
    env[name] = value;
  }
  for (const [name, value] of Object.entries(extra)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface SpawnOptions {
  /** Added to (or, when undefined, removed from) the cleaned environment. */
  env?: Record<string, string | undefined>;
  /** Working directory; a fresh empty temp dir when not given, so that no default ./data lands in the repo. */
  cwd?: string;
  /** Arguments for node itself, before the script (e.g. --import). */
  nodeArgs?: string[];
}

export type LogLine = Record<string, unknown> & { msg?: string };

export class CliProcess {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  timedOut = false;
  readonly done: Promise<CliResult>;
  private readonly wakers = new Set<() => void>();
  private closed = false;

  constructor(args: string[], options: SpawnOptions = {}) {
    const cwd = options.cwd ?? mkdtempSync(join(tmpdir(), 'idcloud-proc-cwd-'));
    this.child = spawn(process.execPath, [...(options.nodeArgs ?? []), CLI_PATH, ...args], {
      cwd,
      env: childEnv(options.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    live.add(this.child);
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stdout += chunk;
      this.wake();
    });
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
      this.wake();
    });
    const limit = setTimeout(() => {
      this.timedOut = true;
      this.child.kill('SIGKILL');
    }, CHILD_LIMIT_MS);
    this.done = new Promise<CliResult>((resolveDone, rejectDone) => {
      this.child.once('error', (err) => {
        clearTimeout(limit);
        rejectDone(err);
      });
      this.child.once('close', (code, signal) => {
        clearTimeout(limit);
        live.delete(this.child);
        this.closed = true;
        this.wake();
        if (options.cwd === undefined) rmSync(cwd, { recursive: true, force: true });
        resolveDone({ code, signal, stdout: this.stdout, stderr: this.stderr });
      });
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get exited(): boolean {
    return this.closed;
  }

  private wake(): void {
    for (const w of [...this.wakers]) w();
  }

  /** The stdout lines that are JSON log records. */
  logLines(): LogLine[] {
    const out: LogLine[] = [];
    for (const line of this.stdout.split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        out.push(JSON.parse(line) as LogLine);
      } catch {
        // a line still being written
      }
    }
    return out;
  }

  /** Resolves with the first non-undefined value of `probe`, re-checked on every output chunk; fails if the child ends first. */
  waitFor<T>(probe: () => T | undefined, what: string): Promise<T> {
    return new Promise<T>((resolveWait, rejectWait) => {
      const check = (): void => {
        const value = probe();
        if (value !== undefined) {
          this.wakers.delete(check);
          resolveWait(value);
        } else if (this.closed) {
          this.wakers.delete(check);
          rejectWait(new Error(`child ended before ${what}${this.timedOut ? ' (killed at the safety limit)' : ''}\nstdout:\n${this.stdout}\nstderr:\n${this.stderr}`));
        }
      };
      this.wakers.add(check);
      check();
    });
  }

  waitForLog(msg: string): Promise<LogLine> {
    return this.waitFor(() => this.logLines().find((l) => l.msg === msg), `log message "${msg}"`);
  }

  /** Waits for "idcloud is listening" and returns the base URL. */
  async listening(): Promise<string> {
    const line = await this.waitForLog('idcloud is listening');
    if (typeof line.address !== 'string') throw new Error(`listening log without an address: ${JSON.stringify(line)}`);
    return line.address;
  }

  kill(signal: NodeJS.Signals): void {
    if (!this.closed) this.child.kill(signal);
  }
}

/** Runs the CLI to completion. Fails (rather than hangs) if it runs past the safety limit. */
export async function runCli(args: string[], options: SpawnOptions = {}): Promise<CliResult> {
  const proc = new CliProcess(args, options);
  const result = await proc.done;
  if (proc.timedOut) throw new Error(`idcloud ${args.join(' ')} did not finish; stdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
  return result;
}

/** Asserts the shape of every failure the CLI reports: exactly one line on stderr, starting with "idcloud: ". */
export function expectOneErrorLine(result: CliResult): string {
  expect(result.stderr, `stderr was ${JSON.stringify(result.stderr)}`).toMatch(/^idcloud: [^\n]+\n$/);
  return result.stderr.trimEnd();
}

// ---------------------------------------------------------------------------------------------
// Network

export function freePort(): Promise<number> {
  return new Promise((resolvePort, rejectPort) => {
    const srv = createServer();
    srv.once('error', rejectPort);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

/** What happens when connecting to 127.0.0.1:port: 'refused', or 'connected' (the socket is closed again at once). */
/**
 * Whether a TCP connection is accepted. 'reset': the kernel dropped it from the backlog of a listener
 * closing at that moment (ECONNRESET during connect); a caller waiting for 'refused' tries again.
 */
export function tryConnect(port: number): Promise<'refused' | 'connected' | 'reset'> {
  return new Promise((resolveTry, rejectTry) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolveTry('connected');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      socket.destroy();
      if (err.code === 'ECONNREFUSED') resolveTry('refused');
      else if (err.code === 'ECONNRESET') resolveTry('reset');
      else rejectTry(err);
    });
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** GETs a URL until it answers (at most `attempts` tries, 100 ms apart); returns the last status and body. */
export async function getWhenUp(url: string, attempts = 50): Promise<{ status: number; body: string }> {
  let lastError: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
      return { status: res.status, body: await res.text() };
    } catch (err) {
      lastError = err;
      await sleep(100);
    }
  }
  throw new Error(`${url} never answered: ${String(lastError)}`);
}

// ---------------------------------------------------------------------------------------------
// Files

export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

export function fileMode(path: string): number {
  return statSync(path).mode & 0o777;
}

/** Sorted entries of a directory, or null when it does not exist. */
export function listDir(path: string): string[] | null {
  return existsSync(path) ? readdirSync(path).sort() : null;
}

// ---------------------------------------------------------------------------------------------
// A store under test: a temp root whose `data` subdirectory does not exist yet, and for PostgreSQL a fresh database

export interface StoreUnderTest {
  engine: Engine;
  /** Temp dir owned by the test; the data dir lives inside it. */
  root: string;
  dataDir: string;
  databaseUrl: string | null;
  /** --data-dir (and --database-url) for the CLI */
  args: string[];
  sqliteFile: string;
  keyFile: string;
  credentialsFile: string;
  dispose(): Promise<void>;
}

export async function createStoreUnderTest(engine: Engine): Promise<StoreUnderTest> {
  const root = mkdtempSync(join(tmpdir(), 'idcloud-proc-'));
  const dataDir = join(root, 'data');
  const database = engine === 'postgres' ? await createPostgresDatabase() : null;
  return {
    engine,
    root,
    dataDir,
    databaseUrl: database?.url ?? null,
    args: ['--data-dir', dataDir, ...(database ? ['--database-url', database.url] : [])],
    sqliteFile: join(dataDir, 'idcloud.db'),
    keyFile: join(dataDir, 'master.key'),
    credentialsFile: join(dataDir, 'bootstrap-credentials.json'),
    dispose: async () => {
      await database?.drop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

type Row = Record<string, unknown>;

/** True when a rollback journal sits next to the SQLite file: a writer died in the middle of a transaction. */
export function hasHotJournal(file: string): boolean {
  return existsSync(`${file}-journal`) && statSync(`${file}-journal`).size > 0;
}

/**
 * Opens an SQLite file for reading without changing it. Read-only, as an operator's tool would — except when a
 * hot rollback journal is there: a read-only connection cannot roll it back, so the file and its journal are
 * copied aside and the copy is opened (and rolled back) instead, which shows the last committed state.
 */
function openSqliteForReading(file: string): { conn: SqliteDatabase; done: () => void } {
  if (!hasHotJournal(file)) {
    const conn = new SQLite(file, { readonly: true, fileMustExist: true });
    return { conn, done: () => conn.close() };
  }
  const dir = mkdtempSync(join(tmpdir(), 'idcloud-proc-copy-'));
  const copy = join(dir, 'copy.db');
  copyFileSync(file, copy);
  copyFileSync(`${file}-journal`, `${copy}-journal`);
  const conn = new SQLite(copy, { fileMustExist: true });
  return {
    conn,
    done: () => {
      conn.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function sqliteIsAbsent(file: string): boolean {
  const nonEmpty = (p: string): boolean => existsSync(p) && statSync(p).size > 0;
  return !nonEmpty(file) && !nonEmpty(`${file}-wal`) && !nonEmpty(`${file}-journal`);
}

/** Runs read-only queries against the store the way an operator would: SQLite opened read-only, or a plain pg client. */
export async function withStore<T>(s: StoreUnderTest, fn: (query: (sql: string) => Promise<Row[]>, tables: string[]) => Promise<T>): Promise<T> {
  if (s.engine === 'sqlite') {
    if (sqliteIsAbsent(s.sqliteFile)) return fn(() => Promise.reject(new Error('no SQLite database')), []);
    const { conn, done } = openSqliteForReading(s.sqliteFile);
    try {
      const query = (sql: string): Promise<Row[]> => Promise.resolve(conn.prepare(sql).all() as Row[]);
      const tables = (await query("select name from sqlite_master where type = 'table' and name not like 'sqlite_%'")).map((r) => String(r.name));
      return await fn(query, tables.sort());
    } finally {
      done();
    }
  }
  const client = new pg.Client({ connectionString: s.databaseUrl! });
  await client.connect();
  try {
    const query = async (sql: string): Promise<Row[]> => (await client.query<Row>(sql)).rows;
    const tables = (
      await query("select table_name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'")
    ).map((r) => String(r.table_name));
    return await fn(query, tables.sort());
  } finally {
    await client.end();
  }
}

/** Every table with its row count and a digest of its rows: equal snapshots mean nothing in the store changed. */
export async function snapshotStore(s: StoreUnderTest): Promise<Record<string, { rows: number; digest: string }>> {
  return withStore(s, async (query, tables) => {
    const out: Record<string, { rows: number; digest: string }> = {};
    for (const table of tables) {
      const rows = (await query(`select * from "${table}"`)).map((r) => JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
      rows.sort();
      out[table] = { rows: rows.length, digest: createHash('sha256').update(rows.join('\n')).digest('hex') };
    }
    return out;
  });
}

/** PRAGMA integrity_check of the last committed state; "ok" when there is no database at all. */
export function sqliteIntegrity(file: string): string {
  if (sqliteIsAbsent(file)) return 'ok';
  const { conn, done } = openSqliteForReading(file);
  try {
    return (conn.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check).join('; ');
  } finally {
    done();
  }
}

export const BOOTSTRAP_TABLES = ['customers', 'applications', 'entity_types', 'api_clients', 'api_client_secrets'] as const;

export interface BootstrapView {
  tables: string[];
  marker: boolean;
  masterKeyCheck: boolean;
  customers: { id: string }[];
  applications: { id: string; customer_id: string }[];
  entityTypes: { application_id: string; name: string }[];
  apiClients: { client_id: string; application_id: string; features: string }[];
  secrets: { client_id: string; key_id: string; ciphertext: string; expires_at: string | null }[];
}

/** What bootstrap left in the store; tables that do not exist read as empty. */
export function readBootstrapView(s: StoreUnderTest): Promise<BootstrapView> {
  return withStore(s, async (query, tables) => {
    const rows = async <T>(table: string, sql: string): Promise<T[]> => (tables.includes(table) ? ((await query(sql)) as T[]) : []);
    const meta = await rows<{ key: string }>('idcloud_meta', 'select "key" from "idcloud_meta"');
    return {
      tables,
      marker: meta.some((m) => m.key === 'bootstrapped_at'),
      masterKeyCheck: meta.some((m) => m.key === 'master_key_check'),
      customers: await rows('customers', 'select "id" from "customers"'),
      applications: await rows('applications', 'select "id", "customer_id" from "applications"'),
      entityTypes: await rows('entity_types', 'select "application_id", "name" from "entity_types"'),
      apiClients: await rows('api_clients', 'select "client_id", "application_id", "features" from "api_clients"'),
      secrets: await rows('api_client_secrets', 'select "client_id", "key_id", "ciphertext", "expires_at" from "api_client_secrets"'),
    };
  });
}

export function bootstrapRowCount(v: BootstrapView): number {
  return v.customers.length + v.applications.length + v.entityTypes.length + v.apiClients.length + v.secrets.length;
}

export function readCredentials(s: StoreUnderTest): BootstrapCredentials {
  return JSON.parse(readFileSync(s.credentialsFile, 'utf8')) as BootstrapCredentials;
}

/**
 * The store is bootstrapped exactly once and agrees with bootstrap-credentials.json and the master key file:
 * one customer, one application, the `user` entity type, an owner and a login client with one current secret
 * each, and each sealed secret opens (with the key in master.key) to the secret in the credentials file.
 */
export async function expectBootstrapped(s: StoreUnderTest): Promise<BootstrapCredentials> {
  const view = await readBootstrapView(s);
  expect(existsSync(s.credentialsFile), 'bootstrap-credentials.json exists').toBe(true);
  const creds = readCredentials(s);
  expect(view.marker, 'bootstrap marker').toBe(true);
  expect(view.masterKeyCheck, 'master key check').toBe(true);
  expect(view.customers.map((c) => c.id)).toEqual([creds.customer_id]);
  expect(view.applications).toEqual([{ id: creds.application_id, customer_id: creds.customer_id }]);
  expect(view.entityTypes).toEqual([{ application_id: creds.application_id, name: 'user' }]);
  const ids = [creds.clients.owner.client_id, creds.clients.login.client_id];
  expect(view.apiClients.map((c) => c.client_id).sort()).toEqual([...ids].sort());
  for (const c of view.apiClients) expect(c.application_id).toBe(creds.application_id);
  expect(JSON.parse(view.apiClients.find((c) => c.client_id === creds.clients.owner.client_id)!.features)).toEqual(['owner']);
  expect(JSON.parse(view.apiClients.find((c) => c.client_id === creds.clients.login.client_id)!.features)).toEqual(['login_client']);
  expect(view.secrets.map((x) => x.client_id).sort()).toEqual([...ids].sort());

  const box = new SecretBox(Buffer.from(readFileSync(s.keyFile, 'utf8').trim(), 'base64'));
  for (const client of [creds.clients.owner, creds.clients.login]) {
    const sealed = view.secrets.find((x) => x.client_id === client.client_id)!;
    expect(sealed.expires_at).toBeNull();
    expect(sealed.ciphertext).not.toContain(client.client_secret);
    expect(box.open({ keyId: sealed.key_id, ciphertext: sealed.ciphertext }, `api_client:${client.client_id}`)).toBe(client.client_secret);
  }
  return creds;
}

// ---------------------------------------------------------------------------------------------
// Deterministic crash points

export interface KillPoint {
  /** Case-insensitive regex for the statement to die before. */
  at: string;
  /** Die before the nth match (default 1). */
  nth?: number;
  /** Only count matches after a statement matching this regex was sent. */
  after?: string;
}

/** Environment for a child started with killHookArgs(). */
export function killPointEnv(point: KillPoint): Record<string, string> {
  return { KILL_AT: point.at, KILL_NTH: String(point.nth ?? 1), ...(point.after ? { KILL_AFTER: point.after } : {}) };
}

/**
 * Writes (into `dir`) a node --import module that SIGKILLs the process just before it executes its Nth statement matching
 * KILL_AT (a case-insensitive regex; counting starts after a statement matching KILL_AFTER, if set)
 * to SQLite or PostgreSQL: that statement is not executed. It crashes the real CLI at a chosen point
 * without changing the CLI's code.
 */
export function killHookArgs(dir: string): string[] {
  const hook = join(dir, 'kill-at-statement.mjs');
  writeFileSync(
    hook,
    `import { createRequire } from 'node:module';
const require = createRequire(${JSON.stringify(join(REPO_ROOT, 'package.json'))});
const pattern = new RegExp(process.env.KILL_AT, 'i');
const after = process.env.KILL_AFTER ? new RegExp(process.env.KILL_AFTER, 'i') : null;
let armed = after === null;
let remaining = Number(process.env.KILL_NTH || '1');
const maybeDie = (sql) => {
  if (typeof sql !== 'string') return;
  if (!armed) {
    armed = after.test(sql);
    return;
  }
  if (pattern.test(sql) && --remaining === 0) process.kill(process.pid, 'SIGKILL');
};
const Database = require('${SQLITE_PACKAGE}');
// Statements are prepared once and reused (the store caches them): hook their execution, not prepare.
const probe = new Database(':memory:');
const Statement = Object.getPrototypeOf(probe.prepare('select 1'));
probe.close();
for (const method of ['run', 'get', 'all', 'iterate']) {
  const original = Statement[method];
  Statement[method] = function (...args) { maybeDie(this.source); return original.apply(this, args); };
}
const pg = require('pg');
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function (config, ...rest) { maybeDie(typeof config === 'string' ? config : config && config.text); return query.call(this, config, ...rest); };
`,
  );
  return ['--import', pathToFileURL(hook).href];
}

/**
 * For a describe block: returns a function that makes a fresh store for `engine`; after each test,
 * live children are killed and every store made is disposed of.
 */
export function useFreshStores(engine: Engine): () => Promise<StoreUnderTest> {
  const stores: StoreUnderTest[] = [];
  afterEach(async () => {
    await killLiveChildren();
    for (const s of stores.splice(0)) await s.dispose();
  });
  return async () => {
    const s = await createStoreUnderTest(engine);
    stores.push(s);
    return s;
  };
}
