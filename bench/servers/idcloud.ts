// idcloud server child: the whole stack through the project's own startServer (storage, migrations,
// first-start bootstrap with a seeded owner client, Fastify with every hook), on SQLite in the temp
// data directory the parent made, on 127.0.0.1 with a free port. Reports the bootstrap credentials
// so scenarios can authenticate.
import { defaultConfig, LOG_LEVELS, type LogLevel } from '../../src/config.js';
import { startServer } from '../../src/runtime.js';
import { freshPostgresDatabase } from '../postgres.js';
import { CHILD_OPTIONS_ENV, isIdcloudChildOptions } from '../protocol.js';
import { portOf, serveChild } from './child.js';

function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

serveChild(async () => {
  const raw = process.env[CHILD_OPTIONS_ENV];
  const options: unknown = raw === undefined ? undefined : JSON.parse(raw);
  if (!isIdcloudChildOptions(options)) throw new Error(`${CHILD_OPTIONS_ENV} is missing or malformed`);
  if (!isLogLevel(options.logLevel)) throw new Error(`log level "${options.logLevel}" is not one of ${LOG_LEVELS.join(', ')}`);

  const database = options.databaseUrl === null ? null : await freshPostgresDatabase(options.databaseUrl);
  const config = defaultConfig({ host: '127.0.0.1', port: 0, dataDir: options.dataDir, logLevel: options.logLevel, shutdownTimeout: 2, databaseUrl: database?.url ?? null });
  // env: {} so that an IDCLOUD_MASTER_KEY in the caller's environment cannot leak in: a fresh key file is made.
  const server = await startServer(config, { env: {}, seededOwner: options.owner });
  if (!server.bootstrap.created) {
    await server.close();
    throw new Error(`the data directory ${options.dataDir} was not empty: no fresh bootstrap, so no known credentials`);
  }
  const { credentials } = server.bootstrap;
  return {
    ready: {
      type: 'ready',
      kind: 'idcloud',
      port: portOf(server.app.server.address()),
      idcloud: {
        logLevel: options.logLevel,
        owner: { clientId: credentials.clients.owner.client_id, clientSecret: credentials.clients.owner.client_secret },
        login: { clientId: credentials.clients.login.client_id, clientSecret: credentials.clients.login.client_secret },
        applicationId: credentials.application_id,
        customerId: credentials.customer_id,
        configuration: { clientId: credentials.configuration_client.client_id, clientSecret: credentials.configuration_client.client_secret },
      },
    },
    close: async () => {
      await server.close();
      await database?.drop();
    },
  };
});
