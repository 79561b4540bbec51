// Bodies of the JSON configuration APIs (spec hosted-login-api §0.1): the error texts they answer
// with — pydantic-style `('field',) field required` — and the checks every body shares. Pure: no I/O.

/** A body the API refuses: 400 for what is not JSON of the right shape, 422 for a field's value. */
export class PolicyBodyError extends Error {
  override name = 'PolicyBodyError';
  constructor(
    readonly status: 400 | 422,
    message: string,
  ) {
    super(message);
  }
}

/** `('a', 'b',) field required` for the field at that path. */
export function fieldRequired(...path: string[]): PolicyBodyError {
  return new PolicyBodyError(422, `(${path.map((p) => `'${p}'`).join(', ')},) field required`);
}

/** `('a', 'b',) <reason>`: a field's value is refused. */
export function fieldInvalid(path: readonly string[], reason: string): PolicyBodyError {
  return new PolicyBodyError(422, `(${path.map((p) => `'${p}'`).join(', ')},) ${reason}`);
}

/** The body as an object whose keys are all known (`id` and `_links` may be sent back and are ignored). */
export function bodyObject(body: unknown, fields: ReadonlySet<string>, at: readonly string[] = []): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    if (at.length === 0) throw new PolicyBodyError(400, 'the body must be a JSON object');
    throw fieldInvalid(at, 'must be a JSON object');
  }
  const b = body as Record<string, unknown>;
  const extra = Object.keys(b).filter((k) => !fields.has(k) && (at.length > 0 || (k !== 'id' && k !== '_links')));
  if (extra.length > 0) throw new PolicyBodyError(422, `(${extra.map((k) => `'${[...at, k].join('.')}'`).join(', ')},) extra fields not permitted`);
  return b;
}
