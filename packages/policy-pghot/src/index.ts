import { definePolicy, parsePluginOptions, type PghotPlugin, type TunableName } from '@pghot/core';
import { z } from 'zod';

export const optionsSchema = z.strictObject({
  /** freq_threshold: accesses within the window that make a page hot (1-3 default mode, 1-7 precision). */
  freqThreshold: z.int().optional(),
  /** promote_freq_window_ms. */
  promoteFreqWindowMs: z.int().optional(),
  /** promote_rate_limit_MBps. */
  promoteRateLimitMBps: z.int().optional(),
  kmigratedSleepMs: z.int().optional(),
  kmigratedBatchNr: z.int().optional(),
  targetNid: z.int().optional(),
});
export type PghotPolicyOptions = z.input<typeof optionsSchema>;
export const NAME = 'policy-pghot';

const TUNABLE_OF: Record<keyof z.output<typeof optionsSchema>, TunableName> = {
  freqThreshold: 'freq_threshold',
  promoteFreqWindowMs: 'promote_freq_window_ms',
  promoteRateLimitMBps: 'promote_rate_limit_MBps',
  kmigratedSleepMs: 'kmigrated_sleep_ms',
  kmigratedBatchNr: 'kmigrated_batch_nr',
  targetNid: 'target_nid',
};

/**
 * The kernel's own policy: frequency within the window makes a record MIGRATE_READY, kmigrated
 * promotes under NUMAB2's rate limit and dynamic threshold. It is what the engine does by itself;
 * this plugin names it in a config and sets its tunables (checked against the mode's ranges when
 * applied: a bad value fails naming the tunable).
 */
export function pghotPolicy(options: PghotPolicyOptions = {}): PghotPlugin {
  const o = parsePluginOptions(NAME, optionsSchema, options);
  return definePolicy({
    name: NAME,
    version: '0.1.0',
    core: '>=0.1.0 <1.0.0',
    apply(engine) {
      for (const [key, tunable] of Object.entries(TUNABLE_OF) as [keyof typeof TUNABLE_OF, TunableName][]) {
        const value = o[key];
        if (value !== undefined) engine.tunables.set(tunable, value);
      }
    },
  });
}
export default pghotPolicy;
