import { defineSource, parsePluginOptions, PGHOT_SRC, type PghotPlugin } from '@pghot/core';
import { getSim, getSimHooks, PTE_PROTNONE, type AddressSpace } from '@pghot/sim';
import { z } from 'zod';

export const optionsSchema = z.strictObject({
  /** numa_balancing_scan_period_min_ms. */
  scanPeriodMinMs: z.int().min(1).default(1000),
  /** numa_balancing_scan_period_max_ms. */
  scanPeriodMaxMs: z.int().min(1).default(60_000),
  /** numa_balancing_scan_size_mb: virtual memory made PROTNONE per scan. */
  scanSizeMb: z.int().min(1).default(256),
  /** numa_balancing_scan_delay_ms: before a task's first scan. */
  scanDelayMs: z.int().min(0).default(1000),
  /** CPU time per PTE made PROTNONE (change_prot_numa), charged to the task (task_work). */
  pteUpdateNs: z.number().min(0).default(15),
  /** Set the hintfaults bit in enabled_sources (an explicit enabled_sources in the config wins). */
  enable: z.boolean().default(true),
}).refine((o) => o.scanPeriodMaxMs >= o.scanPeriodMinMs, { message: 'scanPeriodMaxMs must be >= scanPeriodMinMs', path: ['scanPeriodMaxMs'] });
export type HintFaultOptions = z.input<typeof optionsSchema>;
export const NAME = 'source-hintfault';

/**
 * NUMA balancing in memory-tiering mode as a pghot source: per process, each scan period a
 * window of scanSizeMb of its address space is made PROTNONE (lower-tier pages only: tiering
 * mode skips the top tier); the next access faults (the simulator charges the fault), and each
 * fault is reported to pghot as (folio PFN, the faulting CPU's node, hintfaults, fault time).
 * The scan period adapts between min and max: it halves while most faults are remote (pages
 * to move) and doubles when they are local or none come (a simplification of
 * update_task_scan_period). Counters: numa_pte_updates, numa_hint_faults, numa_hint_faults_local.
 */
export function hintFaultSource(options: HintFaultOptions = {}): PghotPlugin {
  const o = parsePluginOptions(NAME, optionsSchema, options);
  return defineSource({
    name: NAME,
    version: '0.1.0',
    core: '>=0.1.0 <1.0.0',
    apply(engine) {
      const src = PGHOT_SRC.hintfaults;
      if (o.enable) engine.enableSource(src);
      const c = engine.counters;
      const pteUpdates = c.register('numa_pte_updates');
      const faults = c.register('numa_hint_faults');
      const localFaults = c.register('numa_hint_faults_local');
      interface ScanState {
        next: number;
        period: number;
        cursor: number;
        local: number;
        remote: number;
        scans: number;
      }
      const state = new Map<AddressSpace, ScanState>();

      getSimHooks(engine).hintFaults.tap(NAME, (batch) => {
        engine.recordAccesses(src, batch.pfn, batch.nid, batch.timeMs, batch.length);
        const sim = batch.sim;
        let local = 0;
        for (let i = 0; i < batch.length; i++) {
          const pageNode = sim.machine.nodes[sim.mem.nodeIndex[batch.pfn[i]!]!]!.id;
          const isLocal = pageNode === batch.nid[i];
          if (isLocal) local++;
          const s = state.get(sim.processes[batch.mm[i]!]!);
          if (s) {
            if (isLocal) s.local++;
            else s.remote++;
          }
        }
        c.add(faults, batch.length);
        c.add(localFaults, local);
      });

      engine.hooks.tick.tap(NAME, ({ now }) => {
        const sim = getSim(engine);
        if (!sim) return;
        const budget = o.scanSizeMb * 256;
        for (const mm of sim.processes) {
          let s = state.get(mm);
          if (!s) state.set(mm, (s = { next: o.scanDelayMs, period: o.scanPeriodMinMs, cursor: 0, local: 0, remote: 0, scans: 0 }));
          if (now < s.next) continue;
          // adapt the period to the faults of the last scan window (none before the first scan)
          if (s.scans++ > 0) {
            if (s.local + s.remote === 0 || s.remote * 10 < (s.local + s.remote) * 3) s.period = Math.min(s.period * 2, o.scanPeriodMaxMs);
            else s.period = Math.max(Math.floor(s.period / 2), o.scanPeriodMinMs);
          }
          s.local = s.remote = 0;
          s.next = now + s.period;
          let updated = 0;
          const nodeTop = sim.machine.nodes.map((n) => n.topTier);
          for (let k = 0; k < Math.min(budget, mm.pages); k++) {
            const v = s.cursor;
            s.cursor = s.cursor + 1 === mm.pages ? 0 : s.cursor + 1;
            const pfn = mm.pte[v]!;
            if (pfn < 0 || nodeTop[sim.mem.nodeIndex[pfn]!] || (mm.flags[v]! & PTE_PROTNONE) !== 0) continue;
            mm.flags[v] = mm.flags[v]! | PTE_PROTNONE;
            mm.scanTimeMs[v] = now;
            updated++;
          }
          c.add(pteUpdates, updated);
          sim.chargeOverhead('numaPteUpdates', updated, o.pteUpdateNs, mm.threads[0] ?? null);
        }
      });
    },
  });
}
export default hintFaultSource;
