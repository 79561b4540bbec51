// Configuration token scopes (seed 004; spec hosted-login-api §2): `behaviour:path`, what a bearer may
// do with the configuration APIs. Pure: no I/O.
//
//   scope     := behaviour ":" path
//   behaviour := "*" (full) | "+" (mutate/activate: POST, PATCH) | "." (read: GET, HEAD) | "-" (deny)
//   path      := "**" | segment ("/" segment)* ("/" "**")?
//   segment   := "*" (any one segment) | 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" )
//
// A path covers what it names and everything below it (`config/tokenPolicies` covers each policy, as
// `config/tokenPolicies/**` does). A deny that covers a request refuses it whatever else is granted;
// grants combine (the union of their methods). Evaluation never depends on the order of scopes.

export type Behaviour = '*' | '+' | '.' | '-';

export const BEHAVIOUR_METHODS: Readonly<Record<Exclude<Behaviour, '-'>, readonly string[]>> = {
  '*': ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
  '+': ['POST', 'PATCH'],
  '.': ['GET', 'HEAD'],
};

/** One parsed scope. `pattern` holds the path's segments without a final `**` (which adds nothing). */
export interface Scope {
  behaviour: Behaviour;
  pattern: readonly string[];
  /** canonical text */
  text: string;
}

/** A scope that does not follow the grammar; `scope` is the offending text. */
export class ScopeSyntaxError extends Error {
  override name = 'ScopeSyntaxError';
  constructor(
    readonly scope: string,
    reason: string,
  ) {
    super(`${JSON.stringify(scope)} is not a configuration scope: ${reason}`);
  }
}

const SEGMENT = /^[A-Za-z0-9._~-]+$/;
const MAX_SCOPE_LENGTH = 512;

export function parseScope(text: string): Scope {
  if (text.length === 0) throw new ScopeSyntaxError(text, 'it is empty');
  if (text.length > MAX_SCOPE_LENGTH) throw new ScopeSyntaxError(text.slice(0, 40), `it is longer than ${MAX_SCOPE_LENGTH} characters`);
  const colon = text.indexOf(':');
  if (colon < 0) throw new ScopeSyntaxError(text, 'write it as behaviour:path, e.g. .:config/loginPolicies');
  const behaviour = text.slice(0, colon);
  if (behaviour !== '*' && behaviour !== '+' && behaviour !== '.' && behaviour !== '-') {
    throw new ScopeSyntaxError(text, `the behaviour must be one of * (full), + (create and change), . (read) or - (deny), not ${JSON.stringify(behaviour)}`);
  }
  const segments = text.slice(colon + 1).split('/');
  for (const [i, s] of segments.entries()) {
    if (s === '') throw new ScopeSyntaxError(text, 'the path has an empty segment');
    if (s === '**' && i !== segments.length - 1) throw new ScopeSyntaxError(text, '** may only end the path');
    if (s !== '*' && s !== '**' && !SEGMENT.test(s)) throw new ScopeSyntaxError(text, `${JSON.stringify(s)} is not a path segment (letters, digits, - . _ ~, or * for any one segment)`);
  }
  const pattern = segments[segments.length - 1] === '**' ? segments.slice(0, -1) : segments;
  return { behaviour, pattern, text: `${behaviour}:${segments.join('/')}` };
}

/** A space-separated scope list (an OAuth `scope` parameter); blank text is no scopes. */
export function parseScopeList(text: string): Scope[] {
  return text.split(/\s+/).filter((s) => s !== '').map(parseScope);
}

/** Whether a pattern covers a request path (segments): it matches the path's first segments. */
function matches(pattern: readonly string[], path: readonly string[]): boolean {
  if (pattern.length > path.length) return false;
  for (let i = 0; i < pattern.length; i += 1) {
    const p = pattern[i];
    if (p !== '*' && p !== path[i]) return false;
  }
  return true;
}

/** Request path → segments: the part after `/{customerId}/`, without query, leading or trailing slashes. */
export function requestSegments(path: string): string[] {
  const q = path.indexOf('?');
  const bare = q < 0 ? path : path.slice(0, q);
  return bare.split('/').filter((s) => s !== '');
}

/**
 * A token's scopes, compiled once: `allows(method, path)` answers whether the bearer may make that
 * request. Denies are checked first; then any grant whose methods include the method.
 */
export class ScopeSet {
  private readonly denies: (readonly string[])[];
  private readonly grants: { pattern: readonly string[]; methods: ReadonlySet<string> }[];

  constructor(readonly scopes: readonly Scope[]) {
    this.denies = scopes.filter((s) => s.behaviour === '-').map((s) => s.pattern);
    this.grants = scopes.flatMap((s) => (s.behaviour === '-' ? [] : [{ pattern: s.pattern, methods: new Set(BEHAVIOUR_METHODS[s.behaviour]) }]));
  }

  /** `path` as segments (requestSegments) or as text. */
  allows(method: string, path: readonly string[] | string): boolean {
    const segments = typeof path === 'string' ? requestSegments(path) : path;
    for (const d of this.denies) if (matches(d, segments)) return false;
    const m = method.toUpperCase();
    for (const g of this.grants) if (g.methods.has(m) && matches(g.pattern, segments)) return true;
    return false;
  }
}

/**
 * Whether `allowed` (a token policy's scope) covers `requested`: every request the requested scope
 * would grant, the allowed one grants too. A requested deny is covered by any allowed scope over its
 * path (it can only take access away).
 */
export function covers(allowed: Scope, requested: Scope): boolean {
  if (allowed.behaviour === '-') return false;
  if (requested.behaviour !== '-') {
    const have = BEHAVIOUR_METHODS[allowed.behaviour];
    if (!BEHAVIOUR_METHODS[requested.behaviour].every((m) => have.includes(m))) return false;
  }
  const a = allowed.pattern;
  const r = requested.pattern;
  if (a.length > r.length) return false;
  // A literal in `allowed` covers only the same literal; `*` covers any segment, `*` included.
  return a.every((seg, i) => seg === '*' || seg === r[i]);
}
