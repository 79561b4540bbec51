// JSON logs (pino) with credentials redacted: values under a sensitive key (Authorization, secrets,
// passwords, tokens; any case, any depth of plain objects) and sensitive parameters in the query
// string of logged URLs. Request headers and bodies are never logged at all.
import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config.js';

export const REDACTED = '[Redacted]';

/** Parameter names whose values never reach a log line. */
export const SENSITIVE_KEYS = [
  'authorization', 'cookie', 'client_secret', 'clientSecret', '_secret', 'new_secret', 'secret', 'password',
  'password_value', 'token', 'access_token', 'refresh_token', 'code', 'masterKey',
  'creation_token', 'verification_code', 'accessToken', 'authorizationCode',
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

/**
 * Returns `value` with every sensitive key's value replaced, at any depth, keys matched without
 * regard to case, and sensitive query parameters removed from `url` strings. Only plain objects and
 * arrays are walked: requests, replies and errors are reduced by their serializers instead. Runs only
 * for lines that are actually written (pino's log formatter), never on the request path otherwise.
 */
export function redactLogObject(value: unknown, depth = 0): unknown {
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    const mapped = value.map((v: unknown) => redactLogObject(v, depth + 1));
    return mapped.some((v, i) => v !== value[i]) ? mapped : value;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  let copy: Record<string, unknown> | undefined;
  for (const [key, v] of Object.entries(value)) {
    const next = isSensitiveKey(key) ? REDACTED : key === 'url' && typeof v === 'string' ? redactUrl(v) : redactLogObject(v, depth + 1);
    if (next !== v) {
      copy ??= { ...(value as Record<string, unknown>) };
      copy[key] = next;
    }
  }
  return copy ?? value;
}

interface RequestLike {
  method?: string;
  url?: string;
  ip?: string;
  id?: string;
}

interface ReplyLike {
  statusCode?: number;
}

type ChildMethod = Logger['child'];

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  const logger = pino(
    {
      level,
      // Redaction here rather than pino's `redact` paths: those also run on every child logger's
      // bindings, i.e. on every request, at ~10 µs each.
      formatters: { log: (obj: Record<string, unknown>) => redactLogObject(obj) as Record<string, unknown> },
      serializers: {
        // Never the headers or body: only what identifies the request, with the query redacted.
        req: (req: RequestLike) => ({ method: req.method, url: req.url === undefined ? undefined : redactUrl(req.url), remoteAddress: req.ip }),
        res: (res: ReplyLike) => ({ statusCode: res.statusCode }),
        // The standard serializer's result has its own prototype; copy it so its fields are redacted too.
        err: (err: Error) => redactLogObject({ ...pino.stdSerializers.err(err) }),
      },
      base: { service: 'idcloud' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
  // Child bindings are redacted as they are made. pino children inherit from their parent instance,
  // so this one override covers children of children too.
  const baseChild = Object.getPrototypeOf(logger) as { child: ChildMethod };
  const child = function (this: Logger, bindings: Record<string, unknown>, options?: Parameters<ChildMethod>[1]) {
    return baseChild.child.call(this, redactLogObject(bindings) as Record<string, unknown>, options);
  };
  logger.child = child as ChildMethod;
  return logger;
}
