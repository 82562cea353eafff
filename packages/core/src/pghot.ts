import {
  EINVAL,
  MAX_NUMNODES,
  MAX_SOURCES,
  NUMA_NO_NODE,
  PGHOT_SRC,
  SECTION_MASK,
  SECTION_SHIFT,
  type BuiltinSourceName,
} from './constants.js';
import { ConfigError } from './errors.js';
import { createHooks, Stage, type EngineHooks, type MigrationOutcome } from './hooks.js';
import { migrateBatch } from './migrate.js';
import { Kmigrated, type KmigratedPassResult } from './kmigrated.js';
import type { MemoryModel } from './memory.js';
import { checkPlugins, type PghotPlugin } from './plugin.js';
import { PromotionRateLimiter } from './ratelimit.js';
import { DEFAULT_BUCKET_SHIFT, DEFAULT_READY, DEFAULT_TIME_MASK, defaultBucket, defaultFreq, updateDefaultRecord } from './record-default.js';
import { PRECISION_READY, precisionFreq, precisionNid, precisionTimeOf, updatePrecisionRecord } from './record-precision.js';
import { DefaultStore, PrecisionStore } from './store.js';
import { KERNEL_BATCH, RecordKernel } from './wasm/kernel.js';
import { Topology, type TopologySpec } from './topology.js';
import { Tunables, type PghotMode, type TunablesInput } from './tunables.js';
import { Vmstat } from './vmstat.js';
import { checkCapabilities, noPlatform, type Platform } from './platform.js';

export interface CreatePghotOptions {
  topology: TopologySpec | Topology;
  /** 'default': 1 byte per lower-tier PFN, no nid; 'precision': 4 bytes, with nid. */
  mode?: PghotMode;
  tunables?: TunablesInput;
  /** Folios, LRU and free pages (default: the platform's). */
  memory?: MemoryModel;
  /** The machine under the engine, as plugins see it (default: none, offering nothing). */
  platform?: Platform;
  plugins?: readonly PghotPlugin[];
  /** v5/v6 default-mode behaviour: an update never clears MIGRATE_READY (only kmigrated consumes it). */
  stickyReady?: boolean;
}

/** A record decoded by `peek`. `time` is the stored time in jiffies modulo the layout's wrap. */
export interface RecordView {
  freq: number;
  time: number;
  /** Stored nid (precision mode); NUMA_NO_NODE in default mode, which stores none. */
  nid: number;
  ready: boolean;
}

/** recordBuffer(): a batch a source fills in place (see there). */
export interface RecordBuffer {
  /** Accesses it holds: 4096. */
  readonly length: number;
  readonly pfn: Uint32Array;
  /** Times as unsigned 32-bit values. */
  readonly now: Uint32Array;
  /** Times as doubles (converted as ToUint32 does, as the record loops read them). */
  readonly nowF64: Float64Array;
}

export interface SourceInfo {
  name: string;
  id: number;
  bit: number;
  enabled: boolean;
}

const HOT_BUFFER = 4096;
/** Accesses per call of a record loop (see #record); the WebAssembly kernel's scratch holds as many. */
const LOOP_CHUNK = KERNEL_BATCH;

/**
 * Copy elements start..end-1 of `from` into the kernel's scratch array `to`, unless `from` is that
 * array (or a view from its start): a batch a source filled in recordBuffer() is in place already.
 */
function copyIn<T extends Uint32Array | Float64Array>(from: T, to: T, start: number, end: number): void {
  if (start === 0 && from.buffer === to.buffer && from.byteOffset === to.byteOffset) return;
  to.set(from.subarray(start, end));
}
/**
 * How many accesses the last record loop counted under its source. A module slot, not a property:
 * V8 needs no type feedback to store it, so the loops' optimized code never deopts at their exit.
 */
let loopCounted = 0;

/**
 * One pghot instance: the hotness store of every lower-tier page, pghot_record_access, one
 * kmigrated per lower-tier node, the vmstat counters, the tunables and the hooks plugins tap.
 */
export class Pghot {
  readonly mode: PghotMode;
  readonly topology: Topology;
  readonly tunables: Tunables;
  /** The platform contract plugins work through (tasks, page tables, faults, samples, overhead). */
  readonly platform: Platform;
  readonly hooks: EngineHooks;
  readonly counters: Vmstat;
  readonly memory: MemoryModel | null;
  readonly plugins: readonly PghotPlugin[];
  readonly stickyReady: boolean;
  /** Per target node: the NUMAB2 rate limit and dynamic threshold state. */
  readonly rateLimiter = new PromotionRateLimiter();

