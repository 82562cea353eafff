import { ConfigError, formatIssues } from '@pghot/core';
import { z } from 'zod';
import { gupsFillJs, gupsFillWasm, type GupsShape } from './gups.js';
import { mulberry32, scatter, streamSeed, ZipfSampler } from './random.js';

const PAGES_PER_MIB = 256;
const LINES_PER_PAGE = 64;

/** One process of a workload: an address space and its threads. */
export interface ProcessSpec {
  readonly name: string;
  readonly footprintPages: number;
  readonly threads: number;
  /** Accesses all threads make in total. */
  readonly totalAccesses: number;
  /** CPUs for the threads; default: the first CPUs of the top tier, spread over its nodes when `spread`. */
  readonly cpus: readonly number[] | undefined;
  readonly spread: boolean;
  /** The hot set moves every this many ns of task time (phase-shift), else 0. */
  readonly shiftPeriodNs: number;
  /**
   * Fill up to `vpage.length` next accesses of `thread` (virtual page, 64-byte line within the
   * page, write flag) at task time `nowNs`. Returns how many; 0 once the thread is done.
   * Deterministic for a given seed.
   */
  fill(thread: number, nowNs: number, vpage: Int32Array, line: Uint8Array, write: Uint8Array): number;
}

export interface WorkloadInstance {
  readonly name: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly processes: readonly ProcessSpec[];
}

interface WorkloadDef<S extends z.ZodType> {
  readonly description: string;
  readonly schema: S;
  create(params: z.output<S>, seed: number): ProcessSpec[];
}

const defineWorkload = <S extends z.ZodType>(def: WorkloadDef<S>): WorkloadDef<S> => def;

/**
 * Default run length: 200 M accesses per thread, about 20 s of simulated time even when every
 * access is local DRAM (102 ns on the presets), so NUMA balancing's 2 s warm-up (twice its first
 * scan period) is under 10 % of any configuration's run.
 */
export const DEFAULT_ACCESSES_PER_THREAD = 200_000_000;

const common = {
  footprintMiB: z.number().positive().default(128),
  accessesPerThread: z.int().min(1).default(DEFAULT_ACCESSES_PER_THREAD),
  cpus: z.array(z.int().min(0)).optional(),
};

/** Per-thread access budgets with a generator per thread. */
function process(
  name: string,
  footprintPages: number,
  threads: number,
  accessesPerThread: number,
  cpus: number[] | undefined,
  spread: boolean,
  shiftPeriodNs: number,
  next: (thread: number, nowNs: number, vpage: Int32Array, line: Uint8Array, write: Uint8Array, n: number) => void,
): ProcessSpec {
  const left = new Float64Array(threads).fill(accessesPerThread);
  return {
    name,
    footprintPages,
    threads,
    totalAccesses: threads * accessesPerThread,
    cpus,
    spread,
    shiftPeriodNs,
    fill(thread, nowNs, vpage, line, write) {
      const n = Math.min(vpage.length, left[thread]!);
      if (n <= 0) return 0;
      left[thread]! -= n;
      next(thread, nowNs, vpage, line, write, n);
      return n;
    },
  };
}

const gupsSchema = z.strictObject({
  ...common,
  hotFraction: z.number().gt(0).lt(1).default(0.1),
  hotAccessFraction: z.number().min(0).max(1).default(0.9),
  writeFraction: z.number().min(0).max(1).default(1),
  threads: z.int().min(1).default(1),
});

function gupsProcess(name: string, p: z.output<typeof gupsSchema>, seed: number, shiftPeriodNs: number): ProcessSpec {
  const pages = Math.round(p.footprintMiB * PAGES_PER_MIB);
  const hot = Math.max(1, Math.floor(pages * p.hotFraction));
  const phases = Math.max(1, Math.floor(pages / hot));
  const shape: GupsShape = { pages, hot, hotAccessFraction: p.hotAccessFraction, writeFraction: p.writeFraction };
  // each thread's mulberry32 state: the stream of mulberry32(streamSeed(seed, t))
  const state = Int32Array.from({ length: p.threads }, (_, t) => streamSeed(seed, t));
  // the WebAssembly fill works in u32 pages: any page an Int32Array holds
  const fill = (pages < 2 ** 31 ? gupsFillWasm(shape) : null) ?? gupsFillJs(shape);
  return process(name, pages, p.threads, p.accessesPerThread, p.cpus, true, shiftPeriodNs, (th, nowNs, vpage, line, write, n) => {
    const base = shiftPeriodNs > 0 ? (Math.floor(nowNs / shiftPeriodNs) % phases) * hot : 0;
    state[th] = fill(state[th]!, n, base, vpage, line, write);
  });
}

