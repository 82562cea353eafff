import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NUMA_NO_NODE, PGHOT_SRC } from './constants.js';
import { createPghot, type Pghot } from './pghot.js';
import { updateDefaultRecord } from './record-default.js';
import { updatePrecisionRecord } from './record-precision.js';
import { CXL_SECTION_1, CXL_START, TestMemory, TOPOLOGY } from './test-fixtures.js';

/**
 * Multi-element batches through both record loops (and the WebAssembly one), against a plainly
 * written model of pghot_record_access: every filter in the kernel's order, the update, the
 * counters, and the pages that turn MIGRATE_READY.
 */
const HF = PGHOT_SRC.hintfaults;
const END_PFN = 229_376;
const TOP_TIER = new Set([0, 2]);
const nodeOf = (pfn: number) => (pfn < 65_536 ? 0 : pfn < 196_608 ? 1 : pfn < END_PFN ? 2 : -1);

/** PFNs that exercise each filter: top tier, lower tier in three sections, past the end, not an integer. */
const PFNS = [5, CXL_START, CXL_START + 1, CXL_START + 2, CXL_START + 3, CXL_SECTION_1, CXL_SECTION_1 + 7, CXL_START + 70_000, 196_700, END_PFN, END_PFN + 9, 1.5, -1, 2 ** 32 + CXL_START];
/** nids: the top-tier nodes, the lower-tier node itself (local), NUMA_NO_NODE, an offline node, out of range. */
const NIDS = [0, 2, 1, NUMA_NO_NODE, 5, 1024];

interface Access {
  pfn: number;
  nid: number;
  dt: number;
  keep: boolean;
}

interface Machine {
  mode: 'default' | 'precision';
  sticky: boolean;
  threshold: number;
  memory: boolean;
  trackHot: boolean;
  filter: boolean;
  scalarNid: boolean;
  scalarNow: boolean;
  /** PFNs as a Uint32Array (the type the WebAssembly loop takes, when nothing else rules it out). */
  typedPfns: boolean;
}

/** The plain model: one access at a time, straight from the kernel's rules. */
function model(m: Machine, accesses: readonly Access[], nowOf: (i: number) => number, nidOf: (i: number) => number, mem: TestMemory | null) {
  const window = m.mode === 'default' ? 3000 : 5000;
  const records = new Map<number, number>();
  const hot: [number, number][] = [];
  const activated = new Set<number>();
  let counted = 0;
  let recorded = 0;
  const nidValid = (nid: number) => nid === NUMA_NO_NODE || TOP_TIER.has(nid);
  accesses.forEach((a, i) => {
    const nid = nidOf(i);
    if (m.filter && !a.keep) return;
    if (m.mode === 'precision' && !nidValid(nid)) return;
    counted++;
    const pfn = a.pfn;
    if (!Number.isInteger(pfn) || pfn < 0 || pfn >= END_PFN) return;
    const node = nodeOf(pfn);
    if (mem && mem.online[pfn] !== 1) return;
    if (node === nid || TOP_TIER.has(node)) return;
    const head = mem ? mem.head[pfn]! : pfn;
    if (mem && mem.lru[head] !== 1) return;
    recorded++;
    const old = records.get(head) ?? 0;
    const now = nowOf(i);
    const next =
      m.mode === 'default'
        ? updateDefaultRecord(old, now, window, m.threshold, m.sticky)
        : updatePrecisionRecord(old, nid === NUMA_NO_NODE ? 0 : nid, now, window, m.threshold, m.sticky) >>> 0;
    records.set(head, next);
    const ready = (r: number) => (m.mode === 'default' ? r >= 0x80 : r >>> 31 === 1);
    if (ready(next)) {
      activated.add(node);
      if (!ready(old) && m.trackHot) hot.push([head, node]);
    }
  });
  return { records, hot, activated, counted, recorded };
}

