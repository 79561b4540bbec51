// API clients and their secrets. Secrets arrive here sealed; this layer never sees plaintext.
import type { Kysely } from 'kysely';
import type { SealedSecret } from '../../security/secret-box.js';
import type { Database } from '../schema.js';

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
  if (!r) return undefined;
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
