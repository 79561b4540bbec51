// The idcloud command: serve | init | migrate | audit | settings | import | export | hosted-login | help | version.
// `src/cli.ts` is its small entry.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { hostedLoginCommand, type HostedLoginArgs } from './hosted-login.js';
import { CommandError, exportUsers, importUsers } from './import-export.js';
import { stderrIsTty } from './import-worker.js';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError, resolveConfig, SERVER_OPTIONS, type ServerConfig } from '../config.js';
import { createLogger } from '../log.js';
import { VERSION } from '../version.js';
import { bootstrapIfEmpty, BootstrapError, type SeededOwnerCredentials } from '../setup/bootstrap.js';
import { prepareStorage, type PreparedStorage } from '../setup/storage.js';
import { MasterKeyError } from '../security/master-key.js';
import { StoreError } from '../store/database.js';
import { MigrationError } from '../store/migrations/index.js';
import { toStoredTimestamp } from '../store/clock.js';
import { listAudit } from '../store/repositories/audit-log.js';
import { findApplication } from '../store/repositories/tenancy.js';
import { findApiClient } from '../store/repositories/api-clients.js';
import { SettingsService } from '../services/settings.js';
import { effectiveSettings, hostedLoginStatus } from '../domain/settings.js';

const COMMANDS = ['serve', 'init', 'migrate', 'audit', 'settings', 'import', 'export', 'hosted-login', 'help', 'version'] as const;
type Command = (typeof COMMANDS)[number];

/** Exit codes: 2 for a bad command line or configuration, 1 for a failure while running. */
export class UsageError extends Error {
  override name = 'UsageError';
}

const SEED_FLAGS = {
  'owner-client-id': { type: 'string', env: 'IDCLOUD_OWNER_CLIENT_ID' },
  'owner-client-secret': { type: 'string', env: 'IDCLOUD_OWNER_CLIENT_SECRET' },
} as const;

/** Filters of `idcloud audit`. */
const AUDIT_FLAGS = ['application', 'from', 'to', 'client', 'operation', 'limit'] as const;
type AuditFilters = Partial<Record<(typeof AUDIT_FLAGS)[number], string>>;

/** Flags of `idcloud import` and `idcloud export`. */
const IMPORT_FLAGS = ['type', 'application', 'batch', 'failures'] as const;
const EXPORT_FLAGS = ['type', 'application', 'filter', 'page', 'output'] as const;

export interface ParsedCommandLine {
  command: Command;
  config: ServerConfig;
  seededOwner: SeededOwnerCredentials;
  audit: AuditFilters;
  settingsClient?: string;
  transfer?: { file?: string; flags: Record<string, string>; restart: boolean; passwordHashes: boolean };
  hostedLogin?: HostedLoginArgs;
}

/** Flags of `idcloud hosted-login`. */
const HOSTED_LOGIN_FLAGS = ['customer', 'client-id', 'client-secret', 'scope', 'json'] as const;

