// Pure unit tests only: no build, no database. `npx vitest run -c vitest.unit.config.ts` for a quick
// loop while working on domain code; `npm test` still runs everything.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 30_000,
  },
});
