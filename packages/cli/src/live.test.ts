import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { damonStatus, KernelFs, STATE_FILE, writeFakeKernelTree } from '@pghot/linux';
import { readDamon } from '@pghot/trace';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runTestCli } from './test-cli.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const FIXTURES = path.resolve(HERE, '../../../fixtures');
const FAKE_PERF = path.join(HERE, 'test-fake-perf.mjs');
const K = 'sys/kernel/mm/damon/admin/kdamonds';
const DRY = 'pghot live: dry run: no page is moved\n';
const STANDIN =
  'pghot live: its topology could not be read (/ROOT/sys/devices/system/memory/block_size_bytes: missing (is this Linux, and is the feature built in?)): memory above 4 GiB stands in for the lower tier (--topology FILE to choose)\n';
const NO_PMU = 'pghot live: no IBS or PEBS PMU here: perf samples software page faults with their physical addresses as a stand-in\n';
const BUSY = "DAMON is busy: 1 kdamond(s) already exist (not started by pghot, e.g. the machine's proactive reclaim); pghot leaves them alone and cannot add its own while they run";

const run = (argv: string[], cwd: string) => runTestCli(argv, { cwd });
const fakeRoot = (options: Parameters<typeof writeFakeKernelTree>[1] = {}) => {
  const root = mkdtempSync(path.join(tmpdir(), 'pghot-live-'));
  writeFakeKernelTree(root, options);
  return root;
};
const kdamond = (root: string) => [readFileSync(path.join(root, K, '0/state'), 'utf8'), readFileSync(path.join(root, K, 'nr_kdamonds'), 'utf8')];
const withRoot = (text: string, root: string) => text.replace('/ROOT', root);

// the captured hot/cold run: 2,000 page-fault samples of the 64 hot pages
const CAPTURE = path.join(FIXTURES, 'perf-script/pagefaults-hotcold-live.txt');
const PFNS = JSON.parse(readFileSync(path.join(FIXTURES, 'perf-script/pagefaults-hotcold-pfns.json'), 'utf8')) as { hot: { pfns: number[] }; cold: { pfns: number[] } };
const HOT = [...PFNS.hot.pfns].sort((a, b) => a - b);

