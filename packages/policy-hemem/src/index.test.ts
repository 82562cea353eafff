import pteScanSource from '@pghot/source-ptescan';
import hwSampleSource from '@pghot/source-hwsample';
import { createTestEngine, createTestPlatform, CXL_START } from '@pghot/testkit';
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
    expect(() => hememPolicy({ hotReads: 0 })).toThrow('Invalid options for plugin "policy-hemem": hotReads: Too small: expected number to be >=1');
  });
});

describe('policy-hemem on the testkit fake platform (no simulator), with the Accessed-bit scanner', () => {
  it('runs the Accessed-bit scanner and the sampler with HeMem', async () => {
    const script = Array.from({ length: 200 }, (_, i) => ({ atMs: 1 + Math.floor(i / 2), task: 0, page: i % 2, write: false, cpu: 0 }));
    const platform = createTestPlatform({ tasks: [4], script });
    const { engine, clock } = await createTestEngine({
      plugins: [pteScanSource({ scanPeriodMs: 5 }), hwSampleSource({ preset: 'pebs', period: 1, drainIntervalMs: 1 }), hememPolicy({ hotReads: 8 })],
      platform,
    });
    await clock.advance(5);
    // pages 0 and 1 were touched, 2 and 3 not: the scan at 5 ms reports two folios
    expect(engine.vmstat()).toMatchObject({ ptescan_ptes_scanned: 4, ptescan_accessed: 2 });
    await clock.advance(55);
    const vm = engine.vmstat();
    // every access sampled (period 1); HeMem promotes both hot pages in its rounds
    expect(vm.hwhint_total_events).toBe(120);
    expect(Array.from(platform.pte[0]!).slice(0, 2).every((pfn) => pfn < CXL_START)).toBe(true);
    expect(Array.from(platform.pte[0]!).slice(2)).toEqual([CXL_START + 2, CXL_START + 3]);
  });
});
