import {
  ConfigError,
  createPghot,
  defineBackend,
  EAGAIN,
  PAGE_SIZE,
  PghotError,
  type Pghot,
  type PghotMode,
  type PghotPlugin,
  type TunablesInput,
} from '@pghot/core';
import { SyncBailHook } from 'tapable';
import { Llc, type LlcOptions } from './llc.js';
import { buildMachine, type Machine, type MachineSpec } from './machine.js';
import { Metrics } from './metrics.js';
import { Sampler, type SamplerOptions } from './sampler.js';
import { OracleRecorder } from './oracles.js';
import { PhysicalMemory, THP_ORDER, THP_PAGES } from './physmem.js';
import { mulberry32, streamSeed } from './random.js';
import { createWorkload, type ProcessSpec, type WorkloadInstance } from './workloads.js';

import { PTE_PROTNONE, SimPlatform } from './platform.js';
export { PTE_PROTNONE };

/** One address space (a process of the workload). */
export class AddressSpace {
  readonly id: number;
  readonly name: string;
  readonly pages: number;
  /** Global index of this space's first page, for oracle bookkeeping. */
  readonly base: number;
  /** PFN mapped at each virtual page, -1 when not yet touched. */
  readonly pte: Int32Array;
  /** PTE flags (PTE_PROTNONE). The Accessed bit lives with the folio (PhysicalMemory.accessed). */
  readonly flags: Uint8Array;
  /** When the NUMA scanner set PROTNONE, in ms (for the scan → fault latency). */
  readonly scanTimeMs: Float64Array;
  readonly lastPromoteMs: Float64Array;
  readonly lastDemoteMs: Float64Array;
  readonly threads: SimThread[] = [];

  constructor(id: number, spec: ProcessSpec, base: number) {
    this.id = id;
    this.name = spec.name;
    this.pages = spec.footprintPages;
    this.base = base;
    this.pte = new Int32Array(spec.footprintPages).fill(-1);
    this.flags = new Uint8Array(spec.footprintPages);
    this.scanTimeMs = new Float64Array(spec.footprintPages);
    this.lastPromoteMs = new Float64Array(spec.footprintPages).fill(-Infinity);
    this.lastDemoteMs = new Float64Array(spec.footprintPages).fill(-Infinity);
  }
}

export interface SimThread {
  readonly id: number;
  readonly mm: AddressSpace;
  readonly spec: ProcessSpec;
  readonly index: number;
  readonly cpu: number;
  readonly nid: number;
  readonly nodeIndex: number;
  timeNs: number;
  done: boolean;
  accesses: number;
  fast: number;
  slow: number;
  /** Accesses served by the last-level cache (counted in `fast`). */
  llcHits: number;
  /** Accesses left until the sampler tags one (when a sampler is attached). */
  sampleLeft: number;
  /** This thread's CPU ring in the sampler. */
  ring: number;
}

export interface DemotionRequest {
  readonly sim: Simulation;
  /** The top-tier node kswapd runs on. */
  readonly nid: number;
  /** Pages kswapd wants freed (up to the node's promo watermark). */
  readonly pages: number;
}

export interface SimHooks {
  /** Per kswapd run: a tap that demotes itself (through sim.demoteFolio) returns true to replace the built-in CLOCK. */
  readonly demote: SyncBailHook<[DemotionRequest], true | void>;
}

const hooksByEngine = new WeakMap<Pghot, SimHooks>();
const simByEngine = new WeakMap<Pghot, Simulation>();

/** The simulator's hooks for an engine; plugins may tap them in `apply`, before the simulation exists. */
export function getSimHooks(engine: Pghot): SimHooks {
  let hooks = hooksByEngine.get(engine);
  if (!hooks) {
    hooks = Object.freeze({ demote: new SyncBailHook<[DemotionRequest], true | void>(['request']) });
    hooksByEngine.set(engine, hooks);
  }
  return hooks;
}

/** The simulation driving an engine, once it runs (from hooks.init on); undefined outside a simulation. */
export function getSim(engine: Pghot): Simulation | undefined {
  return simByEngine.get(engine);
}

export type PlacementPolicy = 'local' | 'preferred' | 'bind';

