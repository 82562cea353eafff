import { createTestEngine, createTestPlatform, CXL_START } from '@pghot/testkit';
import { Simulation, type MachineSpec } from '@pghot/sim';
import { describe, expect, it } from 'vitest';
import hintFaultSource, { taskScanMinMs } from './index.js';

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
      plugins: [hintFaultSource({ mode: 'balancing', scanDelayMs: 100, scanPeriodMinMs: 100, scanPeriodMaxMs: 100 })],
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
      plugins: [hintFaultSource({ mode: 'balancing', scanDelayMs: 10, scanPeriodMinMs: 1000, pteUpdateNs: 50 })],
    });
    await sim.run();
    expect(sim.metrics.overheads.get('numaPteUpdates')).toEqual({ count: 4, ns: 200, foreground: true });
  });

  it('rejects bad options naming the plugin and the option', () => {
    expect(() => hintFaultSource({ scanPeriodMinMs: 0 })).toThrow('Invalid options for plugin "source-hintfault": scanPeriodMinMs: Too small: expected number to be >=1');
    expect(() => hintFaultSource({ scanPeriodMinMs: 5000, scanPeriodMaxMs: 1000 })).toThrow('scanPeriodMaxMs: scanPeriodMaxMs must be >= scanPeriodMinMs');
  });
});

describe('source-hintfault on the testkit fake platform (no simulator)', () => {
  it('runs the hint-fault source: scans make PTEs PROTNONE, scripted accesses fault, kmigrated promotes and the pages move', async () => {
    // task 0: 4 pages on CXL, each touched every 10 ms from CPU 1 (node 0)
    const script = Array.from({ length: 40 }, (_, i) => ({ atMs: 1 + 10 * Math.floor(i / 4), task: 0, page: i % 4, cpu: 1 }));
    const platform = createTestPlatform({ tasks: [4], script });
    const { engine, clock, reported, backend } = await createTestEngine({
      plugins: [hintFaultSource({ mode: 'balancing', scanDelayMs: 0, scanPeriodMinMs: 5, scanPeriodMaxMs: 5 })],
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

describe('source-hintfault as the kernel scans (tiering mode, task_numa_work)', () => {
  /** The times change_prot_numa ran, and what each changed. */
  const watchScans = (platform: ReturnType<typeof createTestPlatform>) => {
    const scans: { now: number; start: number; count: number; changed: number }[] = [];
    const changeProtNuma = platform.changeProtNuma.bind(platform);
    platform.changeProtNuma = (task, start, count, now) => {
      const changed = changeProtNuma(task, start, count, now);
      scans.push({ now, start, count, changed });
      return changed;
    };
    return scans;
  };

  it('task_scan_min: scan_period_min over the RSS in scan_size windows, never under 1000 / (2560 / scan_size) ms', () => {
    expect(taskScanMinMs(0, 256, 1000)).toBe(1000); // no RSS counts as one window
    expect(taskScanMinMs(8, 256, 1000)).toBe(1000);
    expect(taskScanMinMs(65_536, 256, 1000)).toBe(1000);
    expect(taskScanMinMs(65_537, 256, 1000)).toBe(500);
    expect(taskScanMinMs(262_144, 256, 1000)).toBe(250); // 1 GiB: 4 windows
    expect(taskScanMinMs(4_194_304, 256, 1000)).toBe(100); // 16 GiB: 64 windows, floored at 100
    expect(taskScanMinMs(4_194_304, 2560, 1000)).toBe(1000); // MAX_SCAN_WINDOW: floor 1000
    expect(taskScanMinMs(1_000_000, 64, 1000)).toBe(25); // 64 MB: 40 windows, floor 25
  });

  it('the period never backs off in tiering mode: the first tick after scan_delay sets it to task_scan_start and scans; plain balancing doubles it when no fault comes', async () => {
    const scanTimes = async (mode: 'tiering' | 'balancing') => {
      const platform = createTestPlatform({ tasks: [4] });
      const scans = watchScans(platform);
      const { clock } = await createTestEngine({ plugins: [hintFaultSource({ mode })], platform });
      await clock.advance(6500);
      return scans.map((s) => s.now);
    };
    // task_tick_numa at 1001 (runtime > scan_delay) sets the period to task_scan_start (1000) and scans
    // (numa_next_scan = scan_delay); each scan adds 2 ticks to node_stamp: every 1002 ms, whatever the faults
    expect(await scanTimes('tiering')).toEqual([1001, 2003, 3005, 4007, 5009, 6011]);
    // no faults at all: the simplified update_task_scan_period doubles the period each scan
    expect(await scanTimes('balancing')).toEqual([1000, 2000, 4000]);
  });

  it('the scan budget: scan_size where PTEs changed, up to 8x through ranges where none did, stopping at the end of the address space', async () => {
    // scan_size 2 MB = 512 pages (one PMD), so up to 4096 pages a scan; the task's first 2048 pages are unmapped
    const platform = createTestPlatform({ tasks: [8192] });
    platform.pte[0]!.fill(-1, 0, 2048);
    const scans = watchScans(platform);
    const { clock, engine } = await createTestEngine({ plugins: [hintFaultSource({ scanSizeMb: 2 })], platform });
    await clock.advance(4000);
    /** change_prot_numa calls, one list per scan. */
    const byScan: (typeof scans)[] = [];
    for (const s of scans) {
      if (byScan.at(-1)?.[0]!.now === s.now) byScan.at(-1)!.push(s);
      else byScan.push([s]);
    }
    // the period: task_scan_min for 6144 resident pages in 512-page windows: 1000 / 12 = 83 ms (no floor at 2 MB)
    expect(byScan[1]![0]!.now - byScan[0]![0]!.now).toBe(83 + 2);
    // four empty PMDs charge only the virtual budget, the fifth changes 512 PTEs and spends the budget
    expect(byScan[0]!.map((s) => [s.start, s.count, s.changed])).toEqual([
      [0, 512, 0],
      [512, 512, 0],
      [1024, 512, 0],
      [1536, 512, 0],
      [2048, 512, 512],
    ]);
    // the next scans go on from there, one changed PMD each, to the end of the address space (a
    // scan stops there); the one after starts from 0: four empty PMDs, then four already PROTNONE
    // (no change), the whole virtual budget of 4096 pages
    expect(byScan.slice(1, 13).map((scan) => scan.map((s) => [s.start, s.changed]))).toEqual([
      ...Array.from({ length: 11 }, (_, k) => [[2560 + 512 * k, 512]]),
      Array.from({ length: 8 }, (_, k) => [512 * k, 0]),
    ]);
    expect(engine.vmstat().numa_pte_updates).toBe(6144);
  });

  it('enable: false turns the source off: no scans, no faults, its bit cleared', async () => {
    const platform = createTestPlatform({ tasks: [4], script: Array.from({ length: 40 }, (_, i) => ({ atMs: 1 + 100 * i, task: 0, page: i % 4, cpu: 1 })) });
    const scans = watchScans(platform);
    const { clock, engine } = await createTestEngine({ plugins: [hintFaultSource({ enable: false })], platform });
    await clock.advance(4000);
    expect(scans).toEqual([]);
    expect(engine.vmstat()).toMatchObject({ numa_pte_updates: 0, numa_hint_faults: 0, pghot_recorded_hintfaults: 0 });
    expect(engine.tunables.enabled_sources & 1).toBe(0);
  });
});
