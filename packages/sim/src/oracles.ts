import { PAGE_SIZE } from '@pghot/core';
import type { Simulation } from './sim.js';
import { type Alloc, heapAlloc } from './replay-kernel.js';

export interface OracleResult {
  fastTierHitRatio: number;
  estimatedTimeNs: number;
}
export interface Oracles {
  allFast: OracleResult;
  staticTopK: OracleResult & { k: number };
  intervalTopK: OracleResult & { k: number; intervalMs: number; migratedPages: number; fastTierHitRatioAfterWarmUp: number | null };
}

/** The recorder's two counts of a (page, thread): in all, and in this interval. */
const TOTAL = 0;
const INTERVAL = 1;

/** Per-page access counts below this are counted in a histogram for the top K; above, sorted. */
const HISTOGRAM = 65_536;

/**
 * A page's accesses in `counts`: page-major, `threads` counts per page, each at `lane` of a group
 * of `stride` (the recorder keeps its total and interval counts side by side, stride 2).
 */
function pageSum(counts: Uint32Array, threads: number, g: number, lane: number, stride: number): number {
  if (threads === 1) return counts[g * stride + lane]!;
  let s = 0;
  for (let t = 0; t < threads; t++) s += counts[(g * threads + t) * stride + lane]!;
  return s;
}

/**
 * Mark in `fast` the `k` pages with the most accesses in `counts`, ties to the lower page index (the
 * first k of a sort by count, then index), without sorting: a histogram of the counts finds the
 * count where the k-th page falls; pages above it are in, pages at it are in by index. The few pages
 * of a count past the histogram are sorted. Linear, and no memory per page beyond `fast`.
 */
export function markTopK(counts: Uint32Array, threads: number, pages: number, k: number, fast: Uint8Array, histogram: Uint32Array, lane = 0, stride = 1): Uint8Array {
  const cap = histogram.length;
  const hist = histogram.fill(0);
  const big: number[] = [];
  fast.fill(0);
  for (let g = 0; g < pages; g++) {
    const s = pageSum(counts, threads, g, lane, stride);
    if (s === 0) continue;
    if (s < cap) hist[s]!++;
    else big.push(g);
  }
  let left = k;
  big.sort((a, b) => pageSum(counts, threads, b, lane, stride) - pageSum(counts, threads, a, lane, stride) || a - b);
  for (const g of big) {
    if (left === 0) return fast;
    fast[g] = 1;
    left--;
  }
  // every page of a count above `c` is in; of count `c`, the first `ties` by index
  let c = cap - 1;
  let above = 0;
  while (c >= 1 && above + hist[c]! <= left) above += hist[c--]!;
  let ties = c >= 1 ? left - above : 0;
  for (let g = 0; g < pages; g++) {
    const s = pageSum(counts, threads, g, lane, stride);
    if (s === 0 || s >= cap) continue;
    if (s > c) fast[g] = 1;
    else if (s === c && ties > 0) {
      fast[g] = 1;
      ties--;
    }
  }
  return fast;
}

/**
 * Records the run's memory accesses per (page, thread), in total and per interval, and computes
 * the oracles on the same stream: all-fast, static top-K (the K most-accessed pages in the fast
 * tier from the start), and interval top-K (each interval's K most-accessed pages in the fast tier,
 * paying the migrations). K is the top tier's capacity above its low watermarks. Fast accesses
 * cost the thread's local DRAM latency, slow ones the latency to its nearest lower-tier node.
 */
export class OracleRecorder {
  readonly #sim: Simulation;
  readonly #threads: number;
  readonly #pages: number;
  /**
   * Accesses per (global page, thread), in all and in this interval, side by side (one cache line
   * for both): at 2 (g * threads + t) + TOTAL and + INTERVAL.
   */
  readonly counts: Uint32Array;
  readonly k: number;
  readonly #fastNs: Float64Array;
  readonly #slowNs: Float64Array;
  // interval top-K accumulation
  #inFast: Uint8Array;
  #nextFast: Uint8Array;
  readonly #histogram = new Uint32Array(HISTOGRAM);
  #iHits = 0;
  #iAll = 0;
  readonly #iTimeNs: Float64Array;
  #migratedPages = 0;
  #intervals = 0;
  /** Interval top-K per interval: its end (ms), and its fast and all accesses. */
  readonly intervalSeries: { endMs: number; hits: number; all: number }[] = [];

