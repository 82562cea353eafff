import type { Simulation } from './sim.js';
import { migrateFolio } from './migration.js';

/**
 * kswapd in tiering mode: demotion from top-tier nodes to their demotion targets, by CLOCK over
 * each node's folios (a set Accessed bit buys a second chance and is cleared).
 */
export class Kswapd {
  readonly #sim: Simulation;
  readonly #clockHand: Int32Array;
  readonly #demoteCounter: number;

  constructor(sim: Simulation) {
    this.#sim = sim;
    this.#clockHand = new Int32Array(sim.machine.nodeCount);
    this.#demoteCounter = sim.engine.counters.register('pgdemote_kswapd');
  }

  /** Each top-tier node below its low watermark, or woken by a failed promotion, demotes until free >= promo watermark. */
  run(): void {
    const sim = this.#sim;
    for (const node of sim.machine.nodes) {
      if (!node.topTier || node.demotionTarget < 0) continue;
      const ni = node.index;
      const free = sim.mem.freePages(ni);
      if (free >= node.watermarks.low && sim.mem.kswapdWanted[ni] === 0) continue;
      sim.mem.kswapdWanted[ni] = 0;
      const goal = node.watermarks.promo;
      if (free >= goal) continue;
      if (sim.hooks.demote.call({ sim, nid: node.id, pages: goal - free }) === true) continue;
      this.#clockDemote(ni, goal);
    }
  }

  /**
   * Demote one folio from a top-tier node to its demotion target (counted under `counter`:
   * pgdemote_kswapd by default, pgdemote_direct for policy-driven swaps).
   */
  demoteFolio(head: number, counter = 'pgdemote_kswapd'): boolean {
    const sim = this.#sim;
    const ni = sim.mem.nodeIndexOf(head);
    const target = sim.machine.nodes[ni]!.demotionTarget;
    if (target < 0 || sim.mem.headOf(head) !== head || sim.mem.lru[head] !== 1) return false;
    const pages = 1 << sim.mem.order[head]!;
    const ok = migrateFolio(sim, head, sim.machine.indexOf[target]!, 'demotion');
    if (ok) sim.engine.counters.add(counter === 'pgdemote_kswapd' ? this.#demoteCounter : sim.engine.counters.register(counter), pages);
    return ok;
  }

  /** Demote by CLOCK on top-tier node `nid` until it has `freePages` free (TPP-style headroom). */
  demoteColdest(nid: number, freePages: number): void {
    const sim = this.#sim;
    const ni = sim.machine.indexOf[nid]!;
    if (ni >= 0 && sim.machine.nodes[ni]!.demotionTarget >= 0) this.#clockDemote(ni, freePages);
  }

  #clockDemote(ni: number, goal: number): void {
    const sim = this.#sim;
    const node = sim.machine.nodes[ni]!;
    const mem = sim.mem;
    const target = sim.machine.indexOf[node.demotionTarget]!;
    let hand = this.#clockHand[ni]!;
    for (let steps = 0; steps < 2 * node.pages && mem.freePages(ni) < goal; ) {
      if (hand >= node.pages) hand = 0;
      const pfn = node.startPfn + hand;
      const head = mem.headOf(pfn);
      if (head !== pfn) {
        const skip = head < 0 ? 1 : head + (1 << mem.order[head]!) - pfn;
        hand += skip;
        steps += skip;
        continue;
      }
      const pages = 1 << mem.order[head]!;
      hand += pages;
      steps += pages;
      if (mem.lru[head] !== 1) continue;
      if (mem.accessed[head] === 1) {
        mem.accessed[head] = 0;
        continue;
      }
      if (!migrateFolio(sim, head, target, 'demotion')) break; // the lower tier is full
      sim.engine.counters.add(this.#demoteCounter, pages);
    }
    this.#clockHand[ni] = hand;
  }
}
