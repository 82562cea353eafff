import {
  CAPABILITIES,
  createPlatformHooks,
  defineBackend,
  type Capability,
  type HotnessCounters,
  type HotnessMonitorSettings,
  type MemoryModel,
  type PghotPlugin,
  type Platform,
  type PlatformCosts,
  type PlatformTask,
  type SampleRings,
  type SamplerSettings,
  type TopologySpec,
  type WalkBatch,
} from '@pghot/core';

/** One scripted access: task `task` touches its page `page` when the clock reaches `atMs`. */
export interface ScriptedAccess {
  atMs: number;
  task: number;
  page: number;
  write?: boolean;
  /** The accessing CPU (default 0, on node 0). */
  cpu?: number;
}

export interface FakePlatformOptions {
  /** The machine (default: the test topology, DRAM node 0 + CXL node 1). */
  topology?: TopologySpec;
  /** Tasks by their page counts; their pages are mapped one after another from `firstPfn`. Default: one task of 8 pages. */
  tasks?: readonly number[];
  /** Where the first task's first page is mapped (default: the first PFN of the first lower-tier node). */
  firstPfn?: number;
  /** Accesses to replay as the clock advances. */
  script?: readonly ScriptedAccess[];
  /** What the platform offers (default: everything); a smaller list tests a plugin's `requires`. */
  capabilities?: readonly Capability[];
}

export interface OverheadCharge {
  count: number;
  ns: number;
  foreground: boolean;
}

/**
 * A platform of a handful of pages for plugin tests, with no simulator: tasks whose pages are
 * mapped on a chosen node, scripted accesses that set Accessed bits, take hint faults on PROTNONE
 * PTEs and feed a sampler, and a mover that really remaps promoted and demoted pages. Faults reach
 * `hooks.hintFaults` once per clock step, before the engine advances. The clock (createTestEngine's)
 * drives it.
 */
export class FakePlatform implements Platform {
  readonly name = 'testkit';
  readonly capabilities: readonly Capability[];
  readonly hooks = createPlatformHooks();
  readonly seed = 1;
  readonly costs: PlatformCosts;
  readonly memory: MemoryModel;
  /** What plugins charged, by kind. */
  readonly overhead = new Map<string, OverheadCharge>();
  /** Per task: the PFN at each page (-1 unmapped), PROTNONE flags and when the scan set them. */
  readonly pte: Float64Array[];
  readonly #protnone: Uint8Array[];
  readonly #scanTime: Float64Array[];
  readonly #tasks: readonly PlatformTask[];
  /** Per PFN: Accessed bit, and which task/page maps it. */
  readonly #accessed = new Map<number, number>();
  readonly #rmap = new Map<number, { task: number; page: number }>();
  readonly #topology: TopologySpec;
  readonly #script: ScriptedAccess[];
  #now = 0;
  readonly #faults: { task: number; pfn: number; nid: number; time: number; latency: number }[] = [];
  #rings: (SampleRings & { left: Int32Array; period: number }) | null = null;
  #hmu: { unitShift: number; counts: Uint32Array; deviceAccesses: number; countedAccesses: number; factor: number; left: number } | null = null;
  /** The next free PFN per node (pages are never freed: a test machine never runs out). */
  readonly #nextFree = new Map<number, number>();

  constructor(options: FakePlatformOptions = {}) {
    const topology = options.topology ?? TEST_TOPOLOGY;
    this.#topology = topology;
    this.capabilities = options.capabilities ?? CAPABILITIES;
    const lower = topology.nodes.find((n) => n.tier > Math.min(...topology.nodes.map((x) => x.tier))) ?? topology.nodes[0]!;
    for (const n of topology.nodes) this.#nextFree.set(n.id, n.startPfn);
    let pfn = options.firstPfn ?? lower.startPfn;
    const sizes = options.tasks ?? [8];
    this.#tasks = Object.freeze(sizes.map((pages, id) => Object.freeze({ id, name: `task${id}`, pages })));
    this.pte = sizes.map((pages, task) => {
      const pte = new Float64Array(pages);
      for (let page = 0; page < pages; page++) {
        this.#rmap.set(pfn, { task, page });
        pte[page] = pfn++;
      }
      return pte;
    });
    const home = this.#nodeOf(pfn - 1);
    this.#nextFree.set(home, Math.max(this.#nextFree.get(home)!, pfn));
    this.#protnone = sizes.map((pages) => new Uint8Array(pages));
    this.#scanTime = sizes.map((pages) => new Float64Array(pages));
    this.#script = [...(options.script ?? [])].sort((a, b) => a.atMs - b.atMs);
    const used = (nid: number) => this.#nextFree.get(nid)! - topology.nodes.find((n) => n.id === nid)!.startPfn;
    const pagesOf = (nid: number) => topology.nodes.find((n) => n.id === nid)?.pages ?? 0;
    // order-0 folios on the LRU; no watermarks: a test machine never runs short
    this.memory = Object.freeze({
      pfnOnline: (pfn: number) => this.#nodeOf(pfn) >= 0,
      folioHead: (pfn: number) => pfn,
      folioNrPages: () => 1,
      folioOnLru: () => true,
      capacity: Object.freeze({
        freePages: (nid: number) => pagesOf(nid) - used(nid),
        highWatermarkPages: () => 0,
        promoWatermarkPages: () => 0,
        wakeKswapd: () => {},
      }),
    });
    this.costs = Object.freeze({ accessLatencyNs: (_cpu: number, mem: number) => (this.#isTop(mem) ? 100 : 250), migrateNsPerPage: 1000 });
  }

  #nodeOf(pfn: number): number {
    return this.#topology.nodes.find((n) => pfn >= n.startPfn && pfn < n.startPfn + n.pages)?.id ?? -1;
  }
  #isTop(nid: number): boolean {
    return this.#topology.nodes.find((n) => n.id === nid)?.tier === Math.min(...this.#topology.nodes.map((n) => n.tier));
  }
  #cpuNode(cpu: number): number {
    return this.#topology.nodes.find((n) => n.cpus?.includes(cpu))?.id ?? 0;
  }

