import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeFakeKernelTree } from '@pghot/linux';
import type { RunReport } from '@pghot/sim';
import { expect } from 'vitest';
import { runTestCli } from '../test-cli.js';
import type { LiveReport } from './document.js';

/**
 * A small comparison with hot-set shifts and 250 ms intervals: pghot and NUMAB2 on phase-shift
 * (its hot set moves every second), about 2.5 s of simulated time.
 */
export async function smallComparison(): Promise<{ dir: string; runs: RunReport[]; json: string; html: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'pghot-report-'));
  writeFileSync(path.join(dir, 'package.json'), '{"name":"p","type":"module"}');
  writeFileSync(
    path.join(dir, '.pghotrc.json'),
    JSON.stringify({ workload: { name: 'phase-shift', params: { accessesPerThread: 12_000_000, periodS: 1, footprintMiB: 96 } }, sim: { intervalMs: 250 } }),
  );
  const r = await runTestCli(['compare', '--policies', 'pghot,numab2', '--format', 'json', '-o', 'runs.json', '--html', 'compare.html'], { cwd: dir });
  expect(r.stderr).toBe('pghot: report written to compare.html (20 charts)\n');
  expect(r.code).toBe(0);
  const json = path.join(dir, 'runs.json');
  return { dir, runs: JSON.parse(readFileSync(json, 'utf8')) as RunReport[], json, html: path.join(dir, 'compare.html') };
}

/**
 * A 2.5 s live run on a fake sysfs tree (DAMON regions of 1 GiB, one hot), with its JSON and
 * HTML report.
 */
export async function smallLive(): Promise<{ dir: string; report: LiveReport; json: string; html: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'pghot-report-live-'));
  writeFakeKernelTree(dir, { regions: [{ start: 0x100000000, end: 0x140000000, nrAccesses: 0, age: 5 }, { start: 0x140000000, end: 0x140400000, nrAccesses: 9, age: 5 }] });
  const r = await runTestCli(['live', '--sysfs-root', dir, '--duration', '2500ms', '--aggr-ms', '100', '--format', 'json', '-o', 'live.json', '--html', 'live.html'], { cwd: dir });
  expect(r.code).toBe(0);
  expect(r.stderr).toContain('pghot: report written to live.html (2 charts)\n');
  const json = path.join(dir, 'live.json');
  return { dir, report: JSON.parse(readFileSync(json, 'utf8')) as LiveReport, json, html: path.join(dir, 'live.html') };
}
