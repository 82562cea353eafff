import { describe, expect, it } from 'vitest';
import { EINVAL, MAX_SOURCES, NUMA_NO_NODE, PGHOT_SRC } from './constants.js';
import { dryRunBackend } from './dry-run.js';
import { createPghot } from './pghot.js';
import { definePlugin } from './plugin.js';
import { CXL_START, TestMemory, TOPOLOGY } from './test-fixtures.js';

describe('the source registry', () => {
  it('registers a source once, gives it bit 1 << id and a pghot_recorded_<name> counter, and names it in sources()', () => {
    const p = createPghot({ topology: TOPOLOGY });
    const id = p.registerSource('chmu');
    expect(p.registerSource('chmu')).toBe(id);
    expect(p.sourceId('chmu')).toBe(id);
    expect(p.sourceId('nope')).toBe(-1);
    expect(p.sources().find((s) => s.name === 'chmu')).toEqual({ name: 'chmu', id, bit: 1 << id, enabled: false });
    p.enableSource('chmu');
    expect(p.sources().find((s) => s.name === 'chmu')!.enabled).toBe(true);
    expect(p.tunables.enabled_sources).toBe(0x1 | (1 << id));
    p.enableSource(id, false);
    expect(p.tunables.enabled_sources).toBe(0x1);
    expect(p.vmstat()).toHaveProperty(`pghot_recorded_chmu`, 0);
    // the built-in sources keep their ids, the first one included
    expect(p.registerSource('hintfaults')).toBe(0);
    expect(p.sources().map((s) => s.name)).toEqual(['hintfaults', 'hwhints', 'pgtscans', 'chmu']);
    p.enableSource(0, false);
    expect(p.tunables.enabled_sources).toBe(0);
    p.enableSource('hintfaults');
    expect(p.tunables.enabled_sources).toBe(0x1);
  });

  it('refuses a name that is not lower_snake_case, a source past the last bit, and an unknown source to enable', () => {
    const p = createPghot({ topology: TOPOLOGY });
    expect(() => p.registerSource('Chmu')).toThrow('Invalid source name "Chmu": use lower_snake_case');
    expect(() => p.registerSource('9x')).toThrow('Invalid source name "9x"');
    expect(() => p.registerSource('chmu-x')).toThrow(expect.objectContaining({ message: 'Invalid source name "chmu-x": use lower_snake_case', code: 'PGHOT_SOURCE' }));
    const taken = p.sources().length;
    for (let i = taken; i < MAX_SOURCES; i++) p.registerSource(`s${i}`);
    expect(() => p.registerSource('one_more')).toThrow(expect.objectContaining({ message: `Cannot register source "one_more": all ${MAX_SOURCES} source bits are taken`, code: 'PGHOT_SOURCE' }));
    expect(() => p.enableSource('nope')).toThrow(expect.objectContaining({ message: 'Unknown source "nope"', code: 'PGHOT_SOURCE' }));
    expect(() => p.enableSource(MAX_SOURCES)).toThrow(`Unknown source ${MAX_SOURCES}`);
  });
});

