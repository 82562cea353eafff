import { z } from 'zod';
import { tunablesSchema } from '../tunables.js';
import { coreConfigShape } from './schema.js';

const TUNABLE_HELP: Record<string, string> = {
  enabled_sources: 'vm.pghot_enabled_sources: one bit per source (hintfaults 0x1, hwhints 0x2, pgtscans 0x4, plugin sources after); 0x1 by default',
  target_nid: 'vm.pghot_target_nid: where default-mode (and NUMA_NO_NODE precision) promotions go; default node 0, or the first top-tier node',
  freq_threshold: 'vm.pghot_freq_threshold: accesses within the window that make a page MIGRATE_READY (1-3 default mode, 1-7 precision; 2)',
  promote_freq_window_ms: 'vm.pghot_promote_freq_window_ms: a longer gap restarts the count (1000-3968 default mode, 1000-16383 precision; 3000 / 5000)',
  kmigrated_sleep_ms: "debugfs pghot/kmigrated_sleep_ms: kmigrated's poll period (50-1000; 100)",
  kmigrated_batch_nr: 'debugfs pghot/kmigrated_batch_nr: a flush happens when a batch exceeds this (64-1024; 512)',
  promote_rate_limit_MBps: 'vm.pghot_promote_rate_limit_MBps: candidate pages per second per target node, in MB/s (65536)',
};

/**
 * The JSON Schema of a config file, for editors (`$schema` in JSON, `# yaml-language-server: $schema=`
 * in YAML): core's keys plus a tool's (`extend`). Tunables carry precision mode's (wider) ranges; the
 * mode's own ranges are checked when the config loads. Plugin objects exist only in TS/JS configs.
 */
export function configJsonSchema(extend: z.ZodRawShape = {}): Record<string, unknown> {
  const tunables = tunablesSchema('precision').partial();
  const shape = z.strictObject({
    ...coreConfigShape,
    tunables: z.strictObject(Object.fromEntries(Object.entries(tunables.shape).map(([k, v]) => [k, v.describe(TUNABLE_HELP[k] ?? k)]))).optional(),
    plugins: z
      .array(z.union([z.string().min(1), z.tuple([z.string().min(1), z.looseObject({})])]))
      .describe('plugins by name ("hintfault", "policy-hemem", "pghot-plugin-x", "./my-plugin.ts") or as [name, { options }]')
      .optional(),
    ...extend,
  });
  return { ...z.toJSONSchema(shape, { io: 'input', unrepresentable: 'any' }), title: 'pghot configuration', $id: 'https://github.com/pghot/pghot/blob/main/packages/core/pghot.config.schema.json' };
}
