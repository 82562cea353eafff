import { definePolicy, parsePluginOptions, Stage, TaskPageIndex, type PghotPlugin } from '@pghot/core';
import { getSampleHooks } from '@pghot/source-hwsample';
import { z } from 'zod';
import { ScoreRanker } from './rank.js';

export const optionsSchema = z.strictObject({
  intervalMs: z.int().min(1).default(500),
  shortWindowMs: z.int().min(1).default(1000),
  longWindowMs: z.int().min(1).default(10_000),
  /** Weight of writes in activity: 3 for PMEM, 1 for CXL or remote DRAM. */
  writeWeight: z.number().min(0).default(1),
  /** Accesses one sample stands for (the sampler's period), in the benefit estimate. */
  samplePeriod: z.number().min(1).default(5003),
});
export type ArmsOptions = z.input<typeof optionsSchema>;
export const NAME = 'policy-arms';

/** The EWMA weight of a window: α = 2 / (window / interval + 1). */
export const ewmaAlpha = (windowMs: number, intervalMs: number): number => 2 / (windowMs / intervalMs + 1);
export const BIAS = Object.freeze({ history: [0.4, 0.6], recency: [0.731, 0.269] } as const);

/**
 * ARMS's hot-set shift detector on slow-tier bandwidth B (GB/s), once a second: μ = EWMA(B, 0.1),
 * σ from an EWMA (0.2) of the squared deviation, S = max(0, S + (B − μ) − 0.5σ); a shift when
 * S > 6σ and B > 0.3 GB/s (then S resets), after a warm-up of 10 observations; back to history after
 * 20 periods with S ≤ 0.
 */
export class ShiftDetector {
  mu = 0;
  variance = 0;
  s = 0;
  quiet = 0;
  recency = false;
  #seen = 0;
  /** Observations before the detector may fire: μ and σ need a few to settle. */
  static readonly WARMUP = 10;
  observe(b: number): boolean {
    if (this.#seen++ === 0) {
      this.mu = b;
      return false;
    }
    const sigma = Math.sqrt(this.variance);
    this.s = Math.max(0, this.s + (b - this.mu) - 0.5 * sigma);
    let shifted = false;
    if (this.#seen > ShiftDetector.WARMUP && this.s > 6 * sigma && b > 0.3) {
      this.recency = true;
      this.s = 0;
      this.quiet = 0;
      shifted = true;
    } else if (this.s <= 0 && ++this.quiet >= 20) this.recency = false;
    this.variance = 0.8 * this.variance + 0.2 * (b - this.mu) ** 2;
    this.mu = 0.9 * this.mu + 0.1 * b;
    return shifted;
  }
}

/**
 * ARMS (2025) over PEBS samples, without thresholds: every interval, per-page activity feeds a
 * short and a long EWMA; pages rank by the biased score; pages in the top-K that fits the fast tier
 * gain hotAge (others reset); a page is promotable at hotAge > 1 with a score not falling. From the
 * hottest promotable slow page down, each migration must pay for itself: score × hotAge ×
 * samplePeriod × Δlat ≥ 1.5 × promotion cost (into free space), or the swap with the coldest fast
 * page outside the top-K must (min EWMA of the hot ≥ max EWMA of the cold); the first failure
 * stops the round, and at most interval / (promotion + demotion cost) pages move. A CUSUM detector
 * on slow-tier bandwidth switches the bias to recency on a hot-set shift.
 */