describe('pghot live with DAMON (a fake sysfs tree)', () => {
  it('monitors, reports what kmigrated would promote, removes its kdamond, and records a replayable input', async () => {
    const capture = await readDamon(path.join(FIXTURES, 'damon-sysfs/tried_regions-paddr-501.txt'));
    const regions = capture.snapshots[0]!.regions;
    const root = fakeRoot({ regions });
    const live = await run(['live', '--sysfs-root', root, '--duration', '300ms', '--aggr-ms', '100', '--record', 'live.txt', '--format', 'json'], root);
    expect(live.stderr).toBe(DRY + withRoot(STANDIN, root));
    expect(live.code).toBe(0);
    const report = JSON.parse(live.stdout);
    const hot = regions.filter((r) => r.nrAccesses >= 1).length;
    expect(report).toMatchObject({
      kind: 'live',
      sources: [{ name: 'damon', ops: 'paddr', aggrMs: 100, maxRegions: 1000, snapshots: 3, regions: 3 * 501, hotRegions: 3 * hot }],
      live: { dryRun: true, durationMs: 300, stoppedBy: null, pid: null, apply: null, skipped: [], topology: { source: 'stand-in' } },
    });
    expect(report.live.systemRam).toEqual([
      { start: 0x1000, end: 0xa0000 - 0x400 },
      { start: 0x100000, end: 0xc0000000 },
      { start: 0x100000000, end: 0x640000000 },
    ]);
    expect(report.promoted.pages).toBeGreaterThan(0);
    // its own kdamond is off and gone, and so is its note of it
    expect(kdamond(root)).toEqual(['off\n', '0\n']);
    expect(existsSync(path.join(root, STATE_FILE))).toBe(false);
    // the recording replays to the same decisions
    const replay = JSON.parse((await run(['run', '--damon', 'live.txt'], root)).stdout);
    expect(replay).toMatchObject({ snapshots: 3, regions: 3 * 501, hotRegions: 3 * hot, format: 'damon_aggregated', recorded: report.recorded });
    expect(replay.promoted).toEqual({ pages: report.promoted.pages, pfns: report.promoted.pfns });
  }, 30_000);

  it('with --pid where the kernel offers vaddr: monitors the process, records the regions as the PFNs they map, and that replays the same', async () => {
    // a process with 4 pages at 0x7f0000000000, mapped to PFNs 0x500000-0x500001 and 0x500003 (above 4 GiB)
    const root = fakeRoot({ operations: 'paddr vaddr', regions: [{ start: 0x7f0000000000, end: 0x7f0000004000, nrAccesses: 3, age: 2 }] });
    mkdirSync(path.join(root, 'proc/4242'), { recursive: true });
    writeFileSync(path.join(root, 'proc/4242/maps'), '7f0000000000-7f0000004000 rw-p 00000000 00:00 0 \n');
    const pagemap = Buffer.alloc((0x7f0000004000 / 4096) * 8 - (0x7f0000000000 / 4096) * 8);
    for (const [page, pfn] of [[0, 0x500000], [1, 0x500001], [3, 0x500003]] as const) pagemap.writeBigUInt64LE((1n << 63n) | BigInt(pfn), page * 8);
    const fd = openSync(path.join(root, 'proc/4242/pagemap'), 'w');
    writeSync(fd, pagemap, 0, pagemap.length, (0x7f0000000000 / 4096) * 8);
    closeSync(fd);
    const r = await run(['live', '--sysfs-root', root, '--pid', '4242', '--duration', '300ms', '--record', 'vaddr.txt', '--format', 'json'], root);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.sources).toEqual([{ name: 'damon', ops: 'vaddr', aggrMs: 100, maxRegions: 1000, snapshots: 3, regions: 3, hotRegions: 6, reportedPages: 9, outsidePages: 0 }]);
    expect(readFileSync(path.join(root, K, '0/contexts/0/targets/0/pid_target'), 'utf8')).toBe('4242\n');
    // two physical runs per snapshot: 0x500000-0x500001, and 0x500003
    const lines = readFileSync(path.join(root, 'vaddr.txt'), 'utf8').trim().split('\n');
    expect(lines.map((l) => l.slice(l.indexOf('nr_regions=')))).toEqual(
      Array(3).fill(['nr_regions=2 21474836480-21474844672: 3 2', 'nr_regions=2 21474848768-21474852864: 3 2']).flat(),
    );
    expect([...report.promoted.pfns].sort()).toEqual([0x500000, 0x500001, 0x500003]);
    const replay = JSON.parse((await run(['run', '--damon', 'vaddr.txt'], root)).stdout);
    expect(replay.promoted).toEqual({ pages: 3, pfns: report.promoted.pfns });
  }, 30_000);

  it('leaves a busy DAMON alone: one line, exit 2, nothing written', async () => {
    const root = fakeRoot({ kdamonds: 1 });
    const r = await run(['live', '--sysfs-root', root, '--duration', '1s'], root);
    expect(r).toEqual({ code: 2, stdout: '', stderr: `${DRY}${withRoot(STANDIN, root)}pghot: ${BUSY}\n` });
    expect(kdamond(root)).toEqual(['off\n', '1\n']);
  });

  it('refuses bad flags in one line', async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'pghot-live-'));
    const root = fakeRoot();
    const refusal = async (argv: string[]) => {
      const r = await run(['live', '--sysfs-root', root, ...argv], cwd);
      expect(r.code).toBe(2);
      return r.stderr.split('\n').filter(Boolean).pop();
    };
    expect(await refusal(['--duration', 'soon'])).toBe('pghot: --duration expects a duration such as 30s, 500ms or 2m, got "soon"');
    expect(await refusal(['--apply'])).toBe('pghot: --apply moves the pages of one process: name it with --pid');
    expect(await refusal(['--sources', 'damon,ibs'])).toBe('pghot: --sources: unknown live source "ibs" (damon, perf)');
    expect(await refusal(['--sources', 'damon,perf', '--perf', FAKE_PERF, '--record', 'x.txt'])).toBe("pghot: --record saves one source's input (pghot run replays one): choose --sources damon or --sources perf");
    expect(await refusal(['--log', '/nonexistent/dir/log.jsonl'])).toBe('pghot: --log /nonexistent/dir/log.jsonl: no such directory');
    expect(await refusal(['--pid', '999999999'])).toBe(`pghot: no process 999999999 (${root}/proc/999999999/maps is missing)`);
    expect(kdamond(root)).toEqual(['off\n', '0\n']);
    expect(existsSync(path.join(root, STATE_FILE))).toBe(false);
  });

  it("runs the config's plugins on the linux platform, and refuses in one line those that need what user space cannot do", async () => {
    const root = fakeRoot();
    writeFileSync(path.join(root, '.pghotrc.json'), JSON.stringify({ plugins: ['@pghot/source-hintfault', '@pghot/policy-numab2'] }));
    const r = await run(['live', '--sysfs-root', root, '--duration', '100ms'], root);
    expect(r.stderr.split('\n').filter(Boolean).pop()).toBe(
      'pghot: plugin "source-hintfault" requires protnone, which the platform "linux" does not offer (it offers: tasks, overhead)',
    );
    expect(r.code).toBe(2);
    expect(kdamond(root)).toEqual(['off\n', '0\n']);
  });

  it('a plugin that throws mid-run: the kdamond is still turned off and removed', async () => {
    const capture = await readDamon(path.join(FIXTURES, 'damon-sysfs/tried_regions-paddr-501.txt'));
    const root = fakeRoot({ regions: capture.snapshots[0]!.regions });
    writeFileSync(
      path.join(root, 'throws.mjs'),
      "export default () => ({ name: 'policy-throws', kind: 'policy', version: '1.0.0', core: '>=0.1.0', apply(engine) { engine.hooks.tick.tap('policy-throws', ({ now }) => { if (now > 0) throw new Error('boom'); }); } });\n",
    );
    writeFileSync(path.join(root, '.pghotrc.json'), JSON.stringify({ plugins: ['./throws.mjs'] }));
    const r = await run(['live', '--sysfs-root', root, '--duration', '500ms'], root);
    expect(r.stderr.split('\n').filter(Boolean).pop()).toBe('pghot: plugin "policy-throws" failed in hook "tick": boom');
    expect(r.code).toBe(1);
    expect(kdamond(root)).toEqual(['off\n', '0\n']);
  });
});

