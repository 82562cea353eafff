import type { MoveKind } from './migration.js';
import type { AddressSpace, Simulation } from './sim.js';

const FINE_MS = 100;

export interface IntervalPoint {
  tMs: number;
  accesses: number;
  fastTierHitRatio: number;
  /** The interval top-K oracle's hit ratio in this interval (LLC hits count as fast, as in the policy's). */
  oracleHitRatio: number;
  /** The no-promotion run's hit ratio in the interval ending at the same time; null when not run or it had ended. */
  noPromotionHitRatio: number | null;
  promotedPages: number;
  demotedPages: number;
  /** Ping-pong events (a promotion and a demotion of one page within the window) in this interval. */
  pingPong: number;
  /** Temperature sources' modelled CPU time in this interval (foreground and background). */
  sourceOverheadNs: number;
  /** kmigrated's should_migrate threshold (NUMAB2's dynamic hot threshold) per top-tier node id, at the interval's end. */
  hotThresholdMs: Record<string, number>;
}

/** How fast a policy recovered from one hot-set shift. */
export interface Reaction {
  shiftMs: number;
  /** The interval top-K oracle's hit ratio from this shift to the next (or the end). */
  oracleHitRatio: number;
  /** ms until the 100 ms hit ratio reached 90 % of it; null when it did not (see reason). */
  timeMs: number | null;
  reason: string | null;
}

export interface OverheadEntry {
  count: number;
  ns: number;
  foreground: boolean;
}

/** Run measurements gathered while the simulation runs: totals, per-interval series, migrations, ping-pong, overheads. */
export class Metrics {
  readonly topTierByIndex: Uint8Array;
  fast = 0;
  slow = 0;
  promotedFolios = 0;
  promotedPages = 0;
  demotedFolios = 0;
  demotedPages = 0;
  /** Promotion and demotion copy time; a placement's is placementNs. */
  migrationNs = 0;
  /** Moves by migratepages (`moveAt`): a placement event, neither promotion nor demotion. */
  placementFolios = 0;
  placementPages = 0;
  placementNs = 0;
  pingPong = 0;
  readonly series: IntervalPoint[] = [];
  /** FTHR per 100 ms, for reaction times. */
  readonly fineFast: number[] = [];
  readonly fineTotal: number[] = [];
  readonly overheads = new Map<string, OverheadEntry>();
  readonly #sim: Simulation;
  #hintFaults = 0;
  #hintFaultNs = 0;
  #iFast = 0;
  #iSlow = 0;
  #iPromoted = 0;
  #iDemoted = 0;
  #iPingPong = 0;
  #iLlcHits = 0;
  #overheadNsAtInterval = 0;
  #fFast = 0;
  #fTotal = 0;
  #lastIntervalMs = 0;

  constructor(sim: Simulation) {
    this.#sim = sim;
    this.topTierByIndex = Uint8Array.from(sim.machine.nodes.map((n) => (n.topTier ? 1 : 0)));
  }

  /** `fast` includes `llcHits`. */
  accesses(fast: number, slow: number, llcHits: number): void {
    this.fast += fast;
    this.slow += slow;
    this.#iFast += fast;
    this.#iSlow += slow;
    this.#iLlcHits += llcHits;
    this.#fFast += fast;
    this.#fTotal += fast + slow;
  }

  hintFault(ns: number): void {
    this.#hintFaults++;
    this.#hintFaultNs += ns;
  }

  overhead(kind: string, count: number, ns: number, foreground: boolean): void {
    const e = this.overheads.get(kind) ?? { count: 0, ns: 0, foreground };
    e.count += count;
    e.ns += ns;
    this.overheads.set(kind, e);
  }

  /**
   * A folio of `pages` moved; promotions and demotions of the same virtual page within the window
   * are ping-pong. A placement counts apart, and leaves the ping-pong marks alone.
   */
  migrated(mm: AddressSpace, vbase: number, fromPfn: number, pages: number, kind: MoveKind, ns: number): void {
    if (kind === 'placement') {
      this.placementFolios++;
      this.placementPages += pages;
      this.placementNs += ns;
      return;
    }
    const now = this.#sim.nowMs;
    const window = this.#sim.options.pingPongWindowMs;
    this.migrationNs += ns;
    if (kind === 'promotion') {
      this.promotedFolios++;
      this.promotedPages += pages;
      this.#iPromoted += pages;
      this.#sim.heatmap.promoted(mm.base + vbase, fromPfn, pages);
      const demoted = mm.lastDemoteMs[vbase]!;
      if (demoted !== 0 && now - demoted <= window) this.#pingPong();
      mm.lastPromoteMs[vbase] = now;
    } else {
      this.demotedFolios++;
      this.demotedPages += pages;
      this.#iDemoted += pages;
      const promoted = mm.lastPromoteMs[vbase]!;
      if (promoted !== 0 && now - promoted <= window) this.#pingPong();
      mm.lastDemoteMs[vbase] = now;
    }
  }

