import { defineSource, NUMA_NO_NODE, parsePluginOptions, PGHOT_SRC, type PghotPlugin } from '@pghot/core';
import { getSim } from '@pghot/sim';
import { z } from 'zod';

export const optionsSchema = z.strictObject({
  /** klruscand's period. */
  scanPeriodMs: z.int().min(1).default(500),
  /** PFNs per flush to pghot (klruscand's batch). */
  batchSize: z.int().min(1).default(131_072),
  /** CPU time per PTE examined (a background kthread: reported, not added to the run time). */
  pteScanNs: z.number().min(0).default(15),
  /** Set the pgtscans bit in enabled_sources (an explicit enabled_sources in the config wins). */
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
    apply(engine) {
      const src = PGHOT_SRC.pgtscans;
      if (o.enable) engine.enableSource(src);
      const scanned = engine.counters.register('ptescan_ptes_scanned');
      const accessed = engine.counters.register('ptescan_accessed');
      const batch = new Float64Array(o.batchSize);
      let next = o.scanPeriodMs;
      engine.hooks.tick.tap(NAME, ({ now }) => {
        const sim = getSim(engine);
        if (!sim || now < next) return;
        next = now + o.scanPeriodMs;
        const mem = sim.mem;
        const topTier = sim.metrics.topTierByIndex;
        let n = 0;
        let ptes = 0;
        let hot = 0;
        for (const mm of sim.processes) {
          for (let v = 0; v < mm.pages; v++) {
            const pfn = mm.pte[v]!;
            if (pfn < 0) continue;
            ptes++;
            const head = mem.head[pfn]!;
            // one report per folio: at the PTE that maps its head page
            if (head !== pfn || topTier[mem.nodeIndex[head]!] === 1 || mem.accessed[head] === 0) continue;
            mem.accessed[head] = 0;
            batch[n++] = head;
            hot++;
            if (n === o.batchSize) {
              engine.recordAccesses(src, batch, NUMA_NO_NODE, now, n);
              n = 0;
            }
          }
        }
        if (n > 0) engine.recordAccesses(src, batch, NUMA_NO_NODE, now, n);
        engine.counters.add(scanned, ptes);
        engine.counters.add(accessed, hot);
        sim.chargeOverhead('ptesScanned', ptes, o.pteScanNs, null);
      });
    },
  });
}
export default pteScanSource;
