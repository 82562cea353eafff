import { createPghot, dryRunBackend, Stage, type CreatePghotOptions, type DryRunBackend, type Pghot, type PghotPlugin } from '@pghot/core';
import { Simulation, type MachineSpec, type SimOptions } from '@pghot/sim';
import { FakePlatform, TEST_TOPOLOGY } from './fake-platform.js';

export { CXL_START, createTestPlatform, FakePlatform, TEST_TOPOLOGY, type FakePlatformOptions, type OverheadCharge, type ScriptedAccess } from './fake-platform.js';

/** One access a source reported, as it enters the store (after any other filterBatch taps). */
export interface Reported {
  src: string;
  pfn: number;
  nid: number;
  now: number;
}

/** A fake clock that drives the engine: kmigrated wakes and hooks.tick run as it advances. */
export interface FakeClock {
  /** Current time in ms (= jiffies at HZ 1000). */
  readonly now: number;
  /** Advance by `ms`, ticking the engine every `stepMs` (1 by default) so sources see each tick. */
  advance(ms: number, stepMs?: number): Promise<void>;
}

export interface TestEngine {
  engine: Pghot;
  clock: FakeClock;
  /** Every access reported through recordAccess(es), in order. */
  reported: Reported[];
  /** The dry-run backend: what kmigrated promoted. */
  backend: DryRunBackend;
}

/**
 * An engine on the test machine with the plugins under test, a dry-run backend, a fake clock and a
 * spy on every report (a filterBatch tap at Stage.REPORT that changes nothing). init() has run.
 * With `platform: createTestPlatform(...)` the plugins run on that fake platform: the clock runs its
 * script and delivers its hint faults each step, and promotions remap its pages.
 */
export async function createTestEngine(options: { plugins?: readonly PghotPlugin[] } & Partial<Omit<CreatePghotOptions, 'plugins'>> = {}): Promise<TestEngine> {
  const backend = dryRunBackend();
  const { plugins = [], topology = TEST_TOPOLOGY, ...rest } = options;
  const fake = rest.platform instanceof FakePlatform ? rest.platform : null;
  const engine = createPghot({ ...rest, topology, plugins: [...plugins, ...(fake ? [fake.mover] : []), backend] });
  const reported: Reported[] = [];
  const names = () => engine.sources().map((s) => s.name);
  engine.hooks.filterBatch.tap({ name: 'testkit-spy', stage: Stage.REPORT }, (batch) => {
    const srcName = names()[batch.src] ?? String(batch.src);
    for (let i = 0; i < batch.length; i++) if (batch.keep[i]) reported.push({ src: srcName, pfn: batch.pfn[i]!, nid: batch.nid[i]!, now: batch.now[i]! });
  });
  await engine.init();
  let now = 0;
  const clock: FakeClock = {
    get now() {
      return now;
    },
    async advance(ms, stepMs = 1) {
      const end = now + ms;
      while (now < end) {
        now = Math.min(end, now + stepMs);
        fake?.step(now);
        await engine.advance(now);
      }
    },
  };
  return { engine, clock, reported, backend };
}

/** A small simulated machine for sources that need page tables: DRAM 16 MiB + CXL 64 MiB, 100/250 ns, no CPU cost. */
export const TEST_MACHINE: MachineSpec = Object.freeze({
  name: 'test',
  nodes: [
    { id: 0, tier: 0, capacityMiB: 16, cpus: [0, 1] },
    { id: 1, tier: 1, capacityMiB: 64 },
  ],
  latencyNs: [
    [100, 250],
    [250, 250],
  ],
  cpuNsPerAccess: 0,
}) as MachineSpec;

/** A simulation on the test machine (pages start on CXL) with a report spy; run it with `await sim.run()`. */
export function createTestSimulation(options: Partial<SimOptions> & Pick<SimOptions, 'workload'>): { sim: Simulation; reported: Reported[] } {
  const sim = new Simulation({ machine: TEST_MACHINE, placement: { policy: 'preferred', node: 1 }, ...options });
  const reported: Reported[] = [];
  sim.engine.hooks.filterBatch.tap({ name: 'testkit-spy', stage: Stage.REPORT }, (batch) => {
    const srcName = sim.engine.sources()[batch.src]?.name ?? String(batch.src);
    for (let i = 0; i < batch.length; i++) if (batch.keep[i]) reported.push({ src: srcName, pfn: batch.pfn[i]!, nid: batch.nid[i]!, now: batch.now[i]! });
  });
  return { sim, reported };
}

/** Accesses per PFN among `reported` (optionally of one source). */
export function countByPfn(reported: readonly Reported[], src?: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const r of reported) if (src === undefined || r.src === src) out.set(r.pfn, (out.get(r.pfn) ?? 0) + 1);
  return out;
}
