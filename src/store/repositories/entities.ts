// Entity records: one row each, the reserved attributes as columns and the rest as a JSON document.
import { sql, type CompiledQuery, type Kysely, type RawBuilder, type SqlBool } from 'kysely';
import type { Condition } from '../../domain/filter/check.js';
import { QueryTimeout, SEARCH_SESSION_TIMEOUT_MS, type Engine, type Store } from '../database.js';
import { attributeExpression, expressionValue, type ExpressionKind } from '../entity-indexes.js';
import { filterShape, filterSql, filterValues, sortShape, sortSql, type SortKey } from '../filter-sql.js';
import type { Database } from '../schema.js';
import { ShapedStatements } from '../shaped-statements.js';

/** Record lookups and searches, compiled once per shape (see shaped-statements.ts). */
const statements = new ShapedStatements();

export interface EntityRow {
  id: number;
  entityTypeId: number;
  uuid: string;
  /** stored-timestamp form */
  created: string;
  lastUpdated: string;
  document: Record<string, unknown>;
  revision: number;
  elementSeq: number;
  passwordHistory: string[];
}

/** What a reader's view of a record is made from: the reserved columns and the document (searches read only these). */
export type RecordRow = Pick<EntityRow, 'id' | 'uuid' | 'created' | 'lastUpdated' | 'document'>;

/** The columns of a RecordRow. */
const RECORD_COLUMNS = ['id', 'uuid', 'created', 'last_updated', 'document'] as const;

/** How a caller names one record (spec §0 "Record selector"). */
export type EntitySelector =
  | { by: 'id'; id: number }
  | { by: 'uuid'; uuid: string }
  | { by: 'attribute'; names: string[]; value: string | number | boolean; kind: ExpressionKind };

interface Row {
  id: number;
  entity_type_id: number;
  uuid: string;
  created: string;
  last_updated: string;
  document: string;
  revision: number;
  element_seq: number;
  password_history: string | null;
}

function toRecord(r: Pick<Row, (typeof RECORD_COLUMNS)[number]>): RecordRow {
  return { id: Number(r.id), uuid: r.uuid, created: r.created, lastUpdated: r.last_updated, document: JSON.parse(r.document) as Record<string, unknown> };
}

function toEntity(r: Row): EntityRow {
  return {
    ...toRecord(r),
    entityTypeId: Number(r.entity_type_id),
    revision: Number(r.revision),
    elementSeq: Number(r.element_seq),
    passwordHistory: r.password_history === null ? [] : (JSON.parse(r.password_history) as string[]),
  };
}

/** `forUpdate`: lock the row until the transaction ends (PostgreSQL; SQLite runs one writer at a time). */
export async function findEntity(db: Kysely<Database>, engine: Engine, entityTypeId: number, selector: EntitySelector, forUpdate = false): Promise<EntityRow | null> {
  const lock = forUpdate && engine === 'postgres';
  const build = (): CompiledQuery => {
    // The type id is a literal so that SQLite and PostgreSQL can use the per-type partial indexes.
    let q = db.selectFrom('entities').selectAll().where(sql<boolean>`entity_type_id = ${sql.lit(entityTypeId)}`);
    if (selector.by === 'id') q = q.where('id', '=', selector.id);
    else if (selector.by === 'uuid') q = q.where('uuid', '=', selector.uuid);
    else q = q.where(attributeExpression(engine, selector.names, selector.kind), '=', expressionValue(engine, selector.value, selector.kind));
    if (lock) q = q.forUpdate();
    // Every selector names a unique column or index; a bound LIMIT would double SQLite's cost of this query.
    return q.compile();
  };
  const [shape, value] =
    selector.by === 'id' ? ['id', selector.id]
    : selector.by === 'uuid' ? ['uuid', selector.uuid]
    : [`${selector.kind}:${selector.names.join('.')}`, expressionValue(engine, selector.value, selector.kind)];
  const query = statements.query(`entity|${engine}|${entityTypeId}|${shape}|${lock ? 'lock' : ''}`, [value], build);
  const row = (await db.executeQuery<Row>(query)).rows[0];
  return row ? toEntity(row) : null;
}

