// Sweeps across machines: runs go into a BullMQ queue on Redis; `pghot worker` processes on any host run them.
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { ConfigError, CORE_VERSION, PghotError } from '@pghot/core';
import { applyBaseline, type BaselineSummary, type RunReport } from '@pghot/sim';
import type { Job } from 'bullmq';
import type { StepProgress } from '../progress.js';
import { BASELINE_LABEL } from './simulate.js';
import { createSimPool, rethrow, type ScenarioGroup, type SimTask, type SimTaskResult, simTask } from './workers.js';

/** Every sweep's jobs go into this one queue: a worker serves whatever sweep is running. */
export const QUEUE_NAME = 'pghot-sweep';

/** A job: one simulation, as plain JSON (the worker rebuilds the machine and the plugins). */
export interface QueueJob {
  scenario: SimTask['scenario'];
  /** null: the scenario's no-promotion baseline. */
  config: SimTask['config'];
}

/** Redis's address as BullMQ's connection options; until `state.ready`, a refused connection is not retried. */
export function queueConnection(url: string, state: { ready: boolean } = { ready: false }) {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(`--queue ${url}: not a URL (redis://HOST:PORT)`, { code: 'PGHOT_USAGE' });
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') throw new ConfigError(`--queue ${url}: not a redis:// URL`, { code: 'PGHOT_USAGE' });
  // BullMQ blocks on Redis: no per-request retry limit. No Redis at the start is an error at once;
  // a connection lost later is retried until it is back (a Redis restart does not end a sweep)
  return { url, maxRetriesPerRequest: null, retryStrategy: (times: number) => (state.ready ? Math.min(times * 500, 5000) : null) };
}

// BullMQ (and ioredis) take about 0.2 s to load: only commands given --queue load them
const bullmq = () => import('bullmq');

const hash = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);

/**
 * Enqueue every run (and each scenario's baseline) with a job id from the sweep (and the core
 * version, which keeps the results of two versions apart) and the run, so
 * enqueuing again (a resumed sweep, a second coordinator) adds nothing; wait for each, apply the
 * baseline here as a local sweep does, hand the report on once, then remove the job from Redis.
 * A job whose worker died is retried by BullMQ (its lock runs out: stalled); an error a run
 * reports (a bad plugin, a bad machine) comes back as a result and is raised here, not retried.
 */
export async function runGroupsOnQueue(url: string, sweep: unknown, groups: readonly ScenarioGroup[], log: (line: string) => void, progress?: StepProgress): Promise<void> {
  const sweepKey = hash(JSON.stringify([CORE_VERSION, sweep]));
  const state = { ready: false };
  const connection = queueConnection(url, state);
  const { Queue, QueueEvents } = await bullmq();
  const queue = new Queue<QueueJob, SimTaskResult>(QUEUE_NAME, { connection });
  const events = new QueueEvents(QUEUE_NAME, { connection });
  const failed = new Promise<never>((_, reject) => {
    const fail = (e: Error) => (state.ready ? log(`pghot sweep: ${url}: ${e.message} (retrying)`) : reject(new ConfigError(`--queue ${url}: ${e.message}`, { code: 'PGHOT_QUEUE' })));
    queue.on('error', fail);
    events.on('error', fail);
  });
  failed.catch(() => {});
  // every configuration and each group's baseline, numbered in the order they are submitted
  const total = groups.reduce((n, g) => n + g.configs.length + 1, 0);
  const jobs = new Map<string, { index: number; label: string }>();
  events.on('progress', ({ jobId, data }) => {
    const job = jobs.get(jobId);
    if (job !== undefined && typeof data === 'number' && data < 1) progress?.(job.index, total, job.label, data);
  });
  const submit = async (jobId: string, label: string, data: QueueJob): Promise<SimTaskResult> => {
    const index = jobs.size;
    jobs.set(jobId, { index, label });
    const existing = await queue.getJob(jobId);
    // a job that failed before (its worker died too often) is tried afresh
    if (existing && (await existing.isFailed())) await existing.remove();
    const job = await queue.add(data.config ? 'run' : 'baseline', data, { jobId, attempts: 3, removeOnFail: false, removeOnComplete: false });
    try {
      const result = await job.waitUntilFinished(events);
      progress?.(index, total, label, 1);
      return result;
    } catch (e) {
      // BullMQ gave up on it (its workers died again and again): the sweep stops; --resume tries it afresh
      throw new PghotError(`${label}: failed on the workers (${(e as Error).message}); the job ${jobId} stays in Redis as failed`, { code: 'PGHOT_QUEUE' });
    }
  };
  try {
    const unreachable = (e: Error) => Promise.reject(new ConfigError(`--queue ${url}: ${e.message}`, { code: 'PGHOT_QUEUE' }));
    await Promise.race([Promise.all([queue.waitUntilReady(), events.waitUntilReady()]).catch(unreachable), failed]);
    state.ready = true;
    const all = groups.map(async (g) => {
      if (g.scenario.traceWorkload) throw new ConfigError('a trace workload cannot go on --queue: the workers on other hosts do not have the trace; run this sweep without --queue', { code: 'PGHOT_USAGE' });
      const { scenario } = simTask(g.scenario, null);
      const scenarioKey = `${sweepKey}-${hash(JSON.stringify(scenario))}`;
      const baselineId = `${scenarioKey}-baseline`;
      const baseline = submit(baselineId, `${BASELINE_LABEL} (${scenario.workload.name}, seed ${scenario.seed})`, { scenario, config: null }).then((r) => {
        if ('error' in r) rethrow(r.error);
        return (r as { baseline: BaselineSummary }).baseline;
      });
      baseline.catch(() => {});
      await Promise.all(
        g.configs.map(async (c, i) => {
          const task = simTask(g.scenario, c);
          // a run's id leaves out the directory its plugins resolve from: each host has its own
          const { cwd: _here, ...recipe } = task.config!.recipe;
          const jobId = `${scenarioKey}-${hash(JSON.stringify([c.name, recipe]))}`;
          const result = await submit(jobId, c.name, task);
          if ('error' in result) rethrow(result.error);
          g.onReport?.(i, applyBaseline((result as { report: RunReport }).report, await baseline));
          await queue.remove(jobId);
        }),
      );
      await queue.remove(baselineId);
    });
    await Promise.race([Promise.all(all), failed]);
  } finally {
    await Promise.allSettled(state.ready ? [events.close(), queue.close()] : [events.disconnect(), queue.disconnect()]);
  }
}