export function parseCommandLine(argv: string[], env: NodeJS.ProcessEnv): ParsedCommandLine {
  const [first, ...rest] = argv;
  const command = (first === undefined || first === '--help' || first === '-h' ? 'help' : first === '--version' ? 'version' : first) as Command;
  if (!COMMANDS.includes(command)) throw new UsageError(`unknown command ${JSON.stringify(first)}; try "idcloud help"`);

  const options: NonNullable<ParseArgsConfig['options']> = { config: { type: 'string' } };
  for (const spec of SERVER_OPTIONS) options[spec.flag] = { type: spec.kind === 'boolean' ? 'boolean' : 'string' };
  for (const [flag, def] of Object.entries(SEED_FLAGS)) options[flag] = { type: def.type };
  if (command === 'audit') for (const flag of AUDIT_FLAGS) options[flag] = { type: 'string' };
  if (command === 'settings') options.client = { type: 'string' };
  if (command === 'import') {
    for (const flag of IMPORT_FLAGS) options[flag] = { type: 'string' };
    options.restart = { type: 'boolean' };
  }
  if (command === 'export') {
    for (const flag of EXPORT_FLAGS) options[flag] = { type: 'string' };
    options['password-hashes'] = { type: 'boolean' };
  }
  if (command === 'hosted-login') for (const flag of HOSTED_LOGIN_FLAGS) options[flag] = { type: 'string' };

  let values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: rest, options, strict: true, allowPositionals: command === 'import' || command === 'hosted-login' }));
  } catch (err) {
    throw new UsageError((err as Error).message.split('\n')[0] ?? 'bad command line');
  }
  const flags: Partial<Record<keyof ServerConfig, unknown>> = {};
  for (const spec of SERVER_OPTIONS) if (values[spec.flag] !== undefined) flags[spec.key] = values[spec.flag];
  const configFile = (values.config as string | undefined) ?? (env.IDCLOUD_CONFIG || undefined);
  const config = resolveConfig({ flags, env, configFile });
  const seed = (flag: keyof typeof SEED_FLAGS): string | undefined => (values[flag] as string | undefined) ?? (env[SEED_FLAGS[flag].env] || undefined);
  const audit: AuditFilters = {};
  for (const flag of AUDIT_FLAGS) if (typeof values[flag] === 'string') audit[flag] = values[flag];
  if (command === 'settings' && typeof values.client !== 'string') throw new UsageError('settings needs --client <client id>');
  const settingsClient = typeof values.client === 'string' ? values.client : undefined;
  let transfer: ParsedCommandLine['transfer'];
  if (command === 'import' || command === 'export') {
    if (command === 'import' && positionals.length !== 1) throw new UsageError('import needs one file: idcloud import users.jsonl --type user');
    if (typeof values.type !== 'string') throw new UsageError(`${command} needs --type <entity type>`);
    const flags: Record<string, string> = {};
    for (const flag of [...IMPORT_FLAGS, ...EXPORT_FLAGS]) if (typeof values[flag] === 'string') flags[flag] = values[flag];
    transfer = { file: positionals[0], flags, restart: values.restart === true, passwordHashes: values['password-hashes'] === true };
  }
  let hostedLogin: HostedLoginArgs | undefined;
  if (command === 'hosted-login') {
    const [action, kind, ...extra] = positionals;
    if (action === undefined || extra.length > 0) throw new UsageError('hosted-login needs: token | list <kind> | create <kind>; see idcloud help');
    const text = (flag: string): string | undefined => (typeof values[flag] === 'string' ? values[flag] : undefined);
    hostedLogin = { action, kind, customer: text('customer'), clientId: text('client-id'), clientSecret: text('client-secret') ?? (env.IDCLOUD_CONFIG_CLIENT_SECRET || undefined), scope: text('scope'), json: text('json') };
  }
  return { command, config, seededOwner: { clientId: seed('owner-client-id'), clientSecret: seed('owner-client-secret') }, audit, settingsClient, transfer, hostedLogin };
}

export function helpText(): string {
  const lines = [
    `idcloud ${VERSION}: a self-hosted identity cloud`,
    '',
    'Usage: idcloud <command> [options]',
    '',
    'Commands:',
    '  serve     start the server (creates and bootstraps the database on first start)',
    '  init      create and bootstrap the database without serving',
    '  migrate   apply pending database migrations',
    '  settings  --client ID: a client\'s own, inherited and effective settings and its Hosted Login status',
    '  audit     print the audit log as JSON lines, oldest first',
    '            [--application ID] [--from TIME] [--to TIME] [--client ID] [--operation NAME] [--limit N]',
    '  import    FILE --type NAME: create records from FILE (.jsonl, .ndjson or .csv); resumes after an interruption',
    '            [--application ID] [--batch N (500)] [--failures FILE] [--restart]',
    '  export    --type NAME: print records as JSON lines, in id order',
    '            [--application ID] [--filter TEXT] [--page N (1000)] [--password-hashes] [--output FILE]',
    '  hosted-login token --client-id ID [--client-secret S | IDCLOUD_CONFIG_CLIENT_SECRET] [--scope SCOPES]',
    '            a configuration access token for a configuration client (default scope *:**)',
    '  hosted-login list token-policies|login-policies|clients, hosted-login create token-policy|login-policy|client --json BODY',
    '            [--customer ID]: Hosted Login configuration, as JSON lines',
    '  version   print the version',
    '',
    'Options (flag, environment variable):',
    '  --config <file>  IDCLOUD_CONFIG  JSON file with any of the options below (camelCase keys)',
  ];
  for (const spec of SERVER_OPTIONS) {
    const flag = spec.kind === 'boolean' ? `--${spec.flag}` : `--${spec.flag} <value>`;
    lines.push(`  ${flag}  ${spec.env.join(' | ')}  ${spec.description} [default: ${spec.defaultText}]`);
  }
  lines.push('  --owner-client-id <id>, --owner-client-secret <secret>  IDCLOUD_OWNER_CLIENT_ID/_SECRET  seed the owner client on first start');
  return lines.join('\n');
}

