import { SyncHook } from 'tapable';
import { ConfigError } from './errors.js';
import type { MemoryModel } from './memory.js';

/**
 * The platform contract: what a temperature source or a policy sees of the machine under the
 * engine, in the kernel's terms and batch-shaped (nothing per page crosses it). The simulator
 * (`@pghot/sim`) and a live Linux machine implement it; plugins import only core.
 *
 * Capabilities name what a platform offers; a plugin lists what it `requires` and gets a clear
 * error at load time when the platform lacks one.
 */
export type Capability =
  /** tasks(), walk() and rmap(): address spaces, their page tables and the reverse map. */
  | 'tasks'
  /** changeProtNuma() and hooks.hintFaults: NUMA hint faults (task_numa_work + do_numa_page). */
  | 'protnone'
  /** testYoung() / mkold(): the Accessed bit of folios. */
  | 'accessedBit'
  /** attachSampler(): per-CPU hardware samples (IBS, PEBS). */
  | 'hwSamples'
  /** attachHotnessMonitor(): device-side access counters of lower-tier memory (CXL CHMU). */
  | 'hmu'
  /** demoteFolios() and demoteColdest(): demotion to the next tier down. */
  | 'demote'
  /** chargeOverhead(): the cost of a source's or policy's work in the run's accounting. */
  | 'overhead'
  /** `memory`: folios, LRU, per-node free pages and watermarks (policies that size their moves). */
  | 'memory';

export const CAPABILITIES: readonly Capability[] = Object.freeze(['tasks', 'protnone', 'accessedBit', 'hwSamples', 'hmu', 'demote', 'overhead', 'memory']);

/** A task (process) whose memory the platform runs: virtual pages 0..pages-1 of its address space. */
export interface PlatformTask {
  /** Stable for the platform's life; the `task` of fault batches. */
  readonly id: number;
  readonly name: string;
  readonly pages: number;
}

/** One page-table walk: parallel arrays filled by `walk` for `count` consecutive virtual pages. */
export interface WalkBatch {
  /** PFN mapped at the page, -1 when not mapped. */
  readonly pfn: Float64Array;
  /** Head PFN of the folio holding it, -1 when not mapped. */
  readonly head: Float64Array;
}

/** NUMA hint faults taken since the last batch. Views: copy what you keep. */
export interface HintFaultBatch {
  readonly length: number;
  /** The faulting task's id. */
  readonly task: Int32Array;
  readonly pfn: Float64Array;
  /** Node of the faulting CPU. */
  readonly nid: Int16Array;
  readonly timeMs: Float64Array;
  /** Time from the scan making the PTE PROTNONE to this fault. */
  readonly latencyMs: Float64Array;
}

/** How a hardware sampler tags accesses (IBS op sampling, PEBS load-latency). */
export interface SamplerSettings {
  /** One access in `period` is tagged, per CPU. */
  period: number;
  /** Keep only accesses that missed the last-level cache. */
  l3MissOnly: boolean;
  /** Keep only accesses slower than this. */
  minLatencyNs: number;
  /** Samples a per-CPU ring holds between drains. */
  ringSize: number;
  /** Interrupt cost per delivered sample, charged to the sampled thread. */
  costNs: number;
}

/**
 * Per-CPU sample rings the platform fills; the source drains them (reads `count[r]` samples of
 * ring r, then sets `count[r] = 0`). The event counters are cumulative.
 */
export interface SampleRings {
  readonly cpus: readonly number[];
  /** Node of each ring's CPU. */
  readonly nid: Int16Array;
  readonly count: Int32Array;
  readonly pfn: readonly Float64Array[];
  readonly timeMs: readonly Float64Array[];
  /** 1 for a store. */
  readonly write: readonly Uint8Array[];
  readonly totalEvents: number;
  readonly usefulEvents: number;
  readonly droppedEvents: number;
  readonly dramAccesses: number;
  readonly extmemAccesses: number;
}

/** How a memory device counts the accesses that reach it (a CXL Hotness Monitoring Unit's counters). */
export interface HotnessMonitorSettings {
  /** Unit size: 2^unitShift pages (hotness_granual - 12). */
  unitShift: number;
  /** Count one access in 2^downsampleShift reaching the device (downsampling_factor), per device. */
  downsampleShift: number;
}

