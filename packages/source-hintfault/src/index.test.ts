import { Simulation, type MachineSpec } from '@pghot/sim';
import { describe, expect, it } from 'vitest';
import hintFaultSource from './index.js';

const MACHINE: MachineSpec = {
  name: 'two-socket',
  nodes: [
    { id: 0, tier: 0, capacityMiB: 16, cpus: [0] },
    { id: 1, tier: 0, capacityMiB: 16, cpus: [1] },
    { id: 2, tier: 1, capacityMiB: 64 },
  ],
  latencyNs: [
    [100, 160, 250],
    [160, 100, 300],
    [250, 300, 250],
  ],
  cpuNsPerAccess: 0,
};

describe('source-hintfault', () => {
  it('makes each lower-tier page PROTNONE once per scan; each faults once and reports the faulting CPU node', async () => {
    // one thread on CPU 1 (node 1) sweeping 8 pages on CXL, 250 ns each: 4000 sweeps per second
    const sim = new Simulation({
      machine: MACHINE,
      workload: { name: 'sequence', params: { pages: [0, 1, 2, 3, 4, 5, 6, 7], repeat: 1_100_000, cpus: [1] } },
      placement: { policy: 'preferred', node: 2 },
      plugins: [hintFaultSource({ scanDelayMs: 100, scanPeriodMinMs: 100, scanPeriodMaxMs: 100 })],
      tunables: { freq_threshold: 3 }, // keep the pages on CXL: three faults need 200 ms
      hintFaultNs: 0,
    });
    const reported: number[] = [];
    sim.platform.hooks.hintFaults.tap('watch', (b) => {
      for (let i = 0; i < b.length; i++) reported.push(b.nid[i]!);
    });
    await sim.run();
    // scans at 100, 200 and 300 ms mark all 8 pages; the third fault of each makes it ready, kmigrated
    // promotes the 8 at 400 ms (to target_nid 0), and later scans skip them: they are top tier now
    const vm = sim.engine.vmstat();
    expect(vm.numa_pte_updates).toBe(24);
    expect(vm.numa_hint_faults).toBe(24);
    expect(vm.numa_hint_faults_local).toBe(0);
    expect(vm.pghot_recorded_hintfaults).toBe(24);
    expect(vm.pgpromote_success).toBe(8);
    expect(reported.length).toBe(24);
    expect(new Set(reported)).toEqual(new Set([1]));
  });

  it('charges PTE updates to the task and reports them as overhead', async () => {
    const sim = new Simulation({
      machine: MACHINE,
      workload: { name: 'sequence', params: { pages: [0, 1, 2, 3], repeat: 500_000 } },
      placement: { policy: 'preferred', node: 2 },
      plugins: [hintFaultSource({ scanDelayMs: 10, scanPeriodMinMs: 1000, pteUpdateNs: 50 })],
    });
    await sim.run();
    expect(sim.metrics.overheads.get('numaPteUpdates')).toEqual({ count: 4, ns: 200, foreground: true });
  });

  it('rejects bad options naming the plugin and the option', () => {
    expect(() => hintFaultSource({ scanPeriodMinMs: 0 })).toThrow('Invalid options for plugin "source-hintfault":\n✖ Too small: expected number to be >=1\n  → at scanPeriodMinMs');
    expect(() => hintFaultSource({ scanPeriodMinMs: 5000, scanPeriodMaxMs: 1000 })).toThrow('scanPeriodMaxMs must be >= scanPeriodMinMs\n  → at scanPeriodMaxMs');
  });
});
