import { PghotError } from '@pghot/core';
import type { Simulation } from './sim.js';

/** Check the simulator's invariants; throws a PghotError naming the first one broken. */
export function verifySimulation(sim: Simulation): { checks: string[] } {
  const fail = (msg: string): never => {
    throw new PghotError(`invariant broken: ${msg}`, { code: 'PGHOT_SIM_INVARIANT' });
  };
  const mem = sim.mem;
  let mapped = 0;
  for (const mm of sim.processes) {
    for (let v = 0; v < mm.pages; v++) {
      const pfn = mm.pte[v]!;
      if (pfn < 0) continue;
      mapped++;
      const head = mem.headOf(pfn);
      if (head < 0) fail(`process ${mm.id} page ${v} maps free PFN ${pfn}`);
      if (mem.rmapMm[head] !== mm.id || mem.rmapVpage[head]! + (pfn - head) !== v) fail(`PFN ${pfn} does not map back to process ${mm.id} page ${v}`);
      if (!mem.pfnOnline(pfn)) fail(`PFN ${pfn} is on no node`);
    }
  }
  let used = 0;
  for (const node of sim.machine.nodes) {
    const counted = mem.usedPagesCounted(node.index);
    used += counted;
    if (counted + mem.freePages(node.index) !== node.pages) fail(`node ${node.id}: used ${counted} + free ${mem.freePages(node.index)} != capacity ${node.pages}`);
  }
  if (used !== mapped) fail(`${used} pages allocated but ${mapped} mapped: every mapped page must be one folio page, mapped once`);
  const total = sim.threads.reduce((a, t) => a + t.accesses, 0);
  const fs = sim.threads.reduce((a, t) => a + t.fast + t.slow, 0);
  if (fs !== total) fail(`fast + slow accesses ${fs} != total ${total}`);
  const promoted = sim.metrics.promotedPages;
  const success = sim.engine.vmstat().pgpromote_success ?? 0;
  if (promoted !== success) fail(`pages promoted ${promoted} != pgpromote_success ${success}`);
  return { checks: ['mapping', 'capacity', 'accesses', 'promotions'] };
}
