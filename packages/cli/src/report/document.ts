import { ConfigError, formatIssues } from '@pghot/core';
import type { RunReport } from '@pghot/sim';
import { ioReason } from '@pghot/trace';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { comparisonRows, type ComparisonRows } from '../output.js';
import { sweepSummary, type SweepResult, type SweepSummary } from '../sweep-summary.js';
import { comparisonCharts, liveCharts, runCharts, sensitivityCharts, slug, type ChartSpec, type LiveSeriesPoint } from './charts.js';

/** The parts of a run report the charts read: checked before anything is drawn. */
const count = z.number().finite().nonnegative();
const ratio = z.number().min(0).max(1);
const space = z.object({
  rowStart: z.array(count),
  rowPages: z.array(count),
  accesses: z.array(z.array(count)),
  promotions: z.array(z.tuple([z.int().nonnegative(), z.int().nonnegative(), count])),
});
const runSchema = z.looseObject({
  schemaVersion: z.literal(1),
  name: z.string(),
  machine: z.looseObject({ name: z.string() }),
  workload: z.looseObject({ name: z.string(), seed: z.number() }),
  tunables: z.record(z.string(), z.number()),
  plugins: z.array(z.string()),
  estimatedTimeNs: count,
  fastTierHitRatio: ratio,
  vmstat: z.record(z.string(), z.number()),
  series: z.array(
    z.looseObject({
      tMs: count,
      fastTierHitRatio: ratio,
      oracleHitRatio: ratio,
      noPromotionHitRatio: ratio.nullable(),
      promotedPages: count,
      demotedPages: count,
      pingPong: count,
      sourceOverheadNs: count,
      hotThresholdMs: z.record(z.string(), count),
    }),
  ),
  events: z.array(z.looseObject({ tMs: count, kind: z.enum(['shift', 'moveAt']), detail: z.string() })),
  heatmap: z.looseObject({
    columnMs: count,
    tMs: z.array(count),
    virtual: space.extend({ pages: count }),
    physical: space.extend({ nodes: z.array(z.looseObject({ id: z.int(), tier: z.int(), firstRow: z.int(), rows: z.int() })) }),
  }),
});
const liveSchema = z.looseObject({
  schemaVersion: z.literal(1),
  kind: z.literal('live'),
  live: z.looseObject({ series: z.array(z.looseObject({ tMs: count, recorded: count, promotedPages: count })) }),
});

/** A checked input file: the runs of `run`/`compare` JSON or of a sweep's results (with their lines), or a `live` report. */
export type ReportInput = { file: string; kind: 'runs'; runs: RunReport[]; sweep?: SweepResult[] } | { file: string; kind: 'live'; live: LiveReport };
export type LiveReport = Record<string, unknown> & { live: Record<string, unknown> & { series: LiveSeriesPoint[] } };

/** A line of a sweep's results: the run's place in the grid, and its report. */
const sweepLineSchema = z.looseObject({
  kind: z.literal('sweep-run'),
  run: z.looseObject({ policy: z.string(), sources: z.string().nullable(), tunables: z.record(z.string(), z.number()) }),
  report: runSchema,
});

/** Read a `pghot run`/`compare`/`live` JSON document; anything else is an error naming the file (and the key path). */
export function readReportInput(file: string): ReportInput {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : ioReason(e)}`, { code: 'PGHOT_REPORT' });
  }
  if (text.startsWith('{"kind":"sweep-run"')) return fromSweepResults(file, text);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`${file}: not JSON (${(e as Error).message.split('\n')[0]}): give the output of pghot run, compare or live with --format json`, { code: 'PGHOT_REPORT' });
  }
  return fromJson(file, json);
}

/** A sweep's results (`pghot sweep`): one JSON line per run, each with its place in the grid and its report. */
function fromSweepResults(file: string, text: string): ReportInput {
  const lines = text.split('\n').filter((l) => l !== '');
  const sweep = lines.map((line, i) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new ConfigError(`${file}:${i + 1}: not a JSON line of a sweep's results`, { code: 'PGHOT_REPORT' });
    }
    const r = sweepLineSchema.safeParse(parsed);
    if (!r.success) throw new ConfigError(`${file}:${i + 1}: ${(parsed as { kind?: unknown })?.kind === 'sweep-run' ? formatIssues(r.error.issues) : 'not a sweep run'}`, { code: 'PGHOT_REPORT' });
    return r.data as unknown as SweepResult & { report: RunReport };
  });
  return { file, kind: 'runs', runs: sweep.map((l) => l.report), sweep };
}

