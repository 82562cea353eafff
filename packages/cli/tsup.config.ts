import { defineConfig } from 'tsup';

export default defineConfig({
  // sim-worker: the module each worker thread of `--jobs` loads, beside cli.js
  entry: { index: 'src/index.ts', cli: 'src/cli.ts', 'sim-worker': 'src/commands/sim-worker.ts' },
  format: ['esm'],
  target: 'node20',
  dts: { entry: { index: 'src/index.ts' } },
  sourcemap: true,
  clean: true,
});
