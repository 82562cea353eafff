import { defineConfig } from 'vitest/config';

/** The tests `pnpm mutate` runs against each mutant: core's and the trace parsers' (stryker.config.mjs). */
export default defineConfig({
  resolve: { conditions: ['@pghot/source'] },
  ssr: { resolve: { conditions: ['@pghot/source'] } },
  test: {
    testTimeout: 30_000,
    projects: ['packages/core', 'packages/trace', 'packages/source-hwsample'].map((root) => ({ extends: true, test: { name: root.split('/')[1]!, root, include: ['src/**/*.test.ts'] } })),
  },
});
