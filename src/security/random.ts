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
/** Request ids: 16 characters, as in the Registration error envelope. */
export const newRequestId = (): string => randomString(16);
export const newMasterKey = (): Buffer => randomBytes(32);
