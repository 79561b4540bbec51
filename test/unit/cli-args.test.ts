// Unit and property tests for the command-line parsing in src/cli.ts: commands, flags, the
// seeded owner credentials, --config/IDCLOUD_CONFIG, the help text and main()'s exit codes.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { helpText, main, parseCommandLine, UsageError } from '../../src/cli/command.js';
import { ConfigError, SERVER_OPTIONS } from '../../src/config.js';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'idcloud-unit-cli-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `fn`, expects an error of `type`, and returns its message after checking it is one line. */
function errorOf(type: typeof UsageError | typeof ConfigError, fn: () => unknown): string {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(type);
  const message = (caught as Error).message;
  expect(message.length).toBeGreaterThan(0);
  expect(message).not.toMatch(/[\r\n]/);
  return message;
}

const KNOWN_FLAGS = new Set<string>(['config', 'owner-client-id', 'owner-client-secret', ...SERVER_OPTIONS.map((o) => o.flag)]);

describe('parseCommandLine commands', () => {
  it.each([
    [[], 'help'],
    [['help'], 'help'],
    [['--help'], 'help'],
    [['-h'], 'help'],
    [['version'], 'version'],
    [['--version'], 'version'],
    [['serve'], 'serve'],
    [['init'], 'init'],
    [['migrate'], 'migrate'],
  ])('%j is the %s command', (argv, command) => {
    expect(parseCommandLine(argv, {}).command).toBe(command);
  });

  it.each([['start'], ['Serve'], ['--port'], ['-v'], [''], ['serve\nnow']])('refuses the unknown command %j', (word) => {
    const message = errorOf(UsageError, () => parseCommandLine([word, '--port', '1'], {}));
    expect(message).toBe(`unknown command ${JSON.stringify(word)}; try "idcloud help"`);
  });

  it('refuses any word that is not a command with a one-line UsageError', () => {
    const accepted = new Set(['serve', 'init', 'migrate', 'help', 'version', '--help', '-h', '--version']);
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary-ascii' })).filter((w) => !accepted.has(w)), (word) => {
        const message = errorOf(UsageError, () => parseCommandLine([word], {}));
        expect(message).toMatch(/^unknown command /);
      }),
    );
  });
});

