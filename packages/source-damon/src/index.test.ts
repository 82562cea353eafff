import { Simulation } from '@pghot/sim';
import { describe, expect, it } from 'vitest';
import damonSource, { damonRegions, initialRegions, mergeRegions, Regions, splitRegions } from './index.js';

describe('source-damon', () => {
  it('regions converge on the hot range and its pages are reported', async () => {
    // 32768 pages; 90 % of accesses in the first 3276
    const sim = new Simulation({
      machine: 'dram+cxl',
      workload: { name: 'gups-hotset', params: { footprintMiB: 128, accessesPerThread: 8_000_000 } },
      placement: { policy: 'preferred', node: 1 },
      plugins: [damonSource()],
    });
    await sim.run();
    const regions = [...damonRegions(sim.engine)!.values()][0]!;
    expect(regions.length).toBeGreaterThanOrEqual(10);
    expect(regions.length).toBeLessThanOrEqual(1000);
    // pages in regions the last aggregation found hot (10 of 20 samples or more)
    let hotIn = 0;
    let hotOut = 0;
    for (let i = 0; i < regions.length; i++) {
      if (regions.lastNrAccesses[i]! < 10) continue;
      for (let v = regions.start[i]!; v < regions.end[i]!; v++) (v < 3276 ? hotIn++ : hotOut++);
    }
    expect(hotIn / 3276).toBeGreaterThan(0.9);
    expect(hotOut / (32768 - 3276)).toBeLessThan(0.05);
    const vm = sim.engine.vmstat();
    expect(vm.pghot_recorded_damon).toBeGreaterThan(0);
    expect(vm.pgpromote_success).toBeGreaterThan(0);
    expect(sim.metrics.overheads.get('damonChecks')!.foreground).toBe(false);
  });

  it('merges neighbours within the threshold and size limit, with size-weighted averages', () => {
    const r = new Regions();
    r.push(0, 10, 4, 2);
    r.push(10, 30, 5, 8);
    r.push(30, 40, 20, 1);
    const m = mergeRegions(r, 1, 100);
    expect([m.start, m.end, m.nrAccesses, m.age]).toEqual([
      [0, 30],
      [30, 40],
      [4, 20], // (4*10 + 5*20) / 30 = 4.67, floored
      [6, 1], // (2*10 + 8*20) / 30 = 6
    ]);
    expect(mergeRegions(r, 1, 25).length).toBe(3); // 30 pages would pass the size limit
  });

  it('splits every region of two or more pages in two, and starts from an even split', () => {
    const r = initialRegions(100, 10);
    expect(r.start).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
    const s = splitRegions(r, () => 0.5);
    expect(s.length).toBe(20);
    expect(s.start.slice(0, 4)).toEqual([0, 5, 10, 15]);
    const one = new Regions();
    one.push(0, 1);
    expect(splitRegions(one, () => 0.5).length).toBe(1);
  });

  it('rejects bad options naming the plugin and the option', () => {
    expect(() => damonSource({ minRegions: 20, maxRegions: 10 })).toThrow('Invalid options for plugin "source-damon": maxRegions: maxRegions must be >= minRegions');
  });
});
