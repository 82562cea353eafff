import { type Alloc, heapAlloc } from './replay-kernel.js';
import type { ProcessSpec } from './workloads.js';

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
  /**
   * The engine time (whole ms, from 1) of the page's last promotion and demotion, 0 for never: for
   * ping-pong. Zero-initialised, so the OS commits only the pages of it that migrations write.
   */
  readonly lastPromoteMs: Int32Array;
  readonly lastDemoteMs: Int32Array;
  readonly threads: SimThread[] = [];

  /** `alloc` makes the arrays the replay kernel reads: the PTEs and their flags. */
  constructor(id: number, spec: ProcessSpec, base: number, alloc: Alloc = heapAlloc) {
    this.id = id;
    this.name = spec.name;
    this.pages = spec.footprintPages;
    this.base = base;
    this.pte = alloc(Int32Array, spec.footprintPages).fill(-1);
    this.flags = alloc(Uint8Array, spec.footprintPages);
    this.scanTimeMs = new Float64Array(spec.footprintPages);
    this.lastPromoteMs = new Int32Array(spec.footprintPages);
    this.lastDemoteMs = new Int32Array(spec.footprintPages);
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
