import { ConfigError, createPghot, PghotError, SECTION_SHIFT, type HotnessMonitorSettings, type Pghot } from '@pghot/core';
import { Llc } from './llc.js';
import { buildMachine, type Machine } from './machine.js';
import { Metrics } from './metrics.js';
import { HotnessMonitor } from './hmu.js';
import { Sampler, type SamplerOptions } from './sampler.js';
import { OracleRecorder } from './oracles.js';
import { HeatmapRecorder } from './heatmap.js';
import { PhysicalMemory, THP_ORDER, THP_PAGES } from './physmem.js';
import { mulberry32, streamSeed } from './random.js';
import { createWorkload, type ProcessSpec, type WorkloadInstance } from './workloads.js';

import { AddressSpace, type SimThread } from './address-space.js';
import { type Alloc, type BoundReplay, heapAlloc, ReplayKernel, type ReplayCounts } from './replay-kernel.js';
import { verifySimulation } from './invariants.js';
import { Kswapd } from './kswapd.js';
import { mapFolio, moveAll, simMigrationBackend } from './migration.js';
import { PTE_PROTNONE, SimPlatform } from './platform.js';

import type { PlacementPolicy, SimOptions } from './options.js';
import { getSimHooks, registerSim, type SimHooks } from './sim-hooks.js';

export { AddressSpace, PTE_PROTNONE, type SimThread };
export { getSim, getSimHooks, type DemotionRequest, type SimHooks } from './sim-hooks.js';
export type { PlacementPolicy, SimOptions } from './options.js';

const QUANTUM_NS = 1_000_000;
/**
 * Replay reads its batch's page tables ahead (#touch), TOUCH accesses at a time, when the address
 * spaces have at least PREFETCH_PAGES pages: their per-access tables (about 13 bytes a page) then
 * outgrow the last-level cache. Measured: 18 % faster at an 8 GiB footprint, 50 % at 32 GiB, 11 %
 * slower at 2 GiB.
 */
const PREFETCH_PAGES = 1 << 20;
const TOUCH = 64;
const BATCH = 1024;
const FAULT_BUFFER = 65_536;

/**
 * A simulated tiered machine running a workload under a pghot engine. Accesses replay per 1 ms
 * quantum per thread; then hint faults go to sources, kswapd demotes, and the engine advances
 * (kmigrated wakes every kmigrated_sleep_ms). The simulation is its engine's memory model and
 * migration backend.
 */
