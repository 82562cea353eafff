import { Simulation } from '@pghot/sim';
import { TEST_MACHINE } from '@pghot/testkit';
import { describe, expect, it } from 'vitest';
import pteScanSource from './index.js';

const MACHINE = TEST_MACHINE;

describe('source-ptescan', () => {
  it('reports a page touched twice between two scans once, with NUMA_NO_NODE and the flush time', async () => {
    // v0 twice at the start, then v1 only: 250 ns each on CXL, about 1.2 s in all
    const sim = new Simulation({
      machine: MACHINE,
      workload: { name: 'sequence', params: { pages: [0, 0, ...Array<number>(4_800_000).fill(1)] } },
      placement: { policy: 'preferred', node: 1 },
      tunables: { freq_threshold: 3 }, // two reports of v1 do not promote it
      plugins: [pteScanSource()],
    });
    const seen: { pfn: number; nid: number; now: number }[] = [];
    sim.engine.hooks.filterBatch.tap('watch', (b) => {
      for (let i = 0; i < b.length; i++) seen.push({ pfn: b.pfn[i]!, nid: b.nid[i]!, now: b.now[i]! });
    });
    await sim.run();
    const [v0, v1] = [sim.processes[0]!.pte[0]!, sim.processes[0]!.pte[1]!];
    // scan at 500 ms: both accessed; at 1000 ms: only v1
    expect(seen).toEqual([
      { pfn: v0, nid: -1, now: 500 },
      { pfn: v1, nid: -1, now: 500 },
      { pfn: v1, nid: -1, now: 1000 },
    ]);
    const vm = sim.engine.vmstat();
    expect(vm).toMatchObject({ pghot_recorded_pgtscans: 3, pghot_recorded_accesses: 3, ptescan_accessed: 3, ptescan_ptes_scanned: 4 });
    expect(sim.metrics.overheads.get('ptesScanned')).toEqual({ count: 4, ns: 60, foreground: false });
  });

  it('records nothing when its source is disabled', async () => {
    const sim = new Simulation({
      machine: MACHINE,
      workload: { name: 'sequence', params: { pages: [0, 1], repeat: 2_000_000 } },
      placement: { policy: 'preferred', node: 1 },
      tunables: { enabled_sources: 0x1 }, // hintfaults only: the explicit config wins over the plugin's enable
      plugins: [pteScanSource()],
    });
    await sim.run();
    // the scans at 500 and 1000 ms still find both pages accessed; pghot records none of it
    expect(sim.engine.vmstat()).toMatchObject({ pghot_recorded_pgtscans: 0, pghot_recorded_accesses: 0, ptescan_accessed: 4 });
  });

  it('rejects bad options naming the plugin and the option', () => {
    expect(() => pteScanSource({ batchSize: 0 })).toThrow('Invalid options for plugin "source-ptescan": batchSize: Too small: expected number to be >=1');
  });
});
