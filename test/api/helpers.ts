// Request helpers for the HTTP integration tests of API clients: raw HTTP over node:http (so a GET can
// carry a form body and a Date header goes out as written), the three ways to send Registration
// parameters, the three client-credential methods (Basic, parameters, janrain-signed — signed here
// independently of src/), the configuration API, /metrics, /audit/list, bounded polling, and a
// starter for several servers on one PostgreSQL database.
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http, { type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { expect } from 'vitest';
import { defaultConfig, type ServerConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { startServer, type RunningServer } from '../../src/runtime.js';
import { randomString } from '../../src/security/random.js';
import { insertApiClient } from '../../src/store/repositories/api-clients.js';
import { insertApplication } from '../../src/store/repositories/tenancy.js';
import { createPostgresDatabase } from '../helpers/postgres.js';
import type { TestServer } from '../helpers/server.js';

// ---------------------------------------------------------------------------------------------
// Raw HTTP

export interface HttpResult {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body as received (still gzipped if the server compressed it). */
  raw: Buffer;
  /** The body decoded (gunzipped when Content-Encoding says gzip) as UTF-8. */
  text: string;
}

export interface HttpRequest {
  method?: string;
  /** Path with query string. */
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Source address of the connection (e.g. 127.0.0.2 on Linux loopback). */
  localAddress?: string;
}

/** One HTTP request on a fresh connection; the body is sent with a Content-Length whatever the method. */
export function httpRequest(baseUrl: string, req: HttpRequest): Promise<HttpResult> {
  const url = new URL(baseUrl);
  const body = req.body === undefined ? undefined : Buffer.isBuffer(req.body) ? req.body : Buffer.from(req.body, 'utf8');
  const headers: Record<string, string> = { connection: 'close', ...req.headers };
  if (body !== undefined) headers['content-length'] = String(body.length);
  return new Promise((resolve, reject) => {
    const r = http.request(
      {
        host: url.hostname.replace(/^\[|\]$/g, ''),
        port: Number(url.port),
        method: req.method ?? 'GET',
        path: req.path,
        headers,
        localAddress: req.localAddress,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const raw = Buffer.concat(chunks);
          const decoded = res.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
          resolve({ status: res.statusCode ?? 0, headers: res.headers, raw, text: decoded.toString('utf8') });
        });
      },
    );
    r.on('error', reject);
    r.setTimeout(20_000, () => r.destroy(new Error(`request ${req.method ?? 'GET'} ${req.path} timed out`)));
    if (body !== undefined) r.write(body);
    r.end();
  });
}

