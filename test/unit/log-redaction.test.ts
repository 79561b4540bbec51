// Unit and property tests for src/log.ts: credentials never reach a log line, whether as a value
// under a sensitive key (top level, one or two levels down) or in the query string of a logged URL.
import { Writable } from 'node:stream';
import fc from 'fast-check';
import type { DestinationStream, Logger } from 'pino';
import { describe, expect, it } from 'vitest';
import type { LogLevel } from '../../src/config.js';
import { createLogger, isSensitiveKey, REDACTED, redactUrl, SENSITIVE_KEYS } from '../../src/log.js';

interface Capture {
  logger: Logger;
  lines: string[];
  /** The last line written, parsed. */
  last(): Record<string, unknown>;
}

/** A logger writing into an array; pino calls write() synchronously on a plain DestinationStream. */
function capture(level: LogLevel = 'trace'): Capture {
  const lines: string[] = [];
  const destination: DestinationStream = {
    write(chunk: string) {
      lines.push(chunk);
    },
  };
  const logger = createLogger(level, destination);
  return {
    logger,
    lines,
    last() {
      const line = lines.at(-1);
      if (line === undefined) throw new Error('nothing was logged');
      return JSON.parse(line) as Record<string, unknown>;
    },
  };
}

function field(obj: unknown, ...path: string[]): unknown {
  let current = obj;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

const SECRET = 'QZXsecretVALUE0123456789QZX';
const BRIEF_KEYS = ['client_secret', 'password', 'token', 'access_token', 'refresh_token', 'clientSecret'] as const;

describe('createLogger redaction of sensitive keys', () => {
  it.each(SENSITIVE_KEYS.map((k) => [k]))('redacts %s at the top level', (key) => {
    const c = capture();
    c.logger.info({ [key]: SECRET, client_id: 'visible-id' }, 'top');
    const line = c.last();
    expect(line[key]).toBe(REDACTED);
    expect(line.client_id).toBe('visible-id');
    expect(line.msg).toBe('top');
    expect(c.lines.join('')).not.toContain(SECRET);
  });

  it.each(SENSITIVE_KEYS.map((k) => [k]))('redacts %s one level down', (key) => {
    const c = capture();
    c.logger.info({ body: { [key]: SECRET, keep: 'kept-value' } }, 'one');
    expect(field(c.last(), 'body', key)).toBe(REDACTED);
    expect(field(c.last(), 'body', 'keep')).toBe('kept-value');
    expect(c.lines.join('')).not.toContain(SECRET);
  });

  it.each(SENSITIVE_KEYS.map((k) => [k]))('redacts %s two levels down', (key) => {
    const c = capture();
    c.logger.info({ outer: { inner: { [key]: SECRET, keep: 'kept-value' } } }, 'two');
    expect(field(c.last(), 'outer', 'inner', key)).toBe(REDACTED);
    expect(field(c.last(), 'outer', 'inner', 'keep')).toBe('kept-value');
    expect(c.lines.join('')).not.toContain(SECRET);
  });

  it('covers at least the keys the API handles', () => {
    for (const key of [...BRIEF_KEYS, 'authorization', 'cookie', 'code', 'masterKey']) expect(SENSITIVE_KEYS).toContain(key);
  });

  it('redacts several sensitive keys in one object, at mixed depths', () => {
    const c = capture();
    c.logger.warn({ password: `${SECRET}1`, form: { client_secret: `${SECRET}2`, nested: { refresh_token: `${SECRET}3` } }, token: `${SECRET}4` });
    const line = c.last();
    expect(line.password).toBe(REDACTED);
    expect(field(line, 'form', 'client_secret')).toBe(REDACTED);
    expect(field(line, 'form', 'nested', 'refresh_token')).toBe(REDACTED);
    expect(line.token).toBe(REDACTED);
    expect(c.lines.join('')).not.toContain(SECRET);
  });

  it('redacts a whole object stored under a sensitive key', () => {
    const c = capture();
    c.logger.info({ token: { value: SECRET, scope: 'x' } });
    expect(c.last().token).toBe(REDACTED);
    expect(c.lines.join('')).not.toContain(SECRET);
  });

  it('redacts headers.authorization and headers.cookie', () => {
    const c = capture();
    c.logger.info({ headers: { authorization: `Bearer ${SECRET}`, cookie: `sid=${SECRET}`, accept: 'application/json' } });
    expect(c.last().headers).toEqual({ authorization: REDACTED, cookie: REDACTED, accept: 'application/json' });
    expect(c.lines.join('')).not.toContain(SECRET);
  });

  it('redacts sensitive properties of logged errors while keeping the message', () => {
    const c = capture();
    const err = Object.assign(new Error('login failed'), { password: SECRET, code: SECRET });
    c.logger.error({ err }, 'failure');
    const line = c.last();
    expect(field(line, 'err', 'message')).toBe('login failed');
    expect(field(line, 'err', 'type')).toBe('Error');
    expect(field(line, 'err', 'password')).toBe(REDACTED);
    expect(c.lines.join('')).not.toContain(SECRET);
  });

  it('redacts in child logger bindings too', () => {
    const c = capture();
    c.logger.child({ client_secret: SECRET, ctx: { access_token: SECRET } }).info('from child');
    const line = c.last();
    expect(line.client_secret).toBe(REDACTED);
    expect(field(line, 'ctx', 'access_token')).toBe(REDACTED);
    expect(c.lines.join('')).not.toContain(SECRET);
  });

  it('does not change the caller object', () => {
    const c = capture();
    const obj = { password: SECRET, nested: { token: SECRET } };
    c.logger.info(obj);
    expect(obj).toEqual({ password: SECRET, nested: { token: SECRET } });
  });

  it('works with a node:stream Writable destination', async () => {
    const chunks: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer | string, _encoding, callback) {
        chunks.push(chunk.toString());
        callback();
      },
    });
    const logger = createLogger('info', stream);
    logger.info({ password: SECRET, who: 'writable' }, 'via stream');
    logger.flush();
    await new Promise<void>((resolve) => stream.end(resolve));
    const text = chunks.join('');
    expect(text).toContain('"who":"writable"');
    expect(text).toContain(`"password":"${REDACTED}"`);
    expect(text).not.toContain(SECRET);
  });
});

