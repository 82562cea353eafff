import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { countByPfn, createTestEngine, createTestPlatform, createTestSimulation, CXL_START } from '@pghot/testkit';
import minFreqPolicy from 'pghot-plugin-min-freq';
import { describe, expect, it } from 'vitest';
import csvSource from './index.js';

const csv = (text: string) => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'csv-source-')), 'accesses.csv');
  writeFileSync(file, text);
  return file;
};

describe('csv source (example third-party plugin)', () => {
  it('reports each access when the clock reaches its time, under its own source', async () => {
    const file = csv(`time_ms,pfn,nid\n0,${CXL_START},0\n5,${CXL_START},0\n5,${CXL_START + 1},0\n250,${CXL_START + 1},0\n`);
    const { engine, clock, reported, backend } = await createTestEngine({ plugins: [csvSource({ file })] });
    await clock.advance(10);
    expect(reported).toEqual([
      { src: 'csv', pfn: CXL_START, nid: 0, now: 0 },
      { src: 'csv', pfn: CXL_START, nid: 0, now: 5 },
      { src: 'csv', pfn: CXL_START + 1, nid: 0, now: 5 },
    ]);
    expect(engine.vmstat().pghot_recorded_csv).toBe(3);
    await clock.advance(300);
    expect(countByPfn(reported, 'csv')).toEqual(new Map([[CXL_START, 2], [CXL_START + 1, 2]]));
    // two accesses within the window make both pages hot: kmigrated promotes them
    expect(backend.promotedPages).toBe(2);
  });

  it('records nothing while its source is disabled', async () => {
    const file = csv(`time_ms,pfn\n0,${CXL_START}\n`);
    const { engine, clock, reported } = await createTestEngine({ plugins: [csvSource({ file })], tunables: { enabled_sources: 0x1 } });
    await clock.advance(5);
    expect(reported).toEqual([]);
    expect(engine.vmstat().pghot_recorded_csv).toBe(0);
  });

  it('names the file and line of a bad row, and the option of bad options', async () => {
    const file = csv('time_ms,pfn\n0,100\n3,abc\n');
    await expect(createTestEngine({ plugins: [csvSource({ file })] })).rejects.toThrow(`${file}:3: expected 2 integers: "3,abc"`);
    expect(() => csvSource({ file: '' })).toThrow('Invalid options for plugin "source-csv": file: Too small: expected string to have >=1 characters');
  });

  // the example source and the example policy, unchanged, on both implementations of the platform
  const twoHot = () => csv(`time_ms,pfn\n0,${CXL_START}\n1,${CXL_START}\n2,${CXL_START}\n3,${CXL_START + 1}\n`);

  it('runs with the example policy on the testkit fake platform', async () => {
    const platform = createTestPlatform({ tasks: [2] });
    const { engine, clock, backend } = await createTestEngine({ plugins: [csvSource({ file: twoHot() }), minFreqPolicy({ minFreq: 3 })], platform, tunables: { freq_threshold: 1 } });
    await clock.advance(200);
    expect(engine.vmstat().pghot_recorded_csv).toBe(4);
    // CXL_START was seen 3 times, CXL_START + 1 once: min-freq 3 lets only the first through
    expect(backend.batches.flatMap((b) => b.pfns)).toEqual([CXL_START]);
    expect(platform.pte[0]![0]).toBeLessThan(CXL_START);
    expect(platform.overhead.get('csvRecords')).toEqual({ count: 4, ns: 200, foreground: false });
  });

  it('runs with the example policy on the simulator', async () => {
    const { sim } = createTestSimulation({
      workload: { name: 'sequence', params: { pages: [0, 1], repeat: 400_000 } },
      plugins: [csvSource({ file: twoHot() }), minFreqPolicy({ minFreq: 3 })],
      tunables: { freq_threshold: 1 },
    });
    await sim.run();
    const vm = sim.engine.vmstat();
    expect(vm.pghot_recorded_csv).toBe(4);
    expect(vm.pgpromote_success).toBe(1);
    expect(Array.from(sim.processes[0]!.pte)).toEqual([0, CXL_START + 1]);
  });
});
