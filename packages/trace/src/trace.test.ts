import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32, gzipSync } from 'node:zlib';
import { runSimulation } from '@pghot/sim';
import { describe, expect, it } from 'vitest';
import { lackeyToPgtrace, pgtraceToLackey } from './convert.js';
import { readDamon, replayDamon } from './damon.js';
import { readLackey } from './lackey.js';
import { PgtraceReader, PgtraceWriter } from './pgtrace.js';
import { traceWorkload } from './workload.js';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../fixtures');
const EXCERPT = path.join(FIXTURES, 'lackey/lackey-sort-excerpt-1000.txt');
const HEAD200K = path.join(FIXTURES, 'lackey/lackey-sort-2000-head200k.txt.gz');
const tmp = () => mkdtempSync(path.join(tmpdir(), 'pghot-trace-'));
const write = (name: string, content: string | Buffer) => {
  const file = path.join(tmp(), name);
  writeFileSync(file, content);
  return file;
};

async function pageCounts(file: string, options = {}) {
  const pages = new Map<number, number>();
  const sizes = new Map<number, number>();
  const stats = await readLackey(
    file,
    (b) => {
      for (let i = 0; i < b.length; i++) {
        pages.set(b.vpn[i]!, (pages.get(b.vpn[i]!) ?? 0) + 1);
        sizes.set(b.size[i]!, (sizes.get(b.size[i]!) ?? 0) + 1);
      }
    },
    options,
  );
  const top = [...pages].sort((a, b) => b[1] - a[1]);
  return { stats, pages, sizes, top };
}

describe('valgrind lackey', () => {
  it('reads the 1,000-line excerpt: I 736, L 172, S 90, M 2, 264 data accesses on 9 pages', async () => {
    const { stats, pages, sizes, top } = await pageCounts(EXCERPT);
    expect(stats).toMatchObject({ gzip: false, lines: 1000, instructions: 736, loads: 172, stores: 90, modifies: 2, headerLines: 0, accesses: 264, straddles: 0, malformed: 0 });
    expect(pages.size).toBe(9);
    expect(top.map(([p, c]) => [p.toString(16), c])).toEqual([
      ['1fff000', 101], ['4a8b', 54], ['1ffeffd', 45], ['124', 21], ['4038', 12], ['4b00', 10], ['4b0e', 8], ['4a27', 7], ['4b01', 6],
    ]);
    expect(Object.fromEntries(sizes)).toEqual({ 1: 84, 4: 3, 8: 165, 16: 12 });
  });

  it('streams the gzip head: 6 header lines, I 151,122, L 34,418, S 12,874, M 1,580, 48,872 accesses on 87 pages', async () => {
    const { stats, pages, sizes, top } = await pageCounts(HEAD200K);
    expect(stats).toMatchObject({ gzip: true, lines: 200_000, headerLines: 6, instructions: 151_122, loads: 34_418, stores: 12_874, modifies: 1_580, accesses: 48_872, malformed: 0 });
    expect(pages.size).toBe(87);
    expect(top.slice(0, 5).map(([p, c]) => [p.toString(16), c])).toEqual([['1fff000', 19_508], ['4835', 4_698], ['1ffefff', 3_680], ['4032', 3_076], ['4034', 2_477]]);
    expect(Object.fromEntries(sizes)).toEqual({ 1: 9_786, 2: 1_471, 4: 6_187, 8: 29_607, 16: 1_729, 32: 92 });
  });

  it('includes I lines on request, and 146 of them straddle a page (both pages touched)', async () => {
    const { stats } = await pageCounts(HEAD200K, { includeInstructions: true });
    expect(stats.accesses).toBe(48_872 + 151_122 + 146);
    expect(stats.straddles).toBe(146);
  });

  it('touches both pages of a straddling data access, and flags M as a write', async () => {
    const file = write('t.txt', ' L 00001ffc,8\n M 00002000,4\n');
    const seen: [number, number][] = [];
    const stats = await readLackey(file, (b) => {
      for (let i = 0; i < b.length; i++) seen.push([b.vpn[i]!, b.write[i]!]);
    });
    expect(seen).toEqual([[1, 0], [2, 0], [2, 1]]);
    expect(stats).toMatchObject({ accesses: 3, straddles: 1 });
  });

  it('stops at a malformed line naming file, line and text; skips up to maxErrors and counts them', async () => {
    const file = write('bad.txt', 'I  00110ba6,10\n L 1fff00,8\n S 1fff000758,8\n');
    await expect(readLackey(file, () => {})).rejects.toThrow(`${file}:2: expected an address of 8+ hex digits and a comma: " L 1fff00,8"`);
    const stats = await readLackey(file, () => {}, { maxErrors: 3 });
    expect(stats).toMatchObject({ malformed: 1, badLines: [{ line: 2, text: ' L 1fff00,8' }], stores: 1 });
    await expect(readLackey(write('x.txt', 'X 1\n'), () => {})).rejects.toThrow(':1: not a lackey line (I, L, S, M or ==PID==): "X 1"');
  });

  it('names a truncated gzip as such', async () => {
    const gz = gzipSync(readFileSync(EXCERPT));
    const file = write('cut.txt.gz', gz.subarray(0, gz.length - 20));
    await expect(readLackey(file, () => {})).rejects.toThrow(`${file}: truncated gzip (unexpected end of file)`);
  });
});