function memoryWithHoles(): TestMemory {
  const mem = new TestMemory(END_PFN);
  mem.folio(CXL_START + 2, 2); // a two-page folio: CXL_START + 3 records on its head
  mem.online[CXL_SECTION_1 + 7] = 0;
  mem.lru[CXL_START + 70_000] = 0; // isolated (not on the LRU)
  return mem;
}

const machines = fc.record({
  mode: fc.constantFrom('default' as const, 'precision' as const),
  sticky: fc.boolean(),
  threshold: fc.integer({ min: 1, max: 3 }),
  memory: fc.boolean(),
  trackHot: fc.boolean(),
  filter: fc.boolean(),
  scalarNid: fc.boolean(),
  scalarNow: fc.boolean(),
  typedPfns: fc.boolean(),
});
const accessLists = fc.array(
  fc.record({ pfn: fc.constantFrom(...PFNS), nid: fc.constantFrom(...NIDS), dt: fc.integer({ min: 0, max: 2_500 }), keep: fc.boolean() }),
  { minLength: 1, maxLength: 40 },
);

function engineFor(m: Machine, mem: TestMemory | null, hot: [number, number][]): Pghot {
  const p = createPghot({ topology: TOPOLOGY, mode: m.mode, stickyReady: m.sticky, tunables: { freq_threshold: m.threshold }, ...(mem ? { memory: mem } : {}) });
  if (m.trackHot) p.hooks.pagesHot.tap('test', (b) => { for (let i = 0; i < b.length; i++) hot.push([b.pfn[i]!, b.nid[i]!]); });
  return p;
}

function check(m: Machine, given: Access[], batches: number[]) {
  const accesses = m.typedPfns ? given.map((a) => ({ ...a, pfn: a.pfn >>> 0 })) : given;
  const start = 10_000;
  const times: number[] = [];
  let t = start;
  for (const a of accesses) times.push((t += a.dt));
  // a scalar nid / now holds for a whole batch: the model sees the batch's value
  const batchOf: number[] = [];
  let b = 0;
  let left = batches[0] ?? accesses.length;
  for (let i = 0; i < accesses.length; i++) {
    while (left === 0) left = batches[++b] ?? accesses.length;
    batchOf.push(b);
    left--;
  }
  const firstOf = (i: number) => batchOf.indexOf(batchOf[i]!);
  const nowOf = (i: number) => (m.scalarNow ? times[firstOf(i)]! : times[i]!);
  const nidOf = (i: number) => (m.scalarNid ? accesses[firstOf(i)]!.nid : accesses[i]!.nid);
  const mem = m.memory ? memoryWithHoles() : null;
  const want = model(m, accesses, nowOf, nidOf, mem);

  const hot: [number, number][] = [];
  const p = engineFor(m, mem, hot);
  if (m.filter) {
    const keepByPfnTime = new Map(accesses.map((a, i) => [`${a.pfn}@${nowOf(i)}#${i}`, a.keep]));
    let seen = 0;
    p.hooks.filterBatch.tap('test', (batch) => {
      for (let i = 0; i < batch.length; i++, seen++) {
        expect(batch.pfn[i]).toBe(accesses[seen]!.pfn);
        expect(batch.nid[i]).toBe(nidOf(seen));
        expect(batch.now[i]).toBe(nowOf(seen));
        batch.keep[i] = keepByPfnTime.get(`${accesses[seen]!.pfn}@${nowOf(seen)}#${seen}`) ? 1 : 0;
      }
    });
  }
  let recorded = 0;
  for (let i = 0; i < accesses.length; ) {
    const j = batchOf.lastIndexOf(batchOf[i]!) + 1;
    const pfns = accesses.slice(i, j).map((a) => a.pfn);
    const nids = m.scalarNid ? nidOf(i) : accesses.slice(i, j).map((a) => a.nid);
    const nows = m.scalarNow ? nowOf(i) : Float64Array.from(times.slice(i, j));
    // a longer array with a count: nothing past count is read
    const padded = [...pfns, CXL_START + 1, CXL_START + 1];
    const r = p.recordAccesses(HF, m.typedPfns ? Uint32Array.from(padded) : padded, nids, nows, pfns.length);
    expect(r).toBeGreaterThanOrEqual(0);
    recorded += r;
    i = j;
  }
  expect(recorded).toBe(want.recorded);
  expect(p.vmstat().pghot_recorded_hintfaults).toBe(want.counted);
  expect(p.vmstat().pghot_recorded_accesses).toBe(want.recorded);
  for (const pfn of PFNS.filter((x) => Number.isInteger(x) && x >= 0 && x < END_PFN)) {
    const head = mem ? mem.head[pfn]! : pfn;
    expect(p.rawRecord(pfn), `record of ${pfn}`).toBe(want.records.get(head) ?? 0);
  }
  expect(hot).toEqual(want.hot);
  for (let nid = 0; nid < 4; nid++) expect(p.activate[nid], `activate[${nid}]`).toBe(want.activated.has(nid) ? 1 : 0);
}