describe('pghot live with perf (a stand-in perf replaying a real capture)', () => {
  beforeEach(() => {
    process.env.PGHOT_FAKE_PERF_LINES = CAPTURE;
  });
  afterEach(() => {
    delete process.env.PGHOT_FAKE_PERF_LINES;
    delete process.env.PGHOT_FAKE_PERF_FAIL;
  });

  it('feeds the samples to kmigrated, logs each batch it would move (the hot pages, not the cold), and records a replayable input', async () => {
    const root = fakeRoot();
    const r = await run(['live', '--sources', 'perf', '--perf', FAKE_PERF, '--sysfs-root', root, '--duration', '300ms', '--record', 'perf.txt', '--log', 'batches.jsonl', '--format', 'json'], root);
    expect(r.stderr).toBe(DRY + withRoot(STANDIN, root) + NO_PMU);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.sources).toEqual([
      {
        name: 'perf',
        event: 'software page-fault samples, 1 in 1 (no IBS/PEBS PMU: a stand-in)',
        pmu: null,
        maxSamplesPerSecond: 20_000,
        lines: 2000,
        samples: 2000,
        resolved: 2000,
        unresolved: 0,
        dropped: 0,
        malformed: 0,
        late: 0,
      },
    ]);
    expect(report.recorded).toBe(2000);
    // every hot page is promoted once, no cold page is
    expect([...report.promoted.pfns].sort((a: number, b: number) => a - b)).toEqual(HOT);
    expect(report.promoted).toMatchObject({ folios: 64, pages: 64 });
    expect(report.vmstat).toMatchObject({ pgpromote_success: 64, pghot_recorded_accesses: 2000 });
    const batches = readFileSync(path.join(root, 'batches.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(batches.every((b) => b.reason === 'kmigrated' && b.from === 1 && b.target === 0 && b.moved === 0)).toBe(true);
    expect(batches.flatMap((b) => b.pfns).sort((a: number, b: number) => a - b)).toEqual(HOT);
    expect(batches.flatMap((b) => b.pfns).some((p: number) => PFNS.cold.pfns.includes(p))).toBe(false);
    // the recording is the capture, and replays to the same decisions
    expect(readFileSync(path.join(root, 'perf.txt'), 'utf8')).toBe(readFileSync(CAPTURE, 'utf8'));
    const replay = JSON.parse((await run(['run', '--samples', 'perf.txt'], root)).stdout);
    expect(replay).toMatchObject({ source: 'hintfaults', resolved: 2000, recorded: 2000, promoted: report.promoted });
    expect(replay.vmstat).toEqual(report.vmstat);
  }, 30_000);

  it('caps the samples per second, counting what it drops', async () => {
    const root = fakeRoot();
    const r = await run(['live', '--sources', 'perf', '--perf', FAKE_PERF, '--sysfs-root', root, '--duration', '200ms', '--max-samples', '500', '--record', 'perf.txt', '--format', 'json'], root);
    expect(r.code).toBe(0);
    // the capture spans one second of perf time (9587.61 to 9587.69 s): the first 500 are kept
    expect(JSON.parse(r.stdout).sources[0]).toMatchObject({ samples: 2000, resolved: 500, dropped: 1500 });
    expect(readFileSync(path.join(root, 'perf.txt'), 'utf8')).toBe(readFileSync(CAPTURE, 'utf8').split('\n').slice(0, 500).join('\n').concat('\n'));
  });

  it("says what perf said when it fails, in one line (exit 2), and leaves DAMON alone", async () => {
    process.env.PGHOT_FAKE_PERF_FAIL = '1';
    const root = fakeRoot();
    const r = await run(['live', '--sources', 'perf', '--perf', FAKE_PERF, '--sysfs-root', root, '--duration', '2s'], root);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n').filter(Boolean).pop()).toBe('pghot: perf failed (record exit 255, script exit 0): Error: / Access to performance monitoring and observability operations is limited.');
    expect(kdamond(root)).toEqual(['off\n', '0\n']);
  });

  it('with a busy DAMON and --skip-unavailable, goes on with perf and says so; without it, refuses', async () => {
    const root = fakeRoot({ kdamonds: 1 });
    const refused = await run(['live', '--sources', 'damon,perf', '--perf', FAKE_PERF, '--sysfs-root', root, '--duration', '200ms'], root);
    expect(refused).toMatchObject({ code: 2, stderr: `${DRY}${withRoot(STANDIN, root)}${NO_PMU}pghot: ${BUSY}\n` });
    const r = await run(['live', '--sources', 'damon,perf', '--skip-unavailable', '--perf', FAKE_PERF, '--sysfs-root', root, '--duration', '200ms', '--format', 'json'], root);
    expect(r.stderr).toBe(`${DRY}${withRoot(STANDIN, root)}${NO_PMU}pghot live: skipping damon: ${BUSY}\n`);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.live.skipped).toEqual([{ source: 'damon', reason: BUSY }]);
    expect(report.sources.map((s: { name: string }) => s.name)).toEqual(['perf']);
    expect(report.promoted.folios).toBe(64);
    expect(kdamond(root)).toEqual(['off\n', '1\n']);
  });

  it('picks IBS or PEBS where the PMU is there', async () => {
    for (const [pmu, event] of [
      ['ibs', 'IBS op samples, 1 in 10000'],
      ['pebs', 'PEBS load samples over 30 cycles, 1 in 19997'],
    ] as const) {
      const root = fakeRoot({ pmu });
      const r = await run(['live', '--sources', 'perf', '--perf', FAKE_PERF, '--sysfs-root', root, '--duration', '100ms', '--format', 'json'], root);
      expect(r.stderr).toBe(DRY + withRoot(STANDIN, root));
      // the samples are then hardware hints
      expect(JSON.parse(r.stdout)).toMatchObject({ sources: [{ pmu, event }], vmstat: { pghot_recorded_accesses: 2000 } });
    }
  });
});

