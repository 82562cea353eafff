import { describe, expect, it } from 'vitest';
import { EAGAIN, PGHOT_SRC } from './constants.js';
import { dryRunBackend } from './dry-run.js';
import { defineBackend } from './plugin.js';
import { createPghot, type CreatePghotOptions } from './pghot.js';
import type { MemoryModel } from './memory.js';
import { CXL_SECTION_1, CXL_START, TestMemory, TOPOLOGY } from './test-fixtures.js';

const HF = PGHOT_SRC.hintfaults;
const range = (start: number, n: number) => Array.from({ length: n }, (_, i) => start + i);

function setup(extra: Partial<CreatePghotOptions> = {}) {
  const backend = dryRunBackend();
  const p = createPghot({ topology: TOPOLOGY, tunables: { freq_threshold: 1 }, plugins: [backend], ...extra });
  return { p, backend };
}

describe('kmigrated', () => {
  it('flushes 513 folios at kmigrated_batch_nr 512, then the rest: 1000 → 513 + 487', async () => {
    const { p, backend } = setup();
    p.recordAccesses(HF, range(CXL_START, 1000), 0, 50);
    const r = await p.wakeKmigrated(1, 100);
    expect(backend.batches.map((b) => b.pfns.length)).toEqual([513, 487]);
    expect(backend.batches[0]!.pfns.slice(0, 3)).toEqual([CXL_START, CXL_START + 1, CXL_START + 2]);
    expect(r).toMatchObject({ active: true, sectionsWalked: 1, readyFolios: 1000, batches: 2, migratedFolios: 1000, migratedPages: 1000 });
    expect(p.vmstat()).toMatchObject({ pgpromote_success: 1000, numa_pages_migrated: 1000, pgpromote_candidate: 1000, pgpromote_candidate_nrl: 0 });
  });

  it('does nothing while the activate flag is clear, and clears it when it runs', async () => {
    const { p, backend } = setup({ tunables: { freq_threshold: 2 } });
    p.recordAccess(CXL_START, 0, HF, 10);
    expect(await p.wakeKmigrated(1, 100)).toMatchObject({ active: false, sectionsWalked: 0 });
    p.recordAccess(CXL_START, 0, HF, 20);
    expect(p.activate[1]).toBe(1);
    await p.wakeKmigrated(1, 100);
    expect(p.activate[1]).toBe(0);
    expect(backend.promotedPages).toBe(1);
  });

  it('walks only sections whose hot flag test-and-clears, and leaves not-ready records untouched', async () => {
    const { p } = setup({ tunables: { freq_threshold: 2 } });
    p.recordAccess(CXL_START + 10, 0, HF, 10); // section 0: freq 1, not ready
    p.recordAccesses(HF, [CXL_SECTION_1 + 3, CXL_SECTION_1 + 3, CXL_SECTION_1 + 4], 0, 20); // section 1: one ready
    const r = await p.wakeKmigrated(1, 100);
    expect(r).toMatchObject({ sectionsWalked: 1, readyFolios: 1, migratedFolios: 1 });
    expect(p.rawRecord(CXL_START + 10)).toBe(0x01);
    expect(p.rawRecord(CXL_SECTION_1 + 4)).toBe(0x01);
    expect(p.rawRecord(CXL_SECTION_1 + 3)).toBe(0);
    // the flag was consumed: a second wake walks nothing
    p.activate[1] = 1;
    expect(await p.wakeKmigrated(1, 200)).toMatchObject({ active: true, sectionsWalked: 0 });
  });

  it('rate limit at 1 MB/s: a fresh 1 s window passes 256 pages and rejects the rest, whose hotness is lost', async () => {
    const { p, backend } = setup({ tunables: { freq_threshold: 1, promote_rate_limit_MBps: 1 } });
    p.recordAccesses(HF, range(CXL_START, 300), 0, 4_950);
    const r = await p.wakeKmigrated(1, 5_000);
    expect(r).toMatchObject({ readyFolios: 300, rejectedRateLimit: 44, migratedFolios: 256 });
    expect(backend.promotedPages).toBe(256);
    expect(p.vmstat().pgpromote_candidate).toBe(300); // rejected candidates still count
    expect(p.rawRecord(CXL_START + 299)).toBe(0); // consumed although rejected
  });

  it('rejects candidates whose latency reaches the threshold', async () => {
    const { p } = setup({ tunables: { freq_threshold: 1, promote_freq_window_ms: 1000 } });
    p.recordAccess(CXL_START, 0, HF, 0); // bucket 0
    const r = await p.wakeKmigrated(1, 1_024); // latency 1024 >= 1000
    expect(r).toMatchObject({ readyFolios: 1, rejectedLatency: 1, migratedFolios: 0 });
    expect(p.vmstat().pgpromote_candidate).toBe(0);
  });

  it('adjusts the threshold after 60 s by ref/8 in both directions, within [ref/8, 2 ref]', async () => {
    // 1 MB/s: refCand = 256 pages/s * 60 s = 15360; more than 16896 lowers th, fewer than 13824 raises it
    const { p } = setup({ tunables: { freq_threshold: 1, promote_rate_limit_MBps: 1 } });
    const limiter = p.rateLimiter;
    let base = CXL_START;
    const wakeWith = async (pages: number, now: number) => {
      p.recordAccesses(HF, range(base, pages), 0, now);
      base += pages;
      if (base > CXL_START + 120_000) base = CXL_START;
      await p.wakeKmigrated(1, now);
    };
    await wakeWith(1, 60_000); // not yet: 60000 - 0 is not > 60000
    expect(limiter.threshold[0]).toBe(0);
    await wakeWith(1, 60_001); // 1 candidate since the snapshot: raise
    expect(limiter.currentThreshold(0, 3000)).toBe(3_375);
    for (let k = 2; k <= 9; k++) await wakeWith(1, 60_001 + k * 60_001);
    expect(limiter.threshold[0]).toBe(6_000); // ceiling 2 * ref
    const lowerFrom = limiter.threshold[0]!;
    let now = 60_001 + 10 * 60_001;
    await wakeWith(16_900, now - 30_000); // candidates counted now, threshold untouched (within 60 s)
    expect(limiter.threshold[0]).toBe(lowerFrom);
    await wakeWith(1, now);
    expect(limiter.threshold[0]).toBe(lowerFrom - 375);
    for (let k = 1; k <= 20; k++) {
      now += 60_001;
      await wakeWith(16_900, now - 30_000);
      await wakeWith(1, now);
    }
    expect(limiter.threshold[0]).toBe(375); // floor ref / 8
  });

  it('first adjustment gives 2625, 3000 or 3375 depending on the candidates of the last 60 s', async () => {
    // the adjustment runs before the current candidate is counted, so `pages` is the whole diff
    for (const [pages, expected] of [
      [16_897, 2_625],
      [15_000, 3_000],
      [13_823, 3_375],
    ] as const) {
      const { p } = setup({ tunables: { freq_threshold: 1, promote_rate_limit_MBps: 1 } });
      p.recordAccesses(HF, range(CXL_START, pages), 0, 30_000);
      await p.wakeKmigrated(1, 30_000);
      p.recordAccess(CXL_SECTION_1 + 32_000, 0, HF, 60_001);
      await p.wakeKmigrated(1, 60_001);
      expect(p.rateLimiter.threshold[0]).toBe(expected);
    }
  });

  it('free-space bypass: free > promo watermark + max(1 GiB, node/16) promotes without limit and counts candidate_nrl', async () => {
    const mem = new TestMemory(229_376, true);
    const { p, backend } = setup({ memory: mem, tunables: { freq_threshold: 1, promote_rate_limit_MBps: 1 } });
    mem.promo[0] = 1_000;
    mem.high[0] = 500;
    mem.free[0] = 1_000 + 262_144; // exactly the margin: not enough
    p.rateLimiter.threshold[0] = 2_000;
    p.recordAccesses(HF, range(CXL_START, 300), 0, 4_950);
    expect(await p.wakeKmigrated(1, 5_000)).toMatchObject({ bypassed: 0, rejectedRateLimit: 44 });
    expect(p.rateLimiter.threshold[0]).toBe(2_000);
    mem.free[0] = 1_000 + 262_145;
    p.recordAccesses(HF, range(CXL_START, 300), 0, 5_950);
    expect(await p.wakeKmigrated(1, 6_000)).toMatchObject({ bypassed: 300, rejectedRateLimit: 0, migratedFolios: 300 });
    expect(p.rateLimiter.threshold[0]).toBe(0); // reset by the bypass
    expect(p.vmstat()).toMatchObject({ pgpromote_candidate_nrl: 300, pgpromote_candidate: 300 });
    expect(backend.promotedPages).toBe(256 + 300);
  });

  it('bypass margin is 16 GiB above the promo watermark for a 256 GiB target, 1 GiB for an 8 GiB one', async () => {
    for (const [gib, margin] of [
      [256, 4_194_304],
      [8, 262_144],
    ] as const) {
      const pages = (gib * 2 ** 30) / 4096;
      let free = 0;
      const memory: MemoryModel = {
        pfnOnline: () => true,
        folioHead: (pfn) => pfn,
        folioNrPages: () => 1,
        folioOnLru: () => true,
        capacity: { freePages: () => free, highWatermarkPages: () => 0, promoWatermarkPages: () => 100, wakeKswapd: () => {} },
      };
      const { p } = setup({
        memory,
        topology: { nodes: [{ id: 0, startPfn: 0, pages, tier: 0 }, { id: 1, startPfn: pages, pages: 32_768, tier: 1 }] },
      });
      free = 100 + margin;
      p.recordAccess(pages, 0, HF, 10);
      expect((await p.wakeKmigrated(1, 20)).bypassed).toBe(0);
      free = 100 + margin + 1;
      p.recordAccess(pages, 0, HF, 30);
      expect((await p.wakeKmigrated(1, 40)).bypassed).toBe(1);
    }
  });

  it('a target at or below high watermark + nr fails prepare (-EAGAIN), wakes kswapd there, and loses the hotness', async () => {
    const mem = new TestMemory(229_376, true);
    mem.folio(CXL_START + 512, 512);
    const { p, backend } = setup({ memory: mem });
    mem.high[0] = 1_000;
    mem.free[0] = 1_512; // not > 1000 + 512
    p.recordAccess(CXL_START + 600, 0, HF, 10);
    const r = await p.wakeKmigrated(1, 20);
    expect(r).toMatchObject({ readyFolios: 1, prepareFailed: 1, migratedFolios: 0 });
    expect(mem.kswapdWakes).toEqual([{ nid: 0, nrPages: 512 }]);
    expect(p.rawRecord(CXL_START + 512)).toBe(0);
    expect(backend.batches).toEqual([]);
  });

  it('promotes a 512-page THP as one candidate of 512 pages', async () => {
    const mem = new TestMemory(229_376);
    mem.folio(CXL_START + 1024, 512);
    const { p, backend } = setup({ memory: mem });
    p.recordAccess(CXL_START + 1024 + 77, 0, HF, 10);
    const r = await p.wakeKmigrated(1, 20);
    expect(r).toMatchObject({ readyFolios: 1, migratedFolios: 1, migratedPages: 512 });
    expect(backend.batches[0]).toMatchObject({ pfns: [CXL_START + 1024], nrPages: [512] });
    expect(p.vmstat()).toMatchObject({ pgpromote_candidate: 512, pgpromote_success: 512, thp_migration_success: 1 });
  });

  it('precision: flushes the pending batch when the target changes', async () => {
    const { p, backend } = setup({ mode: 'precision' });
    p.recordAccesses(HF, range(CXL_START, 4), [0, 0, 2, 0], 10);
    await p.wakeKmigrated(1, 20);
    expect(backend.batches.map((b) => [b.target, b.pfns.map((x) => x - CXL_START)])).toEqual([
      [0, [0, 1]],
      [2, [2]],
      [0, [3]],
    ]);
  });

  it('default mode promotes to target_nid', async () => {
    const { p, backend } = setup({ tunables: { freq_threshold: 1, target_nid: 2 } });
    p.recordAccess(CXL_START, 0, HF, 10);
    await p.wakeKmigrated(1, 20);
    expect(backend.batches[0]!.target).toBe(2);
  });

  it('counts failures from the backend and puts failed or unclaimed folios back', async () => {
    const mem = new TestMemory(229_376);
    const failEveryOther = defineBackend({
      name: 'backend-half',
      apply(engine) {
        engine.hooks.migrateBatch.tapPromise('backend-half', async (batch) => {
          for (let i = 0; i < batch.length; i++) batch.status[i] = i % 2 === 0 ? 0 : EAGAIN;
          return true;
        });
      },
    });
    const p = createPghot({ topology: TOPOLOGY, memory: mem, tunables: { freq_threshold: 1 }, plugins: [failEveryOther] });
    p.recordAccesses(HF, range(CXL_START, 4), 0, 10);
    expect(await p.wakeKmigrated(1, 20)).toMatchObject({ migratedFolios: 2, failedFolios: 2 });
    expect(p.vmstat()).toMatchObject({ pgpromote_success: 2, pgmigrate_fail: 2 });
    expect(mem.putBack).toEqual([CXL_START + 1, CXL_START + 3]);

    const none = createPghot({ topology: TOPOLOGY, memory: mem, tunables: { freq_threshold: 1 } });
    none.recordAccesses(HF, range(CXL_START, 3), 0, 10);
    expect(await none.wakeKmigrated(1, 20)).toMatchObject({ unclaimedFolios: 3, migratedFolios: 0 });
    expect(none.vmstat().pgpromote_success).toBe(0);
  });

  it('selectCandidates and shouldMigrate taps drop, veto or take over the decision per batch', async () => {
    const { p, backend } = setup({ tunables: { freq_threshold: 1, promote_rate_limit_MBps: 1 } });
    p.hooks.selectCandidates.tap('keep-even', (c) => {
      for (let i = 0; i < c.length; i++) if (c.pfn[i]! % 2 === 1) c.allow[i] = 0;
      return c;
    });
    let decision: boolean | undefined = false;
    p.hooks.shouldMigrate.tap('decide', () => decision);
    p.recordAccesses(HF, range(CXL_START, 600), 0, 4_950);
    expect(await p.wakeKmigrated(1, 5_000)).toMatchObject({ droppedByPlugins: 600, migratedFolios: 0 });
    decision = true; // accept the mask as final: no built-in rate limit
    p.recordAccesses(HF, range(CXL_START, 600), 0, 5_950);
    expect(await p.wakeKmigrated(1, 6_000)).toMatchObject({ droppedByPlugins: 300, migratedFolios: 300, rejectedRateLimit: 0 });
    decision = undefined; // built-in should_migrate runs on what is allowed
    p.recordAccesses(HF, range(CXL_START, 600), 0, 7_950);
    expect(await p.wakeKmigrated(1, 8_000)).toMatchObject({ droppedByPlugins: 300, migratedFolios: 256, rejectedRateLimit: 44 });
    expect(backend.promotedPages).toBe(556);
  });

  it('advance wakes each kmigrated every kmigrated_sleep_ms while it has work, and runs tick', async () => {
    const { p } = setup();
    const wakes: number[] = [];
    const ticks: number[] = [];
    p.hooks.kmigratedWake.tap('log', (w) => void wakes.push(w.now));
    p.hooks.tick.tapPromise('log', async (t) => void ticks.push(t.now));
    await p.advance(149);
    p.recordAccess(CXL_START, 0, HF, 150);
    const passes = await p.advance(350);
    // 300 would find the flag clear, as 100 did: idle wakes after one that left it clear are skipped
    expect(wakes).toEqual([100, 200]);
    expect(passes.map((r) => [r.now, r.migratedFolios])).toEqual([[200, 1]]);
    expect(ticks).toEqual([149, 350]);
  });

  it('a gap of any length costs one idle wake, and the period stays on its multiples', async () => {
    const { p } = setup();
    const wakes: number[] = [];
    p.hooks.kmigratedWake.tap('log', (w) => void wakes.push(w.now));
    await p.advance(1e15 + 50); // 10^13 periods
    expect(wakes).toEqual([100]);
    p.recordAccess(CXL_START, 0, HF, 1e15 + 60);
    const passes = await p.advance(1e15 + 250);
    expect(wakes).toEqual([100, 1e15 + 100]);
    expect(passes.map((r) => [r.now, r.migratedFolios])).toEqual([[1e15 + 100, 1]]);
  });

  it('rejects a wake of a node without kmigrated', async () => {
    const { p } = setup();
    await expect(p.wakeKmigrated(0, 1)).rejects.toThrow(/node 0 has no kmigrated: it is not a lower-tier node \(lower tier: 1\)/);
  });
});