  tasks(): readonly PlatformTask[] {
    return this.#tasks;
  }

  walk(task: number, start: number, count: number, out: WalkBatch): void {
    for (let i = 0; i < count; i++) out.pfn[i] = out.head[i] = this.pte[task]![start + i] ?? -1;
  }

  rmap(pfns: Float64Array, length: number, outTask: Int32Array, outPage: Float64Array): void {
    for (let i = 0; i < length; i++) {
      const m = this.#rmap.get(pfns[i]!);
      outTask[i] = m ? m.task : -1;
      outPage[i] = m ? m.page : -1;
    }
  }

  testYoung(heads: Float64Array, length: number, out: Uint8Array, clear: boolean): void {
    for (let i = 0; i < length; i++) {
      out[i] = this.#accessed.get(heads[i]!) ?? 0;
      if (clear) this.#accessed.set(heads[i]!, 0);
    }
  }

  mkold(heads: Float64Array, length: number): void {
    for (let i = 0; i < length; i++) this.#accessed.set(heads[i]!, 0);
  }

  changeProtNuma(task: number, start: number, count: number, nowMs: number): number {
    const pte = this.pte[task]!;
    let updated = 0;
    for (let k = 0, v = start % pte.length; k < count; k++, v = (v + 1) % pte.length) {
      if (pte[v]! < 0 || this.#isTop(this.#nodeOf(pte[v]!)) || this.#protnone[task]![v] === 1) continue;
      this.#protnone[task]![v] = 1;
      this.#scanTime[task]![v] = nowMs;
      updated++;
    }
    return updated;
  }

  attachSampler(settings: SamplerSettings): SampleRings {
    const cpus = [...new Set(this.#topology.nodes.flatMap((n) => n.cpus ?? []))];
    const ring = () => cpus.map(() => new Float64Array(settings.ringSize));
    this.#rings = {
      cpus,
      nid: Int16Array.from(cpus.map((c) => this.#cpuNode(c))),
      count: new Int32Array(cpus.length),
      pfn: ring(),
      timeMs: ring(),
      write: cpus.map(() => new Uint8Array(settings.ringSize)),
      totalEvents: 0,
      usefulEvents: 0,
      droppedEvents: 0,
      dramAccesses: 0,
      extmemAccesses: 0,
      left: new Int32Array(cpus.length).fill(settings.period),
      period: settings.period,
    };
    return this.#rings;
  }

  demoteColdest(nid: number, freePages: number): void {
    void nid;
    void freePages; // a test machine never fills its top tier
  }

  demoteFolios(heads: ArrayLike<number>, length: number, counter: string, moved: Uint8Array): void {
    void counter;
    const lower = this.#topology.nodes.find((n) => !this.#isTop(n.id));
    for (let i = 0; i < length; i++) moved[i] = lower && this.#isTop(this.#nodeOf(heads[i]!)) ? Number(this.#move(heads[i]!, lower.id)) : 0;
  }

  chargeOverhead(kind: string, count: number, nsEach: number, task: number | null): void {
    const o = this.overhead.get(kind) ?? { count: 0, ns: 0, foreground: task !== null };
    o.count += count;
    o.ns += count * nsEach;
    this.overhead.set(kind, o);
  }

  /** Remap the page at `pfn` to a free page of node `nid`; its Accessed bit goes with it. */
  #move(pfn: number, nid: number): boolean {
    const m = this.#rmap.get(pfn);
    if (!m) return false;
    const to = this.#nextFree.get(nid)!;
    this.#nextFree.set(nid, to + 1);
    this.pte[m.task]![m.page] = to;
    this.#rmap.delete(pfn);
    this.#rmap.set(to, m);
    this.#accessed.set(to, this.#accessed.get(pfn) ?? 0);
    this.#accessed.delete(pfn);
    return true;
  }

  /** Counters of the lower tier's accesses (every scripted access misses the caches here). */
  attachHotnessMonitor(settings: HotnessMonitorSettings): HotnessCounters {
    const end = Math.max(...this.#topology.nodes.map((n) => n.startPfn + n.pages));
    const factor = 2 ** settings.downsampleShift;
    this.#hmu = { unitShift: settings.unitShift, counts: new Uint32Array(Math.ceil(end / 2 ** settings.unitShift)), deviceAccesses: 0, countedAccesses: 0, factor, left: factor };
    return this.#hmu;
  }

  /** Task `task` touches page `page` now: Accessed bit, a hint fault if PROTNONE, a sample on its turn, a device count. */
  access(task: number, page: number, write = false, cpu = 0): void {
    const pfn = this.pte[task]![page]!;
    this.#accessed.set(pfn, 1);
    const hmu = this.#hmu;
    if (hmu && !this.#isTop(this.#nodeOf(pfn))) {
      hmu.deviceAccesses++;
      if (--hmu.left === 0) {
        hmu.left = hmu.factor;
        hmu.counts[pfn >>> hmu.unitShift]!++;
        hmu.countedAccesses++;
      }
    }
    if (this.#protnone[task]![page] === 1) {
      this.#protnone[task]![page] = 0;
      this.#faults.push({ task, pfn, nid: this.#cpuNode(cpu), time: this.#now, latency: this.#now - this.#scanTime[task]![page]! });
    }
    const r = this.#rings;
    const ring = r ? r.cpus.indexOf(cpu) : -1;
    if (r && ring >= 0 && --r.left[ring]! === 0) {
      r.left[ring] = r.period;
      const rings = r as { totalEvents: number; usefulEvents: number; droppedEvents: number; dramAccesses: number; extmemAccesses: number };
      rings.totalEvents++;
      if (this.#isTop(this.#nodeOf(pfn))) rings.dramAccesses++;
      else rings.extmemAccesses++;
      const n = r.count[ring]!;
      if (n === r.pfn[ring]!.length) {
        rings.droppedEvents++;
        return;
      }
      rings.usefulEvents++;
      r.pfn[ring]![n] = pfn;
      r.timeMs[ring]![n] = this.#now;
      r.write[ring]![n] = write ? 1 : 0;
      r.count[ring] = n + 1;
    }
  }

  /** The clock's step: run the script up to `now`, then hand the faults taken to hooks.hintFaults. */
  step(now: number): void {
    this.#now = now;
    while (this.#script.length > 0 && this.#script[0]!.atMs <= now) {
      const a = this.#script.shift()!;
      this.access(a.task, a.page, a.write ?? false, a.cpu ?? 0);
    }
    const n = this.#faults.length;
    if (n === 0) return;
    const f = this.#faults.splice(0);
    this.hooks.hintFaults.call({
      length: n,
      task: Int32Array.from(f, (x) => x.task),
      pfn: Float64Array.from(f, (x) => x.pfn),
      nid: Int16Array.from(f, (x) => x.nid),
      timeMs: Float64Array.from(f, (x) => x.time),
      latencyMs: Float64Array.from(f, (x) => x.latency),
    });
  }

  /** A migration step that remaps promoted folios in the fake page tables (the dry-run backend then claims and counts them). */
  readonly mover: PghotPlugin = defineBackend({
    name: 'testkit-fake-mover',
    apply: (engine) => {
      engine.hooks.migrateBatch.tapPromise('testkit-fake-mover', async (batch) => {
        for (let i = 0; i < batch.length; i++) this.#move(batch.pfn[i]!, batch.target);
        return undefined;
      });
    },
  });
}

/**
 * The test machine: node 0 is DRAM (top tier, 128 MiB = PFNs 0..32767, CPUs 0-1), node 1 is CXL
 * (lower tier, 512 MiB = PFNs 32768..163839, no CPUs).
 */
export const TEST_TOPOLOGY: TopologySpec = Object.freeze({
  nodes: [
    { id: 0, startPfn: 0, pages: 32_768, tier: 0, cpus: [0, 1] },
    { id: 1, startPfn: 32_768, pages: 131_072, tier: 1 },
  ],
});
/** First PFN of the test machine's CXL node. */
export const CXL_START = 32_768;

/** A fake platform for plugin tests (see FakePlatform). */
export const createTestPlatform = (options: FakePlatformOptions = {}): FakePlatform => new FakePlatform(options);
