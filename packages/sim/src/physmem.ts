import { SECTION_SHIFT, type MemoryModel, type NodeCapacity } from '@pghot/core';
import type { Machine } from './machine.js';
import { type Alloc, heapAlloc } from './replay-kernel.js';

export const THP_ORDER = 9;
export const THP_PAGES = 1 << THP_ORDER;

/**
 * Physical memory of the simulated machine: per-PFN folio state and a per-node page allocator
 * (O(1): a stack of free 2 MiB blocks and a stack of free 4 KiB pages; a block is split into
 * pages when the page stack runs dry; no coalescing). It is the core's MemoryModel.
 *
 * Every per-PFN array is zero for a free page, so the OS commits only the memory of pages the
 * workload touches: a 1 TiB node costs nothing until it is used.
 */
export class PhysicalMemory implements MemoryModel {
  readonly machine: Machine;
  /** Node index (into machine.nodes) of each memory section (nodes start on a section), -1 in none. */
  readonly nodeOfSection: Int8Array;
  /** Folio head + 1 of each allocated PFN, 0 when free (`headOf`). */
  readonly headPlus1: Int32Array;
  /** Folio order, at the head. */
  readonly order: Uint8Array;
  /** On an LRU list, at the head. */
  readonly lru: Uint8Array;
  /** Accessed bit of the folio's mapping (PTE, or PMD for a THP), at the head. */
  readonly accessed: Uint8Array;
  /** Reverse map at the head of an allocated folio: address space id and first virtual page. */
  readonly rmapMm: Int32Array;
  readonly rmapVpage: Int32Array;
  readonly freePagesByIndex: Float64Array;
  /** kswapd was asked to run on the node (failed promotion), by index. */
  readonly kswapdWanted: Uint8Array;
  readonly capacity: NodeCapacity;
  readonly #free0: Int32Array[];
  readonly #free0Top: Int32Array;
  readonly #free9: Int32Array[];
  readonly #free9Top: Int32Array;

  /** `alloc` makes the arrays the replay kernel reads: the section map, folio heads and Accessed bytes. */
  constructor(machine: Machine, alloc: Alloc = heapAlloc) {
    this.machine = machine;
    const end = machine.endPfn;
    this.nodeOfSection = alloc(Int8Array, Math.ceil(end / 2 ** SECTION_SHIFT)).fill(-1);
    this.headPlus1 = alloc(Int32Array, end);
    this.order = new Uint8Array(end);
    this.lru = new Uint8Array(end);
    this.accessed = alloc(Uint8Array, end);
    this.rmapMm = new Int32Array(end);
    this.rmapVpage = new Int32Array(end);
    const n = machine.nodeCount;
    this.freePagesByIndex = new Float64Array(n);
    this.kswapdWanted = new Uint8Array(n);
    this.#free0 = [];
    this.#free9 = [];
    this.#free0Top = new Int32Array(n);
    this.#free9Top = new Int32Array(n);
    for (const node of machine.nodes) {
      this.nodeOfSection.fill(node.index, node.startPfn >>> SECTION_SHIFT, Math.ceil((node.startPfn + node.pages) / 2 ** SECTION_SHIFT));
      const blocks = Math.floor(node.pages / THP_PAGES);
      const f9 = new Int32Array(blocks);
      // stacks pop from the end: push descending so allocation hands out ascending PFNs
      for (let b = 0; b < blocks; b++) f9[b] = node.startPfn + (blocks - 1 - b) * THP_PAGES;
      const f0 = new Int32Array(node.pages);
      let top0 = 0;
      for (let p = node.startPfn + node.pages - 1; p >= node.startPfn + blocks * THP_PAGES; p--) f0[top0++] = p;
      this.#free9.push(f9);
      this.#free9Top[node.index] = blocks;
      this.#free0.push(f0);
      this.#free0Top[node.index] = top0;
      this.freePagesByIndex[node.index] = node.pages;
    }
    const byId = (nid: number) => machine.indexOf[nid]!;
    this.capacity = {
      freePages: (nid) => this.freePagesByIndex[byId(nid)]!,
      highWatermarkPages: (nid) => machine.nodes[byId(nid)]!.watermarks.high,
      promoWatermarkPages: (nid) => machine.nodes[byId(nid)]!.watermarks.promo,
      wakeKswapd: (nid) => {
        this.kswapdWanted[byId(nid)] = 1;
      },
    };
  }

