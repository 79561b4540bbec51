// JSON logs (pino) with credentials redacted: values under a sensitive key (Authorization, secrets,
// passwords, tokens) up to two levels deep in a log object, and sensitive parameters in the query
// string of logged request URLs. Headers and bodies are never logged at all; code that logs other
// objects must not put credentials deeper than that.
import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config.js';

export const REDACTED = '[Redacted]';

/** Parameter names whose values never reach a log line. */
export const SENSITIVE_KEYS = [
  'authorization', 'cookie', 'client_secret', 'clientSecret', '_secret', 'new_secret', 'secret', 'password',
  'password_value', 'token', 'access_token', 'refresh_token', 'code', 'masterKey',
] as const;

const SENSITIVE = new Set<string>(SENSITIVE_KEYS.map((k) => k.toLowerCase()));

export function isSensitiveKey(key: string): boolean {
  return SENSITIVE.has(key.toLowerCase());
}

/** Replaces the values of sensitive query parameters in a path-with-query. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = new URLSearchParams(url.slice(q + 1));
  let changed = false;
  for (const key of new Set(params.keys())) {
    if (isSensitiveKey(key)) {
      params.set(key, REDACTED);
      changed = true;
    }
  }
  return changed ? `${url.slice(0, q)}?${params.toString()}` : url;
}

const capitalized = (k: string): string => k.charAt(0).toUpperCase() + k.slice(1);
const redactPaths = [
  'req.headers.authorization', 'req.headers.cookie', 'headers.authorization', 'headers.cookie', 'headers.Authorization',
  ...[...new Set(SENSITIVE_KEYS.flatMap((k) => [k, capitalized(k)]))].flatMap((k) => [k, `*.${k}`, `*.*.${k}`]),
];

interface RequestLike {
  method?: string;
  url?: string;
  ip?: string;
  id?: string;
}

interface ReplyLike {
  statusCode?: number;
}

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: redactPaths, censor: REDACTED },
      serializers: {
        // Never the headers or body: only what identifies the request, with the query redacted.
        req: (req: RequestLike) => ({ method: req.method, url: req.url === undefined ? undefined : redactUrl(req.url), remoteAddress: req.ip }),
        res: (res: ReplyLike) => ({ statusCode: res.statusCode }),
        err: pino.stdSerializers.err,
      },
      base: { service: 'idcloud' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
