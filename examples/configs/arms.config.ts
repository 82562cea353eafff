import { defineConfig } from '@pghot/core/config';
import arms from '@pghot/policy-arms';
import hwsample from '@pghot/source-hwsample';

export default defineConfig({
  name: 'arms',
  plugins: [hwsample({ preset: 'pebs', period: 100 }), arms({ samplePeriod: 100 })],
});