describe('createLogger redaction of capitalized keys', () => {
  it.each(['Password', 'Authorization', 'Client_secret', 'ClientSecret', 'Token'])('redacts %s at depth 0 to 2', (key) => {
    const c = capture();
    c.logger.info({ [key]: SECRET, outer: { [key]: SECRET, inner: { [key]: SECRET } } }, 'x');
    expect(c.lines.join('')).not.toContain(SECRET);
    expect(c.last()[key]).toBe(REDACTED);
  });
});

describe('createLogger redaction at any depth', () => {
  it('redacts sensitive keys five levels down, inside arrays, and query secrets of any url field', () => {
    const c = capture();
    c.logger.info({ a: { b: { c: { d: { e: { token: SECRET } } } } }, list: [{ password: SECRET }], hook: { url: `/x?access_token=${SECRET}&ok=1` } }, 'deep');
    const line = c.lines.join('');
    expect(line).not.toContain(SECRET);
    expect(field(c.last(), 'a', 'b', 'c', 'd', 'e', 'token')).toBe(REDACTED);
    expect(field(c.last(), 'hook', 'url')).toContain('ok=1');
  });
});

describe('createLogger serializers and format', () => {
  it('keeps method, redacted url and remote address of a request, and drops its headers and body', () => {
    const c = capture();
    c.logger.info(
      {
        req: {
          method: 'POST',
          url: `/oauth/token?client_id=abc&client_secret=${SECRET}`,
          ip: '203.0.113.9',
          id: 'req-1',
          headers: { authorization: `Basic ${SECRET}`, cookie: `a=${SECRET}`, 'x-other': 'h' },
          body: { password: SECRET },
        },
      },
      'incoming',
    );
    const req = c.last().req as Record<string, unknown>;
    expect(req).toEqual({ method: 'POST', url: '/oauth/token?client_id=abc&client_secret=%5BRedacted%5D', remoteAddress: '203.0.113.9' });
    expect(c.lines.join('')).not.toContain(SECRET);
    expect(c.lines.join('')).not.toContain('x-other');
  });

  it('keeps a request url without a query as it is, and copes with a request without a url', () => {
    const c = capture();
    c.logger.info({ req: { method: 'GET', url: '/healthz', ip: '::1' } });
    expect(c.last().req).toEqual({ method: 'GET', url: '/healthz', remoteAddress: '::1' });
    c.logger.info({ req: { method: 'GET' } });
    expect(c.last().req).toEqual({ method: 'GET' });
  });

  it('keeps only the status code of a reply', () => {
    const c = capture();
    c.logger.info({ res: { statusCode: 401, headers: { 'set-cookie': `s=${SECRET}` }, body: SECRET } });
    expect(c.last().res).toEqual({ statusCode: 401 });
    expect(c.lines.join('')).not.toContain(SECRET);
  });

  it('writes one JSON object per line with level, ISO time and the service name', () => {
    const c = capture('info');
    c.logger.info({ a: 1 }, 'hello');
    expect(c.lines).toHaveLength(1);
    expect(c.lines[0]).toMatch(/^\{.*\}\n$/);
    const line = c.last();
    expect(line).toMatchObject({ level: 30, service: 'idcloud', msg: 'hello', a: 1 });
    expect(typeof line.time).toBe('string');
    expect(new Date(line.time as string).toISOString()).toBe(line.time);
  });

  it('honours the level', () => {
    const c = capture('warn');
    c.logger.info('quiet');
    c.logger.debug('quieter');
    expect(c.lines).toHaveLength(0);
    c.logger.warn('loud');
    c.logger.error('louder');
    expect(c.lines).toHaveLength(2);
    const silent = capture('silent');
    silent.logger.fatal('nothing');
    expect(silent.lines).toHaveLength(0);
  });
});

