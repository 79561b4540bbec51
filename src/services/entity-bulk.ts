// Records in bulk (spec capture-api §3.5, §3.10): entity.bulkCreate, entity.bulkDelete and
// entity.purge. Records are checked exactly as entity.create checks them, then written many rows per
// statement. bulkCreate also takes what a migration brings: original `uuid`, `created` and
// `lastUpdated`, and password hashes made elsewhere (docs/entities.md "Bulk import").
import { randomUUID } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import { checkWritable } from '../domain/access-schema.js';
import type { AttributeDefinition } from '../domain/schema/attribute-definition.js';
import { DataError } from '../domain/schema/data-error.js';
import { createDocument, getAt, setAt, type Doc } from '../domain/schema/record.js';
import { recordToStoredTimestamp, UUID } from '../domain/schema/values.js';
import { importHash } from '../security/imported-passwords.js';
import { hashPassword } from '../security/passwords.js';
import { nowTimestamp } from '../store/clock.js';
import { deleteEntities, entitiesById, insertEntities, matchingEntityIds, type NewEntity } from '../store/repositories/entities.js';
import { fileEntityVersions } from '../store/repositories/entity-versions.js';
import type { Database } from '../store/schema.js';
import type { EntityCaller, EntityService, EntityContext } from './entities.js';
import type { EntitySearchService } from './entity-search.js';
import type { LoadedEntityType } from './entity-type-directory.js';

/** Records per entity.bulkCreate call; a larger call is refused whole (what migration tools send: ≤ 2000). */
export const BULK_CREATE_LIMIT = 2000;
/** Rows per INSERT statement. */
const INSERT_CHUNK = 250;
/** Records deleted per statement by bulkDelete and purge. */
const DELETE_CHUNK = 500;


/** Each record's outcome, in input order: its id and uuid, or why it was not created. */
export type BulkOutcome = { id: number; uuid: string } | { error: DataError };

interface Prepared {
  index: number;
  row: NewEntity;
  touched: ReadonlySet<string>;
}

/** Passwords given as hashes made elsewhere: replaced by their stored form, remembered so they are not hashed again. */
function takeImportedHashes(attrDefs: readonly AttributeDefinition[], input: Doc, imported: Set<string>, path: string): Doc {
  const out: Doc = { ...input };
  for (const def of attrDefs) {
    const value = out[def.name];
    const here = `${path}/${def.name}`;
    if (def.type === 'password' && value !== null && value !== undefined) {
      const result = importHash(value);
      if ('stored' in result) {
        out[def.name] = result.stored;
        imported.add(result.stored);
      } else if (typeof value !== 'string') {
        throw new DataError(340, `${here}: ${result.error}`, here);
      }
    } else if (def.type === 'object' && typeof value === 'object' && value !== null && !Array.isArray(value)) {
      out[def.name] = takeImportedHashes(def.attr_defs ?? [], value as Doc, imported, here);
    } else if (def.type === 'plural' && Array.isArray(value)) {
      out[def.name] = (value as unknown[]).map((e) => (typeof e === 'object' && e !== null && !Array.isArray(e) ? takeImportedHashes(def.attr_defs ?? [], e as Doc, imported, here) : e));
    }
  }
  return out;
}

function timestampOf(value: unknown, name: string, fallback: string): string {
  if (value === undefined || value === null) return fallback;
  const stored = typeof value === 'string' ? recordToStoredTimestamp(value) : null;
  if (stored === null) throw new DataError(342, `/${name}: ${JSON.stringify(value)} is not a timestamp such as 2016-03-13 19:39:17.856608 +0000`, `/${name}`);
  return stored;
}

export class EntityBulkService {
  constructor(
    private readonly ctx: EntityContext,
    private readonly entities: EntityService,
    private readonly search: EntitySearchService,
  ) {}