describe('.pgtrace', () => {
  it('round trip: lackey → .pgtrace replays to the identical report', async () => {
    const out = path.join(tmp(), 'sort.pgtrace');
    const converted = await lackeyToPgtrace(HEAD200K, out);
    expect(converted).toMatchObject({ records: 48_872, pages: 87 });
    expect(new PgtraceReader(out).info).toEqual({ version: 2, timestamps: false, chunks: 1, records: 48_872, pages: 87 });
    const run = async (file: string) => {
      const { create } = await traceWorkload(file);
      const report = await runSimulation({ machine: 'dram+cxl', workload: create(), llc: { sizeMiB: 1 }, placement: { policy: 'preferred', node: 1 }, baseline: 'none' });
      return { ...report, workload: { ...report.workload, params: { ...report.workload.params, file: 'x', format: 'x' } } };
    };
    const a = await run(HEAD200K);
    const b = await run(out);
    expect(a.accesses.total).toBe(48_872);
    expect(b).toEqual(a);
  });

  it('converts back to lackey text with the same pages, lines and write flags', async () => {
    const dir = tmp();
    await lackeyToPgtrace(EXCERPT, path.join(dir, 'a.pgtrace'));
    expect(await pgtraceToLackey(path.join(dir, 'a.pgtrace'), path.join(dir, 'a.txt'))).toMatchObject({ records: 264, pages: 9 });
    const back = await pageCounts(path.join(dir, 'a.txt'));
    const orig = await pageCounts(EXCERPT);
    expect([...back.pages]).toEqual([...orig.pages]);
    expect(back.stats.stores).toBe(orig.stats.stores + orig.stats.modifies);
  });

  it('keeps optional timestamps', () => {
    const file = path.join(tmp(), 't.pgtrace');
    const w = new PgtraceWriter(file);
    w.add({ length: 3, vpn: Float64Array.of(7, 9, 7), line: Uint8Array.of(1, 2, 3), write: Uint8Array.of(0, 1, 0), size: Uint16Array.of(8, 4, 64) }, 0, 0, [100, 250, 1_000_000_000_000]);
    w.close();
    const r = new PgtraceReader(file);
    expect(r.info).toMatchObject({ timestamps: true, records: 3, pages: 2 });
    const [v, l, wr, sz, t] = [new Int32Array(65_536), new Uint8Array(65_536), new Uint8Array(65_536), new Uint16Array(65_536), new Float64Array(65_536)];
    expect(r.next(v, l, wr, sz, t)).toBe(3);
    expect([...v.subarray(0, 3)]).toEqual([0, 1, 0]);
    expect([...wr.subarray(0, 3)]).toEqual([0, 1, 0]);
    expect([...sz.subarray(0, 3)]).toEqual([8, 4, 64]);
    expect([...t.subarray(0, 3)]).toEqual([100, 250, 1_000_000_000_000]);
    expect([...r.pageTable()]).toEqual([7, 9]);
  });

  it('round-trips many chunks: a chunk per task/CPU switch and per 65,536 records, a page table past 1,024 pages', () => {
    const file = path.join(tmp(), 'many.pgtrace');
    const w = new PgtraceWriter(file);
    const batch = (from: number, n: number, pages: number) => ({
      length: n,
      vpn: Float64Array.from({ length: n }, (_, i) => 1000 + ((from + i * 7) % pages)),
      line: Uint8Array.from({ length: n }, (_, i) => (from + i) % 64),
      write: Uint8Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 1 : 0)),
      size: Uint16Array.from({ length: n }, () => 8),
    });
    const a = batch(0, 70_000, 2_000);
    const b = batch(5, 10, 2_500);
    const c = batch(9, 20, 2_500);
    w.add(a, 1, 0);
    w.add(b, 1, 0);
    w.add(c, 2, 3); // another task and CPU: a new chunk
    w.close();
    const r = new PgtraceReader(file);
    expect(r.info).toEqual({ version: 2, timestamps: false, chunks: 3, records: 70_030, pages: 2_000 });
    const table = r.pageTable();
    const [v, l, wr, sz] = [new Int32Array(65_536), new Uint8Array(65_536), new Uint8Array(65_536), new Uint16Array(65_536)];
    const counts: number[] = [];
    const vpns: number[] = [];
    const lines: number[] = [];
    const writes: number[] = [];
    for (let n = r.next(v, l, wr, sz); n > 0; n = r.next(v, l, wr, sz)) {
      counts.push(n);
      for (let i = 0; i < n; i++) vpns.push(table[v[i]!]!), lines.push(l[i]!), writes.push(wr[i]!);
    }
    expect(counts).toEqual([65_536, 4_474, 20]);
    const all = [a, b, c];
    expect(vpns).toEqual(all.flatMap((x) => [...x.vpn]));
    expect(lines).toEqual(all.flatMap((x) => [...x.line]));
    expect(writes).toEqual(all.flatMap((x) => [...x.write]));
    r.close();
  });

  it('names a bad checksum and a truncated file', async () => {
    const dir = tmp();
    const file = path.join(dir, 'a.pgtrace');
    await lackeyToPgtrace(EXCERPT, file);
    const bytes = readFileSync(file);
    const corrupt = Buffer.from(bytes);
    corrupt[32 + 16 + 5]! ^= 0xff; // a payload byte of chunk 0
    const bad = write('bad.pgtrace', corrupt);
    const read = (f: string) => new PgtraceReader(f).next(new Int32Array(65_536), new Uint8Array(65_536), new Uint8Array(65_536), new Uint16Array(65_536));
    expect(() => read(bad)).toThrow(`${bad}: bad checksum in chunk 0 (at byte 32)`);
    const cut = write('cut.pgtrace', bytes.subarray(0, 100));
    expect(() => read(cut)).toThrow(`${cut}: truncated or corrupt .pgtrace: the header's 264 records in 1 chunks do not fit in its 100 bytes`);
    const notOne = write('x.pgtrace', 'hello world, not a trace at all');
    expect(() => read(notOne)).toThrow('not a .pgtrace file (bad magic)');
  });

  describe('v2: every header field checked before it is trusted', () => {
    const fixture = async () => {
      const file = path.join(tmp(), 'a.pgtrace');
      await lackeyToPgtrace(EXCERPT, file); // 264 records, 9 pages, 1 chunk
      return readFileSync(file);
    };
    const read = (f: string) => {
      const r = new PgtraceReader(f);
      const arrays = [new Int32Array(65_536), new Uint8Array(65_536), new Uint8Array(65_536), new Uint16Array(65_536)] as const;
      let total = 0;
      for (let n = r.next(...arrays); n > 0; n = r.next(...arrays)) total += n;
      return total;
    };
    /** Patch the header and re-seal its checksum, as a tool that rewrote it carelessly would. */
    const withHeader = (bytes: Buffer, patch: (h: Buffer) => void, reseal = true) => {
      const b = Buffer.from(bytes);
      patch(b);
      if (reseal) b.writeUInt32LE(crc32(b.subarray(0, 28)), 28);
      return b;
    };

    it('a changed header field without a new checksum is refused', async () => {
      const f = write('h.pgtrace', withHeader(await fixture(), (h) => h.writeUInt32LE(10, 24), false));
      expect(() => read(f)).toThrow(`${f}: corrupt .pgtrace: bad header checksum`);
    });

    it.each([
      [0, 'corrupt .pgtrace: the header\'s 0 distinct pages do not match its 264 records'],
      [1, 'corrupt .pgtrace: the page table has 9 pages, the header 1'],
      [0xffffffff, 'corrupt .pgtrace: the header\'s 4294967295 distinct pages do not match its 264 records'],
    ])('header pages = %i is refused at once', async (pages, why) => {
      const f = write('p.pgtrace', withHeader(await fixture(), (h) => h.writeUInt32LE(pages, 24)));
      expect(() => read(f)).toThrow(`${f}: ${why}`);
    });

    it('a record count the chunks do not hold, a truncated or missing page table, and trailing bytes are refused', async () => {
      const bytes = await fixture();
      const fewer = write('r.pgtrace', withHeader(bytes, (h) => h.writeDoubleLE(200, 16)));
      expect(() => read(fewer)).toThrow('corrupt .pgtrace: the chunks hold more records than the header\'s 200');
      const more = write('m.pgtrace', withHeader(bytes, (h) => h.writeDoubleLE(265, 16)));
      expect(() => read(more)).toThrow('corrupt .pgtrace: the chunks hold 264 records, the header says 265');
      const noTable = write('t.pgtrace', bytes.subarray(0, bytes.length - 4 - 9 * 8 - 12));
      expect(() => read(noTable)).toThrow('truncated .pgtrace: no page table after the chunks');
      const cutTable = write('c.pgtrace', bytes.subarray(0, bytes.length - 3));
      expect(() => read(cutTable)).toThrow('truncated .pgtrace: the page table ends past the end of the file');
      const extra = write('e.pgtrace', Buffer.concat([bytes, Buffer.from('junk')]));
      expect(() => read(extra)).toThrow('corrupt .pgtrace: 4 bytes after the page table');
      expect(read(write('ok.pgtrace', bytes))).toBe(264);
    });

    it('a page id past the header\'s pages is refused (a corrupt payload with a matching chunk checksum)', async () => {
      const bytes = Buffer.from(await fixture());
      // the first record's delta becomes +100 (zigzag 200 = 0xc8 0x01 does not fit: use 9 -> zigzag 18)
      const payloadAt = 32 + 16;
      expect(bytes[payloadAt]).toBe(0); // first page id 0
      bytes[payloadAt] = 18; // page id 9, one past the last
      bytes.writeUInt32LE(crc32(bytes.subarray(payloadAt, payloadAt + bytes.readUInt32LE(32 + 4))), 32 + 8);
      const f = write('id.pgtrace', bytes);
      expect(() => read(f)).toThrow('corrupt .pgtrace: chunk 0 record 0 has page id 9, outside the 9 pages of the header');
    });

    it('reads v1 files (no header checksum, trailing bytes tolerated) with the same counts checked', async () => {
      const v1 = withHeader(await fixture(), (h) => {
        h.writeUInt16LE(1, 8);
        h.writeUInt32LE(0, 28);
      }, false);
      expect(new PgtraceReader(write('v1.pgtrace', v1)).info.version).toBe(1);
      expect(read(write('v1.pgtrace', v1))).toBe(264);
      expect(read(write('v1e.pgtrace', Buffer.concat([v1, Buffer.from('junk')])))).toBe(264);
      const lying = withHeader(v1, (h) => h.writeUInt32LE(1, 24), false);
      expect(() => read(write('v1p.pgtrace', lying))).toThrow('corrupt .pgtrace: the page table has 9 pages, the header 1');
    });
  });
});

