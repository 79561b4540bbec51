// Settings documents, one per scope: the application's (scope '') and each client's.
import type { Kysely } from 'kysely';
import { emptyDocument, type SettingsDocument } from '../../domain/settings.js';
import type { Database } from '../schema.js';

export const APPLICATION_SCOPE = '';

const parse = (text: string): SettingsDocument => {
  const d = JSON.parse(text) as Partial<SettingsDocument>;
  return { standard: d.standard ?? {}, custom: d.custom ?? {} };
};

export async function readSettings(db: Kysely<Database>, applicationId: string, scope: string): Promise<SettingsDocument> {
  const row = await db.selectFrom('settings').select('document').where('application_id', '=', applicationId).where('scope', '=', scope).executeTakeFirst();
  return row ? parse(row.document) : emptyDocument();
}

/** Every scope's document of an application, keyed by scope. */
export async function readAllSettings(db: Kysely<Database>, applicationId: string): Promise<Map<string, SettingsDocument>> {
  const rows = await db.selectFrom('settings').select(['scope', 'document']).where('application_id', '=', applicationId).execute();
  return new Map(rows.map((r) => [r.scope, parse(r.document)]));
}

export async function writeSettings(db: Kysely<Database>, applicationId: string, scope: string, document: SettingsDocument, now: string): Promise<void> {
  const text = JSON.stringify({ standard: document.standard, custom: document.custom });
  await db
    .insertInto('settings')
    .values({ application_id: applicationId, scope, document: text, updated_at: now })
    .onConflict((oc) => oc.columns(['application_id', 'scope']).doUpdateSet({ document: text, updated_at: now }))
    .execute();
}

export async function deleteSettings(db: Kysely<Database>, applicationId: string, scope: string): Promise<void> {
  await db.deleteFrom('settings').where('application_id', '=', applicationId).where('scope', '=', scope).execute();
}
