// Starting and stopping a whole idcloud server: storage, first-start bootstrap, HTTP.
import type { FastifyInstance } from 'fastify';
import type { DestinationStream, Logger } from 'pino';
import type { ServerConfig } from './config.js';
import type { AppContext } from './context.js';
import { createLogger } from './log.js';
import { ServerMetrics } from './metrics.js';
import { buildServer } from './server.js';
import { bootstrapIfEmpty, type BootstrapResult, type SeededOwnerCredentials } from './setup/bootstrap.js';
import { prepareStorage } from './setup/storage.js';
import type { SecretBox } from './security/secret-box.js';
import { ApiClientDirectory } from './services/api-client-directory.js';
import { AuthThrottle } from './services/auth-throttle.js';
import { ChangeWatcher } from './services/change-watcher.js';
import { ConfigAccess } from './services/config-access.js';
import { EntityTypeDirectory } from './services/entity-type-directory.js';
import { SettingsService } from './services/settings.js';
import { oidcClientSettingRule } from './services/oidc-clients.js';
import { UserTokenService } from './services/user-tokens.js';
import type { Store } from './store/database.js';

/** The services every route shares; started before the server listens, stopped after it closes. */
export async function createContext(config: ServerConfig, store: Store, secretBox: SecretBox, logger: Logger): Promise<AppContext> {
  const clients = new ApiClientDirectory(store, secretBox);
  const changes = new ChangeWatcher(store, logger);
  changes.on('api_clients', (key) => clients.invalidate(key));
  const settings = new SettingsService({ store });
  // Seed 002: janrainOidcClientId names the OIDC client that owns the API client, one to one.
  settings.addRule(oidcClientSettingRule());
  changes.on('settings', (key) => settings.invalidate(key));
  const entityTypes = new EntityTypeDirectory(store);
  changes.on('entity_types', () => entityTypes.invalidate());
  const configAccess = new ConfigAccess(store, secretBox);
  changes.on('oidc_clients', (key) => configAccess.forgetClients(key));
  changes.on('token_policies', (key) => configAccess.forgetPolicies(key));
  changes.on('config_tokens', (key) => configAccess.forgetTokens(key));
  const throttle = new AuthThrottle(
    store,
    { clientLimit: config.authFailureLimit, addressLimit: config.authFailureAddressLimit, windowSeconds: config.authFailureWindow },
    logger,
  );
  await changes.start();
  await throttle.start();
  return { config, store, secretBox, logger, metrics: new ServerMetrics(), clients, throttle, changes, settings, entityTypes, userTokens: new UserTokenService(store), configAccess };
}

function stopContext(context: AppContext): void {
  context.changes.stop();
  context.throttle.stop();
}

export interface RunningServer {
  app: FastifyInstance;
  context: AppContext;
  /** Base URL, e.g. http://127.0.0.1:8080 */
  url: string;
  bootstrap: BootstrapResult;
  /** Stops accepting, lets in-flight requests finish (up to shutdownTimeout), closes the database. */
  close(): Promise<void>;
}

export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  logDestination?: DestinationStream;
  seededOwner?: SeededOwnerCredentials;
}

export async function startServer(config: ServerConfig, options: StartOptions = {}): Promise<RunningServer> {
  const env = options.env ?? process.env;
  const logger = options.logger ?? createLogger(config.logLevel, options.logDestination);
  const { store, secretBox, masterKey, appliedMigrations } = await prepareStorage(config, env);
  if (masterKey.origin === 'created') logger.info({ dataDir: config.dataDir }, 'created a new master key file');
  if (masterKey.looseFileMode) logger.warn('the master key file is readable by other users; chmod 600 it');
  if (appliedMigrations.length > 0) logger.info({ migrations: appliedMigrations, database: store.location }, 'applied migrations');

  let app: FastifyInstance | undefined;
  let stopServices = (): void => undefined;
  try {
    const bootstrap = await bootstrapIfEmpty(store.db, secretBox, { dataDir: config.dataDir, seededOwner: options.seededOwner });
    if (bootstrap.created) {
      logger.info(
        { file: bootstrap.file, customerId: bootstrap.credentials.customer_id, applicationId: bootstrap.credentials.application_id },
        'first start: created the default application; its API client credentials are in the file named here',
      );
    }
    const context = await createContext(config, store, secretBox, logger);
    stopServices = () => stopContext(context);
    const server = await buildServer(context);
    app = server;
    const address = await server.listen({ host: config.host, port: config.port });
    logger.info({ address, database: store.location }, 'idcloud is listening');

    let closing: Promise<void> | undefined;
    const close = (): Promise<void> => {
      closing ??= (async () => {
        const timer = setTimeout(() => server.server.closeAllConnections(), config.shutdownTimeout * 1000);
        timer.unref();
        try {
          await server.close();
        } finally {
          clearTimeout(timer);
          stopServices();
          await store.close();
        }
      })();
      return closing;
    };
    const addr = server.server.address();
    const port = typeof addr === 'object' && addr !== null ? addr.port : config.port;
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    return { app: server, context, url: `http://${host}:${port}`, bootstrap, close };
  } catch (err) {
    if (app) await app.close();
    stopServices();
    await store.close();
    throw err;
  }
}
