import { EAGAIN } from './constants.js';
import type { MigrationBatch, MigrationOutcome } from './hooks.js';
import type { Pghot } from './pghot.js';

/**
 * Hand one batch of isolated folios to the first migrateBatch tap that claims it, then count the
 * per-folio results (promotions: pgpromote_success, numa_pages_migrated, pgmigrate_*,
 * thp_migration_*) and put failed or unclaimed folios back on their LRU.
 */
export async function migrateBatch(engine: Pghot, batch: MigrationBatch): Promise<MigrationOutcome> {
  const n = batch.length;
  batch.status.fill(EAGAIN);
  const claimed = (await engine.hooks.migrateBatch.promise(batch)) === true;
  let migratedFolios = 0;
  let migratedPages = 0;
  let failedPages = 0;
  let thpOk = 0;
  let thpFail = 0;
  for (let i = 0; i < n; i++) {
    const nr = batch.nrPages[i]!;
    if (claimed && batch.status[i] === 0) {
      migratedFolios++;
      migratedPages += nr;
      if (nr > 1) thpOk++;
    } else {
      failedPages += nr;
      if (nr > 1) thpFail++;
      engine.memory?.putbackFolio?.(batch.pfn[i]!);
    }
  }
  const outcome: MigrationOutcome = {
    migratedFolios,
    migratedPages,
    failedFolios: claimed ? n - migratedFolios : 0,
    failedPages: claimed ? failedPages : 0,
    unclaimed: !claimed,
  };
  if (claimed) {
    const c = engine.counters;
    for (const [name, value] of [
      ['pgpromote_success', migratedPages],
      ['numa_pages_migrated', migratedPages],
      ['pgmigrate_success', migratedPages],
      ['pgmigrate_fail', failedPages],
      ['thp_migration_success', thpOk],
      ['thp_migration_fail', thpFail],
    ] as const) {
      c.add(c.register(name), value);
    }
  }
  engine.hooks.afterMigrate.call(batch, outcome);
  return outcome;
}
