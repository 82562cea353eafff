import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError, createDryRunEngine, createWalkBatch, STANDIN_TOPOLOGY, Topology, type MigrationBatch, type PghotMode, type PghotPlugin, type TopologySpec, type TunablesInput } from '@pghot/core';
import {
  cpuTimeMs,
  damonStatus,
  findPerf,
  KernelFs,
  LinuxPlatform,
  movePagesBackend,
  perfEvent,
  readLinuxTopology,
  readSystemRam,
  readVmstat,
  samplingPmu,
  startDamon,
  startPerfStream,
  toTopologySpec,
  vmstatDelta,
  type AppliedBatch,
  type DamonRegion,
  type DamonSession,
  type PerfStream,
} from '@pghot/linux';
import { parsePerfScriptSample, SampleFeed, type PerfSample } from '@pghot/source-hwsample';
import { DamonFeed } from '@pghot/trace';
import { usage } from './simulate.js';
import type { LiveSeriesPoint } from '../report/charts.js';

export type LiveSource = 'damon' | 'perf';

export interface LiveOptions {
  /** Where the kernel's files are: `/`, or a fake tree in tests. */
  sysfsRoot: string;
  durationMs: number;
  /** DAMON's aggregation interval, and how often pghot reads the regions. */
  aggrMs: number;
  sources: readonly LiveSource[];
  /** Go on with the other sources when one cannot run (a busy DAMON, no perf), saying so. */
  skipUnavailable: boolean;
  /** Monitor (and with apply, move the pages of) this process. */
  pid?: number | undefined;
  /** Move pages with move_pages(2) (needs pid); otherwise a dry run. */
  apply: boolean;
  /** Save the input (DAMON regions as damon:damon_aggregated text, or perf script lines), which `pghot run` replays. */
  record?: string | undefined;
  /** Caps: DAMON's maximum number of regions, and perf samples kept per second. */
  maxRegions: number;
  maxSamplesPerSecond: number;
  /** The perf binary (default: perf on PATH). */
  perf?: string | undefined;
  topology?: TopologySpec | undefined;
  engine: { mode: PghotMode; tunables: TunablesInput; stickyReady: boolean; plugins: readonly PghotPlugin[] };
  /** One line for stderr: what pghot chose or skipped. */
  notice: (line: string) => void;
  /** Each batch kmigrated (or a policy) moved or would move, as it happens: one JSON line. */
  onBatch?: ((line: string) => void) | undefined;
}

/** `30s`, `300ms`, `2m`, or seconds. */
export function parseDuration(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!m) throw usage(`${flag} expects a duration such as 30s, 500ms or 2m, got "${text}"`);
  const n = Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 'm' ? 60_000 : 1000);
  if (n <= 0) throw usage(`${flag} must be more than 0`);
  return n;
}

/** s.µs as perf prints times. */
const perfTime = (ns: number) => `${Math.floor(ns / 1e9)}.${String(Math.floor((ns % 1e9) / 1000)).padStart(6, '0')}`;

/** One DAMON snapshot as damon:damon_aggregated tracepoint lines (perf script's shape). */
function aggregatedLines(timeNs: number, regions: readonly DamonRegion[]): string {
  const t = perfTime(timeNs);
  return regions.map((r) => `pghot-live 0 [000] ${t}: damon:damon_aggregated: target_id=0 nr_regions=${regions.length} ${r.start}-${r.end}: ${r.nrAccesses} ${r.age}\n`).join('');
}

/** CLOCK_MONOTONIC in ns: the clock of perf's `-k mono` sample times. */
const monotonicNs = () => Number(process.hrtime.bigint());

/**
 * vaddr regions as the physical regions they map to now (runs of consecutive PFNs of the
 * process), so that the store gets PFNs and a recording replays like a paddr one.
 */