/**
 * Raw per-unit access counts of every lower-tier node (units of 2^unitShift pages, indexed by
 * PFN >> unitShift), filled by the platform as accesses miss the host caches and reach the
 * device; the source reads, compares and clears them (epochs, thresholds, the hot list).
 */
export interface HotnessCounters {
  readonly unitShift: number;
  readonly counts: Uint32Array;
  /** Accesses that reached the lower tier, and those counted after downsampling (cumulative). */
  readonly deviceAccesses: number;
  readonly countedAccesses: number;
}

export interface PlatformCosts {
  /** Load latency from a CPU of node `cpuNid` to memory of node `memNid`. */
  accessLatencyNs(cpuNid: number, memNid: number): number;
  /** Time to migrate one base page. */
  readonly migrateNsPerPage: number;
}

export interface PlatformHooks {
  /** Hint faults, per batch (the simulator: per 1 ms quantum with faults). */
  readonly hintFaults: SyncHook<[HintFaultBatch]>;
}

export interface Platform {
  /** 'sim', 'linux', 'testkit'…: named in capability errors. */
  readonly name: string;
  readonly capabilities: readonly Capability[];
  readonly hooks: PlatformHooks;
  /** The run's seed, for plugins that draw random numbers (DAMON's region sampling). */
  readonly seed: number;
  /** Folio heads and sizes, LRU membership, per-node free pages and watermarks (null: not known). */
  readonly memory: MemoryModel | null;
  /** The tasks whose memory is monitored. */
  tasks(): readonly PlatformTask[];
  /** Fill `out` with the PFNs (and folio heads) of `task`'s pages [start, start + count). */
  walk(task: number, start: number, count: number, out: WalkBatch): void;
  /** The reverse map: the task and virtual page mapping each PFN (task -1 when none maps it). */
  rmap(pfns: Float64Array, length: number, outTask: Int32Array, outPage: Float64Array): void;
  /** out[i] = 1 when folio `heads[i]`'s Accessed bit is set (folio_test_young); `clear` also clears it (test-and-clear). */
  testYoung(heads: Float64Array, length: number, out: Uint8Array, clear: boolean): void;
  /** Clear the Accessed bit of these folios (folio_clear_young: DAMON's prepare_access_checks). */
  mkold(heads: Float64Array, length: number): void;
  /**
   * change_prot_numa over `count` pages of `task` from `start` (wrapping at the end of the
   * address space): lower-tier, mapped PTEs not yet PROTNONE become PROTNONE, stamped `nowMs` for
   * the scan → fault latency. Returns how many PTEs it changed.
   */
  changeProtNuma(task: number, start: number, count: number, nowMs: number): number;
  /** Start hardware sampling; the source drains the rings on its timer. */
  attachSampler(settings: SamplerSettings): SampleRings;
  /** Start the lower-tier devices' hotness counters (one monitor per platform). */
  attachHotnessMonitor(settings: HotnessMonitorSettings): HotnessCounters;
  /** Demote the coldest folios of top-tier node `nid` until it has `freePages` free. */
  demoteColdest(nid: number, freePages: number): void;
  /**
   * Demote these folios (heads) to the next tier down, in order; `moved[i]` = 1 when folio i moved.
   * `counter` is the vmstat counter the pages count under (pgdemote_direct, pgdemote_kswapd).
   */
  demoteFolios(heads: ArrayLike<number>, length: number, counter: string, moved: Uint8Array): void;
  /** The machine's costs, for policies that weigh a migration against its gain (ARMS). */
  readonly costs: PlatformCosts;
  /**
   * Account `count` units of work at `nsEach`: to `task` (foreground: it slows that task) or, with
   * null, to background kernel threads (reported, not added to the run time).
   */
  chargeOverhead(kind: string, count: number, nsEach: number, task: number | null): void;
}

/** A platform's hooks, for implementations (the simulator, the live machine, the testkit). */
export function createPlatformHooks(): PlatformHooks {
  return Object.freeze({ hintFaults: new SyncHook<[HintFaultBatch]>(['faults']) });
}

