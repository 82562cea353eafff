/**
 * `pnpm bench` (simulator part): a run with promotion off (the no-promotion baseline: replay only)
 * against bench/ref/sim_ref.c, the same per-access work in plain C, on the same footprint and number
 * of accesses (gups-hotset: 90 % uniform in the hot tenth, 10 % over all), at 128 MiB and 32 GiB.
 * Each size runs in a child process of its own, which also reports the simulator's memory: resident
 * bytes added (peak RSS over the RSS before the machine was built) per page of simulated machine
 * plus footprint. PGHOT_BENCH_SIM=0 skips it; PGHOT_BENCH_SIM_SIZES=MiB,MiB overrides the sizes.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { alternate, runReference, summarize } from './summary.js';

const PAGES_PER_MIB = 256;
const here = path.dirname(fileURLToPath(import.meta.url));

/** The machine for a footprint: a quarter of it fits in DRAM (as sim_ref's last quarter), all of it on CXL. */
function benchMachine(footprintMiB: number) {
  return {
    name: `bench-${footprintMiB}MiB`,
    nodes: [
      { id: 0, tier: 0, capacityMiB: footprintMiB / 4 + 64, cpus: [0] },
      { id: 1, tier: 1, capacityMiB: footprintMiB },
    ],
    latencyNs: [
      [80, 250],
      [250, 250],
    ],
    cpuNsPerAccess: 20,
  };
}

/** In the child: build and run one simulation with promotion off, print what it measured as JSON. */
async function child(footprintMiB: number, accesses: number): Promise<void> {
  const { Simulation } = await import('@pghot/sim');
  const rssBefore = process.memoryUsage().rss;
  const machine = benchMachine(footprintMiB);
  const sim = new Simulation({ machine, workload: { name: 'gups-hotset', params: { footprintMiB, accessesPerThread: accesses, writeFraction: 0 } }, promotion: false, demotion: false });
  const t = performance.now();
  await sim.run();
  const seconds = (performance.now() - t) / 1000;
  const peak = process.resourceUsage().maxRSS * 1024;
  const machinePages = machine.nodes.reduce((a, n) => a + n.capacityMiB * PAGES_PER_MIB, 0);
  console.log(JSON.stringify({ maccs: accesses / seconds / 1e6, bytesPerPage: (peak - rssBefore) / (machinePages + footprintMiB * PAGES_PER_MIB), peakMiB: peak / 2 ** 20 }));
}

/**
 * In the child: `pghot run` as a user runs it (pghot's default configuration: hint faults, kmigrated,
 * the hotness store, then the no-promotion baseline, one after the other) on dram+cxl-1t with a
 * 256 GiB footprint; print its peak RSS and bytes per page of machine plus footprint.
 */
async function childTerabyte(accesses: number): Promise<void> {
  const { runCli } = await import('../packages/cli/src/program.js');
  const { MACHINE_PRESETS } = await import('@pghot/sim');
  const rssBefore = process.memoryUsage().rss;
  const footprintMiB = 256 * 1024;
  let out = '';
  const t = performance.now();
  const code = await runCli(['run', '--machine', 'dram+cxl-1t', '--set', `workload.footprintMiB=${footprintMiB}`, '--set', `workload.accessesPerThread=${accesses}`, '--jobs', '1', '--format', 'json'], {
    stdout: (s) => void (out += s),
    stderr: (s) => process.stderr.write(s),
    stdoutIsTTY: false,
    stderrIsTTY: false,
    cwd: process.cwd(),
    env: process.env,
  });
  if (code !== 0) throw new Error(`pghot run exited ${code}`);
  const seconds = (performance.now() - t) / 1000;
  const report = JSON.parse(out) as { vmstat: Record<string, number>; fastTierHitRatio: number };
  const peak = process.resourceUsage().maxRSS * 1024;
  const machinePages = MACHINE_PRESETS['dram+cxl-1t']!.nodes.reduce((a, n) => a + n.capacityMiB * PAGES_PER_MIB, 0);
  console.log(JSON.stringify({ seconds, bytesPerPage: (peak - rssBefore) / (machinePages + footprintMiB * PAGES_PER_MIB), peakMiB: peak / 2 ** 20, promoted: report.vmstat.pgpromote_success ?? 0, hitRatio: report.fastTierHitRatio }));
}

