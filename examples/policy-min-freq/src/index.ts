import { definePolicy, parsePluginOptions, Stage, type PghotPlugin } from '@pghot/core';
import { z } from 'zod';

export const optionsSchema = z.strictObject({
  /** Promote only records whose frequency reached this (1-7; default mode saturates at 3). */
  minFreq: z.int().min(1).max(7).default(2),
});
export type MinFreqOptions = z.input<typeof optionsSchema>;
const NAME = 'policy-min-freq';

/** A policy that drops kmigrated candidates with fewer than `minFreq` recorded accesses. */
export function minFreqPolicy(options: MinFreqOptions = {}): PghotPlugin {
  const { minFreq } = parsePluginOptions(NAME, optionsSchema, options);
  return definePolicy({
    name: NAME,
    version: '0.0.0',
    core: '>=0.1.0 <1.0.0',
    apply(engine) {
      engine.hooks.selectCandidates.tap({ name: NAME, stage: Stage.ADJUST }, (candidates) => {
        for (let i = 0; i < candidates.length; i++) if (candidates.freq[i]! < minFreq) candidates.allow[i] = 0;
        return candidates;
      });
    },
  });
}
export default minFreqPolicy;
