/**
 * `pnpm bench`: every measure of issue #15 in one run, each against its reference measured beside it
 * (the C loops of bench/ref/, compiled here with gcc -O2), then one table of the ratios. Each part runs
 * in a process of its own (its memory is its own). Parts: PGHOT_BENCH_PARTS=record,record-1t,trace,sim,compare
 * (default all; compare takes about 5 minutes on 2 cores). PGHOT_BENCH_CPU: the core the other parts run on.
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
function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// The single-threaded parts run pinned to one core, with the C loops they start: on a VM the cores
// can differ by tens of percent in memory-bound speed (this project's measured 1.9x between its two
// for a while), and a ratio must not compare ours on one core with C on another. The last core by
// default: core 0 takes most interrupts. PGHOT_BENCH_CPU picks another; `none` pins nothing.
const cpu = process.env.PGHOT_BENCH_CPU ?? String(availableParallelism() - 1);
const pin = cpu !== 'none' && hasTaskset() ? ['taskset', '-c', cpu] : [];
console.log(pin.length > 0 ? `record, trace and sim parts pinned to cpu ${cpu} (taskset); compare uses every core` : 'no core pinning (PGHOT_BENCH_CPU=none, or no taskset)');
const run = (script: string, env: Record<string, string> = {}, pinned = true) => {
  console.log('');
  const [cmd, ...args] = [...(pinned ? pin : []), process.execPath, '--conditions=@pghot/source', '--import', 'tsx', '--max-old-space-size=12288', path.join(here, script)];
  execFileSync(cmd!, args, {
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
  if (parts.includes('compare')) run('compare.ts', {}, false);
  console.log(`\nall measures side by side (load average ${loadavg()[0]!.toFixed(2)} at the end)\n`);
  console.log(table(readRows(summary)));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
