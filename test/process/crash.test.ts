// Crash consistency: `init` SIGKILLed at any moment leaves a store that is either untouched by the
// bootstrap or completely bootstrapped (never half), and the next start succeeds and ends bootstrapped,
// in agreement with bootstrap-credentials.json.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, type TestContext } from 'vitest';
import { MIGRATION_NAMES } from '../../src/store/migrations/index.js';
import { ENGINES } from '../helpers/engines.js';
import {
  bootstrapRowCount,
  CliProcess,
  createStoreUnderTest,
  expectBootstrapped,
  hasHotJournal,
  killHookArgs,
  killLiveChildren,
  killPointEnv,
  PROCESS_TEST_TIMEOUT,
  readBootstrapView,
  readCredentials,
  REPO_ROOT,
  runCli,
  sleep,
  sqliteIntegrity,
  withStore,
  type KillPoint,
  type StoreUnderTest,
} from './helpers.js';
import { SQLITE_PACKAGE } from '../../src/store/sqlite-driver.js';

type Stage =
  | 'nothing on disk or in the database'
  | 'key file only'
  | 'uncommitted write with a hot rollback journal'
  | 'migration bookkeeping tables only'
  | 'schema partly created'
  | 'migrated, not bootstrapped'
  | 'bootstrapped'
  | 'init finished before the kill';

async function appliedMigrations(s: StoreUnderTest): Promise<string[]> {
  return withStore(s, async (query, tables) =>
    tables.includes('idcloud_migration') ? (await query('select "name" from "idcloud_migration"')).map((r) => String(r.name)).sort() : [],
  );
}

/**
 * Checks the store right after a kill and says how far init had got. Throws (an assertion error) when
 * the store is inconsistent: a damaged SQLite file, or a bootstrap that is there only in part.
 */
async function stageAfterKill(s: StoreUnderTest): Promise<Stage> {
  if (s.engine === 'sqlite') expect(sqliteIntegrity(s.sqliteFile), 'PRAGMA integrity_check').toBe('ok');
  const hotJournal = s.engine === 'sqlite' && hasHotJournal(s.sqliteFile);
  const view = await readBootstrapView(s);
  const anything = bootstrapRowCount(view) > 0 || view.marker || view.masterKeyCheck;
  if (anything) {
    // All of it, committed together, with the credentials file and the key that sealed the secrets.
    expect(existsSync(s.keyFile), 'a bootstrapped store needs its master key file').toBe(true);
    await expectBootstrapped(s);
    return 'bootstrapped';
  }
  if (hotJournal) return 'uncommitted write with a hot rollback journal';
  if (view.tables.length === 0) return existsSync(s.keyFile) ? 'key file only' : 'nothing on disk or in the database';
  const applied = await appliedMigrations(s);
  if (MIGRATION_NAMES.every((m) => applied.includes(m))) return 'migrated, not bootstrapped';
  // Kysely creates its own two tables before (and outside) the migrations proper.
  const bookkeeping = ['idcloud_migration', 'idcloud_migration_lock'];
  return view.tables.every((t) => bookkeeping.includes(t)) ? 'migration bookkeeping tables only' : 'schema partly created';
}

/** The next, uninterrupted start: it must succeed and leave the store bootstrapped, matching the credentials file. */
async function recover(s: StoreUnderTest, stage: Stage): Promise<void> {
  const credentialsBefore = existsSync(s.credentialsFile) ? readFileSync(s.credentialsFile) : null;
  const result = await runCli(['init', ...s.args]);
  expect(result.code, `init after a kill at stage "${stage}" failed: ${result.stderr.trim()}`).toBe(0);
  await expectBootstrapped(s);
  if (stage === 'bootstrapped' || stage === 'init finished before the kill') {
    expect(result.stdout).toContain('nothing changed');
    expect(readFileSync(s.credentialsFile).equals(credentialsBefore!)).toBe(true);
  } else {
    expect(result.stdout).toContain('initialized');
  }
}

function leftoverTempFiles(s: StoreUnderTest): string[] {
  return existsSync(s.dataDir) ? readdirSync(s.dataDir).filter((f) => f.endsWith('.tmp')) : [];
}

