import { describe, expect, it } from 'vitest';
import { HeatmapRecorder } from './heatmap.js';
import { buildMachine } from './machine.js';
import { buildReport } from './report.js';
import { Simulation } from './sim.js';
import { reportAt, TINY } from './test-fixtures.js';

describe('the heatmap and the per-interval series', () => {
  it('count every access in its (time, virtual page) and (time, physical page) cell, and the promotion where it came from', async () => {
    const n = 400_000; // v2 n times after v0 and v1: about 120 ms of CXL, then DRAM, time
    const sim = new Simulation({
      machine: TINY,
      workload: { name: 'sequence', params: { pages: [0, 1, ...Array<number>(n).fill(2)] } },
      placement: { policy: 'preferred', node: 1 },
      moveAt: { timeMs: 5, node: 0 }, // migratepages: v0 and v1 fill the DRAM, v2 does not fit
      tunables: { freq_threshold: 1, kmigrated_sleep_ms: 50 },
      plugins: [reportAt(2, [10, 60])],
    });
    const result = await sim.run();
    const m = sim.metrics;
    // v0, v1, v2 first touch pfns 32768-32770 (CXL); v2 stays on CXL until its promotion at 100 ms, to pfn 1
    const slowV2 = m.slow - 2;
    const fastV2 = m.fast;
    expect(slowV2 + fastV2).toBe(n);
    const report = buildReport('tiny', result, null, null);
    const h = report.heatmap;
    expect(h.columnMs).toBe(100);
    expect(h.tMs).toEqual([100, sim.nowMs]);
    expect(h.virtual).toEqual({
      pages: 3,
      rowStart: [0, 1, 2],
      rowPages: [1, 1, 1],
      accesses: [
        [1, 1, slowV2],
        [0, 0, fastV2],
      ],
      promotions: [[0, 2, 1]],
    });
    expect(h.physical).toEqual({
      rowStart: [0, 1, 32_768, 32_769, 32_770, 32_771],
      rowPages: [1, 1, 1, 1, 1, 1],
      nodes: [
        { id: 0, tier: 0, firstRow: 0, rows: 2 },
        { id: 1, tier: 1, firstRow: 2, rows: 4 },
      ],
      accesses: [
        [0, 0, 1, 1, slowV2, 0],
        [0, fastV2, 0, 0, 0, 0],
      ],
      promotions: [[0, 4, 1]], // from pfn 32770
    });
    // one interval (the run is shorter than intervalMs): the oracle keeps v2 and one of v0/v1 in the 2 DRAM pages
    expect(report.series).toEqual([
      {
        tMs: sim.nowMs,
        accesses: n + 2,
        fastTierHitRatio: Number((fastV2 / (n + 2)).toFixed(6)),
        oracleHitRatio: Number(((n + 1) / (n + 2)).toFixed(6)),
        noPromotionHitRatio: null,
        promotedPages: 1,
        demotedPages: 2,
        pingPong: 0,
        sourceOverheadNs: 0,
        hotThresholdMs: { 0: 3000 }, // promote_freq_window_ms: the first adjustment is 60 s after boot
      },
    ]);
    expect(report.events).toEqual([{ tMs: 5, kind: 'moveAt', detail: 'migratepages: every page to node 0' }]);
  });

  it('merges columns in pairs at 200 columns, so any run length stays within 100 to 200 columns', () => {
    const h = new HeatmapRecorder(buildMachine(TINY), 3);
    for (let t = 100; t <= 25_000; t += 100) {
      h.access(0, 32_768);
      h.access(2, 1);
      h.access(2, 1);
      if (t === 20_100) h.promoted(2, 32_770, 1);
      h.closeFine(t);
    }
    h.finish(25_000);
    const r = h.report();
    // 200 columns of 100 ms became 100 of 200 ms at 20 s; the last 5 s added 25 more
    expect(r.columnMs).toBe(200);
    expect(r.tMs).toHaveLength(125);
    expect([r.tMs[0], r.tMs[99], r.tMs[100], r.tMs[124]]).toEqual([200, 20_000, 20_200, 25_000]);
    expect(r.virtual.accesses.every((c) => c[0] === 2 && c[1] === 0 && c[2] === 4)).toBe(true);
    expect(r.physical.accesses[0]).toEqual([0, 4, 2, 0, 0, 0]);
    expect(r.virtual.promotions).toEqual([[100, 2, 1]]);
    expect(r.physical.promotions).toEqual([[100, 4, 1]]);
  });

  it('keeps a partial last column, and gives each node its rows of one size (2 MiB rows on a 64 MiB + 256 MiB machine)', () => {
    const machine = buildMachine({ name: 'm', nodes: [{ id: 0, tier: 0, capacityMiB: 64, cpus: [0] }, { id: 1, tier: 1, capacityMiB: 256 }], latencyNs: [[100, 250], [250, 250]] });
    const h = new HeatmapRecorder(machine, 100 * 256);
    h.access(100 * 256 - 1, machine.nodes[1]!.startPfn + 256 * 256 - 1);
    h.finish(42);
    const r = h.report();
    expect(r.tMs).toEqual([42]);
    // virtual: 100 MiB in 64 rows of 2 MiB (the smallest power of two that fits); physical: 64 MiB
    // gives the shift (2 MiB rows), so node 1 has 128 chunks in 32 rows of 8 MiB
    expect([r.virtual.rowStart.length, r.virtual.rowPages[0], r.virtual.rowPages.at(-1)]).toEqual([50, 512, 512]);
    expect(r.physical.nodes).toEqual([
      { id: 0, tier: 0, firstRow: 0, rows: 32 },
      { id: 1, tier: 1, firstRow: 32, rows: 32 },
    ]);
    expect([r.physical.rowPages[0], r.physical.rowPages[32]]).toEqual([512, 2048]);
    expect(r.virtual.accesses[0]![49]).toBe(1);
    expect(r.physical.accesses[0]![63]).toBe(1);
  });
});