  /** One record of a bulk create, checked and with its passwords sealed; DataError when it cannot be created. */
  private async prepare(loaded: LoadedEntityType, input: unknown, index: number, now: string): Promise<Prepared> {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new DataError(200, 'all_attributes was not valid for the following reason: each record must be a JSON object', undefined, 'all_attributes');
    const { uuid, created, lastUpdated, ...attributes } = input as Doc;
    if (uuid !== undefined && (typeof uuid !== 'string' || !UUID.test(uuid))) throw new DataError(340, '/uuid: must be a UUID (8-4-4-4-12 hexadecimal digits)', '/uuid');
    const createdAt = timestampOf(created, 'created', now);
    const updatedAt = timestampOf(lastUpdated, 'lastUpdated', created === undefined ? now : createdAt);
    if (updatedAt < createdAt) throw new DataError(342, '/lastUpdated: must not be earlier than created', '/lastUpdated');
    const imported = new Set<string>();
    const withHashes = takeImportedHashes(loaded.type.attrDefs, attributes, imported, '');
    let seq = 0;
    const outcome = createDocument(loaded.model, withHashes, { now: new Date(), nextElementId: () => (seq += 1) }, 'all_attributes');
    for (const loc of outcome.passwords) {
      const value = getAt(outcome.document, loc);
      if (typeof value === 'string' && !imported.has(value)) setAt(outcome.document, loc, await hashPassword(value));
    }
    return {
      index,
      touched: outcome.touched,
      row: { uuid: typeof uuid === 'string' ? uuid.toLowerCase() : randomUUID(), created: createdAt, lastUpdated: updatedAt, document: outcome.document, elementSeq: seq, passwordHistory: null },
    };
  }

  /**
   * entity.bulkCreate. commitEach: every good record is created and each bad one answered in place;
   * otherwise all or nothing (the first problem is thrown, nothing is written).
   */
  async bulkCreate(caller: EntityCaller, loaded: LoadedEntityType, records: unknown, commitEach: boolean): Promise<BulkOutcome[]> {
    if (!Array.isArray(records)) throw new DataError(200, 'all_attributes was not valid for the following reason: must be a JSON array of record objects', undefined, 'all_attributes');
    if (records.length > BULK_CREATE_LIMIT) throw new DataError(200, `all_attributes was not valid for the following reason: at most ${BULK_CREATE_LIMIT} records per call (this call has ${records.length})`, undefined, 'all_attributes');
    return this.entities.retrying(loaded, 'bulk create', async (current) => {
      const outcomes: BulkOutcome[] = new Array<BulkOutcome>(records.length);
      const schema = await this.entities.writeSchema(caller, current);
      const now = nowTimestamp();
      const settled = await Promise.allSettled((records as unknown[]).map((r, i) => this.prepare(current, r, i, now)));
      const good: Prepared[] = [];
      for (const [i, s] of settled.entries()) {
        let error: unknown = s.status === 'rejected' ? s.reason : null;
        if (s.status === 'fulfilled') {
          try {
            checkWritable(schema, s.value.touched);
            good.push(s.value);
          } catch (err) {
            error = err;
          }
        }
        if (error === null) continue;
        if (!(error instanceof DataError)) throw error instanceof Error ? error : new Error('bulk create failed', { cause: error });
        if (!commitEach) throw atRecord(error, i);
        outcomes[i] = { error };
      }
      await this.entities.withinType(current, async (trx) => {
        for (let start = 0; start < good.length; start += INSERT_CHUNK) {
          const chunk = good.slice(start, start + INSERT_CHUNK);
          if (!commitEach) {
            try {
              await this.insert(trx, current, chunk, outcomes);
            } catch (err) {
              throw this.entities.uniqueViolation(err, current) ? this.firstDuplicate(err, current, chunk) : err;
            }
            continue;
          }
          await this.insertEach(trx, current, chunk, outcomes);
        }
      });
      return outcomes;
    });
  }

  private async insert(trx: Transaction<Database>, loaded: LoadedEntityType, chunk: readonly Prepared[], outcomes: BulkOutcome[]): Promise<void> {
    const ids = await insertEntities(trx, loaded.type.id, chunk.map((p) => p.row));
    for (const [k, p] of chunk.entries()) {
      const id = ids[k] ?? 0;
      outcomes[p.index] = { id, uuid: p.row.uuid };
      await this.entities.notify(trx, { kind: 'created', entityTypeId: loaded.type.id, entityId: id, uuid: p.row.uuid });
    }
  }