  #pingPong(): void {
    this.pingPong++;
    this.#iPingPong++;
  }

  /** Every source's modelled CPU time so far: hint faults, PMU samples and what sources charged. */
  sourceOverheadNs(): number {
    let ns = this.#hintFaultNs;
    const s = this.#sim.sampler;
    if (s) ns += s.totalEvents * s.options.costNs;
    for (const e of this.overheads.values()) ns += e.ns;
    return ns;
  }

  /** End of a 1 ms quantum at `nowMs`. */
  quantum(nowMs: number): void {
    if (nowMs % FINE_MS === 0) this.#closeFine();
    if (nowMs - this.#lastIntervalMs >= this.#sim.options.intervalMs) this.#closeInterval(nowMs);
  }

  #closeFine(): void {
    this.#sim.heatmap.closeFine(this.#sim.nowMs);
    this.fineFast.push(this.#fFast);
    this.fineTotal.push(this.#fTotal);
    this.#fFast = 0;
    this.#fTotal = 0;
  }

  #closeInterval(nowMs: number): void {
    const sim = this.#sim;
    const total = this.#iFast + this.#iSlow;
    const oracle = sim.oracles.closeInterval();
    const overheadNs = this.sourceOverheadNs();
    const engine = sim.engine;
    const hotThresholdMs: Record<string, number> = {};
    for (const n of sim.machine.nodes) if (n.topTier) hotThresholdMs[n.id] = engine.rateLimiter.currentThreshold(n.id, engine.tunables.promote_freq_window_ms);
    this.series.push({
      tMs: nowMs,
      accesses: total,
      fastTierHitRatio: total === 0 ? 0 : this.#iFast / total,
      oracleHitRatio: total === 0 ? 0 : (oracle.hits + this.#iLlcHits) / (oracle.all + this.#iLlcHits),
      noPromotionHitRatio: null,
      promotedPages: this.#iPromoted,
      demotedPages: this.#iDemoted,
      pingPong: this.#iPingPong,
      sourceOverheadNs: overheadNs - this.#overheadNsAtInterval,
      hotThresholdMs,
    });
    this.#overheadNsAtInterval = overheadNs;
    this.#iFast = this.#iSlow = this.#iPromoted = this.#iDemoted = this.#iPingPong = this.#iLlcHits = 0;
    this.#lastIntervalMs = nowMs;
  }

  /** Close the partial last interval (at the end of the run). */
  finish(nowMs: number): void {
    if (this.#fTotal > 0) this.#closeFine();
    this.#sim.heatmap.finish(nowMs);
    if (nowMs > this.#lastIntervalMs) this.#closeInterval(nowMs);
  }

  hintFaultOverhead(): OverheadEntry {
    return { count: this.#hintFaults, ns: this.#hintFaultNs, foreground: true };
  }

  /** The hit ratio of the 100 ms buckets from `fromMs` on (null when none has accesses). */
  hitRatioFrom(fromMs: number): number | null {
    let fast = 0;
    let total = 0;
    for (let i = Math.ceil(fromMs / FINE_MS); i < this.fineTotal.length; i++) {
      fast += this.fineFast[i]!;
      total += this.fineTotal[i]!;
    }
    return total === 0 ? null : fast / total;
  }

  /**
   * Reaction time after each hot-set shift: from the shift until the policy's 100 ms hit ratio
   * first reaches 90 % of what the interval top-K oracle reached after it (its intervals from the
   * shift to the next shift or the end). null, with the reason, when it does not before the next
   * shift, or when the oracle had nothing to reach.
   */
  reactions(shiftsMs: readonly number[], oracle: readonly { endMs: number; hits: number; all: number }[], endMs: number): Reaction[] {
    const ratio = (i: number) => (this.fineTotal[i]! > 0 ? this.fineFast[i]! / this.fineTotal[i]! : 0);
    return shiftsMs.map((s, k) => {
      const until = shiftsMs[k + 1] ?? endMs;
      let hits = 0;
      let all = 0;
      for (const o of oracle) {
        if (o.endMs > s && o.endMs <= until) {
          hits += o.hits;
          all += o.all;
        }
      }
      if (all === 0 || hits === 0) return { shiftMs: s, oracleHitRatio: 0, timeMs: null, reason: 'the interval oracle has no fast-tier hits after this shift' };
      const oracleHitRatio = Number((hits / all).toFixed(6));
      const goal = 0.9 * (hits / all);
      const last = Math.min(this.fineTotal.length, Math.ceil(until / FINE_MS));
      for (let i = Math.round(s / FINE_MS); i < last; i++) if (ratio(i) >= goal) return { shiftMs: s, oracleHitRatio, timeMs: (i + 1) * FINE_MS - s, reason: null };
      return { shiftMs: s, oracleHitRatio, timeMs: null, reason: `never reached 90 % of the interval oracle's post-shift hit ratio (${oracleHitRatio}) before ${until === endMs ? 'the end of the run' : 'the next shift'}` };
    });
  }

}
