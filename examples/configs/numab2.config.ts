import { defineConfig } from '@pghot/core/config';
import numab2 from '@pghot/policy-numab2';
import hintfault from '@pghot/source-hintfault';

export default defineConfig({
  name: 'numab2',
  plugins: [hintfault(), numab2({ hotThresholdMs: 1000, tppHeadroom: true })],
});
