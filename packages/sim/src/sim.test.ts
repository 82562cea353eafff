import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Topology } from '@pghot/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildMachine, MACHINE_PRESETS, type MachineSpec } from './machine.js';
import { runBaseline, runSimulation } from './run.js';
import { Simulation } from './sim.js';
import { reportAt, TINY } from './test-fixtures.js';
import { REPLAY_WASM } from './wasm/replay-wasm.js';
import { createWorkload, threadsForMachine } from './workloads.js';

describe('small exact scenarios', () => {
  it('first touch fills the 2-page DRAM, then CXL: exact hits and time without promotion', async () => {
    const sim = new Simulation({ machine: TINY, workload: { name: 'sequence', params: { pages: [0, 1, 2, 3], repeat: 2 } }, placement: { policy: 'local' }, promotion: false, verify: true });
    const { estimatedTimeNs } = await sim.run();
    expect([sim.metrics.fast, sim.metrics.slow]).toEqual([4, 4]);
    expect(estimatedTimeNs).toBe(4 * 100 + 4 * 300);
    expect(Array.from(sim.processes[0]!.pte)).toEqual([0, 1, 32_768, 32_769]);
  });

  it('first touch below the low watermark wakes kswapd, which demotes the cold pages; a report then promotes', async () => {
    const sim = new Simulation({
      machine: TINY,
      workload: { name: 'sequence', params: { pages: [0, 1, ...Array<number>(300_000).fill(2)] } },
      placement: { policy: 'local' },
      tunables: { freq_threshold: 1, kmigrated_sleep_ms: 50 },
      plugins: [reportAt(2, [10, 60])],
      verify: true,
    });
    await sim.run();
    // v2's first touch finds DRAM full: CXL, and kswapd demotes v0 and v1 at 1 ms (second chance, then out);
    // the report at 10 ms is promoted at 50 ms; the one at 60 ms finds the page in the top tier
    expect(Object.fromEntries(Object.entries(sim.engine.vmstat()).filter(([, v]) => v !== 0))).toEqual({
      pghot_recorded_accesses: 1,
      pghot_recorded_hintfaults: 2,
      pgpromote_candidate: 1,
      pgpromote_success: 1,
      numa_pages_migrated: 1,
      pgmigrate_success: 1,
      pgdemote_kswapd: 2,
    });
    expect(Array.from(sim.processes[0]!.pte)).toEqual([32_769, 32_770, 1]);
  });

  it('a promotion into a full top tier fails (-EAGAIN), wakes kswapd and loses the hotness; the next report promotes', async () => {
    const n = 400_000; // v2 accessed n times after v0 and v1: about 120 ms of CXL time
    const sim = new Simulation({
      machine: TINY,
      workload: { name: 'sequence', params: { pages: [0, 1, ...Array<number>(n).fill(2)] } },
      placement: { policy: 'preferred', node: 1 },
      moveAt: { timeMs: 5, node: 0 }, // migratepages: v0 and v1 fill the DRAM, v2 does not fit
      tunables: { freq_threshold: 1, kmigrated_sleep_ms: 50 },
      plugins: [reportAt(2, [10, 60])],
      verify: true,
    });
    const { estimatedTimeNs } = await sim.run();
    // 50 ms: the candidate finds no free page above high + 1: -EAGAIN, kswapd woken, hotness lost
    // 51 ms: kswapd wants free >= promo (2): CLOCK clears both Accessed bits, then demotes both
    // 100 ms: the second report's candidate moves into DRAM
    expect(sim.engine.vmstat()).toMatchObject({ pgpromote_candidate: 2, pgpromote_success: 1, pgdemote_kswapd: 2, pghot_recorded_accesses: 2 });
    // migratepages' two moves are a placement: not demotions, not ping-pong, their copy time apart
    expect([sim.metrics.promotedPages, sim.metrics.demotedPages, sim.metrics.placementPages, sim.metrics.placementNs]).toEqual([1, 2, 2, 2]);
    expect(sim.metrics.pingPong).toBe(0);
    expect(Array.from(sim.processes[0]!.pte)).toEqual([32_769, 32_768, 1]); // the free-page stack hands back what migratepages freed, last first
    // the same cost rules by hand: events are charged when the thread's clock passes their quantum
    let t = 3 * 300;
    let slow = 3;
    let moved = false;
    let demoted = false;
    for (let i = 1; i < n; i++) {
      if (!moved && t >= 5e6) ((t += 2), (moved = true)); // two 1 ns copies
      if (!demoted && t >= 51e6) ((t += 2), (demoted = true));
      if (t >= 100e6) break;
      t += 300;
      slow++;
    }
    t += 1 + (n + 2 - slow) * 100; // the promotion copy, then v2 from DRAM
    expect(sim.metrics.slow).toBe(slow);
    expect(sim.metrics.fast).toBe(n + 2 - slow);
    expect(estimatedTimeNs).toBe(t);
  });
});

