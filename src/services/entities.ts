// Reading and writing records (spec capture-api §3). Every response that carries record data is
// built by `presentWith` (the one place read access schemas apply, behind present and presentAll)
// and every write goes through `commit` (the one place write access schemas apply), whichever API,
// credential or selector the call used.
import { randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { AccessSchema, accessTypeFor, checkWritable } from '../domain/access-schema.js';
import type { Feature } from '../domain/features.js';
import { DataError } from '../domain/schema/data-error.js';
import { findAttribute, formatAttributePath, parseAttributePath, type PathSegment } from '../domain/schema/paths.js';
import { createDocument, deletePluralElement, getAt, renderRecord, setAt, valueAt, writeDocument, type Doc, type WriteOutcome } from '../domain/schema/record.js';
import { normalizeValue, recordToStoredTimestamp, storedToRecordTimestamp, UUID } from '../domain/schema/values.js';
import type { AppContext } from '../context.js';

/** What record reads and writes need: the database and the entity type cache (the CLI builds just this). */
export type EntityContext = Pick<AppContext, 'store' | 'entityTypes'>;
import { hashPassword, needsUpgrade, verifyPassword } from '../security/passwords.js';
import { nowTimestamp } from '../store/clock.js';
import { indexedAttributes, uniqueViolationOf } from '../store/entity-indexes.js';
import { deleteEntity, findEntity, insertEntity, updateEntity, type EntityRow, type EntitySelector, type RecordRow } from '../store/repositories/entities.js';
import { lockEntityType } from '../store/repositories/entity-types.js';
import { fileEntityVersion } from '../store/repositories/entity-versions.js';
import type { Database } from '../store/schema.js';
import type { LoadedEntityType } from './entity-type-directory.js';
import { unknownEntityType } from './entity-types.js';

/** Who is acting: the client whose access schemas apply, and whether it acts through a user token. */
export interface EntityCaller {
  applicationId: string;
  clientId: string;
  features: ReadonlySet<Feature>;
  withToken: boolean;
}

/** Which record: named by the caller, or the one a user token is bound to. */
export type RecordRef =
  | { kind: 'selector'; uuid?: string | undefined; id?: string | undefined; keyAttribute?: string | undefined; keyValue?: string | undefined }
  | { kind: 'bound'; entityId: number };

/** Compare-and-set guards (spec §10): the caller's idea of the record's timestamps. */
export interface Guards {
  created?: string | undefined;
  lastUpdated?: string | undefined;
}

/** What happened to a record, inside the transaction that did it (webhook events hang off this). */
export interface EntityChange {
  kind: 'created' | 'updated' | 'deleted';
  entityTypeId: number;
  entityId: number;
  uuid: string;
}
export type EntityChangeHook = (trx: Transaction<Database>, change: EntityChange) => Promise<void>;

/** The record changed between an optimistic write's read and its write. */
class RecordChanged extends Error {
  override name = 'RecordChanged';
}

/** The entity type changed after the write read it; the write is computed again. */
class StaleEntityType extends Error {
  override name = 'StaleEntityType';
}

const MAX_WRITE_ATTEMPTS = 5;

/** Code 200 on `argument`, in the API's wording. */
export function invalid(argument: string, reason: string): DataError {
  return new DataError(200, `${argument} was not valid for the following reason: ${reason}`, undefined, argument);
}

/**
 * Records as a reader with read access schema `schema` (null: full access) sees them: rendered, then
 * cut to the schema. EntityService.presentAll, and searches, which look the schema up once a call.
 */
export function presentWith(loaded: LoadedEntityType, rows: readonly RecordRow[], schema: AccessSchema | null): Doc[] {
  return rows.map((row) => {
    const record = renderRecord(loaded.model, row.document, {
      id: row.id,
      uuid: row.uuid,
      created: storedToRecordTimestamp(row.created),
      lastUpdated: storedToRecordTimestamp(row.lastUpdated),
    });
    return schema ? schema.filterRecord(record) : record;
  });
}

export class EntityService {
  constructor(
    private readonly ctx: EntityContext,
    private readonly onChange: EntityChangeHook = () => Promise.resolve(),
  ) {}

  async entityType(applicationId: string, typeName: string | undefined): Promise<LoadedEntityType> {
    if (typeName === undefined || typeName === '') throw new DataError(100, 'missing required argument: type_name', undefined, 'type_name');
    const loaded = await this.ctx.entityTypes.entityType(applicationId, typeName);
    if (!loaded) throw unknownEntityType(typeName);
    return loaded;
  }

  /** Turns a selector into a lookup: exactly one of uuid, id, key_attribute + key_value. */
  selector(loaded: LoadedEntityType, ref: Extract<RecordRef, { kind: 'selector' }>): EntitySelector {
    const given = (['uuid', 'id', 'key_attribute'] as const).filter((k) => (k === 'key_attribute' ? ref.keyAttribute : ref[k]) !== undefined);
    if (given.length > 1) throw new DataError(201, `these arguments cannot be used together: ${given.join(', ')}`, undefined, given.join(','));
    if (ref.uuid !== undefined) {
      if (!UUID.test(ref.uuid)) throw invalid('uuid', 'invalid uuid');
      return { by: 'uuid', uuid: ref.uuid.toLowerCase() };
    }
    if (ref.id !== undefined) {
      if (!/^\d{1,15}$/.test(ref.id)) throw invalid('id', 'must be a record id (a positive integer)');
      return { by: 'id', id: Number(ref.id) };
    }
    if (ref.keyAttribute !== undefined) {
      if (ref.keyValue === undefined) throw new DataError(100, 'missing required argument: key_value', undefined, 'key_value');
      let value: unknown;
      try {
        value = JSON.parse(ref.keyValue) as unknown;
      } catch {
        throw invalid('key_value', 'must be a JSON literal; strings are quoted, e.g. "a@example.com"');
      }
      const segments = parseAttributePath(ref.keyAttribute, 'key_attribute');
      const path = formatAttributePath(segments);
      if (path === '/id' || path === '/uuid') return this.selector(loaded, { kind: 'selector', [path.slice(1)]: typeof value === 'string' ? value : JSON.stringify(value) });
      const def = findAttribute(loaded.type.attrDefs, segments);
      if (!def) throw new DataError(223, `attribute does not exist: ${path}`, path);
      const indexed = indexedAttributes(loaded.type.id, loaded.type.attrDefs).find((a) => a.path === path && a.unique);
      if (!indexed) throw invalid('key_attribute', `${path} is not a unique attribute`);
      const normalized = normalizeValue(def, value, path);
      if (typeof normalized !== 'string' && typeof normalized !== 'number' && typeof normalized !== 'boolean') throw invalid('key_value', 'must be a string, number or boolean');
      return { by: 'attribute', names: indexed.names, value: normalized, kind: indexed.kind };
    }
    throw new DataError(100, 'missing required argument: uuid, id or key_attribute', undefined, 'uuid');
  }

  private async find(db: Kysely<Database>, loaded: LoadedEntityType, ref: RecordRef, forUpdate = false): Promise<EntityRow> {
    const selector: EntitySelector = ref.kind === 'bound' ? { by: 'id', id: ref.entityId } : this.selector(loaded, ref);
    const row = await findEntity(db, this.ctx.store.engine, loaded.type.id, selector, forUpdate);
    if (!row) throw new DataError(310, 'record not found');
    return row;
  }

  /** The record a call names, checked against its guards; exposed for the access-token operations. */
  async findRecord(loaded: LoadedEntityType, ref: RecordRef, guards: Guards = {}): Promise<EntityRow> {
    const row = await this.find(this.ctx.store.readDb, loaded, ref);
    checkGuards(row, guards);
    return row;
  }

  /** The one place record data leaves the service: rendered, then cut to the caller's read access schema. */
  async present(loaded: LoadedEntityType, row: RecordRow, caller: EntityCaller): Promise<Doc> {
    return (await this.presentAll(loaded, [row], caller))[0] as Doc;
  }

  /** `present` for many rows of one type (the access schema is looked up once). */
  async presentAll(loaded: LoadedEntityType, rows: readonly RecordRow[], caller: EntityCaller): Promise<Doc[]> {
    return presentWith(loaded, rows, await this.readSchema(caller, loaded));
  }

  /** The caller's read access schema for the type (null: full access). */
  readSchema(caller: EntityCaller, loaded: LoadedEntityType): Promise<AccessSchema | null> {
    return this.ctx.entityTypes.accessSchema(loaded.type.id, caller.clientId, accessTypeFor('read', caller.withToken));
  }

  async get(caller: EntityCaller, loaded: LoadedEntityType, ref: RecordRef, options: { attributes?: unknown; attributeName?: string | undefined; password?: { attribute: string; value: string } | undefined; guards?: Guards }): Promise<unknown> {
    const row = await this.findRecord(loaded, ref, options.guards);
    if (options.password) await this.checkPassword(loaded, row, options.password.attribute, options.password.value);
    const record = await this.present(loaded, row, caller);
    if (options.attributeName !== undefined) return valueAt(record, parseAttributePath(options.attributeName, 'attribute_name'));
    if (options.attributes !== undefined) return this.pick(loaded, record, options.attributes);
    return record;
  }

  /** `attributes`: a JSON array of attribute paths; the answer holds just those. */
  pick(loaded: LoadedEntityType, record: Doc, attributes: unknown): Doc {
    return this.picker(loaded, attributes)(record);
  }

  /** `pick` checked once, for many records. */
  picker(loaded: LoadedEntityType, attributes: unknown): (record: Doc) => Doc {
    if (!Array.isArray(attributes) || !attributes.every((a) => typeof a === 'string')) throw invalid('attributes', 'must be a JSON array of attribute names');
    const paths = attributes.map((a: string) => {
      const segments = parseAttributePath(a, 'attributes');
      if (findAttribute(loaded.type.attrDefs, segments) === null) throw new DataError(223, `attribute does not exist: ${formatAttributePath(segments)}`, formatAttributePath(segments));
      return formatAttributePath(segments.map((s) => ({ name: s.name })));
    });
    const schema = new AccessSchema(paths);
    return (record) => schema.filterRecord(record);
  }

  private async checkPassword(loaded: LoadedEntityType, row: EntityRow, attribute: string, value: string): Promise<void> {
    const segments = parseAttributePath(attribute, 'password_attribute');
    const def = findAttribute(loaded.type.attrDefs, segments);
    if (!def || def.type !== 'password') throw invalid('password_attribute', `${formatAttributePath(segments)} is not a password attribute`);
    const loc = segments.map((s) => s.name);
    const stored = getAt(row.document, loc);
    if (!(await verifyPassword(stored, value))) throw new DataError(350, 'password_value does not match the record');
    if (typeof stored === 'string' && needsUpgrade(stored)) await this.upgradePassword(row, loc, value);
  }

  /**
   * A hash imported from elsewhere (or made with older parameters) is replaced by argon2id after a
   * successful check. Not a record change: lastUpdated stays. If the record changed meanwhile, the
   * next successful check upgrades it.
   */
  private async upgradePassword(row: EntityRow, loc: string[], plaintext: string): Promise<void> {
    const document = structuredClone(row.document);
    setAt(document, loc, await hashPassword(plaintext));
    await updateEntity(this.ctx.store.db, row.id, row.revision, { lastUpdated: row.lastUpdated, document, elementSeq: row.elementSeq, passwordHistory: row.passwordHistory.length > 0 ? row.passwordHistory : null });
  }

  /**
   * Runs a write until one attempt sticks. The first attempt is optimistic: computed outside any
   * transaction (password hashing is slow) and written only if the record's revision is unchanged —
   * it answers null otherwise. Later attempts lock the row and compute inside the transaction, so
   * writers queued on one busy record all get through. StaleEntityType (the schema changed) reloads
   * the type and starts again.
   */
  async retrying<T>(loaded: LoadedEntityType, what: string, fn: (current: LoadedEntityType, locked: boolean) => Promise<T | null>): Promise<T> {
    let current = loaded;
    for (let attempt = 1; ; attempt += 1) {
      try {
        const result = await fn(current, attempt > 1);
        if (result !== null) return result;
      } catch (err) {
        if (!(err instanceof StaleEntityType)) throw err;
        this.ctx.entityTypes.invalidate();
        current = await this.entityType(current.type.applicationId, current.type.name);
      }
      if (attempt >= MAX_WRITE_ATTEMPTS) throw new DataError(330, `the record kept changing while this ${what} was applied; try again`);
    }
  }

  /** entity.create; `inTransaction` runs first inside the creating transaction (a creation token is used up there). */
  async create(caller: EntityCaller, loaded: LoadedEntityType, attributes: unknown, includeRecord: boolean, inTransaction?: (trx: Transaction<Database>) => Promise<void>): Promise<{ id: number; uuid: string; record?: Doc }> {
    const uuid = randomUUID();
    const { id, current } = await this.retrying(loaded, 'create', async (current) => {
      let seq = 0;
      const outcome = createDocument(current.model, attributes, { now: new Date(), nextElementId: () => (seq += 1) });
      const { document, history } = await this.sealPasswords(current, outcome, null);
      const entityId = await this.commit(caller, current, async (trx) => ({
        touched: outcome.touched,
        apply: async () => {
          await inTransaction?.(trx);
          const inserted = await insertEntity(trx, { entityTypeId: current.type.id, uuid, now: nowTimestamp(), document, elementSeq: seq, passwordHistory: history });
          await this.onChange(trx, { kind: 'created', entityTypeId: current.type.id, entityId: inserted, uuid });
          return inserted;
        },
      }));
      return { id: entityId, current };
    });
    if (!includeRecord) return { id, uuid };
    return { id, uuid, record: await this.present(current, await this.find(this.ctx.store.readDb, current, { kind: 'bound', entityId: id }), caller) };
  }

  /**
   * One attempt at changing a record: `change` computes the new state from the row. Optimistic
   * attempts read and compute first and write only if the revision still matches (null otherwise);
   * locked ones do it all on the locked row inside the transaction, and always write.
   */
  private async changeRecord(
    caller: EntityCaller,
    current: LoadedEntityType,
    ref: RecordRef,
    guards: Guards,
    locked: boolean,
    change: (row: EntityRow) => Promise<{ touched: ReadonlySet<string>; write: (trx: Transaction<Database>) => Promise<void> }>,
  ): Promise<number | null> {
    if (locked) {
      return this.commit(caller, current, async (trx) => {
        const row = await this.find(trx, current, ref, true);
        checkGuards(row, guards);
        const { touched, write } = await change(row);
        return { touched, apply: async () => (await write(trx), row.id) };
      });
    }
    const row = await this.findRecord(current, ref, guards);
    const { touched, write } = await change(row);
    return this.commit(caller, current, async (trx) => ({ touched, apply: async () => {
      try {
        await write(trx);
        return row.id;
      } catch (err) {
        if (err instanceof RecordChanged) return null;
        throw err;
      }
    } }));
  }

  /** entity.update / entity.replace, of the whole record or the sub-tree `at` names. */
  async write(kind: 'update' | 'replace', caller: EntityCaller, loaded: LoadedEntityType, ref: RecordRef, input: unknown, at: readonly PathSegment[], guards: Guards, includeRecord: boolean): Promise<Doc | undefined> {
    const written = await this.retrying(loaded, kind, async (current, locked) => {
      const entityId = await this.changeRecord(caller, current, ref, guards, locked, async (row) => {
        let seq = row.elementSeq;
        const outcome = writeDocument(kind, current.model, row.document, input, at, { now: new Date(), nextElementId: () => (seq += 1) });
        const { document, history } = await this.sealPasswords(current, outcome, row);
        const lastUpdated = caller.features.has('metadata') ? row.lastUpdated : nowTimestamp();
        return {
          touched: outcome.touched,
          write: async (trx) => {
            if (!(await updateEntity(trx, row.id, row.revision, { lastUpdated, document, elementSeq: seq, passwordHistory: history }))) throw new RecordChanged();
            await fileEntityVersion(trx, row, nowTimestamp(), 'write');
            await this.onChange(trx, { kind: 'updated', entityTypeId: current.type.id, entityId: row.id, uuid: row.uuid });
          },
        };
      });
      return entityId === null ? null : { current, entityId };
    });
    if (!includeRecord) return undefined;
    return this.present(written.current, await this.find(this.ctx.store.readDb, written.current, { kind: 'bound', entityId: written.entityId }), caller);
  }

  /** entity.delete: the whole record, or with `at` one plural element. */
  async delete(caller: EntityCaller, loaded: LoadedEntityType, ref: RecordRef, at: readonly PathSegment[] | null, guards: Guards): Promise<void> {
    await this.retrying(loaded, 'delete', (current, locked) =>
      this.changeRecord(caller, current, ref, guards, locked, (row) => {
        if (at === null) {
          // Deleting a record removes every attribute: a client limited to some may not do it.
          const touched = new Set(current.type.attrDefs.map((d) => `/${d.name}`));
          return Promise.resolve({
            touched,
            write: async (trx) => {
              if (!(await deleteEntity(trx, row.id))) throw new RecordChanged();
              await fileEntityVersion(trx, row, nowTimestamp(), 'delete');
              await this.onChange(trx, { kind: 'deleted', entityTypeId: current.type.id, entityId: row.id, uuid: row.uuid });
            },
          });
        }
        const { document, touched } = deletePluralElement(current.model, row.document, at);
        const lastUpdated = caller.features.has('metadata') ? row.lastUpdated : nowTimestamp();
        return Promise.resolve({
          touched,
          write: async (trx) => {
            if (!(await updateEntity(trx, row.id, row.revision, { lastUpdated, document, elementSeq: row.elementSeq, passwordHistory: row.passwordHistory }))) throw new RecordChanged();
            await fileEntityVersion(trx, row, nowTimestamp(), 'write');
            await this.onChange(trx, { kind: 'updated', entityTypeId: current.type.id, entityId: row.id, uuid: row.uuid });
          },
        });
      }),
    );
  }

  /**
   * The one place writes are checked against the caller's write access schema and committed: one
   * transaction in which `prepare` names what the write touches (it may compute the write right
   * there, on a row it locked) and `apply` writes it only if the schema allows; unique-index
   * violations become the API's `unique_violation`.
   */
  private async commit<T>(caller: EntityCaller, loaded: LoadedEntityType, prepare: (trx: Transaction<Database>) => Promise<{ touched: ReadonlySet<string>; apply: () => Promise<T> }>): Promise<T> {
    // Read before the transaction: SQLite has one connection, which the transaction holds.
    const schema = await this.writeSchema(caller, loaded);
    return this.withinType(loaded, async (trx) => {
      const { touched, apply } = await prepare(trx);
      checkWritable(schema, touched);
      return apply();
    });
  }

  /** The caller's write access schema for the type (null: full access). */
  writeSchema(caller: EntityCaller, loaded: LoadedEntityType): Promise<AccessSchema | null> {
    return this.ctx.entityTypes.accessSchema(loaded.type.id, caller.clientId, accessTypeFor('write', caller.withToken));
  }

  /**
   * One transaction over records of a type whose schema cannot change meanwhile: the type row is
   * share-locked and must still be the version `loaded` was computed from (else StaleEntityType, which
   * `retrying` answers by reloading). Unique-index violations become the API's `unique_violation`.
   */
  async withinType<T>(loaded: LoadedEntityType, fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    try {
      return await this.ctx.store.db.transaction().execute(async (trx) => {
        // The schema this write was computed with must still be the type's (see EntityTypeService).
        const updatedAt = await lockEntityType(trx, this.ctx.store.engine, loaded.type.id, 'share');
        if (updatedAt !== loaded.type.updatedAt) throw new StaleEntityType();
        return await fn(trx);
      });
    } catch (err) {
      throw this.uniqueViolation(err, loaded) ?? err;
    }
  }

  /** A unique-index violation as the API's error (null for any other error). */
  uniqueViolation(err: unknown, loaded: LoadedEntityType): DataError | null {
    const violated = uniqueViolationOf(err, loaded.type.id, loaded.type.attrDefs);
    if (violated === 'uuid') return new DataError(361, 'Attempted to update a duplicate value: /uuid', '/uuid');
    if (violated) return new DataError(361, `Attempted to update a duplicate value: ${violated.path}`, violated.path);
    return null;
  }

  /** Tells the change hook (webhooks) about a change, inside the transaction that made it. */
  notify(trx: Transaction<Database>, change: EntityChange): Promise<void> {
    return this.onChange(trx, change);
  }

  /**
   * Replaces the plaintext passwords a write carries by their hashes, enforcing the entity type's
   * password history on the `password` attribute. Returns the document to store and the new history.
   */
  private async sealPasswords(loaded: LoadedEntityType, outcome: WriteOutcome, row: EntityRow | null): Promise<{ document: Doc; history: string[] | null }> {
    const document = outcome.document;
    let history = row?.passwordHistory ?? [];
    const historySize = loaded.type.passwordSettings.historySize;
    for (const loc of outcome.passwords) {
      const plaintext = getAt(document, loc);
      if (typeof plaintext !== 'string') continue;
      if (loc.length === 1 && loc[0] === 'password' && historySize > 0) {
        const current = row?.document.password;
        const recent = [current, ...history].filter((h): h is string => typeof h === 'string').slice(0, historySize);
        for (const old of recent) {
          if (await verifyPassword(old, plaintext)) throw new DataError(360, `/password: the new password matches one of the last ${historySize} passwords`, '/password');
        }
        history = typeof current === 'string' ? [current, ...history].slice(0, Math.max(0, historySize - 1)) : history;
      }
      setAt(document, loc, await hashPassword(plaintext));
    }
    return { document, history: history.length > 0 ? history : null };
  }
}

function checkGuards(row: EntityRow, guards: Guards): void {
  for (const [name, given, actual] of [['created', guards.created, row.created], ['lastUpdated', guards.lastUpdated, row.lastUpdated]] as const) {
    if (given === undefined) continue;
    const stored = recordToStoredTimestamp(given);
    if (stored === null) throw invalid(name, 'must be a timestamp such as 2016-03-13 19:39:17.856608 +0000');
    if (stored !== actual) throw new DataError(330, `${name} does not match the record's ${name} (${storedToRecordTimestamp(actual)})`);
  }
}
