// The benchmark harness: starts one child process per server kind the selected scenarios need, checks
// each scenario's request once, then for every round runs each scenario in turn (never two at once):
// a warm-up, then a measured autocannon run against 127.0.0.1. Figures are computed here; printing is
// in report.ts, the command line in run.ts.
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { CHILD_OPTIONS_ENV, isChildMessage, SERVER_KINDS, type ChildMessage, type IdcloudChildOptions, type ServerKind } from './protocol.js';
import {
  BASELINE_SCENARIO,
  scenarios as registeredScenarios,
  type BaselineServer,
  type IdcloudServer,
  type OidcProviderServer,
  type Scenario,
  type ScenarioRequest,
} from './scenarios.js';

// ---------------------------------------------------------------------------------------------
// Settings

export interface BenchSettings {
  /** Seconds of measured load per scenario per round. */
  durationSec: number;
  /** Seconds of unmeasured load just before each measurement (0: none). */
  warmupSec: number;
  /** Rounds; every round measures every selected scenario once, in alternating order. */
  rounds: number;
  connections: number;
  pipelining: number;
  /** Log level of the idcloud child. */
  idcloudLogLevel: string;
  /** Scenario names to run (their reference scenarios are added), or null for all. */
  only: string[] | null;
  /**
   * BENCH_DATABASE_URL: a PostgreSQL server (URL of a database idcloud may CREATE DATABASE from) to run
   * the idcloud child on instead of SQLite; the child makes a fresh database there and drops it after.
   */
  databaseUrl: string | null;
}

export const DEFAULT_SETTINGS: Readonly<BenchSettings> = {
  durationSec: 5,
  warmupSec: 2,
  rounds: 2,
  connections: 10,
  pipelining: 1,
  idcloudLogLevel: 'warn',
  only: null,
  databaseUrl: null,
};

export class SettingsError extends Error {
  override name = 'SettingsError';
}