export interface SimOptions {
  machine: string | MachineSpec | Machine;
  workload: string | WorkloadInstance | { name: string; params?: Record<string, unknown> };
  seed?: number;
  mode?: PghotMode;
  tunables?: TunablesInput;
  stickyReady?: boolean;
  plugins?: readonly PghotPlugin[];
  /** First-touch placement: local to the CPU with fallback down the tiers (Linux default), preferred node, or bound to a node. */
  placement?: { policy: PlacementPolicy; node?: number };
  /** Move all pages of every process to `node` at `timeMs` (as migratepages after graph construction). */
  moveAt?: { timeMs: number; node: number };
  /** false: a no-promotion run (oracle): kmigrated never wakes and kswapd never demotes. */
  promotion?: boolean;
  /** kswapd demotion on top-tier nodes (default true). */
  demotion?: boolean;
  /** Cost of one NUMA hint fault, charged to the faulting thread. */
  hintFaultNs?: number;
  llc?: LlcOptions | false;
  intervalMs?: number;
  pingPongWindowMs?: number;
  /** Check the invariants at the end of the run (and throw if one fails). */
  verify?: boolean;
  onProgress?: (fraction: number, simTimeMs: number) => void;
}

const QUANTUM_NS = 1_000_000;
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
  /** What plugins see of this simulation (the platform contract of @pghot/core). */
  readonly platform: SimPlatform;
  readonly processes: AddressSpace[] = [];
  readonly threads: SimThread[] = [];
  readonly metrics: Metrics;
  readonly oracles: OracleRecorder;
  readonly options: Readonly<Required<Pick<SimOptions, 'seed' | 'promotion' | 'demotion' | 'hintFaultNs' | 'intervalMs' | 'pingPongWindowMs' | 'verify'>>>;
  /** The engine clock: ms at the end of the last quantum. */
  nowMs = 0;
  /** Cost of a last-level-cache hit; 0 without an LLC model. */
  readonly llcHitNs: number;
  readonly #placement: { policy: PlacementPolicy; node: number };
  readonly #moveAt: { timeMs: number; node: number } | null;
  #moved = false;
  readonly #llc: Llc | null;
  readonly #clockHand: Int32Array;
  readonly #pending: { vpage: Int32Array; line: Uint8Array; write: Uint8Array; pos: number; len: number }[] = [];
  readonly #fault = {
    mm: new Int32Array(FAULT_BUFFER),
    vpage: new Int32Array(FAULT_BUFFER),
    pfn: new Float64Array(FAULT_BUFFER),
    nid: new Int16Array(FAULT_BUFFER),
    timeMs: new Float64Array(FAULT_BUFFER),
    latencyMs: new Float64Array(FAULT_BUFFER),
    length: 0,
  };
  readonly #demoteCounter: number;
  /** The PMU sampler a hardware-sample source attached, if any. */
  sampler: Sampler | null = null;
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
      pingPongWindowMs: options.pingPongWindowMs ?? 1000,
      verify: options.verify ?? false,
    });
    const w = options.workload;
    this.workload = typeof w === 'string' ? createWorkload(w, {}, seed) : 'processes' in w ? w : createWorkload(w.name, w.params ?? {}, seed);
    this.mem = new PhysicalMemory(this.machine);
    this.#placement = this.#checkPlacement(options.placement ?? { policy: 'local' });
    this.#moveAt = options.moveAt ?? null;
    if (this.#moveAt && this.machine.indexOf[this.#moveAt.node]! < 0) throw new ConfigError(`moveAt: node ${this.#moveAt.node} is not on machine "${this.machine.name}"`, { code: 'PGHOT_SIM' });
    this.#llc = options.llc ? new Llc(options.llc) : null;
    this.llcHitNs = this.#llc?.hitNs ?? 0;
    this.#clockHand = new Int32Array(this.machine.nodeCount);
    this.#onProgress = options.onProgress;

    const backend = defineBackend({
      name: 'sim-migrate',
      apply: (engine) => {
        engine.hooks.migrateBatch.tapPromise('sim-migrate', async (batch) => {
          const ti = this.machine.indexOf[batch.target]!;
          for (let i = 0; i < batch.length; i++) {
            const head = batch.pfn[i]!;
            const ok = this.mem.head[head] === head && this.#migrateFolio(head, ti, true);
            batch.status[i] = ok ? 0 : EAGAIN;
            if (!ok) this.mem.kswapdWanted[ti] = 1; // the target is full: demotion is woken there
          }
          return true;
        });
      },
    });
    this.platform = new SimPlatform(this);
    this.engine = createPghot({
      topology: this.machine.topology,
      memory: this.mem,
      platform: this.platform,
      ...(options.mode ? { mode: options.mode } : {}),
      ...(options.tunables ? { tunables: options.tunables } : {}),
      ...(options.stickyReady !== undefined ? { stickyReady: options.stickyReady } : {}),
      plugins: [...(options.plugins ?? []), backend],
    });
    this.hooks = getSimHooks(this.engine);
    simByEngine.set(this.engine, this);
    this.#demoteCounter = this.engine.counters.register('pgdemote_kswapd');

    let base = 0;
    const cpuNodes = this.machine.nodes.filter((n) => n.topTier && n.cpus.length > 0);
    const used = new Map<number, number>();
    for (const spec of this.workload.processes) {
      const mm = new AddressSpace(this.processes.length, spec, base);
      base += spec.footprintPages;
      this.processes.push(mm);
      for (let t = 0; t < spec.threads; t++) {
        const cpu = this.#pickCpu(spec, t, cpuNodes, used);
        const nid = this.machine.cpuNode(cpu);
        if (nid < 0) throw new ConfigError(`workload "${spec.name}": CPU ${cpu} is on no node of machine "${this.machine.name}"`, { code: 'PGHOT_SIM' });
        const thread: SimThread = { id: this.threads.length, mm, spec, index: t, cpu, nid, nodeIndex: this.machine.indexOf[nid]!, timeNs: 0, done: false, accesses: 0, fast: 0, slow: 0, llcHits: 0, sampleLeft: 0, ring: -1 };
        mm.threads.push(thread);
        this.threads.push(thread);
        this.#pending.push({ vpage: new Int32Array(BATCH), line: new Uint8Array(BATCH), write: new Uint8Array(BATCH), pos: 0, len: 0 });
      }
    }
    this.metrics = new Metrics(this);
    this.oracles = new OracleRecorder(this, base);
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
      if (this.#moveAt && !this.#moved && this.nowMs >= this.#moveAt.timeMs) this.#moveAll(this.#moveAt.node);
      if (this.options.demotion) this.#kswapd();
      if (this.options.promotion) await this.engine.advance(this.nowMs);
      this.metrics.quantum(this.nowMs);
      if (this.#onProgress && q - lastProgress >= 250) {
        lastProgress = q;
        this.#onProgress(this.threads.reduce((a, t) => a + t.accesses, 0) / total, this.nowMs);
      }
    }
    this.metrics.finish(this.nowMs);
    await this.engine.shutdown();
    if (this.options.verify) this.verify();
    return { sim: this, estimatedTimeNs: Math.max(...this.threads.map((t) => t.timeNs)) };
  }

  /** Replay one thread's accesses until its clock passes `untilNs` or its workload ends. */
  #replay(th: SimThread, untilNs: number): void {
    const mm = th.mm;
    const pte = mm.pte;
    const flags = mm.flags;
    const mem = this.mem;
    const headOf = mem.head;
    const accessed = mem.accessed;
    const nodeIndex = mem.nodeIndex;
    const n = this.machine.nodeCount;
    const latency = this.machine.latency.subarray(th.nodeIndex * n, th.nodeIndex * n + n);
    const top = this.metrics.topTierByIndex;
    const cpuNs = this.machine.cpuNsPerAccess;
    const faultNs = this.options.hintFaultNs;
    const llc = this.#llc;
    const sampler = this.sampler;
    const rec = this.oracles;
    const buf = this.#pending[th.id]!;
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
      const i = buf.pos++;
      const vpage = buf.vpage[i]!;
      let pfn = pte[vpage]!;
      if (pfn < 0) pfn = this.#faultIn(th, vpage);
      const f = flags[vpage]!;
      if ((f & PTE_PROTNONE) !== 0) {
        flags[vpage] = f & ~PTE_PROTNONE;
        this.#recordFault(th, vpage, pfn, t);
        t += faultNs;
        this.metrics.hintFault(faultNs);
      }
      accessed[headOf[pfn]!] = 1;
      done++;
      const ni = nodeIndex[pfn]!;
      const hit = llc !== null && llc.hit(mm.id, vpage, buf.line[i]!);
      if (sampler !== null && --th.sampleLeft === 0) {
        th.sampleLeft = sampler.options.period;
        sampler.sample(th.ring, pfn, t / 1e6, hit, hit ? 0 : latency[ni]!, top[ni] === 1, buf.write[i] === 1);
        t += sampler.options.costNs;
      }
      if (hit) {
        t += cpuNs + llc.hitNs;
        fast++; // an LLC hit never reaches memory: it counts as a fast access
        llcHits++;
        continue;
      }
      rec.record(th.id, mm.base + vpage);
      t += cpuNs + latency[ni]!;
      if (top[ni] === 1) fast++;
      else slow++;
    }
    th.timeNs = Math.max(th.timeNs, t);
    th.accesses += done;
    th.fast += fast;
    th.slow += slow;
    th.llcHits += llcHits;
    this.metrics.accesses(fast, slow);
  }

  #recordFault(th: SimThread, vpage: number, pfn: number, tNs: number): void {
    const f = this.#fault;
    if (f.length === FAULT_BUFFER) this.#flushFaults();
    const i = f.length++;
    const timeMs = tNs / 1e6;
    f.mm[i] = th.mm.id;
    f.vpage[i] = vpage;
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
          this.#map(mm, vbase, head, THP_PAGES);
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
        this.#map(mm, vpage, pfn, 1);
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

  #placementOrder(nid: number): number[] {
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

  #map(mm: AddressSpace, vbase: number, head: number, pages: number): void {
    for (let i = 0; i < pages; i++) mm.pte[vbase + i] = head + i;
    this.mem.rmapMm[head] = mm.id;
    this.mem.rmapVpage[head] = vbase;
  }

  /**
   * Move the folio at `head` to node index `ti`: allocate there, remap every PTE, free the old
   * folio, charge the copy to the owning process's threads. False when the target has no room.
   */
  #migrateFolio(head: number, ti: number, promotion: boolean): boolean {
    const mem = this.mem;
    const order = mem.order[head]!;
    const pages = 1 << order;
    const to = mem.alloc(ti, order);
    if (to < 0) return false;
    const mm = this.processes[mem.rmapMm[head]!]!;
    const vbase = mem.rmapVpage[head]!;
    this.#map(mm, vbase, to, pages);
    mem.accessed[to] = mem.accessed[head]!;
    mem.free(head);
    const ns = (pages * PAGE_SIZE * 1000) / this.machine.migrationBandwidthMBps + this.machine.migrationFixedNs;
    for (const th of mm.threads) th.timeNs += ns / mm.threads.length;
    this.metrics.migrated(mm, vbase, pages, promotion, ns);
    return true;
  }

  /**
   * Demote one folio from a top-tier node to its demotion target, for policies that demote
   * themselves (counted under `counter`: pgdemote_kswapd by default, pgdemote_direct for
   * policy-driven swaps).
   */
  demoteFolio(head: number, counter = 'pgdemote_kswapd'): boolean {
    const ni = this.mem.nodeIndex[head]!;
    const target = this.machine.nodes[ni]!.demotionTarget;
    if (target < 0 || this.mem.head[head] !== head || this.mem.lru[head] !== 1) return false;
    const pages = 1 << this.mem.order[head]!;
    const ok = this.#migrateFolio(head, this.machine.indexOf[target]!, false);
    if (ok) this.engine.counters.add(counter === 'pgdemote_kswapd' ? this.#demoteCounter : this.engine.counters.register(counter), pages);
    return ok;
  }

  /** Demote by CLOCK on top-tier node `nid` until it has `freePages` free (TPP-style headroom, policy swaps). */
  demoteColdest(nid: number, freePages: number): void {
    const ni = this.machine.indexOf[nid]!;
    if (ni >= 0 && this.machine.nodes[ni]!.demotionTarget >= 0) this.#clockDemote(ni, freePages);
  }

  /** Global page index (processes' pages end to end) of the page at `pfn`, or -1 when unmapped. */
  pageOf(pfn: number): number {
    const head = this.mem.head[pfn]!;
    if (head < 0) return -1;
    const mm = this.processes[this.mem.rmapMm[head]!];
    return mm ? mm.base + this.mem.rmapVpage[head]! + (pfn - head) : -1;
  }

  /** The PFN global page `g` maps now, or -1. */
  pfnOf(g: number): number {
    for (const mm of this.processes) if (g >= mm.base && g < mm.base + mm.pages) return mm.pte[g - mm.base]!;
    return -1;
  }

  /** Pages of all processes, end to end (the range of pageOf). */
  get globalPages(): number {
    return this.processes.reduce((a, mm) => a + mm.pages, 0);
  }

  /** True when `pfn` is on a top-tier node. */
  isTopTier(pfn: number): boolean {
    return this.metrics.topTierByIndex[this.mem.nodeIndex[pfn]!] === 1;
  }

  /** kswapd on each top-tier node: below its low watermark, or woken by a failed promotion, demote until free >= promo watermark. */
  #kswapd(): void {
    for (const node of this.machine.nodes) {
      if (!node.topTier || node.demotionTarget < 0) continue;
      const ni = node.index;
      const free = this.mem.freePages(ni);
      if (free >= node.watermarks.low && this.mem.kswapdWanted[ni] === 0) continue;
      this.mem.kswapdWanted[ni] = 0;
      const goal = node.watermarks.promo;
      if (free >= goal) continue;
      if (this.hooks.demote.call({ sim: this, nid: node.id, pages: goal - free }) === true) continue;
      this.#clockDemote(ni, goal);
    }
  }

  /** CLOCK over the node's folios: a set Accessed bit buys a second chance (and is cleared); otherwise demote. */
  #clockDemote(ni: number, goal: number): void {
    const node = this.machine.nodes[ni]!;
    const mem = this.mem;
    const target = this.machine.indexOf[node.demotionTarget]!;
    let hand = this.#clockHand[ni]!;
    for (let steps = 0; steps < 2 * node.pages && mem.freePages(ni) < goal; ) {
      if (hand >= node.pages) hand = 0;
      const pfn = node.startPfn + hand;
      const head = mem.head[pfn]!;
      if (head !== pfn) {
        const skip = head < 0 ? 1 : head + (1 << mem.order[head]!) - pfn;
        hand += skip;
        steps += skip;
        continue;
      }
      const pages = 1 << mem.order[head]!;
      hand += pages;
      steps += pages;
      if (mem.lru[head] !== 1) continue;
      if (mem.accessed[head] === 1) {
        mem.accessed[head] = 0;
        continue;
      }
      if (!this.#migrateFolio(head, target, false)) break; // the lower tier is full
      this.engine.counters.add(this.#demoteCounter, pages);
    }
    this.#clockHand[ni] = hand;
  }

  /** migratepages: move every page of every process to `nid`, as far as it has room. */
  #moveAll(nid: number): void {
    this.#moved = true;
    const ti = this.machine.indexOf[nid]!;
    for (const mm of this.processes) {
      for (let v = 0; v < mm.pages; v++) {
        const pfn = mm.pte[v]!;
        if (pfn < 0) continue;
        const head = this.mem.head[pfn]!;
        if (head !== pfn || this.mem.nodeIndex[head] === ti) continue;
        if (!this.#migrateFolio(head, ti, false)) return;
      }
    }
  }

  /** Check the invariants; throws a PghotError naming the first one broken. */
  verify(): { checks: string[] } {
    const fail = (msg: string): never => {
      throw new PghotError(`invariant broken: ${msg}`, { code: 'PGHOT_SIM_INVARIANT' });
    };
    const mem = this.mem;
    let mapped = 0;
    for (const mm of this.processes) {
      for (let v = 0; v < mm.pages; v++) {
        const pfn = mm.pte[v]!;
        if (pfn < 0) continue;
        mapped++;
        const head = mem.head[pfn]!;
        if (head < 0) fail(`process ${mm.id} page ${v} maps free PFN ${pfn}`);
        if (mem.rmapMm[head] !== mm.id || mem.rmapVpage[head]! + (pfn - head) !== v) fail(`PFN ${pfn} does not map back to process ${mm.id} page ${v}`);
        if (mem.nodeIndex[pfn]! < 0) fail(`PFN ${pfn} is on no node`);
      }
    }
    let used = 0;
    for (const node of this.machine.nodes) {
      const counted = mem.usedPagesCounted(node.index);
      used += counted;
      if (counted + mem.freePages(node.index) !== node.pages) fail(`node ${node.id}: used ${counted} + free ${mem.freePages(node.index)} != capacity ${node.pages}`);
    }
    if (used !== mapped) fail(`${used} pages allocated but ${mapped} mapped: every mapped page must be one folio page, mapped once`);
    const total = this.threads.reduce((a, t) => a + t.accesses, 0);
    const fs = this.threads.reduce((a, t) => a + t.fast + t.slow, 0);
    if (fs !== total) fail(`fast + slow accesses ${fs} != total ${total}`);
    const promoted = this.metrics.promotedPages;
    const success = this.engine.vmstat().pgpromote_success ?? 0;
    if (promoted !== success) fail(`pages promoted ${promoted} != pgpromote_success ${success}`);
    return { checks: ['mapping', 'capacity', 'accesses', 'promotions'] };
  }
}

export interface SimResult {
  sim: Simulation;
  estimatedTimeNs: number;
}