function out(text: string): void {
  process.stdout.write(`${text}\n`);
}

async function serve(parsed: ParsedCommandLine): Promise<void> {
  const logger = createLogger(parsed.config.logLevel);
  // Loaded here: the other commands need none of the HTTP server (less memory for import and export).
  const { startServer } = await import('../runtime.js');
  const server = await startServer(parsed.config, { logger, seededOwner: parsed.seededOwner });
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals += 1;
    if (signals > 1) {
      logger.warn({ signal }, 'second signal: exiting at once');
      process.exit(1);
    }
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    server.close().then(
      () => {
        logger.info('stopped');
        logger.flush();
        process.exitCode = 0;
      },
      (err: unknown) => {
        logger.error({ err }, 'error while shutting down');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

async function init(parsed: ParsedCommandLine): Promise<void> {
  const { store, secretBox } = await prepareStorage(parsed.config, process.env);
  try {
    const result = await bootstrapIfEmpty(store.db, secretBox, { dataDir: parsed.config.dataDir, seededOwner: parsed.seededOwner });
    if (result.created) {
      out(`initialized ${store.location}: application ${result.credentials.application_id}`);
      out(`API client credentials written to ${result.file} (mode 0600)`);
    } else {
      out(`${store.location} was initialized before; nothing changed`);
    }
  } finally {
    await store.close();
  }
}

async function migrate(parsed: ParsedCommandLine): Promise<void> {
  const { store, appliedMigrations } = await prepareStorage(parsed.config, process.env);
  await store.close();
  out(appliedMigrations.length > 0 ? `applied: ${appliedMigrations.join(', ')}` : `${store.location} is up to date`);
}

function auditTimestamp(text: string | undefined, flag: string): string | undefined {
  if (text === undefined) return undefined;
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new UsageError(`--${flag} must be an ISO-8601 time, got ${JSON.stringify(text)}`);
  return toStoredTimestamp(new Date(t));
}

async function audit(parsed: ParsedCommandLine): Promise<void> {
  const f = parsed.audit;
  const limit = f.limit === undefined ? 1000 : Number(f.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError('--limit must be a positive integer');
  const from = auditTimestamp(f.from, 'from');
  const to = auditTimestamp(f.to, 'to');
  const { store } = await prepareStorage(parsed.config, process.env);
  try {
    // One application: its entries and its customer's; none named: every entry, application or customer level.
    const application = f.application === undefined ? undefined : await findApplication(store.db, f.application);
    if (f.application !== undefined && !application) throw new UsageError(`no application ${f.application}`);
    const entries = await listAudit(store.db, { applicationId: application?.id, customerId: application?.customer_id, from, to, actorClientId: f.client, operation: f.operation, limit });
    for (const e of entries) {
      out(JSON.stringify({ id: e.id, at: e.at, application_id: e.applicationId, client_id: e.actorClientId, address: e.sourceAddress, operation: e.operation, target: e.target, before: e.before, after: e.after }));
    }
  } finally {
    await store.close();
  }
}

async function settings(parsed: ParsedCommandLine, clientId: string): Promise<void> {
  const { store } = await prepareStorage(parsed.config, process.env);
  try {
    const client = await findApiClient(store.db, clientId);
    if (!client) throw new UsageError(`no API client ${clientId}`);
    const service = new SettingsService({ store });
    const [own, application] = await Promise.all([service.read(client.applicationId, clientId), service.readApplication(client.applicationId)]);
    const status = hostedLoginStatus(own, application);
    out(JSON.stringify({ client_id: clientId, application_id: client.applicationId, client: own.standard, custom: own.custom, global: { ...application.standard, custom: application.custom }, effective: effectiveSettings(own, application) }, null, 2));
    out(status.complete ? 'Hosted Login: complete' : `Hosted Login: incomplete; missing ${status.missing.join(', ')}`);
  } finally {
    await store.close();
  }
}

function integerFlag(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d{1,9}$/.test(value)) throw new UsageError(`--${flag} must be a whole number`);
  return Number(value);
}

/** Runs a command on the database; a CommandError (bad file, body, name) is a usage error: exit 2. */
async function onStorage(parsed: ParsedCommandLine, run: (storage: PreparedStorage) => Promise<void>): Promise<number> {
  const storage = await prepareStorage(parsed.config, process.env);
  try {
    await run(storage);
    return 0;
  } catch (err) {
    if (err instanceof CommandError) throw new UsageError(err.message);
    throw err;
  } finally {
    await storage.store.close();
  }
}

/** `idcloud import` / `idcloud export`: exit 0 when the job ran (failed records are listed in the failures file). */
async function transfer(parsed: ParsedCommandLine): Promise<number> {
  const t = parsed.transfer;
  if (!t) throw new UsageError(`${parsed.command} needs --type`);
  const io = { stderr: (text: string) => process.stderr.write(text), tty: stderrIsTty() };
  return onStorage(parsed, async ({ store }) => {
    if (parsed.command === 'import') {
      const summary = await importUsers(store, { file: t.file ?? '', type: t.flags.type ?? '', application: t.flags.application, batch: integerFlag(t.flags.batch, 'batch', 500), failuresFile: t.flags.failures, restart: t.restart }, io);
      const rate = summary.seconds > 0 ? Math.round((summary.created + summary.alreadyImported) / summary.seconds) : 0;
      out(`created ${summary.created}, already imported ${summary.alreadyImported}, failed ${summary.failed} in ${summary.seconds.toFixed(1)} s (${rate} records/s)`);
      if (summary.failuresFile) out(`failed records are listed in ${summary.failuresFile}`);
      return;
    }
    const output = t.flags.output === undefined ? process.stdout : createWriteStream(t.flags.output);
    await exportUsers(store, { type: t.flags.type ?? '', application: t.flags.application, filter: t.flags.filter, page: integerFlag(t.flags.page, 'page', 1000), passwordHashes: t.passwordHashes }, output, io);
    if (output !== process.stdout) {
      output.end();
      await once(output, 'finish');
    }
  });
}

function hostedLogin(parsed: ParsedCommandLine): Promise<number> {
  return onStorage(parsed, ({ store, secretBox }) => hostedLoginCommand(store, secretBox, parsed.hostedLogin ?? { action: '' }, (value) => out(JSON.stringify(value))));
}

export async function main(argv: string[]): Promise<number> {
  let parsed: ParsedCommandLine;
  try {
    parsed = parseCommandLine(argv, process.env);
  } catch (err) {
    if (err instanceof UsageError || err instanceof ConfigError) {
      process.stderr.write(`idcloud: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  try {
    switch (parsed.command) {
      case 'help':
        out(helpText());
        return 0;
      case 'version':
        out(VERSION);
        return 0;
      case 'serve':
        await serve(parsed);
        return 0;
      case 'init':
        await init(parsed);
        return 0;
      case 'migrate':
        await migrate(parsed);
        return 0;
      case 'audit':
        await audit(parsed);
        return 0;
      case 'settings':
        await settings(parsed, parsed.settingsClient ?? '');
        return 0;
      case 'import':
      case 'export':
        return await transfer(parsed);
      case 'hosted-login':
        return await hostedLogin(parsed);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`idcloud: ${err.message}\n`);
      return 2;
    }
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      const why = code === 'EADDRINUSE' ? 'is already in use' : code === 'EACCES' ? 'may not be bound by this user' : 'is not an address of this machine';
      process.stderr.write(`idcloud: cannot listen on ${parsed.config.host}:${parsed.config.port}: it ${why}; choose another --host or --port\n`);
      return 1;
    }
    const known = [StoreError, MasterKeyError, MigrationError, BootstrapError, ConfigError].some((t) => err instanceof t);
    const message = known ? (err as Error).message : `unexpected error: ${(err as Error).message ?? String(err)}`;
    process.stderr.write(`idcloud: ${message}\n`);
    if (!known && process.env.IDCLOUD_DEBUG) process.stderr.write(`${(err as Error).stack ?? ''}\n`);
    return 1;
  }
}