export function parseJson(res: HttpResult): unknown {
  try {
    return JSON.parse(res.text) as unknown;
  } catch {
    throw new Error(`response (HTTP ${res.status}) is not JSON: ${res.text.slice(0, 500)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Encodings

export type ParamList = Record<string, string> | [string, string][];

const entries = (p: ParamList): [string, string][] => (Array.isArray(p) ? p : Object.entries(p));

export function urlencoded(params: ParamList): string {
  return new URLSearchParams(entries(params)).toString();
}

export function multipart(params: ParamList, boundary = `----idcloudtest${randomString(16)}`): { contentType: string; body: Buffer } {
  const parts: Buffer[] = [];
  for (const [k, v] of entries(params)) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n`, 'utf8'), Buffer.from(v, 'utf8'), Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { contentType: `multipart/form-data; boundary=${boundary}`, body: Buffer.concat(parts) };
}

export const basicHeader = (clientId: string, secret: string): string => `Basic ${Buffer.from(`${clientId}:${secret}`, 'utf8').toString('base64')}`;

// ---------------------------------------------------------------------------------------------
// janrain-signed, written from the spec (capture-api §1.3), not from src/

function codePointCompare(a: string, b: string): number {
  const ca = Array.from(a, (c) => c.codePointAt(0) ?? 0);
  const cb = Array.from(b, (c) => c.codePointAt(0) ?? 0);
  for (let i = 0; i < Math.min(ca.length, cb.length); i++) {
    const d = (ca[i] ?? 0) - (cb[i] ?? 0);
    if (d !== 0) return d;
  }
  return ca.length - cb.length;
}

const NOT_SIGNED = new Set(['client_id', 'client_secret', 'access_token']);

/** The string a janrain client signs; `blankLine` picks the published sample's zero-parameter form. */
export function janrainStringToSign(endpoint: string, date: string, params: [string, string][], blankLine = false): string {
  const lines = params.filter(([k]) => !NOT_SIGNED.has(k)).map(([k, v]) => `${k}=${v}`).sort(codePointCompare);
  if (lines.length === 0) return blankLine ? `${endpoint}\n${date}\n\n` : `${endpoint}\n${date}\n`;
  return `${endpoint}\n${date}\n${lines.join('\n')}\n`;
}

export function janrainSignature(secret: string, text: string): string {
  return createHmac('sha1', Buffer.from(secret, 'utf8')).update(text, 'utf8').digest('base64');
}

/** `YYYY-MM-DD HH:MM:SS` in UTC. */
export const janrainDate = (d: Date = new Date()): string => d.toISOString().slice(0, 19).replace('T', ' ');

// ---------------------------------------------------------------------------------------------
// Registration API

export interface Credentials {
  clientId: string;
  clientSecret: string;
}

export type Auth =
  | { kind: 'none' }
  | { kind: 'basic'; creds: Credentials }
  | { kind: 'params'; creds: Credentials }
  | { kind: 'signed'; creds: Credentials; date?: string; blankLine?: boolean; tamper?: boolean }
  | { kind: 'header'; value: string };

export const basic = (creds: Credentials): Auth => ({ kind: 'basic', creds });
export const asParams = (creds: Credentials): Auth => ({ kind: 'params', creds });
export const signed = (creds: Credentials, opts: { date?: string; blankLine?: boolean; tamper?: boolean } = {}): Auth => ({ kind: 'signed', creds, ...opts });
export const rawAuthorization = (value: string): Auth => ({ kind: 'header', value });
export const noAuth: Auth = { kind: 'none' };

/** A Registration answer, success or error envelope. */
export interface RegBody {
  stat: string;
  code?: number;
  error?: string;
  error_description?: string;
  argument_name?: string;
  request_id?: string;
  [key: string]: unknown;
}

export interface RegResult extends HttpResult {
  body: RegBody;
}

export interface RegOptions {
  auth?: Auth;
  method?: 'GET' | 'POST';
  /** Where the parameters go (default: urlencoded body). */
  encoding?: 'urlencoded' | 'multipart' | 'query';
  /** Extra parameters in the URL query string, whatever `encoding` says. */
  query?: ParamList;
  headers?: Record<string, string>;
  localAddress?: string;
}

type Target = string | { url: string };
const baseOf = (t: Target): string => (typeof t === 'string' ? t : t.url);

/** Calls a Registration operation and parses the JSON answer (failing loudly on a non-JSON body). */
export async function reg(target: Target, path: string, params: ParamList = {}, opts: RegOptions = {}): Promise<RegResult> {
  const auth = opts.auth ?? noAuth;
  let bodyParams = entries(params);
  const queryParams = entries(opts.query ?? {});
  const headers: Record<string, string> = { ...opts.headers };
  if (auth.kind === 'basic') headers.authorization = basicHeader(auth.creds.clientId, auth.creds.clientSecret);
  if (auth.kind === 'header') headers.authorization = auth.value;
  if (auth.kind === 'params') bodyParams = [['client_id', auth.creds.clientId], ['client_secret', auth.creds.clientSecret], ...bodyParams];
  let allQuery = queryParams;
  let body: string | Buffer | undefined;
  const encoding = opts.encoding ?? 'urlencoded';
  if (encoding === 'query') {
    allQuery = [...queryParams, ...bodyParams];
  } else if (bodyParams.length > 0 || opts.method !== 'GET') {
    if (encoding === 'multipart') {
      const m = multipart(bodyParams);
      headers['content-type'] = m.contentType;
      body = m.body;
    } else {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = urlencoded(bodyParams);
    }
  }
  if (auth.kind === 'signed') {
    const date = auth.date ?? janrainDate();
    // Body wins over query: sign the merged parameter set the server will see.
    const merged = new Map<string, string>(allQuery);
    if (encoding !== 'query') for (const [k, v] of bodyParams) merged.set(k, v);
    const text = janrainStringToSign(path, date, [...merged], auth.blankLine);
    let sig = janrainSignature(auth.creds.clientSecret, text);
    if (auth.tamper) sig = janrainSignature(`${auth.creds.clientSecret}x`, text);
    headers.date = date;
    headers.authorization = `Signature ${auth.creds.clientId}:${sig}`;
  }
  const qs = allQuery.length > 0 ? `?${urlencoded(allQuery)}` : '';
  const res = await httpRequest(baseOf(target), { method: opts.method ?? 'POST', path: `${path}${qs}`, headers, body, localAddress: opts.localAddress });
  return { ...res, body: parseJson(res) as RegBody };
}

/** Asserts a Registration error envelope with the given code (and argument, if given). */
export function expectRegError(res: RegResult, code: number, argument?: string): void {
  expect(res.status, res.text).toBe(200);
  expect(res.body, res.text).toMatchObject({ stat: 'error', code });
  expect(typeof res.body.error).toBe('string');
  expect(typeof res.body.error_description).toBe('string');
  expect(res.body.request_id).toMatch(/^[a-z0-9]{16}$/);
  if (argument !== undefined) expect(res.body.argument_name, res.text).toBe(argument);
}

export function expectOk(res: RegResult): void {
  expect(res.status, res.text).toBe(200);
  expect(res.body.stat, res.text).toBe('ok');
}

/** The legacy client object (spec §6). */
export interface LegacyClient {
  client_id: string;
  client_secret: string;
  description: string;
  features: string[];
  whitelist: string[];
}

export async function listClients(t: Target, owner: Credentials, params: ParamList = {}): Promise<LegacyClient[]> {
  const res = await reg(t, '/clients/list', params, { auth: basic(owner) });
  expectOk(res);
  return res.body.results as LegacyClient[];
}

export async function findClient(t: Target, owner: Credentials, clientId: string): Promise<LegacyClient | undefined> {
  return (await listClients(t, owner)).find((c) => c.client_id === clientId);
}

/** Creates a client through /clients/add and returns its credentials. */
export async function addClient(t: Target, owner: Credentials, features: string[], description = `test client ${randomString(6)}`): Promise<Credentials & LegacyClient> {
  const res = await reg(t, '/clients/add', { description, features: JSON.stringify(features) }, { auth: basic(owner) });
  expectOk(res);
  const c = res.body as unknown as LegacyClient;
  return { ...c, clientId: c.client_id, clientSecret: c.client_secret };
}

/** True when `creds` authenticate (a call that needs nothing but valid credentials: /clients/list answers 403 or ok). */
export async function authenticates(t: Target, creds: Credentials, auth: (c: Credentials) => Auth = basic): Promise<boolean> {
  const res = await reg(t, '/clients/list', {}, { auth: auth(creds) });
  if (res.body.stat === 'ok' || res.body.code === 403) return true;
  if (res.body.code === 402) return false;
  throw new Error(`unexpected answer while checking credentials: ${res.text}`);
}

export interface AuditRow {
  id: number;
  at: string;
  /** null for customer-level entries (Hosted Login configuration) */
  application_id: string | null;
  client_id: string | null;
  address: string | null;
  operation: string;
  target: string | null;
  before: unknown;
  after: unknown;
}

export async function auditList(t: Target, owner: Credentials, params: ParamList = {}): Promise<{ rows: AuditRow[]; text: string }> {
  const res = await reg(t, '/audit/list', { max_results: '1000', ...params }, { auth: basic(owner) });
  expectOk(res);
  return { rows: res.body.results as AuditRow[], text: res.text };
}

// ---------------------------------------------------------------------------------------------
// Configuration API

export interface ConfigResult extends HttpResult {
  body: unknown;
}

export async function cfg(
  target: Target,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  path: string,
  opts: { auth?: Auth; json?: unknown; rawBody?: string; contentType?: string; headers?: Record<string, string> } = {},
): Promise<ConfigResult> {
  const headers: Record<string, string> = { ...opts.headers };
  const auth = opts.auth ?? noAuth;
  if (auth.kind === 'basic') headers.authorization = basicHeader(auth.creds.clientId, auth.creds.clientSecret);
  if (auth.kind === 'header') headers.authorization = auth.value;
  if (auth.kind === 'signed') {
    const date = janrainDate();
    headers.date = date;
    headers.authorization = `Signature ${auth.creds.clientId}:${janrainSignature(auth.creds.clientSecret, janrainStringToSign(path.split('?')[0] ?? path, date, []))}`;
  }
  let body: string | undefined;
  if (opts.json !== undefined) {
    body = JSON.stringify(opts.json);
    headers['content-type'] = opts.contentType ?? 'application/json';
  } else if (opts.rawBody !== undefined) {
    body = opts.rawBody;
    headers['content-type'] = opts.contentType ?? 'application/json';
  }
  const res = await httpRequest(baseOf(target), { method, path, headers, body });
  return { ...res, body: res.text === '' ? undefined : parseJson(res) };
}

/** The configuration API's client object (spec §8). */
export interface ConfigClient {
  _id: string;
  _secret: string;
  _self: string;
  _settings: string;
  name: string;
  features: string[];
  ipWhitelist: string[];
}

// ---------------------------------------------------------------------------------------------
// Metrics, logs, polling

/** The value of one Prometheus sample whose labels include `labels` (0 when absent). */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const m = /^([^{\s]+)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = new Map<string, string>();
    for (const lm of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) have.set(lm[1] ?? '', lm[2] ?? '');
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) total += Number(m[3]);
  }
  return total;
}