  // Record path state, all assigned here in a fixed order (one object shape for V8).
  #started = true;
  #initialized = false;
  readonly #precise: boolean;
  readonly #sticky: boolean;
  readonly #endPfn: number;
  readonly #sectionNode: Int16Array;
  readonly #nodeTop: Uint8Array;
  readonly #nodeOnline: Uint8Array;
  readonly #mem: MemoryModel | null;
  readonly #store8: DefaultStore | null;
  readonly #store32: PrecisionStore | null;
  readonly #sectionHot: Uint8Array;
  /** PGDAT_KMIGRATED_ACTIVATE, by node id. */
  readonly activate: Uint8Array;
  /** The WebAssembly record loops (when the store fits), or null. */
  readonly #kernel: RecordKernel | null;
  readonly #vm: Float64Array;
  readonly #recordedIndex: number;
  /** pagesHot has taps: remember pages that turn ready. */
  // Stryker disable next-line BooleanLiteral: set before every record loop
  #trackHot = false;
  readonly #single = new Float64Array(1);
  /** recordBuffer(): the kernel's scratch arrays, or arrays of the same size when there is no kernel. */
  readonly #buffer: RecordBuffer;
  /** Default-mode update table: next = table[(bucket of now) << 8 | old], for #defaultTableKey. */
  readonly #defaultUpdate: Uint8Array;
  // Stryker disable next-line UnaryOperator: any value no tunables produce
  #defaultTableKey = -1;
  readonly #hotPfn = new Float64Array(HOT_BUFFER);
  readonly #hotNid = new Int16Array(HOT_BUFFER);
  #hotCount = 0;
  // sources
  readonly #sourceNames: string[] = [];
  readonly #sourceCounter = new Int32Array(MAX_SOURCES);
  // filterBatch copies
  #batchPfn = new Float64Array(0);
  #batchNid = new Float64Array(0);
  #batchNow = new Float64Array(0);
  #batchKeep = new Uint8Array(0);
  readonly #kmigrated = new Map<number, Kmigrated>();
  readonly #nextWake = new Float64Array(MAX_NUMNODES);

