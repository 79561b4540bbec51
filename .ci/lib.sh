# Helpers sourced by .ci/run and .ci/node24.sh: phase headers, a summary of times and test counts
# printed on exit, build tools, and ci_npm_test. See docs/ci.md.
# shellcheck shell=bash

CI_SCRIPT=$(basename "$0")
CI_PHASE=''
CI_PHASE_START=$SECONDS
CI_TIMINGS=()
CI_OK=''
CI_CLEANUP=''
CI_OWN_RESULTS=''
# One line per test pass ("LABEL: N passed, N failed, N skipped"), shared with child scripts; the
# script that made the file prints it at the very end.
if [[ -z ${CI_RESULTS_FILE:-} ]]; then
  CI_RESULTS_FILE=$(mktemp "${TMPDIR:-/tmp}/idcloud-ci-results.XXXXXX")
  CI_OWN_RESULTS=1
  export CI_RESULTS_FILE
fi

# ci_phase NAME: prints a header for the next phase and records how long the previous one took.
ci_phase() {
  ci_close_phase
  CI_PHASE=$1
  CI_PHASE_START=$SECONDS
  printf '\n== %s\n' "$CI_PHASE"
}

ci_close_phase() {
  if [[ -n $CI_PHASE ]]; then
    CI_TIMINGS+=("$(printf '%6ss  %s' "$((SECONDS - CI_PHASE_START))" "$CI_PHASE")")
  fi
  CI_PHASE=''
}

# ci_done: marks the script as having gone through every phase.
ci_done() {
  ci_close_phase
  CI_OK=1
}

