/**
 * `pnpm bench` (compare part): the default comparison (`pghot compare`, 10 configurations and the
 * no-promotion baseline) one after the other (--jobs 1) and on a worker thread per core (the
 * default), side by side in one run, each through the built CLI as a user runs it. The outputs must be
 * the same bytes; the ratio is the speed-up. PGHOT_BENCH_COMPARE=0 skips it; PGHOT_BENCH_COMPARE_RUNS pairs (default 3, about 4 minutes on 2 cores).
 * As for a user, the runs' times are remembered (~/.cache/pghot/run-times.json), so the threads
 * start the longest runs first; the serial run's order does not change with them.
 */
import { execFile, execFileSync } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { median, summarize } from './summary.js';

if (process.env.PGHOT_BENCH_COMPARE === '0') process.exit(0);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// the built CLI, as users run it: from source, tsx in every worker thread makes the threads' speed vary
const cli = [path.join(root, 'packages/cli/dist/cli.js')];
execFileSync('pnpm', ['-s', 'build'], { cwd: root, stdio: 'ignore' });
const cores = availableParallelism();

function compare(jobs: number): { seconds: number; out: string } {
  const t = performance.now();
  const out = execFileSync(process.execPath, [...cli, 'compare', '--format', 'json', '--jobs', String(jobs)], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 30, env: { ...process.env, CI: 'true' } });
  return { seconds: (performance.now() - t) / 1000, out };
}

/**
 * What this machine allows: pghot's default configuration and its baseline (`pghot run
 * --jobs 1`) in one process alone, then in one process per core at once; the ceiling is the sum
 * of their speeds over the lone run's. On a VM the cores are seldom equal (a host core shared with
 * another guest, a shared cache): this says what two cores gave just then, beside the pair's ratio.
 */
async function ceiling(): Promise<string> {
  const run = async () => {
    const t = performance.now();
    await promisify(execFile)(process.execPath, [...cli, 'run', '--format', 'json', '--jobs', '1'], { cwd: root, maxBuffer: 1 << 30, env: { ...process.env, CI: 'true' } });
    return (performance.now() - t) / 1000;
  };
  const alone = await run();
  const together = await Promise.all(Array.from({ length: cores }, run));
  const sum = together.reduce((s, t) => s + alone / t, 0);
  return `${sum.toFixed(2)}x (alone ${alone.toFixed(1)} s; ${cores} at once ${together.map((t) => t.toFixed(1)).join(' s, ')} s)`;
}

// pairs, one right after the other: the VM's speed drifts by tens of percent over minutes
const runs = Number(process.env.PGHOT_BENCH_COMPARE_RUNS ?? 3);
console.log(`default comparison: ${cores} cores, load average ${loadavg()[0]!.toFixed(2)} at the start; ${runs} pairs of runs`);
const serial: number[] = [];
const parallel: number[] = [];
for (let i = 0; i < runs; i++) {
  // serial first in even pairs, parallel first in odd ones (see alternate())
  const p0 = i % 2 === 1 ? compare(cores) : null;
  const s = compare(1);
  const p = p0 ?? compare(cores);
  if (p.out !== s.out) throw new Error('compare --jobs: the output differs from the serial run');
  serial.push(s.seconds);
  parallel.push(p.seconds);
  console.log(`  --jobs 1  ${s.seconds.toFixed(1)} s   --jobs ${cores}  ${p.seconds.toFixed(1)} s   (same bytes)   speed-up ${(s.seconds / p.seconds).toFixed(2)}x`);
  console.log(`    one simulation per core at once against one alone: ${await ceiling()}: the machine's own speed-up just then`);
}
const ratio = median(serial.map((s, i) => s / parallel[i]!));
console.log(`  speed-up        ${ratio.toFixed(2)}x, the median of the pairs   (bar: 1.7x on 2 cores)`);
summarize({ what: `default comparison, --jobs ${cores} against --jobs 1`, ts: median(parallel), c: median(serial), unit: 's', bar: 1.7, against: '--jobs 1', lowerIsBetter: true, ratio });
