import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { RunReport } from '@pghot/sim';
import { runTestCli } from './test-cli.js';

const run = (argv: string[], opts: { cwd?: string; tty?: boolean } = {}) => runTestCli(argv, { ...(opts.cwd ? { cwd: opts.cwd } : {}), stdoutIsTTY: opts.tty ?? false });

function projectWith(file: string, content: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'pghot-cli-'));
  writeFileSync(path.join(dir, 'package.json'), '{"name":"p","type":"module"}');
  writeFileSync(path.join(dir, file), content);
  return dir;
}

const REQUIRED_FIELDS = [
  'schemaVersion', 'machine', 'workload', 'sources', 'policy', 'accesses', 'fastTierHitRatio', 'estimatedTimeNs', 'slowdownVsAllFast',
  'promotions', 'demotions', 'pingPong', 'reactionTimeMs', 'sourceOverheadNs', 'vmstat', 'oracles',
];

const SMALL = ['--set', 'workload.accessesPerThread=300000', '--set', 'workload.footprintMiB=96'];

describe('pghot run', () => {
  it('prints one versioned JSON document when stdout is not a terminal', async () => {
    const { code, stdout, stderr } = await run(['run', ...SMALL, '--verify']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as RunReport;
    for (const key of REQUIRED_FIELDS) expect(report, key).toHaveProperty(key);
    expect(report.schemaVersion).toBe(1);
    expect(report.machine.name).toBe('dram+cxl');
    expect(report.workload).toMatchObject({ name: 'gups-hotset', seed: 1, params: { accessesPerThread: 300_000, footprintMiB: 96 } });
    expect(report.accesses.total).toBe(300_000);
    expect(report.accesses.fast + report.accesses.slow).toBe(300_000);
    expect(report.promotions.pages).toBe(report.vmstat.pgpromote_success);
    expect(report.sources.find((s) => s.name === 'hintfaults')?.enabled).toBe(true);
    expect(report.plugins).toEqual(['source-hintfault', 'sim-migrate']);
    expect(report.verified).toEqual(['mapping', 'capacity', 'accesses', 'promotions']);
  });

  it('promotes the hot set: a 3 s run beats no promotion and counts every promoted page', async () => {
    const report = JSON.parse((await run(['run', '--set', 'workload.accessesPerThread=12000000', '--verify'])).stdout) as RunReport;
    expect(report.promotions.pages).toBeGreaterThan(0);
    expect(report.promotions.pages).toBe(report.vmstat.pgpromote_success);
    expect(report.vmstat.numa_hint_faults).toBe(report.vmstat.pghot_recorded_hintfaults);
    expect(report.fastTierHitRatio).toBeGreaterThan(report.oracles.noPromotion!.fastTierHitRatio);
    expect(report.slowdownVsNoPromotion).toBeLessThan(1);
    expect(report.sourceOverheadNs.byKind.hintFaults!.count).toBe(report.vmstat.numa_hint_faults);
    // promotion starts with the second scan: the hit ratio after the 2 s warm-up is the higher one
    expect(report.fastTierHitRatioAfterWarmUp!).toBeGreaterThan(report.fastTierHitRatio);
  });

  it('--move-at T:NODE moves every page at T, reported as placement (not demotion, not ping-pong)', async () => {
    const argv = ['run', '--workload', 'scan', '--set', 'workload.accessesPerThread=1000000', '--set', 'workload.footprintMiB=32', '--placement', 'preferred:0', '--move-at', '80ms:1', '--format', 'json'];
    const report = JSON.parse((await run(argv)).stdout) as RunReport;
    // the scan has touched the whole 32 MiB footprint (in DRAM) by 80 ms; it all moves to CXL then
    expect(report.placement).toMatchObject({ folios: 8192, pages: 8192 });
    expect(report.placement.costNs).toBeGreaterThan(0);
    expect(report.demotions.pages).toBe(report.vmstat.pgdemote_kswapd ?? 0);
    expect(report.pingPong.events).toBe(0);
    const bad = await run(['run', ...SMALL, '--move-at', '200ms:7']);
    expect([bad.code, bad.stderr]).toEqual([2, 'pghot: --move-at: node 7 is not on machine "dram+cxl" (nodes: 0, 1)\n']);
    expect((await run(['run', ...SMALL, '--move-at', 'soon'])).stderr).toBe('pghot: --move-at expects TIME:NODE such as 5s:0 or 2500ms:1, got "soon"\n');
  });

  it('on 2dram+cxl the default workload runs a thread on each DRAM node; reports give the hit ratio after the warm-up', async () => {
    const report = JSON.parse((await run(['run', '--machine', '2dram+cxl', '--set', 'workload.accessesPerThread=2000000', '--format', 'json'])).stdout) as RunReport;
    expect(report.workload.params.threads).toBe(2);
    expect(report.warmUpMs).toBe(2000);
    expect(report.warmUpShare).toBeCloseTo(2000 / (report.estimatedTimeNs / 1e6), 4);
    // a run shorter than the warm-up has no after-warm-up ratio
    expect(report.estimatedTimeNs).toBeLessThan(2e9);
    expect(report.fastTierHitRatioAfterWarmUp).toBe(null);
  });

  it('is byte-identical for the same seed and differs for another', async () => {
    const a = await run(['run', ...SMALL, '--seed', '7']);
    const b = await run(['run', ...SMALL, '--seed', '7']);
    const c = await run(['run', ...SMALL, '--seed', '8']);
    expect(a.stdout).toBe(b.stdout);
    expect(a.stdout).not.toBe(c.stdout);
  });

  it('takes machine, workload, mode and tunables from the config file, and --set over them', async () => {
    const dir = projectWith('.pghotrc.yaml', 'name: mine\nmode: precision\nmachine: 2dram+cxl\nworkload: { name: zipf, params: { accessesPerThread: 200000 } }\ntunables:\n  freq_threshold: 5\n');
    const report = JSON.parse((await run(['run', '--set', 'freq_threshold=1'], { cwd: dir })).stdout) as RunReport;
    expect(report).toMatchObject({ name: 'mine', mode: 'precision', machine: { name: '2dram+cxl' }, workload: { name: 'zipf' } });
    expect(report.tunables.freq_threshold).toBe(1);
    expect(report.accesses.total).toBe(2 * 200_000); // 2dram+cxl: a thread on each DRAM node
  });

  it('prints tables (with --wide, every column under its JSON name), without colors off a terminal', async () => {
    const { code, stdout } = await run(['run', ...SMALL, '--format', 'table']);
    expect(code).toBe(0);
    for (const field of ['hit %', '% of oracle', 'time ms', 'promoted', 'staticTopK', 'tMs', 'vmstat']) expect(stdout).toContain(field);
    expect(stdout).not.toContain('slowdownVsAllFast');
    expect(stdout).not.toContain('\u001b[');
    const wide = await run(['run', ...SMALL, '--format', 'table', '--wide']);
    for (const field of ['fastTierHitRatio', 'slowdownVsAllFast', 'promotedPages', 'reactionTimeMs', 'sourceOverheadMs']) expect(wide.stdout).toContain(field);
  });

  it('exits 2 with one message on stderr and nothing on stdout for bad input', async () => {
    for (const [argv, message] of [
      [['run', '--seed', 'x'], "option '--seed <n>' argument 'x' is invalid"],
      [['run', '--workload', 'nope'], '--workload: unknown workload "nope"; workloads: gups-hotset, phase-shift, zipf, scan, graph, sequence, mix'],
      [['run', '--machine', 'big'], '--machine: unknown machine preset "big"; presets: dram+cxl, dram+cxl-1t, 2dram+cxl'],
      [['run', '--set', 'freq_thresh=1'], 'unknown key "freq_thresh"'],
      [['run', '--set', 'workload.hotFraction=2'], 'invalid parameters for workload "gups-hotset"'],
      [['run', '--set', 'freq_threshold=9'], 'tunables.freq_threshold: Too big'],
      [['run', '--placement', 'bind:7'], 'machine "dram+cxl" has no node 7'],
      [['run', '--format', 'xml'], "argument 'xml' is invalid"],
      [['run', '--config', 'nope.yaml'], 'nope.yaml: no such config file'],
      [['compare', '--policies', 'pghot,policy-nope'], '--policies: "policy-nope" is not a built-in configuration'],
      [['frobnicate'], "too many arguments for 'compare'"],
    ] as const) {
      const r = await run([...argv]);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stdout, argv.join(' ')).toBe('');
      expect(r.stderr, argv.join(' ')).toContain(message);
    }
  });

  it('names the file and key of an impossible machine or a bad value', async () => {
    const impossible = projectWith('.pghotrc.yaml', 'machine: { nodes: [{ id: 0, tier: 0, capacityMiB: 64 }], latencyNs: [[100]] }\n');
    const r1 = await run(['run'], { cwd: impossible });
    expect(r1.code).toBe(2);
    expect(r1.stderr).toBe(`pghot: ${path.join(impossible, '.pghotrc.yaml')}: machine: impossible machine "custom": no node has CPUs\n`);
    const bad = projectWith('.pghotrc.json', '{"tunables":{"kmigrated_batch_nr":5}}');
    const r2 = await run(['run'], { cwd: bad });
    expect(r2.code).toBe(2);
    expect(r2.stderr).toBe(`pghot: ${path.join(bad, '.pghotrc.json')}: invalid config (default mode): tunables.kmigrated_batch_nr: Too small: expected number to be >=64\n`);
  });
});