describe('invariants', () => {
  it('hold over random seeds, workloads, THP and placements (fast-check)', async () => {
    const spec = (thp: boolean): MachineSpec => ({
      name: 'small',
      nodes: [
        { id: 0, tier: 0, capacityMiB: 8, cpus: [0, 1] },
        { id: 1, tier: 0, capacityMiB: 8, cpus: [2] },
        { id: 2, tier: 1, capacityMiB: 32 },
      ],
      latencyNs: [
        [100, 160, 250],
        [160, 100, 300],
        [250, 300, 250],
      ],
      thp,
    });
    const machine = buildMachine(spec(false));
    const thpMachine = buildMachine(spec(true));
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.constantFrom('gups-hotset', 'zipf', 'phase-shift', 'scan', 'graph'),
        fc.boolean(),
        fc.constantFrom('local', 'slow'),
        async (seed, workload, thp, where) => {
          const params: Record<string, unknown> = { footprintMiB: 20, accessesPerThread: workload === 'graph' ? 60_000 : 120_000 };
          if (workload === 'phase-shift') params.periodS = 0.01;
          const sim = new Simulation({
            machine: thp ? thpMachine : machine,
            workload: createWorkload(workload, params, seed),
            seed,
            placement: where === 'local' ? { policy: 'local' } : { policy: 'preferred', node: 2 },
            tunables: { freq_threshold: 1, kmigrated_sleep_ms: 50 },
            plugins: [reportAt(0, [1, 2, 3, 5, 8, 13, 21])],
          });
          await sim.run();
          expect(sim.verify().checks).toEqual(['mapping', 'capacity', 'accesses', 'promotions']);
        },
      ),
      { seed: 42, numRuns: 25 },
    );
  });
});

describe('oracles', () => {
  it('order as the field expects: all-fast >= interval top-K >= no-promotion, static top-K >= no-promotion', async () => {
    for (const [workload, placement] of [
      ['gups-hotset', { policy: 'local' as const }],
      ['zipf', { policy: 'preferred' as const, node: 1 }],
      ['phase-shift', { policy: 'local' as const }],
    ] as const) {
      const options = { machine: 'dram+cxl', workload: { name: workload, params: { accessesPerThread: 2_000_000, ...(workload === 'phase-shift' ? { periodS: 0.2 } : {}) } }, placement };
      const report = await runSimulation({ ...options, baseline: 'run' });
      const o = report.oracles;
      expect(o.allFast.fastTierHitRatio, workload).toBe(1);
      expect(o.intervalTopK.fastTierHitRatio, workload).toBeGreaterThanOrEqual(o.noPromotion!.fastTierHitRatio);
      expect(o.staticTopK.fastTierHitRatio, workload).toBeGreaterThanOrEqual(o.noPromotion!.fastTierHitRatio);
      expect(o.allFast.estimatedTimeNs, workload).toBeLessThanOrEqual(o.staticTopK.estimatedTimeNs);
    }
  });

  it('no promotion keeps first-touch placement: baseline time equals the run without sources and demotion', async () => {
    const options = { machine: 'dram+cxl', workload: { name: 'gups-hotset', params: { accessesPerThread: 500_000 } } } as const;
    const a = await runBaseline(options);
    const b = await new Simulation({ ...options, promotion: false, demotion: false }).run();
    expect(a.estimatedTimeNs).toBe(b.estimatedTimeNs);
    expect(a.sim.metrics.promotedPages + a.sim.metrics.demotedPages).toBe(0);
  });
});

