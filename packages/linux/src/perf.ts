import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { ConfigError } from '@pghot/core';
import type { KernelFs } from './sysfs.js';

/** The memory-sampling PMU a machine has: AMD IBS op sampling, Intel PEBS load latency, or none. */
export type SamplingPmu = 'ibs' | 'pebs' | null;

export interface PerfStatus {
  /** The perf binary on PATH, or null. */
  perf: string | null;
  pmu: SamplingPmu;
}

/** The `perf` on PATH (Debian: linux-perf), or null. */
export function findPerf(searchPath = process.env.PATH ?? ''): string | null {
  for (const dir of searchPath.split(path.delimiter)) {
    if (!dir) continue;
    const file = path.join(dir, 'perf');
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return null;
}

/** IBS when the kernel has the ibs_op PMU, PEBS when the core PMU has the mem-loads event (perf mem's choices). */
export function samplingPmu(fs: KernelFs): SamplingPmu {
  const devices = '/sys/bus/event_source/devices';
  if (fs.list(`${devices}/ibs_op`).length > 0) return 'ibs';
  if (fs.read(`${devices}/cpu/events/mem-loads`) !== undefined || fs.read(`${devices}/cpu_core/events/mem-loads`) !== undefined) return 'pebs';
  return null;
}

export function perfStatus(fs: KernelFs): PerfStatus {
  return { perf: findPerf(), pmu: samplingPmu(fs) };
}

/** What `perf record` samples: the event arguments and how it is described in reports. */
export interface PerfEvent {
  pmu: SamplingPmu;
  args: string[];
  description: string;
}

/**
 * The event for memory samples with physical addresses: IBS op samples (the pghot IBS driver's
 * period 10,000), PEBS loads slower than 30 cycles (HeMem's period 19,997), or — without such a
 * PMU — every software page fault of the target (`period` 1), a stand-in whose samples carry the
 * physical address only when the faulting page is present (a write to a write-protected page).
 */
export function perfEvent(pmu: SamplingPmu, period?: number): PerfEvent {
  switch (pmu) {
    case 'ibs':
      return { pmu, args: ['-e', 'ibs_op//', '-c', String(period ?? 10_000)], description: `IBS op samples, 1 in ${period ?? 10_000}` };
    case 'pebs':
      return { pmu, args: ['-e', 'cpu/mem-loads,ldlat=30/P', '-c', String(period ?? 19_997)], description: `PEBS load samples over 30 cycles, 1 in ${period ?? 19_997}` };
    default:
      return { pmu, args: ['-e', 'page-faults', '-c', String(period ?? 1)], description: `software page-fault samples, 1 in ${period ?? 1} (no IBS/PEBS PMU: a stand-in)` };
  }
}

export interface PerfStreamOptions {
  perf: string;
  event: PerfEvent;
  /** Sample this process (and its threads), or every CPU when absent. */
  pid?: number | undefined;
  /** Each `perf script` line, as it comes (perf orders them by time). */
  onLine: (line: string) => void;
}

/** A running `perf record | perf script` pipeline. */
export interface PerfStream {
  /** Stop sampling (SIGINT to perf record, which then flushes), and wait for the last line. */
  stop(): Promise<void>;
  /** Ends when perf script has printed everything: rejects with perf's own message if perf failed. */
  readonly done: Promise<void>;
  /** Kill both processes now (an exit path that cannot wait). */
  kill(): void;
  /** perf record's and perf script's pids (their CPU time is the source's overhead). */
  readonly pids: readonly number[];
}

/** perf script's fields for a memory sample: what pghot's perf parser reads (docs/data-formats). */
export const PERF_SCRIPT_FIELDS = 'comm,tid,cpu,time,event,addr,phys_addr';

/**
 * `perf record <event> -d --phys-data --sample-cpu -k mono -m 8 [-p PID | -a] -o -`, piped into
 * `perf script -i - -F comm,tid,cpu,time,event,addr,phys_addr`: samples stream in as perf flushes
 * its small ring (-m 8: a few hundred ms behind), times on CLOCK_MONOTONIC.
 */
export function startPerfStream(o: PerfStreamOptions): PerfStream {
  const target = o.pid === undefined ? ['-a'] : ['-p', String(o.pid)];
  const record = spawn(o.perf, ['record', ...o.event.args, '-d', '--phys-data', '--sample-cpu', '-k', 'mono', '-m', '8', ...target, '-o', '-'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const script = spawn(o.perf, ['script', '-i', '-', '-F', PERF_SCRIPT_FIELDS], { stdio: ['pipe', 'pipe', 'pipe'] });
  record.stdout.pipe(script.stdin);
  // perf script's stdin closing early (it failed) must not crash pghot with EPIPE
  script.stdin.on('error', () => {});
  const stderr = { record: '', script: '' };
  record.stderr.on('data', (d: Buffer) => (stderr.record += d.toString()));
  script.stderr.on('data', (d: Buffer) => (stderr.script += d.toString()));
  createInterface({ input: script.stdout, crlfDelay: Infinity }).on('line', o.onLine);
  const exited = (child: ChildProcess) =>
    new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code, signal) => resolve(signal === 'SIGINT' ? 0 : code));
    });
  let stopping = false;
  const done = Promise.all([exited(record), exited(script)]).then(([rc, sc]) => {
    // perf record exits 0 after SIGINT; anything else before pghot stopped it is perf's error
    if ((rc !== 0 && !stopping) || sc !== 0) {
      const why = (stderr.record + stderr.script).split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('[ perf record:'));
      throw new ConfigError(`perf failed (record exit ${rc}, script exit ${sc}): ${why.slice(0, 3).join(' / ') || 'no message'}`, { code: 'PGHOT_PERF' });
    }
  });
  const kill = () => {
    for (const child of [record, script]) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  return {
    done,
    kill,
    pids: [record.pid, script.pid].filter((p): p is number => p !== undefined),
    async stop() {
      stopping = true;
      if (record.exitCode === null && record.signalCode === null) record.kill('SIGINT');
      await done;
    },
  };
}
