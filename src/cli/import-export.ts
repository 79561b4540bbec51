// `idcloud import` and `idcloud export` (docs/entity-search.md "Import and export"): users in and out
// of an entity type, straight on the database through the same services the API uses, streaming
// (constant memory at any size) and, for import, resumable after an interruption with each record
// created exactly once.
import { createHash, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream, existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, type WriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Writable } from 'node:stream';
import { parse as parseCsv } from 'csv-parse';
import type { AttributeDefinition } from '../domain/schema/attribute-definition.js';
import { DataError } from '../domain/schema/data-error.js';
import { ERROR_NAMES } from '../domain/error-codes.js';
import { parseAttributePath } from '../domain/schema/paths.js';
import { EntityBulkService, BULK_CREATE_LIMIT } from '../services/entity-bulk.js';
import { EntitySearchService } from '../services/entity-search.js';
import { EntityService, type EntityCaller } from '../services/entities.js';
import { EntityTypeDirectory, type LoadedEntityType } from '../services/entity-type-directory.js';
import type { Store } from '../store/database.js';
import { existingUuids } from '../store/repositories/entities.js';
import { listApplications } from '../store/repositories/tenancy.js';
import { Progress } from './progress.js';

/** A problem with the command line or the files: the CLI prints it and exits 2. */
export class CommandError extends Error {
  override name = 'CommandError';
}

export interface CliIo {
  stderr: (text: string) => void;
  tty: boolean;
}

/** The operator: every operation, no access schema (no API client has this id). */
const CLI_CLIENT = 'idcloud-cli';

async function entityTypeFor(store: Store, application: string | undefined, type: string): Promise<{ services: Services; loaded: LoadedEntityType; caller: EntityCaller }> {
  const apps = (await listApplications(store.db)).map((a) => a.id);
  let applicationId = application;
  if (applicationId === undefined) {
    if (apps.length !== 1) throw new CommandError(`--application is needed: this database has ${apps.length === 0 ? 'no applications' : `the applications ${apps.join(', ')}`}`);
    applicationId = apps[0] ?? '';
  } else if (!apps.includes(applicationId)) {
    throw new CommandError(`no application ${applicationId}; there are: ${apps.join(', ')}`);
  }
  const ctx = { store, entityTypes: new EntityTypeDirectory(store) };
  const entities = new EntityService(ctx);
  const search = new EntitySearchService(ctx, entities);
  const services = { entities, search, bulk: new EntityBulkService(ctx, entities, search) };
  const loaded = await ctx.entityTypes.entityType(applicationId, type);
  if (!loaded) throw new CommandError(`application ${applicationId} has no entity type ${type}`);
  return { services, loaded, caller: { applicationId, clientId: CLI_CLIENT, features: new Set(['owner']), withToken: false } };
}

interface Services {
  entities: EntityService;
  search: EntitySearchService;
  bulk: EntityBulkService;
}

// ---------------------------------------------------------------------------------------------
// Reading the file
// ---------------------------------------------------------------------------------------------

/** One record of the input: what it holds, or why it could not be read. */
interface InputRecord {
  /** 1-based record number */
  n: number;
  /** line of the file where it starts */
  line: number;
  value?: Record<string, unknown>;
  problem?: string;
}

type Format = 'jsonl' | 'csv';

function formatOf(file: string): Format {
  if (/\.(jsonl|ndjson)$/i.test(file)) return 'jsonl';
  if (/\.csv$/i.test(file)) return 'csv';
  throw new CommandError(`${file}: the format is told by the extension: .jsonl, .ndjson or .csv`);
}

async function* jsonLines(file: string, bytesRead: (n: number) => void): AsyncGenerator<InputRecord> {
  const stream = createReadStream(file);
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let line = 0;
  let n = 0;
  for await (const text of lines) {
    line += 1;
    bytesRead(stream.bytesRead);
    if (text.trim() === '') continue;
    n += 1;
    try {
      const value: unknown = JSON.parse(text);
      if (typeof value !== 'object' || value === null || Array.isArray(value)) yield { n, line, problem: 'each line must hold one JSON object' };
      else yield { n, line, value: value as Record<string, unknown> };
    } catch {
      yield { n, line, problem: 'the line is not valid JSON' };
    }
  }
}