const IDCLOUD_LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function numberFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number, integer: boolean): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw.trim());
  if (!Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < min || value > max) {
    throw new SettingsError(`${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

/** Reads BENCH_DURATION, BENCH_WARMUP, BENCH_ROUNDS, BENCH_CONNECTIONS, BENCH_PIPELINING, BENCH_LOG_LEVEL, BENCH_SCENARIOS, BENCH_DATABASE_URL. */
export function settingsFromEnv(env: NodeJS.ProcessEnv): BenchSettings {
  const durationSec = numberFromEnv(env, 'BENCH_DURATION', DEFAULT_SETTINGS.durationSec, 0.5, 300, false);
  const warmupSec = numberFromEnv(env, 'BENCH_WARMUP', DEFAULT_SETTINGS.warmupSec, 0, 60, false);
  const rounds = numberFromEnv(env, 'BENCH_ROUNDS', DEFAULT_SETTINGS.rounds, 1, 10, true);
  const connections = numberFromEnv(env, 'BENCH_CONNECTIONS', DEFAULT_SETTINGS.connections, 1, 256, true);
  const pipelining = numberFromEnv(env, 'BENCH_PIPELINING', DEFAULT_SETTINGS.pipelining, 1, 16, true);
  const idcloudLogLevel = env.BENCH_LOG_LEVEL?.trim() || DEFAULT_SETTINGS.idcloudLogLevel;
  if (!IDCLOUD_LOG_LEVELS.includes(idcloudLogLevel)) {
    throw new SettingsError(`BENCH_LOG_LEVEL must be one of ${IDCLOUD_LOG_LEVELS.join(', ')}, got "${idcloudLogLevel}"`);
  }
  const names = (env.BENCH_SCENARIOS ?? '').split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  const databaseUrl = env.BENCH_DATABASE_URL?.trim() || null;
  if (databaseUrl !== null && !/^postgres(ql)?:\/\//.test(databaseUrl)) throw new SettingsError('BENCH_DATABASE_URL must be a postgres:// URL');
  return { durationSec, warmupSec, rounds, connections, pipelining, idcloudLogLevel, only: names.length > 0 ? names : null, databaseUrl };
}

// ---------------------------------------------------------------------------------------------
// Scenario selection

export class ScenarioError extends Error {
  override name = 'ScenarioError';
}

function referenceOf(scenario: Scenario): string | null {
  const ref = scenario.compareTo ?? BASELINE_SCENARIO;
  return ref === scenario.name ? null : ref;
}

/** Checks the registry (unique names, known references) and picks the scenarios to run, in registry order. */
export function selectScenarios(all: readonly Scenario[], only: readonly string[] | null): Scenario[] {
  const byName = new Map<string, Scenario>();
  for (const s of all) {
    if (byName.has(s.name)) throw new ScenarioError(`two scenarios are named "${s.name}"`);
    if (!/^[A-Za-z0-9._-]+$/.test(s.name)) throw new ScenarioError(`scenario name "${s.name}" must be letters, digits, ".", "_" or "-"`);
    byName.set(s.name, s);
  }
  for (const s of all) {
    const ref = referenceOf(s);
    if (ref !== null && !byName.has(ref)) throw new ScenarioError(`scenario "${s.name}" is compared with "${ref}", which is not a scenario`);
  }
  if (only === null) return [...all];
  const wanted = new Set<string>();
  for (const name of only) {
    const s = byName.get(name);
    if (s === undefined) throw new ScenarioError(`no scenario "${name}"; there are: ${[...byName.keys()].join(', ')}`);
    wanted.add(name);
    const ref = referenceOf(s);
    if (ref !== null) wanted.add(ref);
  }
  return all.filter((s) => wanted.has(s.name));
}

// ---------------------------------------------------------------------------------------------
// Environment

export interface EnvironmentInfo {
  node: string;
  platform: string;
  arch: string;
  cpuCount: number;
  cpuModel: string;
  autocannon: string;
  /** The machine's 1-minute load average just before the run: well above 0 means something else was busy. */
  loadAverage1m: number;
}

function packageVersion(name: string): string {
  try {
    const pkg: unknown = createRequire(import.meta.url)(`${name}/package.json`);
    if (typeof pkg === 'object' && pkg !== null && 'version' in pkg && typeof pkg.version === 'string') return pkg.version;
  } catch {
    // fall through
  }
  return 'unknown';
}

export function environmentInfo(): EnvironmentInfo {
  const cpuList = cpus();
  return {
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    cpuCount: availableParallelism(),
    cpuModel: cpuList[0]?.model.trim().replace(/\s+/g, ' ') ?? 'unknown',
    autocannon: packageVersion('autocannon'),
    loadAverage1m: loadavg()[0] ?? Number.NaN,
  };
}

// ---------------------------------------------------------------------------------------------
// Server children

export class ChildStartError extends Error {
  override name = 'ChildStartError';
}

export class ChildDiedError extends Error {
  override name = 'ChildDiedError';
}

const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;
const KILL_TIMEOUT_MS = 2_000;
const SETUP_FETCH_TIMEOUT_MS = 10_000;
const LOG_TAIL_BYTES = 4_000;

type AnyServer = BaselineServer | IdcloudServer | OidcProviderServer;

interface ServerChild {
  kind: ServerKind;
  proc: ChildProcess;
  server: AnyServer;
  port: number;
  logFile: string;
  exit: string | null;
  stop(): Promise<void>;
}

/** Every child not yet known to have exited, and every temp directory not yet removed: for killChildrenNow(). */
const liveChildren = new Set<ChildProcess>();
const liveRunDirs = new Set<string>();

/**
 * For a signal handler: SIGKILLs every server child still running and removes the temp directories,
 * synchronously. (Children also exit by themselves when the parent dies: their IPC channel closes.)
 */
export function killChildrenNow(): void {
  for (const proc of liveChildren) proc.kill('SIGKILL');
  liveChildren.clear();
  for (const dir of liveRunDirs) rmSync(dir, { recursive: true, force: true });
  liveRunDirs.clear();
}

/**
 * The compiled child entry (dist/bench/servers/<kind>.js). From dist/bench/harness.js it sits beside
 * this file; when the harness runs from source (the vitest test), the built copy under dist/ is used.
 */
export function childEntry(kind: ServerKind): string {
  const beside = fileURLToPath(new URL(`./servers/${kind}.js`, import.meta.url));
  if (existsSync(beside)) return beside;
  const built = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', 'dist', 'bench', 'servers', `${kind}.js`);
  if (existsSync(built)) return built;
  throw new ChildStartError(`cannot find the ${kind} server child (${beside} or ${built}); run \`npm run build\` first`);
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal !== null ? `killed by ${signal}` : `exit code ${String(code)}`;
}

