import { definePolicy, parsePluginOptions, PromotionRateLimiter, Stage, Verdict, type PghotPlugin } from '@pghot/core';
import { z } from 'zod';

export const optionsSchema = z.strictObject({
  /** numa_balancing_hot_threshold_ms: a fault this soon after the scan means hot. */
  hotThresholdMs: z.int().min(1).default(1000),
  /** numa_balancing_promote_rate_limit_MBps, per fast node. */
  promoteRateLimitMBps: z.int().min(0).default(65_536),
  /** TPP: kswapd keeps demoteScaleFactor of each fast node free (demotion headroom). */
  tppHeadroom: z.boolean().default(false),
  demoteScaleFactor: z.number().min(0).max(0.5).default(0.02),
});
export type Numab2Options = z.input<typeof optionsSchema>;
export const NAME = 'policy-numab2';

const ONE_GIB_PAGES = 262_144;
const states = new WeakMap<object, PromotionRateLimiter>();
/** The per-fast-node NUMAB2 state (threshold, rate-limit windows) of an engine, for tests and tools. */
export const numab2State = (engine: object): PromotionRateLimiter | undefined => states.get(engine);

/**
 * NUMA balancing memory-tiering mode as in mainline before pghot: on a hint fault on a slow page
 * from a CPU of another node (the target: mpol_misplaced's node of the faulting CPU), promote if it has room above its promo watermark + max(1 GiB, node/16); otherwise if
 * the scan → fault latency is under the threshold (hotThresholdMs, auto-adjusted every 60 s by
 * 1/8 of it toward the rate limit, every numa_balancing_scan_period_max_ms: the hint-fault source's) and within the per-second rate limit. Promotions happen from
 * the fault path (queued, moved at the end of the quantum); pghot's kmigrated is vetoed. With
 * tppHeadroom, kswapd demotes until demoteScaleFactor of the fast node is free.
 */
export function numab2Policy(options: Numab2Options = {}): PghotPlugin {
  const o = parsePluginOptions(NAME, optionsSchema, options);
  return definePolicy({
    name: NAME,
    reads: ['source-hintfault'],
    version: '0.1.0',
    core: '>=0.1.0 <1.0.0',
    dependsOn: ['source-hintfault'],
    requires: ['protnone', 'demote', 'memory'],
    apply(engine) {
      const limiter = new PromotionRateLimiter();
      states.set(engine, limiter);
      const candidate = engine.counters.register('pgpromote_candidate');
      const candidateNrl = engine.counters.register('pgpromote_candidate_nrl');
      const queue = new Map<number, number[]>();
      // NUMAB2 decides at fault time: pghot's own pass promotes nothing
      engine.hooks.shouldMigrate.tap({ name: NAME, stage: Stage.VETO }, () => false);
      const topology = engine.topology;
      const platform = engine.platform;
      // mainline's threshold period and ref_cand: numa_balancing_scan_period_max_ms, the hint-fault source's
      const scanPeriodMaxMs = (engine.plugins.find((p) => p.name === 'source-hintfault') as { settings?: { scanPeriodMaxMs?: number } } | undefined)?.settings?.scanPeriodMaxMs ?? 60_000;
      engine.platform.hooks.hintFaults.tap(NAME, (b) => {
        const mem = engine.memory!;
        const cap = mem.capacity!;
        for (let i = 0; i < b.length; i++) {
          const pfn = b.pfn[i]!;
          if (topology.isTopTierPfn(pfn)) continue;
          // mpol_misplaced: the faulting CPU's node is the target; a page already there is local
          const target = b.nid[i]!;
          if (topology.nodeOf(pfn) === target) continue;
          const head = mem.folioHead(pfn);
          const nr = mem.folioNrPages(head);
          const size = topology.node(target)!.pages;
          const freeEnough = cap.freePages(target) > cap.promoWatermarkPages(target) + Math.max(ONE_GIB_PAGES, Math.floor(size / 16));
          const v = limiter.shouldMigrate(nr, target, b.latencyMs[i]!, b.timeMs[i]!, o.hotThresholdMs, o.promoteRateLimitMBps, freeEnough, scanPeriodMaxMs);
          // numa_promotion_rate_limit counts candidates before migrate_misplaced_folio_prepare isolates
          if (v === Verdict.BYPASS) engine.counters.add(candidateNrl, nr);
          else if (v !== Verdict.REJECT_LATENCY) engine.counters.add(candidate, nr);
          if (v !== Verdict.BYPASS && v !== Verdict.PASS) continue;
          // migrate_misplaced_folio_prepare: the fast node must stay above high + nr, else kswapd; then the LRU isolation
          if (!(cap.freePages(target) > cap.highWatermarkPages(target) + nr)) {
            cap.wakeKswapd(target, nr);
            continue;
          }
          if (!mem.folioOnLru(head)) continue;
          let q = queue.get(target);
          if (!q) queue.set(target, (q = []));
          q.push(head);
        }
      });
      engine.hooks.tick.tapPromise(NAME, async ({ now }) => {
        for (const [target, heads] of queue) {
          if (heads.length === 0) continue;
          await engine.promoteFolios(target, heads.splice(0), now);
        }
        if (!o.tppHeadroom) return;
        for (const nid of topology.topTierNodeIds) {
          const headroom = Math.floor(topology.node(nid)!.pages * o.demoteScaleFactor);
          if (engine.memory!.capacity!.freePages(nid) < headroom) platform.demoteColdest(nid, headroom);
        }
      });
    },
  });
}
export default numab2Policy;
