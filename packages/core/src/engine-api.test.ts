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
  });

  it('refuses a name that is not lower_snake_case, a source past the last bit, and an unknown source to enable', () => {
    const p = createPghot({ topology: TOPOLOGY });
    expect(() => p.registerSource('Chmu')).toThrow('Invalid source name "Chmu": use lower_snake_case');
    expect(() => p.registerSource('9x')).toThrow('Invalid source name "9x"');
    const taken = p.sources().length;
    for (let i = taken; i < MAX_SOURCES; i++) p.registerSource(`s${i}`);
    expect(() => p.registerSource('one_more')).toThrow(`Cannot register source "one_more": all ${MAX_SOURCES} source bits are taken`);
    expect(() => p.enableSource('nope')).toThrow('Unknown source "nope"');
    expect(() => p.enableSource(MAX_SOURCES)).toThrow(`Unknown source ${MAX_SOURCES}`);
  });
});

describe('the record API', () => {
  it('records nothing from a disabled source or after shutdown; an unknown or fractional source is -EINVAL', async () => {
    const p = await createPghot({ topology: TOPOLOGY, tunables: { freq_threshold: 1 } }).init();
    expect(p.recordAccess(CXL_START, 0, 30, 10)).toBe(EINVAL);
    expect(p.recordAccess(CXL_START, 0, 0.5, 10)).toBe(EINVAL);
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
