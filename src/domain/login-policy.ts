// Login policy bodies of the Hosted Login configuration API (spec hosted-login-api §3.2): the identity
// store (an application, its entity type, an owner API client and its secret), the login page, custom
// claims, push claims and allowed response types. Pure: no I/O.
import { bodyObject, fieldInvalid, fieldRequired, PolicyBodyError } from './config-body.js';

export interface ConnectionDetails {
  domain: string;
  applicationId: string;
  entityType: string;
  clientId: string;
  clientSecret: string;
}

export interface CustomClaims {
  id_token?: Record<string, string>;
  userinfo?: Record<string, string>;
}

export interface LoginPolicyFields {
  title: string;
  loginURL: string;
  connection: ConnectionDetails;
  customClaims: CustomClaims | null;
}

/** GET answers show this instead of the owner client's secret; PUT takes it back as "unchanged". */
export const REDACTED_SECRET = '********';

/** The response types of OIDC (spec §4.3) a policy may allow; new policies allow the code flow only. */
export const RESPONSE_TYPES: readonly string[] = ['code', 'id_token', 'id_token token', 'code id_token', 'code token', 'code id_token token'];
export const DEFAULT_RESPONSE_TYPES: readonly string[] = ['code'];

const FIELDS = new Set(['title', 'loginURL', 'identityStoreDetails', 'customClaims']);
const STORE_FIELDS = new Set(['type', 'connectionDetails']);
const CONNECTION_FIELDS = ['domain', 'applicationId', 'entityType', 'clientId', 'clientSecret'] as const;
const CLAIM_SETS = new Set(['id_token', 'userinfo']);
const CLAIM_NAME = /^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$/;
const ATTRIBUTE_PATH = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

function requiredString(b: Record<string, unknown>, path: string[]): string {
  const name = path[path.length - 1] ?? '';
  const v = b[name];
  if (v === undefined || v === null) throw fieldRequired(...path);
  if (typeof v !== 'string' || v.trim() === '' || v.length > 2048) throw fieldInvalid(path, 'must be a non-empty string');
  return v;
}

function loginUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw fieldInvalid(['loginURL'], 'must be an absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw fieldInvalid(['loginURL'], 'must be an http or https URL');
  return text;
}

function customClaims(value: unknown): CustomClaims | null {
  if (value === undefined || value === null) return null;
  const sets = bodyObject(value, CLAIM_SETS, ['customClaims']);
  const out: CustomClaims = {};
  for (const set of ['id_token', 'userinfo'] as const) {
    const claims = sets[set];
    if (claims === undefined || claims === null) continue;
    const map = bodyObject(claims, new Set(Object.keys(claims)), ['customClaims', set]);
    const checked: Record<string, string> = {};
    for (const [claim, path] of Object.entries(map)) {
      if (!CLAIM_NAME.test(claim)) throw fieldInvalid(['customClaims', set, claim], 'is not a claim name');
      if (typeof path !== 'string' || !ATTRIBUTE_PATH.test(path)) throw fieldInvalid(['customClaims', set, claim], 'must be an attribute path such as primaryAddress.zip');
      checked[claim] = path;
    }
    out[set] = checked;
  }
  return out;
}

/** The fields of a login policy from a POST or PUT body (PUT replaces: customClaims left out are removed). */
export function parseLoginPolicyBody(body: unknown): LoginPolicyFields {
  const b = bodyObject(body, FIELDS);
  const title = requiredString(b, ['title']);
  const url = loginUrl(requiredString(b, ['loginURL']));
  if (b.identityStoreDetails === undefined || b.identityStoreDetails === null) throw fieldRequired('identityStoreDetails');
  const store = bodyObject(b.identityStoreDetails, STORE_FIELDS, ['identityStoreDetails']);
  if (store.type !== 'janrainCapture') throw fieldInvalid(['identityStoreDetails', 'type'], 'must be "janrainCapture"');
  if (store.connectionDetails === undefined || store.connectionDetails === null) throw fieldRequired('identityStoreDetails', 'connectionDetails');
  const details = bodyObject(store.connectionDetails, new Set(CONNECTION_FIELDS), ['identityStoreDetails', 'connectionDetails']);
  const connection = Object.fromEntries(CONNECTION_FIELDS.map((f) => [f, requiredString(details, ['identityStoreDetails', 'connectionDetails', f])])) as unknown as ConnectionDetails;
  return { title, loginURL: url, connection, customClaims: customClaims(b.customClaims) };
}

/** PUT `/pushClaims`: a bare boolean, or `{"enabled": boolean}`. */
export function parsePushClaims(body: unknown): boolean {
  if (typeof body === 'boolean') return body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new PolicyBodyError(422, 'the body must be true, false or {"enabled": true|false}');
  const b = bodyObject(body, new Set(['enabled']));
  if (typeof b.enabled !== 'boolean') throw fieldRequired('enabled');
  return b.enabled;
}

/** PUT `/allowedResponseTypes`: a non-empty array of OIDC response types. */
export function parseResponseTypes(body: unknown): string[] {
  if (!Array.isArray(body) || body.length === 0 || !body.every((t) => typeof t === 'string')) throw new PolicyBodyError(422, `the body must be a non-empty JSON array of response types (${RESPONSE_TYPES.join(', ')})`);
  const unknown = (body).filter((t) => !RESPONSE_TYPES.includes(t));
  if (unknown.length > 0) throw new PolicyBodyError(422, `not response types: ${unknown.map((t) => JSON.stringify(t)).join(', ')}; allowed are ${RESPONSE_TYPES.join(', ')}`);
  return [...new Set(body)];
}