  constructor(options: CreatePghotOptions) {
    const mode = options.mode ?? 'default';
    if (mode !== 'default' && mode !== 'precision') {
      throw new ConfigError(`Invalid mode "${String(mode)}": expected "default" or "precision"`, { code: 'PGHOT_CONFIG' });
    }
    this.mode = mode;
    this.topology = options.topology instanceof Topology ? options.topology : new Topology(options.topology);
    if (this.topology.topTierNodeIds.length === 0) throw new ConfigError('Invalid topology: no top-tier node', { code: 'PGHOT_TOPOLOGY' });
    this.counters = new Vmstat();
    this.platform = options.platform ?? noPlatform();
    this.memory = options.memory ?? this.platform.memory;
    this.stickyReady = options.stickyReady ?? false;
    this.#precise = mode === 'precision';
    this.#sticky = this.stickyReady;
    this.#endPfn = this.topology.endPfn;
    this.#sectionNode = this.topology.sectionNode;
    this.#nodeTop = this.topology.nodeTopTier;
    this.#nodeOnline = this.topology.nodeOnline;
    this.#mem = this.memory;
    this.#kernel = RecordKernel.create(this.topology, mode);
    const k = this.#kernel;
    this.#buffer = Object.freeze({
      length: KERNEL_BATCH,
      pfn: k?.pfn ?? new Uint32Array(KERNEL_BATCH),
      now: k?.now ?? new Uint32Array(KERNEL_BATCH),
      nowF64: k?.nowF64 ?? new Float64Array(KERNEL_BATCH),
    });
    this.activate = this.#kernel?.activate ?? new Uint8Array(MAX_NUMNODES);
    this.#defaultUpdate = this.#kernel?.table ?? new Uint8Array(32 * 256);
    this.#store8 = this.#precise ? null : new DefaultStore(this.topology, this.#kernel);
    this.#store32 = this.#precise ? new PrecisionStore(this.topology, this.#kernel) : null;
    this.#sectionHot = (this.#store8 ?? this.#store32)!.sectionHot;
    this.#vm = this.counters.values;
    this.#recordedIndex = this.counters.register('pghot_recorded_accesses');
    for (const name of Object.keys(PGHOT_SRC) as BuiltinSourceName[]) this.registerSource(name);

    const { enabled_sources: enabledSources, ...tunables } = options.tunables ?? {};
    this.tunables = new Tunables(mode, tunables, {
      defaultTargetNid: () => (this.#nodeTop[0] === 1 ? 0 : this.topology.topTierNodeIds[0]!),
      targetNid: (nid) =>
        this.#nodeOnline[nid] === 1 && this.#nodeTop[nid] === 1 ? null : `target_nid ${nid} is not an online top-tier node (top tier: ${this.topology.topTierNodeIds.join(', ')})`,
      enabledSources: (mask) =>
        mask >>> this.#sourceNames.length === 0
          ? null
          : `enabled_sources 0x${mask.toString(16)} has bits for no registered source (${this.sources()
              .map((s) => `${s.name} 0x${s.bit.toString(16)}`)
              .join(', ')})`,
    });

    const plugins = options.plugins ?? [];
    checkPlugins(plugins);
    checkCapabilities(this.platform, plugins);
    this.plugins = Object.freeze([...plugins]);
    const stageOf = new Map<string, number>();
    for (const p of plugins) if (p.enforce) stageOf.set(p.name, p.enforce === 'pre' ? Stage.PRE : Stage.POST);
    this.hooks = createHooks((tapName) => stageOf.get(tapName));

    for (const nid of this.topology.lowerTierNodeIds) {
      this.#kmigrated.set(nid, new Kmigrated(this, nid, this.#store8, this.#store32));
      this.#nextWake[nid] = this.tunables.kmigrated_sleep_ms;
    }
    for (const plugin of plugins) plugin.apply(this);
    // an explicit enabled_sources is written last, so it can name sources that plugins registered
    if (enabledSources !== undefined) {
      try {
        this.tunables.set('enabled_sources', enabledSources);
      } catch (e) {
        throw new ConfigError(`Invalid tunables (${mode} mode): tunables.enabled_sources: ${(e as Error).message}`, { code: 'PGHOT_TUNABLE' });
      }
    }
  }

  // ---- lifecycle -------------------------------------------------------------------------------

  /** False after `shutdown()`: recordAccess then returns 0 and records nothing (pghot not started). */
  get started(): boolean {
    return this.#started;
  }

  /** Run the plugins' async setup (hooks.init) once. */
  async init(): Promise<this> {
    if (!this.#initialized) {
      this.#initialized = true;
      await this.hooks.init.promise(this);
    }
    return this;
  }

  async shutdown(): Promise<void> {
    if (!this.#started) return;
    this.flushHotPages();
    this.#started = false;
    await this.hooks.shutdown.promise(this);
  }

  // ---- sources ---------------------------------------------------------------------------------

  /**
   * Register a temperature source by name (or get the id of a known one). Each source gets an id,
   * the enable bit `1 << id` in enabled_sources, and a `pghot_recorded_<name>` counter.
   */
  registerSource(name: string): number {
    const known = this.#sourceNames.indexOf(name);
    if (known >= 0) return known;
    if (!/^[a-z][a-z0-9_]*$/.test(name)) throw new ConfigError(`Invalid source name "${name}": use lower_snake_case`, { code: 'PGHOT_SOURCE' });
    if (this.#sourceNames.length === MAX_SOURCES) throw new ConfigError(`Cannot register source "${name}": all ${MAX_SOURCES} source bits are taken`, { code: 'PGHOT_SOURCE' });
    const id = this.#sourceNames.length;
    this.#sourceNames.push(name);
    this.#sourceCounter[id] = this.counters.register(`pghot_recorded_${name}`);
    return id;
  }

  /** The id of a registered source, or -1. */
  sourceId(name: string): number {
    return this.#sourceNames.indexOf(name);
  }

  sources(): SourceInfo[] {
    const mask = this.tunables?.enabled_sources ?? 0;
    return this.#sourceNames.map((name, id) => ({ name, id, bit: 1 << id, enabled: (mask & (1 << id)) !== 0 }));
  }

  /** Set or clear one source's bit in enabled_sources. */
  enableSource(source: number | string, enabled = true): void {
    const id = typeof source === 'number' ? source : this.sourceId(source);
    if (!(id >= 0 && id < this.#sourceNames.length)) throw new ConfigError(`Unknown source ${JSON.stringify(source)}`, { code: 'PGHOT_SOURCE' });
    const mask = this.tunables.enabled_sources;
    this.tunables.set('enabled_sources', enabled ? mask | (1 << id) : mask & ~(1 << id));
  }

  // ---- the record API --------------------------------------------------------------------------

  /**
   * pghot_record_access(pfn, nid, src, now): note that `nid` (the accessing node, or NUMA_NO_NODE)
   * touched `pfn` at `now` jiffies. Returns 0, or -EINVAL (-22) for an invalid nid or unknown source,
   * with the checks in the latest posting's order.
   */
  recordAccess(pfn: number, nid: number, src: number, now: number): number {
    if (!this.#started) return 0;
    if (this.#precise && !this.#nidValid(nid)) return EINVAL;
    if (!(src >= 0 && src < this.#sourceNames.length) || (src | 0) !== src) return EINVAL;
    if ((this.tunables.enabled_sources & (1 << src)) === 0) return 0;
    // the batch loop with one element: one implementation of the checks; pages that turn hot
    // reach pagesHot at the next batch or kmigrated wake, not per access
    this.#single[0] = pfn;
    if (this.hooks.filterBatch.taps.length > 0) this.#filteredBatch(src, this.#single, nid, now, 1);
    else this.#record(src, this.#single, nid, now, 1, null, false);
    return 0;
  }

  /**
   * The batch form, for sources that report thousands of accesses at once: the same checks and
   * update per element, no allocation per element. `nids` and `nows` are arrays or one value for
   * all. Returns how many accesses were recorded into the store, or -EINVAL for an unknown source.
   */
  recordAccesses(
    src: number,
    pfns: ArrayLike<number>,
    nids: ArrayLike<number> | number,
    nows: ArrayLike<number> | number,
    count: number = pfns.length,
  ): number {
    if (!this.#started) return 0;
    if (!(src >= 0 && src < this.#sourceNames.length) || (src | 0) !== src) return EINVAL;
    if ((this.tunables.enabled_sources & (1 << src)) === 0) return 0;
    if (!(count >= 0 && count <= pfns.length)) throw new RangeError(`recordAccesses: count ${count} is outside 0..${pfns.length}`);
    if (this.hooks.filterBatch.taps.length === 0) return this.#record(src, pfns, nids, nows, count, null, true);
    return this.#filteredBatch(src, pfns, nids, nows, count);
  }

  /**
   * Arrays a source can fill in place and hand to recordAccesses with no copy: in the WebAssembly
   * kernel's memory, they are the very arrays its loops read. Fill `pfn` and one of `now` or
   * `nowF64` (up to `length` accesses), then call `recordAccesses(src, buf.pfn, nid, buf.now or
   * buf.nowF64, count)` before anything else records: every engine has one buffer, and any batch
   * that is not already in it is copied into it. Other arrays still work as before (copied).
   */
  recordBuffer(): RecordBuffer {
    return this.#buffer;
  }

  #filteredBatch(src: number, pfns: ArrayLike<number>, nids: ArrayLike<number> | number, nows: ArrayLike<number> | number, count: number): number {
    // Stryker disable next-line EqualityOperator: growing at equal size only allocates more
    if (this.#batchPfn.length < count) {
      // Stryker disable next-line ArithmeticOperator: any size >= count holds the batch
      const size = Math.max(count, this.#batchPfn.length * 2);
      this.#batchPfn = new Float64Array(size);
      this.#batchNid = new Float64Array(size);
      this.#batchNow = new Float64Array(size);
      this.#batchKeep = new Uint8Array(size);
    }
    const pfn = this.#batchPfn.subarray(0, count);
    const nid = this.#batchNid.subarray(0, count);
    const now = this.#batchNow.subarray(0, count);
    const keep = this.#batchKeep.subarray(0, count);
    // Stryker disable next-line EqualityOperator: a typed-array view ignores the write one past its end
    for (let i = 0; i < count; i++) pfn[i] = pfns[i]!;
    if (typeof nids === 'number') nid.fill(nids);
    // Stryker disable next-line EqualityOperator: a typed-array view ignores the write one past its end
    else for (let i = 0; i < count; i++) nid[i] = nids[i]!;
    if (typeof nows === 'number') now.fill(nows);
    // Stryker disable next-line EqualityOperator: a typed-array view ignores the write one past its end
    else for (let i = 0; i < count; i++) now[i] = nows[i]!;
    keep.fill(1);
    this.hooks.filterBatch.call({ src, length: count, pfn, nid, now, keep });
    return this.#record(src, pfn, nid, now, count, keep, true);
  }

  #record(
    src: number,
    pfns: ArrayLike<number>,
    nids: ArrayLike<number> | number,
    nows: ArrayLike<number> | number,
    count: number,
    keep: Uint8Array | null,
    flush: boolean,
  ): number {
    // Stryker disable next-line ConditionalExpression,EqualityOperator: tracking with no tap only takes the JavaScript loop, which records the same
    this.#trackHot = this.hooks.pagesHot.taps.length > 0;
    let recorded = 0;
    let counted = 0;
    // Short loop calls let V8 compile the loops as whole functions from the feedback of complete
    // runs, rather than only as on-stack replacement inside one long call.
    const useKernel =
      this.#kernel !== null && keep === null && this.#mem === null && !this.#trackHot && pfns instanceof Uint32Array && typeof nids === 'number' && (nids | 0) === nids;
    for (let start = 0; start < count; start += LOOP_CHUNK) {
      const end = Math.min(count, start + LOOP_CHUNK);
      recorded += useKernel
        ? this.#recordKernel(pfns as Uint32Array, nids as number, nows, start, end)
        : this.#precise
          ? this.#recordPrecision(pfns, nids, nows, start, end, keep)
          : this.#recordDefault(pfns, nids, nows, start, end, keep);
      counted += loopCounted;
    }
    this.#vm[this.#sourceCounter[src]!]! += counted;
    this.#vm[this.#recordedIndex]! += recorded;
    if (flush) this.flushHotPages();
    return recorded;
  }

  /**
   * The default-mode loop. The new record depends only on the old byte and the time bucket of
   * `now`, so the update is one read of a 32 x 256 table built from updateDefaultRecord for the
   * current window, threshold and stickiness.
   */
  #recordDefault(pfns: ArrayLike<number>, nids: ArrayLike<number> | number, nows: ArrayLike<number> | number, start: number, end: number, keep: Uint8Array | null): number {
    const nidArray = typeof nids === 'number' ? null : nids;
    const nidValue = typeof nids === 'number' ? nids : 0;
    const nowArray = typeof nows === 'number' ? null : nows;
    const nowValue = typeof nows === 'number' ? nows : 0;
    const nowBucket = (nowValue >> DEFAULT_BUCKET_SHIFT) & DEFAULT_TIME_MASK;
    const table = this.#defaultTable();
    const store = this.#store8!;
    const sections = store.sections;
    const sectionNode = this.#sectionNode;
    const nodeTop = this.#nodeTop;
    const sectionHot = this.#sectionHot;
    const activate = this.activate;
    const trackHot = this.#trackHot;
    const endPfn = this.#endPfn;
    const mem = this.#mem;
    let recorded = 0;
    let counted = 0;
    for (let i = start; i < end; i++) {
      if (keep !== null && keep[i] === 0) continue;
      counted++;
      const pfn = pfns[i]!;
      if (pfn >>> 0 !== pfn || pfn >= endPfn) continue;
      let node = sectionNode[pfn >>> SECTION_SHIFT]!;
      if (node < 0 && (node = this.topology.nodeOf(pfn) | 0) < 0) continue; // `| 0` keeps node an int32 for V8
      if (mem !== null && !mem.pfnOnline(pfn)) continue;
      if (node === (nidArray === null ? nidValue : nidArray[i]!) || nodeTop[node] === 1) continue;
      let head = pfn;
      if (mem !== null && !mem.folioOnLru((head = mem.folioHead(pfn) >>> 0))) continue;
      recorded++;
      const sec = head >>> SECTION_SHIFT;
      let records = sections[sec]!;
      if (records.length === 0) records = store.section(sec);
      const off = head & SECTION_MASK;
      const old = records[off]!;
      const bucket = nowArray === null ? nowBucket : (nowArray[i]! >> DEFAULT_BUCKET_SHIFT) & DEFAULT_TIME_MASK;
      const next = table[(bucket << 8) | old]!;
      records[off] = next;
      // Stryker disable next-line EqualityOperator: a ready byte has freq >= 1, so it is never exactly DEFAULT_READY
      if (next >= DEFAULT_READY) {
        sectionHot[sec] = 1;
        activate[node] = 1;
        // Stryker disable next-line EqualityOperator: a ready byte has freq >= 1, so it is never exactly DEFAULT_READY
        if (old < DEFAULT_READY && trackHot) this.#noteHot(head, node);
      }
    }
    loopCounted = counted;
    return recorded;
  }

  /**
   * The record loop in WebAssembly (RecordKernel): the chunk's PFNs and times are copied into the
   * kernel's scratch; the kernel hands back the accesses it cannot do (first access to a section, a
   * partly covered section), which take the JavaScript loop one at a time, in order.
   */
  #recordKernel(pfns: Uint32Array, nid: number, nows: ArrayLike<number> | number, start: number, end: number): number {
    const k = this.#kernel!;
    const n = end - start;
    const t = this.tunables;
    // precision mode: an invalid nid records nothing and is not counted (pghot_nid_valid)
    if (this.#precise && !this.#nidValid(nid)) return (loopCounted = 0);
    copyIn(pfns, k.pfn, start, end);
    let f64 = false;
    if (typeof nows === 'number') k.now.fill(nows);
    else if (nows instanceof Uint32Array) copyIn(nows, k.now, start, end);
    else if (nows instanceof Float64Array) {
      // a same-type copy (set() across element types is slow); the record loops convert each time
      // as they read it, which measured as fast as a SIMD pass over the chunk first, or faster
      copyIn(nows, k.nowF64, start, end);
      f64 = true;
    } else {
      const now = k.now;
      for (let i = 0; i < n; i++) now[i] = nows[start + i]!;
    }
    let recorded = 0;
    if (this.#precise) {
      const store = nid === NUMA_NO_NODE ? t.target_nid : nid;
      const [w, th, sticky] = [t.promote_freq_window_ms, t.freq_threshold, this.#sticky];
      for (let i = k.run32(0, n, nid, store, w, th, sticky, f64); i < n; i = k.run32(i + 1, n, nid, store, w, th, sticky, f64)) {
        recorded += this.#recordPrecision(pfns, nid, nows, start + i, start + i + 1, null);
      }
    } else {
      this.#defaultTable(); // the kernel reads the same table
      for (let i = k.run(0, n, nid, f64); i < n; i = k.run(i + 1, n, nid, f64)) recorded += this.#recordDefault(pfns, nid, nows, start + i, start + i + 1, null);
    }
    loopCounted = n;
    return recorded + k.takeRecorded();
  }

  /** The precision-mode loop: per-element nid validity, then the u32 update. */
  #recordPrecision(pfns: ArrayLike<number>, nids: ArrayLike<number> | number, nows: ArrayLike<number> | number, start: number, end: number, keep: Uint8Array | null): number {
    const nidArray = typeof nids === 'number' ? null : nids;
    const nidValue = typeof nids === 'number' ? nids : 0;
    const nowArray = typeof nows === 'number' ? null : nows;
    const nowValue = typeof nows === 'number' ? nows : 0;
    const t = this.tunables;
    const windowMs = t.promote_freq_window_ms;
    const threshold = t.freq_threshold;
    const targetNid = t.target_nid;
    const sticky = this.#sticky;
    const store = this.#store32!;
    const sections = store.sections;
    const sectionNode = this.#sectionNode;
    const nodeTop = this.#nodeTop;
    const sectionHot = this.#sectionHot;
    const activate = this.activate;
    const trackHot = this.#trackHot;
    const endPfn = this.#endPfn;
    const mem = this.#mem;
    let recorded = 0;
    let counted = 0;
    for (let i = start; i < end; i++) {
      if (keep !== null && keep[i] === 0) continue;
      const nid = nidArray === null ? nidValue : nidArray[i]!;
      if (!this.#nidValid(nid)) continue;
      counted++;
      const pfn = pfns[i]!;
      if (pfn >>> 0 !== pfn || pfn >= endPfn) continue;
      let node = sectionNode[pfn >>> SECTION_SHIFT]!;
      if (node < 0 && (node = this.topology.nodeOf(pfn) | 0) < 0) continue; // `| 0` keeps node an int32 for V8
      if (mem !== null && !mem.pfnOnline(pfn)) continue;
      if (node === nid || nodeTop[node] === 1) continue;
      let head = pfn;
      if (mem !== null && !mem.folioOnLru((head = mem.folioHead(pfn) >>> 0))) continue;
      recorded++;
      const sec = head >>> SECTION_SHIFT;
      let records = sections[sec]!;
      if (records.length === 0) records = store.section(sec);
      const off = head & SECTION_MASK;
      const old = records[off]!;
      // jiffies are an unsigned long: the time as ToUint32 makes it, as the WebAssembly loop takes it
      // (the default loop's `>>` does the same), so a fractional or huge time records alike in both
      const now = (nowArray === null ? nowValue : nowArray[i]!) >>> 0;
      const next = updatePrecisionRecord(old, nid === NUMA_NO_NODE ? targetNid : nid, now, windowMs, threshold, sticky);
      records[off] = next;
      // Stryker disable next-line EqualityOperator: an updated record has freq >= 1, so it is never 0
      if (next < 0) {
        sectionHot[sec] = 1;
        activate[node] = 1;
        if (old < PRECISION_READY && trackHot) this.#noteHot(head, node);
      }
    }
    loopCounted = counted;
    return recorded;
  }

  /** The default-mode update table for the current tunables, rebuilt when they change. */
  #defaultTable(): Uint8Array {
    const t = this.tunables;
    const key = t.promote_freq_window_ms * 16 + t.freq_threshold * 2 + (this.#sticky ? 1 : 0);
    // Stryker disable next-line ConditionalExpression: rebuilding an unchanged table changes nothing
    if (key !== this.#defaultTableKey) {
      const table = this.#defaultUpdate;
      for (let bucket = 0; bucket <= DEFAULT_TIME_MASK; bucket++) {
        const now = bucket << DEFAULT_BUCKET_SHIFT;
        // Stryker disable next-line EqualityOperator: entry 256 of a bucket is the next bucket's entry 0, rewritten by the next iteration (or past the end)
        for (let old = 0; old < 256; old++) table[(bucket << 8) | old] = updateDefaultRecord(old, now, t.promote_freq_window_ms, t.freq_threshold, this.#sticky);
      }
      this.#defaultTableKey = key;
    }
    return this.#defaultUpdate;
  }

  /** pghot_nid_valid: default mode takes any nid; precision needs NUMA_NO_NODE or an online top-tier node. */
  #nidValid(nid: number): boolean {
    return nid === NUMA_NO_NODE || (nid >= 0 && nid < MAX_NUMNODES && this.#nodeOnline[nid] === 1 && this.#nodeTop[nid] === 1);
  }

  /** Remember a page that just turned MIGRATE_READY for the next pagesHot call. */
  #noteHot(head: number, node: number): void {
    if (this.#hotCount === HOT_BUFFER) this.flushHotPages();
    this.#hotPfn[this.#hotCount] = head;
    this.#hotNid[this.#hotCount] = node;
    this.#hotCount++;
  }

  /** Hand the pages that turned hot since the last flush to `hooks.pagesHot`. */
  flushHotPages(): void {
    const n = this.#hotCount;
    if (n === 0) return;
    this.#hotCount = 0;
    this.hooks.pagesHot.call({ length: n, pfn: this.#hotPfn.subarray(0, n), nid: this.#hotNid.subarray(0, n) });
  }

  /** The decoded record of a lower-tier PFN (its folio's head), without changing it; null when the PFN has no record. */
  peek(pfn: number): RecordView | null {
    if (pfn >>> 0 !== pfn || pfn >= this.#endPfn) return null;
    const node = this.topology.nodeOf(pfn);
    if (node < 0 || this.#nodeTop[node] === 1) return null;
    const head = this.#mem === null ? pfn : this.#mem.folioHead(pfn);
    if (this.#precise) {
      const rec = Math.max(this.#store32!.read(head), 0);
      return { freq: precisionFreq(rec), time: precisionTimeOf(rec), nid: precisionNid(rec), ready: rec >>> 31 === 1 };
    }
    const rec = Math.max(this.#store8!.read(head), 0);
    return { freq: defaultFreq(rec), time: defaultBucket(rec) << DEFAULT_BUCKET_SHIFT, nid: NUMA_NO_NODE, ready: (rec & DEFAULT_READY) !== 0 };
  }

  /** The raw record word of a PFN's folio (0 when none yet), for tools and tests of the layouts. */
  rawRecord(pfn: number): number {
    const head = this.#mem === null ? pfn : this.#mem.folioHead(pfn);
    return Math.max((this.#store8 ?? this.#store32)!.read(head), 0);
  }

  /** True when batches with Uint32Array PFNs and one nid, without a memory model, run in the WebAssembly kernel. */
  get accelerated(): boolean {
    return this.#kernel !== null;
  }

  /** Bytes of hotness records allocated (sections are allocated on their first record). */
  get storeBytes(): number {
    return (this.#store8 ?? this.#store32)!.bytes;
  }

  // ---- kmigrated -------------------------------------------------------------------------------

  /** Lower-tier nodes, each with a kmigrated. */
  get kmigratedNodes(): readonly number[] {
    return this.topology.lowerTierNodeIds;
  }

  /**
   * One wake of kmigrated<nid> at `now` (jiffies): if the node's activate flag is set, clear it and
   * walk the sections whose hot flag test-and-clears, promoting ready folios in batches.
   */
  async wakeKmigrated(nid: number, now: number): Promise<KmigratedPassResult> {
    const k = this.#kmigrated.get(nid);
    if (!k) throw new ConfigError(`node ${nid} has no kmigrated: it is not a lower-tier node (lower tier: ${this.topology.lowerTierNodeIds.join(', ') || 'none'})`, { code: 'PGHOT_NODE' });
    this.flushHotPages();
    return k.wake(now);
  }

  /**
   * A periodic timer on the engine's clock, which the platform's host drives through advance():
   * `fn` runs on the first tick at or after `firstAtMs` (default: one period in), then on the first
   * tick a period after each run. It taps hooks.tick under `name` (the plugin's name).
   */
  every(name: string, periodMs: number, fn: (now: number) => void | Promise<void>, firstAtMs = periodMs): void {
    let next = firstAtMs;
    this.hooks.tick.tapPromise(name, async ({ now }) => {
      if (now < next) return;
      next = now + periodMs;
      await fn(now);
    });
  }

  /**
   * Move the engine's clock to `now`: every kmigrated wakes at each multiple of its sleep period
   * up to `now` (the kernel's thread polls; nothing wakes it early), then `hooks.tick` runs. Wakes
   * after one that found nothing to do are skipped up to `now`: they would find nothing either.
   * Returns the passes that did work.
   */
  async advance(now: number): Promise<KmigratedPassResult[]> {
    const passes: KmigratedPassResult[] = [];
    if (!this.#started) return passes;
    for (const nid of this.topology.lowerTierNodeIds) {
      while (this.#nextWake[nid]! <= now) {
        const at = this.#nextWake[nid]!;
        const result = await this.wakeKmigrated(nid, at);
        if (result.active) passes.push(result);
        const sleep = this.tunables.kmigrated_sleep_ms;
        // Nothing records while the clock jumps, so once a wake finds the flag clear every later
        // wake up to `now` would too: skip them, so a long gap costs one wake, not one per period.
        const idle = this.activate[nid] === 0 ? Math.floor((now - at) / sleep) : 0;
        this.#nextWake[nid] = at + (idle + 1) * sleep;
      }
    }
    await this.hooks.tick.promise({ engine: this, now });
    return passes;
  }

  /**
   * Promote folios chosen by a policy outside kmigrated's pass (NUMAB2's fault path, HeMem's
   * rounds...): each is isolated through the memory model, then the batch goes to the migration
   * backend with kmigrated's counting. Folios that cannot be isolated are skipped (counted as failed).
   */
  async promoteFolios(target: number, pfns: ArrayLike<number>, now: number): Promise<MigrationOutcome> {
    const mem = this.#mem;
    const heads: number[] = [];
    const pages: number[] = [];
    for (let i = 0; i < pfns.length; i++) {
      const head = mem === null ? pfns[i]! : mem.folioHead(pfns[i]!);
      if (mem?.isolateFolio !== undefined && !mem.isolateFolio(head)) continue;
      heads.push(head);
      pages.push(mem === null ? 1 : mem.folioNrPages(head));
    }
    const skipped = pfns.length - heads.length;
    // Stryker disable next-line ConditionalExpression,EqualityOperator,UnaryOperator: with no heads no batch is sent, so `from` is unused
    const from = heads.length > 0 ? this.topology.nodeOf(heads[0]!) : -1;
    const outcome =
      heads.length === 0
        ? { migratedFolios: 0, migratedPages: 0, failedFolios: 0, failedPages: 0, unclaimed: false }
        : await migrateBatch(this, {
            engine: this,
            reason: 'policy',
            from,
            target,
            now,
            length: heads.length,
            pfn: Float64Array.from(heads),
            nrPages: Uint32Array.from(pages),
            status: new Int32Array(heads.length),
          });
    return { ...outcome, failedFolios: outcome.failedFolios + skipped };
  }

  // ---- vmstat ----------------------------------------------------------------------------------

  /** All counters as a plain object, kernel names. */
  vmstat(): Record<string, number> {
    return this.counters.snapshot();
  }

  /** All counters as /proc/vmstat text. */
  vmstatText(): string {
    return this.counters.toText();
  }
}

/** Create a pghot instance; plugins are checked (core range, dependencies) and applied in order. */
export function createPghot(options: CreatePghotOptions): Pghot {
  return new Pghot(options);
}
