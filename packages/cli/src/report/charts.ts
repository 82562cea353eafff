import type { HeatmapSpace, IntervalPoint, RunEvent, RunReport } from '@pghot/sim';
import { hitRatioByValue, policyLabel, type SweepResult, type SweepSummary } from '../sweep-summary.js';
import { minMaxDownsample } from './downsample.js';

/** One chart: an ECharts option (plain JSON: the page and the SVG renderer draw the same thing). */
export interface ChartSpec {
  /** Unique in the report; the SVG file's name. */
  id: string;
  title: string;
  kind: 'line' | 'heatmap';
  /** The series' names, in order (what the browser test and the SVG check look for). */
  series: string[];
  width: number;
  height: number;
  option: Record<string, unknown>;
}

export interface Line {
  name: string;
  points: [number, number | null][];
  dashed?: boolean;
  color?: string;
}

const WIDTH = 920;
const HEIGHT = 340;
const PAGES_PER_MIB = 256;
/** mbToPages: the kernel turns MB/s into pages as MB << (20 - PAGE_SHIFT). */
const PAGES_PER_MB = 256;

const round = (x: number, digits: number) => Number(x.toFixed(digits));
const sumOf = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

/** A file-name-safe id from a label. */
export function slug(label: string): string {
  return label.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'run';
}

function baseOption(title: string, subtitle: string, yName: string, legend: string[]): Record<string, unknown> {
  return {
    animation: false,
    backgroundColor: '#ffffff',
    title: { text: title, subtext: subtitle, left: 10, textStyle: { fontSize: 14 }, subtextStyle: { fontSize: 11, width: WIDTH - 40, overflow: 'break' } },
    tooltip: { trigger: 'axis' },
    legend: { type: 'scroll', bottom: 0, data: legend },
    grid: { left: 70, right: 30, top: subtitle ? 70 : 50, bottom: 60 },
    xAxis: { type: 'value', name: 's', nameLocation: 'end', min: 0 },
    yAxis: { type: 'value', name: yName, nameTextStyle: { align: 'left' } },
  };
}

/**
 * A line chart of `lines` over time (x in seconds). Each line with more than MAX_LINE_POINTS
 * points is reduced by min/max buckets, and the subtitle says so. `events` are marked as
 * vertical lines; `level` draws a horizontal reference line.
 */
export function lineChart(
  id: string,
  title: string,
  yName: string,
  lines: readonly Line[],
  opts: { subtitle?: string; events?: readonly RunEvent[]; level?: { value: number; name: string }; yMax?: number } = {},
): ChartSpec {
  const notes = opts.subtitle ? [opts.subtitle] : [];
  const series = lines.map((l, i) => {
    const data = minMaxDownsample(l.points);
    if (data.length < l.points.length) notes.push(`${l.name}: ${l.points.length} points reduced to ${data.length} (min and max of each bucket kept)`);
    const marks: Record<string, unknown>[] = [];
    if (i === 0 && opts.events?.length) marks.push(...opts.events.map((e) => ({ xAxis: e.tMs / 1000, name: e.kind === 'shift' ? 'shift' : 'moveAt' })));
    if (i === 0 && opts.level) marks.push({ yAxis: opts.level.value, name: opts.level.name });
    return {
      type: 'line',
      name: l.name,
      showSymbol: false,
      data,
      lineStyle: { width: 1.5, ...(l.dashed ? { type: 'dashed' } : {}) },
      ...(l.color ? { itemStyle: { color: l.color } } : {}),
      ...(marks.length > 0
        ? { markLine: { silent: true, symbol: ['none', 'none'], lineStyle: { type: 'dotted', color: '#666' }, label: { formatter: '{b}', position: 'insideEndTop', fontSize: 10 }, data: marks } }
        : {}),
    };
  });
  const option = baseOption(title, notes.join('; '), yName, lines.map((l) => l.name));
  if (opts.yMax !== undefined) (option.yAxis as Record<string, unknown>).max = opts.yMax;
  return { id, title, kind: 'line', series: lines.map((l) => l.name), width: WIDTH, height: HEIGHT, option: { ...option, series } };
}

/** Per-interval values as per-second rates (each interval's count over its own length). */
function perSecond<P extends { tMs: number }>(series: readonly P[], value: (p: P) => number): [number, number][] {
  let prev = 0;
  return series.map((p) => {
    const seconds = (p.tMs - prev) / 1000;
    prev = p.tMs;
    return [p.tMs / 1000, seconds > 0 ? round(value(p) / seconds, 3) : 0];
  });
}

