import { defineSource, parsePluginOptions, PGHOT_SRC, type PghotPlugin } from '@pghot/core';
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
    requires: ['tasks', 'protnone', 'overhead'],
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
      /** Per task id. */
      const state = new Map<number, ScanState>();
      const platform = engine.platform;
      const topology = engine.topology;

      platform.hooks.hintFaults.tap(NAME, (batch) => {
        engine.recordAccesses(src, batch.pfn, batch.nid, batch.timeMs, batch.length);
        let local = 0;
        for (let i = 0; i < batch.length; i++) {
          const isLocal = topology.nodeOf(batch.pfn[i]!) === batch.nid[i];
          if (isLocal) local++;
          const s = state.get(batch.task[i]!);
          if (s) {
            if (isLocal) s.local++;
            else s.remote++;
          }
        }
        c.add(faults, batch.length);
        c.add(localFaults, local);
      });

      engine.hooks.tick.tap(NAME, ({ now }) => {
        const budget = o.scanSizeMb * 256;
        for (const task of platform.tasks()) {
          let s = state.get(task.id);
          if (!s) state.set(task.id, (s = { next: o.scanDelayMs, period: o.scanPeriodMinMs, cursor: 0, local: 0, remote: 0, scans: 0 }));
          if (now < s.next) continue;
          // adapt the period to the faults of the last scan window (none before the first scan)
          if (s.scans++ > 0) {
            if (s.local + s.remote === 0 || s.remote * 10 < (s.local + s.remote) * 3) s.period = Math.min(s.period * 2, o.scanPeriodMaxMs);
            else s.period = Math.max(Math.floor(s.period / 2), o.scanPeriodMinMs);
          }
          s.local = s.remote = 0;
          s.next = now + s.period;
          // task_numa_work: the next window of the address space, wrapping at its end
          const count = Math.min(budget, task.pages);
          const updated = platform.changeProtNuma(task.id, s.cursor, count, now);
          s.cursor = (s.cursor + count) % task.pages;
          c.add(pteUpdates, updated);
          platform.chargeOverhead('numaPteUpdates', updated, o.pteUpdateNs, task.id);
        }
      });
    },
  });
}
export default hintFaultSource;
