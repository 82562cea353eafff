// Mutation testing (`pnpm mutate`, `pnpm mutate:core`): the kernel-exact parts of core and the trace
// parsers, against their tests. Not in CI (a full run takes long on 2 cores); the score is kept in
// docs/benchmarks.md. Reports: reports/mutation/ (HTML and JSON).
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  // named: under pnpm, core's own node_modules does not hold the runner it would look for
  plugins: ['@stryker-mutator/vitest-runner'],
  vitest: { configFile: 'vitest.mutate.config.ts' },
  mutate: [
    'packages/core/src/record-default.ts',
    'packages/core/src/record-precision.ts',
    'packages/core/src/pghot.ts',
    'packages/core/src/kmigrated.ts',
    'packages/core/src/ratelimit.ts',
    'packages/core/src/tunables.ts',
    'packages/core/src/migrate.ts',
    'packages/trace/src/lackey.ts',
    'packages/trace/src/pgtrace.ts',
    'packages/trace/src/damon.ts',
    'packages/source-hwsample/src/perf.ts',
  ],
  coverageAnalysis: 'perTest',
  concurrency: 2,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  thresholds: { high: 90, low: 80, break: null },
  tempDirName: '.stryker-tmp',
  ignorePatterns: ['reports', '.tools', 'dist', '**/dist'],
};
