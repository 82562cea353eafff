import { createWalkBatch, defineSource, mulberry32, NUMA_NO_NODE, parsePluginOptions, type PghotPlugin } from '@pghot/core';
import { z } from 'zod';

export const optionsSchema = z
  .strictObject({
    /** DAMON sampling interval: one Accessed-bit check per region. */
    samplingIntervalMs: z.int().min(1).default(5),
    /** DAMON aggregation interval: regions are reported, merged and split. */
    aggregationIntervalMs: z.int().min(1).default(100),
    minRegions: z.int().min(1).default(10),
    maxRegions: z.int().min(3).default(1000),
    /** Report the pages of regions whose nr_accesses reached this share of the samples per aggregation. */
    hotAccessRate: z.number().gt(0).max(1).default(0.5),
    /** CPU time per Accessed-bit check (kdamond: background). */
    checkNs: z.number().min(0).default(15),
    /** false: the source is off (no work, its damon bit cleared); an explicit enabled_sources in the config still wins for the bit. */
    enable: z.boolean().default(true),
  })
  .refine((o) => o.maxRegions >= o.minRegions, { message: 'maxRegions must be >= minRegions', path: ['maxRegions'] })
  .refine((o) => o.aggregationIntervalMs >= o.samplingIntervalMs, { message: 'aggregationIntervalMs must be >= samplingIntervalMs', path: ['aggregationIntervalMs'] });
export type DamonOptions = z.input<typeof optionsSchema>;
export const NAME = 'source-damon';
/** The source name this plugin registers: bit 1 << id in enabled_sources, counter pghot_recorded_damon. */
export const SOURCE = 'damon';

/** DAMON's regions of one address space, as parallel arrays ordered by start page. */
export class Regions {
  start: number[] = [];
  end: number[] = [];
  nrAccesses: number[] = [];
  age: number[] = [];
  lastNrAccesses: number[] = [];
  samplePage: number[] = [];
  get length(): number {
    return this.start.length;
  }
  push(start: number, end: number, nr = 0, age = 0, last = 0): void {
    this.start.push(start);
    this.end.push(end);
    this.nrAccesses.push(nr);
    this.age.push(age);
    this.lastNrAccesses.push(last);
    this.samplePage.push(start);
  }
}

/** Even split of [0, pages) into `n` regions (DAMON's initial regions). */
export function initialRegions(pages: number, n: number): Regions {
  const r = new Regions();
  const k = Math.max(1, Math.min(n, pages));
  for (let i = 0; i < k; i++) r.push(Math.floor((i * pages) / k), Math.floor(((i + 1) * pages) / k));
  return r;
}

/**
 * kdamond_merge_regions: merge neighbours whose nr_accesses differ by at most `threshold`, while
 * the merged size stays within `sizeLimit`; nr_accesses and age become size-weighted means.
 */
export function mergeRegions(r: Regions, threshold: number, sizeLimit: number): Regions {
  const out = new Regions();
  for (let i = 0; i < r.length; i++) {
    const last = out.length - 1;
    const size = r.end[i]! - r.start[i]!;
    if (last >= 0 && Math.abs(out.nrAccesses[last]! - r.nrAccesses[i]!) <= threshold && out.end[last]! - out.start[last]! + size <= sizeLimit) {
      const a = out.end[last]! - out.start[last]!;
      out.nrAccesses[last] = Math.floor((out.nrAccesses[last]! * a + r.nrAccesses[i]! * size) / (a + size));
      out.age[last] = Math.floor((out.age[last]! * a + r.age[i]! * size) / (a + size));
      out.end[last] = r.end[i]!;
    } else out.push(r.start[i]!, r.end[i]!, r.nrAccesses[i]!, r.age[i]!, r.lastNrAccesses[i]!);
  }
  return out;
}

/** kdamond_split_regions: each region of 2+ pages splits in two at a random point (10 %..90 %). */
export function splitRegions(r: Regions, random: () => number): Regions {
  const out = new Regions();
  for (let i = 0; i < r.length; i++) {
    const s = r.start[i]!;
    const e = r.end[i]!;
    if (e - s < 2) {
      out.push(s, e, r.nrAccesses[i]!, r.age[i]!, r.lastNrAccesses[i]!);
      continue;
    }
    const cut = s + Math.max(1, Math.min(e - s - 1, Math.floor((e - s) * (0.1 + 0.8 * random()))));
    out.push(s, cut, r.nrAccesses[i]!, r.age[i]!, r.lastNrAccesses[i]!);
    out.push(cut, e, r.nrAccesses[i]!, r.age[i]!, r.lastNrAccesses[i]!);
  }
  return out;
}

/**
 * DAMON-style monitoring as a pghot source (no kernel posting has it): per process address space
 * (vaddr), regions adapt between minRegions and maxRegions; every sampling interval one random
 * page per region has its Accessed bit checked (and cleared for the next check); every
 * aggregation interval the pages of regions at or above hotAccessRate are reported (nid
 * NUMA_NO_NODE, time = now; lower-tier pages only), then regions age, merge and split.
 * Counters: damon_checks, damon_reported_pages.
 */
