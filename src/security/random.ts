// Identifiers and secrets drawn from the CSPRNG.
import { randomBytes, randomInt, randomUUID } from 'node:crypto';

const LOWER_ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** Uniformly random string over an alphabet (rejection-free: randomInt is unbiased). */
export function randomString(length: number, alphabet: string = LOWER_ALNUM): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

/** API-client ids and secrets: 32 lowercase alphanumerics, as the original service issues them. */
export const newClientId = (): string => randomString(32);
export const newClientSecret = (): string => randomString(32);
/** Application ids are 26 lowercase alphanumerics. */
export const newApplicationId = (): string => randomString(26);
export const newUuid = (): string => randomUUID();
/** OIDC client secrets and configuration access tokens: 64 characters of base64url (384 bits). */
export const newOidcSecret = (): string => randomBytes(48).toString('base64url');
export const newConfigToken = (): string => randomBytes(48).toString('base64url');
const REQUEST_ID_POOL = 4096;
let requestIdBytes = Buffer.alloc(0);
let requestIdOffset = 0;

/**
 * Request ids: 16 lowercase alphanumerics, as in the Registration error envelope. Every request gets
 * one, so they come from a pooled buffer of random bytes (ids, not secrets: a byte modulo 36 is
 * biased by under 1%, which costs nothing here).
 */
export function newRequestId(): string {
  if (requestIdOffset + 16 > requestIdBytes.length) {
    requestIdBytes = randomBytes(REQUEST_ID_POOL);
    requestIdOffset = 0;
  }
  let out = '';
  for (let i = 0; i < 16; i++) out += LOWER_ALNUM[(requestIdBytes[requestIdOffset + i] ?? 0) % 36];
  requestIdOffset += 16;
  return out;
}
export const newMasterKey = (): Buffer => randomBytes(32);