# ci_trap_summary [CLEANUP_FUNCTION]: on exit, runs the cleanup, then prints each phase's time, the
# verdict (with the phase that failed, if one did) and the test counts of each pass.
ci_trap_summary() {
  CI_CLEANUP=${1:-}
  trap 'ci_on_exit $?' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

ci_on_exit() {
  local rc=$1 failed=$CI_PHASE line
  ci_close_phase
  if [[ -n $CI_CLEANUP ]]; then "$CI_CLEANUP" || true; fi
  printf '\n== %s: time per phase\n' "$CI_SCRIPT"
  for line in "${CI_TIMINGS[@]}"; do printf '%s\n' "$line"; done
  printf '%6ss  total\n' "$SECONDS"
  if [[ -z $CI_OK || $rc -ne 0 ]]; then
    [[ $rc -ne 0 ]] || rc=1
    printf '== %s: FAILED (exit %s)%s\n' "$CI_SCRIPT" "$rc" "${failed:+ in phase: $failed}"
  else
    printf '== %s: OK\n' "$CI_SCRIPT"
  fi
  if [[ -n $CI_OWN_RESULTS ]]; then
    if [[ -s $CI_RESULTS_FILE ]]; then
      printf '== tests, per pass\n'
      cat "$CI_RESULTS_FILE"
    fi
    rm -f "$CI_RESULTS_FILE"
  fi
  exit "$rc"
}

# ci_ensure_build_tools: make, g++ and python3 for node-gyp, from Debian only when one is missing.
ci_ensure_build_tools() {
  local missing=()
  command -v make >/dev/null || missing+=(make)
  command -v g++ >/dev/null || missing+=(g++)
  command -v python3 >/dev/null || missing+=(python3)
  if ((${#missing[@]})); then
    ci_phase "apt-get install ${missing[*]}"
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
  fi
}

# ci_ensure_postgres_reaches DIR: as root, the tests' embedded PostgreSQL runs as the `postgres`
# user and executes its binaries from DIR/node_modules, so every folder above DIR must let others
# through (o+x); a checkout under a 0700 folder (mktemp -d, /root) fails with "spawn .../initdb
# EACCES". Under CI=true this adds o+x (traverse, not list) where it is missing; elsewhere it stops
# with the list of folders to fix, so a developer's folders aren't changed behind their back.
ci_ensure_postgres_reaches() {
  [[ $(id -u) -eq 0 ]] || return 0
  local dir blocked=()
  dir=$(cd "$1" && pwd -P)
  while :; do
    [[ $(stat -c %A "$dir") == ?????????[xt] ]] || blocked+=("$dir")
    [[ $dir == / ]] && break
    dir=$(dirname "$dir")
  done
  ((${#blocked[@]})) || return 0
  if [[ ${CI:-} == true ]]; then
    echo "chmod o+x ${blocked[*]} (the embedded PostgreSQL runs as user postgres and must reach node_modules)"
    chmod o+x "${blocked[@]}"
  else
    echo "The embedded PostgreSQL of the tests runs as user postgres and can't reach $1/node_modules:" >&2
    echo "these folders don't let others through: ${blocked[*]}. Run: chmod o+x ${blocked[*]}" >&2
    return 1
  fi
}

# ci_npm_test LABEL: runs `npm test` (the README's test command) with one more vitest reporter, and
# fails unless the run passed: at least one test ran, none failed, every test file loaded, no
# unhandled error. vitest's exit code alone can't be trusted here: embedded-postgres (imported by
# test/global-setup.ts) registers async-exit-hook, whose `beforeExit` handler calls process.exit(0)
# and so turns vitest's exit code 1 into 0. Prints, and records for the summary, the line
# "LABEL: N passed, N failed, N skipped".
ci_npm_test() {
  local label=$1 dir rc=0 status=0 line
  dir=$(mktemp -d "${TMPDIR:-/tmp}/idcloud-ci-vitest.XXXXXX")
  # The reporter lives outside the project: a .mjs under .ci/ would be linted (`eslint .`) and
  # rejected, being in no tsconfig project.
  ci_write_reporter "$dir/reporter.mjs"
  CI_VITEST_RESULT="$dir/result.json" npm test -- --reporter=default --reporter="$dir/reporter.mjs" || rc=$?
  line=$(node "$dir/reporter.mjs" "$label" "$dir/result.json" "$rc") || status=$?
  rm -rf "$dir"
  printf '%s\n' "$line"
  printf '%s\n' "$line" >>"$CI_RESULTS_FILE"
  return "$status"
}

ci_write_reporter() {
  cat >"$1" <<'JS'
// Two roles: a vitest reporter that writes what the run did to $CI_VITEST_RESULT, and
// `node reporter.mjs LABEL FILE EXIT_CODE`, which prints "LABEL: N passed, N failed, N skipped" and
// exits 1 unless the run passed.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export default class CiResultReporter {
  onTestRunEnd(testModules, unhandledErrors, reason) {
    const file = process.env.CI_VITEST_RESULT;
    if (!file) return;
    const r = { reason, modules: testModules.length, passed: 0, failed: 0, skipped: 0, notRun: 0, brokenModules: [], unfinishedModules: [] };
    for (const mod of testModules) {
      const modState = mod.state();
      if (modState === 'failed' && mod.errors().length > 0) r.brokenModules.push(mod.moduleId);
      if (modState === 'queued' || modState === 'pending') r.unfinishedModules.push(mod.moduleId);
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') r.passed += 1;
        else if (state === 'failed') r.failed += 1;
        else if (state === 'skipped') r.skipped += 1;
        else r.notRun += 1; // 'pending' at the end of the run: its worker died first
      }
    }
    r.unhandledErrors = unhandledErrors.map((e) => String(e?.message ?? e));
    writeFileSync(file, JSON.stringify(r, null, 2) + '\n');
  }
}

function verdict(label, file, exitCode) {
  let r;
  try {
    r = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    console.log(`${label}: 0 passed, 0 failed`);
    console.error(`${label}: FAILED: vitest never reported the end of a test run`);
    return 1;
  }
  console.log(`${label}: ${r.passed} passed, ${r.failed + r.notRun} failed, ${r.skipped} skipped`);
  const problems = [];
  if (exitCode !== 0) problems.push(`vitest exited with ${exitCode}`);
  if (r.reason !== 'passed') problems.push(`the run ended as '${r.reason}'`);
  if (r.passed + r.failed === 0) problems.push('no test ran (did the global setup fail? see above)');
  if (r.failed > 0) problems.push(`${r.failed} test(s) failed`);
  if (r.notRun > 0) problems.push(`${r.notRun} test(s) never finished (counted as failed above)`);
  if (r.unfinishedModules.length > 0) problems.push(`test files whose worker died before they finished: ${r.unfinishedModules.join(', ')}`);
  if (r.brokenModules.length > 0) problems.push(`test files that failed: ${r.brokenModules.join(', ')}`);
  if (r.unhandledErrors.length > 0) problems.push(`unhandled errors: ${r.unhandledErrors.join(' | ')}`);
  for (const p of problems) console.error(`${label}: FAILED: ${p}`);
  return problems.length === 0 ? 0 : 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [label, file, exitCode] = process.argv.slice(2);
  process.exitCode = verdict(label, file, Number(exitCode));
}
JS
}