  /** `alloc` makes the counts, which the replay kernel increments. */
  constructor(sim: Simulation, pages: number, alloc: Alloc = heapAlloc) {
    this.#sim = sim;
    this.#threads = sim.threads.length;
    this.#pages = pages;
    this.counts = alloc(Uint32Array, pages * this.#threads * 2);
    this.#inFast = new Uint8Array(pages);
    this.#nextFast = new Uint8Array(pages);
    const m = sim.machine;
    // the most pages the top tier holds: first touch fills it down to the low watermark
    this.k = m.nodes.filter((n) => n.topTier).reduce((a, n) => a + n.pages - n.watermarks.low, 0);
    const cpu = m.cpuNsPerAccess;
    this.#fastNs = Float64Array.from(sim.threads, (t) => cpu + m.latency[t.nodeIndex * m.nodeCount + t.nodeIndex]!);
    this.#slowNs = Float64Array.from(sim.threads, (t) => {
      const lower = m.nodes.filter((n) => !n.topTier);
      if (lower.length === 0) return cpu + m.latency[t.nodeIndex * m.nodeCount + t.nodeIndex]!;
      return cpu + Math.min(...lower.map((n) => m.latency[t.nodeIndex * m.nodeCount + n.index]!));
    });
    this.#iTimeNs = new Float64Array(this.#threads);
  }

  /** One memory access (LLC misses only) by thread `t` to global page `g`. */
  record(t: number, g: number): void {
    const i = (g * this.#threads + t) * 2;
    this.counts[i + TOTAL]!++;
    this.counts[i + INTERVAL]!++;
  }

  #topK(lane: number, fast: Uint8Array): Uint8Array {
    return markTopK(this.counts, this.#threads, this.#pages, this.k, fast, this.#histogram, lane, 2);
  }

  /** Hits and per-thread time of a placement over the counts of `lane`. */
  #score(lane: number, fast: Uint8Array, timeNs: Float64Array): { hits: number; all: number } {
    const counts = this.counts;
    const T = this.#threads;
    let hits = 0;
    let all = 0;
    for (let g = 0; g < this.#pages; g++) {
      for (let t = 0; t < T; t++) {
        const c = counts[(g * T + t) * 2 + lane]!;
        if (c === 0) continue;
        all += c;
        if (fast[g] === 1) {
          hits += c;
          timeNs[t]! += c * this.#fastNs[t]!;
        } else timeNs[t]! += c * this.#slowNs[t]!;
      }
    }
    return { hits, all };
  }

  /** The interval ends now: place its top K, score it, and return its fast and all accesses. */
  closeInterval(): { hits: number; all: number } {
    // two buffers in turn: this interval's placement and the last one's
    const fast = this.#topK(INTERVAL, this.#nextFast);
    // the first interval's set is placed at t = 0 for free, as static top-K's; later changes migrate
    if (this.#intervals++ > 0) this.#migratedPages += entering(fast, this.#inFast, this.#pages);
    this.#nextFast = this.#inFast;
    this.#inFast = fast;
    const { hits, all } = this.#score(INTERVAL, fast, this.#iTimeNs);
    this.#iHits += hits;
    this.#iAll += all;
    this.intervalSeries.push({ endMs: this.#sim.nowMs, hits, all });
    clearLane(this.counts, INTERVAL);
    return { hits, all };
  }

  /** The interval oracle over the intervals that end after the warm-up (what a policy is compared with then). */
  #afterWarmUp(): number | null {
    let hits = 0;
    let all = 0;
    for (const o of this.intervalSeries) {
      if (o.endMs <= this.#sim.options.warmUpMs) continue;
      hits += o.hits;
      all += o.all;
    }
    return all === 0 ? null : Number((hits / all).toFixed(6));
  }

  compute(): Oracles {
    const sim = this.#sim;
    const threads = sim.threads;
    // LLC hits are fast in every placement
    const llcHits = threads.reduce((a, t) => a + t.llcHits, 0);
    const llcNs = Float64Array.from(threads, (t) => t.llcHits * (sim.machine.cpuNsPerAccess + sim.llcHitNs));
    const accesses = threads.reduce((a, t) => a + t.accesses, 0);
    const maxOf = (ns: Float64Array, extra = 0) => Math.max(...ns.map((x, t) => x + llcNs[t]!)) + extra;

    const allFastNs = Float64Array.from(threads, (t, i) => (t.accesses - t.llcHits) * this.#fastNs[i]!);
    const staticNs = new Float64Array(threads.length);
    const s = this.#score(TOTAL, this.#topK(TOTAL, this.#nextFast), staticNs);
    const m = sim.machine;
    const perPageNs = (PAGE_SIZE * 1000) / m.migrationBandwidthMBps + m.migrationFixedNs;
    const ratio = (hits: number) => (accesses === 0 ? 0 : (hits + llcHits) / accesses);
    return {
      allFast: { fastTierHitRatio: accesses === 0 ? 0 : 1, estimatedTimeNs: maxOf(allFastNs) },
      staticTopK: { k: this.k, fastTierHitRatio: ratio(s.hits), estimatedTimeNs: maxOf(staticNs) },
      intervalTopK: {
        k: this.k,
        intervalMs: sim.options.intervalMs,
        migratedPages: this.#migratedPages,
        fastTierHitRatio: ratio(this.#iHits),
        fastTierHitRatioAfterWarmUp: this.#afterWarmUp(),
        estimatedTimeNs: maxOf(this.#iTimeNs, this.#migratedPages * perPageNs),
      },
    };
  }
}

// The page loops of closeInterval, as functions of their own: inline there, V8 compiled the method
// on stack at each interval's loop and threw the code away at the next line it had no feedback for
// (about 30 times a run, each a compile on a background thread that competes with --jobs threads).

/** How many pages are in `now` and not in `before` (top-K placements, one byte per page). */
function entering(now: Uint8Array, before: Uint8Array, pages: number): number {
  let n = 0;
  for (let g = 0; g < pages; g++) if (now[g] === 1 && before[g] === 0) n++;
  return n;
}

/** Zero one lane of the interleaved counts (every other element from `lane`). */
function clearLane(counts: Uint32Array, lane: number): void {
  for (let i = lane; i < counts.length; i += 2) counts[i] = 0;
}
