// Opening the database: SQLite (embedded default) or PostgreSQL, behind one Kysely instance.
// Before anything is written, the target is inspected read-only, so that a corrupt or foreign
// database is refused untouched.
import { closeSync, existsSync, mkdirSync, openSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import SQLite, { type SqliteDatabase } from './sqlite-driver.js';
import { Kysely, PostgresDialect, sql, type PostgresCursor, type PostgresPool, type PostgresPoolClient, type PostgresQueryResult, SqliteAdapter, SqliteDialect, type DialectAdapter, type SqliteDatabase as KyselySqliteDatabase } from 'kysely';
import pg from 'pg';
import { generateFunction, propertyKey } from '../domain/object-literal.js';
import type { SealedSecret } from '../security/secret-box.js';
import type { Database } from './schema.js';

export type Engine = 'sqlite' | 'postgres';

export type StoreTarget =
  | { engine: 'sqlite'; file: string }
  | { engine: 'postgres'; url: string };

export interface Store {
  db: Kysely<Database>;
  /**
   * Where entity reads and searches run outside a transaction. PostgreSQL: a small pool of its own
   * whose sessions stop any statement after SEARCH_SESSION_TIMEOUT_MS (so a search with the longest
   * timeout needs no `begin; set local …; commit` around it) and keep their statements prepared.
   * SQLite: `db`.
   */
  readDb: Kysely<Database>;
  engine: Engine;
  /** Human-readable location, never including a password. */
  location: string;
  close(): Promise<void>;
}

/** Which engine a Kysely instance (or transaction) talks to, from its SQL adapter. */
export function engineOf(db: { getExecutor(): { adapter: DialectAdapter } }): Engine {
  return db.getExecutor().adapter instanceof SqliteAdapter ? 'sqlite' : 'postgres';
}

export class StoreError extends Error {
  override name = 'StoreError';
}

/** What is found at the target before idcloud touches it. */
export type StoreInspection =
  | { state: 'absent' | 'empty' }
  | { state: 'idcloud'; masterKeyCheck: SealedSecret | null };

export const META_TABLE = 'idcloud_meta';
export const MIGRATION_TABLE = 'idcloud_migration';
export const MIGRATION_LOCK_TABLE = 'idcloud_migration_lock';
export const MASTER_KEY_CHECK = 'master_key_check';

/**
 * SQLite's DDL is transactional, but Kysely assumes otherwise and would run migrations statement by
 * statement: a process killed half-way through one would leave tables that block every later start.
 */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

class IdcloudSqliteDialect extends SqliteDialect {
  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}

const STATEMENT_CACHE_SIZE = 256;

type DriverStatement = ReturnType<SqliteDatabase['prepare']>;
type KyselyStatement = ReturnType<KyselySqliteDatabase['prepare']>;

/** Builds one row object from the values of a row fetched as an array. */
type RowBuilder = (values: readonly unknown[]) => Record<string, unknown>;

function rowBuilder(names: readonly string[]): RowBuilder {
  const keys = names.map((name, i) => `${propertyKey(name)}: v[${i}]`);
  return generateFunction<RowBuilder>([], `return (v) => ({ ${keys.join(', ')} });`, []);
}

const columnNames = (statement: DriverStatement): string[] => statement.columns().map((c) => c.name);

/**
 * A statement as Kysely runs it. One that answers rows fetches them as arrays and builds each row
 * with a literal generated from its column names (100 rows of 5 columns: 130 µs as the driver's row
 * objects, 80 µs as arrays, 84 µs with the literal). A row of another width (the schema changed
 * under the statement) rebuilds the builder.
 */
function kyselyStatement(statement: DriverStatement): KyselyStatement {
  if (!statement.reader) return statement;
  statement.raw(true);
  let names = columnNames(statement);
  let build = rowBuilder(names);
  const toRow = (values: unknown): Record<string, unknown> => {
    const row = values as unknown[];
    if (row.length !== names.length) {
      names = columnNames(statement);
      build = rowBuilder(names);
    }
    return build(row);
  };
  return {
    reader: true,
    all: (parameters) => statement.all(parameters).map(toRow),
    run: (parameters) => statement.run(parameters),
    iterate: function* (parameters) {
      for (const values of statement.iterate(parameters)) yield toRow(values);
    },
  };
}

/** Schema statements: after one, cached statements may answer other columns (see kyselyStatement). */
const SCHEMA_CHANGE = /^\s*(?:create|alter|drop)\s/i;

/**
 * Kysely prepares every query anew, and preparing costs more than running a small indexed query.
 * The same SQL text gets the same prepared statement back (better-sqlite3 statements are reusable,
 * and re-prepare themselves after schema changes); least recently used ones are dropped past 256,
 * and all of them after a schema statement.
 */
function withStatementCache(conn: SqliteDatabase): KyselySqliteDatabase {
  const cache = new Map<string, KyselyStatement>();
  return {
    close: () => {
      cache.clear();
      conn.close();
    },
    prepare: (source: string) => {
      let statement = cache.get(source);
      if (statement) {
        cache.delete(source);
      } else {
        if (SCHEMA_CHANGE.test(source)) cache.clear();
        statement = kyselyStatement(conn.prepare(source));
        if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value ?? '');
      }
      cache.set(source, statement);
      return statement;
    },
  };
}

