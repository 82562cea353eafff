import {
  AsyncSeriesBailHook,
  AsyncSeriesHook,
  SyncBailHook,
  SyncHook,
  SyncWaterfallHook,
} from 'tapable';
import { PghotError } from './errors.js';
import type { Pghot } from './pghot.js';

/**
 * Tap stages: lower runs first, equal stages keep registration order. Plugins use these names,
 * never raw numbers.
 */
export const Stage = Object.freeze({
  /** Drop input before anything else sees it (e.g. a sampling filter). */
  FILTER: -1000,
  /** Rewrite input into the canonical form (e.g. map CPUs to nodes). */
  NORMALIZE: -100,
  /** Where a plugin with `enforce: 'pre'` taps by default. */
  PRE: -10,
  DEFAULT: 0,
  /** Where a plugin with `enforce: 'post'` taps by default. */
  POST: 10,
  /** Adjust what earlier taps decided (thresholds, candidate order). */
  ADJUST: 100,
  /** Rate limits and last-word refusals. */
  VETO: 500,
  /** Observe only. */
  REPORT: 1000,
} as const);

/** One batch handed to `recordAccesses`, copied into engine-owned arrays; clear `keep[i]` to drop access i. */
export interface AccessBatch {
  readonly src: number;
  readonly length: number;
  readonly pfn: Float64Array;
  readonly nid: Float64Array;
  readonly now: Float64Array;
  readonly keep: Uint8Array;
}

/** Head PFNs whose record turned MIGRATE_READY, with the node holding each. Views: copy what you keep. */
export interface HotPagesBatch {
  readonly length: number;
  readonly pfn: Float64Array;
  readonly nid: Int16Array;
}

/** One kmigrated wake. `active`: the node's activate flag was set, so a pass follows. */
export interface KmigratedWake {
  readonly nid: number;
  readonly now: number;
  readonly active: boolean;
}

/** Context of one kmigrated pass over one node. `now` in jiffies. */
export interface PassContext {
  readonly engine: Pghot;
  readonly nid: number;
  readonly now: number;
  /** How many passes this node's kmigrated has made, this one included. */
  readonly pass: number;
  /** The section being walked. */
  readonly section: number;
}

/**
 * The ready records one section walk consumed, in PFN order. Taps may clear `allow[i]`, or reorder
 * entries in place (all arrays together). `time` is the record's time field in jiffies (modulo the
 * layout's wrap), `freq` its frequency, `target` the resolved target node.
 */
export interface CandidateBatch {
  length: number;
  readonly pfn: Float64Array;
  readonly nrPages: Uint32Array;
  readonly target: Int16Array;
  readonly time: Uint32Array;
  readonly freq: Uint8Array;
  readonly allow: Uint8Array;
}

/**
 * Isolated folios for one target, to be moved by whichever backend claims the batch. The backend
 * writes `status[i]`: 0 when folio i moved, a negative errno (-EAGAIN, -ENOMEM...) when not.
 */
export interface MigrationBatch {
  readonly engine: Pghot;
  /** Who asked: kmigrated's pass over hot sections, or a policy's promoteFolios (NUMAB2's fault path, HeMem's rounds…). */
  readonly reason: 'kmigrated' | 'policy';
  readonly from: number;
  readonly target: number;
  readonly now: number;
  readonly length: number;
  readonly pfn: Float64Array;
  readonly nrPages: Uint32Array;
  readonly status: Int32Array;
}

export interface MigrationOutcome {
  readonly migratedFolios: number;
  readonly migratedPages: number;
  readonly failedFolios: number;
  readonly failedPages: number;
  /** No backend claimed the batch: nothing moved. */
  readonly unclaimed: boolean;
}

export interface TickContext {
  readonly engine: Pghot;
  readonly now: number;
}

