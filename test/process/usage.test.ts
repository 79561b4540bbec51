// A bad command line or configuration: exit code 2, one line on stderr naming the problem,
// nothing listening and nothing created on disk.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { expectOneErrorLine, freePort, killLiveChildren, listDir, PROCESS_TEST_TIMEOUT, runCli, tryConnect } from './helpers.js';

interface BadInput {
  name: string;
  args: (configDir: string) => string[];
  /** What the one error line must mention. */
  mentions: RegExp[];
}

const CASES: BadInput[] = [
  { name: 'an unknown flag', args: () => ['serve', '--no-such-flag'], mentions: [/--no-such-flag/] },
  { name: 'an unknown command', args: () => ['frobnicate'], mentions: [/unknown command/, /frobnicate/] },
  { name: 'a non-numeric port', args: () => ['serve', '--port', 'abc'], mentions: [/port/, /abc/] },
  { name: 'a port out of range', args: () => ['serve', '--port', '70000'], mentions: [/port/, /65535/] },
  { name: 'an unknown log level', args: () => ['serve', '--log-level', 'loud'], mentions: [/log.?level/i] },
  { name: 'a bad trusted-proxy CIDR', args: () => ['serve', '--trusted-proxies', '999.1.1.1/40'], mentions: [/999\.1\.1\.1\/40/] },
  { name: 'a negative port on init', args: () => ['init', '--port=-1'], mentions: [/port/, /65535/] },
  {
    name: 'a config file with an unknown key',
    args: (configDir) => ['serve', '--config', join(configDir, 'idcloud.json')],
    mentions: [/unknown option/, /colour/, /idcloud\.json/],
  },
];

describe('bad command lines and configuration', { timeout: PROCESS_TEST_TIMEOUT }, () => {
  const roots: string[] = [];
  afterEach(async () => {
    await killLiveChildren();
    for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
  });

  it.each(CASES)('$name: exit 2, one line on stderr, nothing listens, nothing created', async ({ args, mentions }) => {
    // `root` is the child's working directory and holds nothing; the data dir (given through the
    // environment, so that flags under test win) would be created inside it.
    const root = mkdtempSync(join(tmpdir(), 'idcloud-usage-'));
    const configDir = mkdtempSync(join(tmpdir(), 'idcloud-usage-config-'));
    roots.push(root, configDir);
    const port = await freePort();
    writeFileSync(join(configDir, 'idcloud.json'), JSON.stringify({ port, logLevel: 'info', colour: 'blue' }));

    const result = await runCli(args(configDir), {
      cwd: root,
      env: { IDCLOUD_PORT: String(port), IDCLOUD_DATA_DIR: join(root, 'data') },
    });

    expect(result.code, result.stderr).toBe(2);
    expect(result.signal).toBeNull();
    const line = expectOneErrorLine(result);
    for (const m of mentions) expect(line).toMatch(m);
    expect(result.stdout).toBe('');
    expect(await tryConnect(port)).toBe('refused');
    expect(listDir(root)).toEqual([]);
  });

  it('a good command line is not refused (the harness can tell success from failure)', async () => {
    const result = await runCli(['version']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });
});
