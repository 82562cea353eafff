import type { HotnessCounters, HotnessMonitorSettings } from '@pghot/core';
import { type Alloc, heapAlloc } from './replay-kernel.js';

/**
 * The lower-tier devices' access counters (CXL Hotness Monitoring Units) inside the replay: every
 * access that misses the host caches and reaches a lower-tier node counts down that node's
 * downsampling counter, and every 2^downsampleShift-th increments the count of its unit. The
 * replay loop does one countdown per such access (the replay kernel too, in its memory); the source
 * does the rest.
 */
export class HotnessMonitor implements HotnessCounters {
  readonly unitShift: number;
  readonly counts: Uint32Array;
  deviceAccesses = 0;
  countedAccesses = 0;
  /** 2^downsampleShift. */
  readonly factor: number;
  /** Per node index: accesses left before the next counted one. */
  readonly left: Int32Array;

  constructor(settings: HotnessMonitorSettings, endPfn: number, nodes: number, alloc: Alloc = heapAlloc) {
    this.unitShift = settings.unitShift;
    this.factor = 2 ** settings.downsampleShift;
    this.counts = alloc(Uint32Array, Math.ceil(endPfn / 2 ** settings.unitShift));
    this.left = alloc(Int32Array, nodes).fill(this.factor);
  }

  /** An access reaching lower-tier node index `ni` at `pfn`. */
  access(ni: number, pfn: number): void {
    this.deviceAccesses++;
    if (--this.left[ni]! !== 0) return;
    this.left[ni] = this.factor;
    this.counts[pfn >>> this.unitShift]!++;
    this.countedAccesses++;
  }
}
