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

  it('needs the hint-fault source, and rejects bad options naming the option', () => {
    expect(() => new Simulation({ machine: 'dram+cxl', workload: 'gups-hotset', plugins: [numab2Policy()] })).toThrow(
      'plugin "policy-numab2" depends on plugin "source-hintfault", which is not loaded',
    );
    expect(() => numab2Policy({ hotThresholdMs: 0 })).toThrow('Invalid options for plugin "policy-numab2":\n✖ Too small: expected number to be >=1\n  → at hotThresholdMs');
  });
});
