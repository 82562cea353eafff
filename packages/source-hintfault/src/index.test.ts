import { createTestEngine, createTestPlatform, CXL_START } from '@pghot/testkit';
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

describe('source-hintfault on the testkit fake platform (no simulator)', () => {
  it('runs the hint-fault source: scans make PTEs PROTNONE, scripted accesses fault, kmigrated promotes and the pages move', async () => {
    // task 0: 4 pages on CXL, each touched every 10 ms from CPU 1 (node 0)
    const script = Array.from({ length: 40 }, (_, i) => ({ atMs: 1 + 10 * Math.floor(i / 4), task: 0, page: i % 4, cpu: 1 }));
    const platform = createTestPlatform({ tasks: [4], script });
    const { engine, clock, reported, backend } = await createTestEngine({
      plugins: [hintFaultSource({ scanDelayMs: 0, scanPeriodMinMs: 5, scanPeriodMaxMs: 5 })],
      platform,
      tunables: { freq_threshold: 2 },
    });
    await clock.advance(100);
    const vm = engine.vmstat();
    // each 10 ms window: a scan at 5 ms marks the 4 pages, the accesses at 11 ms fault once each
    expect(reported.slice(0, 4)).toEqual([0, 1, 2, 3].map((k) => ({ src: 'hintfaults', pfn: CXL_START + k, nid: 0, now: 11 })));
    // scans at 1, 11, ..., 91 ms mark the 4 pages (the accesses at 1 ms came before the first scan);
    // the accesses at 11, ..., 91 ms fault: 9 x 4. kmigrated wakes at 100 ms and promotes the 4
    expect(vm).toMatchObject({ numa_pte_updates: 40, numa_hint_faults: 36, pghot_recorded_hintfaults: 36, numa_hint_faults_local: 0, pgpromote_success: 4 });
    expect(backend.promotedPages).toBe(4);
    // the page tables follow the promotion
    expect(Array.from(platform.pte[0]!)).toEqual([0, 1, 2, 3]);
    expect(platform.overhead.get('numaPteUpdates')).toEqual({ count: 40, ns: 40 * 15, foreground: true });
  });

  it('refuses a plugin whose required capability the platform lacks, naming both', async () => {
    const platform = createTestPlatform({ capabilities: ['tasks', 'accessedBit'] });
    await expect(createTestEngine({ plugins: [hintFaultSource()], platform })).rejects.toThrow(
      'plugin "source-hintfault" requires protnone, overhead, which the platform "testkit" does not offer (it offers: tasks, accessedBit)',
    );
  });
});
