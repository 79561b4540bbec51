// Unit and property tests for the option table in src/config.ts: defaults, precedence
// (flags > environment > config file > defaults), conversion, validation and path resolution.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, defaultConfig, LOG_LEVELS, resolveConfig, SERVER_OPTIONS, type ConfigSources, type ServerConfig } from '../../src/config.js';

let dir: string;
let fileCounter = 0;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'idcloud-unit-config-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Writes `content` (a JSON value, or raw text) to a fresh file and returns its path. */
function configFile(content: unknown, raw = false): string {
  fileCounter += 1;
  const path = join(dir, `config-${fileCounter}.json`);
  writeFileSync(path, raw ? String(content) : JSON.stringify(content));
  return path;
}

function resolveWith(sources: Partial<ConfigSources>): ServerConfig {
  return resolveConfig({ flags: {}, env: {}, ...sources });
}

/** Runs `fn`, expects a ConfigError, and returns its message after checking it is a single line. */
function configErrorOf(fn: () => unknown): string {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(ConfigError);
  const message = (caught as ConfigError).message;
  expect(message.length).toBeGreaterThan(0);
  expect(message).not.toMatch(/[\r\n]/);
  return message;
}

describe('resolveConfig defaults', () => {
  it('uses the documented defaults when nothing is given', () => {
    const config = resolveWith({});
    expect(config).toEqual({
      host: '127.0.0.1',
      port: 8080,
      dataDir: resolve('./data'),
      databaseUrl: null,
      masterKeyFile: null,
      logLevel: 'info',
      trustedProxies: [],
      allowUrlCredentials: false,
      shutdownTimeout: 10,
      bodyLimit: 10 * 1024 * 1024,
      authFailureLimit: 10,
      authFailureAddressLimit: 100,
      authFailureWindow: 300,
    });
  });

  it('ignores unrelated environment variables and empty IDCLOUD_* variables', () => {
    const config = resolveWith({ env: { PORT: '9999', HOST: '0.0.0.0', IDCLOUD_PORT: '', IDCLOUD_HOST: '', IDCLOUD_LOG_LEVEL: '' } });
    expect(config.port).toBe(8080);
    expect(config.host).toBe('127.0.0.1');
    expect(config.logLevel).toBe('info');
  });

  it('defaultConfig returns the unresolved defaults with overrides applied', () => {
    expect(defaultConfig()).toMatchObject({ host: '127.0.0.1', port: 8080, dataDir: './data', logLevel: 'info' });
    expect(defaultConfig({ port: 1234, logLevel: 'debug' })).toMatchObject({ port: 1234, logLevel: 'debug', host: '127.0.0.1' });
  });

  it('gives every resolved config its own trustedProxies array', () => {
    const first = resolveWith({});
    first.trustedProxies.push('10.0.0.1');
    expect(resolveWith({}).trustedProxies).toEqual([]);
    defaultConfig().trustedProxies.push('10.0.0.2');
    expect(defaultConfig().trustedProxies).toEqual([]);
  });

  it('every option in the table has a unique key, flag and environment variable', () => {
    const keys = SERVER_OPTIONS.map((o) => o.key);
    const flags = SERVER_OPTIONS.map((o) => o.flag);
    const envs = SERVER_OPTIONS.flatMap((o) => o.env);
    expect(new Set(keys).size).toBe(keys.length);
    expect(new Set(flags).size).toBe(flags.length);
    expect(new Set(envs).size).toBe(envs.length);
    expect(new Set(keys)).toEqual(new Set(Object.keys(resolveWith({}))));
  });
});

