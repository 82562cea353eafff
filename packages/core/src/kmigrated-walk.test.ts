import { describe, expect, it } from 'vitest';
import { PGHOT_SRC } from './constants.js';
import { dryRunBackend } from './dry-run.js';
import { createPghot } from './pghot.js';
import { CXL_START, TestMemory, TOPOLOGY } from './test-fixtures.js';

const HF = PGHOT_SRC.hintfaults;

describe("kmigrated's walk over a section, folio by folio", () => {
  it('a THP counts once at its head with its 512 pages; tails, offline PFNs and folios off the LRU are stepped over, and their ready records stay unconsumed', async () => {
    const mem = new TestMemory(229_376);
    mem.folio(CXL_START, 512); // a THP: an access to a tail records its head
    mem.folio(CXL_START + 1024, 4);
    const backend = dryRunBackend();
    const p = createPghot({ topology: TOPOLOGY, memory: mem, tunables: { freq_threshold: 1 }, plugins: [backend] });
    const pfns = [CXL_START, CXL_START + 5, CXL_START + 1024, CXL_START + 1026, CXL_START + 2000, CXL_START + 3000];
    p.recordAccesses(HF, pfns, 0, 10);
    // before kmigrated walks: the 4-page folio leaves the LRU (isolated elsewhere), a page goes offline
    mem.lru[CXL_START + 1024] = 0;
    mem.online[CXL_START + 2000] = 0;
    const pass = await p.wakeKmigrated(1, 20);
    // candidates: the THP's head and the base page at +3000
    expect(pass).toMatchObject({ sectionsWalked: 1, readyFolios: 2, migratedFolios: 2 });
    expect(backend.batches.map((b) => [b.pfns, b.nrPages])).toEqual([[[CXL_START, CXL_START + 3000], [512, 1]]]);
    expect(p.vmstat().pgpromote_success).toBe(513);
    // the THP's record (read through any of its pages) and +3000's are consumed; the folio off the
    // LRU and the offline page keep theirs
    const ready = (pfn: number) => p.peek(pfn)?.ready ?? null;
    expect(pfns.map(ready)).toEqual([false, false, true, true, true, false]);
    // once the folio is back on the LRU, the next pass takes its head (its tail's record is stepped over again)
    mem.lru[CXL_START + 1024] = 1;
    p.recordAccesses(HF, [CXL_START + 4000], 0, 30);
    const next = await p.wakeKmigrated(1, 40);
    expect(next).toMatchObject({ readyFolios: 2, migratedFolios: 2 });
    expect(backend.batches[1]!.pfns).toEqual([CXL_START + 1024, CXL_START + 4000]);
    expect(backend.batches[1]!.nrPages).toEqual([4, 1]);
    expect(ready(CXL_START + 1026)).toBe(false);
  });

  it('counts its passes, and a pass does nothing while the activate flag is clear', async () => {
    const p = createPghot({ topology: TOPOLOGY, tunables: { freq_threshold: 1 }, plugins: [dryRunBackend()] });
    p.recordAccesses(HF, [CXL_START], 0, 10);
    expect(await p.wakeKmigrated(1, 20)).toMatchObject({ active: true, pass: 1 });
    expect(await p.wakeKmigrated(1, 30)).toMatchObject({ active: false, pass: 1 });
    p.recordAccesses(HF, [CXL_START + 1], 0, 40);
    expect(await p.wakeKmigrated(1, 50)).toMatchObject({ active: true, pass: 2 });
  });

  it('a folio the memory model cannot isolate fails prepare, and the batch goes on without it', async () => {
    const mem = new TestMemory(229_376);
    const refuse = new Set([CXL_START + 1]);
    Object.assign(mem, { isolateFolio: (pfn: number) => !refuse.has(pfn) });
    const backend = dryRunBackend();
    const p = createPghot({ topology: TOPOLOGY, memory: mem, tunables: { freq_threshold: 1 }, plugins: [backend] });
    p.recordAccesses(HF, [CXL_START, CXL_START + 1, CXL_START + 2], 0, 10);
    expect(await p.wakeKmigrated(1, 20)).toMatchObject({ readyFolios: 3, prepareFailed: 1, migratedFolios: 2 });
    expect(backend.batches[0]!.pfns).toEqual([CXL_START, CXL_START + 2]);
  });

  it('a tail whose head is offline is stepped over to the end of its folio, its stale ready record left alone', async () => {
    const mem = new TestMemory(229_376);
    const backend = dryRunBackend();
    const p = createPghot({ topology: TOPOLOGY, memory: mem, tunables: { freq_threshold: 1 }, plugins: [backend] });
    // ready records at +1 and +5 while they are base pages; then +0..+3 become one folio whose head goes offline
    p.recordAccesses(HF, [CXL_START + 1, CXL_START + 5], 0, 10);
    mem.folio(CXL_START, 4);
    mem.online[CXL_START] = 0;
    expect(await p.wakeKmigrated(1, 20)).toMatchObject({ readyFolios: 1, migratedFolios: 1 });
    expect(backend.batches.map((b) => b.pfns)).toEqual([[CXL_START + 5]]);
    mem.folio(CXL_START + 1, 1); // split again: +1's own record was never consumed
    expect(p.peek(CXL_START + 1)?.ready).toBe(true);
  });

  it('selectCandidates sees the pass context and may retarget; a candidate already on its target is counted and left', async () => {
    const backend = dryRunBackend();
    const p = createPghot({ topology: TOPOLOGY, tunables: { freq_threshold: 1 }, plugins: [backend] });
    const seen: object[] = [];
    p.hooks.selectCandidates.tap('test', (c, ctx) => {
      seen.push({ nid: ctx.nid, now: ctx.now, pass: ctx.pass, section: ctx.section, length: c.length });
      c.target[0] = 1; // the first candidate "belongs" on node 1, where it already is
      return c;
    });
    p.recordAccesses(HF, [CXL_START, CXL_START + 1], 0, 10);
    expect(await p.wakeKmigrated(1, 20)).toMatchObject({ readyFolios: 2, alreadyOnTarget: 1, migratedFolios: 1 });
    expect(seen).toEqual([{ nid: 1, now: 20, pass: 1, section: CXL_START >>> 15, length: 2 }]);
    expect(backend.batches).toEqual([{ reason: 'kmigrated', from: 1, target: 0, now: 20, pfns: [CXL_START + 1], nrPages: [1] }]);
  });

  it('precision mode: candidates for different targets in one section go out as one batch per run of a target, in PFN order', async () => {
    const backend = dryRunBackend();
    const p = createPghot({ topology: TOPOLOGY, mode: 'precision', tunables: { freq_threshold: 1 }, plugins: [backend] });
    p.recordAccesses(HF, [CXL_START, CXL_START + 1, CXL_START + 2, CXL_START + 3], [0, 0, 2, 0], 10);
    expect(await p.wakeKmigrated(1, 20)).toMatchObject({ readyFolios: 4, migratedFolios: 4 });
    expect(backend.batches.map((b) => [b.target, b.pfns])).toEqual([
      [0, [CXL_START, CXL_START + 1]],
      [2, [CXL_START + 2]],
      [0, [CXL_START + 3]],
    ]);
  });
});
