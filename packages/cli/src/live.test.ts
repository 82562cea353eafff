import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { damonStatus, KernelFs, writeFakeKernelTree } from '@pghot/linux';
import { readDamon } from '@pghot/trace';
import { describe, expect, it } from 'vitest';
import { runTestCli } from './test-cli.js';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../fixtures');
const K = 'sys/kernel/mm/damon/admin/kdamonds';

const run = (argv: string[], cwd: string) => runTestCli(argv, { cwd });

describe('pghot live', () => {
  it('monitors with DAMON (fake sysfs tree), reports what kmigrated would promote, removes its kdamond, and records a replayable input', async () => {
    const capture = await readDamon(path.join(FIXTURES, 'damon-sysfs/tried_regions-paddr-501.txt'));
    const regions = capture.snapshots[0]!.regions;
    const root = mkdtempSync(path.join(tmpdir(), 'pghot-live-'));
    writeFakeKernelTree(root, { regions });
    const live = await run(['live', '--sysfs-root', root, '--duration', '300ms', '--aggr-ms', '100', '--record', 'live.txt'], root);
    expect(live.stderr).toBe('pghot live: dry run: no page is moved\n');
    expect(live.code).toBe(0);
    const report = JSON.parse(live.stdout);
    const hot = regions.filter((r) => r.nrAccesses >= 1).length;
    expect(report).toMatchObject({ kind: 'live', snapshots: 3, regions: 3 * 501, hotRegions: 3 * hot, live: { dryRun: true, durationMs: 300, aggrMs: 100 } });
    expect(report.live.systemRam).toEqual([
      { start: 0x1000, end: 0xa0000 - 0x400 },
      { start: 0x100000, end: 0xc0000000 },
      { start: 0x100000000, end: 0x640000000 },
    ]);
    expect(report.promoted.pages).toBeGreaterThan(0);
    // its own kdamond is off and gone
    expect([readFileSync(path.join(root, K, '0/state'), 'utf8'), readFileSync(path.join(root, K, 'nr_kdamonds'), 'utf8')]).toEqual(['off\n', '0\n']);
    // the recording replays to the same decisions
    const replay = JSON.parse((await run(['run', '--damon', 'live.txt'], root)).stdout);
    expect(replay).toMatchObject({ snapshots: 3, regions: 3 * 501, hotRegions: 3 * hot, format: 'damon_aggregated' });
    expect(replay.promoted).toEqual(report.promoted);
  }, 30_000);

  it('leaves a busy DAMON alone: one line, exit 2, nothing written', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'pghot-live-'));
    writeFakeKernelTree(root, { kdamonds: 1 });
    const r = await run(['live', '--sysfs-root', root, '--duration', '1s'], root);
    expect(r).toEqual({
      code: 2,
      stdout: '',
      stderr:
        "pghot live: dry run: no page is moved\npghot: DAMON is busy: 1 kdamond(s) already exist (not started by pghot, e.g. the machine's proactive reclaim); pghot leaves them alone and cannot add its own while they run\n",
    });
    expect(readFileSync(path.join(root, K, 'nr_kdamonds'), 'utf8')).toBe('1\n');
    expect(readFileSync(path.join(root, K, '0/state'), 'utf8')).toBe('off\n');
  });

  it('refuses --apply and a bad --duration', async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'pghot-live-'));
    expect(await run(['live', '--apply'], cwd)).toMatchObject({ code: 2, stderr: 'pghot: --apply is not available yet: pghot live is a dry run that reports what kmigrated would promote\n' });
    const root = mkdtempSync(path.join(tmpdir(), 'pghot-live-'));
    writeFakeKernelTree(root);
    expect(await run(['live', '--sysfs-root', root, '--duration', 'soon'], cwd)).toMatchObject({ code: 2, stderr: 'pghot live: dry run: no page is moved\npghot: --duration expects a duration such as 30s, 500ms or 2m, got "soon"\n' });
  });

  // This machine's own kernel: its DAMON runs the machine's proactive-reclaim kdamond from boot
  const real = damonStatus(new KernelFs('/'));
  it.skipIf(!real.available || real.kdamonds === 0 || process.getuid?.() !== 0)('on this machine (a kdamond from boot): refuses and leaves the machine\'s kdamond running', async () => {
    const before = readFileSync(`/${K}/0/state`, 'utf8');
    const r = await run(['live', '--duration', '1s'], mkdtempSync(path.join(tmpdir(), 'pghot-live-')));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`pghot: DAMON is busy: ${real.kdamonds} kdamond(s) already exist`);
    expect(readFileSync(`/${K}/0/state`, 'utf8')).toBe(before);
    expect(readFileSync(`/${K}/nr_kdamonds`, 'utf8')).toBe(`${real.kdamonds}\n`);
  });
});
