/**
 * `pnpm bench` (compare part): the default comparison (`pghot compare`, 10 configurations and the
 * no-promotion baseline) one after the other (--jobs 1) and on a worker thread per core (the
 * default), side by side in one run, each through the built CLI as a user runs it. The outputs must be
 * the same bytes; the ratio is the speed-up. PGHOT_BENCH_COMPARE=0 skips it (about 4 minutes on 2 cores).
 */
import { execFileSync } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { summarize } from './summary.js';

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

console.log(`default comparison: ${cores} cores, load average ${loadavg()[0]!.toFixed(2)} at the start`);
const serial = compare(1);
const parallel = compare(cores);
if (parallel.out !== serial.out) throw new Error('compare --jobs: the output differs from the serial run');
console.log(`  --jobs 1        ${serial.seconds.toFixed(1)} s`);
console.log(`  --jobs ${cores}        ${parallel.seconds.toFixed(1)} s   (same bytes)`);
console.log(`  speed-up        ${(serial.seconds / parallel.seconds).toFixed(2)}x   (bar: 1.7x on 2 cores)`);
summarize({ what: `default comparison, --jobs ${cores} against --jobs 1`, ts: parallel.seconds, c: serial.seconds, unit: 's', bar: 1.7, against: '--jobs 1', lowerIsBetter: true });
