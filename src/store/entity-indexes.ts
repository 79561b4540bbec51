// Indexes over entity documents (spec README "Storage"): every `unique` attribute gets a unique
// expression index and every `query` attribute a plain one, each limited to its entity type. The
// expression is the same one lookups use (`attributeExpression`), case-folded when the attribute is
// case-insensitive, so the database both enforces uniqueness and answers key lookups from the index.
// Attribute names are restricted to [A-Za-z0-9_] (ATTRIBUTE_NAME), the only text spliced into SQL.
import { createHash } from 'node:crypto';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { ATTRIBUTE_NAME, RESERVED_ATTRIBUTE_NAMES, type AttributeDefinition } from '../domain/schema/attribute-definition.js';
import { foldCase } from '../domain/filter/check.js';
import type { Engine } from './database.js';
import type { Database } from './schema.js';

/**
 * How a value is held in an index and compared: text in code point order (case-folded or not),
 * numbers by value, booleans as themselves. The same on both engines, so that filters, sorting and
 * unique indexes agree between SQLite and PostgreSQL.
 */
export type ExpressionKind = 'text' | 'text-ci' | 'number' | 'boolean';

export interface IndexedAttribute {
  /** slash path, e.g. /primaryAddress/zip */
  path: string;
  names: string[];
  unique: boolean;
  kind: ExpressionKind;
  indexName: string;
}

/** Attribute names checked against ATTRIBUTE_NAME: the only text of a caller's that is spliced into SQL. */
export function safeNames(names: readonly string[]): string[] {
  for (const n of names) if (!ATTRIBUTE_NAME.test(n)) throw new Error(`attribute name ${JSON.stringify(n)} cannot be indexed`);
  return [...names];
}

/**
 * The value at `names` below `base` (SQL text of a JSON document: `document` itself, or an element of
 * a plural in a filter's sub-query) as SQL of the given kind. SQLite's json_extract yields typed
 * values and BINARY order; on PostgreSQL text is taken in the "C" collation (code point order, and an
 * ASCII-only lower()), numbers as numeric, booleans as their text.
 */
export function valueExpression(engine: Engine, base: string, names: readonly string[], kind: ExpressionKind): string {
  const parts = safeNames(names);
  if (engine === 'sqlite') {
    const raw = `json_extract(${base}, '$.${parts.join('.')}')`;
    return kind === 'text-ci' ? `lower(${raw})` : raw;
  }
  const raw = `(${base} #>> '{${parts.join(',')}}')`;
  if (kind === 'text') return `(${raw} collate "C")`;
  if (kind === 'text-ci') return `lower(${raw} collate "C")`;
  if (kind === 'number') return `(${raw}::numeric)`;
  return raw;
}

/** The root document of an entity row, as valueExpression's base. */
export const documentBase = (engine: Engine): string => (engine === 'sqlite' ? 'document' : 'document::jsonb');

/** The attribute's value inside `entities.document`: the expression of its index, and of lookups that use it. */
export function attributeExpression(engine: Engine, names: readonly string[], kind: ExpressionKind): RawBuilder<unknown> {
  return sql.raw(valueExpression(engine, documentBase(engine), names, kind));
}

/** A value in the form the expression of `kind` yields on this engine (case folded in JS, as the expression folds: ASCII only). */
export function expressionValue(engine: Engine, value: string | number | boolean, kind: ExpressionKind): string | number {
  if (typeof value === 'boolean') return engine === 'sqlite' ? Number(value) : String(value);
  if (kind === 'text-ci' && typeof value === 'string') return foldCase(value);
  return value;
}

/** The expression kind an attribute definition calls for. */
export function expressionKind(def: AttributeDefinition): ExpressionKind {
  if (def.type === 'boolean') return 'boolean';
  if (def.type === 'integer' || def.type === 'decimal') return 'number';
  return def.type === 'string' && def['case-sensitive'] !== true ? 'text-ci' : 'text';
}

// The `v2` marks the typed expressions; indexes named without it are replaced on the next sync.
const indexName = (entityTypeId: number, kind: 'u' | 'q', path: string): string =>
  `ent_${entityTypeId}_${kind}_${createHash('sha256').update(`${path}|v2`).digest('hex').slice(0, 12)}`;

/** The indexes an entity type's attr_defs call for: top-level attributes and children of objects (not of plurals). */
export function indexedAttributes(entityTypeId: number, attrDefs: readonly AttributeDefinition[]): IndexedAttribute[] {
  const out: IndexedAttribute[] = [];
  const walk = (defs: readonly AttributeDefinition[], names: string[]): void => {
    for (const d of defs) {
      if (names.length === 0 && RESERVED_ATTRIBUTE_NAMES.has(d.name)) continue;
      const here = [...names, d.name];
      if (d.type === 'object') walk(d.attr_defs ?? [], here);
      if (d.type === 'object' || d.type === 'plural') continue;
      const unique = d.constraints?.includes('unique') === true;
      const query = d.features?.includes('query') === true;
      if (!unique && !query) continue;
      const path = `/${here.join('/')}`;
      const kind = expressionKind(d);
      out.push({ path, names: here, unique, kind, indexName: indexName(entityTypeId, unique ? 'u' : 'q', `${path}|${kind}`) });
    }
  };
  walk(attrDefs, []);
  return out;
}

