// idcloud server child: the whole stack through the project's own startServer (storage, migrations,
// first-start bootstrap with a seeded owner client, Fastify with every hook), on SQLite in the temp
// data directory the parent made, on 127.0.0.1 with a free port. Reports the bootstrap credentials
// so scenarios can authenticate.
import pg from 'pg';
import { defaultConfig, LOG_LEVELS, type LogLevel } from '../../src/config.js';
import { randomString } from '../../src/security/random.js';
import { startServer } from '../../src/runtime.js';
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

/** A new, empty database on the PostgreSQL server of `adminUrl`, for one run. */
async function freshPostgresDatabase(adminUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `idcloud_bench_${randomString(10)}`;
  const admin = async (statement: string): Promise<void> => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  await admin(`create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`drop database if exists ${name} with (force)`) };
}
