import { describe, expect, it } from 'vitest';
import {
  encodePrecision,
  precisionAccessLatency,
  precisionFreq,
  precisionNid,
  precisionReady,
  precisionTime,
  precisionTimeOf,
  updatePrecisionRecord,
  PRECISION_TIME_WRAP,
} from './record-precision.js';

const update = (rec: number, nid: number, now: number, window = 5000, threshold = 2, sticky = false) =>
  updatePrecisionRecord(rec, nid, now, window, threshold, sticky) >>> 0;

describe('precision-mode record layout (u32)', () => {
  it('packs nid bits 0-9, freq 10-12, time 13-26, MIGRATE_READY bit 31', () => {
    expect(encodePrecision(1, 1, 3616, false)).toBe(0x01c40401);
    expect(encodePrecision(1, 2, 3616 + 1000, true)).toBe(0x82410801);
    expect(encodePrecision(1023, 7, 0x3fff, true)).toBe(0x87ffffff);
    const w = 0x82410801;
    expect([precisionNid(w), precisionFreq(w), precisionTimeOf(w), precisionReady(w)]).toEqual([1, 2, 4616, true]);
  });

  it('stores time as now & 0x3FFF and measures latency modulo 16384', () => {
    expect(PRECISION_TIME_WRAP).toBe(16_384);
    expect(precisionTime(20_000)).toBe(3_616);
    expect(precisionAccessLatency(precisionTime(20_000), 21_000)).toBe(1_000);
    expect(precisionAccessLatency(precisionTime(16_000), 17_000)).toBe(1_000); // across the wrap
    expect(precisionAccessLatency(precisionTime(0), 17_000)).toBe(616); // aliased
  });

  it('follows the reference example: nid 1 at 20000 → 0x01C40401, at 21000 → 0x82410801 (ready)', () => {
    const a = update(0, 1, 20_000);
    expect(a).toBe(0x01c40401);
    expect(update(a, 1, 21_000)).toBe(0x82410801);
  });

  it('keeps freq when the nid changes (v5+) and stores the last writer', () => {
    const a = update(0, 1, 20_000);
    const b = update(a, 2, 20_500);
    expect([precisionNid(b), precisionFreq(b)]).toEqual([2, 2]);
  });

  it('saturates freq at 7; a reset drops ready (latest) or keeps it (sticky)', () => {
    let r = 0;
    for (let i = 0; i < 12; i++) r = update(r, 0, 100 + i);
    expect(precisionFreq(r)).toBe(7);
    expect(precisionReady(r)).toBe(true);
    const reset = update(r, 0, 100 + 11 + 5_001);
    expect([precisionFreq(reset), precisionReady(reset)]).toEqual([1, false]);
    const sticky = update(r, 0, 100 + 11 + 5_001, 5000, 2, true);
    expect([precisionFreq(sticky), precisionReady(sticky)]).toEqual([1, true]);
  });

  it('handles jiffies beyond 2^31 by their low bits', () => {
    const now = 2 ** 33 + 20_000;
    expect(update(0, 1, now)).toBe(0x01c40401);
  });

  it('a latency exactly equal to the window still counts; 1 ms more resets freq to 1', () => {
    const a = update(0, 0, 10_000);
    expect(precisionFreq(update(a, 0, 15_000))).toBe(2);
    expect(precisionFreq(update(a, 0, 15_001))).toBe(1);
  });
});
