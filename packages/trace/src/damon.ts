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
export type DamonFormat = 'tried_regions' | 'damon_aggregated' | 'damo-json' | 'damo-record';
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
// the age field came with Linux 5.17; the 5.15/5.16 tracepoint prints nr_accesses only
const AGGREGATED = /^\s*(.+?)\s+(\d+)\.(\d+):\s+damon:damon_aggregated:\s+target_id=(\d+)\s+nr_regions=(\d+)\s+(\d+)-(\d+):\s+(\d+)(?:\s+(\d+))?\s*$/;
/** damo's binary record (damo before JSON records): optional magic and version, then snapshots. */
const RECFMT_MAGIC = 'damon_recfmt_ver';
/** Physical addresses have at most 52 bits (MAX_PHYSMEM_BITS); beyond that a number is not one. */
const MAX_ADDRESS = 2 ** 52;

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

/** Why a region cannot be one, or null. */
function regionProblem(r: DamonRegion): string | null {
  if (r.start > MAX_ADDRESS || r.end > MAX_ADDRESS) return 'region beyond the 52-bit physical address space';
  if (!Number.isSafeInteger(r.start) || !Number.isSafeInteger(r.end)) return 'region start or end is not a whole number';
  if (r.start >= r.end) return `region start ${r.start} is not below its end ${r.end}`;
  if (!Number.isSafeInteger(r.nrAccesses) || r.nrAccesses < 0) return `nr_accesses ${r.nrAccesses} is not a count`;
  return null;
}

/**
 * Read a DAMON input, by content: a tried_regions snapshot (`start= end= nr_accesses= age=`
 * lines), `damon:damon_aggregated` tracepoint text (perf script; with or without the age field
 * of Linux 5.17+), a damo record (JSON, or json_compressed: zlib), or damo's older binary record
 * (format versions 0-2). Tracepoint lines group into snapshots by their nr_regions count (their
 * timestamps differ by µs), an incomplete last group is dropped and counted. Every region is
 * checked (start below end, within 52 bits), snapshot times may not go backwards, and an input
 * without a region is refused.
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
  const input = buf.subarray(0, 16).toString('latin1') === RECFMT_MAGIC || looksBinary(buf) ? readDamoRecord(file, buf) : readDamonText(file, buf.toString('utf8'));
  if (input.snapshots.every((s) => s.regions.length === 0)) {
    throw traceFileError(file, `no DAMON regions in this ${input.format} input${input.incomplete > 0 ? ' (its one snapshot is incomplete: fewer lines than nr_regions)' : ''}`);
  }
  return input;
}

/** A text input has no NUL byte in its first KiB. */
const looksBinary = (buf: Buffer) => buf.subarray(0, 1024).includes(0);