describe('workloads', () => {
  it('gups-hotset puts hotAccessFraction of accesses in the hot range', () => {
    const w = createWorkload('gups-hotset', { footprintMiB: 16, accessesPerThread: 100_000 }, 3);
    const p = w.processes[0]!;
    const vpage = new Int32Array(100_000);
    expect(p.fill(0, 0, vpage, new Uint8Array(100_000), new Uint8Array(100_000))).toBe(100_000);
    const hot = vpage.filter((v) => v < 409).length + vpage.filter((v) => v >= 409).length * 0; // hot range: first 10 % of 4096 pages
    // 90 % aimed at the hot range, plus 10 % uniform of which 10 % land there: 91 % expected
    expect(hot / 100_000).toBeGreaterThan(0.9);
    expect(hot / 100_000).toBeLessThan(0.92);
    expect(p.fill(0, 0, vpage, new Uint8Array(100_000), new Uint8Array(100_000))).toBe(0);
  });

  it('phase-shift moves the hot range every periodS and reports a reaction time', async () => {
    const report = await runSimulation({
      machine: 'dram+cxl',
      workload: { name: 'phase-shift', params: { accessesPerThread: 36_000_000, periodS: 2 } },
      placement: { policy: 'preferred', node: 1 },
      tunables: { freq_threshold: 1 },
      plugins: [(await import('../../source-hintfault/src/index.js')).default()],
      baseline: 'none',
    });
    expect(report.reactionTimesMs.length).toBe(Math.ceil(report.estimatedTimeNs / 1e6 / 2000) - 1); // a shift every 2 s
    // each shift: the oracle's post-shift hit ratio, and a time or the reason there is none
    expect(report.reactions.map((r) => r.shiftMs)).toEqual(report.reactionTimesMs.map((_, k) => 2000 * (k + 1)));
    for (const r of report.reactions) {
      expect(r.oracleHitRatio).toBeGreaterThan(0);
      expect(r.timeMs === null ? typeof r.reason : r.reason).toBe(r.timeMs === null ? 'string' : null);
    }
  });

  it("measures reaction time against the interval oracle: until the 100 ms hit ratio reaches 90 % of the oracle's after the shift", async () => {
    const sim = new Simulation({ machine: 'dram+cxl', workload: { name: 'sequence', params: { pages: [0] } } });
    const m = sim.metrics;
    // 10 buckets at 0.8, then a shift at 1000 ms: 0.1, 0.5, 0.71, 0.73, 0.9, then 0.2 x 5 after a shift at 1500
    for (const ratio of [...Array<number>(10).fill(0.8), 0.1, 0.5, 0.71, 0.73, 0.9, 0.2, 0.2, 0.2, 0.2, 0.2]) {
      m.fineFast.push(ratio * 1000);
      m.fineTotal.push(1000);
    }
    // the oracle: 0.8 up to 1000 ms, 0.8 from 1000 to 1500 (two intervals), 0.5 after 1500
    const oracle = [
      { endMs: 1000, hits: 800, all: 1000 },
      { endMs: 1250, hits: 400, all: 500 },
      { endMs: 1500, hits: 400, all: 500 },
      { endMs: 2000, hits: 500, all: 1000 },
    ];
    // shift at 1000: goal 0.72, first met by the bucket ending at 1400 ms
    // shift at 1500: goal 0.45, never met before the end (2000 ms): null, and why
    expect(m.reactions([1000, 1500], oracle, 2000)).toEqual([
      { shiftMs: 1000, oracleHitRatio: 0.8, timeMs: 400, reason: null },
      { shiftMs: 1500, oracleHitRatio: 0.5, timeMs: null, reason: "never reached 90 % of the interval oracle's post-shift hit ratio (0.5) before the end of the run" },
    ]);
    // recovery must come before the next shift: a shift at 1000 followed by one at 1300 has 300 ms to reach 0.72
    expect(m.reactions([1000, 1300], oracle, 2000)[0]).toMatchObject({ timeMs: null, reason: expect.stringContaining('before the next shift') });
    // an oracle without hits after the shift has nothing to reach
    expect(m.reactions([1000], [{ endMs: 2000, hits: 0, all: 1000 }], 2000)[0]).toEqual({ shiftMs: 1000, oracleHitRatio: 0, timeMs: null, reason: 'the interval oracle has no fast-tier hits after this shift' });
  });

  it('rejects unknown workloads and bad parameters naming them', () => {
    expect(() => createWorkload('nope')).toThrow('unknown workload "nope"; workloads: gups-hotset, phase-shift, zipf, scan, graph, sequence, mix');
    expect(() => createWorkload('zipf', { theta: -1 })).toThrow(/invalid parameters for workload "zipf": theta: Too small: expected number to be >=0/);
    expect(() => createWorkload('mix', { parts: [{ workload: 'mix' }] })).toThrow('parts cannot be mixes');
  });

  it('mix runs several processes on CPUs of different nodes', async () => {
    const sim = new Simulation({
      machine: '2dram+cxl',
      workload: createWorkload('mix', { parts: [{ workload: 'gups-hotset', params: { footprintMiB: 16, accessesPerThread: 50_000 }, cpus: [0] }, { workload: 'zipf', params: { footprintMiB: 16, accessesPerThread: 50_000 }, cpus: [2] }] }),
      verify: true,
    });
    await sim.run();
    expect(sim.threads.map((t) => [t.mm.name, t.cpu, t.nid, t.accesses])).toEqual([
      ['gups-hotset', 0, 0, 50_000],
      ['zipf', 2, 1, 50_000],
    ]);
  });
});

