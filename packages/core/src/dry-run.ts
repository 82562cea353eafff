import { defineBackend } from './plugin.js';

/** One batch the dry-run backend "moved". */
export interface DryRunBatch {
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
        if (keep) batches.push({ from: batch.from, target: batch.target, now: batch.now, pfns: Array.from(batch.pfn), nrPages: Array.from(batch.nrPages) });
        return true;
      });
    },
  });
  return Object.defineProperties(plugin, {
    batches: { get: () => batches, enumerable: true },
    promotedPages: { get: () => promotedPages, enumerable: true },
  }) as unknown as DryRunBackend;
}
