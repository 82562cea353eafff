// The bench parts each add rows here (PGHOT_BENCH_SUMMARY, a JSON-lines file); bench/index.ts prints them side by side.
import { appendFileSync, readFileSync } from 'node:fs';

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

/** The table: each measure, ours, its reference, the ratio, the bar and whether it is met. */
export function table(rows: readonly BenchRow[]): string {
  const lines = rows.map((r) => {
    if (r.ceiling) return [r.what, `${r.ts.toFixed(1)} ${r.unit}`, '', '', `≤ ${r.bar}`, r.ts <= r.bar ? 'met' : 'NOT met'];
    const ratio = r.c === null ? null : r.lowerIsBetter ? r.c / r.ts : r.ts / r.c;
    return [
      r.what,
      `${r.ts.toFixed(r.ts < 10 ? 2 : 1)} ${r.unit}`,
      r.c === null ? 'n/a (no gcc)' : `${r.c.toFixed(r.c < 10 ? 2 : 1)} ${r.unit}${r.against ? ` (${r.against})` : ' (C)'}`,
      ratio === null ? 'n/a' : `${ratio.toFixed(2)}×`,
      `≥ ${r.bar}×`,
      ratio === null ? '?' : ratio >= r.bar ? 'met' : 'NOT met',
    ];
  });
  const head = ['measure', 'pghot', 'against', 'ratio', 'bar', ''];
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  return [head, ...lines].map((l) => l.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}
