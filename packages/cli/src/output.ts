import type { RunReport } from '@pghot/sim';
import type { SamplesReport } from '@pghot/source-hwsample';
import type { DamonReport } from '@pghot/trace';
import Table from 'cli-table3';
import type { SweepSummary } from './sweep-summary.js';
import pc from 'picocolors';

export type Format = 'table' | 'json';

const ms = (ns: number) => (ns / 1e6).toFixed(1);
const r4 = (x: number) => x.toFixed(4);
export const pct = (x: number) => (x * 100).toFixed(1);
const orDash = (x: number | null, f: (v: number) => string) => (x === null ? '-' : f(x));

function table(head: string[], color: boolean): Table.Table {
  // no rules between rows: compact enough for a terminal
  return new Table({ head, chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' }, style: { head: color ? ['cyan'] : [], border: color ? ['grey'] : [] } });
}

/** The temperature sources of a run, by short name (source-hintfault → hintfault). */
const sourcesOf = (r: RunReport) => r.plugins.filter((p) => p.startsWith('source-')).map((p) => p.slice('source-'.length)).join(',') || '-';

/**
 * A report as indented JSON with each array of plain numbers on one line: the heatmap's columns
 * and the series' values stay readable instead of one number per line.
 */
export function reportJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(/\[\n\s+(-?[\d.eE+-]+(?:,\n\s+-?[\d.eE+-]+)*)\n\s+\]/g, (_, items: string) => `[${items.replace(/,\n\s+/g, ', ')}]`);
}

/** The comparison's rows, for the terminal table and the HTML report alike. */
export interface ComparisonRows {
  title: string;
  head: string[];
  rows: (string | number)[][];
  note: string;
  oraclesTitle: string;
  oracleHead: string[];
  oracleRows: (string | number)[][];
}

/**
 * Configurations side by side, sorted by estimated time (the best marked *), then the oracles of
 * the access stream. The default fits 100 columns; `wide` has every field under its JSON name.
 */
export function comparisonRows(reports: readonly RunReport[], wide = false): ComparisonRows {
  const first = reports[0]!;
  const oracleHit = first.oracles.intervalTopK.fastTierHitRatio;
  const sorted = [...reports].sort((a, b) => a.estimatedTimeNs - b.estimatedTimeNs);
  const head = wide
    ? ['name', 'sources', 'policy', 'fastTierHitRatio', 'fastTierHitRatioAfterWarmUp', 'estimatedTimeMs', 'slowdownVsAllFast', 'slowdownVsNoPromotion', 'promotedPages', 'demotedPages', 'pingPong', 'reactionTimeMs', 'sourceOverheadMs']
    : ['name', 'source', 'hit %', '% of oracle', 'after warm-up', 'time ms', 'promoted', 'ping-pong'];
  const oracleWarm = first.oracles.intervalTopK.fastTierHitRatioAfterWarmUp;
  const rows = sorted.map((r) => {
    const name = `${r === sorted[0] && reports.length > 1 ? '*' : ' '}${r.name}`;
    return wide
      ? [name, sourcesOf(r), r.policy, r4(r.fastTierHitRatio), orDash(r.fastTierHitRatioAfterWarmUp, r4), ms(r.estimatedTimeNs), r.slowdownVsAllFast.toFixed(3), orDash(r.slowdownVsNoPromotion, (x) => x.toFixed(3)), r.promotions.pages, r.demotions.pages, r.pingPong.events, orDash(r.reactionTimeMs, (x) => x.toFixed(0)), ms(r.sourceOverheadNs.total)]
      : [
          name,
          sourcesOf(r),
          pct(r.fastTierHitRatio),
          oracleHit > 0 ? pct(r.fastTierHitRatio / oracleHit) : '-',
          r.fastTierHitRatioAfterWarmUp !== null && oracleWarm ? pct(r.fastTierHitRatioAfterWarmUp / oracleWarm) : '-',
          ms(r.estimatedTimeNs),
          r.promotions.pages,
          r.pingPong.events,
        ];
  });
  const o = first.oracles;
  const oracleRows: (string | number)[][] = [['allFast', pct(o.allFast.fastTierHitRatio), ms(o.allFast.estimatedTimeNs), 'every access local DRAM']];
  if (o.noPromotion) oracleRows.push(['noPromotion', pct(o.noPromotion.fastTierHitRatio), ms(o.noPromotion.estimatedTimeNs), 'first-touch placement kept']);
  oracleRows.push(['staticTopK', pct(o.staticTopK.fastTierHitRatio), ms(o.staticTopK.estimatedTimeNs), `hottest ${o.staticTopK.k} pages pinned fast`]);
  oracleRows.push(['intervalTopK', pct(o.intervalTopK.fastTierHitRatio), ms(o.intervalTopK.estimatedTimeNs), `each ${o.intervalTopK.intervalMs} ms's hottest ${o.intervalTopK.k}; ${o.intervalTopK.migratedPages} migrated`]);
  const w = first.workload;
  const same = reports.length > 1 ? '; every configuration replays the same accesses' : '';
  return {
    title: `machine ${first.machine.name}, workload ${w.name} (seed ${w.seed}), ${first.accesses.total} accesses per run`,
    head,
    rows,
    note:
      wide || reports.length === 1
        ? ''
        : `* fastest; % of oracle: hit ratio as a share of the interval top-K oracle's, over the run,\n  and after a ${first.warmUpMs} ms warm-up against the oracle after it. --wide: every column`,
    oraclesTitle: `oracles, computed on the accesses of run "${first.name}"${same}`,
    oracleHead: ['oracle', 'hit %', 'time ms', 'what'],
    oracleRows,
  };
}

export function compareTable(reports: readonly RunReport[], color: boolean, wide = false): string {
  const bold = color ? pc.bold : (s: string) => s;
  const c = comparisonRows(reports, wide);
  const runs = table(c.head, color);
  runs.push(...c.rows);
  const oracles = table(c.oracleHead, color);
  oracles.push(...c.oracleRows);
  return [bold(c.title), runs.toString(), c.note, bold(c.oraclesTitle), oracles.toString()].filter(Boolean).join('\n');
}

/** One run: the comparison table of one, then its per-interval series. */
export function runTable(report: RunReport, color: boolean, wide = false): string {
  const series = table(['tMs', 'accesses', 'fastTierHitRatio', 'promotedPages', 'demotedPages'], color);
  for (const p of report.series) series.push([p.tMs, p.accesses, r4(p.fastTierHitRatio), p.promotedPages, p.demotedPages]);
  const vm = table(['vmstat', 'value'], color);
  for (const [k, v] of Object.entries(report.vmstat)) if (v !== 0) vm.push([k, v]);
  return [compareTable([report], color, wide), series.toString(), vm.toString()].join('\n');
}

/** What a replay of real samples would promote. */
export function samplesTable(report: SamplesReport, color: boolean): string {
  const t = table(['field', 'value'], color);
  const rows: [string, string | number][] = [
    ['file', report.file],
    ['format', report.format],
    ['events', Object.entries(report.events).map(([k, v]) => `${k} ${v}`).join(', ')],
    ['lines', report.lines],
    ['samples', report.samples],
    ['resolved', report.resolved],
    ['unresolved', `${report.unresolved} (physical address 0)`],
    ['malformed', report.malformed],
    ['source', report.source],
    ['recorded', report.recorded],
    ['filtered', `${report.filtered} (top tier, local, or outside the topology)`],
    ['unknownCpu', `${report.unknownCpu} (CPU on no node of the topology: recorded with NUMA_NO_NODE)`],
    ['promoted.pages', report.promoted.pages],
  ];
  for (const row of rows) t.push(row);
  return t.toString();
}

export function damonTable(report: DamonReport, color: boolean): string {
  const t = table(['field', 'value'], color);
  const rows: [string, string | number][] = [
    ['file', report.file],
    ['format', report.format],
    ['snapshots', report.snapshots],
    ['regions', report.regions],
    ['incomplete', `${report.incomplete} (trailing snapshot groups dropped)`],
    ['hotRegions', report.hotRegions],
    ['reportedPages', report.reportedPages],
    ['outsidePages', `${report.outsidePages} (beyond the topology: not reported)`],
    ['recorded', report.recorded],
    ['promoted.pages', report.promoted.pages],
  ];
  for (const row of rows) t.push(row);
  return t.toString();
}

/** `config print` for people: one row per key, nested keys dotted. */
export function configTable(config: Record<string, unknown>): string {
  const t = table(['key', 'value'], false);
  const walk = (prefix: string, value: unknown) => {
    if (value && typeof value === 'object' && !Array.isArray(value)) for (const [k, v] of Object.entries(value)) walk(prefix ? `${prefix}.${k}` : k, v);
    else if (Array.isArray(value) && value.some((v) => v && typeof v === 'object')) value.forEach((v, i) => walk(`${prefix}[${i}]`, v));
    else t.push([prefix, Array.isArray(value) ? value.join(', ') : String(value)]);
  };
  walk('', config);
  return t.toString();
}

/** A sweep's summary: the best configuration per machine and workload, then each tunable's effect on the hit ratio. */
export function sweepTable(summary: SweepSummary): string {
  const best = table(['machine / workload', 'best (by estimated time)', 'time ms', 'hit %', 'of'], false);
  for (const b of summary.best) best.push([b.scenario, b.best, b.timeMs.toFixed(1), pct(b.hitRatio), b.configurations]);
  const parts = [best.toString()];
  if (summary.sensitivity.length > 0) {
    const sens = table(['tunable', 'mean hit % by value', 'range (points)'], false);
    for (const s of summary.sensitivity) sens.push([s.tunable, s.means.map((m) => `${m.value}: ${pct(m.hitRatio)}`).join('  '), (s.range * 100).toFixed(1)]);
    parts.push(sens.toString());
  }
  return parts.join('\n');
}