function cumulativeMiB(series: readonly IntervalPoint[], pages: (p: IntervalPoint) => number): [number, number][] {
  let sum = 0;
  return series.map((p) => [p.tMs / 1000, round((sum += pages(p)) / PAGES_PER_MIB, 3)]);
}

const at = (series: readonly IntervalPoint[], value: (p: IntervalPoint) => number | null): [number, number | null][] => series.map((p) => [p.tMs / 1000, value(p)]);

/** Does NUMAB2's promotion rate limit act on this run? kmigrated's should_migrate counted candidates. */
const rateLimitApplies = (r: RunReport) => (r.vmstat.pgpromote_candidate ?? 0) > 0;

/** A run's own charts: hit ratio, migrations, cumulative MiB, overhead, threshold, and the heatmaps (virtual, and physical per tier). */
export function runCharts(r: RunReport, prefix: string): ChartSpec[] {
  const s = r.series;
  const charts: ChartSpec[] = [];
  const hit: Line[] = [
    { name: r.name, points: at(s, (p) => p.fastTierHitRatio) },
    { name: 'interval top-K oracle', points: at(s, (p) => p.oracleHitRatio), dashed: true, color: '#2f9e44' },
  ];
  if (s.some((p) => p.noPromotionHitRatio !== null)) hit.push({ name: 'no promotion', points: at(s, (p) => p.noPromotionHitRatio), dashed: true, color: '#868e96' });
  charts.push(
    lineChart(`${prefix}-hit-ratio`, `${r.name}: fast-tier hit ratio`, 'hit ratio', hit, {
      subtitle: `per ${r.oracles.intervalTopK.intervalMs} ms interval; dotted lines: ${r.events.length > 0 ? r.events.map((e) => `${e.kind} at ${e.tMs / 1000} s`).slice(0, 4).join(', ') + (r.events.length > 4 ? ', …' : '') : 'none (no hot-set shift or migratepages in this run)'}`,
      events: r.events,
      yMax: 1,
    }),
  );

  const promotions = perSecond(s, (p) => p.promotedPages);
  const peak = Math.max(0, ...promotions.map(([, y]) => y));
  const limitPages = r.tunables.promote_rate_limit_MBps! * PAGES_PER_MB;
  let level: { value: number; name: string } | undefined;
  let limitNote = `NUMAB2's rate limit does not act on this run (no pgpromote_candidate: the policy promotes without kmigrated's should_migrate)`;
  if (rateLimitApplies(r)) {
    const text = `rate limit ${r.tunables.promote_rate_limit_MBps} MB/s per target node (${limitPages.toLocaleString('en-US')} pages/s)`;
    if (limitPages <= 4 * Math.max(1, peak)) {
      level = { value: limitPages, name: 'rate limit' };
      limitNote = `horizontal line: ${text}`;
    } else limitNote = `${text}: above the plot's scale`;
  }
  charts.push(
    lineChart(
      `${prefix}-migrations`,
      `${r.name}: promotions, demotions and ping-pong per second`,
      'pages/s (ping-pong: events/s)',
      [
        { name: 'promotions', points: promotions, color: '#1c7ed6' },
        { name: 'demotions', points: perSecond(s, (p) => p.demotedPages), color: '#e8590c' },
        { name: 'ping-pong', points: perSecond(s, (p) => p.pingPong), color: '#c2255c' },
      ],
      { subtitle: limitNote, ...(level ? { level } : {}) },
    ),
  );
  charts.push(
    lineChart(`${prefix}-migrated-mib`, `${r.name}: cumulative migrated MiB`, 'MiB', [
      { name: 'promoted', points: cumulativeMiB(s, (p) => p.promotedPages), color: '#1c7ed6' },
      { name: 'demoted', points: cumulativeMiB(s, (p) => p.demotedPages), color: '#e8590c' },
    ]),
  );
  charts.push(
    lineChart(
      `${prefix}-overhead`,
      `${r.name}: temperature-source overhead`,
      'ms of CPU per s',
      [{ name: 'source overhead', points: perSecond(s, (p) => p.sourceOverheadNs / 1e6), color: '#5f3dc4' }],
      { subtitle: `hint faults, PMU samples and what the sources charged (foreground and background); ${(r.sourceOverheadNs.total / 1e6).toFixed(1)} ms in all` },
    ),
  );
  const nodes = Object.keys(s[0]?.hotThresholdMs ?? {});
  charts.push(
    lineChart(
      `${prefix}-threshold`,
      `${r.name}: kmigrated's hot threshold`,
      'ms',
      nodes.map((n) => ({ name: `target node ${n}`, points: at(s, (p) => p.hotThresholdMs[n] ?? null) })),
      { subtitle: `should_migrate's access-latency threshold (NUMAB2's dynamic threshold): promote_freq_window_ms (${r.tunables.promote_freq_window_ms} ms) until the first adjustment 60 s after boot, then every 60 s lowered by 1/8 of it when candidates passed 110 % of the rate limit's budget, raised (to at most 2×) below 90 %` },
    ),
  );
  const h = r.heatmap;
  const mib = (pages: number) => `${round(pages / PAGES_PER_MIB, 1)} MiB`;
  charts.push(
    heatmapChart(`${prefix}-heatmap-virtual`, `${r.name}: accesses by virtual address`, h.virtual, h.tMs, h.virtual.rowStart.map(mib), `the workload's ${mib(h.virtual.pages)}, ${h.virtual.rowStart.length} rows of ${mib(h.virtual.rowPages[0] ?? 0)}`, h.columnMs),
  );
  // one physical heatmap per tier, its nodes' rows in node order
  for (const tier of [...new Set(h.physical.nodes.map((n) => n.tier))].sort((a, b) => a - b)) {
    const nodes = h.physical.nodes.filter((n) => n.tier === tier);
    const rows = nodes.flatMap((n) => Array.from({ length: n.rows }, (_, i) => n.firstRow + i));
    const index = new Map(rows.map((row, i) => [row, i]));
    const space: HeatmapSpace = {
      rowStart: rows.map((row) => h.physical.rowStart[row]!),
      rowPages: rows.map((row) => h.physical.rowPages[row]!),
      accesses: h.physical.accesses.map((column) => rows.map((row) => column[row]!)),
      promotions: h.physical.promotions.filter(([, row]) => index.has(row)).map(([c, row, pages]) => [c, index.get(row)!, pages]),
    };
    const labels = nodes.flatMap((n) => Array.from({ length: n.rows }, (_, i) => `node ${n.id} +${mib(h.physical.rowStart[n.firstRow + i]! - h.physical.rowStart[n.firstRow]!)}`));
    const what = nodes.map((n) => `node ${n.id}: ${mib(sumOf(h.physical.rowPages.slice(n.firstRow, n.firstRow + n.rows)))} in ${n.rows} rows`).join(', ');
    charts.push(heatmapChart(`${prefix}-heatmap-tier${tier}`, `${r.name}: accesses by physical address, tier ${tier}`, space, h.tMs, labels, what, h.columnMs));
  }
  return charts;
}