describe('resolveConfig precedence', () => {
  it('takes a value from the config file over the default', () => {
    const file = configFile({ port: 1111, host: 'file.example', logLevel: 'warn' });
    const config = resolveWith({ configFile: file });
    expect(config).toMatchObject({ port: 1111, host: 'file.example', logLevel: 'warn' });
  });

  it('takes the environment over the config file', () => {
    const file = configFile({ port: 1111, host: 'file.example', logLevel: 'warn' });
    const config = resolveWith({ configFile: file, env: { IDCLOUD_PORT: '2222', IDCLOUD_LOG_LEVEL: 'error' } });
    expect(config).toMatchObject({ port: 2222, host: 'file.example', logLevel: 'error' });
  });

  it('takes flags over the environment and the config file', () => {
    const file = configFile({ port: 1111, host: 'file.example', logLevel: 'warn' });
    const config = resolveWith({
      configFile: file,
      env: { IDCLOUD_PORT: '2222', IDCLOUD_HOST: 'env.example' },
      flags: { port: '3333' },
    });
    expect(config).toMatchObject({ port: 3333, host: 'env.example', logLevel: 'warn' });
  });

  it('resolves each option from its own highest-precedence source', () => {
    const file = configFile({ shutdownTimeout: 30, bodyLimit: 4096, allowUrlCredentials: true, trustedProxies: ['10.0.0.0/8'] });
    const config = resolveWith({
      configFile: file,
      env: { IDCLOUD_BODY_LIMIT: '8192', IDCLOUD_TRUSTED_PROXIES: '192.168.0.1' },
      flags: { allowUrlCredentials: false },
    });
    expect(config).toMatchObject({ shutdownTimeout: 30, bodyLimit: 8192, allowUrlCredentials: false, trustedProxies: ['192.168.0.1'] });
  });

  it('does not look at a lower-precedence source that is overridden, even if it is invalid', () => {
    const file = configFile({ port: 'not a number' });
    expect(resolveWith({ configFile: file, env: { IDCLOUD_PORT: 'also bad' }, flags: { port: '4444' } }).port).toBe(4444);
  });

  it('treats a null value in the config file as absent', () => {
    const file = configFile({ port: null, databaseUrl: null });
    expect(resolveWith({ configFile: file })).toMatchObject({ port: 8080, databaseUrl: null });
  });

  it('reads the database URL from IDCLOUD_DATABASE_URL or DATABASE_URL, preferring IDCLOUD_DATABASE_URL', () => {
    const a = 'postgres://a@db.example/one';
    const b = 'postgresql://b@db.example/two';
    expect(resolveWith({ env: { DATABASE_URL: b } }).databaseUrl).toBe(b);
    expect(resolveWith({ env: { IDCLOUD_DATABASE_URL: a } }).databaseUrl).toBe(a);
    expect(resolveWith({ env: { IDCLOUD_DATABASE_URL: a, DATABASE_URL: b } }).databaseUrl).toBe(a);
    expect(resolveWith({ env: { IDCLOUD_DATABASE_URL: '', DATABASE_URL: b } }).databaseUrl).toBe(b);
    expect(resolveWith({ env: { DATABASE_URL: b }, flags: { databaseUrl: a } }).databaseUrl).toBe(a);
    expect(resolveWith({ configFile: configFile({ databaseUrl: a }), env: { DATABASE_URL: b } }).databaseUrl).toBe(b);
  });

  it('reads every option from its environment variable', () => {
    const config = resolveWith({
      env: {
        IDCLOUD_HOST: '0.0.0.0',
        IDCLOUD_PORT: '0',
        IDCLOUD_DATA_DIR: '/var/lib/idcloud',
        IDCLOUD_DATABASE_URL: 'postgres://u:p@h:5432/d',
        IDCLOUD_MASTER_KEY_FILE: '/etc/idcloud/master.key',
        IDCLOUD_LOG_LEVEL: 'trace',
        IDCLOUD_TRUSTED_PROXIES: ' 10.0.0.0/8 , ::1,, 192.168.1.7 ',
        IDCLOUD_ALLOW_URL_CREDENTIALS: 'true',
        IDCLOUD_SHUTDOWN_TIMEOUT: '3600',
        IDCLOUD_BODY_LIMIT: '1024',
        IDCLOUD_AUTH_FAILURE_LIMIT: '3',
        IDCLOUD_AUTH_FAILURE_ADDRESS_LIMIT: '7',
        IDCLOUD_AUTH_FAILURE_WINDOW: '60',
      },
    });
    expect(config).toEqual({
      host: '0.0.0.0',
      port: 0,
      dataDir: '/var/lib/idcloud',
      databaseUrl: 'postgres://u:p@h:5432/d',
      masterKeyFile: '/etc/idcloud/master.key',
      logLevel: 'trace',
      trustedProxies: ['10.0.0.0/8', '::1', '192.168.1.7'],
      allowUrlCredentials: true,
      shutdownTimeout: 3600,
      bodyLimit: 1024,
      authFailureLimit: 3,
      authFailureAddressLimit: 7,
      authFailureWindow: 60,
    });
  });
});

