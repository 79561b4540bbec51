// The benchmark scenarios: one entry each, run in this order, every one measured against a scenario
// on the bare Fastify baseline in the same run. To add one, append an entry (see docs/benchmarks.md).
//
// `request` is either a fixed request or a function that builds it once, before warm-up, from the
// server it will hit. The function may be async and may call `server.fetch` to create what the
// request needs (an entity to read, say); idcloud servers come with their seeded credentials.
import { formatSignatureDate, signatureHeader } from '../src/security/janrain-signature.js';
import { OIDC_PROVIDER_CLIENT, type ClientCredentials, type IdcloudDetails, type ServerKind } from './protocol.js';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';

/** One HTTP request, sent over and over by every connection. */
export interface ScenarioRequest {
  /** Default GET. */
  method?: HttpMethod;
  /** Path and query, starting with "/"; always sent to the server child on 127.0.0.1. */
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

/** A running server child, as a scenario sees it. */
export interface BenchServer {
  kind: ServerKind;
  /** http://127.0.0.1:<port> */
  url: string;
  /** fetch() against this server: `path` is appended to `url`. For setup requests before the measurement. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
}

export interface BaselineServer extends BenchServer {
  kind: 'baseline';
}

export interface IdcloudServer extends BenchServer {
  kind: 'idcloud';
  /** The bootstrap credentials of the fresh database: the seeded owner client, the login client, ids. */
  idcloud: IdcloudDetails;
}

/** node-oidc-provider, configured minimally: one client_credentials client (OIDC_PROVIDER_CLIENT). */
export interface OidcProviderServer extends BenchServer {
  kind: 'oidc-provider';
}

type RequestSource<S> = ScenarioRequest | ((server: S) => ScenarioRequest | Promise<ScenarioRequest>);

interface ScenarioCommon {
  /** Short, unique; used in the table and in BENCH_SCENARIOS. */
  name: string;
  /** One line: what is measured. Printed under the table. */
  description: string;
  /** Every measured response must have this status (default 200); any other counts as a failure. */
  expectStatus?: number;
  /** Name of the scenario whose figures the ratios divide by (default "baseline"). */
  compareTo?: string;
}

export type Scenario =
  | (ScenarioCommon & { server: 'baseline'; request: RequestSource<BaselineServer> })
  | (ScenarioCommon & { server: 'idcloud'; request: RequestSource<IdcloudServer> })
  | (ScenarioCommon & { server: 'oidc-provider'; request: RequestSource<OidcProviderServer> });

/** The reference scenario every other one is compared with unless it names another. */
export const BASELINE_SCENARIO = 'baseline';

/** `Authorization: Basic …` for an API client. */
export function basicAuth(client: ClientCredentials): string {
  return `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`, 'utf8').toString('base64')}`;
}

/** A request with a JSON body and its content type. */
export function jsonRequest(method: HttpMethod, path: string, body: unknown, headers: Record<string, string> = {}): ScenarioRequest {
  return { method, path, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

/** A request with an application/x-www-form-urlencoded body (the Capture APIs' usual shape). */
export function formRequest(method: HttpMethod, path: string, fields: Record<string, string>, headers: Record<string, string> = {}): ScenarioRequest {
  return {
    method,
    path,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
  };
}

export const scenarios: Scenario[] = [
  {
    name: BASELINE_SCENARIO,
    server: 'baseline',
    description: 'bare Fastify 5 route, no logger or hooks: GET /healthz -> {"status":"ok"}',
    request: { path: '/healthz' },
  },
  {
    name: 'baseline-form',
    server: 'baseline',
    description: 'bare Fastify 5 POST route parsing a urlencoded body (with an Authorization header) and answering a small JSON envelope: the floor of any Registration call',
    request: formRequest('POST', '/form', { type_name: 'user', uuid: '607af8e7-5797-4ace-a7ec-3136debe3fef' }, { authorization: 'Basic YmVuY2gtY2xpZW50OmJlbmNoLXNlY3JldA==' }),
  },
  {
    name: 'healthz',
    server: 'idcloud',
    description: "idcloud's GET /healthz through the full stack (request id and metrics in one onSend hook, gzip plugin, response schema, pino at the bench log level)",
    request: { path: '/healthz' },
  },
  {
    name: 'registration-public',
    server: 'idcloud',
    description: 'the same shape of Registration call with no credentials: /access/useVerificationCode without its code (HTTP 200 envelope, code 100); auth-basic minus this is what authentication and authorization cost',
    request: formRequest('POST', '/access/useVerificationCode', {}),
  },
  {
    name: 'auth-basic',
    server: 'idcloud',
    description: 'Registration call with Basic auth: parameters, authentication (cached secret), permission matrix; the login client is refused /clients/list (HTTP 200 envelope, code 403)',
    request: (server) => formRequest('POST', '/clients/list', {}, { authorization: basicAuth(server.idcloud.login) }),
  },
  {
    name: 'auth-signed',
    server: 'idcloud',
    description: 'the same call janrain-signed (HMAC-SHA1 over path, Date and parameters), signed once before the run',
    request: (server) => {
      const date = formatSignatureDate(new Date());
      const params: [string, string][] = [['has_features', '["owner"]']];
      return formRequest('POST', '/clients/list', Object.fromEntries(params), {
        authorization: signatureHeader(server.idcloud.login.clientId, server.idcloud.login.clientSecret, '/clients/list', date, params),
        date,
      });
    },
  },
  {
    name: 'clients-list',
    server: 'idcloud',
    description: 'owner lists the API clients through /clients/list: authentication plus a database read and opening each secret',
    request: (server) => formRequest('POST', '/clients/list', {}, { authorization: basicAuth(server.idcloud.owner) }),
  },
];

/** Calls a Registration operation as `client` during scenario setup; throws unless it answers stat ok. */
async function registration(server: IdcloudServer, client: ClientCredentials, path: string, fields: Record<string, string>): Promise<Record<string, unknown>> {
  const res = await server.fetch(path, {
    method: 'POST',
    headers: { authorization: basicAuth(client), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
  const body = (await res.json()) as Record<string, unknown>;
  if (body.stat !== 'ok') throw new Error(`${path} failed during scenario setup: ${JSON.stringify(body)}`);
  return body;
}

/** A direct_read_access client limited by a read access schema, and one user record to read. */
async function entityReadSetup(server: IdcloudServer): Promise<ScenarioRequest> {
  const owner = server.idcloud.owner;
  const added = await registration(server, owner, '/clients/add', { description: 'bench reader', features: '["direct_read_access"]' });
  const reader = { clientId: String(added.client_id), clientSecret: String(added.client_secret) };
  await registration(server, owner, '/entityType.setAccessSchema', {
    type_name: 'user', for_client_id: reader.clientId, access_type: 'read', attributes: '["email","givenName","familyName","primaryAddress.city"]',
  });
  const created = await registration(server, owner, '/entity.create', {
    type_name: 'user',
    attributes: JSON.stringify({ email: 'bench@example.com', givenName: 'Bench', familyName: 'Mark', displayName: 'secret', primaryAddress: { city: 'Leeds', zip: 'LS1' } }),
  });
  return formRequest('POST', '/entity', { type_name: 'user', uuid: String(created.uuid) }, { authorization: basicAuth(reader) });
}

/** One record whose givenName is rewritten by every request (the value alternates per connection, irrelevant here). */
async function entityUpdateSetup(server: IdcloudServer): Promise<ScenarioRequest> {
  const owner = server.idcloud.owner;
  const created = await registration(server, owner, '/entity.create', { type_name: 'user', attributes: JSON.stringify({ email: 'writer@example.com', givenName: 'Before' }) });
  return formRequest('POST', '/entity.update', { type_name: 'user', uuid: String(created.uuid), attributes: '{"givenName":"After"}' }, { authorization: basicAuth(owner) });
}

scenarios.push(
  {
    name: 'entity-read',
    server: 'idcloud',
    description: '/entity by uuid with Basic auth by a direct_read_access client whose read access schema cuts the record to 4 attributes',
    request: entityReadSetup,
  },
  {
    name: 'entity-update',
    server: 'idcloud',
    description: '/entity.update of one attribute of one record by the owner (read, validate, one write transaction with a revision check)',
    request: entityUpdateSetup,
  },
);

/** A configuration token of the first start's configuration client, with the scopes asked for. */
async function configToken(server: IdcloudServer, scope: string): Promise<string> {
  const res = await server.fetch(`/${server.idcloud.customerId}/login/token`, {
    method: 'POST',
    headers: { authorization: basicAuth(server.idcloud.configuration), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope }).toString(),
  });
  const body = (await res.json()) as Record<string, unknown>;
  if (typeof body.access_token !== 'string') throw new Error(`no configuration token during scenario setup: ${JSON.stringify(body)}`);
  return body.access_token;
}

/** An authorized read of one token policy: a token allowed `.:config/tokenPolicies`, the first policy's id. */
async function tokenPolicyReadSetup(server: IdcloudServer): Promise<ScenarioRequest> {
  const token = await configToken(server, '.:config/tokenPolicies');
  const cid = server.idcloud.customerId;
  const list = (await (await server.fetch(`/${cid}/config/tokenPolicies`, { headers: { authorization: `Bearer ${token}` } })).json()) as { _embedded: { tokenPolicies: { id: string }[] } };
  const id = list._embedded.tokenPolicies[0]?.id ?? '';
  return { path: `/${cid}/config/tokenPolicies/${id}`, headers: { authorization: `Bearer ${token}` } };
}

scenarios.push(
  {
    name: 'oidc-provider-token',
    server: 'oidc-provider',
    description: 'node-oidc-provider, minimal configuration: POST /token, client_credentials with Basic auth (tokens in its in-memory adapter)',
    request: formRequest('POST', '/token', { grant_type: 'client_credentials', scope: 'api' }, { authorization: basicAuth(OIDC_PROVIDER_CLIENT) }),
  },
  {
    name: 'config-token',
    server: 'idcloud',
    compareTo: 'oidc-provider-token',
    description: 'POST /{customerId}/login/token: a configuration token (client authentication, scope granting against the token policy, the token stored as a digest in the database)',
    request: (server) => formRequest('POST', `/${server.idcloud.customerId}/login/token`, { grant_type: 'client_credentials', scope: '*:config/**' }, { authorization: basicAuth(server.idcloud.configuration) }),
  },
  {
    name: 'token-policy-read',
    server: 'idcloud',
    description: 'GET /{customerId}/config/tokenPolicies/{id} with a configuration token: token lookup, scope check, one policy read',
    request: tokenPolicyReadSetup,
  },
);