const childArgs = (args: string[]) => {
  const out = execFileSync(process.execPath, ['--conditions=@pghot/source', '--import', 'tsx', '--max-old-space-size=8192', fileURLToPath(import.meta.url), ...args], { cwd: path.join(here, '..'), encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop()!) as Record<string, number>;
};

const main = process.argv[1] === fileURLToPath(import.meta.url);
if (main && process.argv[2] === 'child') await child(Number(process.argv[3]), Number(process.argv[4]));
else if (main && process.argv[2] === 'terabyte') await childTerabyte(Number(process.argv[3]));
else if (main && process.env.PGHOT_BENCH_SIM !== '0') {
  const sizes = (process.env.PGHOT_BENCH_SIM_SIZES ?? '128,32768').split(',').map(Number);
  const accesses = Number(process.env.PGHOT_BENCH_SIM_ACCESSES ?? 40_000_000);
  console.log(`simulator: promotion off, gups-hotset, ${accesses} accesses, against sim_ref.c on the same footprint and accesses`);
  console.log(`footprint    TS Macc/s  C Macc/s  TS/C (${Number(process.env.PGHOT_BENCH_RUNS ?? 3)} runs each, alternating; medians)   peak RSS   bytes/page (machine + footprint)`);
  const runs = Number(process.env.PGHOT_BENCH_RUNS ?? 3);
  for (const mib of sizes) {
    // each run alternates with sim_ref (the VM's speed drifts); memory: the largest of the runs
    const mem: { bytesPerPage: number; peakMiB: number }[] = [];
    const m = await alternate(
      runs,
      () => {
        const r = childArgs(['child', String(mib), String(accesses)]) as { maccs: number; bytesPerPage: number; peakMiB: number };
        mem.push(r);
        return r.maccs;
      },
      () => runReference('sim_ref', [String(mib * PAGES_PER_MIB), String(accesses)], /Macc\/s ([\d.]+)/),
    );
    const bytesPerPage = Math.max(...mem.map((r) => r.bytesPerPage));
    const peakMiB = Math.max(...mem.map((r) => r.peakMiB));
    const size = mib >= 1024 ? `${mib / 1024} GiB` : `${mib} MiB`;
    const ratio = m.ratio === null ? ' n/a' : `${m.ratio.toFixed(2)} (pairs: ${m.ratios.map((r) => r.toFixed(2)).join(' ')})`;
    console.log(`${size.padEnd(11)} ${m.ts.toFixed(1).padStart(10)}  ${m.c === null ? '     n/a' : m.c.toFixed(1).padStart(8)}  ${ratio}  ${peakMiB.toFixed(0).padStart(5)} MiB  ${bytesPerPage.toFixed(1)}`);
    summarize({ what: `simulator, promotion off, ${size} footprint`, ts: m.ts, c: m.c, unit: 'Macc/s', bar: 0.3, ...(m.ratio !== null ? { ratio: m.ratio } : {}) });
    // small runs are dominated by the process's fixed memory: the per-page figure counts from 1 GiB up
    if (mib >= 1024) summarize({ what: `simulator memory, ${size} footprint`, ts: bytesPerPage, c: null, unit: 'B/page', bar: 16, ceiling: true });
  }
  if (process.env.PGHOT_BENCH_1T !== '0') {
    const n = Number(process.env.PGHOT_BENCH_1T_ACCESSES ?? 60_000_000);
    console.log(`\n1 TiB: pghot run --machine dram+cxl-1t (64 GiB DRAM, 1 TiB CXL), gups-hotset with a 256 GiB footprint, ${n} accesses, then its baseline`);
    const r = childArgs(['terabyte', String(n)]);
    console.log(`  ${r.seconds!.toFixed(0)} s, peak RSS ${(r.peakMiB! / 1024).toFixed(2)} GiB, ${r.bytesPerPage!.toFixed(2)} B/page of machine + footprint, ${r.promoted} pages promoted, hit ratio ${r.hitRatio}`);
    summarize({ what: 'dram+cxl-1t, 256 GiB footprint: memory', ts: r.bytesPerPage!, c: null, unit: 'B/page', bar: 16, ceiling: true });
    summarize({ what: 'dram+cxl-1t, 256 GiB footprint: peak RSS', ts: r.peakMiB! / 1024, c: null, unit: 'GiB', bar: 8, ceiling: true });
  }
}