export function armsPolicy(options: ArmsOptions = {}): PghotPlugin {
  const o = parsePluginOptions(NAME, optionsSchema, options);
  const aS = ewmaAlpha(o.shortWindowMs, o.intervalMs);
  const aL = ewmaAlpha(o.longWindowMs, o.intervalMs);
  return definePolicy({
    name: NAME,
    reads: ['source-hwsample'],
    version: '0.1.0',
    core: '>=0.1.0 <1.0.0',
    dependsOn: ['source-hwsample'],
    requires: ['tasks', 'demote', 'memory'],
    apply(engine) {
      engine.hooks.shouldMigrate.tap({ name: NAME, stage: Stage.VETO }, () => false);
      let activity = new Float64Array(0);
      let eS = new Float64Array(0);
      let eL = new Float64Array(0);
      let score = new Float64Array(0);
      let hotAge = new Uint16Array(0);
      // per round, reused: the scores before it, the pages with a score, which are in the top-K
      let previous = new Float64Array(0);
      let touched = new Uint32Array(0);
      let inTop = new Uint8Array(0);
      const ranker = new ScoreRanker();
      let slowSamples = 0;
      let next = o.intervalMs;
      let nextSecond = 1000;
      const detector = new ShiftDetector();
      const platform = engine.platform;
      const topology = engine.topology;
      let pages: TaskPageIndex | null = null;
      let index = new Float64Array(0);
      let pfnOf = new Float64Array(0);
      const one = new Float64Array(1);
      const moved = new Uint8Array(1);
      getSampleHooks(engine).samples.tap(NAME, (b) => {
        if (!pages) {
          pages = new TaskPageIndex(platform);
          const n = pages.size;
          [activity, eS, eL, score, hotAge, pfnOf] = [new Float64Array(n), new Float64Array(n), new Float64Array(n), new Float64Array(n), new Uint16Array(n), new Float64Array(n)];
          [previous, touched, inTop] = [new Float64Array(n), new Uint32Array(n), new Uint8Array(n)];
        }
        if (index.length < b.length) index = new Float64Array(b.length);
        pages.ofPfns(b.pfn, b.length, index);
        for (let i = 0; i < b.length; i++) {
          const g = index[i]!;
          if (g < 0) continue;
          activity[g]! += b.write[i] === 1 ? o.writeWeight : 1;
          if (!topology.isTopTierPfn(b.pfn[i]!)) slowSamples++;
        }
      });
      engine.hooks.tick.tapPromise(NAME, async ({ now }) => {
        if (pages === null) return;
        if (now >= nextSecond) {
          nextSecond = now + 1000;
          detector.observe((slowSamples * o.samplePeriod * 64) / 1e9); // bytes per second, in GB/s
          slowSamples = 0;
        }
        if (now < next) return;
        next = now + o.intervalMs;
        const [bs, bl] = detector.recency ? BIAS.recency : BIAS.history;
        const n = activity.length;
        previous.set(score);
        let touchedCount = 0;
        for (let g = 0; g < n; g++) {
          eS[g] = (1 - aS) * eS[g]! + aS * activity[g]!;
          eL[g] = (1 - aL) * eL[g]! + aL * activity[g]!;
          score[g] = bs * eS[g]! + bl * eL[g]!;
          activity[g] = 0;
          if (score[g]! > 0) touched[touchedCount++] = g;
        }
        const ranked = ranker.rank(score, touched, touchedCount); // hottest first
        const cap = engine.memory!.capacity!;
        const fast = topology.topTierNodeIds;
        const k = fast.reduce((a, nid) => a + topology.node(nid)!.pages - cap.highWatermarkPages(nid), 0);
        const top = Math.max(0, Math.min(k, touchedCount));
        inTop.fill(0);
        for (let i = 0; i < top; i++) inTop[ranked[i]!] = 1;
        for (let g = 0; g < n; g++) hotAge[g] = inTop[g] === 1 ? Math.min(hotAge[g]! + 1, 65_535) : 0;
        // costs and latency gain from the machine
        const node = fast[0]!;
        const copyNs = platform.costs.migrateNsPerPage;
        const slowNode = topology.lowerTierNodeIds[0];
        if (slowNode === undefined) return;
        const dLat = platform.costs.accessLatencyNs(node, slowNode) - platform.costs.accessLatencyNs(node, node);
        pages.snapshot(pfnOf); // where each page is now: this round moves only pages it has looked up
        let budget = Math.floor((o.intervalMs * 1e6) / (2 * copyNs));
        let cold = touchedCount; // the pages outside the top-K, ranked[top..cold), taken coldest first
        const promote: number[] = [];
        for (const h of ranked) {
          if (budget <= 0 || inTop[h] === 0) break;
          const pfn = pfnOf[h]!;
          if (pfn < 0 || topology.isTopTierPfn(pfn) || hotAge[h]! <= 1 || score[h]! < previous[h]!) continue;
          const gain = hotAge[h]! * o.samplePeriod * dLat;
          if (cap.freePages(node) > cap.highWatermarkPages(node) + promote.length + 1) {
            if (score[h]! * gain < 1.5 * copyNs) break;
          } else {
            let c = -1;
            while (cold > top) {
              const cand = ranked[--cold]!;
              const cpfn = pfnOf[cand]!;
              if (cpfn >= 0 && topology.isTopTierPfn(cpfn)) {
                c = cand;
                break;
              }
            }
            if (c < 0) break;
            if (Math.min(eS[h]!, eL[h]!) < Math.max(eS[c]!, eL[c]!) || (score[h]! - score[c]!) * gain < 1.5 * 2 * copyNs) break;
            one[0] = engine.memory!.folioHead(pfnOf[c]!);
            platform.demoteFolios(one, 1, 'pgdemote_direct', moved);
          }
          promote.push(pfn);
          budget--;
        }
        if (promote.length > 0) await engine.promoteFolios(node, promote, now);
      });
    },
  });
}
export default armsPolicy;
