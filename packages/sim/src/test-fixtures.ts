// What the simulator's tests share: a tiny machine and a source that reports on cue.
import { definePlugin, PGHOT_SRC } from '@pghot/core';
import type { MachineSpec } from './machine.js';
import { getSim } from './sim.js';

/** DRAM node 0 with 2 pages and CPU 0; CXL node 1 with 4 pages. No CPU time, 1 ns page copies. */
export const TINY: MachineSpec = {
  name: 'tiny',
  nodes: [
    { id: 0, tier: 0, capacityMiB: 2 / 256, cpus: [0], watermarkPages: { min: 0, low: 0, high: 0, promo: 2 } },
    { id: 1, tier: 1, capacityMiB: 4 / 256, watermarkPages: { min: 0, low: 0, high: 0, promo: 0 } },
  ],
  latencyNs: [
    [100, 300],
    [300, 300],
  ],
  cpuNsPerAccess: 0,
  migrationBandwidthMBps: 4_096_000,
  migrationFixedNs: 0,
};

/** A test source: at each of `times` (ms) it reports one access to virtual page `vpage`. */
export const reportAt = (vpage: number, times: number[]) =>
  definePlugin({
    name: 'test-source',
    kind: 'source',
    apply(engine) {
      engine.hooks.tick.tap('test-source', ({ now }) => {
        if (!times.includes(now)) return;
        const sim = getSim(engine)!;
        engine.recordAccess(sim.processes[0]!.pte[vpage]!, 0, PGHOT_SRC.hintfaults, now);
      });
    },
  });
