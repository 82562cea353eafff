import { readFile } from 'node:fs/promises';
import { inflateSync } from 'node:zlib';
import {
  createDryRunEngine,
  NUMA_NO_NODE,
  type Pghot,
  type PghotMode,
  type PghotPlugin,
  type TopologySpec,
  type TunablesInput,
} from '@pghot/core';
import { TraceParseError, traceFileError } from './errors.js';

export interface DamonRegion {
  /** Byte addresses, end exclusive (physical for paddr). */
  start: number;
  end: number;
  nrAccesses: number;
  age: number;
}
export interface RegionSnapshot {
  /** ns (since boot, as the input gives it), or null when the input has no time (tried_regions). */
  timeNs: number | null;
  regions: DamonRegion[];
}
export type DamonFormat = 'tried_regions' | 'damon_aggregated' | 'damo-json';
export interface DamonInput {
  file: string;
  format: DamonFormat;
  snapshots: RegionSnapshot[];
  /** Incomplete trailing tracepoint groups, dropped. */
  incomplete: number;
  /** damo: aggregation interval in µs, when the record has it. */
  aggrUs: number | null;
}

const TRIED = /^start=(\d+) end=(\d+) nr_accesses=(\d+) age=(\d+)$/;
const AGGREGATED = /^\s*(.+?)\s+(\d+)\.(\d+):\s+damon:damon_aggregated:\s+target_id=(\d+)\s+nr_regions=(\d+)\s+(\d+)-(\d+):\s+(\d+)\s+(\d+)\s*$/;

/** damo's numbers: JSON numbers, plain or comma-grouped strings, or "max". */
function damoNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') return Number.NaN;
  if (v === 'max') return Number.POSITIVE_INFINITY;
  const s = v.replace(/,/g, '').trim();
  return /^\d+(\.\d+)?$/.test(s) ? Number(s) : Number.NaN;
}

function sinceBootNs(sec: string, frac: string): number {
  return Number(sec) * 1e9 + Number(frac.padEnd(9, '0').slice(0, 9));
}

/**
 * Read a DAMON input, by content: a tried_regions snapshot (`start= end= nr_accesses= age=`
 * lines), `damon:damon_aggregated` tracepoint text (perf script), or a damo record (JSON, or
 * json_compressed: zlib). Tracepoint lines group into snapshots by their nr_regions count (their
 * timestamps differ by µs), an incomplete last group is dropped and counted.
 */
export async function readDamon(file: string): Promise<DamonInput> {
  let buf: Buffer;
  try {
    buf = await readFile(file);
  } catch (e) {
    throw traceFileError(file, (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message, e);
  }
  if (buf[0] === 0x78 && (buf[1] === 0x9c || buf[1] === 0x01 || buf[1] === 0xda)) {
    try {
      buf = inflateSync(buf);
    } catch (e) {
      throw traceFileError(file, `corrupt damo json_compressed (zlib): ${(e as Error).message}`, e);
    }
  }
  const text = buf.toString('utf8');
  const first = text.trimStart()[0];
  if (first === '[' || first === '{') return readDamo(file, text);
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines[0]?.startsWith('start=')) {
    const regions = lines.map((l, i) => {
      const m = TRIED.exec(l.replace(/\r$/, ''));
      if (!m) throw new TraceParseError(file, i + 1, l, 'not a tried_regions line (start= end= nr_accesses= age=)');
      return { start: Number(m[1]), end: Number(m[2]), nrAccesses: Number(m[3]), age: Number(m[4]) };
    });
    return { file, format: 'tried_regions', snapshots: [{ timeNs: null, regions }], incomplete: 0, aggrUs: null };
  }
  const snapshots: RegionSnapshot[] = [];
  let group: RegionSnapshot | null = null;
  let expected = 0;
  lines.forEach((l, i) => {
    const m = AGGREGATED.exec(l.replace(/\r$/, ''));
    if (!m) throw new TraceParseError(file, i + 1, l, 'not a damon:damon_aggregated line');
    if (group === null) {
      group = { timeNs: sinceBootNs(m[2]!, m[3]!), regions: [] };
      expected = Number(m[5]);
    }
    group.regions.push({ start: Number(m[6]), end: Number(m[7]), nrAccesses: Number(m[8]), age: Number(m[9]) });
    if (group.regions.length === expected) {
      snapshots.push(group);
      group = null;
    }
  });
  return { file, format: 'damon_aggregated', snapshots, incomplete: group === null ? 0 : 1, aggrUs: null };
}

