/**
 * What the engine needs to know about physical memory beyond the topology: which PFNs are online,
 * how they group into folios, which folios are on an LRU, and (optionally) free space on each node.
 * The simulator and live backends implement it; without one, every PFN of a node is an online
 * order-0 folio on an LRU.
 *
 * Called on the record path for each access: keep these methods cheap (typed-array reads).
 */
export interface MemoryModel {
  /** pfn_valid + online + not ZONE_DEVICE. */
  pfnOnline(pfn: number): boolean;
  /** The head PFN of the folio holding `pfn` (itself for order 0). */
  folioHead(pfn: number): number;
  /** Pages in the folio whose head is `headPfn`: 1, 512 (order 9)... */
  folioNrPages(headPfn: number): number;
  /** folio_test_lru. */
  folioOnLru(headPfn: number): boolean;
  /** folio_isolate_lru for migration; false makes the prepare step fail (-EAGAIN). Absent: always succeeds. */
  isolateFolio?(headPfn: number): boolean;
  /** Put a folio whose migration failed (or that no backend moved) back on its LRU. */
  putbackFolio?(headPfn: number): void;
  /**
   * Free pages and watermarks of a node. With it, kmigrated applies the free-space bypass of
   * should_migrate and the "target balanced" check of migrate_misplaced_folio_prepare (waking
   * kswapd on a full target). Without it, the bypass never applies and the target always has room.
   */
  readonly capacity?: NodeCapacity;
}

export interface NodeCapacity {
  freePages(nid: number): number;
  highWatermarkPages(nid: number): number;
  /** WMARK_PROMO: the high watermark plus the promotion headroom. */
  promoWatermarkPages(nid: number): number;
  /** wakeup_kswapd on the target (tiering mode): demote to make room for `nrPages`. */
  wakeKswapd(nid: number, nrPages: number): void;
}
