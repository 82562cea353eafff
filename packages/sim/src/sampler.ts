/**
 * A PMU-style sampler (AMD IBS op sampling, Intel PEBS load latency) inside the simulator's replay:
 * every `period`-th memory access of a CPU is tagged; tagged accesses that pass the filters go into
 * that CPU's ring, and a full ring drops the sample. The replay loop only counts down per access;
 * everything else runs once per tagged access.
 */
export interface SamplerOptions {
  /** One access in `period` is tagged, per CPU. */
  period: number;
  /** Keep only accesses that missed the last-level cache (all do without the LLC model). */
  l3MissOnly: boolean;
  /** Keep only accesses whose memory latency exceeds this (load-latency filter); 0: no filter. */
  minLatencyNs: number;
  /** Samples a per-CPU ring holds; a sample arriving at a full ring is dropped. */
  ringSize: number;
  /** Interrupt cost of each delivered sample, charged to the sampled thread. */
  costNs: number;
}

export class Sampler {
  readonly options: Readonly<SamplerOptions>;
  totalEvents = 0;
  usefulEvents = 0;
  droppedEvents = 0;
  dramAccesses = 0;
  extmemAccesses = 0;
  /** Per CPU (by index in `cpus`): the ring contents since the last drain. */
  readonly pfn: Float64Array[];
  readonly timeMs: Float64Array[];
  /** 1 for a sampled store. */
  readonly write: Uint8Array[];
  readonly count: Int32Array;
  /** CPU ids, in ring order; `nid[i]` is CPU i's node. */
  readonly cpus: readonly number[];
  readonly nid: Int16Array;

  constructor(options: SamplerOptions, cpus: readonly number[], nids: readonly number[]) {
    this.options = Object.freeze({ ...options });
    this.cpus = cpus;
    this.nid = Int16Array.from(nids);
    this.pfn = cpus.map(() => new Float64Array(options.ringSize));
    this.timeMs = cpus.map(() => new Float64Array(options.ringSize));
    this.write = cpus.map(() => new Uint8Array(options.ringSize));
    this.count = new Int32Array(cpus.length);
  }

  /**
   * A tagged access on ring `r`. Returns true when it interrupts the CPU (an NMI): accesses the
   * hardware filters out (L3-miss-only, the latency threshold) raise none, cost nothing and are not
   * counted as events. A delivered sample that finds the ring full is dropped.
   */
  sample(r: number, pfn: number, timeMs: number, llcHit: boolean, latencyNs: number, topTier: boolean, write: boolean): boolean {
    if (this.options.l3MissOnly && llcHit) return false;
    if (this.options.minLatencyNs > 0 && latencyNs <= this.options.minLatencyNs) return false;
    this.totalEvents++;
    if (topTier) this.dramAccesses++;
    else this.extmemAccesses++;
    const n = this.count[r]!;
    if (n === this.options.ringSize) {
      this.droppedEvents++;
      return true;
    }
    this.usefulEvents++;
    this.pfn[r]![n] = pfn;
    this.timeMs[r]![n] = timeMs;
    this.write[r]![n] = write ? 1 : 0;
    this.count[r] = n + 1;
    return true;
  }
}
