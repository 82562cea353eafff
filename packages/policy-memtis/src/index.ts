import { definePolicy, parsePluginOptions, Stage, TaskPageIndex, type PghotPlugin } from '@pghot/core';
import { getSampleHooks } from '@pghot/source-hwsample';
import { z } from 'zod';

export const optionsSchema = z.strictObject({
  /** Recompute the hot threshold every this many samples (Memtis: 100k). */
  adaptEverySamples: z.int().min(1).default(100_000),
  /** Halve every count every this many samples (Memtis: 2M). */
  coolEverySamples: z.int().min(1).default(2_000_000),
  /** Promotion watermark: keep this share of the fast tier free when promoting (3 %). */
  promoteWatermark: z.number().min(0).max(0.5).default(0.03),
  /** Demotion watermark: demote below-warm pages when free space falls under this share (2 %). */
  demoteWatermark: z.number().min(0).max(0.5).default(0.02),
  /** kmigraterd period. */
  periodMs: z.int().min(1).default(500),
  minHotBin: z.int().min(0).max(15).default(1),
});
export type MemtisOptions = z.input<typeof optionsSchema>;
export const NAME = 'policy-memtis';
export const BINS = 16;

/** The histogram bin of an access count: min(15, floor(log2(count + 1))). */
export const binOf = (count: number): number => Math.min(BINS - 1, Math.floor(Math.log2(count + 1)));

/**
 * Memtis's threshold rule: walking bins from 15 down, the hot threshold is the lowest bin whose
 * cumulative page count still fits `capPages` (not below `minHotBin`); warm is one bin lower when
 * the accepted pages fill less than 75 % of the capacity.
 */
export function memtisThresholds(histogram: readonly number[], capPages: number, minHotBin = 1): { hot: number; warm: number } {
  let hot = BINS; // BINS: nothing is hot (not even the top bin fits)
  let accepted = 0;
  for (let bin = BINS - 1; bin >= minHotBin; bin--) {
    if (accepted + histogram[bin]! > capPages) break;
    accepted += histogram[bin]!;
    hot = bin;
  }
  const warm = accepted < 0.75 * capPages ? Math.max(0, hot - 1) : hot;
  return { hot, warm };
}

/**
 * Memtis (SOSP'23) over PEBS samples: a per-page count and a 16-bin log2 histogram; the hot
 * threshold is derived from the fast tier's capacity every adaptEverySamples; every periodMs,
 * slow pages at or above the hot bin are promoted while the fast tier stays above its promotion
 * watermark, and fast pages below the warm bin are demoted while it is under its demotion watermark.
 * Counts halve every coolEverySamples.
 */
export function memtisPolicy(options: MemtisOptions = {}): PghotPlugin {
  const o = parsePluginOptions(NAME, optionsSchema, options);
  return definePolicy({
    name: NAME,
    reads: ['source-hwsample'],
    version: '0.1.0',
    core: '>=0.1.0 <1.0.0',
    dependsOn: ['source-hwsample'],
    requires: ['tasks', 'demote', 'memory'],
    apply(engine) {
      engine.hooks.shouldMigrate.tap({ name: NAME, stage: Stage.VETO }, () => false);
      const platform = engine.platform;
      const topology = engine.topology;
      let pages: TaskPageIndex | null = null;
      let counts = new Float64Array(0);
      let pfnOf = new Float64Array(0);
      let index = new Float64Array(0);
      const histogram = new Array<number>(BINS).fill(0);
      let samples = 0;
      let threshold = { hot: BINS, warm: BINS };
      let next = o.periodMs;
      const one = new Float64Array(1);
      const moved = new Uint8Array(1);
      const adapt = () => {
        const cap = topology.topTierNodeIds.reduce((a, nid) => {
          const n = topology.node(nid)!.pages;
          return a + n - Math.ceil(n * o.promoteWatermark);
        }, 0);
        threshold = memtisThresholds(histogram, cap, o.minHotBin);
      };
      getSampleHooks(engine).samples.tap(NAME, (b) => {
        if (!pages) {
          pages = new TaskPageIndex(platform);
          counts = new Float64Array(pages.size);
          pfnOf = new Float64Array(pages.size);
        }
        if (index.length < b.length) index = new Float64Array(b.length);
        pages.ofPfns(b.pfn, b.length, index);
        for (let i = 0; i < b.length; i++) {
          const g = index[i]!;
          if (g < 0) continue;
          const before = binOf(counts[g]!);
          const after = binOf(++counts[g]!);
          if (counts[g] === 1) histogram[after]!++;
          else if (after !== before) {
            histogram[before]!--;
            histogram[after]!++;
          }
          samples++;
          if (samples % o.coolEverySamples === 0) {
            histogram.fill(0);
            for (let p = 0; p < counts.length; p++) {
              counts[p] = Math.floor(counts[p]! / 2);
              if (counts[p]! > 0) histogram[binOf(counts[p]!)]!++;
            }
          }
          if (samples % o.adaptEverySamples === 0) adapt();
        }
      });
      engine.hooks.tick.tapPromise(NAME, async ({ now }) => {
        if (now < next || pages === null) return;
        next = now + o.periodMs;
        const cap = engine.memory!.capacity!;
        for (const nid of topology.topTierNodeIds) {
          const size = topology.node(nid)!.pages;
          const promoWm = Math.ceil(size * o.promoteWatermark);
          const demoteWm = Math.ceil(size * o.demoteWatermark);
          const toPromote: number[] = [];
          const toDemote: number[] = [];
          pages.snapshot(pfnOf); // where every page is now (the previous node's round moved some)
          for (let g = 0; g < counts.length; g++) {
            if (counts[g] === 0) continue;
            const pfn = pfnOf[g]!;
            if (pfn < 0) continue;
            const bin = binOf(counts[g]!);
            if (!topology.isTopTierPfn(pfn) && bin >= threshold.hot) toPromote.push(pfn);
            else if (topology.isTopTierPfn(pfn) && bin < threshold.warm) toDemote.push(pfn);
          }
          for (const pfn of toDemote) {
            if (cap.freePages(nid) >= demoteWm) break;
            one[0] = engine.memory!.folioHead(pfn);
            platform.demoteFolios(one, 1, 'pgdemote_direct', moved);
          }
          const room = Math.max(0, cap.freePages(nid) - promoWm);
          if (toPromote.length > 0 && room > 0) await engine.promoteFolios(nid, toPromote.slice(0, room), now);
        }
      });
    },
  });
}
export default memtisPolicy;
