// The one way integration tests get a server: a real idcloud listening on a random port, with a
// fresh database (SQLite file in a temp dir, or a new PostgreSQL database) and known credentials.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { defaultConfig, type ServerConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { startServer, type RunningServer } from '../../src/runtime.js';
import { randomString } from '../../src/security/random.js';
import type { Engine } from '../../src/store/database.js';
import { createPostgresDatabase } from './postgres.js';

export interface TestEnvironment {
  engine: Engine;
  dataDir: string;
  config: ServerConfig;
  dispose(): Promise<void>;
}

/** A data directory and an empty database for one engine, not yet opened. */
export async function createTestEnvironment(engine: Engine, overrides: Partial<ServerConfig> = {}): Promise<TestEnvironment> {
  const dataDir = mkdtempSync(join(tmpdir(), 'idcloud-test-'));
  const database = engine === 'postgres' ? await createPostgresDatabase() : null;
  const config = defaultConfig({ dataDir, port: 0, logLevel: 'info', databaseUrl: database?.url ?? null, shutdownTimeout: 5, ...overrides });
  return {
    engine,
    dataDir,
    config,
    dispose: async () => {
      await database?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface TestCredentials {
  clientId: string;
  clientSecret: string;
}

export interface TestServer {
  url: string;
  engine: Engine;
  server: RunningServer;
  env: TestEnvironment;
  owner: TestCredentials;
  login: TestCredentials;
  applicationId: string;
  customerId: string;
  /** Every JSON log line the server wrote, for redaction checks. */
  logLines: string[];
  fetch(path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

export async function startTestServer(engine: Engine, overrides: Partial<ServerConfig> = {}): Promise<TestServer> {
  const env = await createTestEnvironment(engine, overrides);
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(...chunk.toString('utf8').split('\n').filter((l) => l.length > 0));
      done();
    },
  });
  const owner = { clientId: `owner${randomString(27)}`, clientSecret: randomString(32) };
  let server: RunningServer;
  try {
    server = await startServer(env.config, {
      env: {},
      logger: createLogger(env.config.logLevel, sink),
      seededOwner: owner,
    });
  } catch (err) {
    await env.dispose();
    throw err;
  }
  if (!server.bootstrap.created) throw new Error('a fresh test database was not bootstrapped');
  const { credentials } = server.bootstrap;
  return {
    url: server.url,
    engine,
    server,
    env,
    owner,
    login: { clientId: credentials.clients.login.client_id, clientSecret: credentials.clients.login.client_secret },
    applicationId: credentials.application_id,
    customerId: credentials.customer_id,
    logLines,
    fetch: (path, init) => fetch(`${server.url}${path}`, init),
    close: async () => {
      await server.close();
      await env.dispose();
    },
  };
}
