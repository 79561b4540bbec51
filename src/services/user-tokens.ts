// Tokens and one-time codes issued for users (spec capture-api §1.4, §9): access tokens that let a
// client act on one record, refresh tokens, authorization codes, creation tokens and verification
// codes. Only a SHA-256 digest of each is stored; the tokens carry ~165 bits of randomness, so a fast
// digest is enough and a leaked table reveals no usable token.
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { DataError } from '../domain/schema/data-error.js';
import type { ErrorCode } from '../domain/error-codes.js';
import { randomString } from '../security/random.js';
import { toStoredTimestamp } from '../store/clock.js';
import { consumeUserToken, deleteExpiredUserTokens, deleteUserTokensOf, findUserToken, insertUserToken, type UserTokenKind, type UserTokenRow } from '../store/repositories/user-tokens.js';
import type { Database } from '../store/schema.js';
import type { Store } from '../store/database.js';

export const ACCESS_TOKEN_SECONDS = 3600;
export const REFRESH_TOKEN_SECONDS = 30 * 24 * 3600;
export const MAX_CODE_LIFETIME_SECONDS = 24 * 3600;
const SWEEP_PROBABILITY = 0.01;

const TOKEN_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
export const newUserToken = (): string => randomString(32, TOKEN_ALPHABET);
export const tokenDigest = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

/** The user (record) and client a token acts for. */
export interface UserPrincipal {
  applicationId: string;
  entityTypeId: number;
  typeName: string;
  entityId: number;
  clientId: string;
}

/** A token that is unknown, used or revoked (413), or expired (its kind's code). */
export class UserTokenRefused extends Error {
  override name = 'UserTokenRefused';
  constructor(readonly code: ErrorCode, message: string) {
    super(message);
  }
}

const EXPIRED_CODE: Record<UserTokenKind, ErrorCode> = {
  access_token: 414,
  refresh_token: 413,
  authorization_code: 415,
  creation_token: 417,
  verification_code: 416,
};

export interface IssueInput {
  applicationId: string;
  entityTypeId: number;
  typeName: string;
  entityId: number | null;
  clientId: string;
  lifetimeSeconds: number;
  data?: Record<string, unknown>;
}

export class UserTokenService {
  constructor(private readonly store: Store) {}

  async issue(kind: UserTokenKind, input: IssueInput, db: Kysely<Database> = this.store.db): Promise<string> {
    const token = newUserToken();
    const now = Date.now();
    await insertUserToken(db, {
      digest: tokenDigest(token),
      kind,
      applicationId: input.applicationId,
      entityTypeId: input.entityTypeId,
      entityId: input.entityId,
      clientId: input.clientId,
      expiresAt: toStoredTimestamp(new Date(now + input.lifetimeSeconds * 1000)),
      data: { ...input.data, type_name: input.typeName },
      createdAt: toStoredTimestamp(new Date(now)),
    });
    // Expired rows are refused anyway; now and then sweep them so the table does not grow forever.
    if (Math.random() < SWEEP_PROBABILITY) await deleteExpiredUserTokens(db, toStoredTimestamp(new Date(now)));
    return token;
  }

  private check(row: UserTokenRow | null, kind: UserTokenKind): UserTokenRow {
    if (!row || row.kind !== kind) throw new UserTokenRefused(413, `the ${kind.replace('_', ' ')} is not valid: unknown, already used, or revoked`);
    if (row.expiresAt <= toStoredTimestamp(new Date())) throw new UserTokenRefused(EXPIRED_CODE[kind], `the ${kind.replace('_', ' ')} has expired`);
    return row;
  }

  /** The principal of a user access token (used as often as the client likes until it expires). */
  async authenticate(token: string): Promise<UserPrincipal> {
    const row = this.check(await findUserToken(this.store.db, tokenDigest(token)), 'access_token');
    if (row.entityId === null) throw new UserTokenRefused(413, 'the access token is not bound to a record');
    return { applicationId: row.applicationId, entityTypeId: row.entityTypeId, typeName: String(row.data.type_name), entityId: row.entityId, clientId: row.clientId };
  }

  /** Checks a one-time token without using it up (the operation redeems it in its own transaction). */
  async peek(kind: UserTokenKind, token: string): Promise<UserTokenRow> {
    return this.check(await findUserToken(this.store.db, tokenDigest(token)), kind);
  }

  /** Takes a one-time token: checks it and deletes it, so that a second use fails even when concurrent. */
  async redeem(kind: UserTokenKind, token: string, db: Kysely<Database> = this.store.db): Promise<UserTokenRow> {
    const digest = tokenDigest(token);
    const row = this.check(await findUserToken(db, digest), kind);
    if (!(await consumeUserToken(db, digest))) throw new UserTokenRefused(413, `the ${kind.replace('_', ' ')} was already used`);
    return row;
  }

  async revokeAll(entityId: number, db: Kysely<Database> = this.store.db): Promise<number> {
    return deleteUserTokensOf(db, entityId);
  }
}

/** A `lifetime` argument in seconds: a positive integer up to a day. */
export function parseLifetime(text: string | undefined, fallback: number): number {
  if (text === undefined || text === '') return fallback;
  const n = /^\d+$/.test(text.trim()) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_CODE_LIFETIME_SECONDS) {
    throw new DataError(200, `lifetime was not valid for the following reason: must be a whole number of seconds from 1 to ${MAX_CODE_LIFETIME_SECONDS}`, undefined, 'lifetime');
  }
  return n;
}
