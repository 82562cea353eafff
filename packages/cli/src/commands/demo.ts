import {
  createPghot,
  defineBackend,
  PGHOT_SRC,
  type MemoryModel,
  type PghotPlugin,
  type PghotMode,
  type TunablesInput,
} from '@pghot/core';

/** What `pghot demo` runs: a small tiered machine fed by synthetic hint faults. */
export interface DemoOptions {
  seed: number;
  seconds: number;
  /** Accesses reported per simulated millisecond. */
  accessesPerMs: number;
  mode: PghotMode;
  stickyReady: boolean;
  tunables: TunablesInput;
  plugins: PghotPlugin[];
}

export const DEMO_DEFAULTS = { seed: 1, seconds: 10, accessesPerMs: 1000 } as const;

/** Node 0: 4 GiB DRAM with CPUs 0-1 (top tier). Node 1: 16 GiB CXL, no CPUs. */
const DRAM_PAGES = 1 << 20;
const CXL_PAGES = 1 << 22;
const HOT_PAGES = Math.floor(CXL_PAGES / 10);

export interface DemoSecond {
  second: number;
  accesses: number;
  fastTierAccesses: number;
  fastTierHitRatio: number;
  promotedPages: number;
}

export interface DemoReport {
  schemaVersion: 1;
  kind: 'demo';
  machine: { nodes: { id: number; tier: number; pages: number; cpus: number[] }[] };
  workload: { name: 'hotset'; seed: number; seconds: number; accessesPerMs: number; hotPages: number; hotFraction: number };
  mode: PghotMode;
  tunables: Record<string, number>;
  seconds: DemoSecond[];
  totals: { accesses: number; fastTierAccesses: number; fastTierHitRatio: number; promotedPages: number };
  vmstat: Record<string, number>;
}

/** mulberry32: small, fast, seeded; the same seed gives the same stream everywhere. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Every CXL page starts on node 1; 90 % of accesses go to the first 10 % of them. Each access
 * to a CXL page is reported as a NUMA hint fault from node 0; kmigrated wakes every
 * kmigrated_sleep_ms and a built-in backend "moves" promoted pages, whose later accesses count
 * as fast-tier hits. A demonstration of the core, not the simulator: no DRAM capacity limit, no
 * demotion, every access reported.
 */
export async function runDemo(options: DemoOptions): Promise<DemoReport> {
  const topology = {
    nodes: [
      { id: 0, startPfn: 0, pages: DRAM_PAGES, tier: 0, cpus: [0, 1] },
      { id: 1, startPfn: DRAM_PAGES, pages: CXL_PAGES, tier: 1, cpus: [] },
    ],
  };
  const onCxl = new Uint8Array(CXL_PAGES).fill(1);
  // the record path skips pages that already moved: they are no longer on the lower tier's LRU
  const memory: MemoryModel = {
    pfnOnline: () => true,
    folioHead: (pfn) => pfn,
    folioNrPages: () => 1,
    folioOnLru: (pfn) => pfn < DRAM_PAGES || onCxl[pfn - DRAM_PAGES] === 1,
  };
  let promotedThisSecond = 0;
  const mover = defineBackend({
    name: 'demo-mover',
    apply(engine) {
      engine.hooks.migrateBatch.tapPromise('demo-mover', async (batch) => {
        for (let i = 0; i < batch.length; i++) {
          onCxl[batch.pfn[i]! - DRAM_PAGES] = 0;
          batch.status[i] = 0;
          promotedThisSecond += batch.nrPages[i]!;
        }
        return true;
      });
    },
  });
  const pghot = createPghot({
    topology,
    mode: options.mode,
    stickyReady: options.stickyReady,
    tunables: options.tunables,
    memory,
    plugins: [...options.plugins, mover],
  });
  await pghot.init();
  const random = mulberry32(options.seed);
  const pfns = new Uint32Array(options.accessesPerMs);
  const seconds: DemoSecond[] = [];
  let accesses = 0;
  let fast = 0;
  for (let s = 0; s < options.seconds; s++) {
    let secondAccesses = 0;
    let secondFast = 0;
    promotedThisSecond = 0;
    for (let ms = 0; ms < 1000; ms++) {
      const now = s * 1000 + ms;
      let n = 0;
      for (let i = 0; i < options.accessesPerMs; i++) {
        const page = random() < 0.9 ? Math.floor(random() * HOT_PAGES) : Math.floor(random() * CXL_PAGES);
        if (onCxl[page] === 1) pfns[n++] = DRAM_PAGES + page;
        else secondFast++;
      }
      secondAccesses += options.accessesPerMs;
      pghot.recordAccesses(PGHOT_SRC.hintfaults, pfns, 0, now, n);
      await pghot.advance(now);
    }
    accesses += secondAccesses;
    fast += secondFast;
    seconds.push({
      second: s + 1,
      accesses: secondAccesses,
      fastTierAccesses: secondFast,
      fastTierHitRatio: secondFast / secondAccesses,
      promotedPages: promotedThisSecond,
    });
  }
  await pghot.shutdown();
  return {
    schemaVersion: 1,
    kind: 'demo',
    machine: { nodes: topology.nodes.map((n) => ({ id: n.id, tier: n.tier, pages: n.pages, cpus: n.cpus })) },
    workload: { name: 'hotset', seed: options.seed, seconds: options.seconds, accessesPerMs: options.accessesPerMs, hotPages: HOT_PAGES, hotFraction: 0.9 },
    mode: options.mode,
    tunables: { ...pghot.tunables.toJSON() },
    seconds,
    totals: { accesses, fastTierAccesses: fast, fastTierHitRatio: fast / accesses, promotedPages: pghot.vmstat().pgpromote_success ?? 0 },
    vmstat: pghot.vmstat(),
  };
}
