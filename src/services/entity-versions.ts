// Records and entity types as they were (spec capture-api §3.10 /versions/entity, /versions/entityType).
// Every record write and schema change files the state it replaced (entity-versions repository);
// a record as of a time is rendered with its entity type as of that same time.
import { DataError } from '../domain/schema/data-error.js';
import type { Doc } from '../domain/schema/record.js';
import { recordToStoredTimestamp } from '../domain/schema/values.js';
import { findEntity, type EntityRow } from '../store/repositories/entities.js';
import { entityTypeVersionAfter, entityVersionAfter } from '../store/repositories/entity-versions.js';
import type { EntityType } from '../store/repositories/entity-types.js';
import type { EntityCaller, EntityService, RecordRef, EntityContext } from './entities.js';
import { compileEntityType, type LoadedEntityType } from './entity-type-directory.js';

/** `timestamp` of the versions calls (default now) in the stored form. */
export function asOfTimestamp(text: string | undefined): string {
  const stored = recordToStoredTimestamp(text === undefined || text === '' ? 'now' : text);
  if (stored === null) throw new DataError(200, 'timestamp was not valid for the following reason: must be a timestamp such as 2016-03-13 19:39:17.856608 +0000, or now', undefined, 'timestamp');
  return stored;
}

/** The entity type's schema as it was at `at` (stored timestamp form). */
export async function entityTypeAsOf(ctx: EntityContext, type: EntityType, at: string): Promise<EntityType> {
  if (at < type.createdAt) throw new DataError(222, `entity type ${type.name} did not exist at ${at}`, undefined, 'timestamp');
  const filed = await entityTypeVersionAfter(ctx.store.db, type.id, at);
  return filed ? { ...type, attrDefs: filed.attrDefs } : type;
}

export async function entityAsOf(ctx: EntityContext, entities: EntityService, caller: EntityCaller, loaded: LoadedEntityType, ref: RecordRef, at: string, includeSchema: boolean): Promise<{ result: Doc; schema?: { name: string; attr_defs: unknown } }> {
  const engine = ctx.store.engine;
  const selector = ref.kind === 'bound' ? ({ by: 'id', id: ref.entityId } as const) : entities.selector(loaded, ref);
  // A record is named by id or uuid; a key attribute names whichever record holds that value now.
  let key: { id: number } | { uuid: string };
  let current: EntityRow | null = null;
  if (selector.by === 'id') key = { id: selector.id };
  else if (selector.by === 'uuid') key = { uuid: selector.uuid };
  else {
    current = await findEntity(ctx.store.db, engine, loaded.type.id, selector);
    if (!current) throw new DataError(310, 'record not found');
    key = { id: current.id };
  }
  const filed = await entityVersionAfter(ctx.store.db, loaded.type.id, key, at);
  const state = filed ? filed.row : (current ?? (await findEntity(ctx.store.db, engine, loaded.type.id, selector)));
  if (!state || state.created > at) throw new DataError(310, 'record not found at that time');
  const type = await entityTypeAsOf(ctx, loaded.type, at);
  const then = type === loaded.type ? loaded : compileEntityType({ ...type, rules: [] });
  const result = await entities.present(then, state, caller);
  return includeSchema ? { result, schema: { name: type.name, attr_defs: type.attrDefs } } : { result };
}
