import { createWalkBatch, defineSource, parsePluginOptions, PGHOT_SRC, type PghotPlugin, type PlatformTask } from '@pghot/core';
import { z } from 'zod';

export const optionsSchema = z.strictObject({
  /**
   * 'tiering' (numa_balancing=2, NUMA_BALANCING_MEMORY_TIERING): faults on lower-tier pages return
   * from task_numa_fault() before task_numa_placement, so the scan period never adapts and stays
   * at task_scan_start(); 'balancing' (numa_balancing=1): the period adapts to the share of
   * remote faults (a simplification of update_task_scan_period).
   */
  mode: z.enum(['tiering', 'balancing']).default('tiering'),
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
  /** false: the source is off (no work, its hintfaults bit cleared); an explicit enabled_sources in the config still wins for the bit. */
  enable: z.boolean().default(true),
}).refine((o) => o.scanPeriodMaxMs >= o.scanPeriodMinMs, { message: 'scanPeriodMaxMs must be >= scanPeriodMinMs', path: ['scanPeriodMaxMs'] });
export type HintFaultOptions = z.input<typeof optionsSchema>;
export const NAME = 'source-hintfault';

/** MAX_SCAN_WINDOW (MB/s): task_scan_min never scans faster than this. */
const MAX_SCAN_WINDOW = 2560;
/** PMD-sized chunks: task_numa_work aligns each change_prot_numa range to HPAGE_SIZE. */
const HPAGE_PAGES = 512;
/** task_numa_work delays the task's next tick check by 2 ticks (jiffies = 1 ms here). */
const TICK_MS = 1;

/**
 * task_scan_min(): the period that scans the task's RSS at scan_period_min, never faster than
 * MAX_SCAN_WINDOW MB/s. task_scan_start() is this when the task has no NUMA group (none here).
 */
export function taskScanMinMs(rssPages: number, scanSizeMb: number, scanPeriodMinMs: number): number {
  const windows = scanSizeMb < MAX_SCAN_WINDOW ? Math.floor(MAX_SCAN_WINDOW / scanSizeMb) : 1;
  const floor = Math.floor(1000 / windows);
  const scanPages = scanSizeMb * 256;
  const rss = rssPages === 0 ? scanPages : rssPages;
  const nrScanWindows = Math.ceil(rss / scanPages);
  return Math.max(floor, Math.floor(scanPeriodMinMs / nrScanWindows));
}

/**
 * NUMA balancing as a pghot source: task_tick_numa / task_numa_work per process — each scan makes
 * lower-tier PTEs PROTNONE (tiering mode skips the top tier), scan_size_mb of address space where
 * PTEs changed and up to 8× that through ranges where none did; the next access faults (the
 * simulator charges the fault), and each fault is reported to pghot as (folio PFN, the faulting
 * CPU's node, hintfaults, fault time). The period: see `mode`. init_numa_balancing sets the first
 * period and numa_next_scan to scan_delay, so the first scan comes at the first tick after it.
 * Counters: numa_pte_updates, numa_hint_faults, numa_hint_faults_local.
 */
export function hintFaultSource(options: HintFaultOptions = {}): PghotPlugin & { readonly settings: Readonly<z.output<typeof optionsSchema>> } {
  const o = parsePluginOptions(NAME, optionsSchema, options);
  // the sysctls other plugins read (NUMAB2: numa_balancing_scan_period_max_ms)
  const plugin = defineSource({
    name: NAME,
    version: '0.1.0',
    core: '>=0.1.0 <1.0.0',
    requires: ['tasks', 'protnone', 'overhead'],
    apply(engine) {
      const src = PGHOT_SRC.hintfaults;
      engine.enableSource(src, o.enable);
      const c = engine.counters;
      const pteUpdates = c.register('numa_pte_updates');
      const faults = c.register('numa_hint_faults');
      const localFaults = c.register('numa_hint_faults_local');
      if (!o.enable) return; // off: no scanning, no hint faults
      interface ScanState {
        /** task_struct.node_stamp and numa_scan_period, mm.numa_next_scan (ms) and numa_scan_offset (page). */
        nodeStamp: number;
        period: number;
        nextScan: number;
        cursor: number;
        /** 'balancing': faults since the last scan. */
        local: number;
        remote: number;
        scans: number;
      }
      /** Per task id. */
      const state = new Map<number, ScanState>();
      const platform = engine.platform;
      const topology = engine.topology;
      const scanPages = o.scanSizeMb * 256;
      const walk = createWalkBatch(4096);

      /** get_mm_rss: the task's mapped pages. */
      const rssOf = (task: PlatformTask) => {
        let rss = 0;
        for (let start = 0; start < task.pages; start += walk.pfn.length) {
          const n = Math.min(walk.pfn.length, task.pages - start);
          platform.walk(task.id, start, n, walk);
          for (let i = 0; i < n; i++) if (walk.pfn[i]! >= 0) rss++;
        }
        return rss;
      };

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

      /** task_numa_work's budget: scan_size_mb where PTEs changed, 8× that in all, ending at the end of the address space. */
      const scan = (task: PlatformTask, s: ScanState, now: number) => {
        let pages = scanPages;
        let virtpages = scanPages * 8;
        let start = s.cursor >= task.pages ? 0 : s.cursor;
        let updated = 0;
        while (start < task.pages) {
          const end = Math.min(Math.ceil((start + pages) / HPAGE_PAGES) * HPAGE_PAGES, task.pages);
          const changed = platform.changeProtNuma(task.id, start, end - start, now);
          updated += changed;
          if (changed > 0) pages -= end - start;
          virtpages -= end - start;
          start = end;
          if (pages <= 0 || virtpages <= 0) break;
        }
        s.cursor = start;
        c.add(pteUpdates, updated);
        platform.chargeOverhead('numaPteUpdates', updated, o.pteUpdateNs, task.id);
        return updated;
      };

      engine.hooks.tick.tap(NAME, ({ now }) => {
        for (const task of platform.tasks()) {
          let s = state.get(task.id);
          if (!s) state.set(task.id, (s = { nodeStamp: 0, period: o.mode === 'tiering' ? o.scanDelayMs : o.scanPeriodMinMs, nextScan: o.scanDelayMs, cursor: 0, local: 0, remote: 0, scans: 0 }));
          if (o.mode === 'balancing') {
            if (now < s.nextScan) continue;
            // adapt the period to the faults of the last scan window (none before the first scan)
            if (s.scans++ > 0) {
              if (s.local + s.remote === 0 || s.remote * 10 < (s.local + s.remote) * 3) s.period = Math.min(s.period * 2, o.scanPeriodMaxMs);
              else s.period = Math.max(Math.floor(s.period / 2), o.scanPeriodMinMs);
            }
            s.local = s.remote = 0;
            s.nextScan = now + s.period;
            scan(task, s, now);
            continue;
          }
          // task_tick_numa (the task runs all the time: its runtime is the clock)
          if (now <= s.nodeStamp + s.period) continue;
          const period = s.period;
          if (s.nodeStamp === 0) s.period = taskScanMinMs(rssOf(task), o.scanSizeMb, o.scanPeriodMinMs);
          s.nodeStamp += period;
          if (now < s.nextScan) continue;
          // task_numa_work
          s.nextScan = now + s.period;
          s.nodeStamp += 2 * TICK_MS;
          const updated = scan(task, s, now);
          // at least 32× the scan's own time runs other code before the next (the 3 % cap)
          s.nodeStamp += (32 * updated * o.pteUpdateNs) / 1e6;
        }
      });
    },
  });
  return Object.assign(plugin, { settings: Object.freeze({ ...o }) });
}
export default hintFaultSource;