export async function metrics(t: Target): Promise<string> {
  const res = await httpRequest(baseOf(t), { path: '/metrics' });
  expect(res.status).toBe(200);
  return res.text;
}

export type LogRecord = Record<string, unknown> & { level?: number; msg?: string };

export const logRecords = (lines: readonly string[]): LogRecord[] => lines.map((l) => JSON.parse(l) as LogRecord);

/** Calls `fn` until `done(value)` holds or `timeoutMs` passes; returns the last value either way. */
export async function pollUntil<T>(fn: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 5_000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await fn();
  while (!done(value) && Date.now() < deadline) {
    await sleep(intervalMs);
    value = await fn();
  }
  return value;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Failure limits high enough that suites which are not about throttling never trip them. */
export const RELAXED_THROTTLE = { authFailureLimit: 100_000, authFailureAddressLimit: 1_000_000 } as const;

// ---------------------------------------------------------------------------------------------
// Tenancy: a second application in the same database (no API creates one yet)

export interface OtherApplication {
  applicationId: string;
  owner: Credentials;
}

export async function addApplicationWithOwner(t: TestServer): Promise<OtherApplication> {
  const { store, secretBox } = t.server.context;
  const applicationId = randomString(26);
  const now = new Date().toISOString().replace('Z', '000Z');
  const owner = { clientId: randomString(32), clientSecret: randomString(32) };
  await store.db.transaction().execute(async (trx) => {
    await insertApplication(trx, { id: applicationId, customer_id: t.customerId, name: 'second', created_at: now });
    await insertApiClient(
      trx,
      { clientId: owner.clientId, applicationId, description: 'owner of the second application', features: ['owner'], whitelist: ['0.0.0.0/0'], createdAt: now, updatedAt: now },
      secretBox.seal(owner.clientSecret, `api_client:${owner.clientId}`),
    );
  });
  return { applicationId, owner };
}

// ---------------------------------------------------------------------------------------------
// Hosted Login: an API client that belongs to an OIDC client (janrainOidcClientId may name only that)

const hostedLoginSetups = new WeakMap<TestServer, Promise<{ token: string; loginPolicy: string; tokenPolicy: string }>>();

async function hostedLoginSetup(t: TestServer): Promise<{ token: string; loginPolicy: string; tokenPolicy: string }> {
  const b = t.server.bootstrap;
  if (!b.created) throw new Error('the test server was not bootstrapped');
  const cc = b.credentials.configuration_client;
  const res = await t.fetch(`/${t.customerId}/login/token`, { method: 'POST', headers: { authorization: basicHeader(cc.client_id, cc.client_secret) }, body: new URLSearchParams({ grant_type: 'client_credentials', scope: '*:config/**' }) });
  const token = String(((await res.json()) as Record<string, unknown>).access_token);
  const policy = await t.fetch(`/${t.customerId}/config/loginPolicies`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ title: 'tests', loginURL: 'https://login.example.com/login', identityStoreDetails: { type: 'janrainCapture', connectionDetails: { domain: 'c.example.com', applicationId: t.applicationId, entityType: 'user', clientId: t.owner.clientId, clientSecret: t.owner.clientSecret } } }),
  });
  const loginPolicy = String(((await policy.json()) as Record<string, unknown>).id);
  return { token, loginPolicy, tokenPolicy: cc.token_policy_id };
}

