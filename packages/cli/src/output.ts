import Table from 'cli-table3';
import pc from 'picocolors';
import type { DemoReport } from './commands/demo.js';

export type Format = 'table' | 'json';

const ratio = (x: number) => x.toFixed(4);

/** The demo report for people. Column headers are the JSON field names. */
export function demoTable(report: DemoReport, color: boolean): string {
  const bold = color ? pc.bold : (s: string) => s;
  const style = { head: color ? ['cyan'] : [], border: color ? ['grey'] : [] };
  const perSecond = new Table({ head: ['second', 'accesses', 'fastTierAccesses', 'fastTierHitRatio', 'promotedPages'], style });
  for (const s of report.seconds) perSecond.push([s.second, s.accesses, s.fastTierAccesses, ratio(s.fastTierHitRatio), s.promotedPages]);
  const vm = new Table({ head: ['vmstat', 'value'], style });
  for (const [k, v] of Object.entries(report.vmstat)) if (v !== 0) vm.push([k, v]);
  const w = report.workload;
  return [
    bold(`pghot demo: ${report.mode} mode, ${w.seconds} s, ${w.accessesPerMs} hint-fault accesses/ms, 90 % on ${w.hotPages} hot CXL pages (seed ${w.seed})`),
    perSecond.toString(),
    vm.toString(),
    `fastTierHitRatio ${ratio(report.totals.fastTierHitRatio)}, promotedPages ${report.totals.promotedPages}`,
  ].join('\n');
}