describe('the record API', () => {
  it('records nothing from a disabled source or after shutdown; an unknown or fractional source is -EINVAL', async () => {
    const p = await createPghot({ topology: TOPOLOGY, tunables: { freq_threshold: 1 } }).init();
    expect(p.recordAccess(CXL_START, 0, 30, 10)).toBe(EINVAL);
    expect(p.recordAccess(CXL_START, 0, 0.5, 10)).toBe(EINVAL);
    expect(p.recordAccess(CXL_START, 0, 3, 10)).toBe(EINVAL); // one past the last registered source
    expect(p.recordAccesses(3, [CXL_START], 0, 10)).toBe(EINVAL);
    expect(p.recordAccesses(-1, [CXL_START], 0, 10)).toBe(EINVAL);
    expect(p.recordAccesses(0.5, [CXL_START], 0, 10)).toBe(EINVAL);
    expect(p.recordAccesses(30, [CXL_START], 0, 10)).toBe(EINVAL);
    expect(p.recordAccess(CXL_START, 0, PGHOT_SRC.hwhints, 10)).toBe(0); // bit clear
    expect(p.peek(CXL_START)!.freq).toBe(0);
    expect(p.recordAccess(CXL_START, 0, PGHOT_SRC.hintfaults, 10)).toBe(0);
    expect(p.peek(CXL_START)).toMatchObject({ freq: 1, ready: true });
    expect(p.vmstat()).toMatchObject({ pghot_recorded_accesses: 1, pghot_recorded_hintfaults: 1, pghot_recorded_hwhints: 0 });
    expect(() => p.recordAccesses(PGHOT_SRC.hintfaults, [CXL_START], 0, 10, 2)).toThrow('recordAccesses: count 2 is outside 0..1');
    expect(() => p.recordAccesses(PGHOT_SRC.hintfaults, [CXL_START], 0, 10, -1)).toThrow('recordAccesses: count -1 is outside 0..1');
    await p.shutdown();
    expect(p.recordAccess(CXL_START + 1, 0, PGHOT_SRC.hintfaults, 20)).toBe(0);
    expect(p.recordAccesses(PGHOT_SRC.hintfaults, [CXL_START + 1], 0, 20)).toBe(0);
    expect(p.peek(CXL_START + 1)!.freq).toBe(0);
  });

  it('precision mode checks the nid first: an invalid nid is -EINVAL even from an unknown source; NUMA_NO_NODE is valid', async () => {
    const p = await createPghot({ topology: TOPOLOGY, mode: 'precision' }).init();
    expect(p.recordAccess(CXL_START, 7, 30, 10)).toBe(EINVAL);
    expect(p.recordAccess(CXL_START, NUMA_NO_NODE, PGHOT_SRC.hintfaults, 10)).toBe(0);
    expect(p.peek(CXL_START)!.freq).toBe(1);
  });

  it('a filterBatch tap sees every batch (single accesses too) and can drop elements', async () => {
    const p = await createPghot({ topology: TOPOLOGY, tunables: { freq_threshold: 1 } }).init();
    const seen: number[][] = [];
    p.hooks.filterBatch.tap('drop-odd', (b) => {
      seen.push(Array.from(b.pfn.subarray(0, b.length)));
      for (let i = 0; i < b.length; i++) if (b.pfn[i]! % 2 === 1) b.keep[i] = 0;
    });
    expect(p.recordAccesses(PGHOT_SRC.hintfaults, [CXL_START, CXL_START + 1, CXL_START + 2], [0, 0, 0], [10, 11, 12])).toBe(2);
    expect(p.recordAccess(CXL_START + 3, 0, PGHOT_SRC.hintfaults, 13)).toBe(0);
    expect(seen).toEqual([[CXL_START, CXL_START + 1, CXL_START + 2], [CXL_START + 3]]);
    expect([0, 1, 2, 3].map((k) => p.peek(CXL_START + k)!.freq)).toEqual([1, 0, 1, 0]);
  });

  it("init runs the plugins' setup once; shutdown flushes and runs theirs once", async () => {
    const calls: string[] = [];
    const plugin = definePlugin({
      name: 'watch',
      kind: 'policy',
      version: '1.0.0',
      core: '>=0.1.0',
      apply(engine) {
        engine.hooks.init.tapPromise('watch', async () => void calls.push('init'));
        engine.hooks.shutdown.tapPromise('watch', async () => void calls.push('shutdown'));
      },
    });
    const p = createPghot({ topology: TOPOLOGY, plugins: [plugin] });
    await p.init();
    await p.init();
    expect(p.started).toBe(true);
    await p.shutdown();
    await p.shutdown();
    expect(p.started).toBe(false);
    expect(calls).toEqual(['init', 'shutdown']);
  });
});

describe('promoteFolios (a policy promoting outside kmigrated)', () => {
  it("promotes folio heads with their sizes from the first one's node, and counts folios it cannot isolate as failed", async () => {
    const mem = new TestMemory(229_376);
    mem.folio(CXL_START, 512);
    Object.assign(mem, { isolateFolio: (head: number) => head !== CXL_START + 600 });
    const backend = dryRunBackend();
    const p = await createPghot({ topology: TOPOLOGY, memory: mem, plugins: [backend] }).init();
    const outcome = await p.promoteFolios(0, [CXL_START + 3, CXL_START + 600, CXL_START + 700], 50);
    expect(outcome).toEqual({ migratedFolios: 2, migratedPages: 513, failedFolios: 1, failedPages: 0, unclaimed: false });
    expect(backend.batches).toEqual([{ reason: 'policy', from: 1, target: 0, now: 50, pfns: [CXL_START, CXL_START + 700], nrPages: [512, 1] }]);
    // nothing to promote: no batch at all
    expect(await p.promoteFolios(0, [CXL_START + 600], 60)).toEqual({ migratedFolios: 0, migratedPages: 0, failedFolios: 1, failedPages: 0, unclaimed: false });
    expect(backend.batches).toHaveLength(1);
    // without a memory model every PFN is a one-page folio
    const plain = dryRunBackend();
    const q = await createPghot({ topology: TOPOLOGY, plugins: [plain] }).init();
    await q.promoteFolios(2, [CXL_START + 1, CXL_START + 2], 70);
    expect(plain.batches).toEqual([{ reason: 'policy', from: 1, target: 2, now: 70, pfns: [CXL_START + 1, CXL_START + 2], nrPages: [1, 1] }]);
  });
});

