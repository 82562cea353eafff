import { PAGE_SHIFT, PAGES_PER_SECTION, SECTION_MASK } from './constants.js';
import type { CandidateBatch, PassContext } from './hooks.js';
import { migrateBatch } from './migrate.js';
import type { Pghot } from './pghot.js';
import { Verdict } from './ratelimit.js';
import {
  DEFAULT_BUCKET_SHIFT,
  DEFAULT_FREQ_MASK,
  DEFAULT_READY,
  DEFAULT_TIME_MASK,
  DEFAULT_TIME_SHIFT,
  defaultAccessLatency,
} from './record-default.js';
import {
  PRECISION_FREQ_MASK,
  PRECISION_FREQ_SHIFT,
  PRECISION_NID_MASK,
  PRECISION_TIME_MASK,
  PRECISION_TIME_SHIFT,
  precisionAccessLatency,
} from './record-precision.js';
import type { DefaultStore, PrecisionStore } from './store.js';

/** What one kmigrated wake did. Counts are folios unless named pages. */
export interface KmigratedPassResult {
  nid: number;
  now: number;
  /** The activate flag was set, so the wake made a pass. */
  active: boolean;
  pass: number;
  sectionsWalked: number;
  /** Ready records consumed (zeroed) by the walk. */
  readyFolios: number;
  /** Dropped by selectCandidates or vetoed by shouldMigrate taps. */
  droppedByPlugins: number;
  alreadyOnTarget: number;
  bypassed: number;
  rejectedLatency: number;
  rejectedRateLimit: number;
  /** migrate_misplaced_folio_prepare failed: target below its high watermark + nr (kswapd woken), or isolation failed. */
  prepareFailed: number;
  batches: number;
  migratedFolios: number;
  migratedPages: number;
  failedFolios: number;
  /** Isolated but no backend claimed the batch. */
  unclaimedFolios: number;
}

/** 1 GiB in pages: the floor of the free-space bypass margin. */
const ONE_GIB_PAGES = (1024 * 1024 * 1024) >> PAGE_SHIFT;

function emptyResult(nid: number, now: number, pass: number, active: boolean): KmigratedPassResult {
  return {
    nid, now, active, pass,
    sectionsWalked: 0, readyFolios: 0, droppedByPlugins: 0, alreadyOnTarget: 0, bypassed: 0,
    rejectedLatency: 0, rejectedRateLimit: 0, prepareFailed: 0, batches: 0,
    migratedFolios: 0, migratedPages: 0, failedFolios: 0, unclaimedFolios: 0,
  };
}

/** The most folios a flush can carry: kmigrated_batch_nr max (1024) + 1. */
const MAX_BATCH = 1025;

/** kmigrated<nid>: the per-lower-tier-node promotion pass. */
export class Kmigrated {
  readonly nid: number;
  passes = 0;
  readonly #engine: Pghot;
  readonly #store8: DefaultStore | null;
  readonly #store32: PrecisionStore | null;
  readonly #sections: readonly number[];
  readonly #candidates: CandidateBatch;
  readonly #batchPfn = new Float64Array(MAX_BATCH);
  readonly #batchPages = new Uint32Array(MAX_BATCH);
  readonly #batchStatus = new Int32Array(MAX_BATCH);
  #batchLength = 0;
  // Stryker disable next-line UnaryOperator: read only while the batch holds folios
  #batchTarget = -1;
  readonly #counter: Record<'candidate' | 'candidateNrl', number>;

