import { createTestEngine, createTestPlatform, CXL_START } from '@pghot/testkit';
import { Simulation } from '@pghot/sim';
import { describe, expect, it } from 'vitest';
import chmuSource from './index.js';

/** Task 0's 8 pages on CXL: page 0 touched `hot` times per ms, page 1 once per ms, for `ms` ms. */
const script = (ms: number, hot: number) =>
  Array.from({ length: ms }, (_, t) => [...Array.from({ length: hot }, () => ({ atMs: t + 1, task: 0, page: 0 })), { atMs: t + 1, task: 0, page: 1 }]).flat();

describe('source-chmu on the testkit platform (scripted accesses)', () => {
  it('epoch mode: at each epoch end the units at or over the threshold go on the hot list; the host reports their pages', async () => {
    // epochs of 10 ms (scale 3 x 1); threshold 16: page 0 (40 per epoch) is hot, page 1 (10) is not
    const platform = createTestPlatform({ tasks: [8], script: script(100, 4) });
    const { engine, clock, reported } = await createTestEngine({
      plugins: [chmuSource({ epochScale: 3, epochMultiplier: 1, hotnessThreshold: 16, readIntervalMs: 5 })],
      platform,
      tunables: { freq_threshold: 2 },
    });
    await clock.advance(100);
    const vm = engine.vmstat();
    expect(vm).toMatchObject({ chmu_epochs: 10, chmu_hotlist_entries: 10, chmu_hotlist_overflow: 0, chmu_reported_pages: 10, chmu_device_accesses: 500, chmu_counted_accesses: 500, pghot_recorded_chmu: 10 });
    // reported at the read after each epoch end (10, 20, … ms: the read at the same tick comes after the epoch)
    expect(reported.filter((r) => r.src === 'chmu').map((r) => [r.pfn, r.now])).toEqual(Array.from({ length: 10 }, (_, k) => [CXL_START, 10 * (k + 1)]));
    expect(engine.sources().find((s) => s.name === 'chmu')).toMatchObject({ enabled: true });
  });

  it('always-on: a unit is listed when its counter reaches the threshold, and the counter starts again', async () => {
    const platform = createTestPlatform({ tasks: [8], script: script(20, 4) });
    const { engine, clock } = await createTestEngine({ plugins: [chmuSource({ mode: 'always-on', hotnessThreshold: 8, readIntervalMs: 1 })], platform });
    await clock.advance(20);
    // page 0: 4 per ms, listed every 2 ms (10 times); page 1: 1 per ms, listed at 8 and 16 ms
    expect(engine.vmstat()).toMatchObject({ chmu_hotlist_entries: 12, chmu_epochs: 0, chmu_reported_pages: 12 });
  });

  it('downsampling counts one access in the factor; 4 KiB units of 2^13 cover two pages', async () => {
    const platform = createTestPlatform({ tasks: [8], script: script(10, 3) });
    const { engine, clock, reported } = await createTestEngine({
      plugins: [chmuSource({ hotnessGranual: 13, downsamplingFactor: 4, hotnessThreshold: 10, epochScale: 3, epochMultiplier: 1, readIntervalMs: 10 })],
      platform,
    });
    await clock.advance(10);
    // 40 accesses reach the device, 10 are counted, all in unit 0 (pages 0 and 1): 10 >= 10, listed
    expect(engine.vmstat()).toMatchObject({ chmu_device_accesses: 40, chmu_counted_accesses: 10, chmu_hotlist_entries: 1, chmu_reported_pages: 2 });
    expect(reported.filter((r) => r.src === 'chmu').map((r) => r.pfn)).toEqual([CXL_START, CXL_START + 1]);
  });

  it('counters saturate at counterWidth bits, and a full hot list drops what does not fit', async () => {
    // 4-bit counters (max 15): page 0's 40 accesses an epoch saturate; threshold 15 still lists it
    const platform = createTestPlatform({ tasks: [8], script: script(10, 4) });
    const { engine, clock } = await createTestEngine({ plugins: [chmuSource({ counterWidth: 4, hotnessThreshold: 15, epochScale: 3, epochMultiplier: 1, readIntervalMs: 10 })], platform });
    await clock.advance(10);
    expect(engine.vmstat()).toMatchObject({ chmu_saturated: 1, chmu_hotlist_entries: 1 });
    // a list of one entry, two hot units (threshold 10: pages 0 and 1 both reach it)
    const two = createTestPlatform({ tasks: [8], script: script(10, 4) });
    const small = await createTestEngine({ plugins: [chmuSource({ hotListSize: 1, hotnessThreshold: 10, epochScale: 3, epochMultiplier: 1, readIntervalMs: 10 })], platform: two });
    await small.clock.advance(10);
    expect(small.engine.vmstat()).toMatchObject({ chmu_hotlist_entries: 1, chmu_hotlist_overflow: 1, chmu_reported_pages: 1 });
  });

  it('rejects a threshold the counter cannot hold, and needs the hmu capability', async () => {
    expect(() => chmuSource({ counterWidth: 4, hotnessThreshold: 16 })).toThrow('hotnessThreshold: hotnessThreshold must fit in counterWidth bits (at most 2^counterWidth - 1)');
    expect(() => chmuSource({ downsamplingFactor: 3 })).toThrow('downsamplingFactor must be a power of 2');
    await expect(createTestEngine({ plugins: [chmuSource()], platform: createTestPlatform({ capabilities: ['tasks'] }) })).rejects.toThrow(
      'plugin "source-chmu" requires hmu, which the platform "testkit" does not offer (it offers: tasks)',
    );
  });
});

describe('source-chmu on the simulator', () => {
  it('sees only lower-tier accesses that miss the caches, and feeds kmigrated: the hot set is promoted', async () => {
    const sim = new Simulation({
      machine: 'dram+cxl',
      workload: { name: 'gups-hotset', params: { accessesPerThread: 8_000_000 } },
      placement: { policy: 'preferred', node: 1 },
      plugins: [chmuSource()],
    });
    await sim.run();
    const vm = sim.engine.vmstat();
    const hmu = sim.hmu!;
    // every counted access came from CXL: the device count equals the slow accesses (no LLC model, no downsampling)
    expect(hmu.deviceAccesses).toBe(sim.metrics.slow);
    expect(vm.chmu_device_accesses).toBeLessThanOrEqual(hmu.deviceAccesses);
    expect(vm.chmu_hotlist_entries).toBeGreaterThan(0);
    expect(vm.pgpromote_success).toBeGreaterThan(0);
    expect(vm.pgpromote_success).toBe(sim.metrics.promotedPages);
    expect(sim.metrics.fast).toBeGreaterThan(0);
  });
});
