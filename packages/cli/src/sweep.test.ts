import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { runTestCli, SMALL_SWEEP, sweepProject } from './test-cli.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const project = () => sweepProject('pghot-sweep-');

describe('pghot sweep', () => {
  let dir: string;
  let full: string;
  beforeAll(async () => {
    dir = project();
    const r = await runTestCli(['sweep', 'grid.yaml', '--jobs', '2', '--format', 'json'], { cwd: dir });
    expect(r.stderr).toBe('pghot sweep: 4 runs in grid.results.jsonl (4 run now, 0 from before)\n');
    expect(r.code).toBe(0);
    full = readFileSync(path.join(dir, 'grid.results.jsonl'), 'utf8');
  }, 120_000);

  it('writes one JSON line per run of the grid, in grid order, and summarizes it', async () => {
    const lines = full.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.index, l.report.name])).toEqual([
      [0, 'pghot freq_threshold=1'],
      [1, 'pghot freq_threshold=2'],
      [2, 'numab2 freq_threshold=1'],
      [3, 'numab2 freq_threshold=2'],
    ]);
    expect(lines.every((l) => l.kind === 'sweep-run' && l.report.tunables.freq_threshold === l.run.tunables.freq_threshold)).toBe(true);
    const summary = JSON.parse((await runTestCli(['sweep', 'grid.yaml', '--resume', '--format', 'json'], { cwd: dir })).stdout);
    const hit = (i: number) => lines[i].report.fastTierHitRatio as number;
    const mean = (a: number, b: number) => Number(((a + b) / 2).toFixed(6));
    expect(summary.sensitivity).toEqual([
      {
        tunable: 'freq_threshold',
        means: [
          { value: 1, hitRatio: mean(hit(0), hit(2)), runs: 2 },
          { value: 2, hitRatio: mean(hit(1), hit(3)), runs: 2 },
        ],
        range: Number(Math.abs(mean(hit(0), hit(2)) - mean(hit(1), hit(3))).toFixed(6)),
      },
    ]);
    const fastest = [...lines].sort((a, b) => a.report.estimatedTimeNs - b.report.estimatedTimeNs || a.report.name.localeCompare(b.report.name))[0];
    // long enough for the settings to matter: pghot's two thresholds differ
    expect(lines[0].report.estimatedTimeNs).not.toBe(lines[1].report.estimatedTimeNs);
    expect(summary.best).toEqual([{ scenario: 'dram+cxl / phase-shift', best: fastest.report.name, timeMs: Number((fastest.report.estimatedTimeNs / 1e6).toFixed(1)), hitRatio: fastest.report.fastTierHitRatio, configurations: 4 }]);
    // --resume with everything done runs nothing and leaves the same bytes
    expect(readFileSync(path.join(dir, 'grid.results.jsonl'), 'utf8')).toBe(full);
  }, 60_000);

  it('gives the same bytes on one thread, and pghot report draws the results', async () => {
    const r = await runTestCli(['sweep', 'grid.yaml', '-o', 'serial.jsonl', '--jobs', '1'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(readFileSync(path.join(dir, 'serial.jsonl'), 'utf8')).toBe(full);
    const report = await runTestCli(['report', 'serial.jsonl', '-o', 'sweep.html'], { cwd: dir });
    expect([report.code, report.stderr]).toEqual([0, 'pghot: report written to sweep.html (37 charts)\n']);
    // the summary the sweep printed, on the page: the best configuration, and the hit ratio by freq_threshold
    const summary = JSON.parse((await runTestCli(['sweep', 'grid.yaml', '--resume', '-o', 'serial.jsonl', '--format', 'json'], { cwd: dir })).stdout);
    const html = readFileSync(path.join(dir, 'sweep.html'), 'utf8');
    const b = summary.best[0];
    expect(html).toContain(`<h2>sweep: serial.jsonl</h2>`);
    expect(html).toContain(`<tr><td>dram+cxl / phase-shift</td><td>${b.best}</td><td class="num">${b.timeMs}</td><td>${(b.hitRatio * 100).toFixed(1)} %</td><td class="num">4</td></tr>`);
    const [m1, m2] = summary.sensitivity[0].means;
    expect(html).toContain(`<tr><td>freq_threshold</td><td>1: ${(m1.hitRatio * 100).toFixed(1)} % (2 runs), 2: ${(m2.hitRatio * 100).toFixed(1)} % (2 runs)</td>`);
    expect(html).toContain('<div class="chart" id="chart-sweep-serial-freq-threshold" data-kind="line" data-series="3"');
  }, 120_000);

  it('several scenarios on one pool of threads: each run gets its own scenario\'s baseline, the same bytes as one after the other', async () => {
    const here = project();
    // four workloads of different lengths: four scenarios, four different baselines
    const sizes = [2_000_000, 2_500_000, 3_000_000, 3_500_000];
    const workloads = sizes.map((n) => `  - name: phase-shift\n    params: { accessesPerThread: ${n}, periodS: 0.5, footprintMiB: 64 }\n`).join('');
    writeFileSync(path.join(here, 'multi.yaml'), `workloads:\n${workloads}policies: [pghot, numab2]\n`);
    const parallel = await runTestCli(['sweep', 'multi.yaml', '-o', 'parallel.jsonl', '--jobs', '3'], { cwd: here });
    const serial = await runTestCli(['sweep', 'multi.yaml', '-o', 'serial.jsonl', '--jobs', '1'], { cwd: here });
    expect([parallel.code, serial.code]).toEqual([0, 0]);
    const text = readFileSync(path.join(here, 'parallel.jsonl'), 'utf8');
    expect(text).toBe(readFileSync(path.join(here, 'serial.jsonl'), 'utf8'));
    const lines = text.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.run.workload.params.accessesPerThread, l.run.policy])).toEqual(sizes.flatMap((n) => [[n, 'pghot'], [n, 'numab2']]));
    // each scenario's own baseline, shared by its two runs
    const baselines = lines.map((l) => l.report.oracles.noPromotion.estimatedTimeNs);
    expect(new Set(baselines).size).toBe(4);
    for (let i = 0; i < 8; i += 2) expect(baselines[i + 1]).toBe(baselines[i]);
  }, 180_000);

  it('killed mid-sweep (SIGKILL), --resume redoes nothing that finished and ends with the same bytes', async () => {
    const here = project();
    const results = path.join(here, 'grid.results.jsonl');
    // from the repository (where tsx resolves), on the project's files
    const cli = ['--conditions=@pghot/source', '--import', 'tsx', path.join(ROOT, 'packages/cli/src/cli.ts')];
    const child = spawn(process.execPath, [...cli, 'sweep', path.join(here, 'grid.yaml'), '-o', results, '--jobs', '1'], { cwd: ROOT, stdio: 'ignore' });
    // kill it once the first run is in the file
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (existsSync(results) && readFileSync(results, 'utf8').includes('\n')) {
          clearInterval(timer);
          child.kill('SIGKILL');
          resolve();
        }
      }, 20);
      child.once('exit', () => {
        clearInterval(timer);
        reject(new Error('the sweep ended before it was killed'));
      });
    });
    await new Promise((resolve) => child.once('exit', resolve));
    const before = readFileSync(results, 'utf8');
    const done = before.split('\n').length - 1;
    expect(done).toBeGreaterThanOrEqual(1);
    expect(done).toBeLessThan(4);
    // a run cut off mid-write: a line without its end
    writeFileSync(results, `${before}{"kind":"sweep-run","id":"[\\"cut`);
    const again = await runTestCli(['sweep', 'grid.yaml', '--resume', '--jobs', '2'], { cwd: here });
    expect(again.code).toBe(0);
    expect(again.stderr).toBe(`pghot sweep: ${done} of 4 runs already in ${results}: not run again\npghot sweep: 4 runs in grid.results.jsonl (${4 - done} run now, ${done} from before)\n`);
    expect(readFileSync(results, 'utf8')).toBe(full);
  }, 120_000);

  it('refuses a bad sweep file, another sweep\'s results, and overwriting results without --resume (exit 2)', async () => {
    const here = project();
    writeFileSync(path.join(here, 'bad.yaml'), 'tunables:\n  freq_treshold: [1]\n');
    writeFileSync(path.join(here, 'other.yaml'), SMALL_SWEEP.replace('[1, 2]', '[3]'));
    writeFileSync(path.join(here, 'grid.results.jsonl'), full);
    const cases: [string[], string][] = [
      [['sweep', 'bad.yaml'], `pghot: ${here}/bad.yaml: tunables.freq_treshold: unknown tunable (enabled_sources, target_nid, freq_threshold, promote_freq_window_ms, kmigrated_sleep_ms, kmigrated_batch_nr, promote_rate_limit_MBps)\n`],
      [['sweep', 'grid.yaml'], `pghot: ${here}/grid.results.jsonl exists: --resume to go on with it, or another --output\n`],
      [['sweep', 'other.yaml', '-o', 'grid.results.jsonl', '--resume'], `pghot: ${here}/grid.results.jsonl:1: a run this sweep file does not have (pghot freq_threshold=1): the results are another sweep's\n`],
    ];
    for (const [argv, stderr] of cases) {
      const r = await runTestCli(argv, { cwd: here });
      expect([r.code, r.stderr], argv.join(' ')).toEqual([2, stderr]);
    }
    expect(readFileSync(path.join(here, 'grid.results.jsonl'), 'utf8')).toBe(full);
  }, 60_000);
});
