import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EINVAL, NUMA_NO_NODE, PGHOT_SRC } from './constants.js';
import { createPghot, type CreatePghotOptions } from './pghot.js';
import { updateDefaultRecord } from './record-default.js';
import { updatePrecisionRecord } from './record-precision.js';
import { CXL_START, TestMemory, TOPOLOGY } from './test-fixtures.js';

const HF = PGHOT_SRC.hintfaults;
const make = (extra: Partial<CreatePghotOptions> = {}) => createPghot({ topology: TOPOLOGY, ...extra });

/** The counters that moved, by name. */
function moved(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) if (v !== (before[k] ?? 0)) out[k] = v - (before[k] ?? 0);
  return out;
}

describe('pghot_record_access', () => {
  it('records a lower-tier access and counts it under the source and pghot_recorded_accesses', () => {
    const p = make();
    const before = p.vmstat();
    expect(p.recordAccess(CXL_START + 5, 0, HF, 10_000)).toBe(0);
    expect(moved(before, p.vmstat())).toEqual({ pghot_recorded_hintfaults: 1, pghot_recorded_accesses: 1 });
    expect(p.rawRecord(CXL_START + 5)).toBe(0x39);
    expect(p.peek(CXL_START + 5)).toEqual({ freq: 1, time: 14 * 128, nid: NUMA_NO_NODE, ready: false });
  });

  it('returns 0 and changes nothing when not started (after shutdown)', async () => {
    const p = make();
    await p.shutdown();
    const before = p.vmstat();
    expect(p.recordAccess(CXL_START, 0, HF, 1)).toBe(0);
    expect(p.recordAccesses(HF, [CXL_START], 0, 1)).toBe(0);
    expect(moved(before, p.vmstat())).toEqual({});
    expect(p.rawRecord(CXL_START)).toBe(0);
  });

  it('precision: an invalid nid is -EINVAL before any other check, with no counter moving', () => {
    const p = make({ mode: 'precision' });
    const before = p.vmstat();
    expect(p.recordAccess(CXL_START, 1, HF, 1)).toBe(EINVAL); // node 1 is lower tier
    expect(p.recordAccess(CXL_START, 5, HF, 1)).toBe(EINVAL); // offline
    expect(p.recordAccess(CXL_START, 1024, HF, 1)).toBe(EINVAL); // > 1023
    expect(p.recordAccess(CXL_START, 1, 99, 1)).toBe(EINVAL); // bad nid and unknown source
    p.tunables.enabled_sources = 0;
    expect(p.recordAccess(CXL_START, 1, HF, 1)).toBe(EINVAL); // nid checked before the enable bit
    expect(moved(before, p.vmstat())).toEqual({});
  });

  it('default mode takes any nid', () => {
    const p = make();
    expect(p.recordAccess(CXL_START, 5, HF, 1)).toBe(0);
    expect(p.recordAccess(CXL_START, 1024, HF, 1)).toBe(0);
    expect(p.vmstat().pghot_recorded_accesses).toBe(2);
  });

  it('an unknown source is -EINVAL; a disabled one returns 0 and counts nothing', () => {
    const p = make();
    const before = p.vmstat();
    expect(p.recordAccess(CXL_START, 0, 3, 1)).toBe(EINVAL);
    expect(p.recordAccess(CXL_START, 0, -1, 1)).toBe(EINVAL);
    expect(p.recordAccess(CXL_START, 0, 0.5, 1)).toBe(EINVAL);
    expect(p.recordAccess(CXL_START, 0, PGHOT_SRC.hwhints, 1)).toBe(0); // v8 default enables hintfaults only
    expect(moved(before, p.vmstat())).toEqual({});
    p.enableSource('hwhints');
    expect(p.tunables.enabled_sources).toBe(0x3);
    expect(p.recordAccess(CXL_START, 0, PGHOT_SRC.hwhints, 1)).toBe(0);
    expect(moved(before, p.vmstat())).toEqual({ pghot_recorded_hwhints: 1, pghot_recorded_accesses: 1 });
  });

  it('filters invalid, local, top-tier, offline and non-LRU pages after counting the source only', () => {
    const mem = new TestMemory(229_376);
    const p = make({ memory: mem });
    mem.online[CXL_START + 1] = 0;
    mem.lru[CXL_START + 2] = 0;
    const before = p.vmstat();
    const cases: [number, number][] = [
      [229_376, 0], // past the last node
      [2 ** 32, 0], // not a uint32 PFN
      [-1, 0],
      [CXL_START + 0.5, 0],
      [CXL_START + 1, 0], // offline
      [CXL_START + 3, 1], // local: the page is on node 1
      [100, 2], // top tier (node 0)
      [CXL_START + 2, 0], // not on an LRU
    ];
    for (const [pfn, nid] of cases) expect(p.recordAccess(pfn, nid, HF, 1000)).toBe(0);
    expect(moved(before, p.vmstat())).toEqual({ pghot_recorded_hintfaults: cases.length });
    expect(p.storeBytes).toBe(0);
    for (const [pfn] of cases) expect(p.rawRecord(pfn)).toBe(0);
  });

  it('keeps a folio record at its head PFN: a tail access updates the head of a 512-page THP', () => {
    const mem = new TestMemory(229_376);
    mem.folio(CXL_START + 512, 512);
    const p = make({ memory: mem });
    p.recordAccess(CXL_START + 512 + 300, 0, HF, 10_000);
    p.recordAccess(CXL_START + 512 + 511, 0, HF, 10_100);
    expect(p.rawRecord(CXL_START + 512)).toBe(0xba);
    expect(p.peek(CXL_START + 512 + 7)).toEqual({ freq: 2, time: 14 * 128, nid: -1, ready: true });
  });

  it('precision: NUMA_NO_NODE stores target_nid; a valid nid is stored as given', () => {
    const p = make({ mode: 'precision', tunables: { target_nid: 2 } });
    p.recordAccess(CXL_START, NUMA_NO_NODE, HF, 20_000);
    expect(p.peek(CXL_START)).toEqual({ freq: 1, time: 3_616, nid: 2, ready: false });
    p.recordAccess(CXL_START, 0, HF, 21_000);
    expect(p.rawRecord(CXL_START)).toBe(0x82410800);
  });

  it('sets the section hot flag and the node activate flag when a record is ready', () => {
    const p = make();
    p.recordAccess(CXL_START + 40_000, 0, HF, 10_000);
    expect(p.activate[1]).toBe(0);
    p.recordAccess(CXL_START + 40_000, 0, HF, 10_050);
    expect(p.activate[1]).toBe(1);
  });

  it('peek returns null for top-tier and invalid PFNs and does not change the record', () => {
    const p = make();
    expect(p.peek(5)).toBeNull();
    expect(p.peek(10 ** 7)).toBeNull();
    expect(p.peek(CXL_START)).toEqual({ freq: 0, time: 0, nid: -1, ready: false });
    p.recordAccess(CXL_START, 0, HF, 10_000);
    p.peek(CXL_START);
    expect(p.rawRecord(CXL_START)).toBe(0x39);
  });

  it('allocates record arrays per lower-tier section on first use: 1 byte per PFN default, 4 precision', () => {
    const d = make();
    d.recordAccess(CXL_START, 0, HF, 1);
    d.recordAccess(CXL_START + 1, 0, HF, 1);
    expect(d.storeBytes).toBe(32_768);
    const q = make({ mode: 'precision' });
    q.recordAccess(CXL_START, 0, HF, 1);
    q.recordAccess(CXL_START + 32_768, 0, HF, 1);
    expect(q.storeBytes).toBe(2 * 32_768 * 4);
  });
});

