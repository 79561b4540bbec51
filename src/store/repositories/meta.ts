import type { Kysely } from 'kysely';
import type { SealedSecret } from '../../security/secret-box.js';
import { MASTER_KEY_CHECK } from '../database.js';
import type { Database } from '../schema.js';

export async function getMeta(db: Kysely<Database>, key: string): Promise<string | null> {
  const row = await db.selectFrom('idcloud_meta').select('value').where('key', '=', key).executeTakeFirst();
  return row?.value ?? null;
}

export async function setMeta(db: Kysely<Database>, key: string, value: string): Promise<void> {
  await db
    .insertInto('idcloud_meta')
    .values({ key, value })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
    .execute();
}

export async function getMasterKeyCheck(db: Kysely<Database>): Promise<SealedSecret | null> {
  const value = await getMeta(db, MASTER_KEY_CHECK);
  return value === null ? null : (JSON.parse(value) as SealedSecret);
}

export async function setMasterKeyCheck(db: Kysely<Database>, sealed: SealedSecret): Promise<void> {
  await setMeta(db, MASTER_KEY_CHECK, JSON.stringify({ keyId: sealed.keyId, ciphertext: sealed.ciphertext }));
}