/** `length` bytes of a file from `position` (fewer at its end). */
function readSlice(file: string, position: number, length: number): string {
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const read = readSync(fd, buffer, 0, length, position);
    return buffer.subarray(0, read).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** The last lines a child wrote (stdout and stderr go to one file in the run directory). */
function logTail(file: string): string {
  try {
    const size = statSync(file).size;
    if (size === 0) return '(it wrote nothing)';
    const length = Math.min(size, LOG_TAIL_BYTES);
    return `its last output:\n${readSlice(file, size - length, length).trimEnd()}`;
  } catch {
    return '(its output could not be read)';
  }
}

function waitForExit(proc: ChildProcess, ms: number): Promise<boolean> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolveWait) => {
    const timer = setTimeout(() => {
      proc.off('exit', onExit);
      resolveWait(false);
    }, ms);
    const onExit = (): void => {
      clearTimeout(timer);
      resolveWait(true);
    };
    proc.once('exit', onExit);
  });
}

async function startChild(kind: ServerKind, runDir: string, settings: BenchSettings, progress: (line: string) => void): Promise<ServerChild> {
  const entry = childEntry(kind);
  const logFile = join(runDir, `${kind}.log`);
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env[CHILD_OPTIONS_ENV];
  if (kind === 'idcloud') {
    const dataDir = join(runDir, 'idcloud-data');
    mkdirSync(dataDir, { mode: 0o700 });
    const options: IdcloudChildOptions = {
      dataDir,
      logLevel: settings.idcloudLogLevel,
      databaseUrl: settings.databaseUrl,
      owner: { clientId: 'bench-owner', clientSecret: randomBytes(24).toString('base64url') },
    };
    env[CHILD_OPTIONS_ENV] = JSON.stringify(options);
  }

  // Both kinds: the same node binary, no extra flags, the same environment, output to a file (no
  // pipe for the parent to drain while it generates load).
  const fd = openSync(logFile, 'a', 0o600);
  let proc: ChildProcess;
  try {
    proc = fork(entry, [], { execArgv: [], env, stdio: ['ignore', fd, fd, 'ipc'] });
  } finally {
    closeSync(fd);
  }
  liveChildren.add(proc);

  const ready = await new Promise<Extract<ChildMessage, { type: 'ready' }>>((resolveReady, rejectReady) => {
    const cleanup = (): void => {
      clearTimeout(timer);
      proc.off('message', onMessage);
      proc.off('exit', onExit);
      proc.off('error', onError);
    };
    const fail = (why: string): void => {
      cleanup();
      proc.kill('SIGKILL');
      // Give the exit a moment so the log file holds everything the child wrote.
      void waitForExit(proc, KILL_TIMEOUT_MS).then(() => {
        liveChildren.delete(proc);
        rejectReady(new ChildStartError(`the ${kind} server child ${why}; ${logTail(logFile)}`));
      });
    };
    const onMessage = (message: unknown): void => {
      if (!isChildMessage(message)) return fail(`sent a malformed message: ${JSON.stringify(message)}`);
      if (message.type === 'failed') return fail(`failed to start: ${message.message}`);
      if (message.kind !== kind) return fail(`reported itself as a ${message.kind} server`);
      cleanup();
      resolveReady(message);
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => fail(`exited before it was ready (${describeExit(code, signal)})`);
    const onError = (err: Error): void => fail(`could not be started: ${err.message}`);
    const timer = setTimeout(() => fail(`did not report ready within ${START_TIMEOUT_MS / 1000} s`), START_TIMEOUT_MS);
    proc.on('message', onMessage);
    proc.once('exit', onExit);
    proc.once('error', onError);
  });

  const url = `http://127.0.0.1:${ready.port}`;
  const base = {
    url,
    fetch: (path: string, init?: RequestInit): Promise<Response> =>
      fetch(`${url}${path}`, { signal: AbortSignal.timeout(SETUP_FETCH_TIMEOUT_MS), ...init }),
  };
  const server: AnyServer = ready.kind === 'idcloud' ? { kind: 'idcloud', ...base, idcloud: ready.idcloud } : { kind: ready.kind, ...base };

  const child: ServerChild = {
    kind,
    proc,
    server,
    port: ready.port,
    logFile,
    exit: null,
    stop: async () => {
      if (await waitForExit(proc, 0)) return;
      proc.kill('SIGTERM');
      if (!(await waitForExit(proc, STOP_TIMEOUT_MS))) {
        progress(`the ${kind} server child did not stop within ${STOP_TIMEOUT_MS / 1000} s of SIGTERM; killing it`);
        proc.kill('SIGKILL');
        await waitForExit(proc, KILL_TIMEOUT_MS);
      }
    },
  };
  proc.once('exit', (code, signal) => {
    child.exit = describeExit(code, signal);
    liveChildren.delete(proc);
  });
  progress(`${kind} server child: pid ${String(proc.pid)}, listening on ${url}`);
  return child;
}

// ---------------------------------------------------------------------------------------------
// Load

const MAX_SAMPLES = 1 << 24;

/** Response times in milliseconds, as autocannon measured them (float, unlike its integer-ms histogram). */
class SampleBuffer {
  private data = new Float64Array(1 << 16);
  length = 0;

  push(value: number): void {
    if (this.length === this.data.length) {
      if (this.length >= MAX_SAMPLES) return;
      const bigger = new Float64Array(Math.min(this.data.length * 2, MAX_SAMPLES));
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = value;
  }

  values(): Float64Array {
    return this.data.subarray(0, this.length);
  }
}

interface LoadRun {
  durationSec: number;
  /** Responses with the expected status. */
  expected: number;
  /** Other responses, by status code. */
  unexpected: Map<number, number>;
  errors: number;
  timeouts: number;
  latencies: Float64Array;
}

interface PreparedScenario {
  scenario: Scenario;
  child: ServerChild;
  request: ScenarioRequest;
  expectStatus: number;
}

function runLoad(p: PreparedScenario, seconds: number, settings: BenchSettings, record: boolean): Promise<LoadRun> {
  return new Promise((resolveRun, rejectRun) => {
    const samples = new SampleBuffer();
    const unexpected = new Map<number, number>();
    let expected = 0;
    const instance = autocannon(
      {
        url: `${p.child.server.url}${p.request.path}`,
        method: p.request.method ?? 'GET',
        headers: p.request.headers ?? {},
        body: p.request.body,
        connections: settings.connections,
        pipelining: settings.pipelining,
        duration: seconds,
        timeout: 10,
      },
      (err: unknown, result: autocannon.Result) => {
        if (err) {
          rejectRun(err instanceof Error ? err : new Error('autocannon failed', { cause: err }));
          return;
        }
        resolveRun({
          durationSec: result.duration,
          expected,
          unexpected,
          errors: result.errors,
          timeouts: result.timeouts,
          latencies: record ? samples.values() : new Float64Array(0),
        });
      },
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode === p.expectStatus) {
        expected += 1;
        if (record) samples.push(responseTime);
      } else {
        unexpected.set(statusCode, (unexpected.get(statusCode) ?? 0) + 1);
      }
    });
  });
}