describe('recordAccesses (batch)', () => {
  it('matches recordAccess element by element for every array kind and scalar nid/now', () => {
    const pfns = [CXL_START, CXL_START + 1, 5, CXL_START, CXL_START + 9, 999_999_999, CXL_START + 1];
    const nows = [10_000, 10_010, 10_020, 10_100, 10_200, 10_300, 13_500];
    const single = make();
    for (let i = 0; i < pfns.length; i++) single.recordAccess(pfns[i]!, 0, HF, nows[i]!);
    for (const arr of [pfns, Uint32Array.from(pfns), Float64Array.from(pfns)]) {
      const batch = make();
      expect(batch.recordAccesses(HF, arr, 0, nows)).toBe(5);
      expect(batch.vmstat()).toEqual(single.vmstat());
      for (const pfn of pfns) expect(batch.rawRecord(pfn)).toBe(single.rawRecord(pfn));
    }
    const scalar = make();
    expect(scalar.recordAccesses(HF, [CXL_START, CXL_START], [0, 0], 10_000)).toBe(2);
    expect(scalar.rawRecord(CXL_START)).toBe(0xba);
  });

  it('honours count, skips invalid nids per element in precision mode, and rejects an unknown source', () => {
    const p = make({ mode: 'precision' });
    expect(p.recordAccesses(HF, [CXL_START, CXL_START + 1, CXL_START + 2], [0, 1, 2], 100, 2)).toBe(1);
    expect(p.vmstat().pghot_recorded_hintfaults).toBe(1);
    expect(p.recordAccesses(7, [CXL_START], 0, 1)).toBe(EINVAL);
    expect(() => p.recordAccesses(HF, [CXL_START], 0, 1, 2)).toThrow(/count 2 is outside 0..1/);
  });

  it('filterBatch taps see engine-owned copies and can drop accesses', () => {
    const p = make();
    const seen: number[] = [];
    p.hooks.filterBatch.tap('drop-odd', (batch) => {
      for (let i = 0; i < batch.length; i++) {
        seen.push(batch.pfn[i]!);
        if (batch.pfn[i]! % 2 === 1) batch.keep[i] = 0;
      }
    });
    expect(p.recordAccesses(HF, Uint32Array.of(CXL_START, CXL_START + 1, CXL_START + 2), 0, 10_000)).toBe(2);
    expect(seen).toEqual([CXL_START, CXL_START + 1, CXL_START + 2]);
    expect(p.rawRecord(CXL_START + 1)).toBe(0);
    expect(p.vmstat().pghot_recorded_hintfaults).toBe(2);
  });

  it('pagesHot gets the PFNs that turned ready in the batch, once each', () => {
    const p = make();
    const hot: number[][] = [];
    p.hooks.pagesHot.tap('watch', (pages) => hot.push([...pages.pfn.subarray(0, pages.length), ...pages.nid]));
    p.recordAccesses(HF, [CXL_START, CXL_START + 7, CXL_START, CXL_START, CXL_START + 7], 0, 10_000);
    expect(hot).toEqual([[CXL_START, CXL_START + 7, 1, 1]]);
  });
});

