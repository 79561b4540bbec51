// Entity types and access schemas, compiled and cached per process: every entity call needs both, so
// they are read from the database once and then from memory until a schema change (this process's
// or, through the ChangeWatcher, another's) drops them.
import { AccessSchema, type AccessType } from '../domain/access-schema.js';
import type { CompiledRule, EntityTypeModel } from '../domain/schema/record.js';
import { parseAttributePath, formatAttributePath } from '../domain/schema/paths.js';
import { parseRuleDefinition } from '../domain/schema/rules.js';
import type { Store } from '../store/database.js';
import { readAccessSchemas } from '../store/repositories/access-schemas.js';
import { findEntityType, type EntityType } from '../store/repositories/entity-types.js';

export interface LoadedEntityType {
  type: EntityType;
  model: EntityTypeModel;
}

export function compileEntityType(type: EntityType): LoadedEntityType {
  const rules: CompiledRule[] = type.rules.map((r) => ({
    uuid: r.uuid,
    paths: r.attributes.map((a) => formatAttributePath(parseAttributePath(a, 'attributes').map((s) => ({ name: s.name })))),
    rule: parseRuleDefinition(r.definition),
  }));
  return { type, model: { attrDefs: type.attrDefs, rules } };
}

const TTL_MS = 60_000;

export class EntityTypeDirectory {
  readonly #types = new Map<string, { value: LoadedEntityType | null; expiresAt: number }>();
  readonly #schemas = new Map<string, { value: Map<AccessType, AccessSchema>; expiresAt: number }>();
  #generation = 0;

  constructor(private readonly store: Store) {}

  async entityType(applicationId: string, name: string): Promise<LoadedEntityType | null> {
    const key = `${applicationId}\u0000${name}`;
    const hit = this.#types.get(key);
    if (hit && hit.expiresAt > Date.now()) return hit.value;
    const generation = this.#generation;
    const found = await findEntityType(this.store.db, applicationId, name);
    const value = found ? compileEntityType(found) : null;
    // Unknown names are not cached long: a type created by another process must appear quickly.
    if (generation === this.#generation) this.#types.set(key, { value, expiresAt: Date.now() + (value ? TTL_MS : 1_000) });
    return value;
  }

  /** The client's access schema of one access type for one entity type; null means full access. */
  async accessSchema(entityTypeId: number, clientId: string, accessType: AccessType): Promise<AccessSchema | null> {
    const key = `${entityTypeId}\u0000${clientId}`;
    let hit = this.#schemas.get(key);
    if (!hit || hit.expiresAt <= Date.now()) {
      const generation = this.#generation;
      const stored = await readAccessSchemas(this.store.db, entityTypeId, clientId);
      hit = { value: new Map([...stored].map(([t, paths]) => [t, new AccessSchema(paths)])), expiresAt: Date.now() + TTL_MS };
      if (generation === this.#generation) this.#schemas.set(key, hit);
    }
    return hit.value.get(accessType) ?? null;
  }

  invalidate(): void {
    this.#generation += 1;
    this.#types.clear();
    this.#schemas.clear();
  }
}
