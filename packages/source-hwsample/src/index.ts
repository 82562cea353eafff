import { defineSource, parsePluginOptions, PGHOT_SRC, type Pghot, type PghotPlugin, type SampleRings } from '@pghot/core';
import { SyncHook } from 'tapable';
import { z } from 'zod';

export { parsePerfScriptSample, readSamples, SampleParseError, type PerfSample, type SampleFile, type SampleFormat } from './perf.js';
export { replaySamples, SampleFeed, type SamplesReport, type ReplayOptions } from './replay.js';

/**
 * Sampler presets. IBS: op sampling at the kernel pghot driver's period 10,000, L3-miss only (Zen 4+),
 * an NMI per sample (~1.5 µs, unconfirmed). PEBS: MEM_LOAD_RETIRED.L3_MISS at HeMem's period
 * 19,997, a PEBS record write per sample (200-300 ns).
 */
export const PRESETS = Object.freeze({
  ibs: { period: 10_000, l3MissOnly: true, minLatencyNs: 0, costNs: 1500 },
  pebs: { period: 19_997, l3MissOnly: true, minLatencyNs: 0, costNs: 250 },
} as const);

export const optionsSchema = z.strictObject({
  preset: z.enum(['ibs', 'pebs']).default('ibs'),
  /** One memory access in `period` is tagged, per CPU (overrides the preset). */
  period: z.int().min(1).optional(),
  l3MissOnly: z.boolean().optional(),
  /** Load-latency filter: keep only accesses slower than this (IBS lat-thresh, PEBS ldlat). */
  minLatencyNs: z.number().min(0).optional(),
  /** Interrupt cost per tagged access, charged to the sampled thread. */
  costNs: z.number().min(0).optional(),
  /**
   * Per-CPU ring size. IBS: the driver's head/tail ring of IBS_NR_SAMPLES (150), full at
   * next == tail, so it holds one less (149); PEBS: a buffer that holds all of it.
   */
  ringSize: z.int().min(2).default(150),
  /**
   * When the rings are drained: 'first-push' as the IBS driver does (the drain work is queued by
   * the first sample pushed, and runs at the next tick: 1 ms), or 'timer' every drainIntervalMs.
   */
  drain: z.enum(['first-push', 'timer']).default('first-push'),
  /** The 'timer' drain's period. */
  drainIntervalMs: z.int().min(1).default(10),
  /** false: the source is off (no work, its hwhints bit cleared); an explicit enabled_sources in the config still wins for the bit. */
  enable: z.boolean().default(true),
});
export type HwSampleOptions = z.input<typeof optionsSchema>;
export const NAME = 'source-hwsample';

/** One drained ring: samples of one CPU. Views: copy what you keep. */
export interface SampleBatch {
  readonly length: number;
  readonly pfn: Float64Array;
  readonly timeMs: Float64Array;
  /** 1 for a store. */
  readonly write: Uint8Array;
  /** The sampling CPU's node. */
  readonly nid: number;
}
export interface SampleHooks {
  /** Per drained ring, before the samples go to pghot: PEBS/IBS policies (HeMem, Memtis, ARMS) read them here. */
  readonly samples: SyncHook<[SampleBatch]>;
}
const hooksByEngine = new WeakMap<Pghot, SampleHooks>();
/** This source's hooks for an engine (tap them in a policy's apply). */
export function getSampleHooks(engine: Pghot): SampleHooks {
  let hooks = hooksByEngine.get(engine);
  if (!hooks) hooksByEngine.set(engine, (hooks = Object.freeze({ samples: new SyncHook<[SampleBatch]>(['samples']) })));
  return hooks;
}

/**
 * AMD IBS / Intel PEBS as a pghot source on the simulator: every period-th access of a CPU is
 * tagged; the hardware filters (L3 miss, latency) discard some without an interrupt; a delivered
 * sample costs its NMI and is pushed into that CPU's ring (a full ring drops it); the rings are
 * drained as the driver does (work queued on the first push) or on a timer: each sample is
 * reported as (PFN, the sampling CPU's node, hwhints, sample time). Counters as the IBS memory profiler's: hwhint_total_events,
 * hwhint_useful_events, hwhint_dropped_events, hwhint_dram_accesses, hwhint_extmem_accesses.
 */
export function hwSampleSource(options: HwSampleOptions = {}): PghotPlugin {
  const o = parsePluginOptions(NAME, optionsSchema, options);
  const preset = PRESETS[o.preset];
  const sampling = {
    period: o.period ?? preset.period,
    l3MissOnly: o.l3MissOnly ?? preset.l3MissOnly,
    minLatencyNs: o.minLatencyNs ?? preset.minLatencyNs,
    costNs: o.costNs ?? preset.costNs,
    // IBS's head/tail ring holds ringSize - 1 samples; a PEBS buffer all of them
    ringSize: o.preset === 'ibs' ? o.ringSize - 1 : o.ringSize,
  };
  return defineSource({
    name: NAME,
    version: '0.1.0',
    core: '>=0.1.0 <1.0.0',
    requires: ['hwSamples'],
    apply(engine) {
      const src = PGHOT_SRC.hwhints;
      engine.enableSource(src, o.enable);
      const c = engine.counters;
      const counters = {
        totalEvents: c.register('hwhint_total_events'),
        usefulEvents: c.register('hwhint_useful_events'),
        droppedEvents: c.register('hwhint_dropped_events'),
        dramAccesses: c.register('hwhint_dram_accesses'),
        extmemAccesses: c.register('hwhint_extmem_accesses'),
      } as const;
      if (!o.enable) return; // off: no sampler attached, nothing recorded
      let sampler: SampleRings | null = null;
      const reported = { totalEvents: 0, usefulEvents: 0, droppedEvents: 0, dramAccesses: 0, extmemAccesses: 0 };
      engine.hooks.init.tapPromise(NAME, async () => {
        sampler = engine.platform.attachSampler(sampling);
      });
      const syncCounters = (s: SampleRings) => {
        for (const key of Object.keys(reported) as (keyof typeof reported)[]) {
          c.add(counters[key], s[key] - reported[key]);
          reported[key] = s[key];
        }
      };
      engine.every(NAME, o.drain === 'timer' ? o.drainIntervalMs : 1, () => {
        if (sampler === null) return;
        for (let r = 0; r < sampler.cpus.length; r++) {
          const n = sampler.count[r]!;
          if (n === 0) continue;
          const hooks = getSampleHooks(engine);
          if (hooks.samples.isUsed()) {
            hooks.samples.call({ length: n, pfn: sampler.pfn[r]!.subarray(0, n), timeMs: sampler.timeMs[r]!.subarray(0, n), write: sampler.write[r]!.subarray(0, n), nid: sampler.nid[r]! });
          }
          engine.recordAccesses(src, sampler.pfn[r]!, sampler.nid[r]!, sampler.timeMs[r]!, n);
          sampler.count[r] = 0;
        }
        syncCounters(sampler);
      });
      // samples still in the rings at the end are never reported; the counters still count them
      engine.hooks.shutdown.tap(NAME, () => {
        if (sampler) syncCounters(sampler);
      });
    },
  });
}
export default hwSampleSource;