describe('resolveConfig conversions', () => {
  it.each([
    ['true', true],
    ['1', true],
    ['false', false],
    ['0', false],
  ])('accepts the boolean text %j', (text, expected) => {
    expect(resolveWith({ env: { IDCLOUD_ALLOW_URL_CREDENTIALS: text } }).allowUrlCredentials).toBe(expected);
    expect(resolveWith({ configFile: configFile({ allowUrlCredentials: text }) }).allowUrlCredentials).toBe(expected);
  });

  it('accepts JSON booleans, numbers and arrays in the config file', () => {
    const config = resolveWith({ configFile: configFile({ allowUrlCredentials: true, port: 9000, trustedProxies: ['::1', '10.1.0.0/16'] }) });
    expect(config).toMatchObject({ allowUrlCredentials: true, port: 9000, trustedProxies: ['::1', '10.1.0.0/16'] });
  });

  it('accepts integers with surrounding whitespace in the environment', () => {
    expect(resolveWith({ env: { IDCLOUD_PORT: ' 8443 ' } }).port).toBe(8443);
  });

  it('splits a comma-separated trusted proxy list and drops empty entries', () => {
    expect(resolveWith({ flags: { trustedProxies: ',, ,' } }).trustedProxies).toEqual([]);
    expect(resolveWith({ flags: { trustedProxies: '127.0.0.1,fe80::/10' } }).trustedProxies).toEqual(['127.0.0.1', 'fe80::/10']);
  });
});

describe('resolveConfig paths', () => {
  it('resolves a relative data directory and master key file against the working directory', () => {
    const config = resolveWith({ flags: { dataDir: 'some/where', masterKeyFile: 'keys/master.key' } });
    expect(config.dataDir).toBe(join(process.cwd(), 'some/where'));
    expect(config.masterKeyFile).toBe(join(process.cwd(), 'keys/master.key'));
    expect(isAbsolute(config.dataDir)).toBe(true);
  });

  it('normalizes absolute paths and leaves an unset master key file null', () => {
    const config = resolveWith({ env: { IDCLOUD_DATA_DIR: '/srv/idcloud/../idcloud/./data' } });
    expect(config.dataDir).toBe('/srv/idcloud/data');
    expect(config.masterKeyFile).toBeNull();
  });

  it('resolves paths that come from the config file too', () => {
    const config = resolveWith({ configFile: configFile({ dataDir: 'rel-data', masterKeyFile: '/abs/key' }) });
    expect(config.dataDir).toBe(resolve('rel-data'));
    expect(config.masterKeyFile).toBe('/abs/key');
  });
});

