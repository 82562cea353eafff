import { describe, expect, it } from 'vitest';
import { EAGAIN } from './constants.js';
import { migrateBatch } from './migrate.js';
import { createPghot } from './pghot.js';
import { defineBackend } from './plugin.js';
import { CXL_START, TestMemory, TOPOLOGY } from './test-fixtures.js';

/** A backend that sets each folio's status from `statuses`, or none (no backend claims). */
const backendWith = (statuses: number[]) =>
  defineBackend({
    name: 'backend-fixed',
    apply(engine) {
      engine.hooks.migrateBatch.tapPromise('backend-fixed', async (batch) => {
        batch.status.set(statuses);
        return true;
      });
    },
  });

/** A batch of a 512-page THP and two base pages. */
const batchOf = (engine: ReturnType<typeof createPghot>) => ({
  engine,
  reason: 'kmigrated' as const,
  from: 1,
  target: 0,
  now: 10,
  length: 3,
  pfn: Float64Array.of(CXL_START, CXL_START + 512, CXL_START + 513),
  nrPages: Uint32Array.of(512, 1, 1),
  status: new Int32Array(3),
});

describe('migrateBatch counts as migrate_pages does', () => {
  it('a THP that moves counts thp_migration_success; one that fails thp_migration_fail and its 512 pages in pgmigrate_fail; base pages count no THP', async () => {
    const ok = createPghot({ topology: TOPOLOGY, plugins: [backendWith([0, 0, EAGAIN])] });
    expect(await migrateBatch(ok, batchOf(ok))).toEqual({ migratedFolios: 2, migratedPages: 513, failedFolios: 1, failedPages: 1, unclaimed: false });
    expect(ok.vmstat()).toMatchObject({ pgpromote_success: 513, numa_pages_migrated: 513, pgmigrate_success: 513, pgmigrate_fail: 1, thp_migration_success: 1, thp_migration_fail: 0 });
    const fail = createPghot({ topology: TOPOLOGY, plugins: [backendWith([EAGAIN, 0, 0])] });
    await migrateBatch(fail, batchOf(fail));
    expect(fail.vmstat()).toMatchObject({ pgpromote_success: 2, pgmigrate_fail: 512, thp_migration_success: 0, thp_migration_fail: 1 });
  });

  it('an unclaimed batch moves nothing and counts nothing; every folio goes back to the LRU', async () => {
    const mem = new TestMemory(229_376);
    const none = createPghot({ topology: TOPOLOGY, memory: mem });
    expect(await migrateBatch(none, batchOf(none))).toEqual({ migratedFolios: 0, migratedPages: 0, failedFolios: 0, failedPages: 0, unclaimed: true });
    expect(none.vmstat()).toMatchObject({ pgpromote_success: 0, pgmigrate_success: 0, pgmigrate_fail: 0, thp_migration_fail: 0 });
    expect(mem.putBack).toEqual([CXL_START, CXL_START + 512, CXL_START + 513]);
  });

  it('failed folios go back to the LRU when the memory model has one, and nothing breaks without a model or without putback', async () => {
    const noModel = createPghot({ topology: TOPOLOGY, plugins: [backendWith([EAGAIN, EAGAIN, 0])] });
    await expect(migrateBatch(noModel, batchOf(noModel))).resolves.toMatchObject({ failedFolios: 2 });
    const mem = new TestMemory(229_376);
    const withoutPutback = Object.assign(Object.create(Object.getPrototypeOf(mem) as object) as TestMemory, mem, { putbackFolio: undefined });
    const noPutback = createPghot({ topology: TOPOLOGY, memory: withoutPutback, plugins: [backendWith([EAGAIN, 0, 0])] });
    await expect(migrateBatch(noPutback, batchOf(noPutback))).resolves.toMatchObject({ failedFolios: 1 });
  });
});
