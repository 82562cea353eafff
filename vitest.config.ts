import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/** Workspace packages with tests; each project resolves @pghot/* to source through the condition. */
const projects = ['packages/core', 'packages/sim', 'packages/source-hintfault', 'packages/source-ptescan', 'packages/source-hwsample', 'packages/source-damon', 'packages/source-chmu', 'packages/policy-pghot', 'packages/policy-numab2', 'packages/policy-hemem', 'packages/policy-memtis', 'packages/policy-arms', 'packages/trace', 'packages/cli', 'packages/linux', 'packages/testkit', 'examples/policy-min-freq', 'examples/custom-source'];

export default defineConfig({
  resolve: { conditions: ['@pghot/source'] },
  ssr: { resolve: { conditions: ['@pghot/source'] } },
  test: {
    // simulations of a few seconds take 1-4 s on 2 cores; the timeout only guards against hangs
    testTimeout: 30_000,
    // by absolute path: each project resolves relative paths from its own root
    globalSetup: [fileURLToPath(new URL('./test/global-setup.ts', import.meta.url))],
    projects: [
      ...projects.map((root) => ({ extends: true as const, test: { name: root.split('/')[1]!, root, include: ['src/**/*.test.ts'] } })),
      // checks over the whole repository (self-containment, package manifests)
      { extends: true as const, test: { name: 'repository', root: '.', include: ['test/**/*.test.ts'] } },
    ],
  },
});