describe('DAMON inputs', () => {
  it('tried_regions: 501 regions over 5,505,024 pages, nr_accesses sum 651', async () => {
    const d = await readDamon(path.join(FIXTURES, 'damon-sysfs/tried_regions-paddr-501.txt'));
    const r = d.snapshots[0]!.regions;
    expect(d.format).toBe('tried_regions');
    expect(r.length).toBe(501);
    expect(r.reduce((a, x) => a + x.nrAccesses, 0)).toBe(651);
    expect((r.at(-1)!.end - r[0]!.start) / 4096).toBe(5_505_024);
    const hot = r.filter((x) => x.nrAccesses > 0);
    expect(hot.length).toBe(344);
    expect(hot.reduce((a, x) => a + (x.end - x.start) / 4096, 0)).toBe(378_106);
    expect(Math.max(...r.map((x) => x.age))).toBe(185);
  });

  it('damon_aggregated: 20 snapshots grouped by nr_regions, nr_accesses sum 16', async () => {
    const d = await readDamon(path.join(FIXTURES, 'damon-tracepoint/perf-script-damon_aggregated-paddr.txt'));
    expect(d.format).toBe('damon_aggregated');
    expect(d.snapshots.map((s) => s.regions.length)).toEqual([12, 11, 12, 13, 13, 13, 12, 12, 11, 11, 13, 13, 15, 15, 14, 13, 15, 13, 12, 12]);
    expect(d.incomplete).toBe(0);
    expect(d.snapshots.flatMap((s) => s.regions).reduce((a, x) => a + x.nrAccesses, 0)).toBe(16);
    for (const s of d.snapshots) expect([s.regions[0]!.start, s.regions.at(-1)!.end]).toEqual([4_294_967_296, 26_843_545_600]);
    expect(d.snapshots[0]!.timeNs).toBe(370_921_852_000);
  });

  it('damo records, compressed and plain, with damo number encodings', async () => {
    const c = await readDamon(path.join(FIXTURES, 'damo/record-paddr-8snap.json_compressed'));
    expect(c.format).toBe('damo-json');
    expect(c.snapshots.map((s) => s.regions.length)).toEqual([41, 57, 56, 72, 85, 110, 135, 172]);
    expect(c.snapshots.map((s) => s.regions.reduce((a, x) => a + x.nrAccesses, 0))).toEqual([82, 115, 169, 235, 337, 514, 643, 800]);
    expect(c.aggrUs).toBe(100_000);
    expect(c.snapshots[0]!.timeNs).toBe(503_250_355_000);
    expect([c.snapshots[0]!.regions[0]!.start, c.snapshots[0]!.regions.at(-1)!.end]).toEqual([4096, 26_843_545_600]);
    const p = await readDamon(path.join(FIXTURES, 'damo/record-paddr-2snap.json'));
    expect(p.snapshots.flatMap((s) => s.regions).length).toBe(98);
    expect(p.snapshots.flatMap((s) => s.regions).reduce((a, x) => a + x.nrAccesses, 0)).toBe(197);
  });

  it('drives the store with region heat and reports what would be promoted', async () => {
    const d = await readDamon(path.join(FIXTURES, 'damon-sysfs/tried_regions-paddr-501.txt'));
    const report = await replayDamon(d, { tunables: { freq_threshold: 1 } });
    expect(report).toMatchObject({ snapshots: 1, regions: 501, hotRegions: 344, reportedPages: 378_106, recorded: 378_106 });
    expect(report.promoted.pages).toBe(378_106);
  });

  it('names a malformed line', async () => {
    const file = write('t.txt', 'start=1 end=2 nr_accesses=0 age=1\nstart=x\n');
    await expect(readDamon(file)).rejects.toThrow(`${file}:2: not a tried_regions line (start= end= nr_accesses= age=): "start=x"`);
  });
});

