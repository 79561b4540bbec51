// `npm run bench`: builds nothing itself (the npm script runs `npm run build` first), reads the BENCH_*
// settings, runs every scenario in bench/scenarios.ts against its server child, prints the table.
// Exit codes: 0 all measured, 1 a server child failed or a scenario got unexpected responses, 2 bad
// settings (BENCH_* variables, an unknown scenario name, a broken scenario registry).
import { writeFileSync } from 'node:fs';
import { killChildrenNow, runBenchmark, ScenarioError, selectScenarios, SettingsError, settingsFromEnv, type BenchSettings } from './harness.js';
import { formatDataFigures, runDataSuite, type DataFigure } from './data-suite.js';
import { formatReport } from './report.js';
import { formatScopeFigures, runScopesSuite } from './scopes-suite.js';
import { scenarios } from './scenarios.js';

function err(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** BENCH_USERS: users in the data suite's generated set (default 1,000,000; 0 skips the suite). */
function usersFromEnv(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === '') return 1_000_000;
  const n = Number(raw.trim());
  if (!Number.isInteger(n) || n < 0 || n > 100_000_000) throw new SettingsError(`BENCH_USERS must be a whole number from 0 to 100000000, got "${raw}"`);
  return n;
}

async function main(): Promise<number> {
  let settings: BenchSettings;
  let users: number;
  let wantsScopes = false;
  try {
    settings = settingsFromEnv(process.env);
    // `data` and `scopes` name the in-process suites (bench/data-suite.ts, bench/scopes-suite.ts), not HTTP scenarios.
    const wantsData = settings.only === null || settings.only.includes('data');
    wantsScopes = settings.only === null || settings.only.includes('scopes');
    const httpOnly = settings.only?.filter((n) => n !== 'data' && n !== 'scopes') ?? null;
    users = wantsData ? usersFromEnv(process.env.BENCH_USERS) : 0;
    settings = { ...settings, only: httpOnly };
    if (httpOnly === null || httpOnly.length > 0) selectScenarios(scenarios, settings.only);
  } catch (e) {
    if (e instanceof SettingsError || e instanceof ScenarioError) {
      err(`bench: ${e.message}`);
      return 2;
    }
    throw e;
  }

  // Ctrl-C or a kill: take the server children down with us (they would also exit when their IPC
  // channel closes, but not before the parent is gone).
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      err(`bench: ${signal}; stopping the server children`);
      killChildrenNow();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  }

  const runHttp = settings.only === null || settings.only.length > 0;
  const report = runHttp ? await runBenchmark({ settings, scenarios, progress: (line) => err(`bench: ${line}`) }) : null;
  if (report) process.stdout.write(formatReport(report));
  const scopes = wantsScopes ? runScopesSuite() : [];
  if (wantsScopes) process.stdout.write(formatScopeFigures(scopes));
  const data: DataFigure[] = [];
  if (users > 0) {
    const progress = (line: string): void => err(`bench: data: ${line}`);
    data.push(...(await runDataSuite({ users, databaseUrl: null, progress })));
    if (settings.databaseUrl !== null) data.push(...(await runDataSuite({ users, databaseUrl: settings.databaseUrl, progress })));
    process.stdout.write(formatDataFigures(users, data));
  }
  const jsonFile = process.env.BENCH_JSON?.trim();
  if (jsonFile) {
    writeFileSync(jsonFile, `${JSON.stringify({ ...report, scopes, data }, null, 2)}\n`);
    err(`bench: wrote ${jsonFile}`);
  }
  return report === null || report.ok ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    err(`bench: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    process.exitCode = 1;
  },
);