function physicalRegions(platform: LinuxPlatform, regions: readonly DamonRegion[]): DamonRegion[] {
  const out: DamonRegion[] = [];
  const pid = platform.pid!;
  for (const r of regions) {
    if (r.nrAccesses < 1) continue;
    for (const m of platform.mappings) {
      const start = Math.max(r.start, m.start);
      const end = Math.min(r.end, m.end);
      if (start >= end) continue;
      const first = m.firstPage + (start - m.start) / 4096;
      const pages = (end - start) / 4096;
      const walk = createWalkBatch(pages);
      platform.walk(pid, first, pages, walk);
      for (let i = 0; i < pages; i++) {
        const pfn = walk.pfn[i]!;
        if (pfn <= 0) continue;
        const last = out[out.length - 1];
        if (last && last.end === pfn * 4096 && last.nrAccesses === r.nrAccesses) last.end += 4096;
        else out.push({ start: pfn * 4096, end: (pfn + 1) * 4096, nrAccesses: r.nrAccesses, age: r.age });
      }
    }
  }
  return out;
}

/** The engine's topology: --topology, else the machine's when it has a lower tier, else core's stand-in. */
function chooseTopology(fs: KernelFs, file: TopologySpec | undefined): { spec: TopologySpec; source: string; note: string | null } {
  if (file) return { spec: file, source: 'file', note: null };
  let why: string;
  try {
    const spec = toTopologySpec(readLinuxTopology(fs));
    if (new Topology(spec).lowerTierNodeIds.length > 0) return { spec, source: 'machine', note: null };
    why = `this machine has one memory tier (${spec.nodes.length} node${spec.nodes.length === 1 ? '' : 's'})`;
  } catch (e) {
    why = `its topology could not be read (${(e as Error).message})`;
  }
  return { spec: STANDIN_TOPOLOGY, source: 'stand-in', note: `${why}: memory above 4 GiB stands in for the lower tier (--topology FILE to choose)` };
}

/** What the perf source saw, before and after the cap. */
interface PerfCounts {
  lines: number;
  samples: number;
  resolved: number;
  unresolved: number;
  /** Over --max-samples in their second: not recorded, not fed. */
  dropped: number;
  malformed: number;
}

/**
 * A live run on this machine: the chosen sources watch the real memory for the duration (DAMON's
 * kdamond created by pghot, perf sampling), and each snapshot and sample goes into pghot's store as
 * it arrives — through the same feeds as `pghot run --damon` / `--samples`, so a recording replays
 * to the same decisions — with kmigrated, the configured policies, and a backend that logs each
 * batch (dry run) or moves it with move_pages(2) (--apply --pid). Everything pghot started is
 * stopped on every exit path; SIGINT or SIGTERM ends the run early with its report.
 */