export async function insertEntity(
  db: Kysely<Database>,
  input: { entityTypeId: number; uuid: string; now: string; document: Record<string, unknown>; elementSeq: number; passwordHistory: string[] | null },
): Promise<number> {
  const row = await db
    .insertInto('entities')
    .values({
      entity_type_id: input.entityTypeId,
      uuid: input.uuid,
      created: input.now,
      last_updated: input.now,
      document: JSON.stringify(input.document),
      element_seq: input.elementSeq,
      password_history: input.passwordHistory === null ? null : JSON.stringify(input.passwordHistory),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

export interface NewEntity {
  uuid: string;
  /** stored timestamp form */
  created: string;
  lastUpdated: string;
  document: Record<string, unknown>;
  elementSeq: number;
  passwordHistory: string[] | null;
}

/** Inserts records in one statement; answers their ids in the order given. */
export async function insertEntities(db: Kysely<Database>, entityTypeId: number, rows: readonly NewEntity[]): Promise<number[]> {
  if (rows.length === 0) return [];
  const inserted = await db
    .insertInto('entities')
    .values(rows.map((r) => ({
      entity_type_id: entityTypeId,
      uuid: r.uuid,
      created: r.created,
      last_updated: r.lastUpdated,
      document: JSON.stringify(r.document),
      element_seq: r.elementSeq,
      password_history: r.passwordHistory === null ? null : JSON.stringify(r.passwordHistory),
    })))
    .returning(['id', 'uuid'])
    .execute();
  // RETURNING order is not promised by SQL; match by uuid.
  const ids = new Map(inserted.map((r) => [r.uuid, Number(r.id)]));
  return rows.map((r) => ids.get(r.uuid) ?? 0);
}

/** Deletes records by id; answers how many went. */
export async function deleteEntities(db: Kysely<Database>, ids: readonly number[]): Promise<number> {
  if (ids.length === 0) return 0;
  const result = await db.deleteFrom('entities').where('id', 'in', ids).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Whole rows of the given ids, locked for the transaction on PostgreSQL. */
export async function entitiesById(db: Kysely<Database>, engine: Engine, ids: readonly number[]): Promise<EntityRow[]> {
  if (ids.length === 0) return [];
  let q = db.selectFrom('entities').selectAll().where('id', 'in', ids);
  if (engine === 'postgres') q = q.forUpdate();
  return (await q.execute()).map(toEntity);
}

/**
 * Writes a record's new state if it still is the revision the writer read: true when written, false
 * when another writer got there first.
 */
export async function updateEntity(
  db: Kysely<Database>,
  id: number,
  expectedRevision: number,
  next: { lastUpdated: string; document: Record<string, unknown>; elementSeq: number; passwordHistory: string[] | null },
): Promise<boolean> {
  const result = await db
    .updateTable('entities')
    .set({
      last_updated: next.lastUpdated,
      document: JSON.stringify(next.document),
      element_seq: next.elementSeq,
      revision: expectedRevision + 1,
      password_history: next.passwordHistory === null ? null : JSON.stringify(next.passwordHistory),
    })
    .where('id', '=', id)
    .where('revision', '=', expectedRevision)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function deleteEntity(db: Kysely<Database>, id: number): Promise<boolean> {
  const result = await db.deleteFrom('entities').where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}

/** Records of a type in id order, a page at a time (for schema changes that rewrite documents). */
export async function entityPage(db: Kysely<Database>, entityTypeId: number, afterId: number, limit: number): Promise<EntityRow[]> {
  const rows = await db.selectFrom('entities').selectAll().where('entity_type_id', '=', entityTypeId).where('id', '>', afterId).orderBy('id').limit(literalLimit(limit)).execute();
  return rows.map(toEntity);
}

/** Replaces a record's document without touching its version (schema changes are not record writes). */
export async function rewriteDocument(db: Kysely<Database>, id: number, document: Record<string, unknown>): Promise<void> {
  // A new revision, so that a record write computed from the old document starts again.
  await db.updateTable('entities').set((eb) => ({ document: JSON.stringify(document), revision: eb('revision', '+', 1) })).where('id', '=', id).execute();
}

/** A search over one entity type's records (entity.find / entity.count). */
export interface EntitySearch {
  entityTypeId: number;
  /** a checked filter; null = every record */
  condition: Condition | null;
  /** a further condition written in SQL (never kept per shape) */
  sqlCondition?: RawBuilder<SqlBool>;
  /** null or absent = no order (the cheapest) */
  order?: readonly SortKey[] | null;
  limit?: number;
  offset?: number;
  /** epoch milliseconds after which the database stops the query (QueryTimeout) */
  deadline: number;
}

function isTimeout(err: unknown): boolean {
  if (err instanceof QueryTimeout) return true;
  const e = err as { code?: unknown; name?: unknown } | null;
  // 57014 query_canceled: PostgreSQL's statement_timeout.
  return typeof e === 'object' && e !== null && (e.code === '57014' || e.name === 'QueryTimeout');
}

/** A condition that stops a statement at its deadline (built only when a query is compiled), and the values it binds. */
interface DeadlineCheck {
  sql: () => RawBuilder<SqlBool>;
  values: unknown[];
}

/**
 * Runs a read with a deadline. SQLite: the WHERE clause calls idcloud_deadline now and then (about
 * one row in 1024 examined, so the check costs little). PostgreSQL: statement_timeout, set for this
 * one query on its connection (`begin; set local` in one round trip).
 */
async function withDeadline<T>(
  db: Kysely<Database>,
  engine: Engine,
  deadline: number,
  run: (db: Kysely<Database>, check: DeadlineCheck | null) => Promise<T>,
  sessionTimeoutMs: number | null = null,
): Promise<T> {
  try {
    if (engine === 'sqlite') return await run(db, { sql: () => sql<SqlBool>`(random() & 1023 <> 0 or idcloud_deadline(${deadline}))`, values: [deadline] });
    const ms = Math.max(1, Math.ceil(deadline - Date.now()));
    // The session stops statements anyway after about as long (the longest timeout, 60 s, asked a
    // moment ago): no transaction needed, one round trip instead of three.
    if (!db.isTransaction && sessionTimeoutMs !== null && ms > sessionTimeoutMs - 1000) return await run(db, null);
    if (db.isTransaction) {
      // Inside a caller's transaction (bulk delete): the deadline covers this query, then goes.
      await sql.raw(`set local statement_timeout = ${ms}`).execute(db);
      const result = await run(db, null);
      await sql.raw('set local statement_timeout to default').execute(db);
      return result;
    }
    return await db.connection().execute(async (conn) => {
      await sql.raw(`begin; set local statement_timeout = ${ms}`).execute(conn);
      try {
        const result = await run(conn, null);
        await sql.raw('commit').execute(conn);
        return result;
      } catch (err) {
        await sql.raw('rollback').execute(conn);
        throw err;
      }
    });
  } catch (err) {
    if (isTimeout(err)) throw new QueryTimeout('the query ran past its deadline');
    throw err;
  }
}

/**
 * A row limit written into the SQL rather than bound: with `LIMIT ?` SQLite's plan for an indexed
 * lookup ran three times slower (6 → 20 µs for a one-row find); the value is a checked integer.
 */
function literalLimit(n: number): RawBuilder<number> {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`a row limit must be a whole number, got ${n}`);
  return sql.lit(n);
}

function searchBase(db: Kysely<Database>, engine: Engine, s: EntitySearch, check: DeadlineCheck | null) {
  // The type id is a literal so that the per-type partial indexes apply.
  let q = db.selectFrom('entities').where(sql<boolean>`entity_type_id = ${sql.lit(s.entityTypeId)}`);
  if (s.condition) q = q.where(filterSql(engine, s.condition));
  if (s.sqlCondition) q = q.where(s.sqlCondition);
  if (check) q = q.where(check.sql());
  return q;
}

/**
 * A search's query: kept per shape unless it carries SQL of its own. The values are bound in the order
 * searchBase writes them (the filter's, the deadline check's), then `extra` (paging).
 */
function searchQuery(engine: Engine, operation: string, s: EntitySearch, check: DeadlineCheck | null, extra: readonly unknown[], build: () => CompiledQuery): CompiledQuery {
  if (s.sqlCondition) return build();
  const key = [operation, engine, s.entityTypeId, s.condition ? filterShape(s.condition) : '', check ? 'deadline' : ''].join('|');
  const values = s.condition ? filterValues(engine, s.condition) : [];
  if (check) values.push(...check.values);
  return statements.query(key, [...values, ...extra], build);
}

/**
 * On the store's read connections (see Store.readDb). Only the columns a reader's view needs (SQLite,
 * 100 rows as the driver's row objects: 180 µs with all nine columns, 123 µs with these five).
 */
export async function searchEntities(store: Store, s: EntitySearch): Promise<RecordRow[]> {
  const { engine } = store;
  return withDeadline(store.readDb, engine, s.deadline, async (conn, check) => {
    const order = s.order ?? null;
    const offset = s.offset ? [s.offset] : [];
    const operation = `find[${order ? sortShape(order) : 'unordered'}|${s.limit ?? ''}|${offset.length}]`;
    const query = searchQuery(engine, operation, s, check, offset, () => {
      let q = searchBase(conn, engine, s, check).select(RECORD_COLUMNS);
      for (const term of order ? sortSql(engine, order) : []) q = q.orderBy(term);
      if (s.limit !== undefined) q = q.limit(literalLimit(s.limit));
      if (s.offset) q = q.offset(s.offset);
      return q.compile();
    });
    return (await conn.executeQuery<Pick<Row, (typeof RECORD_COLUMNS)[number]>>(query)).rows.map(toRecord);
  }, searchSessionTimeout(store));
}

export async function countEntities(store: Store, s: EntitySearch): Promise<number> {
  const { engine } = store;
  return withDeadline(store.readDb, engine, s.deadline, async (conn, check) => {
    const query = searchQuery(engine, 'count', s, check, [], () => searchBase(conn, engine, s, check).select((eb) => eb.fn.countAll<number>().as('n')).compile());
    const row = (await conn.executeQuery<{ n: number | string | bigint }>(query)).rows[0];
    return Number(row?.n ?? 0);
  }, searchSessionTimeout(store));
}

const searchSessionTimeout = (store: Store): number | null => (store.engine === 'postgres' ? SEARCH_SESSION_TIMEOUT_MS : null);

/** Ids and uuids of the records a search matches, in id order (for bulk deletes). */
export async function matchingEntityIds(db: Kysely<Database>, engine: Engine, s: EntitySearch): Promise<{ id: number; uuid: string }[]> {
  return withDeadline(db, engine, s.deadline, async (conn, check) => {
    const rows = await searchBase(conn, engine, s, check).select(['id', 'uuid']).orderBy('id').execute();
    return rows.map((r) => ({ id: Number(r.id), uuid: r.uuid }));
  });
}

/** Which of these uuids are records of the type. */
export async function existingUuids(db: Kysely<Database>, entityTypeId: number, uuids: readonly string[]): Promise<Set<string>> {
  if (uuids.length === 0) return new Set();
  const rows = await db.selectFrom('entities').select('uuid').where('entity_type_id', '=', entityTypeId).where('uuid', 'in', uuids).execute();
  return new Set(rows.map((r) => r.uuid));
}
