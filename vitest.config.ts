import { defineConfig } from 'vitest/config';

/** Workspace packages with tests; each project resolves @pghot/* to source through the condition. */
const pkgs = ['core', 'cli'];

export default defineConfig({
  resolve: { conditions: ['@pghot/source'] },
  ssr: { resolve: { conditions: ['@pghot/source'] } },
  test: {
    projects: pkgs.map((name) => ({ extends: true, test: { name, root: `packages/${name}`, include: ['src/**/*.test.ts'] } })),
  },
});
