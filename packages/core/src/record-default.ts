/**
 * The default-mode hotness record (v5+ pghot-default.c): one byte per PFN.
 *   bits 0-1  access frequency, saturating at 3
 *   bits 2-6  time bucket (now >> 7) & 31: 128-jiffy buckets, 32 of them = 4096 jiffies
 *   bit  7    MIGRATE_READY
 * No nid is stored: kmigrated promotes to the target_nid tunable.
 */
export const DEFAULT_FREQ_MASK = 0x3;
export const DEFAULT_FREQ_MAX = 3;
export const DEFAULT_TIME_SHIFT = 2;
export const DEFAULT_TIME_MASK = 0x1f;
export const DEFAULT_BUCKET_SHIFT = 7;
export const DEFAULT_READY = 0x80;
/** The bucket bits of a jiffies value, in place: 0xF80. */
const BUCKET_BITS = DEFAULT_TIME_MASK << DEFAULT_BUCKET_SHIFT;
/** Longest latency the layout can express: 31 buckets of 128 jiffies. */
export const DEFAULT_MAX_LATENCY = BUCKET_BITS;
/** Latencies are modulo this many jiffies. */
export const DEFAULT_TIME_WRAP = BUCKET_BITS + (1 << DEFAULT_BUCKET_SHIFT);

export const defaultTimeBucket = (now: number): number => (now >> DEFAULT_BUCKET_SHIFT) & DEFAULT_TIME_MASK;

/** Jiffies since the stored bucket, a multiple of 128, modulo 4096: ((now & 0xF80) - (bucket << 7)) & 0xF80. */
export const defaultAccessLatency = (bucket: number, now: number): number =>
  ((now & BUCKET_BITS) - (bucket << DEFAULT_BUCKET_SHIFT)) & BUCKET_BITS;

export const encodeDefault = (freq: number, bucket: number, ready: boolean): number =>
  (freq & DEFAULT_FREQ_MASK) | ((bucket & DEFAULT_TIME_MASK) << DEFAULT_TIME_SHIFT) | (ready ? DEFAULT_READY : 0);

export const defaultFreq = (rec: number): number => rec & DEFAULT_FREQ_MASK;
export const defaultBucket = (rec: number): number => (rec >> DEFAULT_TIME_SHIFT) & DEFAULT_TIME_MASK;
export const defaultReady = (rec: number): boolean => (rec & DEFAULT_READY) !== 0;

/**
 * pghot_update_record for one access at `now`. Latest posting: the record is rebuilt, so ready can
 * drop on a window reset; `sticky` keeps a set ready bit (v5/v6 default mode).
 */
export function updateDefaultRecord(rec: number, now: number, windowMs: number, threshold: number, sticky: boolean): number {
  const old = rec & DEFAULT_FREQ_MASK;
  const latency = ((now & BUCKET_BITS) - (((rec >> DEFAULT_TIME_SHIFT) & DEFAULT_TIME_MASK) << DEFAULT_BUCKET_SHIFT)) & BUCKET_BITS;
  const freq = latency > windowMs ? 1 : old < DEFAULT_FREQ_MAX ? old + 1 : DEFAULT_FREQ_MAX;
  let next = freq | (((now >> DEFAULT_BUCKET_SHIFT) & DEFAULT_TIME_MASK) << DEFAULT_TIME_SHIFT);
  if (freq >= threshold) next |= DEFAULT_READY;
  if (sticky) next |= rec & DEFAULT_READY;
  return next;
}
