import { defineConfig } from '@pghot/core/config';
import memtis from '@pghot/policy-memtis';
import hwsample from '@pghot/source-hwsample';

export default defineConfig({
  name: 'memtis',
  plugins: [hwsample({ preset: 'pebs', period: 100 }), memtis({ adaptEverySamples: 2000, coolEverySamples: 200_000, periodMs: 500 })],
});
