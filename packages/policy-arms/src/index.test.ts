import { describe, expect, it } from 'vitest';
import armsPolicy, { ewmaAlpha, ShiftDetector } from './index.js';

describe('policy-arms', () => {
  it('derives the EWMA weights from the windows: 0.667 (1 s) and 0.0952 (10 s) at 500 ms', () => {
    expect(ewmaAlpha(1000, 500)).toBeCloseTo(0.667, 3);
    expect(ewmaAlpha(10_000, 500)).toBeCloseTo(0.0952, 4);
  });

  it('detects a hot-set shift from a jump in slow-tier bandwidth, and returns to history after 20 quiet periods', () => {
    const d = new ShiftDetector();
    for (let i = 0; i < 30; i++) expect(d.observe(0.5 + (i % 2) * 0.05)).toBe(false);
    expect(d.recency).toBe(false);
    let shifted = false;
    for (let i = 0; i < 5 && !shifted; i++) shifted = d.observe(4);
    expect(shifted).toBe(true);
    expect(d.recency).toBe(true);
    for (let i = 0; i < 60; i++) d.observe(0.5);
    expect(d.recency).toBe(false);
  });

  it('rejects bad options naming the plugin and the option', () => {
    expect(() => armsPolicy({ intervalMs: 0 })).toThrow('Invalid options for plugin "policy-arms": intervalMs: Too small: expected number to be >=1');
  });
});
