// Changing entity types: attributes, constraints, rules, password settings and access schemas. Each
// change is one transaction that also keeps the document indexes in line, writes the audit log and
// marks entity types changed for every process's cache.
import { randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { parseAccessSchemaAttributes, RESERVED_NOTICE, type AccessType } from '../domain/access-schema.js';
import { parseAttributeDefinition, parseConstraints, parseEntityTypeAttributes } from '../domain/schema/attr-defs.js';
import { RESERVED_ATTRIBUTE_NAMES, type AttributeDefinition } from '../domain/schema/attribute-definition.js';
import { DataError } from '../domain/schema/data-error.js';
import { addAttributeAt, findAttribute, placementOf, formatAttributePath, parseAttributePath, requireAttribute, updateAttribute, type PathSegment } from '../domain/schema/paths.js';
import { checkRuleApplies, parseRuleDefinition, ruleDefinitionToJson, type RuleDefinition } from '../domain/schema/rules.js';
import { checkValueConstraints, normalizeValue } from '../domain/schema/values.js';
import type { AppContext } from '../context.js';
import { nowTimestamp } from '../store/clock.js';
import { DuplicateValues, dropEntityIndexes, syncEntityIndexes } from '../store/entity-indexes.js';
import { deleteAccessSchema, listAccessSchemasOfType, readAccessSchemas, writeAccessSchema } from '../store/repositories/access-schemas.js';
import { findApiClient } from '../store/repositories/api-clients.js';
import { appendAudit } from '../store/repositories/audit-log.js';
import { bumpEpoch } from '../store/repositories/cache-epochs.js';
import { entityPage, rewriteDocument } from '../store/repositories/entities.js';
import { deleteEntityType, findEntityType, lockEntityType, insertEntityType, listEntityTypes, updateEntityType, type EntityType, type PasswordSettings, type StoredRule } from '../store/repositories/entity-types.js';
import { fileEntityTypeVersion } from '../store/repositories/entity-versions.js';
import type { Database } from '../store/schema.js';
import type { Actor } from './api-clients.js';

/** A stored timestamp after `previous` even if the clock has not moved (or went back). */
function laterThan(now: string, previous: string): string {
  if (now > previous) return now;
  const micros = Date.parse(previous) * 1000 + Number(previous.slice(23, 26)) + 1;
  const date = new Date(Math.floor(micros / 1000));
  return `${date.toISOString().slice(0, 23)}${String(micros % 1000).padStart(3, '0')}Z`;
}

export const ENTITY_TYPE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
export const MAX_PASSWORD_HISTORY = 10;

type Doc = Record<string, unknown>;
const isPlainObject = (v: unknown): v is Doc => typeof v === 'object' && v !== null && !Array.isArray(v);

export const unknownEntityType = (name: string): DataError => new DataError(222, `entity type ${name} does not exist`, undefined, 'type_name');

/** Turns a refused unique index into the error the API answers with: the records in the way. */
function duplicateError(err: DuplicateValues): DataError {
  const ids = err.records.map((r) => r.id).join(', ');
  return new DataError(361, `Attempted to add a unique constraint to ${err.attribute.path}, but records already share values: ids ${ids}`, err.attribute.path);
}

/** Applies `fn` to every document of a type (schema changes that move or drop data). */
async function rewriteAll(trx: Transaction<Database>, entityTypeId: number, fn: (doc: Doc) => Doc | null): Promise<void> {
  let after = 0;
  for (;;) {
    const page = await entityPage(trx, entityTypeId, after, 500);
    for (const row of page) {
      const next = fn(row.document);
      if (next !== null) await rewriteDocument(trx, row.id, next);
    }
    if (page.length < 500) return;
    after = page[page.length - 1]?.id ?? after;
  }
}

/** Removes (or renames) the data at a schema path in one document; returns null when nothing changed. */
function moveData(doc: Doc, names: readonly string[], defs: readonly AttributeDefinition[], rename: string | null): Doc | null {
  const [head, ...rest] = names;
  if (head === undefined || !(head in doc)) return null;
  if (rest.length === 0) {
    const copy = { ...doc };
    const value = copy[head];
    delete copy[head];
    if (rename !== null) copy[rename] = value;
    return copy;
  }
  const def = defs.find((d) => d.name === head);
  const value = doc[head];
  if (def?.type === 'object' && isPlainObject(value)) {
    const inner = moveData(value, rest, def.attr_defs ?? [], rename);
    return inner === null ? null : { ...doc, [head]: inner };
  }
  if (def?.type === 'plural' && Array.isArray(value)) {
    let changed = false;
    const elements = (value as unknown[]).map((el) => {
      if (!isPlainObject(el)) return el;
      const inner = moveData(el, rest, def.attr_defs ?? [], rename);
      if (inner === null) return el;
      changed = true;
      return inner;
    });
    return changed ? { ...doc, [head]: elements } : null;
  }
  return null;
}

const schemaPath = (segments: readonly PathSegment[]): string => formatAttributePath(segments.map((s) => ({ name: s.name })));

function pathSegments(text: string, argument: string): PathSegment[] {
  const segments = parseAttributePath(text, argument);
  if (segments.some((s) => s.elementId !== undefined)) throw new DataError(200, `${argument} was not valid for the following reason: name an attribute, not a plural element`, undefined, argument);
  return segments;
}

/** The client a `for_client_id` names, which must belong to the caller's application (200 otherwise). */
export async function requireClientOfApplication(db: Kysely<Database>, applicationId: string, clientId: string): Promise<void> {
  const client = await findApiClient(db, clientId);
  if (!client || client.applicationId !== applicationId) {
    throw new DataError(200, `for_client_id was not valid for the following reason: no API client ${clientId} in this application`, undefined, 'for_client_id');
  }
}

/** A `default` rule must hold a value the attribute accepts, or every later create would fail. */
function checkDefaultValue(rule: RuleDefinition, def: AttributeDefinition, path: string): void {
  const defaults: unknown[] = [];
  const walk = (r: RuleDefinition): void => {
    if (r.kind === 'default') defaults.push(r.value);
    else if (r.kind === 'and' || r.kind === 'or') r.rules.forEach(walk);
    else if (r.kind === 'not') walk(r.rule);
  };
  walk(rule);
  // A default would be stored as written, and passwords are stored only as hashes.
  if (defaults.length > 0 && def.type === 'password') {
    throw new DataError(200, `definition was not valid for the following reason: ${path} is a password; it cannot have a default`, undefined, 'definition');
  }
  for (const value of defaults) {
    try {
      const normalized = normalizeValue(def, value, path);
      if (normalized !== null) checkValueConstraints(def, normalized, path);
    } catch (err) {
      if (err instanceof DataError) throw new DataError(200, `definition was not valid for the following reason: the default value does not fit ${path}: ${err.message}`, undefined, 'definition');
      throw err;
    }
  }
}

export class EntityTypeService {
  constructor(private readonly ctx: AppContext) {}

  async list(applicationId: string): Promise<string[]> {
    return (await listEntityTypes(this.ctx.store.db, applicationId)).map((t) => t.name);
  }

  async view(applicationId: string, name: string): Promise<EntityType> {
    const type = await findEntityType(this.ctx.store.db, applicationId, name);
    if (!type) throw unknownEntityType(name);
    return type;
  }

  /**
   * One schema change: lock (bump the epoch first, which serializes changes on PostgreSQL), read the
   * type, let `fn` change it, audit, and drop every process's cached copy.
   */
  private async change<T>(actor: Actor, name: string, operation: string, fn: (trx: Transaction<Database>, type: EntityType, now: string) => Promise<{ result: T; before: unknown; after: unknown }>): Promise<T> {
    try {
      const out = await this.ctx.store.db.transaction().execute(async (trx) => {
        await bumpEpoch(trx, 'entity_types', name);
        const type = await findEntityType(trx, actor.applicationId, name);
        if (!type) throw unknownEntityType(name);
        // Record writes in flight finish first; new ones wait and then see the new schema.
        await lockEntityType(trx, this.ctx.store.engine, type.id, 'update');
        // Strictly later than the old value, so that writers comparing it always notice the change.
        const now = laterThan(nowTimestamp(), type.updatedAt);
        const { result, before, after } = await fn(trx, type, now);
        // The schema this change replaced, for /versions/entityType.
        const changed = await findEntityType(trx, actor.applicationId, name);
        if (changed && (JSON.stringify(changed.attrDefs) !== JSON.stringify(type.attrDefs) || JSON.stringify(changed.rules) !== JSON.stringify(type.rules))) {
          await fileEntityTypeVersion(trx, type.id, type, now);
        }
        await appendAudit(trx, { at: now, applicationId: actor.applicationId, actorClientId: actor.clientId, sourceAddress: actor.address, operation, target: `entity_type:${name}`, before, after });
        return result;
      });
      return out;
    } catch (err) {
      if (err instanceof DuplicateValues) throw duplicateError(err);
      throw err;
    } finally {
      this.ctx.entityTypes.invalidate();
    }
  }

  private async setAttrDefs(trx: Transaction<Database>, type: EntityType, attrDefs: AttributeDefinition[], now: string): Promise<void> {
    await updateEntityType(trx, type.id, { attrDefs, now });
    await syncEntityIndexes(trx, this.ctx.store.engine, type.id, attrDefs);
  }

  async create(actor: Actor, name: string, attrDefsInput: unknown): Promise<EntityType> {
    if (!ENTITY_TYPE_NAME.test(name)) throw new DataError(200, 'type_name was not valid for the following reason: use letters, digits and underscores, starting with a letter', undefined, 'type_name');
    const attrDefs = parseEntityTypeAttributes(attrDefsInput ?? []);
    try {
      await this.ctx.store.db.transaction().execute(async (trx) => {
        await bumpEpoch(trx, 'entity_types', name);
        if (await findEntityType(trx, actor.applicationId, name)) throw new DataError(232, `entity type ${name} already exists`, undefined, 'type_name');
        const now = nowTimestamp();
        const id = await insertEntityType(trx, { applicationId: actor.applicationId, name, attrDefs, now });
        await syncEntityIndexes(trx, this.ctx.store.engine, id, attrDefs);
        await appendAudit(trx, { at: now, applicationId: actor.applicationId, actorClientId: actor.clientId, sourceAddress: actor.address, operation: 'entityType.create', target: `entity_type:${name}`, before: null, after: { attr_defs: attrDefs } });
      });
    } finally {
      this.ctx.entityTypes.invalidate();
    }
    return this.view(actor.applicationId, name);
  }

  async delete(actor: Actor, name: string): Promise<void> {
    await this.change(actor, name, 'entityType.delete', async (trx, type) => {
      await dropEntityIndexes(trx, this.ctx.store.engine, type.id);
      await deleteEntityType(trx, type.id);
      return { result: undefined, before: { attr_defs: type.attrDefs }, after: null };
    });
  }

  async addAttribute(actor: Actor, name: string, attrDefInput: unknown): Promise<EntityType> {
    const def = parseAttributeDefinition(attrDefInput, 'attr_def');
    if (RESERVED_ATTRIBUTE_NAMES.has(def.name)) throw new DataError(234, `${def.name} is a reserved attribute`, `/${def.name}`);
    return this.change(actor, name, 'entityType.addAttribute', async (trx, type, now) => {
      const attrDefs = addAttributeAt(type.attrDefs, [], def);
      await this.setAttrDefs(trx, type, attrDefs, now);
      return { result: { ...type, attrDefs }, before: null, after: { attr_def: def } };
    });
  }

  async removeAttribute(actor: Actor, name: string, attributeName: string): Promise<EntityType> {
    const segments = pathSegments(attributeName, 'attribute_name');
    if (segments.length === 1 && RESERVED_ATTRIBUTE_NAMES.has(segments[0]?.name ?? '')) throw new DataError(234, `${attributeName} is a reserved attribute and cannot be removed`, schemaPath(segments));
    return this.change(actor, name, 'entityType.removeAttribute', async (trx, type, now) => {
      const removed = requireAttribute(type.attrDefs, segments);
      const path = schemaPath(segments);
      const attrDefs = updateAttribute(type.attrDefs, segments, () => null);
      await rewriteAll(trx, type.id, (doc) => moveData(doc, segments.map((s) => s.name), type.attrDefs, null));
      await this.dropPathFromSchemasAndRules(trx, type, path, null, now);
      await this.setAttrDefs(trx, type, attrDefs, now);
      return { result: { ...type, attrDefs }, before: { attr_def: removed, path }, after: null };
    });
  }

  async renameAttribute(actor: Actor, name: string, source: string, target: string): Promise<EntityType> {
    const segments = pathSegments(source, 'source_name');
    if (segments.length === 1 && RESERVED_ATTRIBUTE_NAMES.has(segments[0]?.name ?? '')) throw new DataError(234, `${source} is a reserved attribute and cannot be renamed`, schemaPath(segments));
    const probe = parseAttributeDefinition({ name: target, type: 'string' }, 'target_name');
    return this.change(actor, name, 'entityType.renameAttribute', async (trx, type, now) => {
      requireAttribute(type.attrDefs, segments);
      const siblingPath = [...segments.slice(0, -1), { name: probe.name }];
      if (findAttribute(type.attrDefs, siblingPath) !== null || (segments.length === 1 && RESERVED_ATTRIBUTE_NAMES.has(probe.name))) {
        throw new DataError(233, `attribute ${formatAttributePath(siblingPath)} already exists`, formatAttributePath(siblingPath));
      }
      const from = schemaPath(segments);
      const to = formatAttributePath(siblingPath);
      const attrDefs = updateAttribute(type.attrDefs, segments, (d) => ({ ...d, name: probe.name }));
      await rewriteAll(trx, type.id, (doc) => moveData(doc, segments.map((s) => s.name), type.attrDefs, probe.name));
      await this.dropPathFromSchemasAndRules(trx, type, from, to, now);
      await this.setAttrDefs(trx, type, attrDefs, now);
      return { result: { ...type, attrDefs }, before: { path: from }, after: { path: to } };
    });
  }

  /** Access schemas and rules follow an attribute that is removed (dropped) or renamed (`to`). */
  private async dropPathFromSchemasAndRules(trx: Transaction<Database>, type: EntityType, from: string, to: string | null, now: string): Promise<void> {
    const move = (p: string): string | null => {
      if (p !== from && !p.startsWith(`${from}/`)) return p;
      return to === null ? null : to + p.slice(from.length);
    };
    for (const s of await listAccessSchemasOfType(trx, type.id)) {
      const paths = s.paths.map(move).filter((p): p is string => p !== null);
      if (paths.join('\n') !== s.paths.join('\n')) await writeAccessSchema(trx, type.id, s.clientId, s.accessType, paths, now);
    }
    const rules: StoredRule[] = [];
    for (const r of type.rules) {
      const attributes = r.attributes.map((a) => move(schemaPath(parseAttributePath(a, 'attributes')))).filter((p): p is string => p !== null);
      if (attributes.length > 0) rules.push({ ...r, attributes });
    }
    if (JSON.stringify(rules) !== JSON.stringify(type.rules)) await updateEntityType(trx, type.id, { rules, now });
  }

  async setAttributeDescription(actor: Actor, name: string, attributeName: string, description: string): Promise<EntityType> {
    const segments = pathSegments(attributeName, 'attribute_name');
    if (segments.length === 1 && RESERVED_ATTRIBUTE_NAMES.has(segments[0]?.name ?? '')) throw new DataError(234, `${attributeName} is a reserved attribute`, schemaPath(segments));
    return this.change(actor, name, 'entityType.setAttributeDescription', async (trx, type, now) => {
      const before = requireAttribute(type.attrDefs, segments);
      const attrDefs = updateAttribute(type.attrDefs, segments, (d) => ({ ...d, description }));
      await this.setAttrDefs(trx, type, attrDefs, now);
      return { result: { ...type, attrDefs }, before: { path: schemaPath(segments), description: before.description ?? null }, after: { path: schemaPath(segments), description } };
    });
  }

  async setAttributeConstraints(actor: Actor, name: string, attributeName: string, constraintsInput: unknown): Promise<EntityType> {
    const segments = pathSegments(attributeName, 'attribute_name');
    if (segments.length === 1 && RESERVED_ATTRIBUTE_NAMES.has(segments[0]?.name ?? '')) throw new DataError(234, `${attributeName} is a reserved attribute`, schemaPath(segments));
    return this.change(actor, name, 'entityType.setAttributeConstraints', async (trx, type, now) => {
      const def = requireAttribute(type.attrDefs, segments);
      const constraints = parseConstraints(constraintsInput, def, 'constraints', placementOf(type.attrDefs, segments) ?? undefined) ?? [];
      const attrDefs = updateAttribute(type.attrDefs, segments, (d) => ({ ...d, constraints }));
      if (constraints.includes('locally-unique') && !def.constraints?.includes('locally-unique')) await this.checkLocallyUniqueData(trx, type, segments, def);
      await this.setAttrDefs(trx, type, attrDefs, now);
      return { result: { ...type, attrDefs }, before: { path: schemaPath(segments), constraints: def.constraints ?? [] }, after: { path: schemaPath(segments), constraints } };
    });
  }

  /** Adding locally-unique is retroactive too: refuse it while some plural holds duplicates. */
  private async checkLocallyUniqueData(trx: Transaction<Database>, type: EntityType, segments: readonly PathSegment[], def: AttributeDefinition): Promise<void> {
    const names = segments.map((s) => s.name);
    const offenders: number[] = [];
    const collect = (value: unknown, defs: readonly AttributeDefinition[], i: number): boolean => {
      const name = names[i];
      if (name === undefined || !isPlainObject(value)) return false;
      const d = defs.find((x) => x.name === name);
      const v = value[name];
      if (d?.type === 'object') return collect(v, d.attr_defs ?? [], i + 1);
      if (d?.type === 'plural' && Array.isArray(v)) {
        if (i === names.length - 2) {
          const seen = new Set<string>();
          for (const el of v as unknown[]) {
            const x = isPlainObject(el) ? el[names[i + 1] ?? ''] : undefined;
            if (x === null || x === undefined) continue;
            const key = typeof x === 'string' && def['case-sensitive'] !== true ? x.toLowerCase() : JSON.stringify(x);
            if (seen.has(key)) return true;
            seen.add(key);
          }
          return false;
        }
        return (v as unknown[]).some((el) => collect(el, d.attr_defs ?? [], i + 1));
      }
      return false;
    };
    let after = 0;
    for (;;) {
      const page = await entityPage(trx, type.id, after, 500);
      for (const row of page) if (collect(row.document, type.attrDefs, 0)) offenders.push(row.id);
      if (page.length < 500 || offenders.length >= 20) break;
      after = page[page.length - 1]?.id ?? after;
    }
    if (offenders.length > 0) {
      throw new DataError(361, `Attempted to add a locally-unique constraint to ${schemaPath(segments)}, but records hold duplicates: ids ${offenders.slice(0, 20).join(', ')}`, schemaPath(segments));
    }
  }

  async setPasswordSettings(actor: Actor, name: string, settingsInput: unknown): Promise<PasswordSettings> {
    if (!isPlainObject(settingsInput)) throw new DataError(200, 'settings was not valid for the following reason: must be a JSON object such as {"historySize": 5}', undefined, 'settings');
    const size = settingsInput.historySize;
    if (typeof size !== 'number' || !Number.isInteger(size) || size < 0 || size > MAX_PASSWORD_HISTORY) {
      throw new DataError(200, `settings was not valid for the following reason: historySize must be an integer from 0 to ${MAX_PASSWORD_HISTORY}`, undefined, 'settings');
    }
    const unknown = Object.keys(settingsInput).filter((k) => k !== 'historySize');
    if (unknown.length > 0) throw new DataError(200, `settings was not valid for the following reason: unknown setting ${unknown.join(', ')}`, undefined, 'settings');
    return this.change(actor, name, 'entityType.setPasswordSettings', async (trx, type, now) => {
      const passwordSettings = { historySize: size };
      await updateEntityType(trx, type.id, { passwordSettings, now });
      return { result: passwordSettings, before: type.passwordSettings, after: passwordSettings };
    });
  }

  async addRule(actor: Actor, name: string, attributesInput: unknown, definitionInput: unknown, description: string): Promise<StoredRule> {
    if (!Array.isArray(attributesInput) || attributesInput.length === 0 || !attributesInput.every((a) => typeof a === 'string')) {
      throw new DataError(200, 'attributes was not valid for the following reason: must be a non-empty JSON array of attribute names', undefined, 'attributes');
    }
    const rule = parseRuleDefinition(definitionInput);
    return this.change(actor, name, 'entityType.addRule', async (trx, type, now) => {
      const attributes = (attributesInput).map((a) => {
        const segments = pathSegments(a, 'attributes');
        const def = requireAttribute(type.attrDefs, segments);
        if (segments.length === 1 && RESERVED_ATTRIBUTE_NAMES.has(def.name)) throw new DataError(234, `${a} is a reserved attribute`, schemaPath(segments));
        checkRuleApplies(rule, def.type, schemaPath(segments));
        checkDefaultValue(rule, def, schemaPath(segments));
        return schemaPath(segments);
      });
      const stored: StoredRule = { uuid: randomUUID(), attributes, definition: ruleDefinitionToJson(rule), description };
      await updateEntityType(trx, type.id, { rules: [...type.rules, stored], now });
      return { result: stored, before: null, after: stored };
    });
  }

  async removeRule(actor: Actor, name: string, uuid: string): Promise<void> {
    await this.change(actor, name, 'entityType.removeRule', async (trx, type, now) => {
      const rule = type.rules.find((r) => r.uuid === uuid);
      if (!rule) throw new DataError(200, `uuid was not valid for the following reason: entity type ${name} has no rule ${uuid}`, undefined, 'uuid');
      await updateEntityType(trx, type.id, { rules: type.rules.filter((r) => r.uuid !== uuid), now });
      return { result: undefined, before: rule, after: null };
    });
  }

  private requireClient(applicationId: string, clientId: string): Promise<void> {
    return requireClientOfApplication(this.ctx.store.db, applicationId, clientId);
  }

  async getAccessSchema(applicationId: string, name: string, clientId: string, accessType: AccessType): Promise<{ type: EntityType; paths: string[] | null }> {
    const type = await this.view(applicationId, name);
    await this.requireClient(applicationId, clientId);
    const stored = await readAccessSchemas(this.ctx.store.db, type.id, clientId);
    return { type, paths: stored.get(accessType) ?? null };
  }

  async setAccessSchema(actor: Actor, name: string, clientId: string, accessType: AccessType, attributesInput: unknown): Promise<{ type: EntityType; paths: string[]; notice: string | null }> {
    await this.requireClient(actor.applicationId, clientId);
    return this.change(actor, name, 'entityType.setAccessSchema', async (trx, type, now) => {
      const { paths, addedReserved } = parseAccessSchemaAttributes(attributesInput, type.attrDefs);
      const before = (await readAccessSchemas(trx, type.id, clientId)).get(accessType) ?? null;
      await writeAccessSchema(trx, type.id, clientId, accessType, paths, now);
      return {
        result: { type, paths, notice: addedReserved ? RESERVED_NOTICE : null },
        before: before === null ? null : { for_client_id: clientId, access_type: accessType, attributes: before },
        after: { for_client_id: clientId, access_type: accessType, attributes: paths },
      };
    });
  }

  async deleteAccessSchema(actor: Actor, name: string, clientId: string, accessType: AccessType): Promise<void> {
    await this.requireClient(actor.applicationId, clientId);
    await this.change(actor, name, 'entityType.deleteAccessSchema', async (trx, type) => {
      const before = (await readAccessSchemas(trx, type.id, clientId)).get(accessType) ?? null;
      await deleteAccessSchema(trx, type.id, clientId, accessType);
      return { result: undefined, before: before === null ? null : { for_client_id: clientId, access_type: accessType, attributes: before }, after: null };
    });
  }
}
