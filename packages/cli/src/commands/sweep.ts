import { closeSync, constants, ftruncateSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, formatIssues, TUNABLE_NAMES, type TunableName } from '@pghot/core';
import type { RunReport } from '@pghot/sim';
import { ioReason, OutputFile } from '@pghot/trace';
import { cosmiconfig } from 'cosmiconfig';
import { z } from 'zod';
import type { StepProgress } from '../progress.js';
import { runLabel } from '../sweep-summary.js';
import { runGroupsOnQueue } from './queue.js';
import { configFromName, fitsWorkers, resolveScenario, resolveSources, runConfigs, type ConfigUnderTest } from './simulate.js';
import { runGroupsOnWorkers, type ScenarioGroup } from './workers.js';

const workloadSchema = z.union([z.string().min(1), z.strictObject({ name: z.string().min(1), params: z.record(z.string(), z.unknown()).optional() })]);

/** A sweep file: the grid is every combination of these lists. */
export const sweepSchema = z.strictObject({
  machines: z.array(z.union([z.string().min(1), z.looseObject({})])).min(1).default(['dram+cxl']),
  workloads: z.array(workloadSchema).min(1).default(['gups-hotset']),
  seeds: z.array(z.int().min(0)).min(1).default([1]),
  /** Built-in configurations or policy plugins (as `compare --policies`). */
  policies: z.array(z.string().min(1)).min(1).default(['pghot']),
  /** `--sources` lists (e.g. "hintfault,hwsample"); without it, each configuration's own. */
  sources: z.array(z.string().min(1)).min(1).optional(),
  /** Each tunable's values. */
  tunables: z
    .record(z.string(), z.array(z.int()).min(1))
    .default({})
    .check((ctx) => {
      for (const key of Object.keys(ctx.value)) {
        if (!(TUNABLE_NAMES as readonly string[]).includes(key)) ctx.issues.push({ code: 'custom', message: `unknown tunable (${TUNABLE_NAMES.join(', ')})`, path: [key], input: ctx.value });
      }
    }),
  /** The simulator section of a config (intervalMs, llc…), for every run. */
  sim: z.record(z.string(), z.unknown()).optional(),
});
export type SweepFile = z.output<typeof sweepSchema>;

/** One point of the grid. */
export interface SweepRun {
  /** Stable across runs of the same sweep file: what --resume matches. */
  id: string;
  index: number;
  machine: string | Record<string, unknown>;
  workload: string | { name: string; params?: Record<string, unknown> | undefined };
  seed: number;
  policy: string;
  sources: string | null;
  tunables: Partial<Record<TunableName, number>>;
}

/** A line of the results file. */
export interface SweepLine {
  kind: 'sweep-run';
  id: string;
  index: number;
  run: Omit<SweepRun, 'id' | 'index'>;
  report: RunReport;
}

export async function readSweepFile(file: string): Promise<SweepFile> {
  let raw: unknown;
  try {
    raw = (await cosmiconfig('pghot-sweep').load(file))?.config;
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code ? ioReason(e) : (e as Error).message.split('\n')[0];
    throw new ConfigError(`${file}: ${reason}`, { code: 'PGHOT_SWEEP', file });
  }
  const r = sweepSchema.safeParse(raw ?? {});
  if (!r.success) throw new ConfigError(`${file}: ${formatIssues(r.error.issues)}`, { code: 'PGHOT_SWEEP', file });
  return r.data;
}

/** Every combination, in a fixed order: machines, workloads, seeds, then policies, sources and tunables. */
export function expandGrid(s: SweepFile): SweepRun[] {
  const names = Object.keys(s.tunables).sort() as TunableName[];
  let combos: Partial<Record<TunableName, number>>[] = [{}];
  for (const name of names) combos = combos.flatMap((c) => s.tunables[name]!.map((v) => ({ ...c, [name]: v })));
  const runs: SweepRun[] = [];
  for (const machine of s.machines)
    for (const workload of s.workloads)
      for (const seed of s.seeds)
        for (const policy of s.policies)
          for (const sources of s.sources ?? [null])
            for (const tunables of combos) {
              const point = { machine, workload, seed, policy, sources, tunables };
              runs.push({ id: JSON.stringify(point), index: runs.length, ...point });
            }
  return runs;
}

/**
 * The results file's finished runs (one JSON line each). A last line without its newline is a run
 * that was being written when the sweep was killed: it is cut off, and the run runs again.
 */
function readFinished(file: string, known: ReadonlyMap<string, SweepRun>): { lines: Map<string, string>; goodBytes: number } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { lines: new Map(), goodBytes: 0 };
    throw new ConfigError(`cannot read ${file}: ${ioReason(e)}`, { code: 'PGHOT_SWEEP', file });
  }
  const lines = new Map<string, string>();
  let offset = 0;
  let n = 0;
  while (offset < text.length) {
    const end = text.indexOf('\n', offset);
    if (end < 0) break; // unfinished: dropped
    n++;
    const line = text.slice(offset, end);
    let parsed: Partial<SweepLine>;
    try {
      parsed = JSON.parse(line) as Partial<SweepLine>;
    } catch {
      throw new ConfigError(`${file}:${n}: not a JSON line of a sweep's results`, { code: 'PGHOT_SWEEP', file });
    }
    if (parsed.kind !== 'sweep-run' || typeof parsed.id !== 'string') throw new ConfigError(`${file}:${n}: not a line of a sweep's results`, { code: 'PGHOT_SWEEP', file });
    if (!known.has(parsed.id)) throw new ConfigError(`${file}:${n}: a run this sweep file does not have (${runLabel(JSON.parse(parsed.id) as SweepRun)}): the results are another sweep's`, { code: 'PGHOT_SWEEP', file });
    lines.set(parsed.id, line);
    offset = end + 1;
  }
  return { lines, goodBytes: Buffer.byteLength(text.slice(0, offset)) };
}