function readDamo(file: string, text: string): DamonInput {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw traceFileError(file, `not valid damo JSON: ${(e as Error).message}`, e);
  }
  const records = (Array.isArray(json) ? json : [json]) as { intervals?: { aggr_us?: unknown }; snapshots?: unknown[] }[];
  const snapshots: RegionSnapshot[] = [];
  let aggrUs: number | null = null;
  for (const record of records) {
    if (!Array.isArray(record.snapshots)) throw traceFileError(file, 'damo record without "snapshots"');
    const a = damoNumber(record.intervals?.aggr_us);
    if (Number.isFinite(a)) aggrUs = a;
    for (const s of record.snapshots as { start_time?: unknown; regions?: unknown[] }[]) {
      const t = damoNumber(s.start_time);
      const regions: DamonRegion[] = [];
      for (const r of (s.regions ?? []) as { start: unknown; end: unknown; nr_accesses?: { samples?: unknown }; age?: { aggr_intervals?: unknown } }[]) {
        const region = { start: damoNumber(r.start), end: damoNumber(r.end), nrAccesses: damoNumber(r.nr_accesses?.samples), age: damoNumber(r.age?.aggr_intervals) };
        if (!Number.isFinite(region.start) || !Number.isFinite(region.end) || !Number.isFinite(region.nrAccesses)) {
          throw traceFileError(file, `damo region without a parseable start, end or nr_accesses: ${JSON.stringify(r).slice(0, 120)}`);
        }
        regions.push({ ...region, age: Number.isFinite(region.age) ? region.age : 0 });
      }
      snapshots.push({ timeNs: Number.isFinite(t) ? t : null, regions });
    }
  }
  return { file, format: 'damo-json', snapshots, incomplete: 0, aggrUs };
}

export interface DamonReplayOptions {
  /** Default: core's STANDIN_TOPOLOGY (memory above 4 GiB is the lower tier). */
  topology?: TopologySpec;
  mode?: PghotMode;
  tunables?: TunablesInput;
  stickyReady?: boolean;
  plugins?: readonly PghotPlugin[];
  /** Report the pages of regions with at least this nr_accesses (default 1). */
  minNrAccesses?: number;
}

export interface DamonReport {
  schemaVersion: 1;
  kind: 'damon';
  file: string;
  format: DamonFormat;
  snapshots: number;
  regions: number;
  incomplete: number;
  hotRegions: number;
  reportedPages: number;
  recorded: number;
  promoted: { pages: number; pfns: number[] };
  vmstat: Record<string, number>;
}

/**
 * DAMON region heat into an engine, one snapshot at a time as it arrives (a replay, or a live
 * kdamond): at each snapshot's time (ms since `originNs`, default the first snapshot's; 100 ms
 * apart when the input has no time) kmigrated catches up, then the pages of each region at or
 * above minNrAccesses are reported once (source `damon`, NUMA_NO_NODE).
 */
export class DamonFeed {
  readonly #engine: Pghot;
  readonly #src: number;
  readonly #min: number;
  readonly #batch = new Float64Array(65_536);
  #originNs: number | null;
  #k = 0;
  now = 0;
  hotRegions = 0;
  reportedPages = 0;

  constructor(engine: Pghot, options: { minNrAccesses?: number; originNs?: number } = {}) {
    this.#engine = engine;
    this.#src = engine.sourceId('damon') >= 0 ? engine.sourceId('damon') : engine.registerSource('damon');
    engine.enableSource(this.#src);
    this.#min = options.minNrAccesses ?? 1;
    this.#originNs = options.originNs ?? null;
  }

  async push(s: RegionSnapshot): Promise<void> {
    const engine = this.#engine;
    const batch = this.#batch;
    if (this.#originNs === null) this.#originNs = s.timeNs ?? 0;
    this.now = s.timeNs === null ? this.#k * 100 : Math.floor((s.timeNs - this.#originNs) / 1e6);
    this.#k++;
    await engine.advance(this.now);
    let n = 0;
    for (const r of s.regions) {
      if (r.nrAccesses < this.#min) continue;
      this.hotRegions++;
      for (let pfn = Math.floor(r.start / 4096); pfn < Math.ceil(r.end / 4096); pfn++) {
        batch[n++] = pfn;
        if (n === batch.length) {
          engine.recordAccesses(this.#src, batch, NUMA_NO_NODE, this.now, n);
          this.reportedPages += n;
          n = 0;
        }
      }
    }
    engine.recordAccesses(this.#src, batch, NUMA_NO_NODE, this.now, n);
    this.reportedPages += n;
  }
}

/**
 * Drive pghot's store directly with DAMON region heat (a DamonFeed over the input, in time order),
 * kmigrated waking as time passes; a dry-run backend records what would be promoted.
 */
export async function replayDamon(input: DamonInput, options: DamonReplayOptions = {}): Promise<DamonReport> {
  const { engine, backend } = createDryRunEngine(options);
  const feed = new DamonFeed(engine, options);
  await engine.init();
  for (const s of input.snapshots) await feed.push(s);
  const { now, hotRegions } = feed;
  const reported = feed.reportedPages;
  await engine.advance(now + engine.tunables.kmigrated_sleep_ms);
  await engine.shutdown();
  const vmstat = engine.vmstat();
  return {
    schemaVersion: 1,
    kind: 'damon',
    file: input.file,
    format: input.format,
    snapshots: input.snapshots.length,
    regions: input.snapshots.reduce((a, s) => a + s.regions.length, 0),
    incomplete: input.incomplete,
    hotRegions,
    reportedPages: reported,
    recorded: vmstat.pghot_recorded_accesses ?? 0,
    promoted: { pages: backend.promotedPages, pfns: backend.batches.flatMap((b) => b.pfns).slice(0, 100) },
    vmstat,
  };
}