/** The platform of an engine created without one: offers nothing. */
export function noPlatform(): Platform {
  const missing = (what: string) => () => {
    throw new ConfigError(`the engine has no platform: ${what} is not available`, { code: 'PGHOT_PLATFORM' });
  };
  return Object.freeze({
    name: 'none',
    capabilities: [],
    hooks: createPlatformHooks(),
    seed: 1,
    memory: null,
    tasks: () => [],
    walk: missing('walk'),
    rmap: missing('rmap'),
    demoteFolios: missing('demoteFolios'),
    costs: Object.freeze({ accessLatencyNs: () => 0, migrateNsPerPage: 0 }),
    testYoung: missing('testYoung'),
    mkold: missing('mkold'),
    changeProtNuma: missing('changeProtNuma'),
    attachSampler: missing('attachSampler'),
    attachHotnessMonitor: missing('attachHotnessMonitor'),
    demoteColdest: missing('demoteColdest'),
    chargeOverhead: () => {},
  });
}

/** Preallocated walk buffers of `size` pages. */
export function createWalkBatch(size: number): WalkBatch {
  return { pfn: new Float64Array(size), head: new Float64Array(size) };
}

/** The load-time check: every capability a plugin requires is offered, else a ConfigError naming both. */
export function checkCapabilities(platform: Platform, plugins: readonly { name: string; requires?: readonly Capability[] }[]): void {
  for (const plugin of plugins) {
    const missing = (plugin.requires ?? []).filter((c) => !platform.capabilities.includes(c));
    if (missing.length) {
      throw new ConfigError(
        `plugin "${plugin.name}" requires ${missing.join(', ')}, which the platform "${platform.name}" does not offer (it offers: ${platform.capabilities.join(', ') || 'nothing'})`,
        { code: 'PGHOT_CAPABILITY' },
      );
    }
  }
}

/**
 * Dense indices over the tasks' virtual pages (task by task, in tasks() order), for policies that
 * keep per-page state: a page keeps its index when it migrates (its PFN changes), as HeMem and
 * ARMS track pages in user space. PFNs map in through rmap(), indices back through walk().
 */
export class TaskPageIndex {
  /** Pages of all tasks, end to end: the size of a per-page array. */
  readonly size: number;
  readonly #platform: Platform;
  readonly #tasks: readonly PlatformTask[];
  readonly #base = new Map<number, number>();
  #rmapTask = new Int32Array(0);
  #rmapPage = new Float64Array(0);
  readonly #one = createWalkBatch(1);
  readonly #walk = createWalkBatch(4096);

  constructor(platform: Platform) {
    this.#platform = platform;
    this.#tasks = platform.tasks();
    let base = 0;
    for (const t of this.#tasks) {
      this.#base.set(t.id, base);
      base += t.pages;
    }
    this.size = base;
  }

  /** out[i] = the index of the page mapped at pfns[i], or -1. */
  ofPfns(pfns: Float64Array, length: number, out: Float64Array): void {
    if (this.#rmapTask.length < length) {
      this.#rmapTask = new Int32Array(length);
      this.#rmapPage = new Float64Array(length);
    }
    this.#platform.rmap(pfns, length, this.#rmapTask, this.#rmapPage);
    for (let i = 0; i < length; i++) {
      const base = this.#base.get(this.#rmapTask[i]!);
      out[i] = base === undefined ? -1 : base + this.#rmapPage[i]!;
    }
  }

  /** The PFN page `index` maps now, or -1. */
  pfnOf(index: number): number {
    for (const t of this.#tasks) {
      const base = this.#base.get(t.id)!;
      if (index >= base && index < base + t.pages) {
        this.#platform.walk(t.id, index - base, 1, this.#one);
        return this.#one.pfn[0]!;
      }
    }
    return -1;
  }

  /** out[g] = the PFN page g maps now (-1 when none), for every index: one walk over every task. */
  snapshot(out: Float64Array): void {
    const walk = this.#walk;
    for (const t of this.#tasks) {
      const base = this.#base.get(t.id)!;
      for (let start = 0; start < t.pages; start += 4096) {
        const count = Math.min(4096, t.pages - start);
        this.#platform.walk(t.id, start, count, walk);
        out.set(walk.pfn.subarray(0, count), base + start);
      }
    }
  }
}