function readDamonText(file: string, text: string): DamonInput {
  const first = text.trimStart()[0];
  if (first === '[' || first === '{') return readDamo(file, text);
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines[0]?.startsWith('start=')) {
    const regions = lines.map((l, i) => {
      const m = TRIED.exec(l.replace(/\r$/, ''));
      if (!m) throw new TraceParseError(file, i + 1, l, 'not a tried_regions line (start= end= nr_accesses= age=)');
      const region = { start: Number(m[1]), end: Number(m[2]), nrAccesses: Number(m[3]), age: Number(m[4]) };
      const why = regionProblem(region);
      if (why) throw new TraceParseError(file, i + 1, l, why);
      return region;
    });
    return { file, format: 'tried_regions', snapshots: [{ timeNs: null, regions }], incomplete: 0, aggrUs: null };
  }
  const snapshots: RegionSnapshot[] = [];
  let group: RegionSnapshot | null = null;
  let expected = 0;
  let lastNs = -1;
  lines.forEach((l, i) => {
    const m = AGGREGATED.exec(l.replace(/\r$/, ''));
    if (!m) throw new TraceParseError(file, i + 1, l, 'not a damon:damon_aggregated line');
    const timeNs = sinceBootNs(m[2]!, m[3]!);
    if (timeNs < lastNs) throw new TraceParseError(file, i + 1, l, 'time goes backwards');
    lastNs = timeNs;
    if (group === null) {
      expected = Number(m[5]);
      if (expected === 0) throw new TraceParseError(file, i + 1, l, 'nr_regions=0 with a region on the line');
      group = { timeNs, regions: [] };
    } else if (Number(m[5]) !== expected) throw new TraceParseError(file, i + 1, l, `nr_regions changes inside a snapshot of ${expected} regions`);
    const region = { start: Number(m[6]), end: Number(m[7]), nrAccesses: Number(m[8]), age: m[9] === undefined ? 0 : Number(m[9]) };
    const why = regionProblem(region);
    if (why) throw new TraceParseError(file, i + 1, l, why);
    group.regions.push(region);
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
    throw traceFileError(file, `not valid damo JSON: ${(e as Error).message.replace(/\s+/g, ' ')}`, e);
  }
  const records = (Array.isArray(json) ? json : [json]) as { intervals?: { aggr_us?: unknown }; snapshots?: unknown[] }[];
  const snapshots: RegionSnapshot[] = [];
  let aggrUs: number | null = null;
  let lastNs = -1;
  records.forEach((record, ri) => {
    if (record === null || typeof record !== 'object' || !Array.isArray(record.snapshots)) throw traceFileError(file, `damo record ${ri} without "snapshots"`);
    const a = damoNumber(record.intervals?.aggr_us);
    if (Number.isFinite(a)) aggrUs = a;
    (record.snapshots as { start_time?: unknown; regions?: unknown }[]).forEach((s, si) => {
      const where = `record ${ri}, snapshot ${si}`;
      if (s === null || typeof s !== 'object') throw traceFileError(file, `${where}: not an object`);
      const t = damoNumber(s.start_time);
      if (Number.isFinite(t)) {
        if (t < lastNs) throw traceFileError(file, `${where}: start_time ${t} goes backwards`);
        lastNs = t;
      }
      if (s.regions !== undefined && !Array.isArray(s.regions)) throw traceFileError(file, `${where}: "regions" is not a list`);
      const regions: DamonRegion[] = [];
      // damo 2.x: nr_accesses and age are objects ({ samples }, { aggr_intervals }); older damo wrote plain numbers
      for (const [k, r] of ((s.regions ?? []) as { start?: unknown; end?: unknown; nr_accesses?: unknown; age?: unknown }[]).entries()) {
        if (r === null || typeof r !== 'object') throw traceFileError(file, `${where}, region ${k}: not an object`);
        const nr = typeof r.nr_accesses === 'object' && r.nr_accesses !== null ? (r.nr_accesses as { samples?: unknown }).samples : r.nr_accesses;
        const age = typeof r.age === 'object' && r.age !== null ? (r.age as { aggr_intervals?: unknown }).aggr_intervals : r.age;
        const region = { start: damoNumber(r.start), end: damoNumber(r.end), nrAccesses: damoNumber(nr), age: damoNumber(age) };
        const why = regionProblem(region);
        if (why) throw traceFileError(file, `${where}, region ${k}: ${why}: ${JSON.stringify(r).slice(0, 120)}`);
        regions.push({ ...region, age: Number.isFinite(region.age) ? region.age : 0 });
      }
      snapshots.push({ timeNs: Number.isFinite(t) ? t : null, regions });
    });
  });
  return { file, format: 'damo-json', snapshots, incomplete: 0, aggrUs };
}

/**
 * damo's binary record (`damo record` before its JSON formats; damo's _damon_result.py):
 * optionally "damon_recfmt_ver" and an int32 version (1 or 2; none is version 0), then snapshots of
 * { sec i64, nsec i64, nr_targets u32, per target { target_id (i32 in version 1, else u64),
 * nr_regions u32, per region { start u64, end u64, nr_accesses u32 } } }, little-endian. No age.
 */
