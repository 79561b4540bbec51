// Registration request parameters: from the query string and from an urlencoded or multipart form
// body (also on GET); the body wins where both carry a key (spec README "Accept what real clients send").
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { invalidArgument, missingArgument } from './errors.js';

export type Params = Map<string, string>;

/** Raw body kinds this transport understands, captured unparsed so GET and POST share one parser. */
interface RawForm {
  kind: 'urlencoded' | 'multipart';
  contentType: string;
  body: Buffer;
}

function isRawForm(value: unknown): value is RawForm {
  return typeof value === 'object' && value !== null && 'kind' in value && 'body' in value;
}

/** Registers body parsers that keep form bodies raw; `readParams` decodes them. */
export function registerFormParsers(app: FastifyInstance): void {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'buffer' }, (req, body, done) => {
    done(null, { kind: 'urlencoded', contentType: req.headers['content-type'] ?? '', body: Buffer.from(body) } satisfies RawForm);
  });
  app.addContentTypeParser('multipart/form-data', { parseAs: 'buffer' }, (req, body, done) => {
    done(null, { kind: 'multipart', contentType: req.headers['content-type'] ?? '', body: Buffer.from(body) } satisfies RawForm);
  });
}

async function readRawBody(request: FastifyRequest, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request.raw) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > limit) throw invalidArgument('body', 'the request body is too large');
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

async function decodeForm(form: RawForm, into: Params): Promise<void> {
  if (form.kind === 'urlencoded') {
    for (const [k, v] of new URLSearchParams(form.body.toString('utf8'))) into.set(k, v);
    return;
  }
  let data: FormData;
  try {
    data = await new Response(form.body, { headers: { 'content-type': form.contentType } }).formData();
  } catch {
    throw invalidArgument('body', 'the multipart/form-data body could not be parsed');
  }
  for (const [k, v] of data) into.set(k, typeof v === 'string' ? v : await v.text());
}

function formKind(contentType: string | undefined): RawForm['kind'] | null {
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  if (type === 'application/x-www-form-urlencoded') return 'urlencoded';
  if (type === 'multipart/form-data') return 'multipart';
  return null;
}

export interface RequestParams {
  params: Params;
  /** Keys that arrived in the URL query string (credentials there are refused). */
  queryKeys: ReadonlySet<string>;
}

export async function readParams(request: FastifyRequest, bodyLimit: number): Promise<RequestParams> {
  const params: Params = new Map();
  const q = request.url.indexOf('?');
  const queryKeys = new Set<string>();
  if (q >= 0) {
    for (const [k, v] of new URLSearchParams(request.url.slice(q + 1))) {
      params.set(k, v);
      queryKeys.add(k);
    }
  }
  let form: RawForm | null = null;
  if (isRawForm(request.body)) {
    form = request.body;
  } else if (request.method === 'GET' || request.method === 'HEAD') {
    // Fastify leaves GET bodies unread; some clients send their form there.
    const kind = formKind(request.headers['content-type']);
    const hasBody = request.headers['content-length'] !== undefined || request.headers['transfer-encoding'] !== undefined;
    if (kind && hasBody) form = { kind, contentType: request.headers['content-type'] ?? '', body: await readRawBody(request, bodyLimit) };
  }
  if (form) await decodeForm(form, params);
  return { params, queryKeys };
}

/** Typed readers over the parameter map; each failure is the API's own 100/200 error. */
export function requireParam(params: Params, name: string): string {
  const value = params.get(name);
  if (value === undefined || value === '') throw missingArgument(name);
  return value;
}

export function jsonParam(params: Params, name: string): unknown {
  const text = params.get(name);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw invalidArgument(name, 'the JSON is not syntactically valid');
  }
}
