import { setTimeout as sleep } from 'node:timers/promises';
import { KernelFs, readSystemRam, readVmstat, startDamon, stopOnSignals, vmstatDelta, type DamonRegion } from '@pghot/linux';
import { replayDamon, type DamonInput, type DamonReplayOptions } from '@pghot/trace';
import { writeOutputFile } from '../write-output.js';
import { usage } from './simulate.js';

export interface LiveOptions {
  /** Where the kernel's files are: `/`, or a fake tree in tests. */
  sysfsRoot: string;
  durationMs: number;
  /** DAMON's aggregation interval, and how often pghot reads the regions. */
  aggrMs: number;
  /** Save what DAMON reported as damon:damon_aggregated text, which `pghot run --damon` replays. */
  record?: string | undefined;
  replay: DamonReplayOptions;
}

/** `30s`, `300ms`, `2m`, or seconds. */
export function parseDuration(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!m) throw usage(`${flag} expects a duration such as 30s, 500ms or 2m, got "${text}"`);
  const n = Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 'm' ? 60_000 : 1000);
  if (n <= 0) throw usage(`${flag} must be more than 0`);
  return n;
}

/** Snapshots as damon:damon_aggregated tracepoint lines (perf script's shape), times in s since the start. */
function aggregatedText(snapshots: { timeNs: number; regions: DamonRegion[] }[]): string {
  return snapshots
    .flatMap((s) => {
      const t = `${Math.floor(s.timeNs / 1e9)}.${String(Math.floor((s.timeNs % 1e9) / 1000)).padStart(6, '0')}`;
      return s.regions.map((r) => `pghot-live 0 [000] ${t}: damon:damon_aggregated: target_id=0 nr_regions=${s.regions.length} ${r.start}-${r.end}: ${r.nrAccesses} ${r.age}`);
    })
    .join('\n')
    .concat('\n');
}

/**
 * A live run with DAMON: physical-address monitoring of the machine's System RAM for the duration,
 * the regions read every aggregation interval, then pghot's store and kmigrated driven with them (a
 * dry run: what would be promoted), with the real /proc/vmstat deltas. DAMON's kdamond is pghot's
 * own and is removed on every exit path; a busy DAMON is left alone and refused (exit 2).
 */
export async function runLive(o: LiveOptions) {
  const fs = new KernelFs(o.sysfsRoot);
  if (o.sysfsRoot === '/' && process.getuid?.() !== 0) throw usage('pghot live needs root: DAMON\'s sysfs, /proc/iomem and pagemap are root-only');
  const ranges = readSystemRam(fs);
  const before = readVmstat(fs);
  const started = performance.now();
  const session = startDamon(fs, { ranges, aggrUs: o.aggrMs * 1000 });
  const removeHandlers = stopOnSignals(session);
  const snapshots: { timeNs: number; regions: DamonRegion[] }[] = [];
  try {
    for (let t = o.aggrMs; t <= o.durationMs; t += o.aggrMs) {
      await sleep(Math.max(0, started + t - performance.now()));
      snapshots.push({ timeNs: Math.round((performance.now() - started) * 1e6), regions: session.regions() });
    }
  } finally {
    session.stop();
    removeHandlers();
  }
  const after = readVmstat(fs);
  const input: DamonInput = { file: 'live', format: 'damon_aggregated', snapshots, incomplete: 0, aggrUs: o.aggrMs * 1000 };
  if (o.record) writeOutputFile(o.record, aggregatedText(snapshots));
  const report = await replayDamon(input, o.replay);
  return {
    ...report,
    kind: 'live' as const,
    live: {
      dryRun: true,
      sources: ['damon (paddr)'],
      durationMs: o.durationMs,
      aggrMs: o.aggrMs,
      systemRam: ranges,
      record: o.record ?? null,
      vmstatDelta: vmstatDelta(before, after),
    },
  };
}