describe('DAMON readers refuse what the tools never wrote, by name', () => {
  const tp = (time: string, region: string, nr = 1, tail = ' 0') => `       kdamond.0  9527 [001]   ${time}: damon:damon_aggregated: target_id=0 nr_regions=${nr} ${region}: 1${tail}\n`;
  const refusal = async (content: string | Buffer) => {
    const f = write('d.in', content);
    try {
      await readDamon(f);
    } catch (e) {
      return (e as Error).message.slice(f.length + 1).replace(/^ /, '');
    }
    return 'read';
  };

  it('tracepoint text: time going backwards, nr_regions=0, a snapshot changing its count; the age field optional', async () => {
    expect(await refusal(tp('371.0', '4096-8192') + tp('370.5', '4096-8192'))).toBe(`2: time goes backwards: ${JSON.stringify(tp('370.5', '4096-8192').slice(0, -1))}`);
    expect(await refusal(tp('371.0', '4096-8192', 0))).toMatch(/^1: nr_regions=0 with a region on the line: /);
    expect(await refusal(tp('371.0', '4096-8192', 2) + tp('371.0', '8192-12288', 3))).toMatch(/^2: nr_regions changes inside a snapshot of 2 regions: /);
    expect(await refusal(tp('371.0', '8192-4096'))).toMatch(/^1: region start 8192 is not below its end 4096: /);
    expect(await refusal(tp('371.0', '0-4503599627370497'))).toMatch(/^1: region beyond the 52-bit physical address space: /);
    const old = await readDamon(write('old.txt', tp('371.0', '4096-8192', 1, '') + tp('371.1', '4096-8192', 1, '')));
    expect(old).toMatchObject({ format: 'damon_aggregated', incomplete: 0 });
    expect(old.snapshots.map((s) => s.regions)).toEqual([[{ start: 4096, end: 8192, nrAccesses: 1, age: 0 }], [{ start: 4096, end: 8192, nrAccesses: 1, age: 0 }]]);
    expect(await refusal(tp('371.0', '4096-8192', 2))).toBe('no DAMON regions in this damon_aggregated input (its one snapshot is incomplete: fewer lines than nr_regions)');
  });

  it('damo JSON: a record without snapshots, regions that are not a list or not objects, time going backwards; plain-number fields of older damo', async () => {
    const rec = (snapshots: unknown) => JSON.stringify([{ snapshots }]);
    expect(await refusal('[{"x": 1}]')).toBe('damo record 0 without "snapshots"');
    expect(await refusal(rec([{ start_time: 1, regions: 5 }]))).toBe('record 0, snapshot 0: "regions" is not a list');
    expect(await refusal(rec([{ start_time: 1, regions: [7] }]))).toBe('record 0, snapshot 0, region 0: not an object');
    const r = { start: 4096, end: 8192, nr_accesses: 2, age: 3 };
    expect(await refusal(rec([{ start_time: 5, regions: [r] }, { start_time: 4, regions: [r] }]))).toBe('record 0, snapshot 1: start_time 4 goes backwards');
    expect(await refusal('{not json\n at all')).toMatch(/^not valid damo JSON: [^\n]*$/);
    const older = await readDamon(write('older.json', rec([{ start_time: '1,000', regions: [r] }])));
    expect(older).toMatchObject({ format: 'damo-json', snapshots: [{ timeNs: 1000, regions: [{ start: 4096, end: 8192, nrAccesses: 2, age: 3 }] }] });
  });

  it("damo's binary record: versions 0, 1 and 2, a truncated one, and a version damo never wrote", async () => {
    const snapshot = (idBytes: number, regions: [bigint, bigint, number][]) => {
      const b = Buffer.alloc(20 + idBytes + 4 + 20 * regions.length);
      b.writeBigInt64LE(370n, 0);
      b.writeBigInt64LE(5n, 8);
      b.writeUInt32LE(1, 16);
      b.writeUInt32LE(regions.length, 20 + idBytes);
      regions.forEach(([s, e, n], k) => {
        b.writeBigUInt64LE(s, 24 + idBytes + 20 * k);
        b.writeBigUInt64LE(e, 32 + idBytes + 20 * k);
        b.writeUInt32LE(n, 40 + idBytes + 20 * k);
      });
      return b;
    };
    const mark = (v: number) => Buffer.concat([Buffer.from('damon_recfmt_ver', 'latin1'), Buffer.from(Int32Array.of(v).buffer)]);
    const region: [bigint, bigint, number] = [4096n, 12288n, 4];
    const want = { format: 'damo-record', snapshots: [{ timeNs: 370_000_000_005, regions: [{ start: 4096, end: 12288, nrAccesses: 4, age: 0 }] }] };
    expect(await readDamon(write('v0', snapshot(8, [region])))).toMatchObject(want);
    expect(await readDamon(write('v1', Buffer.concat([mark(1), snapshot(4, [region])])))).toMatchObject(want);
    expect(await readDamon(write('v2', Buffer.concat([mark(2), snapshot(8, [region])])))).toMatchObject(want);
    const v2 = Buffer.concat([mark(2), snapshot(8, [region])]);
    expect(await refusal(v2.subarray(0, v2.length - 3))).toBe('damo record (format version 2): truncated in 1 regions at byte 52');
    expect(await refusal(Buffer.concat([mark(3), snapshot(8, [region])]))).toBe('damo record format version 3 is not one damo wrote (1 or 2); read as a damo binary record');
    expect(await refusal(Buffer.concat([mark(2), snapshot(8, [[0n, 1n << 60n, 1]])]))).toBe('damo record: region at byte 52: region beyond the 52-bit physical address space');
  });

  it('a replay walks a hot region only within the topology and counts the rest', async () => {
    const input = await readDamon(write('r.txt', 'start=4294967296 end=4294983680 nr_accesses=1 age=0\nstart=8589934592 end=8590000128 nr_accesses=2 age=0\n'));
    const topology = { nodes: [{ id: 0, startPfn: 0, pages: 1 << 20, tier: 0, cpus: [0] }, { id: 1, startPfn: 1 << 20, pages: 2, tier: 1 }] };
    const report = await replayDamon(input, { topology, tunables: { freq_threshold: 1 } });
    expect(report).toMatchObject({ hotRegions: 2, reportedPages: 2, outsidePages: 2 + 16, recorded: 2 });
  });
});