describe.each(ENGINES)('init killed with SIGKILL on %s', { timeout: PROCESS_TEST_TIMEOUT }, (engine) => {
  const stores: StoreUnderTest[] = [];
  afterEach(async () => {
    await killLiveChildren();
    for (const s of stores.splice(0)) await s.dispose();
  });

  async function fresh(): Promise<StoreUnderTest> {
    const s = await createStoreUnderTest(engine);
    stores.push(s);
    return s;
  }

  /** Polls (1 ms apart) until a file exists or the child has ended; bounded by the child's own safety limit. */
  async function fileAppears(path: string, proc: CliProcess): Promise<boolean> {
    while (!proc.exited) {
      if (existsSync(path)) return true;
      await sleep(1);
    }
    return existsSync(path);
  }

  it('at random moments: the store is all-or-nothing and the next start works (15 iterations)', async (context: TestContext) => {
    // Calibration: how long a clean init takes, when its key file appears, and when its credentials file
    // appears (written just before the commit): between the two it migrates and bootstraps.
    const calibration = await fresh();
    const started = performance.now();
    const clean = new CliProcess(['init', ...calibration.args]);
    expect(await fileAppears(calibration.keyFile, clean)).toBe(true);
    const keyAt = performance.now() - started;
    expect(await fileAppears(calibration.credentialsFile, clean)).toBe(true);
    const credentialsAt = performance.now() - started;
    expect((await clean.done).code).toBe(0);
    const total = performance.now() - started;
    const storageWindow = Math.max(credentialsAt - keyAt, 10);
    await expectBootstrapped(calibration);

    const ITERATIONS = 15;
    const outcomes: { i: number; delay: string; stage: Stage | 'unclassified (error)'; problem: string | null; tempFiles: number }[] = [];
    for (let i = 0; i < ITERATIONS; i++) {
      const s = await fresh();
      // Every third iteration: any moment of the whole run. The others: a moment after the key file
      // appeared, where the database work happens (most of a run is node loading modules).
      const fromStart = i % 3 === 0;
      const delay = Math.random() * (fromStart ? total : storageWindow * 1.5 + 10);
      const proc = new CliProcess(['init', ...s.args]);
      let stage: Stage | 'unclassified (error)' = 'unclassified (error)';
      let problem: string | null = null;
      try {
        if (!fromStart) await fileAppears(s.keyFile, proc);
        await sleep(delay);
        const killed = !proc.exited;
        proc.kill('SIGKILL');
        const result = await proc.done;
        if (!killed || result.signal !== 'SIGKILL') {
          expect(result.code, result.stderr).toBe(0);
          stage = 'init finished before the kill';
          await expectBootstrapped(s);
        } else {
          stage = await stageAfterKill(s);
        }
        await recover(s, stage);
      } catch (err) {
        problem = (err as Error).message.split('\n').slice(0, 3).join(' | ');
      }
      outcomes.push({ i, delay: `${fromStart ? 'start' : 'key file'} + ${delay.toFixed(0)} ms`, stage, problem, tempFiles: leftoverTempFiles(s).length });
      await s.dispose();
      stores.splice(stores.indexOf(s), 1);
    }

    const counts = new Map<string, number>();
    for (const o of outcomes) counts.set(o.stage, (counts.get(o.stage) ?? 0) + 1);
    const summary =
      `${engine}: clean init ${total.toFixed(0)} ms (key file at ${keyAt.toFixed(0)} ms, credentials file at ${credentialsAt.toFixed(0)} ms); ` +
      'stages after SIGKILL: ' +
      [...counts].map(([stage, n]) => `${stage} ×${n}`).join(', ') +
      `; leftover credential .tmp files: ${outcomes.reduce((n, o) => n + o.tempFiles, 0)}`;
    process.stdout.write(`[crash-consistency] ${summary}\n`);
    await context.annotate(summary);

    const problems = outcomes.filter((o) => o.problem !== null).map((o) => `#${o.i} (${o.delay}, ${o.stage}): ${o.problem}`);
    for (const p of problems) process.stdout.write(`[crash-consistency] ${engine} problem ${p}\n`);
    expect(problems, summary).toEqual([]);
    // The kills must have landed at different stages, or the test proves little.
    expect(counts.size, summary).toBeGreaterThanOrEqual(2);
  }, 300_000);

  // Deterministic crash points: a preloaded module SIGKILLs init just before it sends a given statement.
  const POINTS: { name: string; point: KillPoint; expected: Stage[]; credentialsWritten?: boolean }[] = [
    {
      name: 'after the key file is written, before the first migration statement',
      point: { at: '^create table if not exists "idcloud_migration"' },
      expected: ['key file only'],
    },
    {
      name: 'in the middle of the first migration (after its first table)',
      point: { at: '^create table "customers"' },
      // PostgreSQL runs migrations in a transaction; if SQLite is left half-migrated, the next start must cope.
      expected: ['migration bookkeeping tables only', 'schema partly created'],
    },
    {
      name: 'inside the bootstrap transaction (second API client)',
      point: { at: '^insert into "api_clients"', nth: 2 },
      expected: ['migrated, not bootstrapped'],
    },
    {
      name: 'just before the bootstrap commit (credentials file already written)',
      point: { at: '^commit', after: '^insert into "idcloud_meta" .*do nothing' }, // after the bootstrap marker claim
      expected: ['migrated, not bootstrapped'],
      credentialsWritten: true,
    },
  ];

  it.each(POINTS)('killed $name: consistent, and the next start succeeds', async ({ point, expected, credentialsWritten }) => {
    const s = await fresh();
    const killed = await runCli(['init', ...s.args], { nodeArgs: killHookArgs(s.root), env: killPointEnv(point) });
    expect(killed.signal, `the kill point was not reached; exit code ${killed.code}, stderr: ${killed.stderr}`).toBe('SIGKILL');
    expect(existsSync(s.keyFile)).toBe(true);
    const stage = await stageAfterKill(s);
    expect(expected).toContain(stage);
    const stale = existsSync(s.credentialsFile) ? readCredentials(s) : null;
    if (credentialsWritten) expect(stale, 'the credentials file is written before the commit').not.toBeNull();

    await recover(s, stage);

    if (stale !== null) {
      // A credentials file written for a bootstrap that never committed is replaced, not trusted.
      expect(readCredentials(s).clients.owner.client_id).not.toBe(stale.clients.owner.client_id);
    }
    // And the store is fully migrated.
    const served = await runCli(['migrate', ...s.args]);
    expect(served.code, served.stderr).toBe(0);
    expect(served.stdout).toContain('up to date');
  });
});