describe('machines', () => {
  it('builds the presets with section-aligned nodes, Linux watermarks and demotion targets', () => {
    const m = buildMachine('2dram+cxl');
    expect(m.nodes.map((n) => [n.id, n.startPfn, n.pages, n.demotionTarget])).toEqual([
      [0, 0, 16_384, 2],
      [1, 32_768, 16_384, 2],
      [2, 65_536, 131_072, -1],
    ]);
    // min_free_kbytes = sqrt(16 * 640 MiB in KiB) = 3238 KiB = 809 pages, split by size
    expect(m.nodes[0]!.watermarks).toEqual({ min: 80, low: 100, high: 120, promo: 140 });
  });

  it('agrees with core on node_is_toptier: a node with CPUs in a slower tier is top tier, and so is every faster one', () => {
    const m = buildMachine({
      nodes: [{ id: 0, tier: 0, capacityMiB: 8, cpus: [0] }, { id: 1, tier: 1, capacityMiB: 8, cpus: [1] }, { id: 2, tier: 2, capacityMiB: 8 }],
      latencyNs: [[100, 160, 250], [160, 100, 250], [250, 250, 250]],
    });
    expect(m.nodes.map((n) => n.topTier)).toEqual([true, true, false]);
    expect(new Topology(m.topology).topTierNodeIds).toEqual([0, 1]);
  });

  it('on a machine with two DRAM nodes a default workload runs a thread on each', () => {
    expect(threadsForMachine('gups-hotset', {}, 2)).toEqual({ threads: 2 });
    expect(threadsForMachine('zipf', { theta: 0.9 }, 2)).toEqual({ theta: 0.9, threads: 2 });
    // what the user names stays: threads, CPUs; graph runs 2 by default already; sequence has no threads
    expect(threadsForMachine('gups-hotset', { threads: 1 }, 2)).toEqual({ threads: 1 });
    expect(threadsForMachine('gups-hotset', { cpus: [0] }, 2)).toEqual({ cpus: [0] });
    expect(threadsForMachine('graph', {}, 2)).toEqual({});
    expect(threadsForMachine('sequence', { pages: [0] }, 2)).toEqual({ pages: [0] });
    expect(threadsForMachine('gups-hotset', {}, 1)).toEqual({});
    // and the threads spread over the top-tier nodes
    const sim = new Simulation({ machine: '2dram+cxl', workload: { name: 'gups-hotset', params: { threads: 2, accessesPerThread: 10 } } });
    expect(sim.threads.map((t) => t.nid)).toEqual([0, 1]);
  });

  it('rejects impossible machines with one message', () => {
    expect(() => buildMachine('huge')).toThrow('unknown machine preset "huge"; presets: dram+cxl, dram+cxl-1t, 2dram+cxl');
    const base = { nodes: [{ id: 0, tier: 0, capacityMiB: 8, cpus: [0] }, { id: 1, tier: 1, capacityMiB: 8 }], latencyNs: [[100, 250], [250, 250]] };
    expect(() => buildMachine({ ...base, latencyNs: [[100]] })).toThrow('latencyNs must be a 2 x 2 matrix');
    expect(() => buildMachine({ ...base, nodes: [{ id: 0, tier: 0, capacityMiB: 8 }, { id: 1, tier: 1, capacityMiB: 8 }] })).toThrow('no node has CPUs');
    expect(() => buildMachine({ ...base, nodes: [base.nodes[0]!, { id: 0, tier: 1, capacityMiB: 8 }] })).toThrow('node 0 is listed twice');
    expect(() => buildMachine({ ...base, cpuNsPerAccess: -1 })).toThrow(/cpuNsPerAccess: /);
  });
});