export interface QueueWorkerOptions {
  url: string;
  /** Simulations at once (worker threads). */
  jobs: number;
  /** Where plugin names resolve: this host's project. */
  cwd: string;
  /** How long a job stays locked to this worker without a renewal; a dead worker's job is retried after it. */
  lockDurationMs: number;
  log: (line: string) => void;
  /** Resolves when the worker should stop: it finishes its running jobs and closes. */
  stop: Promise<unknown>;
}

/** `pghot worker`: run the queue's jobs on this host's threads until stopped. */
export async function runQueueWorker(o: QueueWorkerOptions): Promise<{ ran: number }> {
  const state = { ready: false };
  const connection = queueConnection(o.url, state);
  const { Worker } = await bullmq();
  let pool: ReturnType<typeof createSimPool> | undefined;
  let ran = 0;
  const name = `${hostname()}:${process.pid}`;
  const process_ = async (job: Job<QueueJob, SimTaskResult>): Promise<SimTaskResult> => {
    const { scenario, config } = job.data;
    const label = config?.name ?? BASELINE_LABEL;
    o.log(`pghot worker: ${label}: started (job ${job.id}, attempt ${job.attemptsMade + 1})`);
    const started = Date.now();
    let last = 0;
    // the run's plugins resolve from this host's project, not the coordinator's directory
    const task = { scenario, config: config && { ...config, recipe: { ...config.recipe, cwd: o.cwd } } };
    pool ??= createSimPool(o.jobs);
    const result = await pool.run(task, (fraction) => {
      if (fraction - last >= 0.1) {
        last = fraction;
        void job.updateProgress(fraction).catch(() => {});
      }
    });
    ran++;
    o.log(`pghot worker: ${label}: ${'error' in result ? `failed: ${result.error.message}` : 'done'} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return result;
  };
  const worker = new Worker<QueueJob, SimTaskResult>(QUEUE_NAME, process_, {
    connection,
    concurrency: o.jobs,
    lockDuration: o.lockDurationMs,
    stalledInterval: o.lockDurationMs,
    name,
  });
  // before it is ready an error is fatal (no Redis there); after, it is logged and BullMQ goes on
  const unreachable = (e: Error) => new ConfigError(`--queue ${o.url}: ${e.message}`, { code: 'PGHOT_QUEUE' });
  const failed = new Promise<never>((_, reject) => worker.on('error', (e) => (state.ready ? o.log(`pghot worker: ${e.message}`) : reject(unreachable(e)))));
  failed.catch(() => {});
  try {
    await Promise.race([worker.waitUntilReady().catch((e: Error) => Promise.reject(unreachable(e))), failed]);
    state.ready = true;
    o.log(`pghot worker: ${name} serving ${QUEUE_NAME} on ${new URL(o.url).host} with ${o.jobs} thread${o.jobs === 1 ? '' : 's'}`);
    await Promise.race([o.stop, failed]);
  } finally {
    try {
      // stopping: the running jobs finish first; never connected: only the sockets go
      await (state.ready ? worker.close() : worker.close(true).catch(() => {}));
    } finally {
      await pool?.destroy();
    }
  }
  return { ran };
}
