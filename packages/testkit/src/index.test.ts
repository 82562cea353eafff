import { definePlugin, PGHOT_SRC } from '@pghot/core';
import { describe, expect, it } from 'vitest';
import { countByPfn, createTestEngine, createTestSimulation, CXL_START } from './index.js';

describe('testkit', () => {
  it('the fake clock ticks the engine every ms and the spy sees each report', async () => {
    const ticks: number[] = [];
    const probe = definePlugin({
      name: 'probe',
      apply(engine) {
        engine.hooks.tick.tap('probe', ({ now }) => {
          ticks.push(now);
          if (now === 2) engine.recordAccess(CXL_START + 7, 0, PGHOT_SRC.hintfaults, now);
        });
      },
    });
    const { clock, reported } = await createTestEngine({ plugins: [probe] });
    await clock.advance(3);
    expect(clock.now).toBe(3);
    expect(ticks).toEqual([1, 2, 3]);
    expect(reported).toEqual([{ src: 'hintfaults', pfn: CXL_START + 7, nid: 0, now: 2 }]);
    expect(countByPfn(reported)).toEqual(new Map([[CXL_START + 7, 1]]));
  });

  it('a test simulation starts pages on CXL', async () => {
    const { sim, reported } = createTestSimulation({ workload: { name: 'sequence', params: { pages: [0, 1] } } });
    await sim.run();
    expect(Array.from(sim.processes[0]!.pte)).toEqual([32_768, 32_769]);
    expect(reported).toEqual([]);
  });
});

