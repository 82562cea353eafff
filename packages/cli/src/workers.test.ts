import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunTimes } from './commands/run-times.js';
import { BASELINE_LABEL, configFromName, resolveScenario, runConfigs } from './commands/simulate.js';
import { runGroupsOnWorkers, simTask } from './commands/workers.js';
import { runTestCli } from './test-cli.js';

const SMALL_SETS = ['workload.accessesPerThread=3000000', 'workload.periodS=0.3', 'workload.footprintMiB=96'];
const SMALL = ['--workload', 'phase-shift', ...SMALL_SETS.flatMap((s) => ['--set', s])];

describe('--jobs: configurations on worker threads', () => {
  it('gives the same bytes as one after the other, JSON and HTML, from built-ins and config files alike', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pghot-jobs-'));
    writeFileSync(path.join(dir, 'package.json'), '{"name":"p","type":"module"}');
    writeFileSync(path.join(dir, 'tuned.yaml'), 'name: tuned\nmode: precision\ntunables:\n  freq_threshold: 3\n');
    const argv = (jobs: string, html: string) => ['compare', ...SMALL, '--config', 'tuned.yaml', '--policies', 'pghot,numab2,hemem', '--format', 'json', '--jobs', jobs, '--html', html];
    const serial = await runTestCli(argv('1', 'serial.html'), { cwd: dir });
    const parallel = await runTestCli(argv('3', 'parallel.html'), { cwd: dir, stderrIsTTY: true });
    expect([serial.code, parallel.code]).toEqual([0, 0]);
    expect(parallel.stdout).toBe(serial.stdout);
    // on a terminal, a progress line per run going on: a second line in a frame means two at once
    expect(parallel.stderr).toMatch(/\(\d done\)  ETA [^\n\r]*\n\d\/5 (tuned|pghot|numab2|hemem|no-promotion baseline)  \d+ %/);
    expect(JSON.parse(parallel.stdout).map((r: { name: string }) => r.name)).toEqual(['tuned', 'pghot', 'numab2', 'hemem']);
    expect(readFileSync(path.join(dir, 'parallel.html'), 'utf8')).toBe(readFileSync(path.join(dir, 'serial.html'), 'utf8'));
    // PGHOT_JOBS is the default
    const env = await runTestCli(['compare', ...SMALL, '--policies', 'pghot', '--format', 'json'], { cwd: dir, env: { PGHOT_JOBS: '2' } });
    expect(env.stdout).toBe((await runTestCli(['compare', ...SMALL, '--policies', 'pghot', '--format', 'json', '--jobs', '1'], { cwd: dir })).stdout);
  }, 180_000);

  it('hands the tasks out strictly in the given order, the baseline last (compare)', async () => {
    // one thread: the order the tasks finish in is the order they were handed out; piscina's default
    // puts a task it cannot place yet at the back of the queue, which would turn it round
    const cwd = mkdtempSync(path.join(tmpdir(), 'pghot-jobs-'));
    const scenario = resolveScenario({ workload: 'phase-shift', set: SMALL_SETS }, {}, null);
    const names = ['pghot', 'numab2', 'hemem', 'numab0'];
    const configs = await Promise.all(names.map(async (name) => ({ ...(await configFromName(name, cwd, {})), recipe: { from: { name }, cwd, overrides: {}, sources: undefined } })));
    const finished: string[] = [];
    const [reports] = await runGroupsOnWorkers([{ scenario, configs }], 1, (_index, _total, label, fraction) => {
      if (fraction === 1) finished.push(label);
    });
    expect(finished).toEqual([...names, 'no-promotion baseline']);
    expect(reports!.map((r) => r.name)).toEqual(names);
  }, 120_000);

  it('with the times of an earlier run (even a serial one), starts the longest first; the results keep their order', async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'pghot-jobs-'));
    const scenario = resolveScenario({ workload: 'phase-shift', set: SMALL_SETS }, {}, null);
    const names = ['numab0', 'hemem', 'pghot'];
    const configs = await Promise.all(names.map(async (name) => ({ ...(await configFromName(name, cwd, {})), recipe: { from: { name }, cwd, overrides: {}, sources: undefined } })));
    const times = RunTimes.open({ XDG_CACHE_HOME: mkdtempSync(path.join(tmpdir(), 'pghot-cache-')) });
    const serial = await runConfigs(scenario, configs, undefined, 1, undefined, times);
    // the keys a worker thread's runs have: the serial run timed every one of them
    const keyOf = (c: (typeof configs)[number] | null) => RunTimes.keyOf(simTask(scenario, c));
    for (const c of [null, ...configs]) expect(times.get(keyOf(c)), c?.name ?? BASELINE_LABEL).toBeGreaterThan(0);
    // times that turn the given order round: the baseline longest, then pghot, numab0, hemem
    [null, configs[2]!, configs[0]!, configs[1]!].forEach((c, i) => times.set(keyOf(c), 1e9 * (4 - i)));
    // one thread: the order the runs finish in is the order they started in
    const finished: string[] = [];
    const [reports] = await runGroupsOnWorkers([{ scenario, configs }], 1, (_index, _total, label, fraction) => {
      if (fraction === 1) finished.push(label);
    }, times);
    expect(finished).toEqual([BASELINE_LABEL, 'pghot', 'numab0', 'hemem']);
    expect(reports).toEqual(serial);
  }, 120_000);

  it('an error in a worker keeps its exit code and its one line', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pghot-jobs-'));
    writeFileSync(path.join(dir, 'package.json'), '{"name":"p","type":"module"}');
    // fits the check before the run (the footprint), not the machine once running: out of memory on a bound node
    const r = await runTestCli(['compare', ...SMALL, '--placement', 'bind:0', '--policies', 'pghot', '--jobs', '2'], { cwd: dir });
    expect(r.stderr).toBe('pghot: out of memory: node 0 (bind) is full (workload "phase-shift")\n');
    expect(r.code).toBe(1);
  }, 60_000);
});