/**
 * Time × address, colour = log10(1 + accesses) (as damo's heatmap, whose counts span orders of
 * magnitude), with the cells pages were promoted from overlaid as red marks.
 */
export function heatmapChart(id: string, title: string, space: HeatmapSpace, tMs: readonly number[], rowLabels: readonly string[], what: string, columnMs: number): ChartSpec {
  const data: [number, number, number][] = [];
  let max = 0;
  space.accesses.forEach((column, c) =>
    column.forEach((v, row) => {
      const value = round(Math.log10(1 + v), 3);
      max = Math.max(max, value);
      data.push([c, row, value]);
    }),
  );
  const promoted = space.promotions.reduce((a, [, , pages]) => a + pages, 0);
  const subtitle = `${what}; binned: ${tMs.length} columns of ${columnMs} ms × ${rowLabels.length} rows; colour: log10(1 + accesses); red marks: cells pages were promoted from (${promoted.toLocaleString('en-US')} pages)`;
  const option = {
    animation: false,
    backgroundColor: '#ffffff',
    title: { text: title, subtext: subtitle, left: 10, textStyle: { fontSize: 14 }, subtextStyle: { fontSize: 11, width: WIDTH - 40, overflow: 'break' } },
    tooltip: { position: 'top' },
    legend: { bottom: 0, left: 10, data: ['promotions'] },
    grid: { left: 110, right: 90, top: 70, bottom: 70 },
    xAxis: { type: 'category', name: 's', data: tMs.map((t) => String(round(t / 1000, 3))), splitArea: { show: false } },
    yAxis: { type: 'category', data: rowLabels, axisLabel: { fontSize: 9 } },
    visualMap: { type: 'continuous', seriesIndex: 0, min: 0, max: Math.max(max, 1), calculable: false, orient: 'vertical', right: 10, top: 'middle', text: ['log10 acc.', ''], inRange: { color: ['#0d0887', '#6a00a8', '#b12a90', '#e16462', '#fca636', '#f0f921'] } },
    series: [
      { type: 'heatmap', name: 'accesses', data, progressive: 0 },
      { type: 'scatter', name: 'promotions', data: space.promotions, symbol: 'rect', symbolSize: 5, itemStyle: { color: '#ff2020', borderColor: '#ffffff', borderWidth: 0.5 } },
    ],
  };
  return { id, title, kind: 'heatmap', series: ['accesses', 'promotions'], width: WIDTH, height: 460, option };
}