describe('pghot live killed by a signal (a child process)', () => {
  const CLI = path.join(HERE, 'cli.ts');
  const startChild = (root: string, args: string[] = []) => {
    const child = spawn(process.execPath, ['--conditions=@pghot/source', '--import', 'tsx', CLI, 'live', '--sysfs-root', root, '--duration', '30s', '--format', 'json', ...args], { cwd: HERE, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout })));
    // its first line ("dry run") comes just before it creates its kdamond
    const up = new Promise<void>((resolve) => child.stderr.once('data', () => resolve()));
    return { child, exit, up };
  };
  const until = async (what: () => boolean) => {
    for (let i = 0; i < 400 && !what(); i++) await new Promise((r) => setTimeout(r, 25));
    expect(what()).toBe(true);
  };
  const on = (root: string) => () => readFileSync(path.join(root, K, '0/state'), 'utf8') === 'on\n';

  it.each(['SIGINT', 'SIGTERM'] as const)('%s: its kdamond is removed and the report still comes (exit 130 / 143)', async (signal) => {
    const root = fakeRoot();
    const { child, exit } = startChild(root);
    await until(on(root));
    child.kill(signal);
    const { code, stdout } = await exit;
    expect(code).toBe(signal === 'SIGINT' ? 130 : 143);
    expect(JSON.parse(stdout)).toMatchObject({ kind: 'live', live: { stoppedBy: signal } });
    expect(kdamond(root)).toEqual(['off\n', '0\n']);
  }, 30_000);

  it('SIGKILL leaves its kdamond; the next run removes it (and only it) and says so', async () => {
    const root = fakeRoot();
    const { child, exit } = startChild(root);
    await until(on(root));
    child.kill('SIGKILL');
    await exit;
    expect(kdamond(root)).toEqual(['on\n', '1\n']);
    const r = await run(['live', '--sysfs-root', root, '--duration', '100ms'], root);
    expect(r.stderr).toContain(`pghot live: removed the kdamond left by pghot pid ${child.pid}, which was killed before it could remove it\n`);
    expect(r.code).toBe(0);
    expect(kdamond(root)).toEqual(['off\n', '0\n']);
    // a kdamond noted by a pghot that still runs (here: this process) is not a leftover
    const busy = fakeRoot({ kdamonds: 1 });
    writeFileSync(path.join(busy, K, '0/state'), 'on\n');
    const note = path.join(busy, STATE_FILE);
    mkdirSync(path.dirname(note), { recursive: true });
    writeFileSync(note, JSON.stringify({ pid: process.pid, bootId: '', kdamondPid: -1 }));
    expect((await run(['live', '--sysfs-root', busy, '--duration', '100ms'], busy)).code).toBe(2);
    expect(kdamond(busy)).toEqual(['on\n', '1\n']);
  }, 30_000);

  it('killed at random points by SIGINT, SIGTERM or SIGKILL: never a kdamond of pghot left running where it could exit gracefully', async () => {
    // fixed "random" points (ms after its first line: while it sets DAMON up, or monitors), so that a failure reproduces
    for (const [signal, delay] of [
      ['SIGINT', 0],
      ['SIGTERM', 3],
      ['SIGKILL', 0],
      ['SIGINT', 140],
      ['SIGTERM', 270],
      ['SIGKILL', 190],
    ] as const) {
      const root = fakeRoot();
      const { child, exit, up } = startChild(root);
      await up;
      await new Promise((r) => setTimeout(r, delay));
      child.kill(signal);
      await exit;
      const [state, nr] = kdamond(root);
      if (signal !== 'SIGKILL') expect([signal, delay, state, nr]).toEqual([signal, delay, 'off\n', '0\n']);
      else {
        // whatever was left, the next run cleans up after it
        expect((await run(['live', '--sysfs-root', root, '--duration', '100ms'], root)).code).toBe(0);
        expect(kdamond(root)).toEqual(['off\n', '0\n']);
      }
    }
  }, 60_000);
});

// This machine's own kernel: its DAMON runs the machine's proactive-reclaim kdamond from boot
const real = damonStatus(new KernelFs('/'));
describe.skipIf(!real.available || real.kdamonds === 0 || process.getuid?.() !== 0)('pghot live on this machine (a kdamond from boot)', () => {
  it("refuses DAMON and leaves the machine's kdamond running", async () => {
    const before = readFileSync(`/${K}/0/state`, 'utf8');
    const r = await run(['live', '--duration', '1s'], mkdtempSync(path.join(tmpdir(), 'pghot-live-')));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`pghot: DAMON is busy: ${real.kdamonds} kdamond(s) already exist`);
    expect(readFileSync(`/${K}/0/state`, 'utf8')).toBe(before);
    expect(readFileSync(`/${K}/nr_kdamonds`, 'utf8')).toBe(`${real.kdamonds}\n`);
  });
});