export interface EngineHooks {
  /** Once, from `init()`: async setup (open files, start samplers). */
  readonly init: AsyncSeriesHook<[Pghot]>;
  /** Per `recordAccesses` batch, before the store: filter or rewrite accesses. */
  readonly filterBatch: SyncHook<[AccessBatch]>;
  /** Per batch of records that turned MIGRATE_READY (flushed after each record batch and before each kmigrated pass). */
  readonly pagesHot: SyncHook<[HotPagesBatch]>;
  /** Per kmigrated wake, active or not. */
  readonly kmigratedWake: SyncHook<[KmigratedWake]>;
  /** Per section walked: reorder or drop the consumed ready records. */
  readonly selectCandidates: SyncWaterfallHook<[CandidateBatch, PassContext]>;
  /**
   * Per section walked, after selection. Return `false` to veto the whole batch, `true` to accept the
   * `allow` mask as final (replacing the built-in should_migrate), or nothing to let it run.
   */
  readonly shouldMigrate: SyncBailHook<[CandidateBatch, PassContext], boolean | void>;
  /** Per flushed batch: the first backend that returns `true` claims it and fills `status`. */
  readonly migrateBatch: AsyncSeriesBailHook<[MigrationBatch], true | void>;
  /** After each flushed batch, with what it achieved. */
  readonly afterMigrate: SyncHook<[MigrationBatch, MigrationOutcome]>;
  /** Per `advance(now)`, after the kmigrated wakes it caused. */
  readonly tick: AsyncSeriesHook<[TickContext]>;
  /** Once, from `shutdown()`. */
  readonly shutdown: AsyncSeriesHook<[Pghot]>;
}

/** A registered tap as tapable hands it to `register` interceptors (tapable does not export the type). */
interface RegisteredTap {
  name: string;
  type: 'sync' | 'async' | 'promise';
  fn: (...args: unknown[]) => unknown;
  stage?: number;
  before?: string | string[];
}
type AnyHook = { intercept(interceptor: { register: (tap: RegisteredTap) => RegisteredTap }): void };

/**
 * Builds the frozen hooks of one engine. Every hook gets a `register` interceptor that (1) gives
 * taps of a plugin with `enforce` its default stage and (2) wraps each tap so that a throw or a
 * rejection surfaces as `plugin "<tap>" failed in hook "<hook>"`, with the original as `cause`.
 */
export function createHooks(defaultStageOf: (tapName: string) => number | undefined): EngineHooks {
  const hooks: EngineHooks = {
    init: new AsyncSeriesHook(['engine']),
    filterBatch: new SyncHook(['batch']),
    pagesHot: new SyncHook(['pages']),
    kmigratedWake: new SyncHook(['wake']),
    selectCandidates: new SyncWaterfallHook(['candidates', 'pass']),
    shouldMigrate: new SyncBailHook(['candidates', 'pass']),
    migrateBatch: new AsyncSeriesBailHook(['batch']),
    afterMigrate: new SyncHook(['batch', 'outcome']),
    tick: new AsyncSeriesHook(['tick']),
    shutdown: new AsyncSeriesHook(['engine']),
  };
  for (const [hookName, hook] of Object.entries(hooks) as [string, AnyHook][]) {
    hook.intercept({ register: (tap) => wrapTap(tap, hookName, defaultStageOf(tap.name)) });
  }
  return Object.freeze(hooks);
}

function wrapTap(tap: RegisteredTap, hookName: string, defaultStage: number | undefined): RegisteredTap {
  const { fn } = tap;
  const fail = (cause: unknown) =>
    new PghotError(`plugin "${tap.name}" failed in hook "${hookName}": ${cause instanceof Error ? cause.message : String(cause)}`, {
      code: 'PGHOT_PLUGIN_FAILED',
      cause,
    });
  let wrapped: (...args: unknown[]) => unknown;
  if (tap.type === 'promise') {
    wrapped = (...args) => {
      try {
        return Promise.resolve(fn(...args)).catch((e: unknown) => Promise.reject(fail(e)));
      } catch (e) {
        return Promise.reject(fail(e));
      }
    };
  } else if (tap.type === 'async') {
    wrapped = (...args) => {
      const callback = args[args.length - 1] as (err?: unknown, result?: unknown) => void;
      const guarded = (err?: unknown, result?: unknown) => (err ? callback(fail(err)) : callback(null, result));
      try {
        return fn(...args.slice(0, -1), guarded);
      } catch (e) {
        return guarded(e);
      }
    };
  } else {
    wrapped = (...args) => {
      try {
        return fn(...args);
      } catch (e) {
        throw fail(e);
      }
    };
  }
  const stage = tap.stage ?? defaultStage;
  return { ...tap, ...(stage === undefined ? {} : { stage }), fn: wrapped };
}
