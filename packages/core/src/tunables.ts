import { z } from 'zod';
import { ConfigError } from './errors.js';
import { formatIssues } from './plugin.js';

export type PghotMode = 'default' | 'precision';

/**
 * The pghot tunables with the latest posting's defaults and ranges (v7/v8 sysctls and debugfs
 * files), under their kernel names. Ranges that differ by mode come from `tunablesSchema(mode)`.
 */
export function tunablesSchema(mode: PghotMode) {
  const precise = mode === 'precision';
  return z.strictObject({
    /** vm.pghot_enabled_sources: one bit per source (hintfaults 0x1, hwhints 0x2, pgtscans 0x4, plugins after). v8 default 0x1. */
    enabled_sources: z.int().min(0).max(0x7fffffff).default(0x1),
    /** vm.pghot_target_nid: where default-mode (and NUMA_NO_NODE precision) promotions go. Default: node 0, or the first top-tier node. */
    target_nid: z.int().min(0).max(1023).optional(),
    /** vm.pghot_freq_threshold: accesses within the window that make a page MIGRATE_READY. */
    freq_threshold: z.int().min(1).max(precise ? 7 : 3).default(2),
    /** vm.pghot_promote_freq_window_ms: a gap longer than this restarts the count. */
    promote_freq_window_ms: z.int().min(1000).max(precise ? 16383 : 3968).default(precise ? 5000 : 3000),
    /** debugfs pghot/kmigrated_sleep_ms: kmigrated's poll period. */
    kmigrated_sleep_ms: z.int().min(50).max(1000).default(100),
    /** debugfs pghot/kmigrated_batch_nr: a flush happens when a batch exceeds this (513 folios at 512). */
    kmigrated_batch_nr: z.int().min(64).max(1024).default(512),
    /** vm.pghot_promote_rate_limit_MBps: candidate pages per second per target node, in MB/s. */
    promote_rate_limit_MBps: z.int().min(0).max(0x7fffffff).default(65536),
  });
}

export type TunablesInput = z.input<ReturnType<typeof tunablesSchema>>;
export type TunableName = keyof TunablesInput;
export interface TunableValues {
  enabled_sources: number;
  target_nid: number;
  freq_threshold: number;
  promote_freq_window_ms: number;
  kmigrated_sleep_ms: number;
  kmigrated_batch_nr: number;
  promote_rate_limit_MBps: number;
}

export const TUNABLE_NAMES: readonly TunableName[] = Object.freeze([
  'enabled_sources',
  'target_nid',
  'freq_threshold',
  'promote_freq_window_ms',
  'kmigrated_sleep_ms',
  'kmigrated_batch_nr',
  'promote_rate_limit_MBps',
]);

/** Checks that need the engine (which nodes are top tier, which sources exist): an error message or null. */
export interface TunableChecks {
  targetNid(nid: number): string | null;
  enabledSources(mask: number): string | null;
  defaultTargetNid(): number;
}


/**
 * The live tunables. Reading is a property read; writing behaves like a sysctl write: an invalid
 * value throws a ConfigError naming the tunable, and the old value stays.
 */
export class Tunables implements TunableValues {
  readonly mode: PghotMode;
  readonly #schema: ReturnType<typeof tunablesSchema>;
  readonly #checks: TunableChecks;
  readonly #values: TunableValues;

  constructor(mode: PghotMode, input: TunablesInput | undefined, checks: TunableChecks) {
    this.mode = mode;
    this.#schema = tunablesSchema(mode);
    this.#checks = checks;
    const parsed = this.#schema.safeParse(input ?? {});
    if (!parsed.success) {
      throw new ConfigError(`Invalid tunables (${mode} mode): ${formatIssues(parsed.error.issues, 'tunables.')}`, { code: 'PGHOT_TUNABLE' });
    }
    const values: TunableValues = { ...parsed.data, target_nid: parsed.data.target_nid ?? checks.defaultTargetNid() };
    for (const name of ['target_nid', 'enabled_sources'] as const) {
      const problem = this.#crossCheck(name, values[name]);
      if (problem) throw new ConfigError(`Invalid tunables (${mode} mode): tunables.${name}: ${problem}`, { code: 'PGHOT_TUNABLE' });
    }
    this.#values = values;
  }

  #crossCheck(name: TunableName, value: number): string | null {
    if (name === 'target_nid') return this.#checks.targetNid(value);
    if (name === 'enabled_sources') return this.#checks.enabledSources(value);
    return null;
  }

  get(name: TunableName): number {
    return this.#values[name];
  }

  /** Write one tunable, as `sysctl -w`: validated against this mode's range; invalid → throws, old value kept. */
  set(name: TunableName, value: number): void {
    if (!TUNABLE_NAMES.includes(name)) {
      throw new ConfigError(`Unknown tunable "${String(name)}"; tunables are ${TUNABLE_NAMES.join(', ')}`, { code: 'PGHOT_TUNABLE' });
    }
    const field = this.#schema.shape[name];
    const parsed = field.safeParse(value);
    const problem = !parsed.success
      ? formatIssues(parsed.error.issues)
      : parsed.data === undefined
        ? 'a value is required'
        : this.#crossCheck(name, parsed.data);
    if (problem) {
      throw new ConfigError(`Invalid value ${JSON.stringify(value)} for tunable ${name} (${this.mode} mode): ${problem}; kept ${this.#values[name]}`, {
        code: 'PGHOT_TUNABLE',
      });
    }
    this.#values[name] = value;
  }

  toJSON(): TunableValues {
    return { ...this.#values };
  }

  get enabled_sources(): number { return this.#values.enabled_sources; }
  set enabled_sources(v: number) { this.set('enabled_sources', v); }
  get target_nid(): number { return this.#values.target_nid; }
  set target_nid(v: number) { this.set('target_nid', v); }
  get freq_threshold(): number { return this.#values.freq_threshold; }
  set freq_threshold(v: number) { this.set('freq_threshold', v); }
  get promote_freq_window_ms(): number { return this.#values.promote_freq_window_ms; }
  set promote_freq_window_ms(v: number) { this.set('promote_freq_window_ms', v); }
  get kmigrated_sleep_ms(): number { return this.#values.kmigrated_sleep_ms; }
  set kmigrated_sleep_ms(v: number) { this.set('kmigrated_sleep_ms', v); }
  get kmigrated_batch_nr(): number { return this.#values.kmigrated_batch_nr; }
  set kmigrated_batch_nr(v: number) { this.set('kmigrated_batch_nr', v); }
  get promote_rate_limit_MBps(): number { return this.#values.promote_rate_limit_MBps; }
  set promote_rate_limit_MBps(v: number) { this.set('promote_rate_limit_MBps', v); }
}
