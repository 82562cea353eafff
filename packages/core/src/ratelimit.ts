import { MAX_NUMNODES, mbToPages } from './constants.js';

/** Outcome of should_migrate for one candidate folio. */
export const Verdict = Object.freeze({
  /** Target has plenty of free space: promoted without threshold or rate limit (pgpromote_candidate_nrl). */
  BYPASS: 1,
  /** Recent enough and within the rate limit. */
  PASS: 2,
  /** Latency since the last access >= the (dynamic) threshold. */
  REJECT_LATENCY: -1,
  /** Over the per-second candidate budget of the target node. */
  REJECT_RATE_LIMIT: -2,
} as const);
export type Verdict = (typeof Verdict)[keyof typeof Verdict];

/** NUMA_MIGRATION_ADJUST_STEPS: the threshold moves by ref * 2 / 16 per adjustment. */
const ADJUST_STEPS = 16;
/** The threshold adjustment period: 60 s (mainline used sysctl_numa_balancing_scan_period_max). */
export const THRESHOLD_PERIOD_MS = 60_000;
const RATE_LIMIT_PERIOD_MS = 1000;

/**
 * NUMAB2's promotion rate limit and dynamic hot threshold (numa_promotion_rate_limit,
 * numa_promotion_adjust_threshold), kept per target node as pghot does. State starts at zero, as
 * the kernel's pglist_data fields do, so the first adjustment comes after 60 s of uptime.
 */
export class PromotionRateLimiter {
  /** nbp_threshold: 0 means "use the reference threshold". */
  readonly threshold = new Float64Array(MAX_NUMNODES);
  readonly thresholdStartMs = new Float64Array(MAX_NUMNODES);
  readonly thresholdCandidateSnap = new Float64Array(MAX_NUMNODES);
  readonly rateLimitStartMs = new Float64Array(MAX_NUMNODES);
  readonly rateLimitCandidateSnap = new Float64Array(MAX_NUMNODES);
  /** node_page_state(target, PGPROMOTE_CANDIDATE). */
  readonly candidates = new Float64Array(MAX_NUMNODES);

  /**
   * should_migrate for a folio of `nrPages` whose last access was `latencyMs` ago, at `nowMs`.
   * `refMs` is promote_freq_window_ms; `freeSpaceEnough` is pgdat_free_space_enough(target);
   * `periodMs` is the threshold adjustment period (pghot: 60 s; mainline NUMAB2:
   * numa_balancing_scan_period_max_ms), which also sizes ref_cand.
   */
  shouldMigrate(nrPages: number, target: number, latencyMs: number, nowMs: number, refMs: number, rateLimitMBps: number, freeSpaceEnough: boolean, periodMs = THRESHOLD_PERIOD_MS): Verdict {
    if (freeSpaceEnough) {
      // workload changed: reset the hot threshold
      this.threshold[target] = 0;
      return Verdict.BYPASS;
    }
    const rateLimitPages = mbToPages(rateLimitMBps);
    this.adjustThreshold(target, nowMs, refMs, rateLimitPages, periodMs);
    const th = this.threshold[target] || refMs;
    if (latencyMs >= th) return Verdict.REJECT_LATENCY;
    return this.rateLimited(target, nowMs, rateLimitPages, nrPages) ? Verdict.REJECT_RATE_LIMIT : Verdict.PASS;
  }

  /** The threshold in force for a target: the dynamic one, or the reference when it is 0. */
  currentThreshold(target: number, refMs: number): number {
    return this.threshold[target] || refMs;
  }

  private adjustThreshold(target: number, nowMs: number, refMs: number, rateLimitPages: number, periodMs: number): void {
    if (!(nowMs - this.thresholdStartMs[target]! > periodMs)) return;
    this.thresholdStartMs[target] = nowMs;
    const refCandidates = Math.floor((rateLimitPages * periodMs) / 1000);
    const candidates = this.candidates[target]!;
    const diff = candidates - this.thresholdCandidateSnap[target]!;
    const unit = Math.floor((refMs * 2) / ADJUST_STEPS);
    let th = this.threshold[target] || refMs;
    // integer arithmetic as in C: ref_cand * 11 / 10 truncates; th and unit are unsigned int, so
    // th - unit wraps when a smaller threshold survives a larger reference (max() then keeps the wrap)
    if (diff > Math.floor((refCandidates * 11) / 10)) th = Math.max((th - unit) >>> 0, unit);
    else if (diff < Math.floor((refCandidates * 9) / 10)) th = Math.min(th + unit, refMs * 2);
    this.thresholdCandidateSnap[target] = candidates;
    this.threshold[target] = th;
  }

  private rateLimited(target: number, nowMs: number, rateLimitPages: number, nrPages: number): boolean {
    const candidates = (this.candidates[target]! += nrPages);
    if (nowMs - this.rateLimitStartMs[target]! > RATE_LIMIT_PERIOD_MS) {
      this.rateLimitStartMs[target] = nowMs;
      this.rateLimitCandidateSnap[target] = candidates;
    }
    return candidates - this.rateLimitCandidateSnap[target]! >= rateLimitPages;
  }
}
