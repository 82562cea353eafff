/** What a sweep's results say at a glance: used by `pghot sweep`'s table and `pghot report`'s page. */

/** What the summary reads of a results line (`pghot sweep`'s JSON lines). */
export interface SweepResult {
  run: { policy: string; sources: string | null; tunables: Readonly<Record<string, number | undefined>> };
  report: { machine: { name: string }; workload: { name: string }; estimatedTimeNs: number; fastTierHitRatio: number };
}

/** A run's label in tables and reports: the policy, its tunables and sources. */
export const runLabel = (r: SweepResult['run']) =>
  [r.policy, ...Object.entries(r.tunables).map(([k, v]) => `${k}=${v}`), ...(r.sources ? [`[${r.sources}]`] : [])].join(' ');

/** The policy and sources of a run: a configuration apart from its tunables. */
export const policyLabel = (r: SweepResult['run']) => [r.policy, ...(r.sources ? [`[${r.sources}]`] : [])].join(' ');

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** The items by key, keys in first-seen order (Map.groupBy, which Node 20 lacks). */
function groupBy<T, K>(items: readonly T[], keyOf: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}

/** The mean fast-tier hit ratio of the runs at each value of `tunable` (runs without it left out), by value. */
export function hitRatioByValue(lines: readonly SweepResult[], tunable: string): { value: number; hitRatio: number; runs: number }[] {
  const byValue = groupBy(
    lines.filter((l) => l.run.tunables[tunable] !== undefined),
    (l) => l.run.tunables[tunable]!,
  );
  return [...byValue.entries()]
    .sort(([a], [b]) => a - b)
    .map(([value, ls]) => ({ value, hitRatio: Number(mean(ls.map((l) => l.report.fastTierHitRatio)).toFixed(6)), runs: ls.length }));
}

/** The best configuration per machine and workload, and how much each tunable moves the hit ratio. */
export function sweepSummary(lines: readonly SweepResult[]) {
  const groups = groupBy(lines, (l) => `${l.report.machine.name} / ${l.report.workload.name}`);
  const best = [...groups.entries()].map(([scenario, ls]) => {
    // by estimated time (as compare's *), over the seeds of each configuration
    const ranked = [...groupBy(ls, (l) => runLabel(l.run)).entries()]
      .map(([label, xs]) => ({ label, timeMs: mean(xs.map((x) => x.report.estimatedTimeNs)) / 1e6, hitRatio: mean(xs.map((x) => x.report.fastTierHitRatio)) }))
      .sort((a, b) => a.timeMs - b.timeMs || a.label.localeCompare(b.label));
    return { scenario, best: ranked[0]!.label, timeMs: Number(ranked[0]!.timeMs.toFixed(1)), hitRatio: Number(ranked[0]!.hitRatio.toFixed(6)), configurations: ranked.length };
  });
  const tunables = [...new Set(lines.flatMap((l) => Object.keys(l.run.tunables)))].sort();
  const sensitivity = tunables.map((name) => {
    const means = hitRatioByValue(lines, name);
    const ratios = means.map((m) => m.hitRatio);
    return { tunable: name, means, range: Number((Math.max(...ratios) - Math.min(...ratios)).toFixed(6)) };
  });
  return { best, sensitivity };
}

export type SweepSummary = ReturnType<typeof sweepSummary>;
