import { CORE_VERSION, PAGE_SIZE } from '@pghot/core';
import type { HeatmapReport } from './heatmap.js';
import type { IntervalPoint, OverheadEntry, Reaction } from './metrics.js';
import type { OracleResult, Oracles } from './oracles.js';
import type { Simulation, SimResult } from './sim.js';

export const REPORT_SCHEMA_VERSION = 1;

export interface MigrationTotals {
  folios: number;
  pages: number;
  bytes: number;
  /** bytes over the estimated run time, in MB/s. */
  MBps: number;
}

/** The JSON document of one run (`pghot run --format json`); its schema is docs/report-schema.md. */
export interface RunReport {
  schemaVersion: 1;
  name: string;
  machine: { name: string; nodes: { id: number; tier: number; capacityMiB: number; cpus: number[] }[] };
  workload: { name: string; params: Record<string, unknown>; seed: number };
  mode: string;
  tunables: Record<string, number>;
  sources: { name: string; id: number; enabled: boolean }[];
  policy: string;
  plugins: string[];
  accesses: { total: number; fast: number; slow: number; llcHits: number };
  fastTierHitRatio: number;
  /** After the first `warmUpMs` (the 100 ms buckets from then on); null when the run is shorter. */
  fastTierHitRatioAfterWarmUp: number | null;
  warmUpMs: number;
  /** warmUpMs over the run's estimated time: under 0.1 at the default run lengths. */
  warmUpShare: number;
  estimatedTimeNs: number;
  slowdownVsAllFast: number;
  slowdownVsNoPromotion: number | null;
  promotions: MigrationTotals;
  demotions: MigrationTotals;
  /** Pages moved by `moveAt` (migratepages): a placement event, not a demotion; its copy time apart. */
  placement: MigrationTotals & { costNs: number };
  pingPong: { windowMs: number; events: number; perPromotion: number };
  reactionTimeMs: number | null;
  reactionTimesMs: (number | null)[];
  /** Per shift: the oracle's post-shift hit ratio, the reaction time, and why it is null. */
  reactions: Reaction[];
  sourceOverheadNs: { total: number; foreground: number; background: number; byKind: Record<string, OverheadEntry> };
  series: IntervalPoint[];
  /** What happened to the workload: hot-set shifts (phase-shift) and the migratepages placement (moveAt). */
  events: RunEvent[];
  /** Accesses per (time, address), virtual and physical, with promotions (docs/report-schema.md). */
  heatmap: HeatmapReport;
  vmstat: Record<string, number>;
  oracles: { allFast: OracleResult; noPromotion: OracleResult | null; staticTopK: Oracles['staticTopK']; intervalTopK: Oracles['intervalTopK'] };
  verified: string[] | null;
  /** @pghot/core's version and each plugin's (null when a plugin gives none). */
  versions: { core: string; plugins: Record<string, string | null> };
}

export interface RunEvent {
  tMs: number;
  kind: 'shift' | 'moveAt';
  /** "the hot set moves", or "migratepages: every page to node N". */
  detail: string;
}

const round = (x: number, digits = 6) => Number(x.toFixed(digits));

function migrations(folios: number, pages: number, timeNs: number): MigrationTotals {
  const bytes = pages * PAGE_SIZE;
  return { folios, pages, bytes, MBps: timeNs > 0 ? round(bytes / (timeNs / 1e9) / 1e6, 3) : 0 };
}

/** Hot-set shift times of the run's workload, in ms (phase-shift), up to the end of the run. */
export function shiftTimesMs(sim: Simulation, endMs: number): number[] {
  const periods = sim.workload.processes.map((p) => p.shiftPeriodNs / 1e6).filter((x) => x > 0);
  if (periods.length === 0) return [];
  const period = Math.min(...periods);
  const out: number[] = [];
  for (let t = period; t < endMs; t += period) out.push(t);
  return out;
}

/** What a run's report takes from the same workload's no-promotion run: small, so it can cross threads and machines. */
export interface BaselineSummary {
  fast: number;
  slow: number;
  estimatedTimeNs: number;
  /** Its hit ratio per interval, by the interval's end. */
  series: { tMs: number; fastTierHitRatio: number }[];
}

export function summarizeBaseline(result: SimResult): BaselineSummary {
  const m = result.sim.metrics;
  return { fast: m.fast, slow: m.slow, estimatedTimeNs: result.estimatedTimeNs, series: m.series.map((p) => ({ tMs: p.tMs, fastTierHitRatio: p.fastTierHitRatio })) };
}

/**
 * Assemble the report of a finished run; `noPromotion` is the same workload's no-promotion run,
 * when made (applyBaseline adds it to a report built without it, to the same bytes).
 */
export function buildReport(name: string, result: SimResult, noPromotion: BaselineSummary | null, verified: string[] | null): RunReport {
  const report = buildReportWithoutBaseline(name, result, verified);
  return noPromotion ? applyBaseline(report, noPromotion) : report;
}

/** Fill in what the no-promotion run gives a report built without it: slowdownVsNoPromotion, the noPromotion oracle, the series' noPromotionHitRatio. */
export function applyBaseline(report: RunReport, b: BaselineSummary): RunReport {
  const byEnd = new Map(b.series.map((p) => [p.tMs, p.fastTierHitRatio]));
  return {
    ...report,
    slowdownVsNoPromotion: round(report.estimatedTimeNs / b.estimatedTimeNs),
    series: report.series.map((p) => {
      const ratio = byEnd.get(p.tMs);
      return { ...p, noPromotionHitRatio: ratio === undefined ? null : round(ratio) };
    }),
    oracles: { ...report.oracles, noPromotion: { fastTierHitRatio: round(b.fast / Math.max(1, b.fast + b.slow)), estimatedTimeNs: round(b.estimatedTimeNs, 1) } },
  };
}

