import { describe, expect, it } from 'vitest';
import hememPolicy, { HememCounts } from './index.js';

describe('policy-hemem', () => {
  it('is hot at 8 reads or 4 writes', () => {
    const c = new HememCounts(4, { hotReads: 8, hotWrites: 4, coolingThreshold: 18 });
    for (let i = 0; i < 7; i++) expect(c.sample(0, false)).toBe(false);
    expect(c.sample(0, false)).toBe(true);
    for (let i = 0; i < 3; i++) expect(c.sample(1, true)).toBe(false);
    expect(c.sample(1, true)).toBe(true);
  });

  it('cools exactly when a count reaches 18: every page halves, lazily at its next sample', () => {
    const c = new HememCounts(4, { hotReads: 8, hotWrites: 4, coolingThreshold: 18 });
    for (let i = 0; i < 10; i++) c.sample(1, false); // page 1: 10 reads
    for (let i = 0; i < 17; i++) c.sample(0, false);
    expect(c.globalClock).toBe(0);
    c.sample(0, false); // the 18th read
    expect(c.globalClock).toBe(1);
    expect(c.reads[1]).toBe(10); // not yet applied
    c.sample(1, false); // halved to 5, then +1
    expect(c.reads[1]).toBe(6);
    expect(c.isHot(1)).toBe(false);
    c.cool(0);
    expect(c.reads[0]).toBe(9);
  });

  it('rejects bad options naming the plugin and the option', () => {
    expect(() => hememPolicy({ hotReads: 0 })).toThrow('Invalid options for plugin "policy-hemem":\n✖ Too small: expected number to be >=1\n  → at hotReads');
  });
});
