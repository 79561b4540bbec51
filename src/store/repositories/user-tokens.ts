// User access tokens, refresh tokens and one-time codes; rows are keyed by a digest of the token.
import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

export const USER_TOKEN_KINDS = ['access_token', 'refresh_token', 'authorization_code', 'creation_token', 'verification_code'] as const;
export type UserTokenKind = (typeof USER_TOKEN_KINDS)[number];

export interface UserTokenRow {
  digest: string;
  kind: UserTokenKind;
  applicationId: string;
  entityTypeId: number;
  entityId: number | null;
  clientId: string;
  expiresAt: string;
  data: Record<string, unknown>;
  createdAt: string;
}

export async function insertUserToken(db: Kysely<Database>, row: UserTokenRow): Promise<void> {
  await db
    .insertInto('user_tokens')
    .values({
      digest: row.digest,
      kind: row.kind,
      application_id: row.applicationId,
      entity_type_id: row.entityTypeId,
      entity_id: row.entityId,
      client_id: row.clientId,
      expires_at: row.expiresAt,
      data: JSON.stringify(row.data),
      created_at: row.createdAt,
    })
    .execute();
}

export async function findUserToken(db: Kysely<Database>, digest: string): Promise<UserTokenRow | null> {
  const r = await db.selectFrom('user_tokens').selectAll().where('digest', '=', digest).executeTakeFirst();
  if (!r) return null;
  return {
    digest: r.digest,
    kind: r.kind as UserTokenKind,
    applicationId: r.application_id,
    entityTypeId: Number(r.entity_type_id),
    entityId: r.entity_id === null ? null : Number(r.entity_id),
    clientId: r.client_id,
    expiresAt: r.expires_at,
    data: r.data === null ? {} : (JSON.parse(r.data) as Record<string, unknown>),
    createdAt: r.created_at,
  };
}

/** Deletes one token; true when this call removed it (so a one-time code is used exactly once). */
export async function consumeUserToken(db: Kysely<Database>, digest: string): Promise<boolean> {
  const r = await db.deleteFrom('user_tokens').where('digest', '=', digest).executeTakeFirst();
  return Number(r.numDeletedRows) === 1;
}

/** entity.deleteAccess: every token and code of one record. */
export async function deleteUserTokensOf(db: Kysely<Database>, entityId: number): Promise<number> {
  const r = await db.deleteFrom('user_tokens').where('entity_id', '=', entityId).executeTakeFirst();
  return Number(r.numDeletedRows);
}

export async function deleteExpiredUserTokens(db: Kysely<Database>, now: string): Promise<number> {
  const r = await db.deleteFrom('user_tokens').where('expires_at', '<', now).executeTakeFirst();
  return Number(r.numDeletedRows);
}
