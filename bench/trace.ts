/**
 * `pnpm bench` (trace part): lackey ingest (lines/s) against bench/ref/lackey_ref.c on the same
 * file, and .pgtrace decoding of the same accesses. The file is synthetic but shaped like real
 * lackey output (75 % I lines, 8-10 hex digit addresses), PGHOT_BENCH_LINES lines (default 10 M).
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { lackeyToPgtrace, PgtraceReader, readLackey } from '@pghot/trace';
import { alternate, runReference, summarize } from './summary.js';

const LINES = Number(process.env.PGHOT_BENCH_LINES ?? 10_000_000);
const dir = mkdtempSync(path.join(tmpdir(), 'pghot-bench-trace-'));
const file = path.join(dir, 'synthetic.lackey');

// a deterministic mix: instruction fetches in a code range, loads/stores on heap and stack pages
let x = 2463534242;
const rnd = () => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), (x >>> 0) / 4294967296);
const parts: string[] = [];
let chunk = '';
for (let i = 0; i < LINES; i++) {
  const r = rnd();
  if (r < 0.75) chunk += `I  ${(0x108000 + Math.floor(rnd() * 0x40000)).toString(16).padStart(8, '0')},${1 + Math.floor(rnd() * 10)}\n`;
  else {
    const stack = rnd() < 0.4;
    const addr = stack ? 0x1ffefff000 + Math.floor(rnd() * 0x2000) : 0x4000000 + Math.floor(rnd() * 0x800000);
    chunk += ` ${r < 0.92 ? 'L' : r < 0.995 ? 'S' : 'M'} ${addr.toString(16).padStart(8, '0')},${[1, 2, 4, 8, 8, 8, 16][Math.floor(rnd() * 7)]}\n`;
  }
  if (chunk.length > 1 << 20) {
    parts.push(chunk);
    chunk = '';
  }
}
parts.push(chunk);
writeFileSync(file, parts.join(''));
const mb = statSync(file).size / 2 ** 20;
console.log(`trace ingest: ${LINES} lackey lines (${mb.toFixed(0)} MiB, synthetic, page cache warm)`);

// the same in every run: accesses/s follow from lines/s (the median run's, as the ratio's)
let accesses = 0;
let lines = 0;
const runs = Number(process.env.PGHOT_BENCH_RUNS ?? 5);
// alternating with the C parser: the VM's speed drifts
const m = await alternate(
  runs,
  async () => {
    let n = 0;
    const t0 = performance.now();
    const stats = await readLackey(file, (b) => void (n += b.length));
    const s = (performance.now() - t0) / 1000;
    accesses = n;
    lines = stats.lines;
    return stats.lines / s;
  },
  () => {
    const mlines = runReference('lackey_ref', [file], /Mlines\/s ([\d.]+)/);
    return mlines === null ? null : mlines * 1e6;
  },
);
const linesPerS = m.ts;
const accessesPerS = (linesPerS * accesses) / lines;
const ref = m.c;

const pg = path.join(dir, 'synthetic.pgtrace');
await lackeyToPgtrace(file, pg);
const reader = new PgtraceReader(pg);
const [vp, li, wr, sz] = [new Int32Array(65_536), new Uint8Array(65_536), new Uint8Array(65_536), new Uint16Array(65_536)];
const t = performance.now();
let decoded = 0;
for (let n = reader.next(vp, li, wr, sz); n > 0; n = reader.next(vp, li, wr, sz)) decoded += n;
const pgS = (performance.now() - t) / 1000;
reader.close();

console.log('input      M lines/s  M accesses/s  C ref M lines/s  TS/C');
console.log(`lackey     ${(linesPerS / 1e6).toFixed(1).padStart(9)}  ${(accessesPerS / 1e6).toFixed(1).padStart(12)}  ${ref !== null ? (ref / 1e6).toFixed(1).padStart(15) : '            n/a'}  ${m.ratio !== null ? `${m.ratio.toFixed(2)} (pairs: ${m.ratios.map((r) => r.toFixed(2)).join(' ')})` : 'n/a'}`);
console.log(`.pgtrace   ${'-'.padStart(9)}  ${(decoded / pgS / 1e6).toFixed(1).padStart(12)}  (${(statSync(pg).size / 2 ** 20).toFixed(1)} MiB: ${(decoded / pgS / accessesPerS).toFixed(1)}x the accesses/s of the text)`);
summarize({ what: `lackey ingest, ${LINES / 1e6} M lines`, ts: linesPerS / 1e6, c: ref !== null ? ref / 1e6 : null, unit: 'M lines/s', bar: 0.6, ...(m.ratio !== null ? { ratio: m.ratio } : {}) });
rmSync(dir, { recursive: true, force: true });