export function damonSource(options: DamonOptions = {}): PghotPlugin {
  const o = parsePluginOptions(NAME, optionsSchema, options);
  const samplesPerAggr = Math.floor(o.aggregationIntervalMs / o.samplingIntervalMs);
  const hotNr = Math.max(1, Math.ceil(samplesPerAggr * o.hotAccessRate));
  return defineSource({
    name: NAME,
    version: '0.1.0',
    core: '>=0.1.0 <1.0.0',
    requires: ['tasks', 'accessedBit', 'overhead'],
    apply(engine) {
      const src = engine.registerSource(SOURCE);
      engine.enableSource(src, o.enable);
      const checks = engine.counters.register('damon_checks');
      const reportedPages = engine.counters.register('damon_reported_pages');
      /** Per task id. */
      const regions = new Map<number, Regions>();
      const taskPages = new Map<number, number>();
      regionsByEngine.set(engine, regions);
      if (!o.enable) return; // off: no sampling, nothing recorded
      const platform = engine.platform;
      const topology = engine.topology;
      let random = mulberry32(1);
      let nextSample = o.samplingIntervalMs;
      let nextAggr = o.aggregationIntervalMs;
      let batch = new Float64Array(4096);
      const one = createWalkBatch(1);
      const young = new Uint8Array(1);
      const walk = createWalkBatch(4096);

      engine.hooks.init.tapPromise(NAME, async () => {
        random = mulberry32((platform.seed ^ 0xda4) >>> 0);
        for (const task of platform.tasks()) {
          regions.set(task.id, initialRegions(task.pages, o.minRegions));
          taskPages.set(task.id, task.pages);
        }
      });

      engine.hooks.tick.tap(NAME, ({ now }) => {
        while (now >= nextSample) {
          nextSample += o.samplingIntervalMs;
          let n = 0;
          for (const [task, r] of regions) {
            for (let i = 0; i < r.length; i++) {
              // check the page sampled last time, then pick and clear the next one (per region, in
              // this order: a region's new sample may be another's old one)
              platform.walk(task, r.samplePage[i]!, 1, one);
              if (one.head[0]! >= 0) {
                platform.testYoung(one.head, 1, young, false);
                if (young[0] === 1) r.nrAccesses[i]!++;
              }
              const page = r.start[i]! + Math.floor(random() * (r.end[i]! - r.start[i]!));
              r.samplePage[i] = page;
              platform.walk(task, page, 1, one);
              if (one.head[0]! >= 0) platform.mkold(one.head, 1);
              n++;
            }
          }
          engine.counters.add(checks, n);
          platform.chargeOverhead('damonChecks', n, o.checkNs, null);
        }
        if (now < nextAggr) return;
        nextAggr += o.aggregationIntervalMs;
        for (const [task, r] of regions) {
          const pages = taskPages.get(task)!;
          let n = 0;
          for (let i = 0; i < r.length; i++) {
            if (r.nrAccesses[i]! < hotNr) continue;
            for (let start = r.start[i]!; start < r.end[i]!; start += walk.pfn.length) {
              const count = Math.min(walk.pfn.length, r.end[i]! - start);
              platform.walk(task, start, count, walk);
              for (let k = 0; k < count; k++) {
                const pfn = walk.pfn[k]!;
                if (pfn < 0 || topology.isTopTierPfn(pfn)) continue;
                if (n === batch.length) {
                  const grown = new Float64Array(batch.length * 2);
                  grown.set(batch);
                  batch = grown;
                }
                batch[n++] = pfn;
              }
            }
          }
          if (n > 0) engine.recordAccesses(src, batch, NUMA_NO_NODE, now, n);
          engine.counters.add(reportedPages, n);
          // age: reset when the access rate changed markedly, else grow
          for (let i = 0; i < r.length; i++) {
            r.age[i] = Math.abs(r.nrAccesses[i]! - r.lastNrAccesses[i]!) > Math.max(1, samplesPerAggr / 10) ? 0 : r.age[i]! + 1;
            r.lastNrAccesses[i] = r.nrAccesses[i]!;
          }
          let next = mergeRegions(r, Math.max(1, Math.floor(samplesPerAggr / 10)), Math.max(1, Math.floor(pages / o.minRegions)));
          if (next.length <= o.maxRegions / 2) next = splitRegions(next, random);
          for (let i = 0; i < next.length; i++) next.nrAccesses[i] = 0;
          regions.set(task, next);
        }
      });
    },
  });
}
export default damonSource;

const regionsByEngine = new WeakMap<object, Map<number, Regions>>();
/** The current regions of each task (by id) monitored for an engine (for tests and tools). */
export function damonRegions(engine: object): ReadonlyMap<number, Regions> | undefined {
  return regionsByEngine.get(engine);
}
