// One ordered set of migrations for both engines. Each migration receives the engine only to pick
// a column type where SQLite and PostgreSQL spell it differently (identity columns).
import { Migrator, sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import type { Engine, Store } from '../database.js';
import type { Database } from '../schema.js';
import { MIGRATION_LOCK_TABLE, MIGRATION_TABLE } from '../database.js';
import { initial } from './0001-initial.js';
import { changeTrackingAndThrottle } from './0002-change-tracking-and-throttle.js';
import { settings } from './0003-settings.js';
import { entities } from './0004-entities.js';
import { entityHistoryAndSearch } from './0005-entity-history-and-search.js';
import { hostedLoginConfig } from './0006-hosted-login-config.js';
import { loginPolicies } from './0007-login-policies.js';
import { oidcClientLinks } from './0008-oidc-client-links.js';
import { sessionPolicies } from './0009-session-policies.js';

export type EngineMigration = (engine: Engine) => Migration;

const MIGRATIONS: Record<string, EngineMigration> = {
  '0001-initial': initial,
  '0002-change-tracking-and-throttle': changeTrackingAndThrottle,
  '0003-settings': settings,
  '0004-entities': entities,
  '0005-entity-history-and-search': entityHistoryAndSearch,
  '0006-hosted-login-config': hostedLoginConfig,
  '0007-login-policies': loginPolicies,
  '0008-oidc-client-links': oidcClientLinks,
  '0009-session-policies': sessionPolicies,
};

export const MIGRATION_NAMES: readonly string[] = Object.keys(MIGRATIONS).sort();

class InCodeProvider implements MigrationProvider {
  constructor(private readonly engine: Engine) {}
  getMigrations(): Promise<Record<string, Migration>> {
    return Promise.resolve(Object.fromEntries(Object.entries(MIGRATIONS).map(([name, m]) => [name, m(this.engine)])));
  }
}

function migrator(store: Store): Migrator {
  return new Migrator({
    db: store.db,
    provider: new InCodeProvider(store.engine),
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: MIGRATION_LOCK_TABLE,
  });
}

export class MigrationError extends Error {
  override name = 'MigrationError';
}

/** Applies every pending migration; returns the names applied now. */
export async function migrateToLatest(store: Store): Promise<string[]> {
  const { error, results } = await migrator(store).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new MigrationError(`migration ${failed} failed: ${error instanceof Error ? error.message : JSON.stringify(error)}`);
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** Names of migrations this build knows but the database has not applied (or that the database has and this build lacks). */
export async function migrationDrift(db: Kysely<Database>): Promise<{ pending: string[]; unknown: string[] }> {
  const rows = await sql<{ name: string }>`select name from ${sql.table(MIGRATION_TABLE)}`.execute(db);
  const applied = new Set(rows.rows.map((r) => r.name));
  return {
    pending: MIGRATION_NAMES.filter((n) => !applied.has(n)),
    unknown: [...applied].filter((n) => !MIGRATION_NAMES.includes(n)),
  };
}
