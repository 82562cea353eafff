import {
  createDryRunEngine,
  NUMA_NO_NODE,
  PGHOT_SRC,
  type PghotMode,
  type PghotPlugin,
  type TopologySpec,
  type TunablesInput,
} from '@pghot/core';
import type { SampleFile } from './perf.js';

export interface ReplayOptions {
  /** The sampled machine's topology; default: core's STANDIN_TOPOLOGY (memory above 4 GiB is the lower tier). */
  topology?: TopologySpec;
  mode?: PghotMode;
  tunables?: TunablesInput;
  stickyReady?: boolean;
  plugins?: readonly PghotPlugin[];
  /** Report the samples as this source; default: hintfaults for page-fault events, else hwhints. */
  source?: 'hwhints' | 'hintfaults';
  /** How many promoted PFNs to list in the report. */
  listPfns?: number;
}

export interface SamplesReport {
  schemaVersion: 1;
  kind: 'samples';
  file: string;
  format: string;
  events: Record<string, number>;
  lines: number;
  samples: number;
  resolved: number;
  unresolved: number;
  malformed: number;
  badLines: { line: number; text: string }[];
  source: string;
  mode: PghotMode;
  tunables: Record<string, number>;
  /** Resolved samples pghot recorded into its store. */
  recorded: number;
  /** Resolved samples pghot filtered (top tier, local node, outside the topology). */
  filtered: number;
  promoted: { folios: number; pages: number; pfns: number[] };
  vmstat: Record<string, number>;
}

/**
 * Replay real samples into a pghot engine over the sampled machine's topology, in time order, with
 * kmigrated waking every kmigrated_sleep_ms, and report what it would promote (a dry-run backend
 * claims the batches).
 */
export async function replaySamples(samples: SampleFile, options: ReplayOptions = {}): Promise<SamplesReport> {
  const { engine, backend } = createDryRunEngine(options);
  const topology = engine.topology;
  const faultEvents = Object.keys(samples.events).every((e) => /fault/i.test(e));
  const sourceName = options.source ?? (faultEvents ? 'hintfaults' : 'hwhints');
  const src = PGHOT_SRC[sourceName];
  engine.enableSource(src);
  await engine.init();

  const n = samples.resolved;
  // perf writes samples in time order; sort (stably) only when a file is not
  const order = Uint32Array.from({ length: n }, (_, i) => i);
  let sorted = true;
  for (let i = 1; i < n && sorted; i++) sorted = samples.timeMs[i - 1]! <= samples.timeMs[i]!;
  if (!sorted) order.sort((a, b) => samples.timeMs[a]! - samples.timeMs[b]! || a - b);
  const pfns = new Float64Array(n);
  const nids = new Int16Array(n);
  for (let k = 0; k < n; k++) {
    const i = order[k]!;
    pfns[k] = samples.pfn[i]!;
    const cpu = samples.cpu[i]!;
    nids[k] = cpu < 0 ? NUMA_NO_NODE : topology.nodeOfCpu(cpu);
  }
  // jiffies since the first sample: kmigrated's clock starts with the trace
  const t0 = n > 0 ? Math.floor(samples.timeMs[order[0]!]!) : 0;
  let k = 0;
  while (k < n) {
    const now = Math.floor(samples.timeMs[order[k]!]!) - t0;
    let end = k;
    while (end < n && Math.floor(samples.timeMs[order[end]!]!) - t0 === now) end++;
    await engine.advance(now);
    engine.recordAccesses(src, pfns.subarray(k, end), nids.subarray(k, end), now);
    k = end;
  }
  const last = n > 0 ? Math.floor(samples.timeMs[order[n - 1]!]!) - t0 : 0;
  await engine.advance(last + engine.tunables.kmigrated_sleep_ms); // one more wake for the last records
  await engine.shutdown();
  const vmstat = engine.vmstat();
  const promotedPfns = backend.batches.flatMap((b) => b.pfns);
  return {
    schemaVersion: 1,
    kind: 'samples',
    file: samples.file,
    format: samples.format,
    events: samples.events,
    lines: samples.lines,
    samples: samples.resolved + samples.unresolved,
    resolved: samples.resolved,
    unresolved: samples.unresolved,
    malformed: samples.malformed,
    badLines: samples.badLines,
    source: sourceName,
    mode: engine.mode,
    tunables: { ...engine.tunables.toJSON() },
    recorded: vmstat.pghot_recorded_accesses ?? 0,
    filtered: samples.resolved - (vmstat.pghot_recorded_accesses ?? 0),
    promoted: { folios: promotedPfns.length, pages: backend.promotedPages, pfns: promotedPfns.slice(0, options.listPfns ?? 100) },
    vmstat,
  };
}