export const WORKLOADS = {
  'gups-hotset': defineWorkload({
    description: 'GUPS updates with a hot set: hotAccessFraction of updates uniform in the first hotFraction of the footprint, the rest uniform over all of it',
    schema: gupsSchema,
    create: (p, seed) => [gupsProcess('gups-hotset', p, seed, 0)],
  }),
  'phase-shift': defineWorkload({
    description: 'gups-hotset whose hot set moves to the next disjoint range every periodS seconds of task time',
    schema: gupsSchema.extend({ periodS: z.number().positive().default(2) }),
    create: (p, seed) => [gupsProcess('phase-shift', p, seed, p.periodS * 1e9)],
  }),
  zipf: defineWorkload({
    description: 'YCSB-like key-value reads: keys of recordBytes drawn Zipf(theta), mapped to pages by hash (scattered) or in order (clustered)',
    schema: z.strictObject({
      ...common,
      theta: z.number().min(0).max(3).default(0.99),
      recordBytes: z.int().min(64).max(4096).default(1024),
      mapping: z.enum(['scattered', 'clustered']).default('scattered'),
      writeFraction: z.number().min(0).max(1).default(0),
      threads: z.int().min(1).default(1),
    }),
    create: (p, seed) => {
      const pages = Math.round(p.footprintMiB * PAGES_PER_MIB);
      const perPage = Math.floor(4096 / p.recordBytes);
      const keys = pages * perPage;
      const zipf = new ZipfSampler(keys, p.theta);
      const order = p.mapping === 'scattered' ? scatter(keys, seed) : null;
      const rngs = Array.from({ length: p.threads }, (_, t) => mulberry32(streamSeed(seed, t)));
      return [
        process('zipf', pages, p.threads, p.accessesPerThread, p.cpus, true, 0, (t, _now, vpage, line, write, n) => {
          const r = rngs[t]!;
          const linesPerRecord = p.recordBytes / 64;
          for (let i = 0; i < n; i++) {
            const rank = zipf.sample(r());
            const key = order === null ? rank : order[rank]!;
            vpage[i] = Math.floor(key / perPage);
            line[i] = ((key % perPage) * linesPerRecord) & (LINES_PER_PAGE - 1);
            write[i] = r() < p.writeFraction ? 1 : 0;
          }
        }),
      ];
    },
  }),
  scan: defineWorkload({
    description: 'streaming: sweeps the footprint line by line (64 accesses per page), again and again',
    schema: z.strictObject({ ...common, writeFraction: z.number().min(0).max(1).default(0), threads: z.int().min(1).default(1) }),
    create: (p, seed) => {
      const pages = Math.round(p.footprintMiB * PAGES_PER_MIB);
      const cursor = new Float64Array(p.threads).map((_, t) => Math.floor((t * pages * LINES_PER_PAGE) / p.threads));
      const rngs = Array.from({ length: p.threads }, (_, t) => mulberry32(streamSeed(seed, t)));
      return [
        process('scan', pages, p.threads, p.accessesPerThread, p.cpus, true, 0, (t, _now, vpage, line, write, n) => {
          let c = cursor[t]!;
          const r = rngs[t]!;
          for (let i = 0; i < n; i++) {
            vpage[i] = Math.floor(c / LINES_PER_PAGE) % pages;
            line[i] = c % LINES_PER_PAGE;
            write[i] = r() < p.writeFraction ? 1 : 0;
            c++;
          }
          cursor[t] = c;
        }),
      ];
    },
  }),
  graph: defineWorkload({
    description:
      'Graph500-like: per thread, edgeFraction of accesses stream its slice of the edge array (line by line), the rest read vertex properties with power-law popularity (Zipf theta), threads spread over the top-tier nodes',
    schema: z.strictObject({
      ...common,
      threads: z.int().min(1).default(2),
      vertexFraction: z.number().gt(0).lt(1).default(0.25),
      edgeFraction: z.number().min(0).max(1).default(0.5),
      theta: z.number().min(0).max(3).default(0.8),
    }),
    create: (p, seed) => {
      const pages = Math.round(p.footprintMiB * PAGES_PER_MIB);
      const vertexPages = Math.max(1, Math.floor(pages * p.vertexFraction));
      const edgePages = pages - vertexPages;
      const zipf = new ZipfSampler(vertexPages, p.theta);
      const order = scatter(vertexPages, seed);
      const cursor = new Float64Array(p.threads).map((_, t) => Math.floor((t * edgePages * LINES_PER_PAGE) / p.threads));
      const rngs = Array.from({ length: p.threads }, (_, t) => mulberry32(streamSeed(seed, t)));
      return [
        process('graph', pages, p.threads, p.accessesPerThread, p.cpus, true, 0, (t, _now, vpage, line, write, n) => {
          const r = rngs[t]!;
          let c = cursor[t]!;
          for (let i = 0; i < n; i++) {
            if (r() < p.edgeFraction && edgePages > 0) {
              vpage[i] = vertexPages + (Math.floor(c / LINES_PER_PAGE) % edgePages);
              line[i] = c % LINES_PER_PAGE;
              c++;
            } else {
              vpage[i] = order[zipf.sample(r())]!;
              line[i] = Math.floor(r() * LINES_PER_PAGE);
            }
            write[i] = 0;
          }
          cursor[t] = c;
        }),
      ];
    },
  }),
  sequence: defineWorkload({
    description: 'an explicit list of virtual pages, accessed in order (repeated `repeat` times) by one thread; for exact scenarios',
    schema: z.strictObject({
      pages: z.array(z.int().min(0)).min(1),
      repeat: z.int().min(1).default(1),
      /** Every access is a write. */
      writes: z.boolean().default(false),
      cpus: z.array(z.int().min(0)).optional(),
    }),
    create: (p) => {
      const seq = p.pages;
      let k = 0;
      return [
        process('sequence', seq.reduce((a, b) => Math.max(a, b), 0) + 1, 1, seq.length * p.repeat, p.cpus, false, 0, (_t, _now, vpage, line, write, n) => {
          for (let i = 0; i < n; i++, k++) {
            vpage[i] = seq[k % seq.length]!;
            line[i] = 0;
            write[i] = p.writes ? 1 : 0;
          }
        }),
      ];
    },
  }),
} as const;