describe('dram+cxl-1t (a 1 TiB CXL node)', () => {
  it('lays out 64 GiB of DRAM and 1 TiB of CXL, and commits memory only for the pages a workload touches', async () => {
    const machine = buildMachine('dram+cxl-1t');
    expect(machine.nodes.map((n) => [n.id, n.startPfn, n.pages, n.topTier])).toEqual([
      [0, 0, 16_777_216, true],
      [1, 16_777_216, 268_435_456, false],
    ]);
    const before = process.memoryUsage().rss;
    const sim = new Simulation({ machine, workload: { name: 'gups-hotset', params: { footprintMiB: 64, accessesPerThread: 100_000 } }, promotion: false, demotion: false });
    await sim.run();
    // first touch places the 64 MiB on DRAM (local): every access is fast
    expect([sim.threads[0]!.fast, sim.threads[0]!.slow]).toEqual([100_000, 0]);
    expect([sim.mem.pfnOnline(16_777_215), sim.mem.pfnOnline(16_777_216), sim.mem.pfnOnline(285_212_671), sim.mem.pfnOnline(285_212_672)]).toEqual([true, true, true, false]);
    // about 5 GiB of per-PFN arrays are allocated; zero for free pages, the OS commits almost none of it
    expect(process.memoryUsage().rss - before).toBeLessThan(256 * 2 ** 20);
  });
});

describe('the replay kernel (WebAssembly)', () => {
  it('is assembled from replay.wat as committed (pnpm build:wasm)', async () => {
    const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
    const { assemble } = (await import(path.join(root, 'scripts/build-wasm.mjs'))) as { assemble: (file: string) => string };
    expect(assemble(path.join(root, 'packages/sim/src/wasm/replay.wat'))).toBe(REPLAY_WASM);
  });

  it('gives the same report as replay in JavaScript: promotion on and off, several processes and threads', async () => {
    const hintFaults = (await import('../../source-hintfault/src/index.js')).default;
    const pteScan = (await import('../../source-ptescan/src/index.js')).default;
    const hwSample = (await import('../../source-hwsample/src/index.js')).default;
    const chmu = (await import('../../source-chmu/src/index.js')).default;
    const common = { machine: 'dram+cxl', plugins: [hintFaults()], placement: { policy: 'preferred' as const, node: 1 }, tunables: { freq_threshold: 1 } };
    const cases = [
      { ...common, workload: { name: 'gups-hotset', params: { accessesPerThread: 8_000_000 } }, baseline: 'run' as const },
      // THP: folios of 512 pages, whose Accessed bit (at the head) the page-table scanner reads
      {
        ...common,
        machine: { ...MACHINE_PRESETS['dram+cxl']!, thp: true },
        plugins: [hintFaults(), pteScan()],
        workload: { name: 'gups-hotset', params: { accessesPerThread: 8_000_000 } },
        baseline: 'none' as const,
      },
      // a PMU sampler: the kernel stops before each tagged access (a prime period, so tags fall anywhere in a batch)
      { ...common, plugins: [hwSample({ period: 997 })], workload: { name: 'gups-hotset', params: { accessesPerThread: 8_000_000, threads: 2 } }, baseline: 'none' as const },
      // a hotness monitor counting down in the kernel: one device access in 4 counted
      { ...common, plugins: [chmu({ downsamplingFactor: 4 })], workload: { name: 'gups-hotset', params: { accessesPerThread: 8_000_000 } }, baseline: 'none' as const },
      { ...common, workload: { name: 'phase-shift', params: { accessesPerThread: 8_000_000, threads: 2, periodS: 1 } }, baseline: 'none' as const },
      {
        ...common,
        workload: { name: 'mix', params: { parts: [{ workload: 'gups-hotset', params: { footprintMiB: 32, accessesPerThread: 6_000_000 } }, { workload: 'zipf', params: { footprintMiB: 32, accessesPerThread: 6_000_000 } }] } },
        baseline: 'none' as const,
      },
    ];
    for (const c of cases) {
      const js = await runSimulation({ ...c, wasm: false });
      const wasm = await runSimulation({ ...c, wasm: true });
      const name = `${c.workload.name}${typeof c.machine === 'object' ? ' (THP)' : ''} ${c.plugins.map((p) => p.name).join(',')}`;
      expect(wasm.vmstat.pgpromote_success, name).toBeGreaterThan(0);
      expect(JSON.stringify(wasm), name).toBe(JSON.stringify(js));
    }
  });
});
