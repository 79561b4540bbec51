// API clients and their secrets. Secrets arrive here sealed; this layer never sees plaintext.
import type { Kysely, Selectable } from 'kysely';
import type { SealedSecret } from '../../security/secret-box.js';
import type { ApiClientsTable, Database } from '../schema.js';

export interface ApiClientRecord {
  clientId: string;
  applicationId: string;
  description: string;
  features: string[];
  whitelist: string[];
  createdAt: string;
  updatedAt: string;
}

export interface StoredClientSecret {
  sealed: SealedSecret;
  createdAt: string;
  /** null for the current secret; the end of the grace period for a replaced one */
  expiresAt: string | null;
}

function toRecord(r: Selectable<ApiClientsTable>): ApiClientRecord {
  return {
    clientId: r.client_id,
    applicationId: r.application_id,
    description: r.description,
    features: JSON.parse(r.features) as string[],
    whitelist: JSON.parse(r.whitelist) as string[],
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export async function insertApiClient(db: Kysely<Database>, client: ApiClientRecord, secret: SealedSecret): Promise<void> {
  await db
    .insertInto('api_clients')
    .values({
      client_id: client.clientId,
      application_id: client.applicationId,
      description: client.description,
      features: JSON.stringify(client.features),
      whitelist: JSON.stringify(client.whitelist),
      created_at: client.createdAt,
      updated_at: client.updatedAt,
    })
    .execute();
  await db
    .insertInto('api_client_secrets')
    .values({ client_id: client.clientId, key_id: secret.keyId, ciphertext: secret.ciphertext, created_at: client.createdAt, expires_at: null })
    .execute();
}

export async function findApiClient(db: Kysely<Database>, clientId: string): Promise<ApiClientRecord | undefined> {
  const r = await db.selectFrom('api_clients').selectAll().where('client_id', '=', clientId).executeTakeFirst();
  return r ? toRecord(r) : undefined;
}

export async function listClientSecrets(db: Kysely<Database>, clientId: string): Promise<StoredClientSecret[]> {
  const rows = await db.selectFrom('api_client_secrets').selectAll().where('client_id', '=', clientId).orderBy('id', 'desc').execute();
  return rows.map((r) => ({ sealed: { keyId: r.key_id, ciphertext: r.ciphertext }, createdAt: r.created_at, expiresAt: r.expires_at }));
}

export async function countApiClients(db: Kysely<Database>, applicationId: string): Promise<number> {
  const row = await db
    .selectFrom('api_clients')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('application_id', '=', applicationId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function listApiClients(db: Kysely<Database>, applicationId: string): Promise<ApiClientRecord[]> {
  const rows = await db.selectFrom('api_clients').selectAll().where('application_id', '=', applicationId).orderBy('created_at').orderBy('client_id').execute();
  return rows.map(toRecord);
}

/** The current (non-grace) sealed secret of each client of an application. */
export async function currentSecrets(db: Kysely<Database>, applicationId: string): Promise<Map<string, SealedSecret>> {
  const rows = await db
    .selectFrom('api_client_secrets as s')
    .innerJoin('api_clients as c', 'c.client_id', 's.client_id')
    .select(['s.client_id', 's.key_id', 's.ciphertext'])
    .where('c.application_id', '=', applicationId)
    .where('s.expires_at', 'is', null)
    .execute();
  return new Map(rows.map((r) => [r.client_id, { keyId: r.key_id, ciphertext: r.ciphertext }]));
}

export async function updateApiClient(
  db: Kysely<Database>,
  clientId: string,
  patch: { description?: string; features?: string[]; whitelist?: string[]; updatedAt: string },
): Promise<void> {
  await db
    .updateTable('api_clients')
    .set({
      ...(patch.description !== undefined ? { description: patch.description } : {}),
      ...(patch.features !== undefined ? { features: JSON.stringify(patch.features) } : {}),
      ...(patch.whitelist !== undefined ? { whitelist: JSON.stringify(patch.whitelist) } : {}),
      updated_at: patch.updatedAt,
    })
    .where('client_id', '=', clientId)
    .execute();
}

export async function deleteApiClient(db: Kysely<Database>, clientId: string): Promise<void> {
  await db.deleteFrom('api_client_secrets').where('client_id', '=', clientId).execute();
  await db.deleteFrom('api_clients').where('client_id', '=', clientId).execute();
}

/**
 * Replaces a client's current secret. The old one stays valid until `graceEndsAt`; with null, every
 * earlier secret — including ones still in the grace period of an earlier reset — stops at once, so a
 * leaked secret can always be revoked. Secrets whose grace already ended are removed.
 */
export async function replaceClientSecret(
  db: Kysely<Database>,
  clientId: string,
  secret: SealedSecret,
  now: string,
  graceEndsAt: string | null,
): Promise<void> {
  if (graceEndsAt === null) {
    await db.deleteFrom('api_client_secrets').where('client_id', '=', clientId).execute();
  } else {
    await db.updateTable('api_client_secrets').set({ expires_at: graceEndsAt }).where('client_id', '=', clientId).where('expires_at', 'is', null).execute();
  }
  await db.deleteFrom('api_client_secrets').where('client_id', '=', clientId).where('expires_at', '<=', now).execute();
  await db.insertInto('api_client_secrets').values({ client_id: clientId, key_id: secret.keyId, ciphertext: secret.ciphertext, created_at: now, expires_at: null }).execute();
}
