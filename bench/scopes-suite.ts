// Scope evaluation, in process (issue: "compiled once per token, well under a microsecond"): a token's
// ScopeSet answering allows(method, path) for a rotating set of requests, against the cheapest
// authorization one could write, an exact-match Map of "METHOD path" strings, timed in the same run.
import { parseScopeList, requestSegments, ScopeSet } from '../src/domain/scopes.js';

export interface ScopeFigure {
  name: string;
  nsPerCall: number;
  referenceNsPerCall: number;
}

/** A support engineer's token: read everything, change login policies, never touch clients or webhooks. */
const SCOPES = '.:config/** +:config/loginPolicies *:config/tokenPolicies/* -:config/clients -:webhooks/** .:config/v3/policies/sessions-default';
const REQUESTS: [string, string][] = [
  ['GET', '/config/tokenPolicies/9f1c2b7e-3d4a-4b5c-8d6e-7f8091a2b3c4'],
  ['POST', '/config/loginPolicies'],
  ['DELETE', '/config/clients/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d'],
  ['PUT', '/config/tokenPolicies/9f1c2b7e-3d4a-4b5c-8d6e-7f8091a2b3c4'],
  ['GET', '/webhooks/v3/subscriptions'],
  ['PATCH', '/config/loginPolicies/5b6c7d8e-9f0a-4b1c-8d2e-3f4a5b6c7d8e/pushClaims'],
  ['GET', '/config/v3/policies/sessions-default'],
  ['HEAD', '/config/clients'],
];

function timePerCall(calls: number, run: (i: number) => boolean): number {
  let allowed = 0;
  const started = process.hrtime.bigint();
  for (let i = 0; i < calls; i += 1) if (run(i)) allowed += 1;
  const ns = Number(process.hrtime.bigint() - started) / calls;
  // Keeps the loop's result alive, so the work cannot be optimised away.
  if (allowed < 0) throw new Error('unreachable');
  return ns;
}

export function runScopesSuite(calls = 2_000_000): ScopeFigure[] {
  const set = new ScopeSet(parseScopeList(SCOPES));
  const segments = REQUESTS.map(([method, path]) => [method, requestSegments(path)] as const);
  const table = new Map(REQUESTS.map(([method, path]) => [`${method} ${path}`, set.allows(method, path)]));
  const keys = REQUESTS.map(([method, path]) => `${method} ${path}`);
  const n = REQUESTS.length;
  let ours = Infinity;
  let reference = Infinity;
  let withSplit = Infinity;
  // Alternating rounds, best of each: the figure is the cost of the code, not of whatever else ran.
  for (let round = 0; round < 4; round += 1) {
    reference = Math.min(reference, timePerCall(calls, (i) => table.get(keys[i % n] ?? '') === true));
    ours = Math.min(ours, timePerCall(calls, (i) => {
      const [method, path] = segments[i % n] ?? ['GET', []];
      return set.allows(method, path);
    }));
    withSplit = Math.min(withSplit, timePerCall(calls, (i) => {
      const [method, path] = REQUESTS[i % n] ?? ['GET', ''];
      return set.allows(method, path);
    }));
  }
  return [
    { name: 'ScopeSet.allows (path already split)', nsPerCall: ours, referenceNsPerCall: reference },
    { name: 'ScopeSet.allows (path as text, split here)', nsPerCall: withSplit, referenceNsPerCall: reference },
  ];
}

export function formatScopeFigures(figures: readonly ScopeFigure[]): string {
  const rows = figures.map((f) => [f.name, `${f.nsPerCall.toFixed(0)} ns`, `${f.referenceNsPerCall.toFixed(0)} ns`, `${(f.nsPerCall / f.referenceNsPerCall).toFixed(2)}x`, 'well under 1 µs']);
  const header = ['scope evaluation', 'per call', 'Map lookup', 'vs Map', 'goal'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  return ['', `idcloud scope evaluation: a compiled token of ${SCOPES.split(' ').length} scopes, ${REQUESTS.length} requests in turn; reference = exact-match Map of "METHOD path"`, line(header), ...rows.map(line), ''].join('\n');
}
