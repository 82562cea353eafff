import { defineSource, NUMA_NO_NODE, parsePluginOptions, type HotnessCounters, type PghotPlugin } from '@pghot/core';
import { z } from 'zod';

/** epoch_scale as the CXL CHMU perf driver decodes it: 2 = 1 ms … 5 = 1 s (1 = 100 µs is below the engine's 1 ms clock). */
export const EPOCH_SCALE_MS: Readonly<Record<number, number>> = Object.freeze({ 2: 1, 3: 10, 4: 100, 5: 1000 });

export const optionsSchema = z
  .strictObject({
    /** epoch_type: 'epoch' (0) compares the counters with the threshold at each epoch end, then clears them; 'always-on' (1) lists a unit as soon as its counter reaches the threshold, and frees that counter. */
    mode: z.enum(['epoch', 'always-on']).default('epoch'),
    /** hotness_granual: the unit size as a power of 2 in bytes; pages here, so 12 (4 KiB) or more. */
    hotnessGranual: z.int().min(12).max(30).default(12),
    /** hotness_threshold: the count (after downsampling) at which a unit is hot. */
    hotnessThreshold: z.int().min(1).default(16),
    /** epoch_scale (2 = 1 ms, 3 = 10 ms, 4 = 100 ms, 5 = 1 s) times epoch_multiplier: the epoch length. */
    epochScale: z.int().min(2).max(5).default(4),
    epochMultiplier: z.int().min(1).max(255).default(4),
    /** downsampling_factor: one access in this many is counted (a power of 2, 1 to 32768). */
    downsamplingFactor: z
      .int()
      .min(1)
      .max(32_768)
      .refine((n) => (n & (n - 1)) === 0, { message: 'downsamplingFactor must be a power of 2' })
      .default(1),
    /** Counter width in bits: a counter (and a hot-list entry's count) saturates at 2^width - 1. */
    counterWidth: z.int().min(1).max(32).default(16),
    /** Hot-list entries the device holds between reads; a unit listed when it is full is dropped (overflow). */
    hotListSize: z.int().min(1).default(1024),
    /** How often the host reads the hot list (the driver's watermark interrupt or polling), ms. */
    readIntervalMs: z.int().min(1).default(10),
    /** false: the source is off (no monitor, its chmu bit cleared); an explicit enabled_sources in the config still wins for the bit. */
    enable: z.boolean().default(true),
  })
  .refine((o) => o.hotnessThreshold <= 2 ** o.counterWidth - 1, { message: 'hotnessThreshold must fit in counterWidth bits (at most 2^counterWidth - 1)', path: ['hotnessThreshold'] });
export type ChmuOptions = z.input<typeof optionsSchema>;
export const NAME = 'source-chmu';
/** The source name this plugin registers: bit 1 << id in enabled_sources, counter pghot_recorded_chmu. */
export const SOURCE = 'chmu';

/**
 * A CXL Hotness Monitoring Unit (CXL r3.2) on each lower-tier device as a pghot source. The device
 * counts the accesses that miss the host caches and reach it, per unit of 2^hotnessGranual bytes
 * (one in downsamplingFactor; counters saturate at counterWidth bits). In epoch mode, at each
 * epoch end every unit whose count reached hotnessThreshold goes on the hot list and all counters
 * clear; in always-on mode a unit goes on the list when its counter reaches the threshold, and
 * that counter clears. The hot list holds hotListSize entries; a full list drops (overflow). The
 * host reads it every readIntervalMs and reports each listed unit's pages once (source `chmu`,
 * NUMA_NO_NODE: the device does not know the CPU). Counters: chmu_device_accesses,
 * chmu_counted_accesses, chmu_epochs, chmu_saturated, chmu_hotlist_entries, chmu_hotlist_overflow,
 * chmu_reported_pages.
 */
export function chmuSource(options: ChmuOptions = {}): PghotPlugin {
  const o = parsePluginOptions(NAME, optionsSchema, options);
  const unitShift = o.hotnessGranual - 12;
  const unitPages = 2 ** unitShift;
  const epochMs = EPOCH_SCALE_MS[o.epochScale]! * o.epochMultiplier;
  const max = 2 ** o.counterWidth - 1;
  return defineSource({
    name: NAME,
    version: '0.1.0',
    core: '>=0.1.0 <1.0.0',
    requires: ['hmu'],
    apply(engine) {
      const src = engine.registerSource(SOURCE);
      engine.enableSource(src, o.enable);
      const c = engine.counters;
      const counters = {
        deviceAccesses: c.register('chmu_device_accesses'),
        countedAccesses: c.register('chmu_counted_accesses'),
        epochs: c.register('chmu_epochs'),
        saturated: c.register('chmu_saturated'),
        entries: c.register('chmu_hotlist_entries'),
        overflow: c.register('chmu_hotlist_overflow'),
        reportedPages: c.register('chmu_reported_pages'),
      } as const;
      if (!o.enable) return;
      let hmu: HotnessCounters | null = null;
      const reported = { deviceAccesses: 0, countedAccesses: 0 };
      // the device's hot list: unit indices (a ring emptied by each read)
      const hotList = new Float64Array(o.hotListSize);
      let listed = 0;
      let pages = new Float64Array(Math.max(4096, unitPages));

      engine.hooks.init.tapPromise(NAME, async () => {
        hmu = engine.platform.attachHotnessMonitor({ unitShift, downsampleShift: Math.log2(o.downsamplingFactor) });
      });

      /** Units whose (saturated) count reached the threshold go on the list; `clearAll` ends an epoch. */
      const assess = (clearAll: boolean) => {
        const counts = hmu!.counts;
        for (let u = 0; u < counts.length; u++) {
          const raw = counts[u]!;
          if (raw === 0) continue;
          if (raw > max) c.add(counters.saturated, 1);
          if (Math.min(raw, max) >= o.hotnessThreshold) {
            if (listed < o.hotListSize) {
              hotList[listed++] = u;
              c.add(counters.entries, 1);
            } else c.add(counters.overflow, 1);
            counts[u] = 0;
          } else if (clearAll) counts[u] = 0;
        }
      };

      if (o.mode === 'epoch') {
        engine.every(NAME, epochMs, () => {
          if (hmu === null) return;
          c.add(counters.epochs, 1);
          assess(true);
        });
      }

      engine.every(`${NAME}-read`, o.readIntervalMs, (now) => {
        if (hmu === null) return;
        if (o.mode === 'always-on') assess(false);
        c.add(counters.deviceAccesses, hmu.deviceAccesses - reported.deviceAccesses);
        c.add(counters.countedAccesses, hmu.countedAccesses - reported.countedAccesses);
        reported.deviceAccesses = hmu.deviceAccesses;
        reported.countedAccesses = hmu.countedAccesses;
        if (listed === 0) return;
        if (pages.length < listed * unitPages) pages = new Float64Array(listed * unitPages);
        let n = 0;
        for (let i = 0; i < listed; i++) {
          const first = hotList[i]! * unitPages;
          for (let p = 0; p < unitPages; p++) pages[n++] = first + p;
        }
        listed = 0;
        engine.recordAccesses(src, pages, NUMA_NO_NODE, now, n);
        c.add(counters.reportedPages, n);
      });
    },
  });
}
export default chmuSource;
