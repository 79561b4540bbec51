// Turns a BenchReport into the text `npm run bench` prints: an environment header, one table row per
// scenario, and what the columns mean.
import type { BenchReport, ScenarioResult } from './harness.js';

function fmtRate(value: number): string {
  return Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : '-';
}

function fmtMs(value: number): string {
  if (!Number.isFinite(value)) return '-';
  if (value >= 100) return value.toFixed(0);
  if (value >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

function fmtRatio(value: number | undefined): string {
  return value !== undefined && Number.isFinite(value) ? `${value.toFixed(2)}x` : '-';
}

function fmtBytes(value: number): string {
  if (value >= 1e6) return `${(value / 1e6).toFixed(1)} MB`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(1)} kB`;
  return `${value} bytes`;
}

function fmtSeconds(value: number): string {
  return `${Number.isInteger(value) ? value : value.toFixed(1)} s`;
}

/** Relative spread of req/s over the rounds: (max - min) / mean. */
function spread(result: ScenarioResult): string {
  if (result.rounds.length < 2 || result.reqPerSec <= 0) return '-';
  const rates = result.rounds.map((r) => r.reqPerSec);
  return `${(((Math.max(...rates) - Math.min(...rates)) / result.reqPerSec) * 100).toFixed(1)}%`;
}

/** Left-aligned text columns, right-aligned number columns, a rule under the header. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[], rightAligned: readonly boolean[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => (rightAligned[i] ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
}

export function formatReport(report: BenchReport): string {
  const { environment: env, settings, results } = report;
  const roundsText =
    settings.rounds === 1 ? '1 round' : `${settings.rounds} rounds, order alternating (A B, B A, ...)`;
  const warmup = settings.warmupSec > 0 ? `${fmtSeconds(settings.warmupSec)} warm-up + ` : 'no warm-up, ';
  const lines: string[] = [
    '',
    'idcloud benchmark',
    `  machine:  node ${env.node}, ${env.platform} ${env.arch}, ${env.cpuCount} CPUs (${env.cpuModel}), load average ${env.loadAverage1m.toFixed(2)} at the start`,
    `  load:     autocannon ${env.autocannon} in the parent process -> 127.0.0.1; ${settings.connections} connections, ` +
      `pipelining ${settings.pipelining}; one scenario at a time`,
    `  timing:   per scenario and round ${warmup}${fmtSeconds(settings.durationSec)} measured; ${roundsText}`,
    '  servers:  one child process each (same node binary, no flags): baseline = bare Fastify;',
    `            idcloud = startServer on ${settings.databaseUrl === null ? 'SQLite in a temp dir' : 'a fresh PostgreSQL database (BENCH_DATABASE_URL)'}, log level ${settings.idcloudLogLevel}`,
    '',
  ];

  const multiRound = settings.rounds > 1;
  const header = ['scenario', 'server', 'request', 'req/s', 'p50 ms', 'p99 ms', 'req/s vs ref', 'p50 vs ref', 'p99 vs ref'];
  const right = [false, false, false, true, true, true, true, true, true];
  if (multiRound) {
    header.push('spread');
    right.push(true);
  }
  header.push('check');
  right.push(false);
  const rows = results.map((r) => {
    const row = [
      r.name,
      r.server,
      `${r.method} ${r.path}`,
      fmtRate(r.reqPerSec),
      fmtMs(r.latency.p50),
      fmtMs(r.latency.p99),
      r.ratio === null ? '(ref)' : fmtRatio(r.ratio.reqPerSec),
      r.ratio === null ? '(ref)' : fmtRatio(r.ratio.p50),
      r.ratio === null ? '(ref)' : fmtRatio(r.ratio.p99),
    ];
    if (multiRound) row.push(spread(r));
    row.push(r.problems.length === 0 ? 'ok' : 'FAIL');
    return row;
  });
  lines.push(...formatTable(header, rows, right));

  lines.push(
    '',
    'req/s: responses with the expected status per second of measured time. p50/p99: response time in ms, from',
    'every measured response. "vs ref": this scenario / its reference scenario, both measured in this run;',
    'req/s below 1.00x means fewer requests per second than the reference, latency above 1.00x means slower.',
  );
  if (multiRound) lines.push('spread: (highest - lowest) req/s of the rounds, as a share of the mean.');

  lines.push('', 'scenarios:');
  const nameWidth = Math.max(...results.map((r) => r.name.length));
  for (const r of results) {
    const ref = r.compareTo === null ? ' [reference]' : ` [vs ${r.compareTo}]`;
    lines.push(`  ${r.name.padEnd(nameWidth)}  ${r.description}${ref}`);
  }

  const output = report.children.map((c) => `${c.kind} ${c.logBytes === 0 ? 'nothing' : `${fmtBytes(c.logBytes)}, first line: ${c.logFirstLine ?? ''}`}`);
  if (output.length > 0) lines.push('', `server child output during the run: ${output.join('; ')}`);

  const problems = results.flatMap((r) => r.problems.map((p) => `  ${r.name}: ${p}`));
  if (problems.length > 0) lines.push('', 'FAILED: every measured response must have the scenario\'s expected status, without errors:', ...problems);
  lines.push('');
  return lines.join('\n');
}