/** Sessions of the PostgreSQL read pool stop any statement after this long: the longest search timeout. */
export const SEARCH_SESSION_TIMEOUT_MS = 60_000;

/** Distinct statements the PostgreSQL read pool prepares; past these, statements run unprepared. */
const PREPARED_STATEMENTS = 200;

/**
 * A pg pool whose clients run parameterized statements as named (prepared) ones: PostgreSQL then
 * parses and plans a search once per connection instead of on every call (unnamed: 370 µs, named:
 * 190 µs for an indexed one-row find on the development machine). Statements without parameters
 * (`begin`, `set local …; …`) may hold several commands, which a prepared statement cannot: they stay
 * unnamed. Names are handed out to the first PREPARED_STATEMENTS distinct texts, which bounds what each
 * connection keeps on the server.
 */
class PreparingPool implements PostgresPool {
  readonly #names = new Map<string, string>();

  constructor(private readonly pool: pg.Pool) {}

  async connect(): Promise<PostgresPoolClient> {
    return new PreparingClient(await this.pool.connect(), (text) => this.#nameOf(text));
  }

  end(): Promise<void> {
    return this.pool.end();
  }

  #nameOf(text: string): string | undefined {
    let name = this.#names.get(text);
    if (name === undefined && this.#names.size < PREPARED_STATEMENTS) this.#names.set(text, (name = `idcloud_read_${this.#names.size}`));
    return name;
  }
}

class PreparingClient implements PostgresPoolClient {
  constructor(
    private readonly client: pg.PoolClient,
    private readonly nameOf: (text: string) => string | undefined,
  ) {}

  query<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>>;
  query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>;
  query<R>(sqlOrCursor: string | PostgresCursor<R>, parameters: ReadonlyArray<unknown> = []): Promise<PostgresQueryResult<R>> | PostgresCursor<R> {
    // No cursor constructor is configured, so Kysely never streams through this pool.
    if (typeof sqlOrCursor !== 'string') throw new Error('the read pool does not stream');
    const name = parameters.length > 0 ? this.nameOf(sqlOrCursor) : undefined;
    return this.client.query({ text: sqlOrCursor, values: [...parameters], ...(name === undefined ? {} : { name }) }) as unknown as Promise<PostgresQueryResult<R>>;
  }

