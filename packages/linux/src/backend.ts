import { defineBackend, EAGAIN, type MigrationBatch, type PghotPlugin } from '@pghot/core';
import { movePages } from './move-pages.js';
import type { LinuxPlatform } from './platform.js';

const ENOENT = 2;

/** What happened to one batch on the real machine. */
export interface AppliedBatch {
  target: number;
  /** Folios of the batch mapped by the process, and so handed to move_pages. */
  requested: number;
  /** Folios the process does not map (any more): not moved. */
  notMapped: number;
  /** move_pages' return and errno (rc -1: nothing moved). */
  rc: number;
  errno: number;
  /** Per-page status counts: the node a page is on after the call, or -errno ("node 0", "-EBUSY"…). */
  status: Record<string, number>;
}

const ERRNO_NAMES: Record<number, string> = { 1: 'EPERM', 2: 'ENOENT', 12: 'ENOMEM', 13: 'EACCES', 14: 'EFAULT', 16: 'EBUSY', 19: 'ENODEV', 22: 'EINVAL' };
const statusName = (s: number) => (s >= 0 ? `node ${s}` : `-${ERRNO_NAMES[-s] ?? String(-s)}`);

/**
 * The migration backend that really moves pages: each batch's PFNs are found in the monitored
 * process (rmap over its pagemap) and moved with move_pages(2) to the batch's target node. A folio
 * moved when move_pages reports it on the target; otherwise its status is the kernel's -errno
 * (-ENOENT when the process no longer maps the PFN). Claims every batch (Stage 0, before the
 * dry-run log) and reports each to `onBatch`.
 */
export function movePagesBackend(platform: LinuxPlatform, onBatch: (batch: MigrationBatch, applied: AppliedBatch) => void): PghotPlugin {
  return defineBackend({
    name: 'backend-move-pages',
    apply(engine) {
      engine.hooks.migrateBatch.tapPromise({ name: 'backend-move-pages', stage: 0 }, async (batch) => {
        const pid = platform.pid!;
        const tasks = new Int32Array(batch.length);
        const pages = new Float64Array(batch.length);
        platform.rmap(batch.pfn, batch.length, tasks, pages);
        const index: number[] = [];
        const vaddrs: number[] = [];
        for (let i = 0; i < batch.length; i++) {
          if (tasks[i] === pid) {
            index.push(i);
            vaddrs.push(platform.vaddrOf(pages[i]!));
          } else batch.status[i] = -ENOENT;
        }
        const applied: AppliedBatch = { target: batch.target, requested: vaddrs.length, notMapped: batch.length - vaddrs.length, rc: 0, errno: 0, status: {} };
        if (vaddrs.length > 0) {
          const r = movePages(pid, vaddrs, batch.target);
          applied.rc = r.rc;
          applied.errno = r.errno;
          index.forEach((i, k) => {
            const s = r.rc < 0 ? -r.errno : r.status[k]!;
            applied.status[statusName(s)] = (applied.status[statusName(s)] ?? 0) + 1;
            batch.status[i] = s === batch.target ? 0 : s < 0 ? s : EAGAIN;
          });
        }
        onBatch(batch, applied);
        return true;
      });
    },
  });
}