describe('parseCommandLine flags', () => {
  it('passes every server option flag through to the configuration', () => {
    const parsed = parseCommandLine(
      [
        'serve',
        '--host', '0.0.0.0',
        '--port', '0',
        '--data-dir', 'rel/data',
        '--database-url', 'postgresql://u@h/d',
        '--master-key-file', '/keys/master.key',
        '--log-level', 'debug',
        '--trusted-proxies', '10.0.0.0/8, ::1',
        '--allow-url-credentials',
        '--shutdown-timeout', '0',
        '--body-limit', '2048',
        '--auth-failure-limit', '4',
        '--auth-failure-address-limit', '9',
        '--auth-failure-window', '30',
      ],
      {},
    );
    expect(parsed.config).toEqual({
      host: '0.0.0.0',
      port: 0,
      dataDir: resolve('rel/data'),
      databaseUrl: 'postgresql://u@h/d',
      masterKeyFile: '/keys/master.key',
      logLevel: 'debug',
      trustedProxies: ['10.0.0.0/8', '::1'],
      allowUrlCredentials: true,
      shutdownTimeout: 0,
      bodyLimit: 2048,
      authFailureLimit: 4,
      authFailureAddressLimit: 9,
      authFailureWindow: 30,
    });
  });

  it('accepts --flag=value as well as --flag value', () => {
    expect(parseCommandLine(['serve', '--port=9001', '--log-level=warn'], {}).config).toMatchObject({ port: 9001, logLevel: 'warn' });
  });

  it('lets the last of a repeated flag win', () => {
    expect(parseCommandLine(['serve', '--port', '1', '--port', '2'], {}).config.port).toBe(2);
  });

  it('lets flags win over the environment, and uses the environment where no flag is given', () => {
    const parsed = parseCommandLine(['serve', '--port', '7000'], { IDCLOUD_PORT: '6000', IDCLOUD_HOST: '::', IDCLOUD_ALLOW_URL_CREDENTIALS: '0' });
    expect(parsed.config).toMatchObject({ port: 7000, host: '::', allowUrlCredentials: false });
  });

  it('leaves a boolean flag that is absent to the environment', () => {
    expect(parseCommandLine(['serve'], { IDCLOUD_ALLOW_URL_CREDENTIALS: 'true' }).config.allowUrlCredentials).toBe(true);
    expect(parseCommandLine(['serve', '--allow-url-credentials'], { IDCLOUD_ALLOW_URL_CREDENTIALS: 'false' }).config.allowUrlCredentials).toBe(true);
  });

  it.each([
    [['serve', '--bogus'], /^Unknown option '--bogus'/],
    [['serve', '--port', '80', '--Port', '81'], /^Unknown option '--Port'/],
    [['init', '-p', '80'], /^Unknown option '-p'/],
    [['serve', '--port'], /^Option '--port <value>' argument missing$/],
    [['serve', '--owner-client-id'], /argument missing/],
    [['serve', '--config'], /argument missing/],
    [['serve', '--port', '--host', 'x'], /^Option '--port' argument is ambiguous\.$/],
    [['serve', 'extra'], /^Unexpected argument 'extra'/],
    [['serve', '--allow-url-credentials=false'], /does not take an argument/],
  ])('%j is a one-line UsageError', (argv, pattern) => {
    expect(errorOf(UsageError, () => parseCommandLine(argv, {}))).toMatch(pattern);
  });

  it('refuses any unknown --flag with a one-line UsageError', () => {
    const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/).filter((n) => !KNOWN_FLAGS.has(n));
    fc.assert(
      fc.property(name, fc.constantFrom('serve', 'init', 'migrate', 'help', 'version'), (flag, command) => {
        const message = errorOf(UsageError, () => parseCommandLine([command, `--${flag}`, 'value'], {}));
        expect(message.startsWith(`Unknown option '--${flag}'`)).toBe(true);
      }),
    );
  });

  it('reports a bad flag value as a ConfigError, not a UsageError', () => {
    expect(errorOf(ConfigError, () => parseCommandLine(['serve', '--port', 'http'], {}))).toMatch(/--port: port must be an integer/);
    expect(errorOf(ConfigError, () => parseCommandLine(['serve', '--log-level', 'loud'], {}))).toMatch(/logLevel/);
    expect(errorOf(ConfigError, () => parseCommandLine(['serve', '--port='], {}))).toMatch(/--port/);
  });

  it('does not read process.env, only the environment it is given', () => {
    const before = process.env.IDCLOUD_PORT;
    process.env.IDCLOUD_PORT = '5555';
    try {
      expect(parseCommandLine(['serve'], {}).config.port).toBe(8080);
    } finally {
      if (before === undefined) delete process.env.IDCLOUD_PORT;
      else process.env.IDCLOUD_PORT = before;
    }
  });
});

describe('parseCommandLine seeded owner credentials', () => {
  const id = 'a'.repeat(32);
  const secret = 'b'.repeat(32);

  it('is empty when neither flags nor environment give them', () => {
    expect(parseCommandLine(['init'], {}).seededOwner).toEqual({ clientId: undefined, clientSecret: undefined });
  });

  it('comes from --owner-client-id and --owner-client-secret', () => {
    expect(parseCommandLine(['init', '--owner-client-id', id, '--owner-client-secret', secret], {}).seededOwner).toEqual({ clientId: id, clientSecret: secret });
  });

  it('falls back to IDCLOUD_OWNER_CLIENT_ID and IDCLOUD_OWNER_CLIENT_SECRET', () => {
    const parsed = parseCommandLine(['serve'], { IDCLOUD_OWNER_CLIENT_ID: id, IDCLOUD_OWNER_CLIENT_SECRET: secret });
    expect(parsed.seededOwner).toEqual({ clientId: id, clientSecret: secret });
  });

  it('prefers each flag over its environment variable independently', () => {
    const parsed = parseCommandLine(['serve', '--owner-client-secret', 'c'.repeat(32)], { IDCLOUD_OWNER_CLIENT_ID: id, IDCLOUD_OWNER_CLIENT_SECRET: secret });
    expect(parsed.seededOwner).toEqual({ clientId: id, clientSecret: 'c'.repeat(32) });
  });

  it('treats empty environment variables as unset', () => {
    expect(parseCommandLine(['serve'], { IDCLOUD_OWNER_CLIENT_ID: '', IDCLOUD_OWNER_CLIENT_SECRET: '' }).seededOwner).toEqual({ clientId: undefined, clientSecret: undefined });
  });

  it('is not part of the server configuration', () => {
    const parsed = parseCommandLine(['serve', '--owner-client-id', id], {});
    expect(JSON.stringify(parsed.config)).not.toContain(id);
  });
});

