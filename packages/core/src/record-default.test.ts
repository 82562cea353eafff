import { describe, expect, it } from 'vitest';
import {
  defaultAccessLatency,
  defaultBucket,
  defaultFreq,
  defaultReady,
  defaultTimeBucket,
  encodeDefault,
  updateDefaultRecord,
  DEFAULT_MAX_LATENCY,
  DEFAULT_TIME_WRAP,
} from './record-default.js';

const update = (rec: number, now: number, window = 3000, threshold = 2, sticky = false) => updateDefaultRecord(rec, now, window, threshold, sticky);

describe('default-mode record layout (u8)', () => {
  it('packs freq in bits 0-1, the 128-jiffy bucket in bits 2-6 and MIGRATE_READY in bit 7', () => {
    expect(encodeDefault(1, 14, false)).toBe(0x39);
    expect(encodeDefault(2, 14, true)).toBe(0xba);
    expect(encodeDefault(3, 31, true)).toBe(0xff);
    expect(defaultFreq(0xba)).toBe(2);
    expect(defaultBucket(0xba)).toBe(14);
    expect(defaultReady(0xba)).toBe(true);
    expect(defaultReady(0x39)).toBe(false);
  });

  it('buckets time as (now >> 7) & 31, wrapping every 4096 jiffies with at most 3968 ms of latency', () => {
    expect(defaultTimeBucket(10_000)).toBe(14);
    expect(defaultTimeBucket(4_000)).toBe(31);
    expect(defaultTimeBucket(4_096)).toBe(0);
    expect(DEFAULT_TIME_WRAP).toBe(4096);
    expect(DEFAULT_MAX_LATENCY).toBe(3968);
  });

  it('measures latency modulo 4096 in 128 ms steps, across the wrap and aliased', () => {
    expect(defaultAccessLatency(defaultTimeBucket(10_000), 10_100)).toBe(0);
    expect(defaultAccessLatency(defaultTimeBucket(4_000), 4_200)).toBe(128); // true 200
    expect(defaultAccessLatency(defaultTimeBucket(10_000), 14_500)).toBe(384); // true 4500
    expect(defaultAccessLatency(defaultTimeBucket(10_000), 13_200)).toBe(3_200);
    expect(defaultAccessLatency(defaultTimeBucket(10_000), 13_000)).toBe(2_944);
  });

  it('follows the reference example: 0x39 at t=10000, 0xBA (ready) at t=10100', () => {
    const a = update(0, 10_000);
    expect(a).toBe(0x39);
    const b = update(a, 10_100);
    expect(b).toBe(0xba);
  });

  it('resets freq to 1 only when latency is strictly greater than the window', () => {
    const a = update(0, 10_000);
    expect(defaultFreq(update(a, 13_200))).toBe(1); // 3200 > 3000
    expect(defaultFreq(update(a, 13_000))).toBe(2); // 2944
    expect(defaultFreq(update(a, 14_500))).toBe(2); // aliased to 384: increments
    // a latency exactly equal to the window still counts; one bucket more resets
    expect(defaultFreq(updateDefaultRecord(a, 13_000, 2944, 2, false))).toBe(2);
    expect(defaultFreq(updateDefaultRecord(a, 13_000, 2943, 2, false))).toBe(1);
  });

  it('issue sequence: t=0 freq 1; t=100 freq 2 ready; t=3300 freq 1 and ready dropped, or kept when sticky', () => {
    const a = update(0, 0);
    expect([defaultFreq(a), defaultReady(a)]).toEqual([1, false]);
    const b = update(a, 100);
    expect([defaultFreq(b), defaultReady(b)]).toEqual([2, true]);
    const latest = update(b, 3_300);
    expect([defaultFreq(latest), defaultReady(latest)]).toEqual([1, false]);
    const sticky = update(b, 3_300, 3000, 2, true);
    expect([defaultFreq(sticky), defaultReady(sticky)]).toEqual([1, true]);
  });

  it('saturates freq at 3', () => {
    let r = 0;
    for (let t = 0; t < 10; t++) r = update(r, 1_000 + t);
    expect(defaultFreq(r)).toBe(3);
    expect(r).toBe(0x80 | (7 << 2) | 3);
  });

  it('never resets with window 3968 (the largest latency the layout can hold)', () => {
    let r = 0;
    for (let t = 0; t < 40_000; t += 1_500) r = update(r, t, 3968, 2);
    expect(defaultFreq(r)).toBe(3);
  });

  it('threshold 1 makes the first access ready; threshold 3 needs a third', () => {
    expect(defaultReady(update(0, 5, 3000, 1))).toBe(true);
    const two = update(update(0, 5, 3000, 3), 6, 3000, 3);
    expect(defaultReady(two)).toBe(false);
    expect(defaultReady(update(two, 7, 3000, 3))).toBe(true);
  });
});