/** A CSV column: the attribute path it fills and how its cells are read. */
interface Column {
  names: string[];
  convert: (cell: string) => unknown;
}

const PASS_THROUGH = new Set(['uuid', 'created', 'lastUpdated']);

function columnFor(header: string, attrDefs: readonly AttributeDefinition[]): Column {
  const names = parseAttributePath(header, 'header').map((s) => s.name);
  if (names.length === 1 && PASS_THROUGH.has(names[0] ?? '')) return { names, convert: (cell) => cell };
  let defs = attrDefs;
  let def: AttributeDefinition | undefined;
  for (const [i, name] of names.entries()) {
    def = defs.find((d) => d.name === name);
    if (def === undefined || (i < names.length - 1 && def.type !== 'object')) throw new CommandError(`the CSV column ${JSON.stringify(header)} is not an attribute of the entity type`);
    defs = def.attr_defs ?? [];
  }
  const type = def?.type;
  const convert = (cell: string): unknown => {
    switch (type) {
      case 'integer':
      case 'decimal': {
        const n = Number(cell);
        if (cell.trim() === '' || !Number.isFinite(n)) throw new Error(`${header}: ${JSON.stringify(cell)} is not a number`);
        return n;
      }
      case 'boolean': {
        const b = cell.trim().toLowerCase();
        if (b === 'true' || b === '1') return true;
        if (b === 'false' || b === '0') return false;
        throw new Error(`${header}: ${JSON.stringify(cell)} is not true or false`);
      }
      case 'json':
      case 'object':
      case 'plural':
        try {
          return JSON.parse(cell) as unknown;
        } catch {
          throw new Error(`${header}: the cell is not valid JSON`);
        }
      case 'password':
        // An imported hash of another kind comes as a JSON object; anything else is taken as it is.
        if (cell.trimStart().startsWith('{')) {
          try {
            return JSON.parse(cell) as unknown;
          } catch {
            throw new Error(`${header}: the cell starts like a JSON object but is not one`);
          }
        }
        return cell;
      default:
        return cell;
    }
  };
  return { names, convert };
}

function setPath(target: Record<string, unknown>, names: readonly string[], value: unknown): void {
  let here = target;
  for (const name of names.slice(0, -1)) {
    const next = here[name];
    if (typeof next === 'object' && next !== null && !Array.isArray(next)) here = next as Record<string, unknown>;
    else here = here[name] = {};
  }
  here[names[names.length - 1] ?? ''] = value;
}