describe('init on sqlite after a writer died mid-transaction', { timeout: PROCESS_TEST_TIMEOUT }, () => {
  const stores: StoreUnderTest[] = [];
  afterEach(async () => {
    await killLiveChildren();
    for (const s of stores.splice(0)) await s.dispose();
  });

  // A SIGKILL during init's first `PRAGMA journal_mode = WAL` on the new, empty file (the random kills above
  // land there now and then) leaves a hot rollback journal. Here a plain better-sqlite3 writer makes that
  // state on purpose: it creates the file as idcloud does, starts a transaction, lets pages spill into the
  // file, and SIGKILLs itself. SQLite's recovery is to roll the journal back on the next read-write open.
  it('a hot rollback journal does not stop the next start', async () => {
    const s = await createStoreUnderTest('sqlite');
    stores.push(s);
    mkdirSync(s.dataDir, { mode: 0o700 });
    const writer = [
      "const fs = require('node:fs');",
      `const SQLite = require('${SQLITE_PACKAGE}');`,
      "fs.closeSync(fs.openSync(process.argv[1], 'a', 0o600));",
      'const db = new SQLite(process.argv[1]);',
      "db.pragma('cache_size = 2');",
      "db.exec('begin; create table crash_probe (a text)');",
      "const insert = db.prepare('insert into crash_probe values (?)');",
      "for (let i = 0; i < 200; i++) insert.run('x'.repeat(1000));",
      "process.kill(process.pid, 'SIGKILL');",
    ].join('\n');
    const killed = spawnSync(process.execPath, ['-e', writer, s.sqliteFile], { cwd: REPO_ROOT, timeout: 60_000, encoding: 'utf8' });
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    expect(hasHotJournal(s.sqliteFile)).toBe(true);
    // Its last committed state is an empty, intact database.
    expect(sqliteIntegrity(s.sqliteFile)).toBe('ok');
    expect(await withStore(s, async (_q, tables) => tables)).toEqual([]);

    const result = await runCli(['init', ...s.args]);
    expect(result.code, result.stderr).toBe(0);
    await expectBootstrapped(s);
    expect(await withStore(s, async (_q, tables) => tables)).not.toContain('crash_probe');
  });
});
