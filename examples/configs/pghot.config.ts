import { defineConfig } from '@pghot/core/config';
import pghot from '@pghot/policy-pghot';
import hintfault from '@pghot/source-hintfault';

export default defineConfig({
  name: 'pghot',
  mode: 'default',
  plugins: [hintfault(), pghot({ freqThreshold: 2 })],
});
