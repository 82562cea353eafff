import { definePolicy, parsePluginOptions, Stage, TaskPageIndex, type PghotPlugin } from '@pghot/core';
import { getSampleHooks } from '@pghot/source-hwsample';
import { z } from 'zod';

export const optionsSchema = z.strictObject({
  /** Hot at this many sampled reads... */
  hotReads: z.int().min(1).default(8),
  /** ...or this many sampled writes. */
  hotWrites: z.int().min(1).default(4),
  /** When any page's count reaches this, every count halves (lazily: a global clock ticks). */
  coolingThreshold: z.int().min(2).default(18),
  /** Migration round period. */
  periodMs: z.int().min(1).default(10),
  /** Cap on pages migrated per round (HeMem: 10 GB). */
  maxPagesPerRound: z.int().min(1).default(2_621_440),
});
export type HememOptions = z.input<typeof optionsSchema>;
export const NAME = 'policy-hemem';

/** HeMem's per-page sampled counts with global, lazy cooling. Pages are indexed by a TaskPageIndex (stable across migrations). */
export class HememCounts {
  readonly reads: Uint16Array;
  readonly writes: Uint16Array;
  readonly clock: Uint32Array;
  globalClock = 0;
  readonly #o: { hotReads: number; hotWrites: number; coolingThreshold: number };

  constructor(pages: number, o: { hotReads: number; hotWrites: number; coolingThreshold: number }) {
    this.reads = new Uint16Array(pages);
    this.writes = new Uint16Array(pages);
    this.clock = new Uint32Array(pages);
    this.#o = o;
  }

  /** Apply pending halvings to page g. */
  cool(g: number): void {
    const shift = this.globalClock - this.clock[g]!;
    if (shift > 0) {
      this.reads[g] = shift >= 16 ? 0 : this.reads[g]! >> shift;
      this.writes[g] = shift >= 16 ? 0 : this.writes[g]! >> shift;
      this.clock[g] = this.globalClock;
    }
  }

  /** One sample of page g; returns whether the page is hot afterwards. */
  sample(g: number, write: boolean): boolean {
    this.cool(g);
    if (write) this.writes[g]!++;
    else this.reads[g]!++;
    if (this.reads[g]! >= this.#o.coolingThreshold || this.writes[g]! >= this.#o.coolingThreshold) this.globalClock++;
    return this.isHot(g);
  }

  isHot(g: number): boolean {
    return this.reads[g]! >= this.#o.hotReads || this.writes[g]! >= this.#o.hotWrites;
  }
}

/**
 * HeMem (SOSP'21) over PEBS samples from source-hwsample: counts per page (reads, writes), hot at
 * 8 reads or 4 writes, global lazy cooling when a count reaches 18; every 10 ms, slow-tier hot pages
 * are promoted in FIFO order — into free fast memory, else after demoting a cold fast page (a
 * policy-driven swap, pgdemote_direct); the round stops when no cold page is left.
 */
export function hememPolicy(options: HememOptions = {}): PghotPlugin {
  const o = parsePluginOptions(NAME, optionsSchema, options);
  return definePolicy({
    name: NAME,
    reads: ['source-hwsample'],
    version: '0.1.0',
    core: '>=0.1.0 <1.0.0',
    dependsOn: ['source-hwsample'],
    requires: ['tasks', 'demote', 'memory'],
    apply(engine) {
      engine.hooks.shouldMigrate.tap({ name: NAME, stage: Stage.VETO }, () => false); // HeMem migrates on its own rounds
      const platform = engine.platform;
      const topology = engine.topology;
      let pages: TaskPageIndex | null = null;
      let counts: HememCounts | null = null;
      let queued = new Uint8Array(0);
      let index = new Float64Array(0);
      const hotQueue: number[] = [];
      const coldQueue: number[] = [];
      const one = new Float64Array(1);
      const moved = new Uint8Array(1);
      let next = o.periodMs;
      getSampleHooks(engine).samples.tap(NAME, (b) => {
        if (!pages) {
          pages = new TaskPageIndex(platform);
          counts = new HememCounts(pages.size, o);
          queued = new Uint8Array(pages.size);
        }
        const c = counts!;
        if (index.length < b.length) index = new Float64Array(b.length);
        pages.ofPfns(b.pfn, b.length, index);
        for (let i = 0; i < b.length; i++) {
          const g = index[i]!;
          if (g < 0) continue;
          const hot = c.sample(g, b.write[i] === 1);
          const fast = topology.isTopTierPfn(b.pfn[i]!);
          if (hot && !fast && queued[g] === 0) {
            queued[g] = 1;
            hotQueue.push(g);
          } else if (!hot && fast) coldQueue.push(g);
        }
      });
      engine.hooks.tick.tapPromise(NAME, async ({ now }) => {
        if (now < next || counts === null || pages === null) return;
        next = now + o.periodMs;
        const c = counts;
        const p = pages;
        const fastNode = topology.topTierNodeIds[0]!;
        const cap = engine.memory!.capacity!;
        let movedPages = 0;
        while (hotQueue.length > 0 && movedPages < o.maxPagesPerRound) {
          const g = hotQueue[0]!;
          const pfn = p.pfnOf(g);
          if (pfn < 0 || topology.isTopTierPfn(pfn) || !(c.cool(g), c.isHot(g))) {
            hotQueue.shift();
            queued[g] = 0;
            continue;
          }
          if (cap.freePages(fastNode) <= cap.highWatermarkPages(fastNode) + 1) {
            // swap: demote the first still-cold fast page
            let demoted = false;
            while (coldQueue.length > 0 && !demoted) {
              const cg = coldQueue.shift()!;
              const cpfn = p.pfnOf(cg);
              c.cool(cg);
              if (cpfn >= 0 && topology.isTopTierPfn(cpfn) && !c.isHot(cg)) {
                one[0] = engine.memory!.folioHead(cpfn);
                platform.demoteFolios(one, 1, 'pgdemote_direct', moved);
                demoted = moved[0] === 1;
              }
            }
            if (!demoted) break; // no cold page left: the round ends
          }
          hotQueue.shift();
          queued[g] = 0;
          const outcome = await engine.promoteFolios(fastNode, [pfn], now);
          movedPages += outcome.migratedPages;
        }
      });
    },
  });
}
export default hememPolicy;