function readDamoRecord(file: string, buf: Buffer): DamonInput {
  let at = 0;
  let version = 0;
  if (buf.subarray(0, 16).toString('latin1') === RECFMT_MAGIC) {
    if (buf.length < 20) throw traceFileError(file, 'damo record: truncated after its format mark');
    version = buf.readInt32LE(16);
    if (version !== 1 && version !== 2) throw traceFileError(file, `damo record format version ${version} is not one damo wrote (1 or 2); read as a damo binary record`);
    at = 20;
  }
  const need = (n: number, what: string) => {
    if (at + n > buf.length) throw traceFileError(file, `damo record (format version ${version}): truncated in ${what} at byte ${at}`);
  };
  const snapshots: RegionSnapshot[] = [];
  let lastNs = -1;
  while (at < buf.length) {
    need(20, 'a snapshot header');
    const timeNs = Number(buf.readBigInt64LE(at)) * 1e9 + Number(buf.readBigInt64LE(at + 8));
    const targets = buf.readUInt32LE(at + 16);
    at += 20;
    if (timeNs < lastNs) throw traceFileError(file, `damo record: snapshot time goes backwards at byte ${at - 20}`);
    lastNs = timeNs;
    for (let t = 0; t < targets; t++) {
      need(version === 1 ? 8 : 12, 'a target header');
      at += version === 1 ? 4 : 8;
      const nr = buf.readUInt32LE(at);
      at += 4;
      need(nr * 20, `${nr} regions`);
      const regions: DamonRegion[] = [];
      for (let k = 0; k < nr; k++, at += 20) {
        const start = buf.readBigUInt64LE(at);
        const end = buf.readBigUInt64LE(at + 8);
        const region = { start: Number(start), end: Number(end), nrAccesses: buf.readUInt32LE(at + 16), age: 0 };
        const why = start > BigInt(MAX_ADDRESS) || end > BigInt(MAX_ADDRESS) ? 'region beyond the 52-bit physical address space' : regionProblem(region);
        if (why) throw traceFileError(file, `damo record: region at byte ${at}: ${why}`);
        regions.push(region);
      }
      snapshots.push({ timeNs, regions });
    }
  }
  return { file, format: 'damo-record', snapshots, incomplete: 0, aggrUs: null };
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
  /** Pages of hot regions beyond the topology's memory, not reported. */
  outsidePages: number;
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
  // Uint32Array PFNs and one nid: the record path's WebAssembly loop
  readonly #batch = new Uint32Array(65_536);
  #originNs: number | null;
  #k = 0;
  now = 0;
  hotRegions = 0;
  reportedPages = 0;
  /** Pages of hot regions beyond the topology's last PFN: not reported. */
  outsidePages = 0;

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
    const endPfn = Math.min(engine.topology.endPfn, 2 ** 32);
    if (this.#originNs === null) this.#originNs = s.timeNs ?? 0;
    this.now = s.timeNs === null ? this.#k * 100 : Math.floor((s.timeNs - this.#originNs) / 1e6);
    this.#k++;
    await engine.advance(this.now);
    let n = 0;
    for (const r of s.regions) {
      if (r.nrAccesses < this.#min) continue;
      this.hotRegions++;
      // pages past the machine's memory have no record: count them instead of walking them, so a
      // snapshot costs at most the topology's pages, whatever its numbers say
      const first = Math.floor(r.start / 4096);
      const last = Math.ceil(r.end / 4096);
      const end = Math.min(last, endPfn);
      this.outsidePages += last - Math.max(first, end);
      for (let pfn = first; pfn < end; pfn++) {
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
    outsidePages: feed.outsidePages,
    recorded: vmstat.pghot_recorded_accesses ?? 0,
    promoted: { pages: backend.promotedPages, pfns: backend.batches.flatMap((b) => b.pfns).slice(0, 100) },
    vmstat,
  };
}
