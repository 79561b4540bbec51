// Token policy bodies of the Hosted Login configuration API (spec hosted-login-api §3.3): what a
// caller may send, checked field by field, with the API's own `{"errors": "…"}` texts. Pure: no I/O.
import { bodyObject, fieldRequired, PolicyBodyError } from './config-body.js';
import { parseScope, ScopeSyntaxError, type Scope } from './scopes.js';

export { PolicyBodyError };

/** The user scopes of login tokens (spec §4.9); a token policy may also hold configuration scopes. */
export const OIDC_SCOPES: readonly string[] = ['openid', 'profile', 'email', 'address', 'phone'];

export const ACCESS_TOKEN_LIFETIME = { min: 60, max: 3600, default: 3600 } as const;
export const REFRESH_TOKEN_LIFETIME = { min: 60, max: 31_557_600, default: 7_776_000 } as const;

export interface TokenPolicyFields {
  title: string;
  accessTokenLifetime: number;
  refreshTokenLifetime: number;
  allowedScopes: string[];
  useAccessJWT: boolean;
}

const FIELDS = new Set(['title', 'accessTokenLifetime', 'refreshTokenLifetime', 'allowedScopes', 'useAccessJWT']);

function lifetime(value: unknown, field: string, bounds: { min: number; max: number; default: number }): number {
  if (value === undefined || value === null) return bounds.default;
  // The documentation shows lifetimes both as numbers and as strings ("1800").
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d{1,10}$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < bounds.min || n > bounds.max) throw new PolicyBodyError(422, `('${field}',) must be a whole number of seconds from ${bounds.min} to ${bounds.max}`);
  return n;
}

/** A configuration scope of a policy, or null for an OIDC scope; a malformed one is refused naming it. */
export function policyScope(text: string): Scope | null {
  if (OIDC_SCOPES.includes(text)) return null;
  try {
    return parseScope(text);
  } catch (err) {
    if (err instanceof ScopeSyntaxError) throw new PolicyBodyError(422, `('allowedScopes',) ${err.message}; allowed are ${OIDC_SCOPES.join(', ')} and configuration scopes such as *:config/**`);
    throw err;
  }
}

/**
 * The fields of a token policy from a POST or PUT body (PUT replaces the whole policy: a field left out
 * takes its default). Unknown fields are refused; `id` and `_links` may be sent back and are ignored.
 */
export function parseTokenPolicyBody(body: unknown): TokenPolicyFields {
  const b = bodyObject(body, FIELDS);
  if (b.title === undefined || b.title === null) throw fieldRequired('title');
  if (typeof b.title !== 'string' || b.title.trim() === '' || b.title.length > 200) throw new PolicyBodyError(422, "('title',) must be a non-empty string of at most 200 characters");
  let allowedScopes: string[] = [...OIDC_SCOPES];
  if (b.allowedScopes !== undefined && b.allowedScopes !== null) {
    if (!Array.isArray(b.allowedScopes) || !b.allowedScopes.every((s) => typeof s === 'string')) throw new PolicyBodyError(422, "('allowedScopes',) must be an array of strings");
    if (b.allowedScopes.length > 100) throw new PolicyBodyError(422, "('allowedScopes',) at most 100 scopes");
    allowedScopes = [...new Set(b.allowedScopes)];
    for (const s of allowedScopes) policyScope(s);
  }
  if (b.useAccessJWT !== undefined && b.useAccessJWT !== null && typeof b.useAccessJWT !== 'boolean') throw new PolicyBodyError(422, "('useAccessJWT',) must be true or false");
  return {
    title: b.title,
    accessTokenLifetime: lifetime(b.accessTokenLifetime, 'accessTokenLifetime', ACCESS_TOKEN_LIFETIME),
    refreshTokenLifetime: lifetime(b.refreshTokenLifetime, 'refreshTokenLifetime', REFRESH_TOKEN_LIFETIME),
    allowedScopes,
    useAccessJWT: b.useAccessJWT === true,
  };
}

/** The configuration scopes of a policy (what its tokens may be granted). */
export function configScopesOf(allowedScopes: readonly string[]): Scope[] {
  return allowedScopes.flatMap((s) => {
    const scope = policyScope(s);
    return scope ? [scope] : [];
  });
}

/** Whether tokens of this policy can grant anything at all (a policy without a grant cannot administer). */
export function canMintConfigTokens(allowedScopes: readonly string[]): boolean {
  return configScopesOf(allowedScopes).some((s) => s.behaviour !== '-');
}