describe('sources', () => {
  it('has the latest posting ids and bits, and registers plugin sources after them', () => {
    const p = make();
    expect(p.sources()).toEqual([
      { name: 'hintfaults', id: 0, bit: 0x1, enabled: true },
      { name: 'hwhints', id: 1, bit: 0x2, enabled: false },
      { name: 'pgtscans', id: 2, bit: 0x4, enabled: false },
    ]);
    const id = p.registerSource('chmu');
    expect(id).toBe(3);
    expect(p.registerSource('chmu')).toBe(3);
    expect(p.vmstat().pghot_recorded_chmu).toBe(0);
    p.enableSource(id);
    expect(p.recordAccess(CXL_START, 0, id, 5)).toBe(0);
    expect(p.vmstat().pghot_recorded_chmu).toBe(1);
    expect(() => p.registerSource('Bad-Name')).toThrow(/lower_snake_case/);
  });

  it('prints vmstat as /proc/vmstat text with kernel names', () => {
    const p = make();
    p.recordAccess(CXL_START, 0, HF, 5);
    expect(p.vmstatText().split('\n').slice(0, 4)).toEqual([
      'pghot_recorded_accesses 1',
      'pghot_recorded_hintfaults 1',
      'pghot_recorded_hwhints 0',
      'pghot_recorded_pgtscans 0',
    ]);
  });
});

describe('record path against the layout functions (property)', () => {
  it('leaves every record exactly as updateDefaultRecord / updatePrecisionRecord applied in order would', () => {
    const access = fc.record({ page: fc.integer({ min: 0, max: 2 }), dt: fc.integer({ min: 0, max: 4_500 }), nid: fc.constantFrom(-1, 0, 2) });
    fc.assert(
      fc.property(
        fc.constantFrom('default' as const, 'precision' as const),
        fc.boolean(),
        fc.integer({ min: 1, max: 3 }),
        fc.array(access, { maxLength: 60 }),
        (mode, sticky, threshold, accesses) => {
          const windowMs = mode === 'default' ? 3000 : 5000;
          const p = make({ mode, stickyReady: sticky, tunables: { freq_threshold: threshold } });
          const model = new Map<number, number>();
          let now = 0;
          const pfns: number[] = [];
          const nows: number[] = [];
          const nids: number[] = [];
          for (const a of accesses) {
            now += a.dt;
            const pfn = CXL_START + a.page * 4099; // spread over two sections
            pfns.push(pfn);
            nows.push(now);
            nids.push(a.nid);
            const old = model.get(pfn) ?? 0;
            model.set(
              pfn,
              mode === 'default'
                ? updateDefaultRecord(old, now, windowMs, threshold, sticky)
                : updatePrecisionRecord(old, a.nid === -1 ? 0 : a.nid, now, windowMs, threshold, sticky) >>> 0,
            );
          }
          expect(p.recordAccesses(HF, pfns, nids, nows)).toBe(accesses.length);
          for (const [pfn, rec] of model) expect(p.rawRecord(pfn)).toBe(rec);
          // the same through the WebAssembly kernel (Uint32Array PFNs, one nid per batch)
          const k = make({ mode, stickyReady: sticky, tunables: { freq_threshold: threshold } });
          expect(k.accelerated).toBe(true);
          for (let i = 0; i < pfns.length; i++) k.recordAccesses(HF, Uint32Array.of(pfns[i]!), nids[i]!, Float64Array.of(nows[i]!));
          for (const [pfn, rec] of model) expect(k.rawRecord(pfn)).toBe(rec);
          expect(k.vmstat()).toEqual(p.vmstat());
        },
      ),
      { seed: 20261126, numRuns: 300 },
    );
  });
});