describe('resolveConfig refuses bad values with a one-line ConfigError naming the option', () => {
  it.each([
    ['port out of range (flag)', { flags: { port: '65536' } }, /\bport\b.*65535/],
    ['negative port (env)', { env: { IDCLOUD_PORT: '-1' } }, /\bport\b/],
    ['port not a number (env)', { env: { IDCLOUD_PORT: 'eighty' } }, /IDCLOUD_PORT.*\bport\b.*integer/],
    ['port with a fraction (flag)', { flags: { port: '80.5' } }, /--port.*integer/],
    ['port in exponent notation', { flags: { port: '1e3' } }, /--port.*integer/],
    ['empty port flag', { flags: { port: '' } }, /--port.*integer/],
    ['port beyond the safe integers', { flags: { port: '9007199254740993' } }, /--port.*integer/],
    ['bad log level', { flags: { logLevel: 'verbose' } }, /logLevel must be one of/],
    ['log level in the wrong case', { env: { IDCLOUD_LOG_LEVEL: 'INFO' } }, /logLevel/],
    ['bad CIDR in trustedProxies', { env: { IDCLOUD_TRUSTED_PROXIES: '10.0.0.0/8,10.0.0.0/33' } }, /trustedProxies.*"10\.0\.0\.0\/33"/],
    ['host name in trustedProxies', { flags: { trustedProxies: 'proxy.example' } }, /trustedProxies.*proxy\.example/],
    ['bad boolean', { env: { IDCLOUD_ALLOW_URL_CREDENTIALS: 'yes' } }, /IDCLOUD_ALLOW_URL_CREDENTIALS.*allowUrlCredentials.*true or false/],
    ['bad database URL scheme', { flags: { databaseUrl: 'mysql://u@h/d' } }, /databaseUrl must start with postgres:\/\//],
    ['bad database URL scheme from DATABASE_URL', { env: { DATABASE_URL: 'sqlite:///tmp/x.db' } }, /databaseUrl/],
    ['empty host', { flags: { host: '' } }, /host must not be empty/],
    ['empty data directory', { flags: { dataDir: '' } }, /dataDir must not be empty/],
    ['empty master key file', { flags: { masterKeyFile: '' } }, /masterKeyFile must not be empty/],
    ['shutdown timeout too long', { env: { IDCLOUD_SHUTDOWN_TIMEOUT: '3601' } }, /shutdownTimeout/],
    ['body limit too small', { env: { IDCLOUD_BODY_LIMIT: '1023' } }, /bodyLimit must be at least 1024/],
  ] as const)('%s', (_name, sources, pattern) => {
    const message = configErrorOf(() => resolveWith(sources));
    expect(message).toMatch(pattern);
  });

  it.each([
    ['a string where an integer belongs', { port: 'abc' }, /config file: port must be an integer/],
    ['a fractional number', { port: 80.5 }, /port must be an integer/],
    ['a boolean where an integer belongs', { bodyLimit: true }, /bodyLimit must be an integer/],
    ['a number where a string belongs', { host: 42 }, /config file: host must be a string/],
    ['a number where a boolean belongs', { allowUrlCredentials: 2 }, /allowUrlCredentials must be true or false/],
    ['a list holding a non-string', { trustedProxies: ['10.0.0.1', 7] }, /trustedProxies must be a list of strings/],
    ['an object where a list belongs', { trustedProxies: { a: 1 } }, /trustedProxies must be a list of strings/],
    ['a bad CIDR in a list', { trustedProxies: ['300.0.0.0/8'] }, /trustedProxies.*300\.0\.0\.0\/8/],
    ['a CIDR in a list with a trailing newline', { trustedProxies: ['10.0.0.0/8\n'] }, /trustedProxies/],
    ['an empty master key file', { masterKeyFile: '' }, /masterKeyFile must not be empty/],
    ['an unknown key', { port: 8080, prot: 8080 }, /unknown option "prot"/],
    ['an unknown key with a newline in its name', { 'evil\nkey': 1 }, /unknown option/],
    ['the flag spelling of a key', { 'log-level': 'info' }, /unknown option "log-level"/],
  ])('config file with %s', (_name, content, pattern) => {
    const message = configErrorOf(() => resolveWith({ configFile: configFile(content) }));
    expect(message).toMatch(pattern);
  });

  it.each([
    ['a JSON array', '[1, 2]'],
    ['a JSON string', '"port"'],
    ['JSON null', 'null'],
    ['a JSON number', '8080'],
  ])('config file holding %s is refused as not an object', (_name, text) => {
    const path = configFile(text, true);
    const message = configErrorOf(() => resolveWith({ configFile: path }));
    expect(message).toContain(path);
    expect(message).toMatch(/must hold a JSON object/);
  });

  it.each([
    ['truncated JSON', '{"port": 80'],
    ['a trailing comma', '{"port": 80,}'],
    ['an empty file', ''],
    ['comments', '// settings\n{"port": 80}'],
  ])('config file with %s is refused as invalid JSON', (_name, text) => {
    const path = configFile(text, true);
    const message = configErrorOf(() => resolveWith({ configFile: path }));
    expect(message).toBe(`config file ${path} is not valid JSON`);
  });

  it('refuses a config file that does not exist', () => {
    const path = join(dir, 'no-such-file.json');
    const message = configErrorOf(() => resolveWith({ configFile: path }));
    expect(message).toBe(`cannot read config file ${path}: ENOENT`);
  });

  it('refuses a config file that is a directory', () => {
    const message = configErrorOf(() => resolveWith({ configFile: dir }));
    expect(message).toBe(`cannot read config file ${dir}: EISDIR`);
  });
});

describe('resolveConfig properties', () => {
  it('round-trips any in-range integer string for port, from flags and from the environment', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 65535 }), fc.nat({ max: 3 }), (port, zeros) => {
        const text = '0'.repeat(zeros) + String(port);
        expect(resolveWith({ flags: { port: text } }).port).toBe(port);
        expect(resolveWith({ env: { IDCLOUD_PORT: text } }).port).toBe(port);
      }),
    );
  });

  it('refuses any integer outside 0..65535 for port', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ max: -1 }), fc.integer({ min: 65536 })), (port) => {
        const message = configErrorOf(() => resolveWith({ flags: { port: String(port) } }));
        expect(message).toMatch(/^port must be between 0 and 65535$/);
      }),
    );
  });

  it('refuses any port text that is not an integer', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }).filter((s) => !/^\s*-?\d+\s*$/.test(s)), (text) => {
        const message = configErrorOf(() => resolveWith({ flags: { port: text } }));
        expect(message).toMatch(/^--port: port must be an integer, got /);
      }),
    );
  });

  it('accepts every log level in the enum and refuses any other string', () => {
    for (const level of LOG_LEVELS) expect(resolveWith({ flags: { logLevel: level } }).logLevel).toBe(level);
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }).filter((s) => !(LOG_LEVELS as readonly string[]).includes(s)), (level) => {
        const message = configErrorOf(() => resolveWith({ flags: { logLevel: level } }));
        expect(message).toMatch(/^logLevel must be one of /);
      }),
    );
  });

  it('refuses any boolean text other than true/false/1/0', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }).filter((s) => !['true', 'false', '1', '0', ''].includes(s)), (text) => {
        const message = configErrorOf(() => resolveWith({ env: { IDCLOUD_ALLOW_URL_CREDENTIALS: text } }));
        expect(message).toMatch(/^IDCLOUD_ALLOW_URL_CREDENTIALS: allowUrlCredentials must be true or false/);
      }),
    );
  });

  it('keeps every valid IPv4/IPv6 address and CIDR block in trustedProxies', () => {
    const v4 = fc.ipV4();
    const v4Cidr = fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 32 })).map(([a, n]) => `${a}/${n}`);
    const v6Cidr = fc.tuple(fc.ipV6(), fc.integer({ min: 0, max: 128 })).map(([a, n]) => `${a}/${n}`);
    fc.assert(
      fc.property(fc.array(fc.oneof(v4, fc.ipV6(), v4Cidr, v6Cidr), { minLength: 1, maxLength: 5 }), (entries) => {
        expect(resolveWith({ flags: { trustedProxies: entries.join(',') } }).trustedProxies).toEqual(entries);
      }),
    );
  });

  it('refuses any trustedProxies entry that is not an address or CIDR block, with a one-line message', () => {
    // Nothing that starts with a letter beyond the hex digits, or that carries a line break after an
    // address, is an IP address or CIDR block.
    const notAddress = fc.oneof(
      fc.string({ unit: 'binary' }).map((s) => `x${s}`),
      fc.tuple(fc.ipV4(), fc.string({ unit: 'binary' })).map(([ip, s]) => `${ip}\n${s}`),
    );
    fc.assert(
      fc.property(notAddress, (entry) => {
        const path = configFile({ trustedProxies: ['127.0.0.1', entry] });
        const message = configErrorOf(() => resolveWith({ configFile: path }));
        expect(message).toMatch(/^trustedProxies /);
      }),
      { numRuns: 50 },
    );
  });

  it('refuses any unknown config file key with a one-line message', () => {
    const known = new Set<string>(SERVER_OPTIONS.map((o) => o.key));
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }).filter((k) => !known.has(k)), (key) => {
        const path = configFile({ [key]: 1 });
        const message = configErrorOf(() => resolveWith({ configFile: path }));
        expect(message).toContain('unknown option');
      }),
      { numRuns: 50 },
    );
  });
});