/** A public OIDC client's own API client (with its secret, read by the owner), and the OIDC client's id. */
export async function addHostedLoginClient(t: TestServer): Promise<Credentials & { oidcClientId: string }> {
  let setup = hostedLoginSetups.get(t);
  if (!setup) hostedLoginSetups.set(t, (setup = hostedLoginSetup(t)));
  const { token, loginPolicy, tokenPolicy } = await setup;
  const res = await t.fetch(`/${t.customerId}/config/clients`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: `hosted ${randomString(8)}`, type: 'public', redirectURIs: ['https://app.example.com/cb'], loginPolicy, tokenPolicy }),
  });
  const body = (await res.json()) as { id: string; _links: { application_client: { href: string } } };
  const clientId = body._links.application_client.href.split('/').pop() ?? '';
  const view = await t.fetch(`/config/${t.applicationId}/clients/${clientId}`, { headers: { authorization: basicHeader(t.owner.clientId, t.owner.clientSecret) } });
  return { clientId, clientSecret: String(((await view.json()) as Record<string, unknown>)._secret), oidcClientId: body.id };
}

// ---------------------------------------------------------------------------------------------
// Several processes' worth of servers on one PostgreSQL database

export interface SharedServer {
  url: string;
  server: RunningServer;
  logLines: string[];
}