describe('isSensitiveKey', () => {
  it('matches every sensitive key in any case, and nothing else', () => {
    for (const key of SENSITIVE_KEYS) {
      expect(isSensitiveKey(key)).toBe(true);
      expect(isSensitiveKey(key.toUpperCase())).toBe(true);
    }
    for (const key of ['client_id', 'username', 'tokens', 'secretive', 'pass', 'auth', '']) expect(isSensitiveKey(key)).toBe(false);
  });
});

describe('redactUrl', () => {
  const redactedParam = encodeURIComponent(REDACTED);

  it('leaves a URL without a query, or without sensitive parameters, unchanged', () => {
    expect(redactUrl('/path/only')).toBe('/path/only');
    expect(redactUrl('/p?')).toBe('/p?');
    expect(redactUrl('/p?client_id=abc&state=x%20y')).toBe('/p?client_id=abc&state=x%20y');
  });

  it('replaces the value of a sensitive parameter and keeps the others and the path', () => {
    expect(redactUrl(`/oauth/token?client_id=abc&client_secret=${SECRET}&grant_type=password`)).toBe(
      `/oauth/token?client_id=abc&client_secret=${redactedParam}&grant_type=password`,
    );
  });

  it('matches parameter names case-insensitively', () => {
    const out = redactUrl(`/p?Client_Secret=${SECRET}&ACCESS_TOKEN=${SECRET}&PassWord=${SECRET}&Keep=1`);
    expect(out).not.toContain(SECRET);
    const params = new URLSearchParams(out.split('?')[1]);
    expect(params.get('Client_Secret')).toBe(REDACTED);
    expect(params.get('ACCESS_TOKEN')).toBe(REDACTED);
    expect(params.get('PassWord')).toBe(REDACTED);
    expect(params.get('Keep')).toBe('1');
  });

  it('redacts every occurrence of a repeated parameter', () => {
    const out = redactUrl(`/p?token=${SECRET}a&x=1&token=${SECRET}b&TOKEN=${SECRET}c`);
    expect(out).not.toContain(SECRET);
    const params = new URLSearchParams(out.split('?')[1]);
    expect(params.get('x')).toBe('1');
    expect([...params.entries()].filter(([k]) => k.toLowerCase() === 'token').every(([, v]) => v === REDACTED)).toBe(true);
  });

  it('redacts percent-encoded sensitive names and values', () => {
    const out = redactUrl(`/p?client%5Fsecret=${encodeURIComponent(`${SECRET}/+=`)}&code=${SECRET}`);
    expect(out).not.toContain(SECRET);
    expect(new URLSearchParams(out.split('?')[1]).get('client_secret')).toBe(REDACTED);
  });

  it('keeps the decoded values of other parameters when it rewrites a query', () => {
    const out = redactUrl(`/p?state=a%20b%26c&password=${SECRET}&redirect_uri=${encodeURIComponent('https://x.example/cb?q=1')}`);
    const params = new URLSearchParams(out.split('?')[1]);
    expect(params.get('state')).toBe('a b&c');
    expect(params.get('redirect_uri')).toBe('https://x.example/cb?q=1');
    expect(params.get('password')).toBe(REDACTED);
    expect(out.startsWith('/p?')).toBe(true);
  });

  it('works on absolute URLs', () => {
    expect(redactUrl(`https://id.example/x?refresh_token=${SECRET}`)).toBe(`https://id.example/x?refresh_token=${redactedParam}`);
  });

  it('redacts a sensitive parameter given without a value or with an empty one', () => {
    expect(redactUrl('/p?token')).toBe(`/p?token=${redactedParam}`);
    expect(redactUrl('/p?token=&a=1')).toBe(`/p?token=${redactedParam}&a=1`);
  });
});

