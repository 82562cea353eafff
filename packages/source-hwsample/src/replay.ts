import {
  createDryRunEngine,
  NUMA_NO_NODE,
  PGHOT_SRC,
  type Pghot,
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
  /** Samples whose CPU the topology places on no node (recorded with NUMA_NO_NODE). */
  unknownCpu: number;
  promoted: { folios: number; pages: number; pfns: number[] };
  vmstat: Record<string, number>;
}

/**
 * Samples into an engine as they arrive, in time order (a replay, or a live perf stream): the
 * samples of one jiffy (ms since `originMs`, default the first sample's, floored) are recorded as
 * one batch (the sampling CPU's node; NUMA_NO_NODE when the input has no CPU), after kmigrated
 * has caught up to that jiffy. A sample older than the jiffy being gathered counts as that jiffy
 * (`late`). Allocates nothing per sample.
 */
export class SampleFeed {
  readonly #engine: Pghot;
  readonly #src: number;
  #originMs: number | null;
  #pfn = new Float64Array(4096);
  #nid = new Int16Array(4096);
  #n = 0;
  #now = -1;
  samples = 0;
  late = 0;
  /** Samples from a CPU the topology does not place on a node: recorded with NUMA_NO_NODE. */
  unknownCpu = 0;

  constructor(engine: Pghot, source: 'hwhints' | 'hintfaults', options: { originMs?: number } = {}) {
    this.#engine = engine;
    this.#src = PGHOT_SRC[source];
    engine.enableSource(this.#src);
    this.#originMs = options.originMs ?? null;
  }

  /** The engine's time of the last batch (jiffies since the origin). */
  get now(): number {
    return Math.max(0, this.#now);
  }

  /**
   * Add one sample. Returns a promise only when the sample starts a new jiffy (the gathered batch
   * is recorded and kmigrated catches up): await it before the next push.
   */
  push(pfn: number, timeMs: number, cpu: number): Promise<void> | undefined {
    if (this.#originMs === null) this.#originMs = Math.floor(timeMs);
    let now = Math.floor(timeMs) - this.#originMs;
    if (now < this.#now) {
      now = this.#now;
      this.late++;
    }
    if (now === this.#now) {
      this.#add(pfn, cpu);
      return undefined;
    }
    return this.#nextJiffy(now).then(() => this.#add(pfn, cpu));
  }

  async #nextJiffy(now: number): Promise<void> {
    this.#flush();
    this.#now = now;
    await this.#engine.advance(now);
  }

  #add(pfn: number, cpu: number): void {
    if (this.#n === this.#pfn.length) {
      const pfns = new Float64Array(this.#n * 2);
      pfns.set(this.#pfn);
      this.#pfn = pfns;
      const nids = new Int16Array(this.#n * 2);
      nids.set(this.#nid);
      this.#nid = nids;
    }
    this.#pfn[this.#n] = pfn;
    const nid = cpu < 0 ? NUMA_NO_NODE : this.#engine.topology.nodeOfCpu(cpu);
    if (cpu >= 0 && nid < 0) this.unknownCpu++;
    this.#nid[this.#n] = nid;
    this.#n++;
    this.samples++;
  }

  #flush(): void {
    if (this.#n === 0) return;
    this.#engine.recordAccesses(this.#src, this.#pfn, this.#nid, this.#now, this.#n);
    this.#n = 0;
  }

  /** Record what is gathered, then one more kmigrated wake for the last records. */
  async finish(): Promise<void> {
    this.#flush();
    await this.#engine.advance(this.now + this.#engine.tunables.kmigrated_sleep_ms);
  }
}

/**
 * Replay real samples into a pghot engine over the sampled machine's topology, in time order, with
 * kmigrated waking every kmigrated_sleep_ms, and report what it would promote (a dry-run backend
 * claims the batches).
 */
export async function replaySamples(samples: SampleFile, options: ReplayOptions = {}): Promise<SamplesReport> {
  const { engine, backend } = createDryRunEngine(options);
  const faultEvents = Object.keys(samples.events).every((e) => /fault/i.test(e));
  const sourceName = options.source ?? (faultEvents ? 'hintfaults' : 'hwhints');
  const feed = new SampleFeed(engine, sourceName);
  await engine.init();
  const n = samples.resolved;
  // perf writes samples in time order; sort (stably) only when a file is not
  const order = Uint32Array.from({ length: n }, (_, i) => i);
  let sorted = true;
  for (let i = 1; i < n && sorted; i++) sorted = samples.timeMs[i - 1]! <= samples.timeMs[i]!;
  if (!sorted) order.sort((a, b) => samples.timeMs[a]! - samples.timeMs[b]! || a - b);
  for (let k = 0; k < n; k++) {
    const i = order[k]!;
    const jiffy = feed.push(samples.pfn[i]!, samples.timeMs[i]!, samples.cpu[i]!);
    if (jiffy) await jiffy;
  }
  await feed.finish();
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
    unknownCpu: feed.unknownCpu,
    promoted: { folios: promotedPfns.length, pages: backend.promotedPages, pfns: promotedPfns.slice(0, options.listPfns ?? 100) },
    vmstat,
  };
}