  constructor(engine: Pghot, nid: number, store8: DefaultStore | null, store32: PrecisionStore | null) {
    this.#engine = engine;
    this.nid = nid;
    this.#store8 = store8;
    this.#store32 = store32;
    this.#sections = engine.topology.sectionsOf(nid);
    this.#candidates = {
      length: 0,
      pfn: new Float64Array(PAGES_PER_SECTION),
      nrPages: new Uint32Array(PAGES_PER_SECTION),
      target: new Int16Array(PAGES_PER_SECTION),
      time: new Uint32Array(PAGES_PER_SECTION),
      freq: new Uint8Array(PAGES_PER_SECTION),
      allow: new Uint8Array(PAGES_PER_SECTION),
    };
    const c = engine.counters;
    this.#counter = {
      candidate: c.register('pgpromote_candidate'),
      candidateNrl: c.register('pgpromote_candidate_nrl'),
    };
  }

  async wake(now: number): Promise<KmigratedPassResult> {
    const engine = this.#engine;
    const active = engine.activate[this.nid] === 1;
    engine.hooks.kmigratedWake.call({ nid: this.nid, now, active });
    if (!active) return emptyResult(this.nid, now, this.passes, false);
    engine.activate[this.nid] = 0;
    const result = emptyResult(this.nid, now, ++this.passes, true);
    const store = (this.#store8 ?? this.#store32)!;
    const node = engine.topology.node(this.nid)!;
    for (const sec of this.#sections) {
      if (!store.testAndClearHot(sec)) continue;
      result.sectionsWalked++;
      const lo = Math.max(sec * PAGES_PER_SECTION, node.startPfn);
      const hi = Math.min((sec + 1) * PAGES_PER_SECTION, node.startPfn + node.pages);
      this.#collect(sec, lo, hi);
      result.readyFolios += this.#candidates.length;
      // Stryker disable next-line ConditionalExpression,EqualityOperator: promoting no candidates flushes an empty batch, which does nothing
      if (this.#candidates.length > 0) await this.#promote(sec, now, result);
    }
    return result;
  }

  /** Walk one section's PFNs in order, stepping by folio, and consume every ready record into the candidate batch. */
  #collect(sec: number, lo: number, hi: number): void {
    const c = this.#candidates;
    c.length = 0;
    const records = (this.#store8 ?? this.#store32)!.sections[sec]!;
    // Stryker disable next-line ConditionalExpression: a section never written has no ready record (a speed shortcut)
    if (records.length === 0) return;
    const precise = this.#store32 !== null;
    const target = this.#engine.tunables.target_nid;
    const mem = this.#engine.memory;
    // Stryker disable next-line EqualityOperator: PFN hi reads offset 0 of this section, already consumed by the walk
    for (let pfn = lo; pfn < hi; ) {
      let nr = 1;
      if (mem !== null) {
        nr = this.#folioStep(pfn);
        if (nr <= 0) {
          pfn += -nr || 1;
          continue;
        }
      }
      const off = pfn & SECTION_MASK;
      const rec = records[off]!;
      if (precise ? rec >>> 31 === 1 : (rec & DEFAULT_READY) !== 0) {
        records[off] = 0; // get_record: reading a ready record consumes it, whatever follows
        const i = c.length++;
        c.pfn[i] = pfn;
        c.nrPages[i] = nr;
        c.allow[i] = 1;
        if (precise) {
          c.target[i] = rec & PRECISION_NID_MASK;
          c.time[i] = (rec >>> PRECISION_TIME_SHIFT) & PRECISION_TIME_MASK;
          c.freq[i] = (rec >>> PRECISION_FREQ_SHIFT) & PRECISION_FREQ_MASK;
        } else {
          c.target[i] = target; // default mode stores no nid
          c.time[i] = ((rec >> DEFAULT_TIME_SHIFT) & DEFAULT_TIME_MASK) << DEFAULT_BUCKET_SHIFT;
          c.freq[i] = rec & DEFAULT_FREQ_MASK;
        }
      }
      pfn += nr;
    }
  }

  /**
   * With a memory model: the folio size at `pfn` when it is an online folio head on an LRU;
   * otherwise minus the pages to skip (0 → skip one).
   */
  #folioStep(pfn: number): number {
    const mem = this.#engine.memory!;
    if (!mem.pfnOnline(pfn)) return 0;
    const head = mem.folioHead(pfn);
    const nr = mem.folioNrPages(head);
    if (head !== pfn) return -Math.max(head + nr - pfn, 1); // a tail: skip to the end of its folio
    return mem.folioOnLru(head) ? nr : -nr;
  }

  /** Selection hooks, should_migrate, prepare and batching for one section's candidates, in PFN order. */
  async #promote(sec: number, now: number, result: KmigratedPassResult): Promise<void> {
    const engine = this.#engine;
    const ctx: PassContext = { engine, nid: this.nid, now, pass: this.passes, section: sec };
    let c = this.#candidates;
    // Stryker disable next-line ConditionalExpression,EqualityOperator: a waterfall hook with no taps returns its first argument
    if (engine.hooks.selectCandidates.taps.length > 0) c = engine.hooks.selectCandidates.call(c, ctx);
    // Stryker disable next-line ConditionalExpression,EqualityOperator: a bail hook with no taps returns undefined
    const verdict = engine.hooks.shouldMigrate.taps.length > 0 ? engine.hooks.shouldMigrate.call(c, ctx) : undefined;
    const builtinCheck = verdict === undefined;
    const t = engine.tunables;
    const refMs = t.promote_freq_window_ms;
    const rateLimitMBps = t.promote_rate_limit_MBps;
    const batchNr = t.kmigrated_batch_nr;
    const mem = engine.memory;
    const cap = mem?.capacity;
    const vm = engine.counters;
    const precise = engine.mode === 'precision';
    for (let i = 0; i < c.length; i++) {
      if (verdict === false || c.allow[i] === 0) {
        result.droppedByPlugins++;
        continue;
      }
      const pfn = c.pfn[i]!;
      const nr = c.nrPages[i]!;
      const target = c.target[i]!;
      if (target === this.nid) {
        result.alreadyOnTarget++;
        continue;
      }
      if (builtinCheck) {
        const latency = precise ? precisionAccessLatency(c.time[i]!, now) : defaultAccessLatency(c.time[i]! >> DEFAULT_BUCKET_SHIFT, now);
        const freeEnough = cap !== undefined && cap.freePages(target) > cap.promoWatermarkPages(target) + this.#bypassMargin(target);
        const v = engine.rateLimiter.shouldMigrate(nr, target, latency, now, refMs, rateLimitMBps, freeEnough);
        if (v === Verdict.BYPASS) {
          vm.add(this.#counter.candidateNrl, nr);
          result.bypassed++;
        } else if (v === Verdict.REJECT_LATENCY) {
          result.rejectedLatency++;
          continue;
        } else {
          vm.add(this.#counter.candidate, nr);
          if (v === Verdict.REJECT_RATE_LIMIT) {
            result.rejectedRateLimit++;
            continue;
          }
        }
      }
      // migrate_misplaced_folio_prepare: the target must stay above its high watermark
      if (cap !== undefined && !(cap.freePages(target) > cap.highWatermarkPages(target) + nr)) {
        cap.wakeKswapd(target, nr);
        result.prepareFailed++;
        continue;
      }
      if (mem?.isolateFolio !== undefined && !mem.isolateFolio(pfn)) {
        result.prepareFailed++;
        continue;
      }
      if (this.#batchLength > 0 && this.#batchTarget !== target) await this.#flush(now, result);
      const j = this.#batchLength++;
      this.#batchTarget = target;
      this.#batchPfn[j] = pfn;
      this.#batchPages[j] = nr;
      if (this.#batchLength > batchNr) await this.#flush(now, result);
    }
    await this.#flush(now, result); // batches never span sections
  }

  /** max(1 GiB, node size / 16) in pages, above WMARK_PROMO (pgdat_free_space_enough). */
  #bypassMargin(target: number): number {
    const node = this.#engine.topology.node(target);
    return Math.max(ONE_GIB_PAGES, node ? Math.floor(node.pages / 16) : 0);
  }

  async #flush(now: number, result: KmigratedPassResult): Promise<void> {
    const n = this.#batchLength;
    if (n === 0) return;
    this.#batchLength = 0;
    const outcome = await migrateBatch(this.#engine, {
      engine: this.#engine,
      reason: 'kmigrated',
      from: this.nid,
      target: this.#batchTarget,
      now,
      length: n,
      pfn: this.#batchPfn.subarray(0, n),
      nrPages: this.#batchPages.subarray(0, n),
      status: this.#batchStatus.subarray(0, n),
    });
    result.batches++;
    if (outcome.unclaimed) result.unclaimedFolios += n;
    else {
      result.migratedFolios += outcome.migratedFolios;
      result.migratedPages += outcome.migratedPages;
      result.failedFolios += outcome.failedFolios;
    }
  }
}