export class Simulation {
  readonly machine: Machine;
  readonly mem: PhysicalMemory;
  readonly workload: WorkloadInstance;
  readonly engine: Pghot;
  readonly hooks: SimHooks;
  /** Demotion: kswapd's CLOCK, and the demotions policies ask for. */
  readonly kswapd: Kswapd;
  /** What plugins see of this simulation (the platform contract of @pghot/core). */
  readonly platform: SimPlatform;
  readonly processes: AddressSpace[] = [];
  readonly threads: SimThread[] = [];
  readonly metrics: Metrics;
  readonly oracles: OracleRecorder;
  /** Accesses per (time, address) of the workload's pages and of physical memory, with promotions. */
  readonly heatmap: HeatmapRecorder;
  readonly options: Readonly<Required<Pick<SimOptions, 'seed' | 'promotion' | 'demotion' | 'hintFaultNs' | 'intervalMs' | 'warmUpMs' | 'pingPongWindowMs' | 'verify'>>>;
  /** The engine clock: ms at the end of the last quantum. */
  nowMs = 0;
  /** Cost of a last-level-cache hit; 0 without an LLC model. */
  readonly llcHitNs: number;
  readonly #placement: { policy: PlacementPolicy; node: number };
  readonly #placementOrders = new Map<number, readonly number[]>();
  readonly #moveAt: { timeMs: number; node: number } | null;
  #moved = false;
  readonly #llc: Llc | null;
  /** Read each batch's page tables ahead of its replay (#touch): when they outgrow the caches. */
  readonly #prefetch: boolean;
  #sink = 0;
  /** The replay loop in WebAssembly, with the arrays it reads in its memory; null if they do not fit. */
  readonly #kernel: ReplayKernel | null;
  /** Each thread's kernel replay, once made (null: its arrays are not all in the kernel's memory). */
  readonly #boundReplay: (BoundReplay | null | undefined)[] = [];
  /** Each thread's row of #latency, made on first use (not a view per quantum): the JavaScript replay and the kernel read it. */
  readonly #latencyRow: Float64Array[] = [];
  readonly #counts: ReplayCounts = { t: 0, fast: 0, slow: 0, done: 0, device: 0, counted: 0 };
  /** The latency matrix and the top-tier flags by node index, where the kernel reads them. */
  readonly #latency: Float64Array;
  readonly #top: Uint8Array;
  readonly #pending: { vpage: Int32Array; line: Uint8Array; write: Uint8Array; pos: number; len: number }[] = [];
  readonly #fault = {
    mm: new Int32Array(FAULT_BUFFER),
    pfn: new Float64Array(FAULT_BUFFER),
    nid: new Int16Array(FAULT_BUFFER),
    timeMs: new Float64Array(FAULT_BUFFER),
    latencyMs: new Float64Array(FAULT_BUFFER),
    length: 0,
  };
  /** The PMU sampler a hardware-sample source attached, if any. */
  sampler: Sampler | null = null;
  /** The lower tier's hotness counters a CHMU source attached, if any. */
  hmu: HotnessMonitor | null = null;
  readonly #onProgress: ((fraction: number, simTimeMs: number) => void) | undefined;

  constructor(options: SimOptions) {
    const machine = options.machine;
    this.machine = typeof machine === 'object' && 'indexOf' in machine ? machine : buildMachine(machine);
    const seed = options.seed ?? 1;
    this.options = Object.freeze({
      seed,
      promotion: options.promotion ?? true,
      demotion: options.demotion ?? options.promotion ?? true,
      hintFaultNs: options.hintFaultNs ?? 1000,
      intervalMs: options.intervalMs ?? 1000,
      warmUpMs: options.warmUpMs ?? 2000,
      pingPongWindowMs: options.pingPongWindowMs ?? 1000,
      verify: options.verify ?? false,
    });
    const w = options.workload;
    this.workload = typeof w === 'string' ? createWorkload(w, {}, seed) : 'processes' in w ? w : createWorkload(w.name, w.params ?? {}, seed);
    // with room for a hotness monitor's counts (one per PFN at most) where that still fits
    const bytes = kernelBytes(this.machine, this.workload);
    this.#kernel = options.wasm === false ? null : (ReplayKernel.create(bytes + this.machine.endPfn * 4) ?? ReplayKernel.create(bytes));
    const alloc: Alloc = this.#kernel?.alloc ?? heapAlloc;
    this.mem = new PhysicalMemory(this.machine, alloc);
    const n = this.machine.nodeCount;
    this.#latency = alloc(Float64Array, n * n);
    this.#latency.set(this.machine.latency);
    this.#top = alloc(Uint8Array, n);
    this.#top.set(this.machine.nodes.map((x) => (x.topTier ? 1 : 0)));
    this.#placement = this.#checkPlacement(options.placement ?? { policy: 'local' });
    this.#moveAt = options.moveAt ?? null;
    if (this.#moveAt && this.machine.indexOf[this.#moveAt.node]! < 0) throw new ConfigError(`moveAt: node ${this.#moveAt.node} is not on machine "${this.machine.name}"`, { code: 'PGHOT_SIM' });
    this.#llc = options.llc ? new Llc(options.llc) : null;
    this.llcHitNs = this.#llc?.hitNs ?? 0;
    this.#onProgress = options.onProgress;

    this.platform = new SimPlatform(this);
    this.engine = createPghot({
      topology: this.machine.topology,
      memory: this.mem,
      platform: this.platform,
      ...(options.mode ? { mode: options.mode } : {}),
      ...(options.tunables ? { tunables: options.tunables } : {}),
      ...(options.stickyReady !== undefined ? { stickyReady: options.stickyReady } : {}),
      plugins: [...(options.plugins ?? []), simMigrationBackend(this)],
    });
    this.hooks = getSimHooks(this.engine);
    registerSim(this.engine, this);
    this.kswapd = new Kswapd(this);

    // a footprint the machine cannot hold would fail at the first allocation past its memory (no swap)
    const footprint = this.workload.processes.reduce((a, p) => a + p.footprintPages, 0);
    this.#prefetch = footprint >= PREFETCH_PAGES;
    const memory = this.machine.nodes.reduce((a, n) => a + n.pages, 0);
    if (footprint > memory) {
      throw new ConfigError(
        `workload "${this.workload.name}": its footprint (${(footprint / 256).toLocaleString('en-US')} MiB) is more than machine "${this.machine.name}" has (${memory / 256} MiB): lower workload.footprintMiB or choose a larger machine`,
        { code: 'PGHOT_SIM' },
      );
    }
    let base = 0;
    const cpuNodes = this.machine.nodes.filter((n) => n.topTier && n.cpus.length > 0);
    const used = new Map<number, number>();
    for (const spec of this.workload.processes) {
      const mm = new AddressSpace(this.processes.length, spec, base, alloc);
      base += spec.footprintPages;
      this.processes.push(mm);
      for (let t = 0; t < spec.threads; t++) {
        const cpu = this.#pickCpu(spec, t, cpuNodes, used);
        const nid = this.machine.cpuNode(cpu);
        if (nid < 0) throw new ConfigError(`workload "${spec.name}": CPU ${cpu} is on no node of machine "${this.machine.name}"`, { code: 'PGHOT_SIM' });
        const thread: SimThread = { id: this.threads.length, mm, spec, index: t, cpu, nid, nodeIndex: this.machine.indexOf[nid]!, timeNs: 0, done: false, accesses: 0, fast: 0, slow: 0, llcHits: 0, sampleLeft: 0, ring: -1 };
        mm.threads.push(thread);
        this.threads.push(thread);
        this.#pending.push({ vpage: alloc(Int32Array, BATCH), line: new Uint8Array(BATCH), write: new Uint8Array(BATCH), pos: 0, len: 0 });
      }
    }
    this.metrics = new Metrics(this);
    this.oracles = new OracleRecorder(this, base, alloc);
    this.heatmap = new HeatmapRecorder(this.machine, base, alloc);
  }

  /** The migratepages event (`moveAt`), if the run has one. */
  get moveAt(): { timeMs: number; node: number } | null {
    return this.#moveAt;
  }

  #checkPlacement(p: { policy: PlacementPolicy; node?: number }): { policy: PlacementPolicy; node: number } {
    if (p.policy === 'local') return { policy: 'local', node: -1 };
    if (p.node === undefined || this.machine.indexOf[p.node]! < 0) {
      throw new ConfigError(`placement "${p.policy}" needs a node of machine "${this.machine.name}" (${this.machine.nodes.map((n) => n.id).join(', ')})`, { code: 'PGHOT_SIM' });
    }
    return { policy: p.policy, node: p.node };
  }

  #pickCpu(spec: ProcessSpec, t: number, cpuNodes: { cpus: readonly number[] }[], used: Map<number, number>): number {
    if (spec.cpus && spec.cpus.length > 0) return spec.cpus[t % spec.cpus.length]!;
    const node = cpuNodes[spec.spread ? t % cpuNodes.length : 0]!;
    const k = used.get(cpuNodes.indexOf(node)) ?? 0;
    used.set(cpuNodes.indexOf(node), k + 1);
    return node.cpus[k % node.cpus.length]!;
  }

  /** Attach the lower tier's hotness counters (one monitor per simulation), in the kernel's memory where they fit. */
  attachHotnessMonitor(settings: HotnessMonitorSettings): HotnessMonitor {
    if (this.hmu) throw new PghotError('the simulation already has a hotness monitor (one CHMU source at a time)', { code: 'PGHOT_SIM' });
    this.hmu = new HotnessMonitor(settings, this.engine.topology.endPfn, this.machine.nodeCount, this.#kernel?.alloc);
    this.#boundReplay.length = 0; // bound again, with the monitor
    return this.hmu;
  }

  /**
   * Attach a PMU-style sampler (one per simulation): each thread's CPU gets a ring, and the first
   * tagged access of a CPU comes after a seeded offset in [1, period], so CPUs do not sample in step.
   */
  attachSampler(options: SamplerOptions): Sampler {
    if (this.sampler) throw new PghotError('the simulation already has a sampler (one hardware-sample source at a time)', { code: 'PGHOT_SIM' });
    const cpus = [...new Set(this.threads.map((t) => t.cpu))];
    const sampler = new Sampler(options, cpus, cpus.map((c) => this.machine.cpuNode(c)));
    const random = mulberry32(streamSeed(this.options.seed, 0xb5));
    for (const th of this.threads) {
      th.ring = cpus.indexOf(th.cpu);
      th.sampleLeft = 1 + Math.floor(random() * options.period);
    }
    this.sampler = sampler;
    return sampler;
  }

  /** Charge modelled CPU time of a source: to a thread (foreground, adds to its run time) or to no one (background). */
  chargeOverhead(kind: string, count: number, nsEach: number, thread: SimThread | null): void {
    if (thread) thread.timeNs += count * nsEach;
    this.metrics.overhead(kind, count, count * nsEach, thread !== null);
  }

  /** Demote one folio (see Kswapd.demoteFolio). */
  demoteFolio(head: number, counter = 'pgdemote_kswapd'): boolean {
    return this.kswapd.demoteFolio(head, counter);
  }

  /** Demote by CLOCK on top-tier node `nid` until it has `freePages` free. */
  demoteColdest(nid: number, freePages: number): void {
    this.kswapd.demoteColdest(nid, freePages);
  }

  /** Check the invariants; throws a PghotError naming the first one broken. */
  verify(): { checks: string[] } {
    return verifySimulation(this);
  }

  /** Run to completion; resolves to the run's measurements. */
  async run(): Promise<SimResult> {
    await this.engine.init();
    const total = this.workload.processes.reduce((a, p) => a + p.totalAccesses, 0);
    let live = this.threads.length;
    let lastProgress = 0;
    for (let q = 1; live > 0; q++) {
      const qEndNs = q * QUANTUM_NS;
      live = 0;
      for (const th of this.threads) {
        if (th.done) continue;
        if (th.timeNs < qEndNs) this.#replay(th, qEndNs);
        if (!th.done) live++;
      }
      this.nowMs = q;
      this.#flushFaults();
      if (this.#moveAt && !this.#moved && this.nowMs >= this.#moveAt.timeMs) {
        this.#moved = true;
        moveAll(this, this.#moveAt.node);
      }
      if (this.options.demotion) this.kswapd.run();
      if (this.options.promotion) await this.engine.advance(this.nowMs);
      this.metrics.quantum(this.nowMs);
      if (this.#onProgress && q - lastProgress >= 250) {
        lastProgress = q;
        this.#onProgress(this.threads.reduce((a, t) => a + t.accesses, 0) / total, this.nowMs);
      }
    }
    this.metrics.finish(this.nowMs);
    await this.engine.shutdown();
    if (this.options.verify) verifySimulation(this);
    return { sim: this, estimatedTimeNs: Math.max(...this.threads.map((t) => t.timeNs)) };
  }

  /** Replay one thread's accesses until its clock passes `untilNs` or its workload ends. */
  #replay(th: SimThread, untilNs: number): void {
    const mm = th.mm;
    const pte = mm.pte;
    const flags = mm.flags;
    const mem = this.mem;
    const headPlus1 = mem.headPlus1;
    const accessed = mem.accessed;
    const nodeOfSection = mem.nodeOfSection;
    const latency = this.#latencyRowOf(th);
    const top = this.metrics.topTierByIndex;
    const cpuNs = this.machine.cpuNsPerAccess;
    const faultNs = this.options.hintFaultNs;
    const llc = this.#llc;
    const sampler = this.sampler;
    const hmu = this.hmu;
    const rec = this.oracles;
    const heat = this.heatmap;
    const buf = this.#pending[th.id]!;
    const kernel = llc === null ? this.#kernelReplay(th) : null;
    const counts = this.#counts;
    let t = th.timeNs;
    let fast = 0;
    let slow = 0;
    let done = 0;
    let llcHits = 0;
    while (t < untilNs) {
      if (buf.pos === buf.len) {
        buf.len = th.spec.fill(th.index, t, buf.vpage, buf.line, buf.write);
        buf.pos = 0;
        if (buf.len === 0) {
          th.done = true;
          break;
        }
      }
      // the batch's accesses, with the position in a local (written back when the loop stops)
      const { vpage: vpages, line: lines, write: writes, len } = buf;
      let i = buf.pos;
      let touched = i;
      while (i < len && t < untilNs) {
        if (kernel !== null) {
          // every plain access in WebAssembly; it stops at one JavaScript must run, and before the
          // sampler's next tagged access
          const end = sampler === null ? len : Math.min(len, i + th.sampleLeft - 1);
          i = kernel(i, end, t, untilNs, counts);
          t = counts.t;
          fast += counts.fast;
          slow += counts.slow;
          done += counts.done;
          if (sampler !== null) th.sampleLeft -= counts.done;
          if (hmu !== null) {
            hmu.deviceAccesses += counts.device;
            hmu.countedAccesses += counts.counted;
          }
          if (i === len || !(t < untilNs)) break;
        } else if (this.#prefetch && i >= touched) {
          touched = Math.min(len, i + TOUCH);
          this.#touch(mm, vpages, i, touched);
        }
        const k = i++;
        const vpage = vpages[k]!;
        let pfn = pte[vpage]!;
        if (pfn < 0) pfn = this.#faultIn(th, vpage);
        const f = flags[vpage]!;
        if ((f & PTE_PROTNONE) !== 0) {
          flags[vpage] = f & ~PTE_PROTNONE;
          this.#recordFault(th, vpage, pfn, t);
          t += faultNs;
          this.metrics.hintFault(faultNs);
        }
        accessed[headPlus1[pfn]! - 1] = 1;
        done++;
        const ni = nodeOfSection[pfn >>> SECTION_SHIFT]!;
        const hit = llc !== null && llc.hit(mm.id, vpage, lines[k]!);
        if (sampler !== null && --th.sampleLeft === 0) {
          th.sampleLeft = sampler.options.period;
          if (sampler.sample(th.ring, pfn, t / 1e6, hit, hit ? 0 : latency[ni]!, top[ni] === 1, writes[k] === 1)) t += sampler.options.costNs;
        }
        if (hit) {
          t += cpuNs + llc.hitNs;
          fast++; // an LLC hit never reaches memory: it counts as a fast access
          llcHits++;
          continue;
        }
        const g = mm.base + vpage;
        rec.record(th.id, g);
        heat.access(g, pfn);
        if (hmu !== null && top[ni] === 0) hmu.access(ni, pfn);
        t += cpuNs + latency[ni]!;
        if (top[ni] === 1) fast++;
        else slow++;
      }
      buf.pos = i;
    }
    th.timeNs = Math.max(th.timeNs, t);
    th.accesses += done;
    th.fast += fast;
    th.slow += slow;
    th.llcHits += llcHits;
    this.metrics.accesses(fast, slow, llcHits);
  }

  /** The thread's replay in the kernel, made on first use; null without a kernel or with arrays outside it. */
  #latencyRowOf(th: SimThread): Float64Array {
    const n = this.machine.nodeCount;
    return (this.#latencyRow[th.id] ??= this.#latency.subarray(th.nodeIndex * n, th.nodeIndex * n + n));
  }

  #kernelReplay(th: SimThread): BoundReplay | null {
    let bound = this.#boundReplay[th.id];
    if (bound === undefined) {
      bound = this.#boundReplay[th.id] =
        this.#kernel?.bind(
          {
            vpages: this.#pending[th.id]!.vpage,
            pte: th.mm.pte,
            flags: th.mm.flags,
            headPlus1: this.mem.headPlus1,
            accessed: this.mem.accessed,
            nodeOfSection: this.mem.nodeOfSection,
            latency: this.#latencyRowOf(th),
            top: this.#top,
            hmu: this.hmu,
            counts: this.oracles.counts,
            vcur: this.heatmap.vcur,
            pcur: this.heatmap.pcur,
            prow: this.heatmap.prow,
          },
          {
            cpuNs: this.machine.cpuNsPerAccess,
            sectionShift: SECTION_SHIFT,
            threads: this.threads.length,
            tid: th.id,
            base: th.mm.base,
            vshift: this.heatmap.vshift,
            pshift: this.heatmap.pshift,
            headIsPfn: !this.machine.thp,
          },
        ) ?? null;
    }
    return bound;
  }

  /**
   * Read, ahead of the replay, what the replay of these accesses will read: the PTEs, flags, folio
   * heads, Accessed bytes and oracle counts of their pages. Each loop's loads are independent of each other, so
   * their cache misses overlap, where in the replay each waits on the one before. Only on machines
   * whose tables outgrow the caches (#prefetch); it changes no result.
   */
  #touch(mm: AddressSpace, vpages: Int32Array, from: number, len: number): void {
    const { pte, flags } = mm;
    const { headPlus1, accessed } = this.mem;
    let sink = 0;
    for (let i = from; i < len; i++) sink ^= pte[vpages[i]!]! ^ flags[vpages[i]!]!;
    for (let i = from; i < len; i++) {
      const pfn = pte[vpages[i]!]!;
      if (pfn >= 0) sink ^= headPlus1[pfn]!;
    }
    for (let i = from; i < len; i++) {
      const pfn = pte[vpages[i]!]!;
      if (pfn >= 0) sink ^= accessed[headPlus1[pfn]! - 1]!;
    }
    const counts = this.oracles.counts;
    const threads = this.threads.length;
    for (let i = from; i < len; i++) sink ^= counts[(mm.base + vpages[i]!) * threads * 2]!;
    this.#sink ^= sink;
  }

  #recordFault(th: SimThread, vpage: number, pfn: number, tNs: number): void {
    const f = this.#fault;
    if (f.length === FAULT_BUFFER) this.#flushFaults();
    const i = f.length++;
    const timeMs = tNs / 1e6;
    f.mm[i] = th.mm.id;
    f.pfn[i] = pfn;
    f.nid[i] = th.nid;
    f.timeMs[i] = timeMs;
    f.latencyMs[i] = timeMs - th.mm.scanTimeMs[vpage]!;
  }

  #flushFaults(): void {
    const f = this.#fault;
    const n = f.length;
    if (n === 0) return;
    f.length = 0;
    this.platform.hooks.hintFaults.call({
      length: n,
      task: f.mm.subarray(0, n),
      pfn: f.pfn.subarray(0, n),
      nid: f.nid.subarray(0, n),
      timeMs: f.timeMs.subarray(0, n),
      latencyMs: f.latencyMs.subarray(0, n),
    });
  }

  /** First touch: allocate by the placement policy (THP when enabled and a 2 MiB block fits), map, return the PFN. */
  #faultIn(th: SimThread, vpage: number): number {
    const mm = th.mm;
    const order = this.#placementOrder(th.nid);
    if (this.machine.thp) {
      const vbase = vpage - (vpage % THP_PAGES);
      if (vbase + THP_PAGES <= mm.pages && mm.pte.subarray(vbase, vbase + THP_PAGES).every((p) => p < 0)) {
        for (const ni of order) {
          if (!this.#aboveLow(ni, THP_PAGES)) continue;
          const head = this.mem.alloc(ni, THP_ORDER);
          if (head < 0) continue;
          mapFolio(this, mm, vbase, head, THP_PAGES);
          return head + (vpage - vbase);
        }
      }
    }
    // first a node that stays above its low watermark, then any node with a free page
    for (let pass = 0; pass < 2; pass++) {
      for (const ni of order) {
        if (pass === 0 && !this.#aboveLow(ni, 1)) continue;
        const pfn = this.mem.alloc(ni, 0);
        if (pfn < 0) continue;
        mapFolio(this, mm, vpage, pfn, 1);
        return pfn;
      }
    }
    throw new PghotError(`out of memory: ${this.#placement.policy === 'bind' ? `node ${this.#placement.node} (bind)` : 'every node'} is full (workload "${mm.name}")`, {
      code: 'PGHOT_SIM_OOM',
    });
  }

  /** The page allocator's fast path: stay above the low watermark; below it, kswapd is woken and the next node tried. */
  #aboveLow(ni: number, pages: number): boolean {
    const node = this.machine.nodes[ni]!;
    if (this.mem.freePages(ni) - pages >= node.watermarks.low) return true;
    if (this.options.demotion && node.topTier) this.mem.kswapdWanted[ni] = 1;
    return false;
  }

  /** The node order each first touch from `nid` tries, computed once per node (readonly machine and placement). */
  #placementOrder(nid: number): readonly number[] {
    let order = this.#placementOrders.get(nid);
    if (order === undefined) this.#placementOrders.set(nid, (order = this.#computePlacementOrder(nid)));
    return order;
  }

  #computePlacementOrder(nid: number): number[] {
    const m = this.machine;
    const from = this.#placement.policy === 'local' ? nid : this.#placement.node;
    const fi = m.indexOf[from]!;
    if (this.#placement.policy === 'bind') return [fi];
    const others = m.nodes
      .filter((x) => x.index !== fi)
      .sort((a, b) => a.tier - b.tier || m.latency[fi * m.nodeCount + a.index]! - m.latency[fi * m.nodeCount + b.index]! || a.id - b.id)
      .map((x) => x.index);
    return [fi, ...others];
  }
}

export interface SimResult {
  sim: Simulation;
  estimatedTimeNs: number;
}

/**
 * Bytes of the arrays the replay kernel reads, for this machine and workload: folio heads and
 * Accessed bytes per PFN, the section map, PTEs and flags per page, two oracle counts per page and
 * thread, the heatmap's row table (at most one byte per PFN), the batches, and room for the small ones.
 */
function kernelBytes(machine: Machine, workload: WorkloadInstance): number {
  const end = machine.endPfn;
  const pages = workload.processes.reduce((a, p) => a + p.footprintPages, 0);
  const threads = workload.processes.reduce((a, p) => a + p.threads, 0);
  return end * 5 + Math.ceil(end / 2 ** SECTION_SHIFT) + pages * 5 + pages * threads * 8 + end + threads * BATCH * 4 + (1 << 20);
}