const mixSchema = z.strictObject({
  parts: z
    .array(z.strictObject({ workload: z.string(), params: z.record(z.string(), z.unknown()).optional(), cpus: z.array(z.int().min(0)).optional() }))
    .min(1),
});

export type WorkloadName = keyof typeof WORKLOADS | 'mix';
export const WORKLOAD_NAMES: readonly WorkloadName[] = [...(Object.keys(WORKLOADS) as (keyof typeof WORKLOADS)[]), 'mix'];

/** A workload by name with parameters (validated, defaults filled); errors name the workload and parameter. */
/**
 * Threads for a machine with several top-tier CPU nodes: one per node at least, so each node's
 * CPUs make accesses (and faults) and promotions go to both, unless the parameters name threads
 * or CPUs. Unchanged for a workload without a `threads` parameter.
 */
export function threadsForMachine(name: string, params: Record<string, unknown>, cpuNodes: number): Record<string, unknown> {
  const def = (WORKLOADS as Record<string, { schema: z.ZodType }>)[name];
  if (cpuNodes < 2 || !def || params.threads !== undefined || params.cpus !== undefined) return params;
  const shape = (def.schema as unknown as { shape?: Record<string, z.ZodType> }).shape;
  const threads = shape?.threads;
  if (!threads) return params;
  const fallback = threads.parse(undefined) as number;
  return fallback >= cpuNodes ? params : { ...params, threads: cpuNodes };
}

export function createWorkload(name: string, params: Record<string, unknown> = {}, seed = 1): WorkloadInstance {
  if (name === 'mix') {
    const parsed = mixSchema.safeParse(params);
    if (!parsed.success) throw new ConfigError(`invalid parameters for workload "mix": ${formatIssues(parsed.error.issues)}`, { code: 'PGHOT_WORKLOAD' });
    const parts = parsed.data.parts.map((part, i) => {
      if (part.workload === 'mix') throw new ConfigError('workload "mix": parts cannot be mixes', { code: 'PGHOT_WORKLOAD' });
      return createWorkload(part.workload, { ...(part.params ?? {}), ...(part.cpus ? { cpus: part.cpus } : {}) }, streamSeed(seed, 1000 + i));
    });
    return { name, params: { parts: parts.map((p) => ({ workload: p.name, params: p.params })) }, processes: parts.flatMap((p) => p.processes) };
  }
  const def = (WORKLOADS as Record<string, WorkloadDef<z.ZodType>>)[name];
  if (!def) throw new ConfigError(`unknown workload "${name}"; workloads: ${WORKLOAD_NAMES.join(', ')}`, { code: 'PGHOT_WORKLOAD' });
  const parsed = def.schema.safeParse(params);
  if (!parsed.success) throw new ConfigError(`invalid parameters for workload "${name}": ${formatIssues(parsed.error.issues)}`, { code: 'PGHOT_WORKLOAD' });
  return { name, params: parsed.data as Record<string, unknown>, processes: def.create(parsed.data, seed) };
}
