// The default session policy (spec hosted-login-api §3.4): how long Hosted Login sessions live. PATCH
// is a merge patch (RFC 7396) of these three fields. Pure: no I/O.
import { bodyObject, fieldInvalid } from './config-body.js';

export interface SessionPolicy {
  deactivated: boolean;
  /** seconds without activity before a session ends: 60..7776000 */
  inactivityTTL: number;
  /** seconds a session may last at most: 86400..31536000, or -1 for no limit */
  absoluteTTL: number;
}

export const DEFAULT_SESSION_POLICY: Readonly<SessionPolicy> = { deactivated: false, inactivityTTL: 2_592_000, absoluteTTL: 31_536_000 };

const FIELDS = new Set(['deactivated', 'inactivityTTL', 'absoluteTTL']);

/** The policy after a merge patch; `null` for a field restores its default. */
export function patchSessionPolicy(current: SessionPolicy, patch: unknown): SessionPolicy {
  const p = bodyObject(patch, FIELDS);
  const next: SessionPolicy = { ...current };
  if ('deactivated' in p) {
    if (p.deactivated === null) next.deactivated = DEFAULT_SESSION_POLICY.deactivated;
    else if (typeof p.deactivated === 'boolean') next.deactivated = p.deactivated;
    else throw fieldInvalid(['deactivated'], 'must be true or false');
  }
  if ('inactivityTTL' in p) {
    const v = p.inactivityTTL;
    if (v === null) next.inactivityTTL = DEFAULT_SESSION_POLICY.inactivityTTL;
    else if (typeof v === 'number' && Number.isInteger(v) && v >= 60 && v <= 7_776_000) next.inactivityTTL = v;
    else throw fieldInvalid(['inactivityTTL'], 'must be a whole number of seconds from 60 to 7776000');
  }
  if ('absoluteTTL' in p) {
    const v = p.absoluteTTL;
    if (v === null) next.absoluteTTL = DEFAULT_SESSION_POLICY.absoluteTTL;
    else if (typeof v === 'number' && Number.isInteger(v) && (v === -1 || (v >= 86_400 && v <= 31_536_000))) next.absoluteTTL = v;
    else throw fieldInvalid(['absoluteTTL'], 'must be -1 (no limit) or a whole number of seconds from 86400 to 31536000');
  }
  return next;
}

/** A stored document read back (fields missing from it take their defaults). */
export function sessionPolicyOf(stored: Record<string, unknown> | null): SessionPolicy {
  return stored === null ? { ...DEFAULT_SESSION_POLICY } : patchSessionPolicy(DEFAULT_SESSION_POLICY, stored);
}