  /** A chunk at once if it can; else record by record, each in its own savepoint, so one duplicate fails alone. */
  private async insertEach(trx: Transaction<Database>, loaded: LoadedEntityType, chunk: readonly Prepared[], outcomes: BulkOutcome[]): Promise<void> {
    const attempt = async (rows: readonly Prepared[]): Promise<DataError | null> => {
      await savepoint(trx, 'begin');
      try {
        await this.insert(trx, loaded, rows, outcomes);
        await savepoint(trx, 'release');
        return null;
      } catch (err) {
        await savepoint(trx, 'rollback');
        const violation = this.entities.uniqueViolation(err, loaded);
        if (violation === null) throw err;
        return violation;
      }
    };
    if ((await attempt(chunk)) === null) return;
    for (const p of chunk) {
      const violation = await attempt([p]);
      if (violation !== null) outcomes[p.index] = { error: violation };
    }
  }

  /** For all-or-nothing: which record broke a unique constraint (the chunk is tried again row by row, then rolled back with the rest). */
  private firstDuplicate(err: unknown, loaded: LoadedEntityType, chunk: readonly Prepared[]): DataError {
    const violation = this.entities.uniqueViolation(err, loaded) ?? new DataError(361, 'Attempted to update a duplicate value');
    const first = chunk[0];
    return first === undefined ? violation : new DataError(violation.code, `${violation.message} (in all_attributes, records ${first.index + 1}-${first.index + chunk.length}; nothing was created)`, violation.attribute);
  }

  /**
   * entity.bulkDelete: the records a filter matches. Without commit, nothing is deleted and the count
   * says how many would be. Each deleted record's last state is kept for /versions/entity.
   */
  async bulkDelete(caller: EntityCaller, loaded: LoadedEntityType, filter: string | undefined, commit: boolean, timeoutSeconds: number): Promise<number> {
    const condition = await this.search.condition(caller, loaded, filter);
    const engine = this.ctx.store.engine;
    if (!commit) return this.search.countWhere(loaded, condition, timeoutSeconds);
    // Deleting a record removes every attribute: a client limited to some may not do it.
    checkWritable(await this.entities.writeSchema(caller, loaded), new Set(loaded.type.attrDefs.map((d) => `/${d.name}`)));
    return this.entities.withinType(loaded, async (trx) => {
      const matched = await this.search.timed(timeoutSeconds, () => matchingEntityIds(trx, engine, { entityTypeId: loaded.type.id, condition, deadline: Date.now() + timeoutSeconds * 1000 }));
      const now = nowTimestamp();
      let deleted = 0;
      for (let start = 0; start < matched.length; start += DELETE_CHUNK) {
        const rows = await entitiesById(trx, engine, matched.slice(start, start + DELETE_CHUNK).map((m) => m.id));
        await fileEntityVersions(trx, rows, now, 'delete');
        deleted += await deleteEntities(trx, rows.map((r) => r.id));
        for (const r of rows) await this.entities.notify(trx, { kind: 'deleted', entityTypeId: loaded.type.id, entityId: r.id, uuid: r.uuid });
      }
      return deleted;
    });
  }
}

async function savepoint(trx: Transaction<Database>, step: 'begin' | 'release' | 'rollback'): Promise<void> {
  if (step === 'begin') await sql`savepoint bulk_row`.execute(trx);
  else if (step === 'release') await sql`release savepoint bulk_row`.execute(trx);
  else {
    await sql`rollback to savepoint bulk_row`.execute(trx);
    await sql`release savepoint bulk_row`.execute(trx);
  }
}

/** A record's problem in an all-or-nothing bulk create, naming the record. */
function atRecord(err: DataError, index: number): DataError {
  return new DataError(err.code, `all_attributes[${index}]: ${err.message}; nothing was created`, err.attribute, err.argument);
}