function buildReportWithoutBaseline(name: string, result: SimResult, verified: string[] | null): RunReport {
  const sim = result.sim;
  const m = sim.metrics;
  const engine = sim.engine;
  const oracles = sim.oracles.compute();
  const total = m.fast + m.slow;
  const T = result.estimatedTimeNs;
  const byKind: Record<string, OverheadEntry> = { hintFaults: m.hintFaultOverhead() };
  if (sim.sampler) {
    const s = sim.sampler;
    byKind.samples = { count: s.totalEvents, ns: s.totalEvents * s.options.costNs, foreground: true };
  }
  for (const [k, v] of [...m.overheads].sort(([a], [b]) => a.localeCompare(b))) byKind[k] = { ...v };
  let foreground = 0;
  let background = 0;
  for (const v of Object.values(byKind)) {
    if (v.foreground) foreground += v.ns;
    else background += v.ns;
  }
  const reactions = m.reactions(shiftTimesMs(sim, sim.nowMs), sim.oracles.intervalSeries, sim.nowMs);
  const afterWarmUp = m.hitRatioFrom(sim.options.warmUpMs);
  const found = reactions.map((r) => r.timeMs).filter((r): r is number => r !== null);
  const policies = engine.plugins.filter((p) => p.kind === 'policy').map((p) => p.name);
  return {
    schemaVersion: 1,
    name,
    machine: {
      name: sim.machine.name,
      nodes: sim.machine.nodes.map((n) => ({ id: n.id, tier: n.tier, capacityMiB: n.pages / 256, cpus: [...n.cpus] })),
    },
    workload: { name: sim.workload.name, params: { ...sim.workload.params }, seed: sim.options.seed },
    mode: engine.mode,
    tunables: { ...engine.tunables.toJSON() },
    sources: engine.sources().map((s) => ({ name: s.name, id: s.id, enabled: s.enabled })),
    policy: policies.length > 0 ? policies.join('+') : `pghot (${engine.mode} mode)`,
    plugins: engine.plugins.map((p) => p.name),
    accesses: { total, fast: m.fast, slow: m.slow, llcHits: sim.threads.reduce((a, t) => a + t.llcHits, 0) },
    fastTierHitRatio: round(total === 0 ? 0 : m.fast / total),
    fastTierHitRatioAfterWarmUp: afterWarmUp === null ? null : round(afterWarmUp),
    warmUpMs: sim.options.warmUpMs,
    warmUpShare: round(T > 0 ? (sim.options.warmUpMs * 1e6) / T : 0, 4),
    estimatedTimeNs: round(T, 1),
    slowdownVsAllFast: round(T / oracles.allFast.estimatedTimeNs),
    slowdownVsNoPromotion: null,
    promotions: migrations(m.promotedFolios, m.promotedPages, T),
    demotions: migrations(m.demotedFolios, m.demotedPages, T),
    placement: { ...migrations(m.placementFolios, m.placementPages, T), costNs: round(m.placementNs, 1) },
    pingPong: { windowMs: sim.options.pingPongWindowMs, events: m.pingPong, perPromotion: round(m.promotedFolios === 0 ? 0 : m.pingPong / m.promotedFolios) },
    reactionTimeMs: found.length === 0 ? null : round(found.reduce((a, b) => a + b, 0) / found.length, 1),
    reactionTimesMs: reactions.map((r) => r.timeMs),
    reactions,
    sourceOverheadNs: { total: round(foreground + background, 1), foreground: round(foreground, 1), background: round(background, 1), byKind },
    series: m.series.map((p) => ({ ...p, fastTierHitRatio: round(p.fastTierHitRatio), oracleHitRatio: round(p.oracleHitRatio), sourceOverheadNs: round(p.sourceOverheadNs, 1) })),
    events: [
      ...shiftTimesMs(sim, sim.nowMs).map((tMs): RunEvent => ({ tMs, kind: 'shift', detail: 'the hot set moves' })),
      ...(sim.moveAt && sim.moveAt.timeMs <= sim.nowMs ? [{ tMs: sim.moveAt.timeMs, kind: 'moveAt' as const, detail: `migratepages: every page to node ${sim.moveAt.node}` }] : []),
    ].sort((a, b) => a.tMs - b.tMs),
    heatmap: sim.heatmap.report(),
    vmstat: engine.vmstat(),
    oracles: {
      allFast: { fastTierHitRatio: oracles.allFast.fastTierHitRatio, estimatedTimeNs: round(oracles.allFast.estimatedTimeNs, 1) },
      noPromotion: null,
      staticTopK: { ...oracles.staticTopK, fastTierHitRatio: round(oracles.staticTopK.fastTierHitRatio), estimatedTimeNs: round(oracles.staticTopK.estimatedTimeNs, 1) },
      intervalTopK: { ...oracles.intervalTopK, fastTierHitRatio: round(oracles.intervalTopK.fastTierHitRatio), estimatedTimeNs: round(oracles.intervalTopK.estimatedTimeNs, 1) },
    },
    verified,
    versions: { core: CORE_VERSION, plugins: Object.fromEntries(engine.plugins.map((p) => [p.name, p.version ?? null])) },
  };
}
