import { defineConfig } from '@pghot/core/config';
import hemem from '@pghot/policy-hemem';
import hwsample from '@pghot/source-hwsample';

// HeMem on PEBS samples; a short sample period suits the simulator's small machines
export default defineConfig({
  name: 'hemem',
  plugins: [hwsample({ preset: 'pebs', period: 100 }), hemem({ periodMs: 10 })],
});
