// The README's configuration table is the user's reference: it must list every option exactly as the
// option table defines it.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SERVER_OPTIONS } from '../../src/config.js';

function readmeRows(): string[] {
  const text = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const block = /<!-- options-table:start -->\n([\s\S]*?)<!-- options-table:end -->/.exec(text)?.[1] ?? '';
  return block.split('\n').filter((l) => l.startsWith('| `'));
}

describe('README configuration table', () => {
  it('has one row per option, with its flag, environment variables, default and description', () => {
    const expected = SERVER_OPTIONS.map(
      (o) => `| \`${o.key}\` | \`--${o.flag}\` | ${o.env.map((e) => `\`${e}\``).join(', ')} | ${o.defaultText} | ${o.description} |`,
    );
    expect(readmeRows()).toEqual(expected);
  });

  it('names the two commands of the quick start', () => {
    const text = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(text).toContain('npm ci && npm start');
    expect(text).toContain('npm ci && npm test');
  });
});