export async function runLive(o: LiveOptions) {
  const fs = new KernelFs(o.sysfsRoot);
  if (o.sysfsRoot === '/' && process.getuid?.() !== 0) throw usage("pghot live needs root: DAMON's sysfs, perf's physical addresses, /proc/iomem and pagemap are root-only");
  if (o.sources.length === 0) throw usage('pghot live needs a source: --sources damon, perf or damon,perf');
  if (o.apply && o.pid === undefined) throw usage('--apply moves the pages of one process: name it with --pid');
  if (o.record && o.sources.length > 1) throw usage('--record saves one source\'s input (pghot run replays one): choose --sources damon or --sources perf');

  const platform = new LinuxPlatform(fs, { pid: o.pid });
  const topology = chooseTopology(fs, o.topology);
  if (topology.note) o.notice(`pghot live: ${topology.note}`);

  // which sources can run: refused in one line, or skipped (--skip-unavailable) while another can
  const skipped: { source: LiveSource; reason: string }[] = [];
  const perfBinary = o.perf ?? findPerf();
  const unavailable = (source: LiveSource): string | null => {
    if (source === 'perf') return perfBinary ? null : 'perf is not installed (Debian: apt-get install linux-perf)';
    const status = damonStatus(fs);
    if (!status.available) return `DAMON is not available: ${fs.path('/sys/kernel/mm/damon/admin/kdamonds')} is missing (a kernel with CONFIG_DAMON_SYSFS)`;
    return null;
  };
  const sources = o.sources.filter((s) => {
    const why = unavailable(s);
    if (why === null) return true;
    if (!o.skipUnavailable || o.sources.length === 1) throw new ConfigError(why, { code: 'PGHOT_LIVE' });
    skipped.push({ source: s, reason: why });
    o.notice(`pghot live: skipping ${s}: ${why}`);
    return false;
  });

  const applied = { batches: 0, requested: 0, notMapped: 0, status: {} as Record<string, number> };
  const appliedBy = new WeakMap<MigrationBatch, AppliedBatch>();
  const plugins = [...o.engine.plugins];
  if (o.apply) {
    plugins.push(
      movePagesBackend(platform, (batch, a) => {
        appliedBy.set(batch, a);
        applied.batches++;
        applied.requested += a.requested;
        applied.notMapped += a.notMapped;
        for (const [k, v] of Object.entries(a.status)) applied.status[k] = (applied.status[k] ?? 0) + v;
      }),
    );
  }
  const { engine } = createDryRunEngine({ topology: topology.spec, mode: o.engine.mode, tunables: o.engine.tunables, stickyReady: o.engine.stickyReady, plugins, platform });
  // what moved (with --apply) or would move (dry run: the dry-run backend reports every folio moved)
  const promoted = { pfns: [] as number[], pages: 0 };
  engine.hooks.afterMigrate.tap('pghot-live-log', (batch, outcome) => {
    for (let i = 0; i < batch.length; i++) {
      if (batch.status[i] !== 0) continue;
      promoted.pfns.push(batch.pfn[i]!);
      promoted.pages += batch.nrPages[i]!;
    }
    const a = appliedBy.get(batch);
    const line = { now: batch.now, reason: batch.reason, from: batch.from, target: batch.target, pfns: Array.from(batch.pfn), nrPages: Array.from(batch.nrPages), moved: o.apply ? outcome.migratedFolios : 0, ...(a ? { status: a.status, notMapped: a.notMapped } : {}) };
    o.onBatch?.(JSON.stringify(line));
  });

  // per second of the run: what was recorded and promoted in it (the report's charts)
  const series: LiveSeriesPoint[] = [];
  const seriesTotals = { recorded: 0, promotedPages: 0 };
  const sampleSeries = (tMs: number) => {
    const recorded = engine.vmstat().pghot_recorded_accesses ?? 0;
    series.push({ tMs, recorded: recorded - seriesTotals.recorded, promotedPages: promoted.pages - seriesTotals.promotedPages });
    seriesTotals.recorded = recorded;
    seriesTotals.promotedPages = promoted.pages;
  };

  const recording: string[] = [];
  const cpuAtStart = process.cpuUsage();
  const overhead = { pghotCpuMs: 0, perfCpuMs: null as number | null, kdamondCpuMs: null as number | null };
  /** CPU time of the source's processes, read before they stop. */
  const sourceCpu = (pids: readonly (number | null)[]) => pids.reduce<number | null>((sum, pid) => (pid === null ? sum : (sum ?? 0) + (cpuTimeMs(fs, pid) ?? 0)), null);
  const before = readVmstat(fs);
  const startNs = monotonicNs();
  const both = sources.length > 1;
  // one clock for both sources (monotonic ms since the start); one source keeps its replay's origin
  const damonFeed = sources.includes('damon') ? new DamonFeed(engine, both ? { originNs: startNs } : {}) : null;
  let event = perfEvent(null);
  if (sources.includes('perf')) {
    event = perfEvent(samplingPmu(fs));
    if (event.pmu === null) o.notice('pghot live: no IBS or PEBS PMU here: perf samples software page faults with their physical addresses as a stand-in');
  }
  // made once DAMON has started or been skipped (below): its clock depends on which
  let sampleFeed: SampleFeed | null = null;
  await engine.init();

  // work for the engine runs one item at a time, in arrival order
  let queue: Promise<void> = Promise.resolve();
  const enqueue = (work: () => Promise<void>) => {
    queue = queue.then(work);
  };

  // perf: lines parsed as they stream in, capped per second of sample time, fed in bursts
  const perf: PerfCounts = { lines: 0, samples: 0, resolved: 0, unresolved: 0, dropped: 0, malformed: 0 };
  const pending = { pfn: new Float64Array(65_536), timeMs: new Float64Array(65_536), cpu: new Int32Array(65_536), n: 0 };
  const sample: PerfSample = { event: '', pfn: 0, timeMs: 0, cpu: -1, addr: 0 };
  let second = -1;
  let inSecond = 0;
  /** Hand the samples gathered so far to the engine's queue. */
  const drainSamples = () => {
    const n = pending.n;
    if (n === 0) return;
    const batch = { pfn: pending.pfn.slice(0, n), timeMs: pending.timeMs.slice(0, n), cpu: pending.cpu.slice(0, n) };
    pending.n = 0;
    enqueue(async () => {
      for (let i = 0; i < n; i++) {
        const jiffy = sampleFeed!.push(batch.pfn[i]!, batch.timeMs[i]!, batch.cpu[i]!);
        if (jiffy) await jiffy;
      }
    });
  };
  const onPerfLine = (line: string) => {
    perf.lines++;
    if (!parsePerfScriptSample(line, sample) || Number.isNaN(sample.pfn)) {
      perf.malformed++;
      return;
    }
    perf.samples++;
    const s = Math.floor(sample.timeMs / 1000);
    if (s !== second) {
      second = s;
      inSecond = 0;
    }
    if (inSecond >= o.maxSamplesPerSecond) {
      perf.dropped++;
      return;
    }
    inSecond++;
    if (o.record) recording.push(`${line}\n`);
    if (sample.pfn === 0) {
      perf.unresolved++;
      return;
    }
    perf.resolved++;
    if (pending.n === pending.pfn.length) drainSamples();
    pending.pfn[pending.n] = sample.pfn;
    pending.timeMs[pending.n] = sample.timeMs;
    pending.cpu[pending.n] = sample.cpu;
    pending.n++;
  };

  const damon = { ops: 'paddr' as 'paddr' | 'vaddr', snapshots: 0, regions: 0 };
  let session: DamonSession | null = null;
  let stream: PerfStream | null = null;
  const cleanup = () => {
    session?.stop();
    stream?.kill();
  };
  let stoppedBy: NodeJS.Signals | null = null;
  let wake: () => void = () => {};
  const onSignal = (signal: NodeJS.Signals) => {
    if (stoppedBy !== null) {
      // a second signal: stop now
      cleanup();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
    stoppedBy = signal;
    wake();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.once('exit', cleanup);
  const ranges = damonFeed ? readSystemRam(fs) : [];
  let lastTickMs = 0;
  try {
    if (damonFeed) {
      const avail = (fs.read('/sys/kernel/mm/damon/admin/kdamonds/0/contexts/0/avail_operations') ?? '').split(/\s+/);
      damon.ops = o.pid !== undefined && avail.includes('vaddr') ? 'vaddr' : 'paddr';
      if (o.pid !== undefined && damon.ops === 'paddr') o.notice('pghot live: DAMON here monitors physical addresses only: it watches all System RAM, not just --pid');
      try {
        session = startDamon(fs, { ops: damon.ops, ranges, pid: o.pid, aggrUs: o.aggrMs * 1000, maxRegions: o.maxRegions, minRegions: Math.min(10, o.maxRegions) }, (line) => o.notice(`pghot live: ${line}`));
      } catch (e) {
        if (!(e instanceof ConfigError) || !o.skipUnavailable || sources.length === 1) throw e;
        skipped.push({ source: 'damon', reason: e.message });
        o.notice(`pghot live: skipping damon: ${e.message}`);
      }
    }
    if (sources.includes('perf')) {
      // with DAMON running, one clock for both; perf alone (DAMON skipped too) takes its first
      // sample's time as origin, as `--sources perf` and a replay of its recording do
      const origin = session !== null ? { originMs: Math.floor(startNs / 1e6) } : {};
      sampleFeed = new SampleFeed(engine, event.pmu === null ? 'hintfaults' : 'hwhints', origin);
      stream = startPerfStream({ perf: perfBinary!, event, pid: o.pid, onLine: onPerfLine });
    }
    if (session === null && stream === null) throw new ConfigError('no live source could start', { code: 'PGHOT_LIVE' });
    const started = performance.now();
    let perfFailed = false;
    // perf failed: end the run; stop() below rethrows perf's message
    stream?.done.catch(() => {
      perfFailed = true;
      wake();
    });
    let secondStartMs = 0;
    for (let t = o.aggrMs; t <= o.durationMs && stoppedBy === null && !perfFailed; t += o.aggrMs) {
      await Promise.race([sleep(Math.max(0, started + t - performance.now())), new Promise<void>((resolve) => (wake = resolve))]);
      if (stoppedBy !== null || perfFailed) break;
      lastTickMs = t;
      if (session) {
        const raw = session.regions();
        const regions = damon.ops === 'vaddr' ? physicalRegions(platform, raw) : raw;
        // µs, as the recording prints it, so that its replay computes the same jiffies
        const timeNs = Math.floor(monotonicNs() / 1000) * 1000;
        damon.snapshots++;
        damon.regions += raw.length;
        if (o.record) recording.push(aggregatedLines(timeNs, regions));
        enqueue(() => damonFeed!.push({ timeNs, regions }));
      }
      drainSamples();
      await queue;
      if (t - secondStartMs >= 1000) {
        secondStartMs = t;
        sampleSeries(t);
      }
    }
    if (session) overhead.kdamondCpuMs = sourceCpu([session.kdamondPid()]);
    if (stream) overhead.perfCpuMs = sourceCpu(stream.pids);
    session?.stop();
    if (stream) await stream.stop();
    drainSamples();
    await queue;
  } finally {
    cleanup();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('exit', cleanup);
  }
  // one more kmigrated wake for the last records, as the replays end
  if (sampleFeed) await sampleFeed.finish();
  if (damonFeed) await engine.advance(Math.max(damonFeed.now, sampleFeed?.now ?? 0) + engine.tunables.kmigrated_sleep_ms);
  await engine.shutdown();
  // what the last ticks and the final wake recorded: a point at the last tick (or added to it)
  const last = series.at(-1);
  if (last && last.tMs === lastTickMs) {
    series.pop();
    seriesTotals.recorded -= last.recorded;
    seriesTotals.promotedPages -= last.promotedPages;
  }
  if (lastTickMs > 0) sampleSeries(lastTickMs);
  const cpu = process.cpuUsage(cpuAtStart);
  overhead.pghotCpuMs = Math.round((cpu.user + cpu.system) / 1000);
  const after = readVmstat(fs);
  const vmstat = engine.vmstat();
  const report = {
    schemaVersion: 1 as const,
    kind: 'live' as const,
    mode: engine.mode,
    tunables: { ...engine.tunables.toJSON() },
    sources: [
      ...(damonFeed && session ? [{ name: 'damon', ops: damon.ops, aggrMs: o.aggrMs, maxRegions: o.maxRegions, snapshots: damon.snapshots, regions: damon.regions, hotRegions: damonFeed.hotRegions, reportedPages: damonFeed.reportedPages, outsidePages: damonFeed.outsidePages }] : []),
      ...(sampleFeed ? [{ name: 'perf', event: event.description, pmu: event.pmu, maxSamplesPerSecond: o.maxSamplesPerSecond, ...perf, late: sampleFeed.late }] : []),
    ],
    recorded: vmstat.pghot_recorded_accesses ?? 0,
    promoted: { folios: promoted.pfns.length, pages: promoted.pages, pfns: promoted.pfns.slice(0, 100) },
    vmstat,
    live: {
      dryRun: !o.apply,
      pid: o.pid ?? null,
      durationMs: o.durationMs,
      stoppedBy,
      topology: { source: topology.source, note: topology.note },
      systemRam: ranges,
      skipped,
      record: o.record ?? null,
      apply: o.apply ? applied : null,
      /** CPU time: pghot itself, perf record + perf script, the kdamond thread; and what plugins charged to the platform. */
      overhead: { ...overhead, charged: Object.fromEntries(platform.overhead) },
      vmstatDelta: vmstatDelta(before, after),
      /** Per second: accesses recorded and pages promoted in it (the last point: up to the end). */
      series,
    },
  };
  return { report, recording: o.record ? recording.join('') : null };
}
