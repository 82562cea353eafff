import { createWalkBatch, defineSource, NUMA_NO_NODE, parsePluginOptions, PGHOT_SRC, type PghotPlugin } from '@pghot/core';
import { z } from 'zod';

export const optionsSchema = z.strictObject({
  /** klruscand's period. */
  scanPeriodMs: z.int().min(1).default(500),
  /** PFNs per flush to pghot (klruscand's batch). */
  batchSize: z.int().min(1).default(131_072),
  /** CPU time per PTE examined (a background kthread: reported, not added to the run time). */
  pteScanNs: z.number().min(0).default(15),
  /** false: the source is off (no work, its pgtscans bit cleared); an explicit enabled_sources in the config still wins for the bit. */
  enable: z.boolean().default(true),
});
export type PteScanOptions = z.input<typeof optionsSchema>;
export const NAME = 'source-ptescan';

/**
 * klruscand-like page-table scanning: every scanPeriodMs it walks each process's page table,
 * test-and-clears the Accessed bit of every folio mapped from a lower-tier node, and reports the
 * accessed ones in batches of at most batchSize with nid NUMA_NO_NODE and time = the flush time
 * (the scan knows neither the accessing node nor when the access happened). Counters:
 * ptescan_ptes_scanned, ptescan_accessed.
 */
export function pteScanSource(options: PteScanOptions = {}): PghotPlugin {
  const o = parsePluginOptions(NAME, optionsSchema, options);
  return defineSource({
    name: NAME,
    version: '0.1.0',
    core: '>=0.1.0 <1.0.0',
    requires: ['tasks', 'accessedBit', 'overhead'],
    apply(engine) {
      const src = PGHOT_SRC.pgtscans;
      engine.enableSource(src, o.enable);
      const scanned = engine.counters.register('ptescan_ptes_scanned');
      const accessed = engine.counters.register('ptescan_accessed');
      if (!o.enable) return; // off: no scanning, nothing recorded
      const platform = engine.platform;
      const topology = engine.topology;
      const batch = new Float64Array(o.batchSize);
      const walk = createWalkBatch(WALK_PAGES);
      const candidates = new Float64Array(WALK_PAGES);
      const young = new Uint8Array(WALK_PAGES);
      let n = 0;
      engine.every(NAME, o.scanPeriodMs, (now) => {
        let ptes = 0;
        let hot = 0;
        for (const task of platform.tasks()) {
          for (let start = 0; start < task.pages; start += WALK_PAGES) {
            const count = Math.min(WALK_PAGES, task.pages - start);
            platform.walk(task.id, start, count, walk);
            // one report per folio: at the PTE that maps its head page, lower tier only
            let m = 0;
            for (let i = 0; i < count; i++) {
              const pfn = walk.pfn[i]!;
              if (pfn < 0) continue;
              ptes++;
              if (walk.head[i] === pfn && !topology.isTopTierPfn(pfn)) candidates[m++] = pfn;
            }
            platform.testYoung(candidates, m, young, true);
            for (let i = 0; i < m; i++) {
              if (young[i] === 0) continue;
              batch[n++] = candidates[i]!;
              hot++;
              if (n === o.batchSize) {
                engine.recordAccesses(src, batch, NUMA_NO_NODE, now, n);
                n = 0;
              }
            }
          }
        }
        if (n > 0) engine.recordAccesses(src, batch, NUMA_NO_NODE, now, n);
        n = 0;
        engine.counters.add(scanned, ptes);
        engine.counters.add(accessed, hot);
        platform.chargeOverhead('ptesScanned', ptes, o.pteScanNs, null);
      });
    },
  });
}
export default pteScanSource;

/** Page-table entries per walk batch. */
const WALK_PAGES = 4096;
