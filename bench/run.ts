// `npm run bench`: builds nothing itself (the npm script runs `npm run build` first), reads the BENCH_*
// settings, runs every scenario in bench/scenarios.ts against its server child, prints the table.
// Exit codes: 0 all measured, 1 a server child failed or a scenario got unexpected responses, 2 bad
// settings (BENCH_* variables, an unknown scenario name, a broken scenario registry).
import { writeFileSync } from 'node:fs';
import { killChildrenNow, runBenchmark, ScenarioError, selectScenarios, SettingsError, settingsFromEnv, type BenchSettings } from './harness.js';
import { formatReport } from './report.js';
import { scenarios } from './scenarios.js';

function err(line: string): void {
  process.stderr.write(`${line}\n`);
}

async function main(): Promise<number> {
  let settings: BenchSettings;
  try {
    settings = settingsFromEnv(process.env);
    selectScenarios(scenarios, settings.only);
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

  const report = await runBenchmark({ settings, scenarios, progress: (line) => err(`bench: ${line}`) });
  process.stdout.write(formatReport(report));
  const jsonFile = process.env.BENCH_JSON?.trim();
  if (jsonFile) {
    writeFileSync(jsonFile, `${JSON.stringify(report, null, 2)}\n`);
    err(`bench: wrote ${jsonFile}`);
  }
  return report.ok ? 0 : 1;
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
