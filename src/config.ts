// Server options: one table drives the command-line flags, the IDCLOUD_* environment variables,
// the JSON config file and the README's configuration table (a test keeps them in step).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import ipaddr from 'ipaddr.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface ServerConfig {
  host: string;
  port: number;
  dataDir: string;
  databaseUrl: string | null;
  masterKeyFile: string | null;
  logLevel: LogLevel;
  trustedProxies: string[];
  allowUrlCredentials: boolean;
  shutdownTimeout: number;
  bodyLimit: number;
  authFailureLimit: number;
  authFailureAddressLimit: number;
  authFailureWindow: number;
}

/** Thrown for any bad option; the CLI prints its message as one line and exits non-zero. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Kind = 'string' | 'integer' | 'boolean' | 'list';

interface OptionSpec<K extends keyof ServerConfig> {
  key: K;
  flag: string;
  env: string[];
  kind: Kind;
  description: string;
  /** Shown in the README; the parsed default comes from `defaults` below. */
  defaultText: string;
  validate?: (value: ServerConfig[K]) => string | null;
}

type AnyOptionSpec = { [K in keyof ServerConfig]: OptionSpec<K> }[keyof ServerConfig];

const defaults: ServerConfig = {
  host: '127.0.0.1',
  port: 8080,
  dataDir: './data',
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
};

export const SERVER_OPTIONS: readonly AnyOptionSpec[] = [
  {
    key: 'host', flag: 'host', env: ['IDCLOUD_HOST'], kind: 'string', defaultText: '127.0.0.1',
    description: 'Address to listen on.',
    validate: (v) => (v.length > 0 ? null : 'must not be empty'),
  },
  {
    key: 'port', flag: 'port', env: ['IDCLOUD_PORT'], kind: 'integer', defaultText: '8080',
    description: 'TCP port to listen on (0 picks a free one).',
    validate: (v) => (v >= 0 && v <= 65535 ? null : 'must be between 0 and 65535'),
  },
  {
    key: 'dataDir', flag: 'data-dir', env: ['IDCLOUD_DATA_DIR'], kind: 'string', defaultText: './data',
    description: 'Directory for the SQLite database, the master key file and the bootstrap credentials.',
    validate: (v) => (v.length > 0 ? null : 'must not be empty'),
  },
  {
    key: 'databaseUrl', flag: 'database-url', env: ['IDCLOUD_DATABASE_URL', 'DATABASE_URL'], kind: 'string',
    defaultText: '(unset: SQLite)',
    description: 'PostgreSQL connection URL (`postgres://…`). When unset, SQLite in `<data dir>/idcloud.db`.',
    validate: (v) => (v === null || /^postgres(ql)?:\/\//.test(v) ? null : 'must start with postgres:// or postgresql://'),
  },
  {
    key: 'masterKeyFile', flag: 'master-key-file', env: ['IDCLOUD_MASTER_KEY_FILE'], kind: 'string',
    defaultText: '<data dir>/master.key',
    description: 'File holding the base64 master key; created with mode 0600 on first start. `IDCLOUD_MASTER_KEY` (base64, 32 bytes; environment only) takes precedence.',
    validate: (v) => (v === null || v.length > 0 ? null : 'must not be empty'),
  },
  {
    key: 'logLevel', flag: 'log-level', env: ['IDCLOUD_LOG_LEVEL'], kind: 'string', defaultText: 'info',
    description: `Log level: ${LOG_LEVELS.join(', ')}.`,
    validate: (v) => ((LOG_LEVELS as readonly string[]).includes(v) ? null : `must be one of ${LOG_LEVELS.join(', ')}`),
  },
  {
    key: 'trustedProxies', flag: 'trusted-proxies', env: ['IDCLOUD_TRUSTED_PROXIES'], kind: 'list', defaultText: '(none)',
    description: 'Comma-separated addresses or CIDR blocks of proxies whose `X-Forwarded-For` is believed.',
    validate: (v) => {
      const bad = v.find((entry) => !isAddressOrCidr(entry));
      return bad === undefined ? null : `${JSON.stringify(bad)} is not an IP address or CIDR block`;
    },
  },
  {
    key: 'allowUrlCredentials', flag: 'allow-url-credentials', env: ['IDCLOUD_ALLOW_URL_CREDENTIALS'], kind: 'boolean',
    defaultText: 'false',
    description: 'Migration escape hatch: accept `client_secret` in a URL query string (logged and counted).',
  },
  {
    key: 'shutdownTimeout', flag: 'shutdown-timeout', env: ['IDCLOUD_SHUTDOWN_TIMEOUT'], kind: 'integer', defaultText: '10',
    description: 'Seconds to let in-flight requests finish on SIGTERM/SIGINT before closing anyway.',
    validate: (v) => (v >= 0 && v <= 3600 ? null : 'must be between 0 and 3600'),
  },
  {
    key: 'bodyLimit', flag: 'body-limit', env: ['IDCLOUD_BODY_LIMIT'], kind: 'integer', defaultText: '10485760',
    description: 'Largest accepted request body, in bytes.',
    validate: (v) => (v >= 1024 ? null : 'must be at least 1024'),
  },
  {
    key: 'authFailureLimit', flag: 'auth-failure-limit', env: ['IDCLOUD_AUTH_FAILURE_LIMIT'], kind: 'integer', defaultText: '10',
    description: 'Failed authentications of one client id within the window before it is refused (code 510, HTTP 429) until the window has passed.',
    validate: (v) => (v >= 1 ? null : 'must be at least 1'),
  },
  {
    key: 'authFailureAddressLimit', flag: 'auth-failure-address-limit', env: ['IDCLOUD_AUTH_FAILURE_ADDRESS_LIMIT'], kind: 'integer', defaultText: '100',
    description: 'Failed authentications from one source address within the window before it is refused.',
    validate: (v) => (v >= 1 ? null : 'must be at least 1'),
  },
  {
    key: 'authFailureWindow', flag: 'auth-failure-window', env: ['IDCLOUD_AUTH_FAILURE_WINDOW'], kind: 'integer', defaultText: '300',
    description: 'Length in seconds of the failed-authentication window, and of the block that follows.',
    validate: (v) => (v >= 1 && v <= 86400 ? null : 'must be between 1 and 86400'),
  },
];

function isAddressOrCidr(value: string): boolean {
  if (ipaddr.isValid(value)) return true;
  try {
    ipaddr.parseCIDR(value);
    return true;
  } catch {
    return false;
  }
}

function convert(spec: AnyOptionSpec, raw: unknown, origin: string): unknown {
  const where = `${origin}: ${spec.key}`;
  switch (spec.kind) {
    case 'string':
      if (typeof raw !== 'string') throw new ConfigError(`${where} must be a string`);
      return raw;
    case 'integer': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw) : NaN;
      if (!Number.isSafeInteger(n)) throw new ConfigError(`${where} must be an integer, got ${JSON.stringify(raw)}`);
      return n;
    }
    case 'boolean':
      if (typeof raw === 'boolean') return raw;
      if (raw === 'true' || raw === '1') return true;
      if (raw === 'false' || raw === '0') return false;
      throw new ConfigError(`${where} must be true or false, got ${JSON.stringify(raw)}`);
    case 'list':
      if (Array.isArray(raw) && raw.every((x) => typeof x === 'string')) return raw;
      if (typeof raw === 'string') return raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
      throw new ConfigError(`${where} must be a list of strings`);
  }
}

