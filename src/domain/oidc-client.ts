// OIDC client bodies of the Hosted Login configuration API (spec hosted-login-api §3.1). Pure: no I/O.
import { bodyObject, fieldInvalid, fieldRequired } from './config-body.js';
import { UUID } from './schema/values.js';

export const OIDC_CLIENT_TYPES = ['public', 'confidential', 'configuration'] as const;
export type OidcClientKind = (typeof OIDC_CLIENT_TYPES)[number];

export interface OidcClientFields {
  name: string;
  type: OidcClientKind;
  redirectURIs: string[];
  loginPolicy: string | null;
  tokenPolicy: string;
}

const FIELDS = new Set(['name', 'type', 'redirectURIs', 'loginPolicy', 'tokenPolicy']);
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);
/** Schemes that run or embed content rather than return to an application. */
const UNSAFE_SCHEMES = new Set(['javascript:', 'data:', 'file:', 'vbscript:', 'blob:']);

/**
 * A redirect URI: https; plain http only to localhost (spec §3.1); or a mobile deep link in an
 * application's own scheme (`com.example.app:/callback`). No fragments.
 */
export function checkRedirectUri(text: string): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'is not an absolute URI';
  }
  if (url.hash !== '') return 'may not have a fragment (#…)';
  if (url.protocol === 'https:') return null;
  if (url.protocol === 'http:') return LOOPBACK.has(url.hostname) ? null : 'uses plain http: only http://localhost may; use https';
  if (UNSAFE_SCHEMES.has(url.protocol)) return `uses the ${url.protocol} scheme, which cannot be a redirect`;
  return null;
}

function uuidField(b: Record<string, unknown>, field: string): string {
  const v = b[field];
  if (v === undefined || v === null) throw fieldRequired(field);
  if (typeof v !== 'string' || !UUID.test(v)) throw fieldInvalid([field], 'must be the id (a UUID) of a policy');
  return v.toLowerCase();
}

export function parseOidcClientBody(body: unknown): OidcClientFields {
  const b = bodyObject(body, FIELDS);
  if (b.name === undefined || b.name === null) throw fieldRequired('name');
  if (typeof b.name !== 'string' || b.name.trim() === '' || b.name.length > 200) throw fieldInvalid(['name'], 'must be a non-empty string of at most 200 characters');
  if (b.type === undefined || b.type === null) throw fieldRequired('type');
  if (typeof b.type !== 'string' || !(OIDC_CLIENT_TYPES as readonly string[]).includes(b.type)) throw fieldInvalid(['type'], `must be one of ${OIDC_CLIENT_TYPES.join(', ')}`);
  const type = b.type as OidcClientKind;
  let redirectURIs: string[] = [];
  if (b.redirectURIs !== undefined && b.redirectURIs !== null) {
    if (!Array.isArray(b.redirectURIs) || !b.redirectURIs.every((u) => typeof u === 'string')) throw fieldInvalid(['redirectURIs'], 'must be an array of URIs');
    redirectURIs = [...new Set(b.redirectURIs)];
    for (const uri of redirectURIs) {
      const problem = checkRedirectUri(uri);
      if (problem) throw fieldInvalid(['redirectURIs'], `${JSON.stringify(uri)} ${problem}`);
    }
  }
  if (type !== 'configuration' && redirectURIs.length === 0) throw fieldRequired('redirectURIs');
  const loginPolicy = type === 'configuration' ? null : uuidField(b, 'loginPolicy');
  if (type === 'configuration' && b.loginPolicy !== undefined && b.loginPolicy !== null) throw fieldInvalid(['loginPolicy'], 'a configuration client has no login policy');
  return { name: b.name, type, redirectURIs, loginPolicy, tokenPolicy: uuidField(b, 'tokenPolicy') };
}
