import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Simulation } from '@pghot/sim';
import { TEST_MACHINE } from '@pghot/testkit';
import { describe, expect, it } from 'vitest';
import hwSampleSource, { readSamples, replaySamples, SampleParseError } from './index.js';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../fixtures');
const PERF_SCRIPT = path.join(FIXTURES, 'perf-script/pagefaults-addr-physaddr.txt');
const PERF_MEM = path.join(FIXTURES, 'perf-mem/report-D-phys.csv');

const MACHINE = TEST_MACHINE;

describe('simulated sampling (IBS / PEBS)', () => {
  it('samples exactly one access in `period` per CPU and reports the sampling CPU node', async () => {
    const sim = new Simulation({
      machine: MACHINE,
      workload: { name: 'gups-hotset', params: { footprintMiB: 32, accessesPerThread: 1_000_000 } },
      placement: { policy: 'preferred', node: 1 },
      plugins: [hwSampleSource({ period: 1000, costNs: 0 })],
    });
    const nids = new Set<number>();
    sim.engine.hooks.filterBatch.tap('watch', (b) => {
      for (let i = 0; i < b.length; i++) nids.add(b.nid[i]!);
    });
    await sim.run();
    const s = sim.sampler!;
    // 1,000,000 accesses, the first tagged one at a seeded offset in [1, 1000]: 1000 samples
    expect(s.totalEvents).toBe(1000);
    expect(s.usefulEvents + s.droppedEvents).toBe(s.dramAccesses + s.extmemAccesses);
    expect(s.droppedEvents).toBe(0);
    const vm = sim.engine.vmstat();
    expect(vm.hwhint_total_events).toBe(1000);
    const undrained = s.count.reduce((a, b) => a + b, 0); // left in the rings after the last drain
    expect(vm.pghot_recorded_hwhints).toBe(s.usefulEvents - undrained);
    expect([...nids]).toEqual([0]);
  });

  it("IBS's head/tail ring of 150 holds 149: the 150th push between drains is dropped (timer drain); PEBS's buffer holds all 150", async () => {
    const run = async (preset: 'ibs' | 'pebs') => {
      const sim = new Simulation({
        machine: MACHINE,
        workload: { name: 'sequence', params: { pages: [0], repeat: 400_000 } }, // 250 ns each: 100 ms
        placement: { policy: 'preferred', node: 1 },
        tunables: { enabled_sources: 0x2 },
        plugins: [hwSampleSource({ preset, period: 10, ringSize: 150, drain: 'timer', drainIntervalMs: 50, costNs: 0, l3MissOnly: false })],
      });
      await sim.run();
      return sim;
    };
    const ibs = await run('ibs');
    const s = ibs.sampler!;
    expect(s.options.ringSize).toBe(149);
    // 4,000 ns between samples: 12,500 per 50 ms drain period, of which the ring keeps 149; two drains
    expect(s.totalEvents).toBe(40_000);
    expect(s.usefulEvents).toBe(149 * 2 + s.count.reduce((a, b) => a + b, 0));
    expect(s.usefulEvents + s.droppedEvents).toBe(40_000);
    expect(ibs.engine.vmstat().hwhint_dropped_events).toBe(s.droppedEvents);
    expect(ibs.engine.vmstat().pghot_recorded_hwhints).toBe(149 * 2);
    const pebs = (await run('pebs')).sampler!;
    expect(pebs.options.ringSize).toBe(150);
    expect(pebs.usefulEvents - pebs.count.reduce((a, b) => a + b, 0)).toBe(150 * 2);
  });

  it('drains as the IBS driver does: the first push queues the drain, which runs at the next tick; a 10 ms timer overflows the same rings', async () => {
    const run = async (drain: 'first-push' | 'timer') => {
      const sim = new Simulation({
        machine: MACHINE,
        workload: { name: 'sequence', params: { pages: [0], repeat: 400_000 } }, // 100 ms
        placement: { policy: 'preferred', node: 1 },
        tunables: { enabled_sources: 0x2 },
        plugins: [hwSampleSource({ period: 100, drain, costNs: 0, l3MissOnly: false })], // 25 samples per ms
      });
      await sim.run();
      return [sim.sampler!.totalEvents, sim.sampler!.droppedEvents, sim.engine.vmstat().pghot_recorded_hwhints];
    };
    expect(await run('first-push')).toEqual([4000, 0, 4000]);
    // 250 samples per 10 ms drain, of which the ring keeps 149
    expect(await run('timer')).toEqual([4000, 4000 - 149 * 10, 149 * 10]);
  });

  it('keeps only LLC misses with l3MissOnly when the LLC model is on', async () => {
    const run = async (l3MissOnly: boolean) => {
      const sim = new Simulation({
        machine: MACHINE,
        workload: { name: 'sequence', params: { pages: [0], repeat: 100_000 } }, // one line: always an LLC hit after the first
        llc: { sizeMiB: 1 },
        plugins: [hwSampleSource({ period: 100, l3MissOnly, costNs: 0 })],
      });
      await sim.run();
      return sim.sampler!;
    };
    const kept = (s: { usefulEvents: number; droppedEvents: number }) => s.usefulEvents + s.droppedEvents;
    const missOnly = await run(true);
    const all = await run(false);
    // an access the L3-miss filter discards raises no interrupt: not an event, no cost
    expect([missOnly.totalEvents, all.totalEvents]).toEqual([0, 1000]);
    expect(kept(missOnly)).toBe(0); // only the very first access misses, and it is not tagged
    expect(kept(all)).toBe(1000);
  });

  it('rejects bad options naming the plugin and the option', () => {
    expect(() => hwSampleSource({ preset: 'spe' as 'ibs' })).toThrow(/Invalid options for plugin "source-hwsample": preset: Invalid option: expected one of "ibs"\|"pebs"/);
  });
});

