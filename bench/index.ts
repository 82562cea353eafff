/**
 * `pnpm bench`: every measure of issue #15 in one run, each against its reference measured beside it
 * (the C loops of bench/ref/, compiled here with gcc -O2), then one table of the ratios. Each part runs
 * in a process of its own (its memory is its own). Parts: PGHOT_BENCH_PARTS=record,record-1t,trace,sim,compare
 * (default all; compare takes about 5 minutes on 2 cores).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readRows, table } from './summary.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), 'pghot-bench-'));
const summary = path.join(dir, 'summary.jsonl');
const parts = (process.env.PGHOT_BENCH_PARTS ?? 'record,record-1t,trace,sim,compare').split(',');

console.log(`pghot bench: ${availableParallelism()} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.versions.node}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} at the start`);
const run = (script: string, env: Record<string, string> = {}) => {
  console.log('');
  execFileSync(process.execPath, ['--conditions=@pghot/source', '--import', 'tsx', '--max-old-space-size=12288', path.join(here, script)], {
    cwd: path.join(here, '..'),
    stdio: 'inherit',
    env: { ...process.env, PGHOT_BENCH_SUMMARY: summary, ...env },
  });
};
try {
  if (parts.includes('record')) run('record.ts');
  // 268,435,456 lower-tier pages: 1 TiB of CXL
  if (parts.includes('record-1t')) run('record.ts', { PGHOT_BENCH_PAGES: String(2 ** 28), PGHOT_BENCH_RUNS: process.env.PGHOT_BENCH_RUNS ?? '3', PGHOT_BENCH_F64: '0' });
  if (parts.includes('trace')) run('trace.ts');
  if (parts.includes('sim')) run('sim.ts');
  if (parts.includes('compare')) run('compare.ts');
  console.log(`\nall measures side by side (load average ${loadavg()[0]!.toFixed(2)} at the end)\n`);
  console.log(table(readRows(summary)));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