  release(): void {
    this.client.release();
  }
}

/** A query ran past the deadline its caller set, and was stopped. */
export class QueryTimeout extends Error {
  override name = 'QueryTimeout';
}

/**
 * SQLite runs a statement to its end in this thread, with nothing to interrupt it; a query with a
 * deadline calls idcloud_deadline(<epoch ms>) from its WHERE clause, which throws once the time
 * has passed and so stops the statement (see deadlineCheck).
 */
function registerDeadline(conn: SqliteDatabase): void {
  conn.function('idcloud_deadline', { deterministic: false }, (deadline: unknown) => {
    if (Date.now() > Number(deadline)) throw new QueryTimeout('the query ran past its deadline');
    return 1;
  });
}

/**
 * One transaction whose commit does not wait for the disk: for rows that are cheap to lose in a
 * power failure or an operating-system crash (never in a crash of idcloud itself), such as issued
 * access tokens, whose bearer only has to ask again. PostgreSQL: `synchronous_commit = off` for this
 * transaction. SQLite (WAL): `synchronous = NORMAL` around it on the one connection, so the commit
 * skips its fsync; the next ordinary commit's fsync covers it, and the database stays consistent.
 */
export async function relaxedTransaction<T>(store: Store, run: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
  if (store.engine === 'postgres') {
    return store.db.transaction().execute(async (trx) => {
      await sql`set local synchronous_commit = off`.execute(trx);
      return run(trx);
    });
  }
  return store.db.connection().execute(async (conn) => {
    await sql`pragma synchronous = normal`.execute(conn);
    try {
      return await conn.transaction().execute(run);
    } finally {
      await sql`pragma synchronous = full`.execute(conn);
    }
  });
}

export function storeTarget(databaseUrl: string | null, dataDir: string): StoreTarget {
  return databaseUrl ? { engine: 'postgres', url: databaseUrl } : { engine: 'sqlite', file: join(dataDir, 'idcloud.db') };
}

export function describeTarget(target: StoreTarget): string {
  if (target.engine === 'sqlite') return `SQLite ${target.file}`;
  try {
    const u = new URL(target.url);
    return `PostgreSQL ${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return 'PostgreSQL (unparseable URL)';
  }
}

function classifyTables(tables: string[], where: string): 'empty' | 'idcloud' {
  if (tables.includes(META_TABLE) || tables.includes(MIGRATION_TABLE)) return 'idcloud';
  if (tables.length === 0) return 'empty';
  const sample = tables.slice(0, 5).join(', ');
  throw new StoreError(`${where} holds tables that are not idcloud's (${sample}); refusing to use it`);
}

function parseKeyCheck(value: string | undefined): SealedSecret | null {
  if (value === undefined) return null;
  const parsed = JSON.parse(value) as SealedSecret;
  return { keyId: parsed.keyId, ciphertext: parsed.ciphertext };
}

/** SQLite refuses a read-only open while a crashed writer's rollback journal awaits recovery. */
const NEEDS_RECOVERY = new Set(['SQLITE_READONLY_ROLLBACK', 'SQLITE_READONLY_RECOVERY', 'SQLITE_READONLY_CANTINIT', 'SQLITE_CANTOPEN']);

function readSqlite(file: string, where: string): StoreInspection {
  // Opening read-only may still create the -wal and -shm files of a WAL database; remove any it
  // created, so a refused start leaves the directory as it found it.
  const created = ['-wal', '-shm'].map((suffix) => `${file}${suffix}`).filter((f) => !existsSync(f));
  let conn: SqliteDatabase | undefined;
  try {
    conn = new SQLite(file, { readonly: true, fileMustExist: true });
    const tables = (conn.prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%'").all() as { name: string }[]).map((r) => r.name);
    const state = classifyTables(tables, where);
    if (state === 'empty') return { state };
    const row = tables.includes(META_TABLE)
      ? (conn.prepare(`select value from ${META_TABLE} where key = ?`).get(MASTER_KEY_CHECK) as { value: string } | undefined)
      : undefined;
    return { state, masterKeyCheck: parseKeyCheck(row?.value) };
  } finally {
    conn?.close();
    for (const f of created) if (existsSync(f) && (f.endsWith('-shm') || statSync(f).size === 0)) rmSync(f, { force: true });
  }
}

function inspectSqlite(file: string): StoreInspection {
  const where = describeTarget({ engine: 'sqlite', file });
  if (!existsSync(file) || statSync(file).size === 0) return { state: 'absent' };
  try {
    try {
      return readSqlite(file, where);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === undefined || !NEEDS_RECOVERY.has(code) || !existsSync(`${file}-journal`)) throw err;
      // A process died mid-write and left a hot journal: one read-write open rolls it back, as any
      // SQLite client would, and the file is then what it was before that write.
      const recovery = new SQLite(file, { fileMustExist: true });
      recovery.prepare('select count(*) from sqlite_master').get();
      recovery.close();
      return readSqlite(file, where);
    }
  } catch (err) {
    if (err instanceof StoreError) throw err;
    throw new StoreError(`${where} is not a readable SQLite database (${(err as Error).message}); the file was left untouched`);
  }
}

// int8 (counts, identities) as JS numbers: every id idcloud stores fits in 2^53.
const builtinParser = pg.types.getTypeParser as (oid: number, format?: string) => (value: string) => unknown;
const pgTypes = { getTypeParser: (oid: number, format?: string) => (oid === 20 ? (v: string) => Number(v) : builtinParser(oid, format)) };

function pgConfig(url: string): pg.PoolConfig {
  return { connectionString: url, types: pgTypes };
}

async function inspectPostgres(url: string): Promise<StoreInspection> {
  const where = describeTarget({ engine: 'postgres', url });
  const client = new pg.Client(pgConfig(url));
  try {
    await client.connect();
  } catch (err) {
    throw new StoreError(`cannot connect to ${where}: ${(err as Error).message}`);
  }
  try {
    const { rows } = await client.query<{ table_name: string }>(
      "select table_name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'",
    );
    const tables = rows.map((r) => r.table_name);
    const state = classifyTables(tables, where);
    if (state === 'empty') return { state };
    const check = tables.includes(META_TABLE)
      ? (await client.query<{ value: string }>(`select value from ${META_TABLE} where key = $1`, [MASTER_KEY_CHECK])).rows[0]
      : undefined;
    return { state, masterKeyCheck: parseKeyCheck(check?.value) };
  } finally {
    await client.end();
  }
}

export async function inspectStore(target: StoreTarget): Promise<StoreInspection> {
  return target.engine === 'sqlite' ? inspectSqlite(target.file) : inspectPostgres(target.url);
}

export function openStore(target: StoreTarget): Store {
  const location = describeTarget(target);
  if (target.engine === 'sqlite') {
    mkdirSync(join(target.file, '..'), { recursive: true, mode: 0o700 });
    // The database holds sealed secrets and user records: owner-only, and SQLite gives its -wal and -shm the same mode.
    if (!existsSync(target.file)) closeSync(openSync(target.file, 'a', 0o600));
    const conn = new SQLite(target.file);
    conn.pragma('journal_mode = WAL');
    conn.pragma('synchronous = FULL');
    conn.pragma('foreign_keys = ON');
    // Another process (the CLI while the server runs) may hold the write lock briefly.
    conn.pragma('busy_timeout = 5000');
    registerDeadline(conn);
    const db = new Kysely<Database>({ dialect: new IdcloudSqliteDialect({ database: withStatementCache(conn) }) });
    return { db, readDb: db, engine: 'sqlite', location, close: () => db.destroy() };
  }
  const pool = new pg.Pool({ ...pgConfig(target.url), max: 10 });
  // An idle client losing its connection must not crash the process; the next query reports it.
  pool.on('error', () => undefined);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const readPool = new pg.Pool({ ...pgConfig(target.url), max: 4, options: `-c statement_timeout=${SEARCH_SESSION_TIMEOUT_MS}` });
  readPool.on('error', () => undefined);
  const readDb = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new PreparingPool(readPool) }) });
  return {
    db,
    readDb,
    engine: 'postgres',
    location,
    close: async () => {
      await readDb.destroy();
      await db.destroy();
    },
  };
}
