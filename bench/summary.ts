// The bench parts each add rows here (PGHOT_BENCH_SUMMARY, a JSON-lines file); bench/index.ts prints them side by side.
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface BenchRow {
  what: string;
  /** Ours, in `unit`. */
  ts: number;
  /** What it is measured against (the C loop, unless `against` says otherwise); null when it could not run. */
  c: number | null;
  unit: string;
  /** The ratio ts / c the issue asks for. */
  bar: number;
  against?: string;
  /** A measure with no C counterpart (bytes per page): lower is better, the bar is a ceiling. */
  ceiling?: boolean;
  /** Times (s): the ratio is `c / ts`, a speed-up. */
  lowerIsBetter?: boolean;
  /** The median of the ratios of runs made in pairs (see alternate); without it, the ratio of ts and c. */
  ratio?: number;
}

const compiled = new Map<string, string | null>();
let binDir: string | undefined;
/** Where this process compiles the C loops; removed when it exits. */
function binaries(): string {
  if (binDir === undefined) {
    const dir = (binDir = mkdtempSync(path.join(tmpdir(), 'pghot-bench-')));
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return binDir;
}

/** bench/ref/NAME.c compiled once per process with gcc -O2: the binary's path, or null without gcc. */
function referenceBinary(name: string): string | null {
  if (!compiled.has(name)) {
    const bin = path.join(binaries(), name);
    const src = path.join(path.dirname(fileURLToPath(import.meta.url)), 'ref', `${name}.c`);
    try {
      execFileSync('gcc', ['-O2', '-o', bin, src], { stdio: 'ignore' });
      compiled.set(name, bin);
    } catch {
      compiled.set(name, null);
    }
  }
  return compiled.get(name)!;
}

/** bench/ref/NAME.c run with `args`: the number `figure` captures in its output, or null without gcc. */
export function runReference(name: string, args: readonly string[], figure: RegExp): number | null {
  const bin = referenceBinary(name);
  if (!bin) return null;
  return Number(figure.exec(execFileSync(bin, args, { encoding: 'utf8' }))?.[1] ?? NaN);
}

export const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * Ours and the reference `runs` times each, one right after the other: this VM's speed drifts by
 * tens of percent over seconds to minutes, so each pair sees about the same machine. Gives the
 * medians and the median of the pairs' ratios (ours / reference; null without a reference).
 */
export async function alternate(
  runs: number,
  ours: () => number | Promise<number>,
  reference: () => number | null,
): Promise<{ ts: number; c: number | null; ratio: number | null; ratios: number[] }> {
  const ts: number[] = [];
  const c: number[] = [];
  for (let i = 0; i < runs; i++) {
    // ours first in even pairs, the reference first in odd ones: whichever runs second in a pair
    // finds caches, page tables and the VM's clock as the first left them
    const r = i % 2 === 1 ? reference() : null;
    ts.push(await ours());
    const ref = i % 2 === 1 ? r : reference();
    if (ref !== null && Number.isFinite(ref)) c.push(ref);
  }
  const ratios = c.length === ts.length ? ts.map((t, i) => t / c[i]!) : [];
  return { ts: median(ts), c: ratios.length ? median(c) : null, ratio: ratios.length ? median(ratios) : null, ratios };
}

export function summarize(row: BenchRow): void {
  const file = process.env.PGHOT_BENCH_SUMMARY;
  if (file) appendFileSync(file, `${JSON.stringify(row)}\n`);
}

export function readRows(file: string): BenchRow[] {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as BenchRow);
}

/** A ratio to two decimals, or three where two would round it onto its bar (0.949 is not met). */
function ratioText(ratio: number, bar: number): string {
  return ratio.toFixed(2) === bar.toFixed(2) && ratio !== bar ? ratio.toFixed(3) : ratio.toFixed(2);
}

/** The table: each measure, ours, its reference, the ratio, the bar and whether it is met. */
export function table(rows: readonly BenchRow[]): string {
  const lines = rows.map((r) => {
    if (r.ceiling) return [r.what, `${r.ts.toFixed(1)} ${r.unit}`, '', '', `≤ ${r.bar}`, r.ts <= r.bar ? 'met' : 'NOT met'];
    const ratio = r.c === null ? null : (r.ratio ?? (r.lowerIsBetter ? r.c / r.ts : r.ts / r.c));
    return [
      r.what,
      `${r.ts.toFixed(r.ts < 10 ? 2 : 1)} ${r.unit}`,
      r.c === null ? 'n/a (no gcc)' : `${r.c.toFixed(r.c < 10 ? 2 : 1)} ${r.unit}${r.against ? ` (${r.against})` : ' (C)'}`,
      ratio === null ? 'n/a' : `${ratioText(ratio, r.bar)}×`,
      `≥ ${r.bar}×`,
      ratio === null ? '?' : ratio >= r.bar ? 'met' : 'NOT met',
    ];
  });
  const head = ['measure', 'pghot', 'against', 'ratio', 'bar', ''];
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  return [head, ...lines].map((l) => l.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}