describe('parseCommandLine --config', () => {
  function writeConfig(name: string, content: unknown): string {
    const path = join(dir, name);
    writeFileSync(path, JSON.stringify(content));
    return path;
  }

  it('reads the JSON file named by --config', () => {
    const path = writeConfig('a.json', { port: 1234, logLevel: 'error', dataDir: 'from-file' });
    expect(parseCommandLine(['serve', '--config', path], {}).config).toMatchObject({ port: 1234, logLevel: 'error', dataDir: resolve('from-file') });
  });

  it('reads the file named by IDCLOUD_CONFIG when --config is absent', () => {
    const path = writeConfig('b.json', { port: 2345 });
    expect(parseCommandLine(['serve'], { IDCLOUD_CONFIG: path }).config.port).toBe(2345);
  });

  it('prefers --config over IDCLOUD_CONFIG', () => {
    const flagFile = writeConfig('c.json', { port: 3456 });
    const envFile = writeConfig('d.json', { port: 4567 });
    expect(parseCommandLine(['serve', '--config', flagFile], { IDCLOUD_CONFIG: envFile }).config.port).toBe(3456);
  });

  it('lets flags and environment win over the file', () => {
    const path = writeConfig('e.json', { port: 3456, host: 'file.example', logLevel: 'warn' });
    const parsed = parseCommandLine(['serve', '--config', path, '--port', '1'], { IDCLOUD_HOST: 'env.example' });
    expect(parsed.config).toMatchObject({ port: 1, host: 'env.example', logLevel: 'warn' });
  });

  it('refuses a missing config file with a one-line ConfigError', () => {
    const path = join(dir, 'missing.json');
    expect(errorOf(ConfigError, () => parseCommandLine(['serve', '--config', path], {}))).toBe(`cannot read config file ${path}: ENOENT`);
  });

  it('refuses a config file with an unknown key', () => {
    const path = writeConfig('f.json', { prot: 1 });
    expect(errorOf(ConfigError, () => parseCommandLine(['serve', '--config', path], {}))).toMatch(/unknown option "prot"/);
  });
});

describe('helpText', () => {
  it('names every command, every flag and every environment variable', () => {
    const text = helpText();
    for (const command of ['serve', 'init', 'migrate', 'version']) expect(text).toMatch(new RegExp(`^  ${command} `, 'm'));
    expect(text).toContain('--config <file>');
    expect(text).toContain('IDCLOUD_CONFIG');
    for (const spec of SERVER_OPTIONS) {
      expect(text).toContain(`--${spec.flag}`);
      for (const env of spec.env) expect(text).toContain(env);
      expect(text).toContain(`[default: ${spec.defaultText}]`);
    }
    expect(text).toContain('--owner-client-id');
    expect(text).toContain('--owner-client-secret');
    expect(text).toContain('IDCLOUD_OWNER_CLIENT_ID');
  });

  it('shows boolean flags without a value placeholder', () => {
    const text = helpText();
    expect(text).toContain('  --allow-url-credentials  ');
    expect(text).not.toContain('--allow-url-credentials <value>');
    expect(text).toContain('--port <value>');
  });
});

describe('main exit codes', () => {
  let stdout: string[];
  let stderr: string[];

  function captureOutput(): void {
    stdout = [];
    stderr = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stdout.push(String(chunk));
      return true;
    });
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stderr.push(String(chunk));
      return true;
    });
  }
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('prints the help text and returns 0 for help', async () => {
    captureOutput();
    const code = await main(['help']);
    vi.restoreAllMocks();
    expect(code).toBe(0);
    expect(stdout.join('')).toBe(`${helpText()}\n`);
    expect(stderr).toEqual([]);
  });

  it('returns 2 with one line on stderr for an unknown command', async () => {
    captureOutput();
    const code = await main(['frobnicate']);
    vi.restoreAllMocks();
    expect(code).toBe(2);
    expect(stderr.join('')).toBe('idcloud: unknown command "frobnicate"; try "idcloud help"\n');
    expect(stdout).toEqual([]);
  });

  it('returns 2 with one line on stderr for a missing flag value', async () => {
    captureOutput();
    const code = await main(['help', '--port']);
    vi.restoreAllMocks();
    expect(code).toBe(2);
    expect(stderr.join('')).toMatch(/^idcloud: [^\n]*argument missing\n$/);
  });
});
