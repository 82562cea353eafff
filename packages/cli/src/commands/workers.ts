import { availableParallelism } from 'node:os';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { ConfigError, PghotError } from '@pghot/core';
import { applyBaseline, type BaselineSummary, type RunReport } from '@pghot/sim';
import { Piscina } from 'piscina';
import type { StepProgress } from '../progress.js';
import { longestFirst, RunTimes } from './run-times.js';
import { BASELINE_LABEL, type ConfigRecipe, type ConfigUnderTest, type Scenario } from './simulate.js';

/** What a worker thread needs for one simulation: plain data (a machine spec, not the machine; a recipe, not plugins). */
export interface SimTask {
  scenario: Omit<Scenario, 'machine' | 'traceWorkload'>;
  /** null: the no-promotion baseline. */
  config: { name: string; recipe: ConfigRecipe } | null;
  progress: MessagePort;
}

/** A run as a worker thread takes it, and as run-times.ts keys it: the scenario without its built machine, the configuration's recipe. */
export function simTask(s: Scenario, c: ConfigUnderTest | null): Omit<SimTask, 'progress'> {
  const { machine: _built, traceWorkload: _none, ...scenario } = s;
  return { scenario, config: c && { name: c.name, recipe: c.recipe! } };
}

/** What comes back: a report without the baseline, or the baseline's summary, and the run's time; or an error that keeps its kind (its exit code). */
export type SimTaskResult =
  | (({ report: RunReport } | { baseline: BaselineSummary }) & { ms: number })
  | { error: { message: string; kind: 'config' | 'pghot' | 'other'; code: string | undefined } };

/** The default for --jobs: PGHOT_JOBS, else every core. */
export function defaultJobs(env: Record<string, string | undefined>): number {
  const n = Number(env.PGHOT_JOBS);
  return Number.isInteger(n) && n >= 1 ? n : availableParallelism();
}

/** From source (tsx) the worker module is sim-worker.ts, loaded as the CLI is; built, sim-worker.js. */
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const WORKER = new URL(FROM_SOURCE ? './sim-worker.ts' : './sim-worker.js', import.meta.url).href;

/** A pool of simulation threads (piscina); each task's progress comes back through a MessagePort. */
export function createSimPool(threads: number) {
  const pool = new Piscina<SimTask, SimTaskResult>({
    filename: WORKER,
    // every thread from the start (they load the simulator while the first tasks queue), and tasks
    // strictly in the order given: by default piscina puts a task it cannot place yet at the back of
    // the queue, which turns the order round at every completion
    minThreads: threads,
    maxThreads: threads,
    stricterFIFO: true,
    // tsx by its path: a bare 'tsx' would resolve from the current directory, a user's project
    ...(FROM_SOURCE ? { execArgv: ['--conditions=@pghot/source', '--import', import.meta.resolve('tsx')] } : {}),
  });
  return {
    async run(task: Omit<SimTask, 'progress'>, onProgress?: (fraction: number) => void): Promise<SimTaskResult> {
      const { port1, port2 } = new MessageChannel();
      if (onProgress) port1.on('message', onProgress);
      try {
        return await pool.run({ ...task, progress: port2 }, { transferList: [port2] });
      } finally {
        port1.close();
      }
    },
    destroy: () => pool.destroy(),
  };
}

/** A worker's error again as what it was (a ConfigError exits 2). */
export function rethrow(error: Extract<SimTaskResult, { error: unknown }>['error']): never {
  const { message, kind, code } = error;
  throw kind === 'config' ? new ConfigError(message, { code: code ?? 'PGHOT_CONFIG' }) : kind === 'pghot' ? new PghotError(message, { code: code ?? 'PGHOT' }) : new Error(message);
}

/** One scenario's configurations, which share its no-promotion baseline (a sweep has many; compare one). */
export interface ScenarioGroup {
  scenario: Scenario;
  configs: readonly ConfigUnderTest[];
  /** Each report as soon as it and its baseline are done (a sweep appends it then). */
  onReport?: (index: number, report: RunReport) => void;
}

/**
 * The baseline and every configuration of every group at once on up to `jobs` worker threads
 * (piscina): one pool, so threads never wait for a group's slowest run and load the simulator once.
 * Each report is built without the baseline in its worker and given it here, as the serial path
 * does, so the bytes are the same however many threads ran them; each group's reports keep its
 * configurations' order. With `times`, runs start longest first (run-times.ts) and their times
 * are remembered.
 */
export async function runGroupsOnWorkers(groups: readonly ScenarioGroup[], jobs: number, progress?: StepProgress, times?: RunTimes): Promise<RunReport[][]> {
  const total = groups.reduce((n, g) => n + g.configs.length + 1, 0);
  const pool = createSimPool(Math.min(jobs, total));
  // runs wait here until every one is known, then go to the pool in the order chosen below
  const queue: { key: string; start: () => void }[] = [];
  const enqueue = (index: number, label: string, task: Omit<SimTask, 'progress'>): Promise<SimTaskResult> => {
    const key = times ? RunTimes.keyOf(task) : '';
    const result = new Promise<SimTaskResult>((resolve, reject) => {
      queue.push({ key, start: () => void pool.run(task, (fraction) => progress?.(index, total, label, fraction)).then(resolve, reject) });
    });
    return result.then((r) => {
      progress?.(index, total, label, 1);
      if ('error' in r) rethrow(r.error);
      times?.set(key, r.ms);
      return r;
    });
  };
  try {
    let first = 0; // the group's baseline's index in the progress count
    const all = groups.map((g) => {
      const at = first;
      first += g.configs.length + 1;
      // Without known times, the pool runs tasks in the order given. A sweep (onReport) gives each
      // group's baseline first, so each report can be written as soon as it is done. compare gives
      // it last: a run with promotion off does less than any configuration, and the shortest task
      // last leaves the least time with a thread idle at the end.
      const startBaseline = () => {
        const summary = enqueue(at, BASELINE_LABEL, simTask(g.scenario, null)).then((r) => (r as { baseline: BaselineSummary }).baseline);
        summary.catch(() => {}); // its failure reaches the caller through the runs that await it
        return summary;
      };
      let baseline = g.onReport ? startBaseline() : undefined;
      const reports = g.configs.map(async (c, i) => {
        const result = await enqueue(at + i + 1, c.name, simTask(g.scenario, c));
        const report = applyBaseline((result as { report: RunReport }).report, await baseline!);
        g.onReport?.(i, report);
        return report;
      });
      baseline ??= startBaseline();
      return Promise.all(reports);
    });
    // a sweep keeps its order (each group's baseline first, so its reports are written early)
    const ordered = times && !groups.some((g) => g.onReport) ? longestFirst(queue, (q) => times.get(q.key)) : queue;
    for (const q of ordered) q.start();
    return await Promise.all(all);
  } finally {
    // the threads stop while the caller writes the results (the process still waits for them)
    pool.destroy().catch(() => {});
    times?.save();
  }
}