describe('construction refusals', () => {
  const refusal = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return e;
    }
    throw new Error('no refusal');
  };
  it('names the bad mode, a bad enabled_sources, and a kmigrated that does not exist', async () => {
    expect(refusal(() => createPghot({ topology: TOPOLOGY, mode: 'fast' as 'default' }))).toMatchObject({ code: 'PGHOT_CONFIG', message: 'Invalid mode "fast": expected "default" or "precision"' });
    expect(refusal(() => createPghot({ topology: TOPOLOGY, tunables: { enabled_sources: 1 << 9 } }))).toMatchObject({
      code: 'PGHOT_TUNABLE',
      message: expect.stringMatching(/^Invalid tunables \(default mode\): tunables\.enabled_sources: .*$/),
    });
    const p = createPghot({ topology: TOPOLOGY });
    expect(p.kmigratedNodes).toEqual([1]);
    await expect(p.wakeKmigrated(2, 1)).rejects.toMatchObject({ code: 'PGHOT_NODE', message: 'node 2 has no kmigrated: it is not a lower-tier node (lower tier: 1)' });
  });
});

describe('engine edges', () => {
  const HF = PGHOT_SRC.hintfaults;
  it('kmigrated wakes exactly at each multiple of kmigrated_sleep_ms; after shutdown advance wakes nothing and ticks nothing', async () => {
    const backend = dryRunBackend();
    const p = await createPghot({ topology: TOPOLOGY, tunables: { freq_threshold: 1 }, plugins: [backend] }).init();
    let ticks = 0;
    p.hooks.tick.tap('test', () => void ticks++);
    p.recordAccess(CXL_START, 0, HF, 10);
    expect(await p.advance(99)).toEqual([]);
    expect((await p.advance(100)).map((r) => [r.nid, r.now])).toEqual([[1, 100]]);
    p.recordAccess(CXL_START + 1, 0, HF, 150);
    expect((await p.advance(200)).map((r) => r.now)).toEqual([200]);
    expect(ticks).toBe(3);
    await p.shutdown();
    expect(await p.advance(1000)).toEqual([]);
    expect(ticks).toBe(3);
    expect(backend.batches.map((b) => b.pfns)).toEqual([[CXL_START], [CXL_START + 1]]);
  });

  it('pagesHot gets every page that turned ready, in order, in chunks of at most 4096, once per batch, and never an empty call', () => {
    const p = createPghot({ topology: TOPOLOGY, tunables: { freq_threshold: 1 } });
    const calls: number[][] = [];
    p.hooks.pagesHot.tap('test', (b) => void calls.push(Array.from(b.pfn)));
    const pfns = Array.from({ length: 5000 }, (_, i) => CXL_START + i);
    expect(p.recordAccesses(HF, pfns, 0, 10)).toBe(5000);
    expect(calls.map((c) => c.length)).toEqual([4096, 904]);
    expect(calls.flat()).toEqual(pfns);
    p.recordAccesses(HF, pfns.slice(0, 10), 0, 20); // already ready: nothing new
    expect(calls.length).toBe(2);
    // one access that turns a page hot reaches pagesHot at the next batch, not at once
    p.recordAccess(CXL_START + 6000, 0, HF, 30);
    expect(calls.length).toBe(2);
    p.recordAccesses(HF, [], 0, 40);
    expect(calls[2]).toEqual([CXL_START + 6000]);
  });

  it('peek and rawRecord: no record outside the lower tier or for a PFN that is not one; a tail reads its head', () => {
    const mem = new TestMemory(229_376);
    mem.folio(CXL_START, 4);
    const p = createPghot({ topology: TOPOLOGY, memory: mem });
    p.recordAccess(CXL_START + 2, 0, HF, 10_000);
    for (const pfn of [5, 196_700, 229_376, 229_377, 1.5, -1, 2 ** 32 + CXL_START]) expect(p.peek(pfn), String(pfn)).toBeNull();
    expect(p.peek(CXL_START + 3)).toEqual({ freq: 1, time: 14 * 128, nid: NUMA_NO_NODE, ready: false });
    expect(p.rawRecord(CXL_START + 1)).toBe(0x39);
    expect(p.rawRecord(CXL_START + 4)).toBe(0);
  });

  it('the default-mode update table follows every change of window and threshold', () => {
    const p = createPghot({ topology: TOPOLOGY });
    p.recordAccess(CXL_START, 0, HF, 10_000);
    expect(p.peek(CXL_START)!.ready).toBe(false);
    // (3000, 2) and (3032, 1) must not share a table
    p.tunables.set('promote_freq_window_ms', 3032);
    p.tunables.set('freq_threshold', 1);
    p.recordAccess(CXL_START + 1, 0, HF, 10_000);
    expect(p.peek(CXL_START + 1)!.ready).toBe(true);
  });
});
