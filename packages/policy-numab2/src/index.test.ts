import { PromotionRateLimiter, Verdict } from '@pghot/core';
import { Simulation } from '@pghot/sim';
import hintFaultSource from '@pghot/source-hintfault';
import { describe, expect, it } from 'vitest';
import numab2Policy, { numab2State } from './index.js';

describe('policy-numab2', () => {
  it('moves the hot threshold by 1/8 of 1000 ms after 60 s: 1125 with few candidates, 875 with many', () => {
    // 1 MB/s: 256 pages/s, 15,360 per minute
    const few = new PromotionRateLimiter();
    few.shouldMigrate(1, 0, 10, 1000, 1000, 1, false);
    expect(few.shouldMigrate(1, 0, 10, 60_001, 1000, 1, false)).toBe(Verdict.PASS);
    expect(few.currentThreshold(0, 1000)).toBe(1125);
    const many = new PromotionRateLimiter();
    for (let i = 0; i < 16_900; i++) many.shouldMigrate(1, 0, 10, 30_000, 1000, 1, false);
    many.shouldMigrate(1, 0, 10, 60_001, 1000, 1, false);
    expect(many.currentThreshold(0, 1000)).toBe(875);
  });

  it('promotes from hint faults whose scan-to-fault latency is under the threshold, and vetoes kmigrated', async () => {
    const sim = new Simulation({
      machine: 'dram+cxl',
      workload: { name: 'gups-hotset', params: { accessesPerThread: 8_000_000 } },
      placement: { policy: 'preferred', node: 1 },
      plugins: [hintFaultSource(), numab2Policy()],
    });
    await sim.run();
    const vm = sim.engine.vmstat();
    expect(sim.metrics.promotedPages).toBeGreaterThan(0);
    expect(vm.pgpromote_success).toBe(sim.metrics.promotedPages);
    expect(numab2State(sim.engine)).toBeInstanceOf(PromotionRateLimiter);
  });

  it("keeps C's unsigned arithmetic: a threshold under the new unit wraps (max(th - unit, unit) in unsigned int)", () => {
    // th 125 left from a 1000 ms reference; the reference is now 5000 (unit 625), and the candidates are many
    const limiter = new PromotionRateLimiter();
    limiter.threshold[0] = 125;
    limiter.candidates[0] = 1000; // > 1.1 x ref_cand (256 pages/s x 1 s)
    limiter.shouldMigrate(1, 0, 10, 1001, 5000, 1, false, 1000);
    expect(limiter.currentThreshold(0, 5000)).toBe(2 ** 32 - 500);
  });

  it('adjusts every numa_balancing_scan_period_max_ms, read from the hint-fault source, and sizes ref_cand by it', async () => {
    const run = async (scanPeriodMaxMs: number) => {
      const sim = new Simulation({
        machine: 'dram+cxl',
        workload: { name: 'gups-hotset', params: { accessesPerThread: 12_000_000 } },
        placement: { policy: 'preferred', node: 1 },
        plugins: [hintFaultSource({ scanPeriodMaxMs }), numab2Policy()],
      });
      await sim.run();
      return numab2State(sim.engine)!;
    };
    // the free-space bypass holds while DRAM is nearly empty; afterwards the first adjustment comes after 2 s
    const fast = await run(2000);
    expect(fast.thresholdStartMs[0]).toBeGreaterThan(2000);
    expect((await run(60_000)).thresholdStartMs[0]).toBe(0);
  });

  it('promotes to the faulting CPU\'s node (mpol_misplaced): a thread on node 1 fills node 1, not target_nid 0', async () => {
    const sim = new Simulation({
      machine: '2dram+cxl',
      workload: { name: 'gups-hotset', params: { accessesPerThread: 8_000_000, cpus: [2] } },
      placement: { policy: 'preferred', node: 2 },
      plugins: [hintFaultSource(), numab2Policy()],
    });
    const targets = new Map<number, number>();
    sim.engine.hooks.afterMigrate.tap('watch', (batch, outcome) => targets.set(batch.target, (targets.get(batch.target) ?? 0) + outcome.migratedPages));
    await sim.run();
    expect(sim.metrics.promotedPages).toBeGreaterThan(0);
    expect([...targets]).toEqual([[1, sim.metrics.promotedPages]]);
  });

  it('needs the hint-fault source, and rejects bad options naming the option', () => {
    expect(() => new Simulation({ machine: 'dram+cxl', workload: 'gups-hotset', plugins: [numab2Policy()] })).toThrow(
      'plugin "policy-numab2" depends on plugin "source-hintfault", which is not loaded',
    );
    expect(() => numab2Policy({ hotThresholdMs: 0 })).toThrow('Invalid options for plugin "policy-numab2": hotThresholdMs: Too small: expected number to be >=1');
  });
});