export interface SharedCluster {
  servers: SharedServer[];
  owner: Credentials;
  applicationId: string;
  databaseUrl: string;
  close(): Promise<void>;
}

/**
 * Starts `count` servers on one new PostgreSQL database, each with its own data directory, sharing
 * only the database and the master key (given as IDCLOUD_MASTER_KEY, as separate hosts would).
 */
export async function startSharedCluster(count: number, overrides: Partial<ServerConfig> = {}): Promise<SharedCluster> {
  const database = await createPostgresDatabase();
  const masterKey = randomBytes(32).toString('base64');
  const owner = { clientId: `owner${randomString(27)}`, clientSecret: randomString(32) };
  const dirs: string[] = [];
  const servers: SharedServer[] = [];
  const closeAll = async (): Promise<void> => {
    for (const s of servers) await s.server.close();
    await database.drop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  };
  let applicationId = '';
  try {
    for (let i = 0; i < count; i++) {
      const dataDir = mkdtempSync(join(tmpdir(), 'idcloud-shared-'));
      dirs.push(dataDir);
      const config = defaultConfig({ dataDir, port: 0, logLevel: 'info', databaseUrl: database.url, shutdownTimeout: 5, ...overrides });
      const logLines: string[] = [];
      const sink = new Writable({
        write(chunk: Buffer, _enc, done) {
          logLines.push(...chunk.toString('utf8').split('\n').filter((l) => l.length > 0));
          done();
        },
      });
      const server = await startServer(config, { env: { IDCLOUD_MASTER_KEY: masterKey }, logger: createLogger('info', sink), seededOwner: owner });
      if (i === 0) {
        if (!server.bootstrap.created) throw new Error('the first server did not bootstrap the fresh database');
        applicationId = server.bootstrap.credentials.application_id;
      } else if (server.bootstrap.created) {
        throw new Error('a later server bootstrapped the shared database again');
      }
      servers.push({ url: server.url, server, logLines });
    }
  } catch (err) {
    await closeAll();
    throw err;
  }
  return { servers, owner, applicationId, databaseUrl: database.url, close: closeAll };
}
