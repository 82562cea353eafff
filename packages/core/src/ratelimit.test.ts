import { describe, expect, it } from 'vitest';
import { PromotionRateLimiter, Verdict } from './ratelimit.js';

// 1 MB/s = 256 pages/s; over the 60 s adjustment period ref_cand = 15,360, so the band is
// (13,824 = 15,360 * 9 / 10, 16,896 = 15,360 * 11 / 10); with a 1000 ms reference the unit is 125
const at = (candidates: number, snap = 0) => {
  const limiter = new PromotionRateLimiter();
  limiter.candidates[0] = candidates;
  limiter.thresholdCandidateSnap[0] = snap;
  return limiter;
};

describe('should_migrate at the boundaries of every comparison', () => {
  it('a latency equal to the threshold is too old; one less passes', () => {
    expect(new PromotionRateLimiter().shouldMigrate(1, 0, 1000, 500, 1000, 1, false)).toBe(Verdict.REJECT_LATENCY);
    expect(new PromotionRateLimiter().shouldMigrate(1, 0, 999, 500, 1000, 1, false)).toBe(Verdict.PASS);
  });

  it('the threshold adjusts only once more than the period has passed', () => {
    const exactly = at(0);
    exactly.shouldMigrate(1, 0, 10, 60_000, 1000, 1, false);
    expect(exactly.threshold[0]).toBe(0);
    const after = at(0);
    after.shouldMigrate(1, 0, 10, 60_001, 1000, 1, false);
    expect(after.threshold[0]).toBe(1125);
  });

  it('candidates exactly at ref_cand * 11 / 10 keep the threshold; one more lowers it', () => {
    const keep = at(16_896);
    keep.shouldMigrate(1, 0, 10, 60_001, 1000, 1, false);
    const lower = at(16_897);
    lower.shouldMigrate(1, 0, 10, 60_001, 1000, 1, false);
    expect([keep.threshold[0], lower.threshold[0]]).toEqual([1000, 875]);
  });

  it('candidates exactly at ref_cand * 9 / 10 keep the threshold; one fewer raises it', () => {
    const keep = at(13_824);
    keep.shouldMigrate(1, 0, 10, 60_001, 1000, 1, false);
    const raise = at(13_823);
    raise.shouldMigrate(1, 0, 10, 60_001, 1000, 1, false);
    expect([keep.threshold[0], raise.threshold[0]]).toEqual([1000, 1125]);
  });

  it('the adjustment counts the candidates since the last one (the snapshot is subtracted), and saves the new count', () => {
    // 25,000 now, 10,000 at the last adjustment: 15,000 in the band, so the threshold stays
    const limiter = at(25_000, 10_000);
    limiter.shouldMigrate(1, 0, 10, 60_001, 1000, 1, false);
    expect([limiter.threshold[0], limiter.thresholdCandidateSnap[0]]).toEqual([1000, 25_000]);
  });

  it('the threshold stays within [unit, 2 x ref]', () => {
    const low = at(100_000);
    low.threshold[0] = 125;
    low.shouldMigrate(1, 0, 10, 60_001, 1000, 1, false);
    const high = at(0);
    high.threshold[0] = 2000;
    high.shouldMigrate(1, 0, 10, 60_001, 1000, 1, false);
    expect([low.threshold[0], high.threshold[0]]).toEqual([125, 2000]);
  });

  it('the rate-limit window renews only once more than 1000 ms has passed', () => {
    // 1000 candidates counted before: in the window that started at 0 they exceed 256 pages
    const same = at(1000);
    expect(same.shouldMigrate(1, 0, 10, 1000, 1000, 1, false)).toBe(Verdict.REJECT_RATE_LIMIT);
    const renewed = at(1000);
    expect(renewed.shouldMigrate(1, 0, 10, 1001, 1000, 1, false)).toBe(Verdict.PASS);
    expect(renewed.rateLimitCandidateSnap[0]).toBe(1001);
  });

  it('a window takes rate_limit - 1 pages more and refuses the next: candidates - snapshot >= rate_limit', () => {
    const limiter = new PromotionRateLimiter();
    limiter.shouldMigrate(1, 0, 10, 1001, 1000, 1, false); // opens the window at 1001, snapshot 1
    const verdicts = Array.from({ length: 256 }, () => limiter.shouldMigrate(1, 0, 10, 1500, 1000, 1, false));
    expect(verdicts.slice(0, 255).every((v) => v === Verdict.PASS)).toBe(true);
    expect(verdicts[255]).toBe(Verdict.REJECT_RATE_LIMIT);
  });

  it('the free-space bypass resets the threshold and skips the rest', () => {
    const limiter = at(100_000);
    limiter.threshold[0] = 500;
    expect(limiter.shouldMigrate(1, 0, 1e9, 60_001, 1000, 1, true)).toBe(Verdict.BYPASS);
    expect([limiter.threshold[0], limiter.thresholdStartMs[0], limiter.candidates[0]]).toEqual([0, 0, 100_000]);
  });
});