  /** Allocate a folio of `order` (0 or 9) on node index `ni`; returns its head PFN or -1. */
  alloc(ni: number, order: number): number {
    let pfn: number;
    if (order === THP_ORDER) {
      if (this.#free9Top[ni] === 0) return -1;
      pfn = this.#free9[ni]![--this.#free9Top[ni]!]!;
      this.headPlus1.fill(pfn + 1, pfn, pfn + THP_PAGES);
    } else {
      if (this.#free0Top[ni] === 0) {
        if (this.#free9Top[ni] === 0) return -1;
        const block = this.#free9[ni]![--this.#free9Top[ni]!]!;
        const f0 = this.#free0[ni]!;
        for (let p = block + THP_PAGES - 1; p >= block; p--) f0[this.#free0Top[ni]!++] = p;
      }
      pfn = this.#free0[ni]![--this.#free0Top[ni]!]!;
      this.headPlus1[pfn] = pfn + 1;
    }
    this.order[pfn] = order;
    this.lru[pfn] = 1;
    this.accessed[pfn] = 0;
    this.freePagesByIndex[ni]! -= 1 << order;
    return pfn;
  }

  /** Free the folio whose head is `pfn`. */
  free(pfn: number): void {
    const ni = this.nodeIndexOf(pfn);
    const order = this.order[pfn]!;
    const pages = 1 << order;
    this.headPlus1.fill(0, pfn, pfn + pages);
    this.lru[pfn] = 0;
    if (order === THP_ORDER) this.#free9[ni]![this.#free9Top[ni]!++] = pfn;
    else this.#free0[ni]![this.#free0Top[ni]!++] = pfn;
    this.freePagesByIndex[ni]! += pages;
  }

  /** The node index of an online PFN. */
  nodeIndexOf(pfn: number): number {
    return this.nodeOfSection[pfn >>> SECTION_SHIFT]!;
  }

  /** The head of the folio `pfn` is in, -1 when it is free. */
  headOf(pfn: number): number {
    return this.headPlus1[pfn]! - 1;
  }

  freePages(ni: number): number {
    return this.freePagesByIndex[ni]!;
  }

  /** Allocated pages on node index `ni`, counted from folio state (for invariant checks). */
  usedPagesCounted(ni: number): number {
    const node = this.machine.nodes[ni]!;
    let used = 0;
    for (let p = node.startPfn; p < node.startPfn + node.pages; p++) if (this.headPlus1[p] !== 0) used++;
    return used;
  }

  // ---- MemoryModel ----
  pfnOnline(pfn: number): boolean {
    if (!(pfn >= 0 && pfn < this.headPlus1.length)) return false;
    const ni = this.nodeIndexOf(pfn);
    // a section past a node's last page is a hole
    return ni >= 0 && pfn < this.machine.nodes[ni]!.startPfn + this.machine.nodes[ni]!.pages;
  }
  folioHead(pfn: number): number {
    const h = this.headPlus1[pfn]!;
    return h === 0 ? pfn : h - 1;
  }
  folioNrPages(head: number): number {
    return this.headPlus1[head] === 0 ? 1 : 1 << this.order[head]!;
  }
  folioOnLru(head: number): boolean {
    return this.lru[head] === 1;
  }
  isolateFolio(head: number): boolean {
    if (this.lru[head] !== 1) return false;
    this.lru[head] = 0;
    return true;
  }
  putbackFolio(head: number): void {
    if (this.headPlus1[head] !== 0) this.lru[head] = 1;
  }
}
