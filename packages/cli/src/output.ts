import type { RunReport } from '@pghot/sim';
import type { SamplesReport } from '@pghot/source-hwsample';
import Table from 'cli-table3';
import pc from 'picocolors';

export type Format = 'table' | 'json';

const ms = (ns: number) => (ns / 1e6).toFixed(1);
const r4 = (x: number) => x.toFixed(4);
const orDash = (x: number | null, f: (v: number) => string) => (x === null ? '-' : f(x));

function table(head: string[], color: boolean): Table.Table {
  return new Table({ head, style: { head: color ? ['cyan'] : [], border: color ? ['grey'] : [] } });
}

/** Configurations side by side, then the oracles of the (shared) access stream. Headers are JSON field names. */
export function compareTable(reports: readonly RunReport[], color: boolean): string {
  const first = reports[0]!;
  const bold = color ? pc.bold : (s: string) => s;
  const runs = table(
    ['name', 'policy', 'fastTierHitRatio', 'estimatedTimeMs', 'slowdownVsAllFast', 'slowdownVsNoPromotion', 'promotedPages', 'demotedPages', 'pingPong', 'reactionTimeMs', 'sourceOverheadMs'],
    color,
  );
  for (const r of reports) {
    runs.push([
      r.name,
      r.policy,
      r4(r.fastTierHitRatio),
      ms(r.estimatedTimeNs),
      r.slowdownVsAllFast.toFixed(3),
      orDash(r.slowdownVsNoPromotion, (x) => x.toFixed(3)),
      r.promotions.pages,
      r.demotions.pages,
      r.pingPong.events,
      orDash(r.reactionTimeMs, (x) => x.toFixed(0)),
      ms(r.sourceOverheadNs.total),
    ]);
  }
  const o = first.oracles;
  const oracles = table(['oracle', 'fastTierHitRatio', 'estimatedTimeMs', 'note'], color);
  oracles.push(['allFast', r4(o.allFast.fastTierHitRatio), ms(o.allFast.estimatedTimeNs), 'every access local DRAM']);
  if (o.noPromotion) oracles.push(['noPromotion', r4(o.noPromotion.fastTierHitRatio), ms(o.noPromotion.estimatedTimeNs), 'first-touch placement kept']);
  oracles.push(['staticTopK', r4(o.staticTopK.fastTierHitRatio), ms(o.staticTopK.estimatedTimeNs), `hottest ${o.staticTopK.k} pages pinned fast`]);
  oracles.push([
    'intervalTopK',
    r4(o.intervalTopK.fastTierHitRatio),
    ms(o.intervalTopK.estimatedTimeNs),
    `each ${o.intervalTopK.intervalMs} ms's hottest ${o.intervalTopK.k}; ${o.intervalTopK.migratedPages} pages migrated`,
  ]);
  const w = first.workload;
  return [
    bold(`machine ${first.machine.name}, workload ${w.name} (seed ${w.seed}), ${first.accesses.total} accesses per run`),
    runs.toString(),
    oracles.toString(),
  ].join('\n');
}

/** One run: the comparison table of one, then its per-interval series. */
export function runTable(report: RunReport, color: boolean): string {
  const series = table(['tMs', 'accesses', 'fastTierHitRatio', 'promotedPages', 'demotedPages'], color);
  for (const p of report.series) series.push([p.tMs, p.accesses, r4(p.fastTierHitRatio), p.promotedPages, p.demotedPages]);
  const vm = table(['vmstat', 'value'], color);
  for (const [k, v] of Object.entries(report.vmstat)) if (v !== 0) vm.push([k, v]);
  return [compareTable([report], color), series.toString(), vm.toString()].join('\n');
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
    ['promoted.pages', report.promoted.pages],
  ];
  for (const row of rows) t.push(row);
  return t.toString();
}