async function* csvRecords(file: string, attrDefs: readonly AttributeDefinition[], bytesRead: (n: number) => void): AsyncGenerator<InputRecord> {
  const stream = createReadStream(file);
  const parser = stream.pipe(parseCsv({ bom: true, info: true, relax_column_count: true, skip_empty_lines: true }));
  let columns: Column[] | null = null;
  let n = 0;
  for await (const row of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
    bytesRead(stream.bytesRead);
    if (columns === null) {
      columns = row.record.map((h) => columnFor(h.trim(), attrDefs));
      continue;
    }
    n += 1;
    const line = row.info.lines;
    if (row.record.length !== columns.length) {
      yield { n, line, problem: `the row has ${row.record.length} cells; the header has ${columns.length}` };
      continue;
    }
    try {
      const value: Record<string, unknown> = {};
      for (const [i, column] of columns.entries()) {
        const cell = row.record[i] ?? '';
        if (cell !== '') setPath(value, column.names, column.convert(cell));
      }
      yield { n, line, value };
    } catch (err) {
      yield { n, line, problem: (err as Error).message };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Import
// ---------------------------------------------------------------------------------------------

export interface ImportOptions {
  file: string;
  type: string;
  application?: string | undefined;
  batch: number;
  failuresFile?: string | undefined;
  restart: boolean;
}

export interface ImportSummary {
  created: number;
  alreadyImported: number;
  failed: number;
  seconds: number;
  failuresFile: string | null;
}

interface Checkpoint {
  importId: string;
  size: number;
  mtimeMs: number;
  /** records handled (created, already there, or failed) */
  done: number;
  created: number;
  alreadyImported: number;
  failed: number;
}

/**
 * The uuid a record without one gets: derived from the import and the record's number, so that a
 * batch sent again after a crash meets its own records (unique_violation on /uuid) instead of
 * creating them twice.
 */
export function importUuid(importId: string, n: number): string {
  const b = createHash('sha256').update(`${importId}:${n}`).digest().subarray(0, 16);
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x40;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * Record and plural element ids belong to the system a record comes from (an export has them);
 * the new records get new ones.
 */
export function withoutIds(attrDefs: readonly AttributeDefinition[], record: Record<string, unknown>, top = true): Record<string, unknown> {
  const out: Record<string, unknown> = { ...record };
  if (top) delete out.id;
  for (const def of attrDefs) {
    const value = out[def.name];
    if (def.type === 'plural' && Array.isArray(value)) {
      out[def.name] = (value as unknown[]).map((e) => {
        if (typeof e !== 'object' || e === null || Array.isArray(e)) return e;
        const element = withoutIds(def.attr_defs ?? [], e as Record<string, unknown>, false);
        delete element.id;
        return element;
      });
    } else if (def.type === 'object' && typeof value === 'object' && value !== null && !Array.isArray(value)) {
      out[def.name] = withoutIds(def.attr_defs ?? [], value as Record<string, unknown>, false);
    }
  }
  return out;
}

function writeAtomically(file: string, text: string): void {
  const temp = `${file}.tmp`;
  writeFileSync(temp, text);
  renameSync(temp, file);
}

async function write(stream: Writable, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, 'drain');
}

async function closeStream(stream: WriteStream): Promise<void> {
  stream.end();
  await once(stream, 'finish');
}

export async function importUsers(store: Store, opts: ImportOptions, io: CliIo): Promise<ImportSummary> {
  const format = formatOf(opts.file);
  if (!Number.isInteger(opts.batch) || opts.batch < 1 || opts.batch > BULK_CREATE_LIMIT) throw new CommandError(`--batch must be a whole number from 1 to ${BULK_CREATE_LIMIT}`);
  let stat;
  try {
    stat = statSync(opts.file);
  } catch {
    throw new CommandError(`cannot read ${opts.file}`);
  }
  const { services, loaded, caller } = await entityTypeFor(store, opts.application, opts.type);
  const checkpointFile = `${opts.file}.idcloud-import.json`;
  const failuresFile = opts.failuresFile ?? `${opts.file}.failures.jsonl`;

  let checkpoint: Checkpoint = { importId: randomUUID(), size: stat.size, mtimeMs: stat.mtimeMs, done: 0, created: 0, alreadyImported: 0, failed: 0 };
  if (!opts.restart && existsSync(checkpointFile)) {
    let saved: Checkpoint;
    try {
      saved = JSON.parse(readFileSync(checkpointFile, 'utf8')) as Checkpoint;
    } catch {
      throw new CommandError(`${checkpointFile} cannot be read; pass --restart to import the file from its start`);
    }
    if (saved.size !== stat.size || saved.mtimeMs !== stat.mtimeMs) {
      throw new CommandError(`${checkpointFile} belongs to an earlier version of ${opts.file}; pass --restart to import the file from its start`);
    }
    checkpoint = saved;
    io.stderr(`resuming after ${saved.done} records\n`);
  }
  const resuming = checkpoint.done > 0;
  const failures = createWriteStream(failuresFile, { flags: resuming ? 'a' : 'w' });
  const progress = new Progress({ verb: 'imported', totalBytes: stat.size, tty: io.tty, write: io.stderr });
  let bytes = 0;
  const state = () => ({ records: checkpoint.created + checkpoint.alreadyImported, failed: checkpoint.failed, bytes });
  const started = Date.now();

  let batch: InputRecord[] = [];
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const valid = batch.filter((r) => r.value !== undefined);
    const given = valid.map((r) => (r.value as Record<string, unknown>).uuid);
    const outcomes = valid.length === 0 ? [] : await services.bulk.bulkCreate(caller, loaded, valid.map((r, i) => ({ ...withoutIds(loaded.type.attrDefs, r.value as Record<string, unknown>), uuid: given[i] ?? importUuid(checkpoint.importId, r.n) })), true);
    // A unique violation of a record whose uuid this import made may be that record, created by the
    // run that was interrupted (whichever unique index the database checked first).
    const ours = outcomes.flatMap((o, i) => ('error' in o && o.error.code === 361 && given[i] === undefined ? [importUuid(checkpoint.importId, valid[i]?.n ?? 0)] : []));
    const there = await existingUuids(store.db, loaded.type.id, ours);
    const lines: string[] = [];
    for (const r of batch) if (r.problem !== undefined) lines.push(JSON.stringify({ record: r.n, line: r.line, code: 200, error: ERROR_NAMES[200], error_description: r.problem }));
    for (const [i, outcome] of outcomes.entries()) {
      const r = valid[i] as InputRecord;
      if (!('error' in outcome)) {
        checkpoint.created += 1;
      } else if (outcome.error.code === 361 && given[i] === undefined && there.has(importUuid(checkpoint.importId, r.n))) {
        // This record was created by the run that was interrupted.
        checkpoint.alreadyImported += 1;
      } else {
        checkpoint.failed += 1;
        lines.push(JSON.stringify({ record: r.n, line: r.line, code: outcome.error.code, error: ERROR_NAMES[outcome.error.code], error_description: outcome.error.message }));
      }
    }
    checkpoint.failed += batch.length - valid.length;
    for (const l of lines) await write(failures, `${l}\n`);
    checkpoint.done = batch[batch.length - 1]?.n ?? checkpoint.done;
    writeAtomically(checkpointFile, JSON.stringify(checkpoint));
    batch = [];
    progress.update(state());
  };

  try {
    const records = format === 'jsonl' ? jsonLines(opts.file, (b) => (bytes = b)) : csvRecords(opts.file, loaded.type.attrDefs, (b) => (bytes = b));
    for await (const record of records) {
      if (record.n <= checkpoint.done) continue;
      batch.push(record);
      if (batch.length >= opts.batch) await flush();
    }
    await flush();
  } catch (err) {
    await closeStream(failures);
    if (err instanceof DataError) throw new CommandError(err.message);
    throw err;
  }
  await closeStream(failures);
  progress.done(state());
  rmSync(checkpointFile, { force: true });
  if (checkpoint.failed === 0) rmSync(failuresFile, { force: true });
  return { created: checkpoint.created, alreadyImported: checkpoint.alreadyImported, failed: checkpoint.failed, seconds: (Date.now() - started) / 1000, failuresFile: checkpoint.failed > 0 ? failuresFile : null };
}

// ---------------------------------------------------------------------------------------------
// Export
// ---------------------------------------------------------------------------------------------

export interface ExportOptions {
  type: string;
  application?: string | undefined;
  filter?: string | undefined;
  page: number;
  passwordHashes: boolean;
}

export async function exportUsers(store: Store, opts: ExportOptions, output: Writable, io: CliIo): Promise<number> {
  if (!Number.isInteger(opts.page) || opts.page < 1 || opts.page > 10_000) throw new CommandError('--page must be a whole number from 1 to 10000');
  const { services, loaded, caller } = await entityTypeFor(store, opts.application, opts.type);
  const progress = new Progress({ verb: 'exported', tty: io.tty, write: io.stderr });
  let records = 0;
  try {
    for await (const page of services.search.scan(caller, loaded, opts.filter, { pageSize: opts.page, passwordHashes: opts.passwordHashes })) {
      let chunk = '';
      for (const r of page.records) chunk += `${JSON.stringify(r)}\n`;
      await write(output, chunk);
      records += page.records.length;
      progress.update({ records, failed: 0 });
    }
  } catch (err) {
    if (err instanceof DataError) throw new CommandError(err.message);
    throw err;
  }
  progress.done({ records, failed: 0 });
  return records;
}