export interface ConfigSources {
  /** Values from command-line flags, keyed by option key (already split from the argv). */
  flags: Partial<Record<keyof ServerConfig, unknown>>;
  env: NodeJS.ProcessEnv;
  /** Path of a JSON config file (from --config or IDCLOUD_CONFIG), if any. */
  configFile?: string | undefined;
}

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ConfigError(`config file ${path} is not valid JSON`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(`config file ${path} must hold a JSON object`);
  }
  const known = new Set<string>(SERVER_OPTIONS.map((o) => o.key));
  for (const key of Object.keys(parsed)) {
    if (!known.has(key)) throw new ConfigError(`config file ${path}: unknown option ${JSON.stringify(key)}`);
  }
  return parsed as Record<string, unknown>;
}

/** Resolves the configuration: flags win over environment, environment over file, file over defaults. */
export function resolveConfig(sources: ConfigSources): ServerConfig {
  const file = sources.configFile ? readConfigFile(sources.configFile) : {};
  const config: Record<string, unknown> = { ...defaults, trustedProxies: [...defaults.trustedProxies] };
  for (const spec of SERVER_OPTIONS) {
    const envName = spec.env.find((name) => sources.env[name] !== undefined && sources.env[name] !== '');
    let value: unknown;
    if (sources.flags[spec.key] !== undefined) value = convert(spec, sources.flags[spec.key], `--${spec.flag}`);
    else if (envName !== undefined) value = convert(spec, sources.env[envName], envName);
    else if (file[spec.key] !== undefined && file[spec.key] !== null) value = convert(spec, file[spec.key], 'config file');
    else continue;
    config[spec.key] = value;
  }
  const result = config as unknown as ServerConfig;
  for (const spec of SERVER_OPTIONS) {
    const check = spec.validate as ((v: unknown) => string | null) | undefined;
    const problem = check?.(result[spec.key]);
    if (problem) throw new ConfigError(`${spec.key} ${problem}`);
  }
  result.dataDir = resolve(result.dataDir);
  if (result.masterKeyFile !== null) result.masterKeyFile = resolve(result.masterKeyFile);
  return result;
}

export function defaultConfig(overrides: Partial<ServerConfig> = {}): ServerConfig {
  return { ...defaults, trustedProxies: [...defaults.trustedProxies], ...overrides };
}
