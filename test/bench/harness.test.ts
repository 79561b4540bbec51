// The benchmark harness still works end to end: both server children start from dist/ (built by the
// global setup), report their port (idcloud also its seeded credentials), every registered scenario
// passes its preflight and produces figures. One second of light load per scenario; no timing is
// asserted, only that numbers came out.
import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, runBenchmark, ScenarioError, selectScenarios, SettingsError, settingsFromEnv } from '../../bench/harness.js';
import type { IdcloudDetails } from '../../bench/protocol.js';
import { formatReport } from '../../bench/report.js';
import { BASELINE_SCENARIO, scenarios, type Scenario } from '../../bench/scenarios.js';

describe('benchmark settings', () => {
  it('defaults without BENCH_* variables, and rejects values out of range', () => {
    expect(settingsFromEnv({})).toEqual(DEFAULT_SETTINGS);
    expect(settingsFromEnv({ BENCH_DURATION: '1.5', BENCH_ROUNDS: '3', BENCH_SCENARIOS: 'healthz, baseline' })).toMatchObject({
      durationSec: 1.5,
      rounds: 3,
      only: ['healthz', 'baseline'],
    });
    expect(() => settingsFromEnv({ BENCH_ROUNDS: '0' })).toThrow(SettingsError);
    expect(() => settingsFromEnv({ BENCH_DURATION: 'ten' })).toThrow(SettingsError);
    expect(() => settingsFromEnv({ BENCH_LOG_LEVEL: 'loud' })).toThrow(SettingsError);
  });

  it('selects a scenario together with its reference, and refuses unknown names', () => {
    const names = selectScenarios(scenarios, ['healthz']).map((s) => s.name);
    expect(names).toContain('healthz');
    expect(names).toContain(BASELINE_SCENARIO);
    expect(() => selectScenarios(scenarios, ['no-such-scenario'])).toThrow(ScenarioError);
    expect(() => selectScenarios([...scenarios, ...scenarios], null)).toThrow(ScenarioError);
  });
});

describe('benchmark harness', () => {
  it('measures every registered scenario and hands idcloud credentials to scenarios', async () => {
    let seen: IdcloudDetails | undefined;
    const probe: Scenario = {
      name: 'credentials-probe',
      server: 'idcloud',
      description: 'test only: records what an idcloud scenario is given',
      request: (server) => {
        seen = server.idcloud;
        return { path: '/readyz' };
      },
    };
    const report = await runBenchmark({
      settings: { ...DEFAULT_SETTINGS, durationSec: 1, warmupSec: 0, rounds: 1, connections: 2 },
      scenarios: [...scenarios, probe],
    });

    expect(seen?.owner.clientId).toBe('bench-owner');
    expect(seen?.owner.clientSecret.length).toBeGreaterThanOrEqual(16);
    expect(seen?.login.clientId).toMatch(/\S/);
    expect(seen?.applicationId).toMatch(/\S/);

    expect(report.ok).toBe(true);
    expect(report.results.map((r) => r.name)).toEqual([...scenarios.map((s) => s.name), probe.name]);
    for (const result of report.results) {
      expect(result.problems).toEqual([]);
      expect(result.rounds[0]?.responses).toBeGreaterThan(0);
      expect(result.reqPerSec).toBeGreaterThan(0);
      expect(result.latency.samples).toBeGreaterThan(0);
      if (result.name === BASELINE_SCENARIO) expect(result.ratio).toBeNull();
      else expect(Number.isFinite(result.ratio?.reqPerSec)).toBe(true);
    }
    const text = formatReport(report);
    for (const result of report.results) expect(text).toContain(result.name);
  }, 60_000);
});