export interface SweepOptions {
  file: string;
  output: string;
  resume: boolean;
  cwd: string;
  jobs: number;
  /** redis://HOST:PORT: the runs go to `pghot worker`s through this queue instead of this host's threads. */
  queue?: string | undefined;
  progress?: StepProgress | undefined;
  notice: (line: string) => void;
}

/**
 * Run the grid, appending each finished run to `output` as one JSON line (a single write, O_APPEND),
 * so a sweep killed at any point keeps every finished run; `resume` skips them. At the end the file is
 * rewritten in grid order (atomically), so the same sweep gives the same bytes however it ran.
 */
export async function runSweep(o: SweepOptions): Promise<{ runs: SweepRun[]; lines: SweepLine[]; ran: number; resumed: number }> {
  const sweep = await readSweepFile(o.file);
  const runs = expandGrid(sweep);
  const byId = new Map(runs.map((r) => [r.id, r]));
  const finished = o.resume ? readFinished(o.output, byId) : { lines: new Map<string, string>(), goodBytes: 0 };
  let fd: number;
  try {
    // O_NOFOLLOW: never through a symlink; without --resume an existing file is refused (O_EXCL)
    fd = openSync(o.output, constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW | (o.resume ? 0 : constants.O_EXCL), 0o644);
  } catch (e) {
    const exists = (e as NodeJS.ErrnoException).code === 'EEXIST';
    throw new ConfigError(exists ? `${o.output} exists: --resume to go on with it, or another --output` : `cannot write ${o.output}: ${ioReason(e)}`, { code: 'PGHOT_SWEEP', file: o.output });
  }
  const lines = finished.lines;
  const resumed = lines.size;
  let ran = 0;
  try {
    ftruncateSync(fd, finished.goodBytes); // an unfinished last line goes
    let position = finished.goodBytes;
    const append = (line: string) => {
      const bytes = Buffer.from(`${line}\n`);
      writeSync(fd, bytes, 0, bytes.length, position);
      position += bytes.length;
    };
    if (resumed > 0) o.notice(`pghot sweep: ${resumed} of ${runs.length} runs already in ${o.output}: not run again`);
    // by scenario (machine, workload, seed): its configurations share a baseline
    const groups = new Map<string, SweepRun[]>();
    for (const r of runs) {
      if (lines.has(r.id)) continue;
      const key = JSON.stringify([r.machine, r.workload, r.seed]);
      groups.set(key, [...(groups.get(key) ?? []), r]);
    }
    const onReport = (r: SweepRun, report: RunReport) => {
      const { id, index, ...run } = r;
      const line = JSON.stringify({ kind: 'sweep-run', id, index, run, report } satisfies SweepLine);
      append(line);
      lines.set(id, line);
      ran++;
    };
    const prepared: ScenarioGroup[] = [];
    for (const group of groups.values()) {
      const first = group[0]!;
      const scenario = resolveScenario({ set: [] }, { machine: first.machine, workload: first.workload, seed: first.seed, ...(sweep.sim ? { sim: sweep.sim } : {}) }, o.file);
      const configs: ConfigUnderTest[] = [];
      for (const r of group) {
        const sources = await resolveSources(r.sources ?? undefined, o.cwd);
        const config = await configFromName(r.policy, o.cwd, r.tunables, sources);
        configs.push({ ...config, name: runLabel(r), recipe: { from: { name: r.policy }, cwd: o.cwd, overrides: r.tunables, sources: r.sources ?? undefined } });
      }
      prepared.push({ scenario, configs, onReport: (i, report) => onReport(group[i]!, report) });
    }
    if (o.queue) {
      // every scenario at once: the workers take what is free
      await runGroupsOnQueue(o.queue, sweep, prepared, o.notice, o.progress);
    } else if (o.jobs > 1 && prepared.every(fitsWorkers)) {
      // every scenario at once on one pool of threads: none waits for a scenario's slowest run
      await runGroupsOnWorkers(prepared, o.jobs, o.progress);
    } else {
      // one scenario at a time: its configurations share a baseline
      for (const g of prepared) await runConfigs(g.scenario, g.configs, o.progress, o.jobs, g.onReport);
    }
  } catch (e) {
    // a file this sweep created and put nothing in is not left behind
    if (!o.resume && ran === 0) rmSync(o.output, { force: true });
    throw e;
  } finally {
    closeSync(fd);
  }
  // in grid order: the same bytes whatever the order runs finished in, or how often it resumed
  const ordered = runs.map((r) => lines.get(r.id)!);
  const out = new OutputFile(o.output);
  out.write(`${ordered.join('\n')}\n`);
  out.commit();
  return { runs, lines: ordered.map((l) => JSON.parse(l) as SweepLine), ran, resumed };
}

export const resolveOutput = (cwd: string, output: string | undefined, file: string) => path.resolve(cwd, output ?? `${path.basename(file).replace(/\.[^.]+$/, '')}.results.jsonl`);