async function buildRequest(scenario: Scenario, server: AnyServer): Promise<ScenarioRequest> {
  if (scenario.server === 'idcloud') {
    if (server.kind !== 'idcloud') throw new ScenarioError(`scenario "${scenario.name}" got a ${server.kind} server`);
    return typeof scenario.request === 'function' ? scenario.request(server) : scenario.request;
  }
  if (scenario.server === 'oidc-provider') {
    if (server.kind !== 'oidc-provider') throw new ScenarioError(`scenario "${scenario.name}" got a ${server.kind} server`);
    return typeof scenario.request === 'function' ? scenario.request(server) : scenario.request;
  }
  if (server.kind !== 'baseline') throw new ScenarioError(`scenario "${scenario.name}" got a ${server.kind} server`);
  return typeof scenario.request === 'function' ? scenario.request(server) : scenario.request;
}

/** Builds the scenario's request and sends it once: a wrong status fails the run before any load. */
async function prepareScenario(scenario: Scenario, child: ServerChild): Promise<PreparedScenario> {
  let request: ScenarioRequest;
  try {
    request = await buildRequest(scenario, child.server);
  } catch (err) {
    if (err instanceof ScenarioError) throw err;
    throw new ScenarioError(`scenario "${scenario.name}": building its request failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!request.path.startsWith('/')) throw new ScenarioError(`scenario "${scenario.name}": path "${request.path}" must start with "/"`);
  const expectStatus = scenario.expectStatus ?? 200;
  const method = request.method ?? 'GET';
  let status: number;
  let text: string;
  try {
    const init: RequestInit = { method, headers: request.headers ?? {} };
    if (request.body !== undefined) init.body = request.body;
    const res = await child.server.fetch(request.path, init);
    status = res.status;
    text = await res.text();
  } catch (err) {
    throw new ScenarioError(`scenario "${scenario.name}": ${method} ${request.path} failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (status !== expectStatus) {
    throw new ScenarioError(`scenario "${scenario.name}": ${method} ${request.path} answered ${status}, expected ${expectStatus}: ${text.slice(0, 300)}`);
  }
  return { scenario, child, request, expectStatus };
}

// ---------------------------------------------------------------------------------------------
// Figures

export interface RoundFigures {
  round: number;
  durationSec: number;
  responses: number;
  reqPerSec: number;
}

export interface LatencyFigures {
  samples: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

export interface ScenarioResult {
  name: string;
  description: string;
  server: ServerKind;
  method: string;
  path: string;
  /** The scenario the ratios divide by; null for a reference scenario itself. */
  compareTo: string | null;
  rounds: RoundFigures[];
  /** Responses with the expected status per second, over all rounds. */
  reqPerSec: number;
  /** Milliseconds, over all measured responses of all rounds. */
  latency: LatencyFigures;
  /** This ÷ reference, same run: req/s (below 1 is slower) and latency (above 1 is slower). */
  ratio: { reqPerSec: number; p50: number; p99: number } | null;
  /** Unexpected statuses, errors, timeouts: any of these makes the run fail. */
  problems: string[];
}

export interface ChildSummary {
  kind: ServerKind;
  pid: number;
  port: number;
  /** What the child wrote to stdout/stderr during the run: bytes and its first line. */
  logBytes: number;
  logFirstLine: string | null;
}

export interface BenchReport {
  environment: EnvironmentInfo;
  settings: BenchSettings;
  results: ScenarioResult[];
  children: ChildSummary[];
  ok: boolean;
}

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1] ?? Number.NaN;
}

function latencyFigures(runs: readonly LoadRun[]): LatencyFigures {
  const total = runs.reduce((n, r) => n + r.latencies.length, 0);
  const all = new Float64Array(total);
  let offset = 0;
  let sum = 0;
  for (const r of runs) {
    all.set(r.latencies, offset);
    offset += r.latencies.length;
    for (const v of r.latencies) sum += v;
  }
  all.sort();
  return {
    samples: total,
    mean: total === 0 ? Number.NaN : sum / total,
    p50: percentile(all, 0.5),
    p90: percentile(all, 0.9),
    p99: percentile(all, 0.99),
    p999: percentile(all, 0.999),
    max: total === 0 ? Number.NaN : (all[total - 1] ?? Number.NaN),
  };
}

function problemsOf(round: number, run: LoadRun): string[] {
  const problems: string[] = [];
  const prefix = `round ${round}:`;
  if (run.unexpected.size > 0) {
    const codes = [...run.unexpected].map(([code, count]) => `${count}× ${code}`).join(', ');
    problems.push(`${prefix} unexpected statuses ${codes}`);
  }
  if (run.errors > 0) problems.push(`${prefix} ${run.errors} connection errors (${run.timeouts} timeouts)`);
  if (run.expected === 0) problems.push(`${prefix} no response with the expected status`);
  return problems;
}

function childLog(file: string): { bytes: number; firstLine: string | null } {
  try {
    const bytes = statSync(file).size;
    if (bytes === 0) return { bytes, firstLine: null };
    return { bytes, firstLine: readSlice(file, 0, Math.min(bytes, 500)).split('\n')[0] ?? null };
  } catch {
    return { bytes: 0, firstLine: null };
  }
}

// ---------------------------------------------------------------------------------------------
// The run

export interface RunOptions {
  settings: BenchSettings;
  /** Default: the registry in scenarios.ts. */
  scenarios?: readonly Scenario[];
  /** Progress lines (run.ts writes them to stderr). */
  progress?: (line: string) => void;
}

function fmtSeconds(s: number): string {
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
}

export async function runBenchmark(options: RunOptions): Promise<BenchReport> {
  const { settings } = options;
  const environment = environmentInfo();
  const progress = options.progress ?? ((): void => undefined);
  const selected = selectScenarios(options.scenarios ?? registeredScenarios, settings.only);
  const kinds = SERVER_KINDS.filter((kind) => selected.some((s) => s.server === kind));

  const runDir = mkdtempSync(join(tmpdir(), 'idcloud-bench-'));
  liveRunDirs.add(runDir);
  const children = new Map<ServerKind, ServerChild>();
  try {
    // One at a time: two cores, and startup is CPU-bound.
    for (const kind of kinds) children.set(kind, await startChild(kind, runDir, settings, progress));

    const prepared: PreparedScenario[] = [];
    for (const scenario of selected) {
      const child = children.get(scenario.server);
      if (child === undefined) throw new ScenarioError(`no ${scenario.server} server for scenario "${scenario.name}"`);
      prepared.push(await prepareScenario(scenario, child));
    }

    const runs = new Map<string, { round: number; run: LoadRun }[]>(selected.map((s) => [s.name, []]));
    for (let round = 1; round <= settings.rounds; round++) {
      // Alternate the order (A B, B A, …) so neither side always runs first.
      const order = round % 2 === 1 ? prepared : [...prepared].reverse();
      for (const p of order) {
        const label = `round ${round}/${settings.rounds}  ${p.scenario.name}`;
        if (settings.warmupSec > 0) {
          progress(`${label}: warm-up ${fmtSeconds(settings.warmupSec)}`);
          await runLoad(p, settings.warmupSec, settings, false);
          if (p.child.exit !== null) throw new ChildDiedError(`the ${p.child.kind} server child died during warm-up (${p.child.exit}); ${logTail(p.child.logFile)}`);
        }
        progress(`${label}: measuring ${fmtSeconds(settings.durationSec)}`);
        const run = await runLoad(p, settings.durationSec, settings, true);
        if (p.child.exit !== null) throw new ChildDiedError(`the ${p.child.kind} server child died during the measurement (${p.child.exit}); ${logTail(p.child.logFile)}`);
        runs.get(p.scenario.name)?.push({ round, run });
        const rate = run.durationSec > 0 ? run.expected / run.durationSec : 0;
        progress(`${label}: ${Math.round(rate)} req/s`);
      }
    }

    const results: ScenarioResult[] = prepared.map((p) => {
      const list = runs.get(p.scenario.name) ?? [];
      const responses = list.reduce((n, r) => n + r.run.expected, 0);
      const seconds = list.reduce((n, r) => n + r.run.durationSec, 0);
      return {
        name: p.scenario.name,
        description: p.scenario.description,
        server: p.scenario.server,
        method: p.request.method ?? 'GET',
        path: p.request.path,
        compareTo: referenceOf(p.scenario),
        rounds: list.map(({ round, run }) => ({
          round,
          durationSec: run.durationSec,
          responses: run.expected,
          reqPerSec: run.durationSec > 0 ? run.expected / run.durationSec : 0,
        })),
        reqPerSec: seconds > 0 ? responses / seconds : 0,
        latency: latencyFigures(list.map((r) => r.run)),
        ratio: null,
        problems: list.flatMap(({ round, run }) => problemsOf(round, run)),
      };
    });
    const byName = new Map(results.map((r) => [r.name, r]));
    for (const r of results) {
      const ref = r.compareTo === null ? undefined : byName.get(r.compareTo);
      if (ref === undefined) continue;
      r.ratio = {
        reqPerSec: r.reqPerSec / ref.reqPerSec,
        p50: r.latency.p50 / ref.latency.p50,
        p99: r.latency.p99 / ref.latency.p99,
      };
    }

    for (const child of children.values()) await child.stop();
    const childSummaries: ChildSummary[] = [...children.values()].map((c) => {
      const log = childLog(c.logFile);
      return { kind: c.kind, pid: c.proc.pid ?? 0, port: c.port, logBytes: log.bytes, logFirstLine: log.firstLine };
    });
    return {
      environment,
      settings,
      results,
      children: childSummaries,
      ok: results.every((r) => r.problems.length === 0),
    };
  } finally {
    // Also on error: every child stopped (SIGTERM, then SIGKILL), the temp directory removed.
    await Promise.allSettled([...children.values()].map((c) => c.stop()));
    rmSync(runDir, { recursive: true, force: true });
    liveRunDirs.delete(runDir);
  }
}
