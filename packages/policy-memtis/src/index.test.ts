import { describe, expect, it } from 'vitest';
import memtisPolicy, { binOf, memtisThresholds } from './index.js';

describe('policy-memtis', () => {
  it('bins counts by log2(count + 1), up to 15', () => {
    expect([0, 1, 2, 3, 6, 7, 1000, 70_000].map(binOf)).toEqual([0, 1, 1, 2, 2, 3, 9, 15]);
  });

  it('picks the lowest bin whose cumulative pages still fit the capacity, and a warm band below', () => {
    const h = new Array<number>(16).fill(0);
    h[9] = 10;
    h[6] = 100;
    h[4] = 500;
    h[2] = 5000;
    // cumulative from the top: 10 (bin 9), 110 (bin 6), 610 (bin 4), 5610 (bin 2)
    expect(memtisThresholds(h, 1000)).toEqual({ hot: 3, warm: 2 }); // 610 pages < 75 % of 1000: warm one lower
    expect(memtisThresholds(h, 700)).toEqual({ hot: 3, warm: 3 }); // 610 >= 525
    expect(memtisThresholds(h, 5)).toEqual({ hot: 10, warm: 9 }); // only the empty bins above 9 fit
    expect(memtisThresholds(h, 10_000)).toEqual({ hot: 1, warm: 0 }); // everything fits down to the minimum bin
  });

  it('rejects bad options naming the plugin and the option', () => {
    expect(() => memtisPolicy({ promoteWatermark: 2 })).toThrow('Invalid options for plugin "policy-memtis": promoteWatermark: Too big: expected number to be <=0.5');
  });
});
