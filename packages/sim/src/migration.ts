import { defineBackend, EAGAIN, PAGE_SIZE, type PghotPlugin } from '@pghot/core';
import type { AddressSpace } from './address-space.js';
import type { Simulation } from './sim.js';

/** Map `pages` virtual pages of `mm` from `vbase` to the folio at `head`, and record the reverse map. */
export function mapFolio(sim: Simulation, mm: AddressSpace, vbase: number, head: number, pages: number): void {
  for (let i = 0; i < pages; i++) mm.pte[vbase + i] = head + i;
  sim.mem.rmapMm[head] = mm.id;
  sim.mem.rmapVpage[head] = vbase;
}

/** Why a folio moves: pghot's or a policy's promotion, a demotion, or a placement (migratepages, `moveAt`). */
export type MoveKind = 'promotion' | 'demotion' | 'placement';

/**
 * migrate_pages for one folio: move the folio at `head` to node index `ti` — allocate there, remap
 * every PTE, free the old folio, charge the copy to the owning process's threads. False when the
 * target has no room.
 */
export function migrateFolio(sim: Simulation, head: number, ti: number, kind: MoveKind): boolean {
  const mem = sim.mem;
  const order = mem.order[head]!;
  const pages = 1 << order;
  const to = mem.alloc(ti, order);
  if (to < 0) return false;
  const mm = sim.processes[mem.rmapMm[head]!]!;
  const vbase = mem.rmapVpage[head]!;
  mapFolio(sim, mm, vbase, to, pages);
  mem.accessed[to] = mem.accessed[head]!;
  mem.free(head);
  const ns = (pages * PAGE_SIZE * 1000) / sim.machine.migrationBandwidthMBps + sim.machine.migrationFixedNs;
  for (const th of mm.threads) th.timeNs += ns / mm.threads.length;
  sim.metrics.migrated(mm, vbase, head, pages, kind, ns);
  return true;
}

/** The engine's migration backend: kmigrated's and policies' promotion batches, with per-folio status. */
export function simMigrationBackend(sim: Simulation): PghotPlugin {
  return defineBackend({
    name: 'sim-migrate',
    apply: (engine) => {
      engine.hooks.migrateBatch.tapPromise('sim-migrate', async (batch) => {
        const ti = sim.machine.indexOf[batch.target]!;
        for (let i = 0; i < batch.length; i++) {
          const head = batch.pfn[i]!;
          const ok = sim.mem.headOf(head) === head && migrateFolio(sim, head, ti, 'promotion');
          batch.status[i] = ok ? 0 : EAGAIN;
          if (!ok) sim.mem.kswapdWanted[ti] = 1; // the target is full: demotion is woken there
        }
        return true;
      });
    },
  });
}

/** migratepages: move every page of every process to `nid`, as far as it has room. */
export function moveAll(sim: Simulation, nid: number): void {
  const ti = sim.machine.indexOf[nid]!;
  for (const mm of sim.processes) {
    for (let v = 0; v < mm.pages; v++) {
      const pfn = mm.pte[v]!;
      if (pfn < 0) continue;
      const head = sim.mem.headOf(pfn);
      if (head !== pfn || sim.mem.nodeIndexOf(head) === ti) continue;
      if (!migrateFolio(sim, head, ti, 'placement')) return;
    }
  }
}