describe('sources and real samples', () => {
  const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../fixtures');

  it('--sources swaps the temperature sources; their counters and overhead show in the report', async () => {
    const r = await run(['run', '--sources', 'ptescan,hwsample', '--set', 'workload.accessesPerThread=4000000']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as RunReport;
    expect(report.plugins).toEqual(['source-ptescan', 'source-hwsample', 'sim-migrate']);
    expect(report.sources.filter((s) => s.enabled).map((s) => s.name)).toEqual(['hintfaults', 'hwhints', 'pgtscans']);
    expect(report.vmstat.ptescan_ptes_scanned).toBeGreaterThan(0);
    expect(report.vmstat.hwhint_total_events).toBe(400);
    expect(report.sourceOverheadNs.byKind.samples).toEqual({ count: 400, ns: 600_000, foreground: true });
    expect(report.sourceOverheadNs.byKind.ptesScanned!.foreground).toBe(false);
  });

  it('--sources with an unknown name exits 2 naming it', async () => {
    const r = await run(['run', '--sources', 'telepathy']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'pghot: --sources: unknown plugin "telepathy" (tried @pghot/telepathy, @pghot/source-telepathy, @pghot/policy-telepathy, pghot-plugin-telepathy, telepathy). ' +
        `Installed plugins: ${r.stderr.split('Installed plugins: ')[1]}`,
    );
    expect(r.stderr).toContain('@pghot/source-hintfault');
  });

  it('--samples replays real perf samples and reports what would be promoted', async () => {
    const r = await run(['run', '--samples', path.join(fixtures, 'perf-script/pagefaults-addr-physaddr.txt'), '--set', 'freq_threshold=1']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ schemaVersion: 1, kind: 'samples', lines: 300, resolved: 149, unresolved: 151, recorded: 149, promoted: { pages: 149 } });
    const mem = JSON.parse((await run(['run', '--samples', path.join(fixtures, 'perf-mem/report-D-phys.csv')])).stdout);
    expect(mem).toMatchObject({ format: 'perf-mem-csv', resolved: 148, unresolved: 151, source: 'hwhints' });
  });

  it('--samples stops at a malformed line with the file and line (exit 2), or skips up to --max-errors', async () => {
    const dir = projectWith('bad.txt', '  python3  9083   343.416555: page-faults:  a84278  12055d000 4K\nnot a sample\n');
    const bad = await run(['run', '--samples', 'bad.txt'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toContain(`${path.join(dir, 'bad.txt')}:2: not a perf script sample line`);
    const skipped = await run(['run', '--samples', 'bad.txt', '--max-errors', '5'], { cwd: dir });
    expect(JSON.parse(skipped.stdout)).toMatchObject({ resolved: 1, malformed: 1, badLines: [{ line: 2, text: 'not a sample' }] });
    const topo = await run(['run', '--samples', 'bad.txt', '--topology', 'none.json'], { cwd: dir });
    expect(topo.code).toBe(2);
    expect(topo.stderr).toContain('none.json: no such file');
  });
});

/** `pghot record` runs valgrind: its tests need it, and CI (which installs it) never skips them. */
const noValgrind = spawnSync('valgrind', ['--version']).error !== undefined && !process.env.CI;

describe('real traces', () => {
  const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../fixtures');

  it.skipIf(noValgrind)('pghot record (runs valgrind; skipped without it outside CI) -- sort traces a real program, and the trace replays to the same numbers every time', async () => {
    const dir = projectWith('nums.txt', Array.from({ length: 200 }, (_, i) => String((i * 7919) % 1000)).join('\n') + '\n');
    const rec = await run(['record', '--out', 'sort.lackey', '--', 'sort', '-n', 'nums.txt'], { cwd: dir });
    expect(rec.code).toBe(0);
    expect(rec.stderr).toContain('trace written to');
    const a = await run(['run', '--trace', 'sort.lackey', '--format', 'json'], { cwd: dir });
    const b = await run(['run', '--trace', 'sort.lackey', '--format', 'json'], { cwd: dir });
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    const report = JSON.parse(a.stdout) as RunReport & { trace: { loads: number; headerLines: number; accesses: number } };
    expect(report.workload.name).toBe('trace');
    expect(report.trace.loads).toBeGreaterThan(1000);
    expect(report.trace.headerLines).toBeGreaterThan(0);
    expect(report.accesses.total).toBe(report.trace.accesses);
    expect(report.accesses.llcHits).toBeGreaterThan(0); // the LLC model is on for traces
  }, 60_000);

  it.skipIf(noValgrind)('pghot record (runs valgrind; skipped without it outside CI) passes the program exit status through', async () => {
    const r = await run(['record', '--out', 'f.lackey', '--', 'sh', '-c', 'exit 3']);
    expect(r.code).toBe(3);
  }, 60_000);

  it('convert writes a .pgtrace whose replay equals the lackey replay', async () => {
    const dir = projectWith('x.txt', '');
    const src = path.join(fixtures, 'lackey/lackey-sort-excerpt-1000.txt');
    const c = await run(['convert', src, 'x.pgtrace'], { cwd: dir });
    expect(JSON.parse(c.stdout)).toMatchObject({ from: 'lackey', to: 'pgtrace', records: 264, pages: 9 });
    const strip = (out: string) => ({ ...JSON.parse(out), workload: null, trace: null });
    const a = await run(['run', '--trace', src], { cwd: dir });
    const b = await run(['run', '--trace', 'x.pgtrace'], { cwd: dir });
    expect(strip(b.stdout)).toEqual(strip(a.stdout));
  });

  it('exits 2 on a malformed trace line naming file and line, or skips with --max-errors', async () => {
    const dir = projectWith('bad.txt', ' L 1fff000758,8\nbogus\n');
    const r = await run(['run', '--trace', 'bad.txt'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`${path.join(dir, 'bad.txt')}:2: not a lackey line`);
    const ok = await run(['run', '--trace', 'bad.txt', '--max-errors', '1'], { cwd: dir });
    expect(JSON.parse(ok.stdout).trace).toMatchObject({ malformed: 1, loads: 1 });
  });

  it('run --damon drives the store with DAMON regions', async () => {
    const r = await run(['run', '--damon', path.join(fixtures, 'damon-tracepoint/perf-script-damon_aggregated-paddr.txt'), '--set', 'freq_threshold=1']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ kind: 'damon', format: 'damon_aggregated', snapshots: 20, regions: 255 });
  });
});

describe('policies swapped through config files', () => {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
  const configs = ['pghot', 'numab2', 'hemem', 'memtis', 'arms'].map((p) => path.join(root, 'examples/configs', `${p}.yaml`));

  it.each(['gups-hotset', 'zipf', 'phase-shift'])('on %s every policy beats no promotion', async (workload) => {
    const params = ['--set', 'workload.accessesPerThread=12000000', ...(workload === 'phase-shift' ? ['--set', 'workload.periodS=1'] : [])];
    const r = await run(['compare', '--workload', workload, ...params, ...configs.flatMap((c) => ['--config', c])], { cwd: root });
    expect(r.stderr).toBe('');
    const reports = JSON.parse(r.stdout) as RunReport[];
    expect(reports.map((x) => x.name)).toEqual(['pghot', 'numab2', 'hemem', 'memtis', 'arms']);
    for (const x of reports) expect(x.fastTierHitRatio, `${x.name} on ${workload}`).toBeGreaterThan(x.oracles.noPromotion!.fastTierHitRatio);
  }, 120_000);
});

describe('pghot compare', () => {
  it('runs the built-in configurations side by side as a JSON array sharing one baseline', async () => {
    const { code, stdout } = await run(['compare', ...SMALL, '--policies', 'pghot,pghot-threshold1']);
    expect(code).toBe(0);
    const reports = JSON.parse(stdout) as RunReport[];
    expect(reports.map((r) => [r.name, r.tunables.freq_threshold])).toEqual([
      ['pghot', 2],
      ['pghot-threshold1', 1],
    ]);
    expect(reports[0]!.oracles.noPromotion).toEqual(reports[1]!.oracles.noPromotion);
  });

  it('compares two config files without code changes', async () => {
    const dir = projectWith('a.yaml', 'name: a\nworkload: { name: gups-hotset, params: { accessesPerThread: 200000 } }\n');
    writeFileSync(path.join(dir, 'b.yaml'), 'name: b\nmode: precision\ntunables: { freq_threshold: 1 }\n');
    const { code, stdout } = await run(['compare', '--config', 'a.yaml', '--config', 'b.yaml'], { cwd: dir });
    expect(code).toBe(0);
    const reports = JSON.parse(stdout) as RunReport[];
    expect(reports.map((r) => [r.name, r.mode, r.tunables.freq_threshold, r.accesses.total])).toEqual([
      ['a', 'default', 2, 200_000],
      ['b', 'precision', 1, 200_000],
    ]);
  });
});

describe('pghot plugins', () => {
  it('lists the plugins shipped with pghot and those of the project, with versions', async () => {
    const r = await run(['plugins', '--format', 'json']);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as { name: string; version: string; from: string }[];
    expect(rows.map((x) => x.name)).toEqual(expect.arrayContaining(['@pghot/policy-hemem', '@pghot/source-hintfault', '@pghot/source-hwsample']));
    expect(rows.find((x) => x.name === '@pghot/source-ptescan')).toEqual({ name: '@pghot/source-ptescan', version: '0.1.0', from: 'pghot' });
  });
});

describe('pghot config', () => {
  it('print shows the file, the mode defaults, the plugins and the default source it adds', async () => {
    const dir = projectWith('.pghotrc.yaml', 'mode: precision\nplugins:\n  - ./p.mjs\n');
    writeFileSync(path.join(dir, 'p.mjs'), 'export default () => ({ name: "my-policy", version: "2.0.0", apply() {} });\n');
    const r = await run(['config', 'print'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      file: path.join(dir, '.pghotrc.yaml'),
      name: '.pghotrc.yaml',
      mode: 'precision',
      stickyReady: false,
      tunables: {
        enabled_sources: 1,
        target_nid: 0,
        freq_threshold: 2,
        promote_freq_window_ms: 5000,
        kmigrated_sleep_ms: 100,
        kmigrated_batch_nr: 512,
        promote_rate_limit_MBps: 65536,
      },
      plugins: [
        { name: 'my-policy', from: path.join(dir, 'p.mjs'), version: '2.0.0' },
        { name: 'source-hintfault', from: 'pghot (the config names no source)', version: '0.1.0' },
      ],
      machine: 'dram+cxl',
      workload: { name: 'gups-hotset', params: {} },
      seed: 1,
      placement: { policy: 'preferred', node: 1 },
      sim: {},
    });
  });

  it('validate exits 0 for a good file and 2 for an unknown plugin', async () => {
    const good = projectWith('pghot.config.mjs', 'export default { mode: "default" };\n');
    expect(await run(['config', 'validate'], { cwd: good })).toMatchObject({ code: 0, stdout: `valid: ${path.join(good, 'pghot.config.mjs')}\n` });
    const bad = projectWith('.pghotrc.json', '{"plugins":["policy-missing"]}');
    const r = await run(['config', 'validate'], { cwd: bad });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown plugin "policy-missing" at plugins[0] (tried @pghot/policy-missing, pghot-plugin-policy-missing, policy-missing)');
  });
});

describe('the pghot binary', () => {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
  const cli = path.join(root, 'packages/cli/src/cli.ts');
  const exec = promisify(execFile);
  const spawnCli = (args: string[]) =>
    exec(process.execPath, ['--conditions=@pghot/source', '--import', 'tsx', cli, ...args], { cwd: root }).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );

  it('loads a TypeScript config with imported plugins and gives the same result as its YAML twin', async () => {
    const a = await spawnCli(['compare', '--config', 'examples/configs/memtis.config.ts', '--set', 'workload.accessesPerThread=2000000']);
    const b = await spawnCli(['compare', '--config', 'examples/configs/memtis.yaml', '--set', 'workload.accessesPerThread=2000000']);
    expect(a.code).toBe(0);
    const [ra, rb] = [JSON.parse(a.stdout)[0], JSON.parse(b.stdout)[0]];
    expect(ra.plugins).toEqual(['source-hwsample', 'policy-memtis', 'sim-migrate']);
    expect(ra).toEqual(rb);
    const printed = await spawnCli(['config', '--print', '--config', 'examples/configs/arms.config.ts']);
    expect(JSON.parse(printed.stdout).plugins.map((p: { name: string }) => p.name)).toEqual(['source-hwsample', 'policy-arms']);
  }, 60_000);

  it('exits 0 with JSON on a pipe, and 2 on a usage error', async () => {
    const ok = await spawnCli(['run', '--set', 'workload.accessesPerThread=100000']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout).schemaVersion).toBe(1);
    const bad = await spawnCli(['run', '--seed', '-1']);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toContain("option '--seed <n>' argument '-1' is invalid");
  });
});