describe('real perf samples', () => {
  it('reads perf script output: 300 samples, 151 with physical address 0, 149 distinct PFNs', async () => {
    const s = await readSamples(PERF_SCRIPT);
    expect(s).toMatchObject({ format: 'perf-script', lines: 300, resolved: 149, unresolved: 151, malformed: 0, events: { 'page-faults': 300 } });
    expect(new Set(s.pfn).size).toBe(149);
    expect(Math.min(...s.pfn)).toBe(Math.floor(0x103350000 / 4096));
    expect(Math.max(...s.pfn)).toBe(Math.floor(0x176acf778 / 4096));
    expect([...s.cpu].every((c) => c === -1)).toBe(true);
    expect(s.timeMs[0]).toBeCloseTo(343_416.555 + 0, 0); // first resolved sample comes later than the first line
  });

  it('reads perf mem report CSV: 299 rows, 151 unresolved, 148 distinct PFNs, kernel IPs ignored', async () => {
    const s = await readSamples(PERF_MEM);
    expect(s).toMatchObject({ format: 'perf-mem-csv', lines: 300, resolved: 148, unresolved: 151, malformed: 0, events: { mem: 299 } });
    expect(new Set(s.pfn).size).toBe(148);
  });

  it('the two formats give the same PFNs for the same rows', async () => {
    const script = await readSamples(PERF_SCRIPT);
    const mem = await readSamples(PERF_MEM);
    expect([...mem.pfn]).toEqual([...script.pfn].slice(0, 148));
  });

  it('stops at a malformed line naming file, line and text, or skips up to maxErrors and counts them', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'pghot-perf-')), 'bad.txt');
    writeFileSync(file, '  python3  9083   343.416555: page-faults:  a84278  12055d000 4K\ngarbage here\n  python3  9083   343.4166: page-faults:  a84279  12055e000 4K\n');
    await expect(readSamples(file)).rejects.toThrow(`${file}:2: not a perf script sample line (comm tid [cpu] time: event: addr phys_addr [page_size]): "garbage here"`);
    await expect(readSamples(file)).rejects.toBeInstanceOf(SampleParseError);
    const s = await readSamples(file, { maxErrors: 1 });
    expect(s).toMatchObject({ resolved: 2, malformed: 1, badLines: [{ line: 2, text: 'garbage here' }] });
    await expect(readSamples(path.join(path.dirname(file), 'none.txt'))).rejects.toThrow('none.txt: no such file');
  });

  it('replays the perf script fixture into pghot and reports what would be promoted', async () => {
    const report = await replaySamples(await readSamples(PERF_SCRIPT), { tunables: { freq_threshold: 1 } });
    // all 149 PFNs are above 4 GiB: lower tier in the stand-in topology; page faults report as hint faults
    expect(report).toMatchObject({ source: 'hintfaults', resolved: 149, recorded: 149, filtered: 0 });
    expect(report.promoted.pages).toBe(149);
    expect(report.vmstat.pgpromote_success).toBe(149);
    expect(new Set(report.promoted.pfns).size).toBe(100); // listed: the first 100
  });
});
