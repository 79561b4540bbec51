// Who is calling (spec capture-api §1): the Authorization header (Basic | Signature | OAuth/Bearer),
// then client_id + client_secret parameters, then an access_token parameter.
import type { IncomingHttpHeaders } from 'node:http';
import { matchesAnyDigest } from '../../security/constant-time.js';
import { parseSignatureDate, SIGNATURE_CLOCK_SKEW_MS, verifySignature } from '../../security/janrain-signature.js';
import type { ResolvedClient } from '../../services/api-client-directory.js';
import { invalidArgument, missingArgument, RegistrationError } from './errors.js';
import type { Params } from './params.js';

export type Credentials =
  | { kind: 'basic' | 'params'; clientId: string; secret: string }
  | { kind: 'signature'; clientId: string; signature: string; date: string }
  | { kind: 'user_token'; token: string };

export type AuthMethod = Credentials['kind'];

/** Thrown for credentials that are present but wrong; carries what the throttle and metrics need. */
export class AuthenticationFailure extends RegistrationError {
  constructor(
    readonly method: AuthMethod,
    readonly reason: string,
    readonly clientId: string | null,
    description = 'client_id and client_secret are invalid',
  ) {
    super(402, description);
  }
}

const BASIC = /^Basic(?:\s+(.*))?$/is;
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;
const SIGNATURE = /^Signature\s+([^:\s]+):(\S+)\s*$/i;
const TOKEN = /^(OAuth|Bearer)\s+(\S+)\s*$/i;

/**
 * Reads credentials from a request without checking them. `queryKeys` are the parameters that came
 * in the URL: a client_secret there is refused unless the operator allowed it.
 */
export function extractCredentials(
  headers: IncomingHttpHeaders,
  params: Params,
  queryKeys: ReadonlySet<string>,
  allowUrlCredentials: boolean,
): { credentials: Credentials; secretInUrl: boolean } {
  const secretInUrl = queryKeys.has('client_secret');
  if (secretInUrl && !allowUrlCredentials) {
    throw invalidArgument(
      'client_secret',
      'client_secret must not be sent in the URL query string, where proxies and logs keep it; send it in an Authorization: Basic header or in a POST form body',
    );
  }
  const authorization = headers.authorization;
  if (authorization !== undefined && authorization.trim() !== '') {
    const basic = BASIC.exec(authorization);
    if (basic) {
      const token = (basic[1] ?? '').trim();
      const decoded = BASE64.test(token) ? Buffer.from(token, 'base64').toString('utf8') : '';
      const colon = decoded.indexOf(':');
      if (colon <= 0) throw new AuthenticationFailure('basic', 'malformed', null, 'the Authorization header does not hold Basic client_id:client_secret credentials');
      return { credentials: { kind: 'basic', clientId: decoded.slice(0, colon), secret: decoded.slice(colon + 1) }, secretInUrl };
    }
    const signature = SIGNATURE.exec(authorization);
    if (signature) {
      const date = headers.date;
      if (date === undefined) throw missingArgument('Date');
      return { credentials: { kind: 'signature', clientId: signature[1] ?? '', signature: signature[2] ?? '', date }, secretInUrl };
    }
    const token = TOKEN.exec(authorization);
    if (token) return { credentials: { kind: 'user_token', token: token[2] ?? '' }, secretInUrl };
    throw new RegistrationError(205, 'the Authorization header uses an unsupported method; use Basic, Signature or OAuth');
  }
  const clientId = params.get('client_id');
  const secret = params.get('client_secret');
  if (clientId !== undefined && secret !== undefined) return { credentials: { kind: 'params', clientId, secret }, secretInUrl };
  const accessToken = params.get('access_token');
  if (accessToken !== undefined && accessToken !== '') return { credentials: { kind: 'user_token', token: accessToken }, secretInUrl };
  if (clientId !== undefined) throw missingArgument('client_secret');
  throw missingArgument('client_id');
}

/** Checks client credentials against a resolved client (null: unknown id). Throws AuthenticationFailure. */
export function verifyClientCredentials(
  credentials: Exclude<Credentials, { kind: 'user_token' }>,
  client: ResolvedClient | null,
  request: { endpoint: string; params: Params; now: number },
): ResolvedClient {
  const { kind, clientId } = credentials;
  if (client === null) throw new AuthenticationFailure(kind, 'unknown_client', clientId);
  if (kind === 'signature') {
    const date = parseSignatureDate(credentials.date);
    if (date === null) throw new AuthenticationFailure(kind, 'bad_date', clientId, 'the Date header must be "YYYY-MM-DD HH:MM:SS" in UTC');
    if (Math.abs(request.now - date.getTime()) > SIGNATURE_CLOCK_SKEW_MS) {
      throw new AuthenticationFailure(kind, 'clock_skew', clientId, 'the Date header is more than 15 minutes away from the server clock');
    }
    // The signed string leaves out client_id, client_secret and access_token itself.
    if (!verifySignature(client.secrets, request.endpoint, credentials.date, [...request.params], credentials.signature)) {
      throw new AuthenticationFailure(kind, 'bad_signature', clientId, 'the request signature is not valid');
    }
    return client;
  }
  if (!matchesAnyDigest(credentials.secret, client.secretDigests)) throw new AuthenticationFailure(kind, 'bad_secret', clientId);
  return client;
}

