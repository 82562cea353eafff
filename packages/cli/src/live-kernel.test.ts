import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { damonStatus, findPerf, KernelFs, readPagemap } from '@pghot/linux';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTestCli } from './test-cli.js';

// The real kernel of this machine: a C child keeps 64 pages hot (write-protected, then written:
// a page fault each time, on a present page) and 64 cold; pghot live samples it with perf.
const HERE = path.dirname(fileURLToPath(import.meta.url));
const HOTCOLD = path.resolve(HERE, '../../linux/src/test-hotcold.c');
const why =
  process.platform !== 'linux'
    ? 'not Linux'
    : process.getuid?.() !== 0
      ? 'not root (perf physical addresses and pagemap PFNs need it)'
      : findPerf() === null
        ? 'no perf (apt-get install linux-perf)'
        : spawnSync('gcc', ['--version']).status !== 0
          ? 'no gcc to build the test program'
          : '';

describe.skipIf(why !== '')(`pghot live on the real kernel${why ? ` (skipped: ${why})` : ''}`, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'pghot-live-kernel-'));
  const fs = new KernelFs('/');
  let child: ReturnType<typeof spawn>;
  let hot: { vaddr: number; pfns: number[] };
  let cold: { vaddr: number; pfns: number[] };
  const pfnsAt = (vaddr: number) => readPagemap(fs, child.pid!, vaddr, 64).map((e) => (e.present ? e.pfn : -1));

  beforeAll(async () => {
    const bin = path.join(dir, 'hotcold');
    execFileSync('gcc', ['-O1', '-o', bin, HOTCOLD]);
    child = spawn(bin, [], { stdio: ['pipe', 'pipe', 'inherit'] });
    const [h, c] = await new Promise<number[]>((resolve) => child.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim().split(' ').map((x) => Number.parseInt(x, 16)))));
    hot = { vaddr: h!, pfns: [] };
    cold = { vaddr: c!, pfns: [] };
    hot.pfns = pfnsAt(hot.vaddr);
    cold.pfns = pfnsAt(cold.vaddr);
    // every real PFN counts as the lower tier: node 0, the top tier, is a section past the end of memory
    writeFileSync(
      path.join(dir, 'topology.json'),
      JSON.stringify({ nodes: [{ id: 0, startPfn: 2 ** 32 - 32_768, pages: 32_768, tier: 0, cpus: [0, 1, 2, 3, 4, 5, 6, 7] }, { id: 1, startPfn: 0, pages: 2 ** 32 - 32_768, tier: 1 }] }),
    );
  });
  afterAll(async () => {
    child.stdin!.end();
    await new Promise((resolve) => child.on('close', resolve));
  });

  const live = async (args: string[]) => {
    const r = await runTestCli(['live', '--sources', 'perf', '--pid', String(child.pid), '--topology', 'topology.json', '--format', 'json', ...args], { cwd: dir });
    if (r.code !== 0) throw new Error(`pghot live exited ${r.code}: ${r.stderr}`);
    return { report: JSON.parse(r.stdout), stderr: r.stderr };
  };

  it('perf samples carry the real PFNs of the hot pages (as pagemap has them), and nothing of the cold ones; the recording replays to the same decisions', async () => {
    expect(hot.pfns.every((p) => p > 0) && cold.pfns.every((p) => p > 0)).toBe(true);
    const { report } = await live(['--duration', '1500ms', '--record', 'perf.txt']);
    const perf = report.sources[0];
    expect(perf).toMatchObject({ name: 'perf', malformed: 0, late: 0 });
    expect(perf.resolved).toBeGreaterThan(64);
    // the hot loop can fault faster than --max-samples (20,000/s): what is over is counted, not fed
    expect(perf.samples).toBe(perf.resolved + perf.unresolved + perf.dropped);
    const samples = readFileSync(path.join(dir, 'perf.txt'), 'utf8').trim().split('\n').map((l) => l.trim().split(/\s+/));
    const hotSamples = samples.filter((f) => Number.parseInt(f[5]!, 16) - hot.vaddr >= 0 && Number.parseInt(f[5]!, 16) - hot.vaddr < 64 * 4096);
    expect(hotSamples.length).toBe(samples.length); // the child faults on nothing else while it runs
    for (const f of hotSamples) {
      const page = Math.floor((Number.parseInt(f[5]!, 16) - hot.vaddr) / 4096);
      expect([page, Math.floor(Number.parseInt(f[6]!, 16) / 4096)]).toEqual([page, hot.pfns[page]]);
    }
    const replay = JSON.parse((await runTestCli(['run', '--samples', 'perf.txt', '--topology', 'topology.json'], { cwd: dir })).stdout);
    expect(replay.promoted).toEqual(report.promoted);
  }, 30_000);

  it("logs what kmigrated would move — hot pages, never cold — and reports the real /proc/vmstat deltas; a busy DAMON is skipped and left running", async () => {
    const machine = damonStatus(fs);
    const stateBefore = machine.kdamonds > 0 ? readFileSync('/sys/kernel/mm/damon/admin/kdamonds/0/state', 'utf8') : null;
    const { report, stderr } = await live(['--sources', 'damon,perf', '--skip-unavailable', '--duration', '1500ms', '--log', 'batches.jsonl']);
    expect(stderr.startsWith('pghot live: dry run: no page is moved\n')).toBe(true);
    const batches = readFileSync(path.join(dir, 'batches.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const logged = new Set<number>(batches.flatMap((b) => b.pfns));
    expect(batches.every((b) => b.reason === 'kmigrated' && b.from === 1 && b.target === 0 && b.moved === 0)).toBe(true);
    expect(hot.pfns.filter((p) => logged.has(p)).length).toBeGreaterThan(0);
    expect(cold.pfns.filter((p) => logged.has(p))).toEqual([]);
    expect([...logged].every((p) => hot.pfns.includes(p))).toBe(true);
    // perf's and pghot's own CPU time (/proc/PID/stat, 10 ms ticks)
    expect(report.live.overhead).toMatchObject({ kdamondCpuMs: null, charged: {} });
    expect(report.live.overhead.perfCpuMs).toBeGreaterThan(0);
    expect(report.live.overhead.pghotCpuMs).toBeGreaterThan(0);
    // the real counters moved: the hot loop's page faults
    expect(report.live.vmstatDelta.pgfault).toBeGreaterThan(0);
    expect(Object.keys(report.live.vmstatDelta)).toEqual(expect.arrayContaining(['numa_hint_faults', 'pgpromote_success', 'pgmigrate_success']));
    if (machine.kdamonds > 0) {
      // this project's machines: the boot kdamond keeps DAMON busy; pghot went on with perf alone
      expect(report.live.skipped).toMatchObject([{ source: 'damon' }]);
      expect(readFileSync('/sys/kernel/mm/damon/admin/kdamonds/0/state', 'utf8')).toBe(stateBefore);
      expect(damonStatus(fs).kdamonds).toBe(machine.kdamonds);
    }
  }, 30_000);

  it('--apply moves the promoted pages with move_pages(2) to node 0, with the real per-page status', async () => {
    const { report, stderr } = await live(['--apply', '--duration', '1500ms']);
    expect(stderr.startsWith(`pghot live: --apply: pages of pid ${child.pid} are moved with move_pages(2)\n`)).toBe(true);
    const apply = report.live.apply;
    expect(apply.batches).toBeGreaterThan(0);
    expect(apply.requested).toBeGreaterThan(0);
    // already on node 0 (one node here): a real call that leaves each page where it is, status 0
    expect(apply.status).toEqual({ 'node 0': apply.requested });
    expect(report.promoted.folios).toBe(apply.requested);
    expect(apply.notMapped).toBe(0);
    expect(report.vmstat.pgpromote_success).toBe(apply.requested);
  }, 30_000);
});