describe('redaction properties', () => {
  // Secrets from an alphabet that JSON and URL encoding leave alone, behind a prefix that appears nowhere else.
  const secretArb = fc.stringMatching(/^[A-Z0-9]{6,40}$/).map((s) => `QZXSEC${s}`);
  const RESERVED = new Set(['req', 'res', 'err', 'msg', 'level', 'time', 'service', 'pid', 'hostname']);
  const plainName = fc.stringMatching(/^[a-z][a-zA-Z0-9_]{0,12}$/).filter((n) => !RESERVED.has(n) && !isSensitiveKey(n));
  const sensitiveKey = fc.constantFrom(...SENSITIVE_KEYS);
  const noise = fc.dictionary(plainName, fc.oneof(fc.integer(), fc.stringMatching(/^[a-z ]{0,10}$/)), { maxKeys: 3 });
  const anyCase = (key: string): fc.Arbitrary<string> =>
    fc.array(fc.boolean(), { minLength: key.length, maxLength: key.length }).map((upper) => [...key].map((ch, i) => (upper[i] ? ch.toUpperCase() : ch)).join(''));

  it('never writes a secret placed under a sensitive key at depth 0 to 2', () => {
    fc.assert(
      fc.property(secretArb, sensitiveKey, fc.array(plainName, { maxLength: 2 }), noise, (secret, key, path, extra) => {
        let obj: Record<string, unknown> = { ...extra, [key]: secret };
        for (const name of [...path].reverse()) obj = { ...extra, [name]: obj };
        const c = capture();
        c.logger.info(obj, 'property');
        const text = c.lines.join('');
        expect(text).not.toContain(secret);
        expect(field(c.last(), ...path, key)).toBe(REDACTED);
      }),
      { numRuns: 300 },
    );
  });

  it('never writes a secret placed in the query string of a logged request url', () => {
    const keyInAnyCase = sensitiveKey.chain(anyCase);
    const otherParam = fc.tuple(plainName, fc.stringMatching(/^[a-z0-9]{0,8}$/)).map(([k, v]) => `${k}=${v}`);
    fc.assert(
      fc.property(
        secretArb,
        fc.array(keyInAnyCase, { minLength: 1, maxLength: 3 }),
        fc.array(otherParam, { maxLength: 4 }),
        fc.nat(),
        (secret, keys, others, seed) => {
          const params = [...others];
          keys.forEach((key, i) => params.splice((seed + i) % (params.length + 1), 0, `${key}=${secret}`));
          const url = `/v1/things?${params.join('&')}`;
          expect(redactUrl(url)).not.toContain(secret);
          const c = capture();
          c.logger.info({ req: { method: 'GET', url, ip: '127.0.0.1' } }, 'request');
          expect(c.lines.join('')).not.toContain(secret);
          const logged = new URLSearchParams(String(field(c.last(), 'req', 'url')).split('?')[1]);
          for (const other of others) {
            const [name] = other.split('=');
            expect(logged.has(name ?? '')).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