export function fromJson(file: string, json: unknown): ReportInput {
  const refuse = (what: string) => new ConfigError(`${file}: ${what}`, { code: 'PGHOT_REPORT' });
  if (json !== null && typeof json === 'object' && !Array.isArray(json) && (json as { kind?: unknown }).kind !== undefined) {
    const kind = (json as { kind: unknown }).kind;
    if (kind !== 'live') throw refuse(`a "${String(kind)}" report has no time series to plot: give the output of pghot run, compare or live with --format json`);
    const r = liveSchema.safeParse(json);
    if (!r.success) throw refuse(formatIssues(r.error.issues));
    return { file, kind: 'live', live: r.data as unknown as LiveReport };
  }
  const list = Array.isArray(json) ? json : [json];
  if (list.length === 0) throw refuse('an empty array: no run to report');
  const runs = list.map((item, i) => {
    if (item !== null && typeof item === 'object' && !('heatmap' in item) && 'series' in item) {
      throw refuse(`${Array.isArray(json) ? `[${i}]: ` : ''}a run report without "heatmap" (from a pghot older than the report command): run it again`);
    }
    const r = runSchema.safeParse(item);
    if (!r.success) throw refuse(formatIssues(r.error.issues, Array.isArray(json) ? `[${i}].` : ''));
    return r.data as unknown as RunReport;
  });
  return { file, kind: 'runs', runs };
}

export interface RunSection {
  id: string;
  report: RunReport;
  charts: ChartSpec[];
}
export interface ComparisonGroup {
  id: string;
  title: string;
  /** Why some runs have no section of their own, or null. */
  note: string | null;
  table: ComparisonRows;
  charts: ChartSpec[];
  runs: RunSection[];
}
export interface LiveSection {
  id: string;
  title: string;
  report: LiveReport;
  charts: ChartSpec[];
}
/** A sweep's summary: the best configuration per machine and workload, and the hit ratio by each tunable's value. */
export interface SweepSection {
  id: string;
  title: string;
  summary: SweepSummary;
  charts: ChartSpec[];
}
export interface ReportDocument {
  title: string;
  sources: string[];
  sweeps: SweepSection[];
  groups: ComparisonGroup[];
  live: LiveSection[];
}

/** Runs in a group with their own section and charts (more: the fastest ones). */
export const MAX_RUN_SECTIONS = 12;

/** Runs of one machine, workload and seed are compared side by side; each run has its own charts. */
export function buildDocument(inputs: readonly ReportInput[], cwd: string): ReportDocument {
  const groups = new Map<string, RunReport[]>();
  const live: LiveSection[] = [];
  const sweeps: SweepSection[] = [];
  const used = new Set<string>();
  const unique = (base: string) => {
    let id = base;
    for (let k = 2; used.has(id); k++) id = `${base}-${k}`;
    used.add(id);
    return id;
  };
  const label = (file: string) => (path.isAbsolute(file) ? path.relative(cwd, file) || file : file);
  for (const input of inputs) {
    if (input.kind === 'live') {
      const id = unique(`live-${slug(path.basename(input.file, '.json'))}`);
      live.push({ id, title: `live: ${label(input.file)}`, report: input.live, charts: liveCharts(input.live.live.series, id, 'live') });
      continue;
    }
    if (input.sweep) {
      const id = unique(`sweep-${slug(path.basename(input.file).replace(/\.jsonl$/, ''))}`);
      const summary = sweepSummary(input.sweep);
      sweeps.push({ id, title: `sweep: ${label(input.file)}`, summary, charts: sensitivityCharts(input.sweep, summary.sensitivity, id) });
    }
    for (const r of input.runs) {
      const key = JSON.stringify([r.machine.name, r.workload.name, r.workload.seed, r.workload.params]);
      groups.set(key, [...(groups.get(key) ?? []), r]);
    }
  }
  const built: ComparisonGroup[] = [...groups.values()].map((runs) => {
    const first = runs[0]!;
    const id = unique(slug(`${first.workload.name}-on-${first.machine.name}`));
    // a sweep's group can hold hundreds of runs: their own charts only for the fastest few
    const own = runs.length <= MAX_RUN_SECTIONS ? runs : [...runs].sort((a, b) => a.estimatedTimeNs - b.estimatedTimeNs).slice(0, MAX_RUN_SECTIONS);
    return {
      id,
      title: `${first.workload.name} on ${first.machine.name} (seed ${first.workload.seed})`,
      note: own.length < runs.length ? `${runs.length} runs: the ${MAX_RUN_SECTIONS} fastest have their own charts below; the table and the charts side by side have them all` : null,
      table: comparisonRows(runs),
      charts: comparisonCharts(runs, `${id}-compare`),
      runs: own.map((r) => {
        const runId = unique(`${id}-${slug(r.name)}`);
        return { id: runId, report: r, charts: runCharts(r, runId) };
      }),
    };
  });
  return { title: 'pghot report', sources: inputs.map((i) => label(i.file)), sweeps, groups: built, live };
}

/** Every chart of the document, in page order. */
export const allCharts = (doc: ReportDocument): ChartSpec[] => [...doc.sweeps.flatMap((s) => s.charts), ...doc.groups.flatMap((g) => [...g.charts, ...g.runs.flatMap((r) => r.charts)]), ...doc.live.flatMap((l) => l.charts)];
