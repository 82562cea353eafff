import { createPlatformHooks, PAGE_SIZE, type Capability, type HotnessCounters, type HotnessMonitorSettings, type MemoryModel, type Platform, type PlatformCosts, type PlatformTask, type SampleRings, type SamplerSettings, type WalkBatch } from '@pghot/core';
import type { Simulation } from './sim.js';

const CAPABILITIES: readonly Capability[] = Object.freeze(['tasks', 'protnone', 'accessedBit', 'hwSamples', 'hmu', 'demote', 'overhead', 'memory']);

/**
 * The simulator as the platform plugins see: its processes as tasks, their page tables, the
 * folios' Accessed bits, PROTNONE scanning and the hint faults it causes, the PMU sampler, kswapd's
 * demotion order and its cost accounting. Each method is a batch over typed arrays.
 */
export class SimPlatform implements Platform {
  readonly name = 'sim';
  readonly capabilities = CAPABILITIES;
  readonly hooks = createPlatformHooks();
  readonly costs: PlatformCosts;
  readonly #sim: Simulation;
  #tasks: readonly PlatformTask[] | null = null;

  constructor(sim: Simulation) {
    this.#sim = sim;
    const m = sim.machine;
    this.costs = Object.freeze({
      accessLatencyNs: (cpuNid: number, memNid: number) => m.latencyNs(cpuNid, memNid),
      migrateNsPerPage: (PAGE_SIZE * 1000) / m.migrationBandwidthMBps + m.migrationFixedNs,
    });
  }

  get memory(): MemoryModel {
    return this.#sim.mem;
  }

  get seed(): number {
    return this.#sim.options.seed;
  }

  tasks(): readonly PlatformTask[] {
    // the processes are fixed once the simulation is built; plugins ask from hooks.init on
    this.#tasks ??= Object.freeze(this.#sim.processes.map((mm) => Object.freeze({ id: mm.id, name: mm.name, pages: mm.pages })));
    return this.#tasks;
  }

  walk(task: number, start: number, count: number, out: WalkBatch): void {
    const pte = this.#sim.processes[task]!.pte;
    const headPlus1 = this.#sim.mem.headPlus1;
    for (let i = 0; i < count; i++) {
      const pfn = pte[start + i]!;
      out.pfn[i] = pfn;
      out.head[i] = pfn < 0 ? -1 : headPlus1[pfn]! - 1;
    }
  }

  rmap(pfns: Float64Array, length: number, outTask: Int32Array, outPage: Float64Array): void {
    const mem = this.#sim.mem;
    for (let i = 0; i < length; i++) {
      const pfn = pfns[i]!;
      const head = mem.headOf(pfn);
      const mm = head < 0 ? undefined : this.#sim.processes[mem.rmapMm[head]!];
      outTask[i] = mm ? mm.id : -1;
      outPage[i] = mm ? mem.rmapVpage[head]! + (pfn - head) : -1;
    }
  }

  demoteFolios(heads: ArrayLike<number>, length: number, counter: string, moved: Uint8Array): void {
    for (let i = 0; i < length; i++) moved[i] = this.#sim.demoteFolio(heads[i]!, counter) ? 1 : 0;
  }

  testYoung(heads: Float64Array, length: number, out: Uint8Array, clear: boolean): void {
    const accessed = this.#sim.mem.accessed;
    for (let i = 0; i < length; i++) {
      const h = heads[i]!;
      out[i] = accessed[h]!;
      if (clear) accessed[h] = 0;
    }
  }

  mkold(heads: Float64Array, length: number): void {
    const accessed = this.#sim.mem.accessed;
    for (let i = 0; i < length; i++) accessed[heads[i]!] = 0;
  }

  changeProtNuma(task: number, start: number, count: number, nowMs: number): number {
    const sim = this.#sim;
    const mm = sim.processes[task]!;
    const topTier = sim.metrics.topTierByIndex;
    const mem = sim.mem;
    let updated = 0;
    let v = start;
    for (let k = 0; k < count; k++) {
      const pfn = mm.pte[v]!;
      // tiering mode scans the lower tier only; a PTE already PROTNONE is left as is
      if (pfn >= 0 && topTier[mem.nodeIndexOf(pfn)] !== 1 && (mm.flags[v]! & PTE_PROTNONE) === 0) {
        mm.flags[v] = mm.flags[v]! | PTE_PROTNONE;
        mm.scanTimeMs[v] = nowMs;
        updated++;
      }
      v = v + 1 === mm.pages ? 0 : v + 1;
    }
    return updated;
  }

  attachSampler(settings: SamplerSettings): SampleRings {
    return this.#sim.attachSampler(settings);
  }

  attachHotnessMonitor(settings: HotnessMonitorSettings): HotnessCounters {
    return this.#sim.attachHotnessMonitor(settings);
  }

  demoteColdest(nid: number, freePages: number): void {
    this.#sim.demoteColdest(nid, freePages);
  }

  chargeOverhead(kind: string, count: number, nsEach: number, task: number | null): void {
    this.#sim.chargeOverhead(kind, count, nsEach, task === null ? null : (this.#sim.processes[task]!.threads[0] ?? null));
  }
}

/** PTE flag: the NUMA scanner made this PTE inaccessible; the next access takes a hint fault. */
export const PTE_PROTNONE = 2;
