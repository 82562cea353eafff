import { defineBackend, type PghotPlugin } from './plugin.js';
import { createPghot, type Pghot } from './pghot.js';
import type { Platform } from './platform.js';
import type { TopologySpec } from './topology.js';
import type { PghotMode, TunablesInput } from './tunables.js';

/** One batch the dry-run backend "moved". */
export interface DryRunBatch {
  reason: 'kmigrated' | 'policy';
  from: number;
  target: number;
  now: number;
  pfns: number[];
  nrPages: number[];
}

export interface DryRunBackend {
  readonly name: 'backend-dry-run';
  readonly kind: 'backend';
  apply(engine: import('./pghot.js').Pghot): void;
  /** Every batch claimed so far, in order. */
  readonly batches: readonly DryRunBatch[];
  /** Total pages reported as promoted. */
  readonly promotedPages: number;
}

/**
 * A migration backend that moves nothing: it claims every batch, reports every folio as migrated
 * and keeps the list, to see what a configuration would promote (e.g. from real samples).
 * Taps at Stage.REPORT so that any real backend loaded with it claims batches first.
 */
export function dryRunBackend(options: { keepBatches?: boolean } = {}): DryRunBackend {
  const keep = options.keepBatches ?? true;
  const batches: DryRunBatch[] = [];
  let promotedPages = 0;
  const plugin = defineBackend({
    name: 'backend-dry-run',
    apply(engine) {
      engine.hooks.migrateBatch.tapPromise({ name: 'backend-dry-run', stage: 1000 }, async (batch) => {
        batch.status.fill(0);
        for (let i = 0; i < batch.length; i++) promotedPages += batch.nrPages[i]!;
        if (keep) batches.push({ reason: batch.reason, from: batch.from, target: batch.target, now: batch.now, pfns: Array.from(batch.pfn), nrPages: Array.from(batch.nrPages) });
        return true;
      });
    },
  });
  return Object.defineProperties(plugin, {
    batches: { get: () => batches, enumerable: true },
    promotedPages: { get: () => promotedPages, enumerable: true },
  }) as unknown as DryRunBackend;
}

/**
 * Stand-in topology for replaying data from a machine whose topology is not given: physical memory
 * below 4 GiB is node 0 (top tier, CPUs 0-1023), the rest of the 16 TiB PFN space node 1 (lower tier).
 */
export const STANDIN_TOPOLOGY: TopologySpec = Object.freeze({
  nodes: [
    { id: 0, startPfn: 0, pages: 1 << 20, tier: 0, cpus: Array.from({ length: 1024 }, (_, i) => i) },
    { id: 1, startPfn: 1 << 20, pages: 2 ** 32 - (1 << 20), tier: 1 },
  ],
}) as TopologySpec;

export interface DryRunEngineOptions {
  topology?: TopologySpec | undefined;
  mode?: PghotMode | undefined;
  tunables?: TunablesInput | undefined;
  stickyReady?: boolean | undefined;
  plugins?: readonly PghotPlugin[] | undefined;
  /** The machine the plugins see (default: none; a live run passes the Linux platform). */
  platform?: Platform | undefined;
}

/** An engine (no memory model) with a dry-run backend, to replay recorded data and see what it would promote. */
export function createDryRunEngine(options: DryRunEngineOptions = {}): { engine: Pghot; backend: DryRunBackend } {
  const backend = dryRunBackend();
  const engine = createPghot({
    topology: options.topology ?? STANDIN_TOPOLOGY,
    ...(options.mode ? { mode: options.mode } : {}),
    ...(options.tunables ? { tunables: options.tunables } : {}),
    ...(options.stickyReady !== undefined ? { stickyReady: options.stickyReady } : {}),
    plugins: [...(options.plugins ?? []), backend],
    ...(options.platform ? { platform: options.platform } : {}),
  });
  return { engine, backend };
}