describe('batches through the record loops against a plain model of the kernel rule', () => {
  it('the JavaScript loops: every filter, scalar or per-access nid and time, filterBatch, pagesHot, a memory model', () => {
    fc.assert(
      fc.property(machines, accessLists, fc.array(fc.integer({ min: 1, max: 7 }), { maxLength: 8 }), (m, accesses, batches) => check(m, accesses, batches)),
      { seed: 20261203, numRuns: 400 },
    );
  });

  it('the WebAssembly loop: Uint32Array PFNs and one nid per batch give the model\'s records and counters', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('default' as const, 'precision' as const),
        fc.boolean(),
        fc.array(fc.record({ pfn: fc.constantFrom(...PFNS.filter((x) => Number.isInteger(x) && x >= 0 && x < 2 ** 32)), dt: fc.integer({ min: 0, max: 2_500 }) }), { minLength: 1, maxLength: 60 }),
        fc.constantFrom(...NIDS),
        fc.constantFrom('u32' as const, 'f64' as const, 'array' as const, 'scalar' as const, 'buffer-u32' as const, 'buffer-f64' as const),
        (mode, sticky, list, nid, nowKind) => {
          const m: Machine = { mode, sticky, threshold: 2, memory: false, trackHot: false, filter: false, scalarNid: true, scalarNow: nowKind === 'scalar', typedPfns: true };
          const accesses = list.map((a) => ({ ...a, nid, keep: true }));
          let t = 10_000;
          const times = accesses.map((a) => (t += a.dt));
          const want = model(m, accesses, (i) => (m.scalarNow ? times[0]! : times[i]!), () => nid, null);
          const p = engineFor(m, null, []);
          expect(p.accelerated).toBe(true);
          const pfns = accesses.map((a) => a.pfn);
          if (nowKind === 'buffer-u32' || nowKind === 'buffer-f64') {
            // filled in place: the kernel reads the very arrays
            const buf = p.recordBuffer();
            buf.pfn.set(pfns);
            const nows = nowKind === 'buffer-u32' ? buf.now : buf.nowF64;
            nows.set(times);
            // the arrays themselves, or views of their first accesses
            const view = list.length % 2 === 0;
            expect(p.recordAccesses(HF, view ? buf.pfn.subarray(0, pfns.length) : buf.pfn, nid, view ? nows.subarray(0, pfns.length) : nows, pfns.length)).toBe(want.recorded);
          } else {
            const nows = nowKind === 'u32' ? Uint32Array.from(times) : nowKind === 'f64' ? Float64Array.from(times) : nowKind === 'array' ? times : times[0]!;
            expect(p.recordAccesses(HF, Uint32Array.from(pfns), nid, nows)).toBe(want.recorded);
          }
          expect(p.vmstat().pghot_recorded_hintfaults).toBe(want.counted);
          for (const a of accesses) expect(p.rawRecord(a.pfn)).toBe(want.records.get(a.pfn) ?? 0);
          for (let n = 0; n < 4; n++) expect(p.activate[n]).toBe(want.activated.has(n) ? 1 : 0);
        },
      ),
      { seed: 20261204, numRuns: 300 },
    );
  });

  it('the WebAssembly loop on sections shared by two nodes: each page by its own node, as the JavaScript loop records it', () => {
    // node 1 (lower tier) ends 1,000 pages into its third section, where top-tier node 2 starts; node 3
    // (lower tier) starts 500 pages into the section after node 2
    const topology = {
      nodes: [
        { id: 0, startPfn: 0, pages: 65_536, tier: 0, cpus: [0] },
        { id: 1, startPfn: 65_536, pages: 66_536, tier: 1 },
        { id: 2, startPfn: 132_072, pages: 32_268, tier: 0, cpus: [1] },
        { id: 3, startPfn: 164_340, pages: 32_768, tier: 1 },
      ],
    };
    const lastOf1 = 132_071;
    const firstOf2 = 132_072;
    const lastOf2 = 164_339;
    const firstOf3 = 164_340;
    const pfns = [CXL_START, lastOf1, firstOf2, lastOf2, firstOf3, firstOf3 + 30_000, lastOf1, firstOf3, CXL_START];
    for (const mode of ['default', 'precision'] as const) {
      for (const nid of [0, 1, 3, NUMA_NO_NODE]) {
        const engines = [createPghot({ topology, mode, tunables: { freq_threshold: 2 } }), createPghot({ topology, mode, tunables: { freq_threshold: 2 } })];
        const nows = pfns.map((_, i) => 10_000 + 100 * i);
        const kernel = engines[0]!.recordAccesses(HF, Uint32Array.from(pfns), nid, Uint32Array.from(nows));
        const js = engines[1]!.recordAccesses(HF, pfns, nid, nows);
        // from node 0 or none: every lower-tier access (7); from node 1 or 3: the other lower-tier
        // node's in default mode, none in precision mode (a lower-tier nid is not valid: pghot_nid_valid)
        const lowerNid = nid === 1 || nid === 3;
        expect(kernel, `${mode}, nid ${nid}`).toBe(lowerNid && mode === 'precision' ? 0 : nid === 1 ? 3 : nid === 3 ? 4 : 7);
        expect(js).toBe(kernel);
        for (const pfn of pfns) expect(engines[0]!.rawRecord(pfn), `${mode}, nid ${nid}, pfn ${pfn}`).toBe(engines[1]!.rawRecord(pfn));
        // the top-tier pages of the shared sections keep no record
        expect(engines[0]!.rawRecord(firstOf2)).toBe(0);
        expect(engines[0]!.rawRecord(lastOf2)).toBe(0);
        // pages accessed twice within the window turn MIGRATE_READY and activate their node's kmigrated
        for (let n = 0; n < 4; n++) expect(engines[0]!.activate[n], `${mode}, nid ${nid}, activate[${n}]`).toBe(engines[1]!.activate[n]);
        expect([...engines[0]!.activate.subarray(0, 4)]).toEqual(lowerNid && mode === 'precision' ? [0, 0, 0, 0] : nid === 1 ? [0, 0, 0, 1] : nid === 3 ? [0, 1, 0, 0] : [0, 1, 0, 1]);
      }
    }
  });

  /** Float64Array times through the WebAssembly loop and as plain numbers through the JavaScript one: the same records. */
  const convertsAsJs = (mode: 'default' | 'precision', pfns: number[], times: number[]) => {
    const [kernel, js] = [0, 1].map(() => createPghot({ topology: TOPOLOGY, mode, tunables: { freq_threshold: 2 } }));
    expect(kernel!.accelerated).toBe(true);
    expect(kernel!.recordAccesses(HF, Uint32Array.from(pfns), 0, Float64Array.from(times))).toBe(pfns.length);
    expect(js!.recordAccesses(HF, pfns, 0, times)).toBe(pfns.length);
    for (let pfn = CXL_START; pfn < CXL_START + 3; pfn++) expect(kernel!.rawRecord(pfn), `${mode} ${times.join(',')}`).toBe(js!.rawRecord(pfn));
    expect([...kernel!.activate.subarray(0, 4)]).toEqual([...js!.activate.subarray(0, 4)]);
  };

  it('the WebAssembly loop converts Float64Array times as the JavaScript loop does, even fractional, negative, huge, infinite or NaN ones', () => {
    // around ±2^51 the loop's fast conversion gives way to its i64 one, past ±2^63 to JavaScript
    const odd = [10_000.75, -5.5, 127.5, 16_383.75, 2 ** 32 + 1_000, 2 ** 40 + 123.5, 2 ** 51 - 0.5, 2 ** 51, 2 ** 51 + 2 ** 13 + 1, -(2 ** 51), -(2 ** 51) - 0.5, -(2 ** 51) - 2 ** 12 - 1, 2 ** 53 - 1, 2 ** 62 + 2 ** 40, 2 ** 63, -(2 ** 63), 2 ** 70 + 2 ** 30, Infinity, -Infinity, NaN, 12_345];
    const pfns = odd.map((_, i) => CXL_START + (i % 3));
    const cases = fc.sample(fc.shuffledSubarray(odd.map((now, i) => ({ now, pfn: pfns[i]! })), { minLength: 1 }), { numRuns: 60, seed: 20261204 });
    for (const mode of ['default', 'precision'] as const) {
      for (const list of cases) convertsAsJs(mode, list.map((a) => a.pfn), list.map((a) => a.now));
    }
  });

  it('the WebAssembly loop converts any double as the JavaScript loop does (fast-check doubles, and halves that round up to the next time bucket)', () => {
    fc.assert(
      fc.property(fc.constantFrom('default' as const, 'precision' as const), fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.oneof(fc.double(), fc.integer({ min: -(2 ** 24), max: 2 ** 24 }).map((k) => k * 128 + 127.5))), { minLength: 1, maxLength: 40 }), (mode, list) => {
        convertsAsJs(mode, list.map(([d]) => CXL_START + d), list.map(([, now]) => now));
      }),
      { seed: 20261205, numRuns: 400 },
    );
  });

  it('the WebAssembly loop converts a run of one time once, and gets every run right (repeats of NaN, ±0, infinite, huge and ordinary times)', () => {
    // few values, so most times repeat the one before; a time left to JavaScript (±Infinity, 2^63)
    // ends the kernel's call, and the next call must not take the last run's value for it
    const values = [NaN, 0, -0, 300, 300.5, 428, Infinity, -Infinity, 2 ** 63, 2 ** 51 + 7, -1];
    fc.assert(
      fc.property(fc.constantFrom('default' as const, 'precision' as const), fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: values.length - 1 }), fc.integer({ min: 1, max: 4 })), { minLength: 1, maxLength: 12 }), (mode, runs) => {
        const list = runs.flatMap(([d, v, length]) => Array.from({ length }, () => [CXL_START + d, values[v]!] as const));
        convertsAsJs(mode, list.map(([pfn]) => pfn), list.map(([, now]) => now));
      }),
      { seed: 20261206, numRuns: 300 },
    );
  });

  it('the WebAssembly loop serves precision stores of 1 and 2 TiB of lower tier (records past 2^31 bytes of its memory); 4 TiB goes to JavaScript', () => {
    const top = { id: 0, startPfn: 0, pages: 32_768, tier: 0, cpus: [0] };
    const machine = (lowerPages: number) => createPghot({ mode: 'precision', topology: { nodes: [top, { id: 1, startPfn: 32_768, pages: lowerPages, tier: 1 }] } });
    expect(machine(2 ** 28).accelerated).toBe(true);
    expect(machine(2 ** 30).accelerated).toBe(false); // 4 GiB of records: past 32-bit addresses
    // 2 TiB: one access in each of its 16,384 sections, in order, so the sections' records take
    // the memory slot after slot up to 2 GiB and past it (one 4 KiB page of each is touched)
    const p = machine(2 ** 29);
    expect(p.accelerated).toBe(true);
    const sections = 2 ** 29 / 32_768;
    const pfns = Uint32Array.from({ length: sections }, (_, s) => 32_768 * (s + 1) + ((s * 7) % 32_768));
    expect(p.recordAccesses(HF, pfns, 0, 100)).toBe(sections);
    expect(p.storeBytes).toBe(2 ** 31);
    const once = updatePrecisionRecord(0, 0, 100, 5000, 2, false) >>> 0;
    for (const s of [0, 1, sections / 2, sections - 2, sections - 1]) {
      expect(p.rawRecord(pfns[s]!)).toBe(once);
      expect(p.rawRecord(pfns[s]! + 1)).toBe(0);
    }
    // the last section again, through the loop: its record at the top of the memory is read back
    expect(p.recordAccesses(HF, pfns.subarray(sections - 1), 0, 200)).toBe(1);
    expect(p.rawRecord(pfns[sections - 1]!)).toBe(updatePrecisionRecord(once, 0, 200, 5000, 2, false) >>> 0);
  });

  it('recordBuffer: the kernel\'s own scratch (4096 accesses, the same arrays every call); any other batch is copied over it, and without the kernel the buffer records the same', () => {
    const accelerated = createPghot({ topology: TOPOLOGY, tunables: { freq_threshold: 2 } });
    const buf = accelerated.recordBuffer();
    expect(buf).toBe(accelerated.recordBuffer());
    expect([buf.length, buf.pfn.length, buf.now.length, buf.nowF64.length]).toEqual([4096, 4096, 4096, 4096]);
    // the pages of the kernel's memory: the same ArrayBuffer as the records
    expect(buf.pfn.buffer).toBe(buf.nowF64.buffer);
    buf.pfn.set([CXL_START, CXL_START, CXL_START + 1]);
    buf.nowF64.set([10_000.5, 10_100, 10_200]);
    expect(accelerated.recordAccesses(HF, buf.pfn, 0, buf.nowF64, 3)).toBe(3);
    expect(accelerated.rawRecord(CXL_START)).toBe(updateDefaultRecord(updateDefaultRecord(0, 10_000, 3000, 2, false), 10_100, 3000, 2, false));
    expect(accelerated.rawRecord(CXL_START + 1)).toBe(updateDefaultRecord(0, 10_200, 3000, 2, false));
    // a batch from other arrays goes through the same scratch: fill and record with nothing between
    accelerated.recordAccesses(HF, Uint32Array.of(CXL_START + 2), 0, 10_300);
    expect(buf.pfn[0]).toBe(CXL_START + 2);

    // a pagesHot tap keeps batches in the JavaScript loop: the buffer is then plain arrays, read as given
    const hot: number[] = [];
    const tracked = createPghot({ topology: TOPOLOGY, mode: 'precision', tunables: { freq_threshold: 2 } });
    tracked.hooks.pagesHot.tap('test', (b) => void hot.push(...b.pfn.subarray(0, b.length)));
    const plain = tracked.recordBuffer();
    plain.pfn.set([CXL_START, CXL_START]);
    plain.now.set([20_000, 20_001]);
    expect(tracked.recordAccesses(HF, plain.pfn, 0, plain.now, 2)).toBe(2);
    expect(tracked.rawRecord(CXL_START)).toBe(updatePrecisionRecord(updatePrecisionRecord(0, 0, 20_000, 5000, 2, false), 0, 20_001, 5000, 2, false) >>> 0);
    expect(hot).toEqual([CXL_START]);
  });
});
