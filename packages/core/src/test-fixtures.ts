// Shared by this package's tests only (not exported).
import type { MemoryModel, NodeCapacity } from './memory.js';
import type { TopologySpec } from './topology.js';

/** Node 0: DRAM, top tier, 2 sections. Node 1: CXL, 4 sections from PFN 65536. Node 2: DRAM, top tier. */
export const TOPOLOGY: TopologySpec = {
  nodes: [
    { id: 0, startPfn: 0, pages: 65_536, tier: 0, cpus: [0, 1] },
    { id: 1, startPfn: 65_536, pages: 131_072, tier: 1 },
    { id: 2, startPfn: 196_608, pages: 32_768, tier: 0, cpus: [2] },
  ],
};
export const CXL_START = 65_536;
/** Second section of node 1. */
export const CXL_SECTION_1 = CXL_START + 32_768;

/** A memory model with explicit folios, LRU and online state, and settable free pages per node. */
export class TestMemory implements MemoryModel {
  readonly head: Float64Array;
  readonly nr: Uint32Array;
  readonly lru: Uint8Array;
  readonly online: Uint8Array;
  readonly free = new Float64Array(1024);
  readonly high = new Float64Array(1024);
  readonly promo = new Float64Array(1024);
  readonly kswapdWakes: { nid: number; nrPages: number }[] = [];
  readonly putBack: number[] = [];
  capacity?: NodeCapacity;

  constructor(pages: number, withCapacity = false) {
    this.head = new Float64Array(pages).map((_, i) => i);
    this.nr = new Uint32Array(pages).fill(1);
    this.lru = new Uint8Array(pages).fill(1);
    this.online = new Uint8Array(pages).fill(1);
    if (withCapacity) {
      this.capacity = {
        freePages: (nid) => this.free[nid]!,
        highWatermarkPages: (nid) => this.high[nid]!,
        promoWatermarkPages: (nid) => this.promo[nid]!,
        wakeKswapd: (nid, nrPages) => void this.kswapdWakes.push({ nid, nrPages }),
      };
    }
  }
  /** Make [head, head + pages) one folio. */
  folio(head: number, pages: number): void {
    for (let p = head; p < head + pages; p++) this.head[p] = head;
    this.nr[head] = pages;
  }
  pfnOnline(pfn: number): boolean {
    return this.online[pfn] === 1;
  }
  folioHead(pfn: number): number {
    return this.head[pfn]!;
  }
  folioNrPages(head: number): number {
    return this.nr[head]!;
  }
  folioOnLru(head: number): boolean {
    return this.lru[head] === 1;
  }
  putbackFolio(head: number): void {
    this.putBack.push(head);
  }
}