/** Configurations of one machine and workload side by side. */
export function comparisonCharts(reports: readonly RunReport[], prefix: string): ChartSpec[] {
  const first = reports[0]!;
  const hit: Line[] = reports.map((r) => ({ name: r.name, points: at(r.series, (p) => p.fastTierHitRatio) }));
  const baseline = reports.find((r) => r.series.some((p) => p.noPromotionHitRatio !== null));
  if (baseline) hit.push({ name: 'no promotion', points: at(baseline.series, (p) => p.noPromotionHitRatio), dashed: true, color: '#868e96' });
  return [
    lineChart(`${prefix}-hit-ratio`, 'Fast-tier hit ratio, side by side', 'hit ratio', hit, {
      subtitle: `per ${first.oracles.intervalTopK.intervalMs} ms interval; each configuration's interval oracle is on its own chart below`,
      events: first.events,
      yMax: 1,
    }),
    lineChart(`${prefix}-promotions`, 'Promotions per second, side by side', 'pages/s', reports.map((r) => ({ name: r.name, points: perSecond(r.series, (p) => p.promotedPages) }))),
    lineChart(`${prefix}-migrated-mib`, 'Cumulative migrated MiB (promoted + demoted), side by side', 'MiB', reports.map((r) => ({ name: r.name, points: cumulativeMiB(r.series, (p) => p.promotedPages + p.demotedPages) }))),
    lineChart(`${prefix}-overhead`, 'Temperature-source overhead, side by side', 'ms of CPU per s', reports.map((r) => ({ name: r.name, points: perSecond(r.series, (p) => p.sourceOverheadNs / 1e6) }))),
  ];
}

/**
 * A sweep's sensitivity: for each tunable it varies, the mean fast-tier hit ratio at each of its
 * values, over every run (the summary's `sensitivity`: every other setting, workload and seed) and,
 * when the sweep has more than one, per policy and sources.
 */
export function sensitivityCharts(lines: readonly SweepResult[], sensitivity: SweepSummary['sensitivity'], prefix: string): ChartSpec[] {
  const policies = [...new Set(lines.map((l) => policyLabel(l.run)))];
  return sensitivity.map(({ tunable, means }) => {
    const values = means.map((m) => m.value);
    const curve = (ls: readonly SweepResult[]) => {
      const at = new Map(hitRatioByValue(ls, tunable).map((m) => [m.value, m.hitRatio]));
      return values.map((v) => at.get(v) ?? null);
    };
    const series = [
      { name: 'every run', data: means.map((m) => m.hitRatio), lineStyle: { width: 3 }, itemStyle: { color: '#212529' } },
      ...(policies.length > 1 ? policies.map((p) => ({ name: p, data: curve(lines.filter((l) => policyLabel(l.run) === p)), lineStyle: { width: 1.5 } })) : []),
    ].map((x) => ({ type: 'line', showSymbol: true, connectNulls: true, ...x }));
    const title = `Fast-tier hit ratio by ${tunable}`;
    const option = baseOption(title, `the mean over the runs at each value of ${tunable}: every other setting, workload and seed`, 'hit ratio', series.map((x) => x.name));
    const xAxis = { type: 'category', name: tunable, nameLocation: 'middle', nameGap: 28, data: values.map(String) };
    return { id: `${prefix}-${slug(tunable)}`, title, kind: 'line', series: series.map((x) => x.name), width: WIDTH, height: HEIGHT, option: { ...option, xAxis, yAxis: { ...(option.yAxis as object), max: 1 }, series } };
  });
}

/** A live run's series: what pghot recorded and promoted, per second. */
export interface LiveSeriesPoint {
  tMs: number;
  recorded: number;
  promotedPages: number;
}

export function liveCharts(series: readonly LiveSeriesPoint[], prefix: string, label: string): ChartSpec[] {
  return [
    lineChart(`${prefix}-recorded`, `${label}: accesses recorded per second`, 'records/s', [{ name: 'recorded', points: perSecond(series, (p) => p.recorded) }], { subtitle: 'pghot_record_access calls from the live sources' }),
    lineChart(`${prefix}-promotions`, `${label}: promotions per second`, 'pages/s', [{ name: 'promoted', points: perSecond(series, (p) => p.promotedPages), color: '#1c7ed6' }], {
      subtitle: 'pages kmigrated moved (--apply) or would move (dry run)',
    }),
  ];
}