async function existingIndexes(db: Kysely<Database>, engine: Engine, entityTypeId: number): Promise<string[]> {
  const prefix = `ent_${entityTypeId}_`;
  const rows =
    engine === 'sqlite'
      ? await sql<{ name: string }>`select name from sqlite_master where type = 'index' and tbl_name = 'entities'`.execute(db)
      : await sql<{ name: string }>`select indexname as name from pg_indexes where tablename = 'entities' and schemaname = current_schema()`.execute(db);
  return rows.rows.map((r) => r.name).filter((n) => n.startsWith(prefix));
}

/** Records that share a value of a would-be unique attribute (for the error that refuses the constraint). */
export async function findDuplicates(db: Kysely<Database>, engine: Engine, entityTypeId: number, attr: IndexedAttribute, limit = 20): Promise<{ id: number; uuid: string }[]> {
  const expr = attributeExpression(engine, attr.names, attr.kind);
  const rows = await sql<{ id: number; uuid: string }>`
    select e.id, e.uuid from entities e
    where e.entity_type_id = ${entityTypeId} and ${expr} in (
      select ${expr} from entities where entity_type_id = ${entityTypeId} and ${expr} is not null group by ${expr} having count(*) > 1)
    order by e.id limit ${limit}`.execute(db);
  return rows.rows.map((r) => ({ id: Number(r.id), uuid: r.uuid }));
}

export class DuplicateValues extends Error {
  override name = 'DuplicateValues';
  constructor(readonly attribute: IndexedAttribute, readonly records: { id: number; uuid: string }[]) {
    super(`${attribute.path} holds duplicate values`);
  }
}

/**
 * Brings the database's indexes for one entity type in line with its attr_defs: drops those no longer
 * wanted, creates the missing ones. A unique index over data that violates it is refused with the
 * offending records (DuplicateValues) before any DDL runs. Run inside the schema change's transaction.
 */
export async function syncEntityIndexes(db: Kysely<Database>, engine: Engine, entityTypeId: number, attrDefs: readonly AttributeDefinition[]): Promise<void> {
  const wanted = indexedAttributes(entityTypeId, attrDefs);
  const have = await existingIndexes(db, engine, entityTypeId);
  for (const attr of wanted) {
    if (!attr.unique || have.includes(attr.indexName)) continue;
    const dupes = await findDuplicates(db, engine, entityTypeId, attr);
    if (dupes.length > 0) throw new DuplicateValues(attr, dupes);
  }
  for (const name of have) if (!wanted.some((w) => w.indexName === name)) await sql`drop index ${sql.id(name)}`.execute(db);
  for (const attr of wanted) {
    if (have.includes(attr.indexName)) continue;
    const expr = attributeExpression(engine, attr.names, attr.kind);
    const unique = attr.unique ? sql.raw('unique ') : sql.raw('');
    // Nulls first on PostgreSQL too (its default is last), so the index also serves sorted finds.
    const nulls = sql.raw(engine === 'postgres' ? ' nulls first' : '');
    await sql`create ${unique}index ${sql.id(attr.indexName)} on entities ((${expr})${nulls}) where entity_type_id = ${sql.lit(entityTypeId)}`.execute(db);
  }
}

/** Drops every index of an entity type (when the type is deleted). */
export async function dropEntityIndexes(db: Kysely<Database>, engine: Engine, entityTypeId: number): Promise<void> {
  for (const name of await existingIndexes(db, engine, entityTypeId)) await sql`drop index ${sql.id(name)}`.execute(db);
}

/** The unique attribute behind a unique-violation error from either engine, if the error is one. */
export function uniqueViolationOf(err: unknown, entityTypeId: number, attrDefs: readonly AttributeDefinition[]): IndexedAttribute | 'uuid' | null {
  if (typeof err !== 'object' || err === null) return null;
  const e = err as { code?: unknown; constraint?: unknown; message?: unknown };
  let name: string | null = null;
  if (e.code === '23505' && typeof e.constraint === 'string') name = e.constraint;
  else if (e.code === 'SQLITE_CONSTRAINT_UNIQUE' && typeof e.message === 'string') name = /index '([^']+)'/.exec(e.message)?.[1] ?? (e.message.includes('entities.uuid') ? 'uuid' : null);
  if (name === null) return null;
  if (name === 'uuid' || name.includes('uuid')) return 'uuid';
  return indexedAttributes(entityTypeId, attrDefs).find((a) => a.indexName === name) ?? null;
}
