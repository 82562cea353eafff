/**
 * The precision-mode hotness record (v5+ pghot-precise.c, CONFIG_PGHOT_PRECISE): 32 bits per PFN.
 *   bits 0-9    nid of the accessing node (promotion target), <= 1023
 *   bits 10-12  access frequency, saturating at 7
 *   bits 13-26  time: now & 0x3FFF (16384 jiffies)
 *   bits 27-30  unused
 *   bit  31     MIGRATE_READY
 * Words with bit 31 set are negative as int32: read them with `>>> 0`.
 */
export const PRECISION_NID_MASK = 0x3ff;
export const PRECISION_FREQ_SHIFT = 10;
export const PRECISION_FREQ_MASK = 0x7;
export const PRECISION_FREQ_MAX = 7;
export const PRECISION_TIME_SHIFT = 13;
export const PRECISION_TIME_MASK = 0x3fff;
export const PRECISION_READY = 0x80000000;
/** Latencies are modulo this many jiffies. */
export const PRECISION_TIME_WRAP = PRECISION_TIME_MASK + 1;

export const precisionTime = (now: number): number => now & PRECISION_TIME_MASK;

/** Jiffies since the stored time, modulo 16384: (now - time) & 0x3FFF. */
export const precisionAccessLatency = (time: number, now: number): number => (now - time) & PRECISION_TIME_MASK;

export const encodePrecision = (nid: number, freq: number, time: number, ready: boolean): number =>
  ((nid & PRECISION_NID_MASK) |
    ((freq & PRECISION_FREQ_MASK) << PRECISION_FREQ_SHIFT) |
    ((time & PRECISION_TIME_MASK) << PRECISION_TIME_SHIFT) |
    (ready ? PRECISION_READY : 0)) >>>
  0;

export const precisionNid = (rec: number): number => rec & PRECISION_NID_MASK;
export const precisionFreq = (rec: number): number => (rec >>> PRECISION_FREQ_SHIFT) & PRECISION_FREQ_MASK;
export const precisionTimeOf = (rec: number): number => (rec >>> PRECISION_TIME_SHIFT) & PRECISION_TIME_MASK;
export const precisionReady = (rec: number): boolean => rec >>> 31 === 1;

/**
 * pghot_update_record for one access at `now` by `nid` (already resolved: NUMA_NO_NODE becomes
 * target_nid before this). Rebuilt from zero, so ready drops on a reset unless `sticky`.
 * Returns an int32 (bit 31 as sign); a Uint32Array store takes it as is.
 */
export function updatePrecisionRecord(rec: number, nid: number, now: number, windowMs: number, threshold: number, sticky: boolean): number {
  const old = (rec >>> PRECISION_FREQ_SHIFT) & PRECISION_FREQ_MASK;
  const latency = (now - (rec >>> PRECISION_TIME_SHIFT)) & PRECISION_TIME_MASK;
  const freq = latency > windowMs ? 1 : old < PRECISION_FREQ_MAX ? old + 1 : PRECISION_FREQ_MAX;
  let next = nid | (freq << PRECISION_FREQ_SHIFT) | ((now & PRECISION_TIME_MASK) << PRECISION_TIME_SHIFT);
  if (freq >= threshold) next |= PRECISION_READY;
  if (sticky) next |= rec & PRECISION_READY;
  return next;
}
