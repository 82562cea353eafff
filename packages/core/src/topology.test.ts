import { describe, expect, it } from 'vitest';
import { memoryTierOf, Topology, topTierFlags } from './topology.js';
import { TOPOLOGY } from './test-fixtures.js';

const bad = (nodes: unknown) => () => new Topology({ nodes } as never);

describe('topology', () => {
  it('finds each PFN node, the top tier and the lower-tier nodes', () => {
    const t = new Topology(TOPOLOGY);
    expect(t.topTier).toBe(0);
    expect(t.lowerTierNodeIds).toEqual([1]);
    expect(t.topTierNodeIds).toEqual([0, 2]);
    expect([0, 65_535, 65_536, 196_607, 196_608, 229_375, 229_376].map((p) => t.nodeOf(p))).toEqual([0, 0, 1, 1, 2, 2, -1]);
    expect(t.nodeOfCpu(2)).toBe(2);
    expect(t.sectionsOf(1)).toEqual([2, 3, 4, 5]);
  });

  it('node_is_toptier as the kernel: every tier up to the slowest one with a CPU node is top tier', () => {
    const nodes = (specs: [number, number, boolean][]) =>
      new Topology({ nodes: specs.map(([id, tier, cpus], i) => ({ id, startPfn: i * 32_768, pages: 32_768, tier, ...(cpus ? { cpus: [id] } : {}) })) });
    // DRAM with CPUs (tier 4), CPU-less HBM faster (tier 3), CXL slower (tier 5): HBM and DRAM are top tier
    expect(nodes([[0, 4, true], [1, 3, false], [2, 5, false]]).lowerTierNodeIds).toEqual([2]);
    // a socket whose DRAM sits in a slower tier but has CPUs: it and everything faster are top tier
    expect(nodes([[0, 4, true], [1, 5, true], [2, 6, false]]).topTierNodeIds).toEqual([0, 1]);
    // tiers are chunks of 128 abstract distance: MEMTIER_ADISTANCE_DRAM 576 is tier 4, 4 x 128 + 127 still is, 640 is not
    expect([576, 639, 640].map(memoryTierOf)).toEqual([4, 4, 5]);
    expect(topTierFlags([{ tier: memoryTierOf(576), cpus: [0] }, { tier: memoryTierOf(639) }, { tier: memoryTierOf(640) }])).toEqual([true, true, false]);
    // no CPU node at all: the fastest tier
    expect(topTierFlags([{ tier: 2 }, { tier: 3 }])).toEqual([true, false]);
  });

  it('handles nodes that share a section and holes between nodes', () => {
    const t = new Topology({ nodes: [{ id: 0, startPfn: 0, pages: 100, tier: 0 }, { id: 1, startPfn: 200, pages: 100, tier: 1 }] });
    expect([99, 100, 199, 200, 299, 300].map((p) => t.nodeOf(p))).toEqual([0, -1, -1, 1, 1, -1]);
  });

  it('rejects invalid topologies with a message naming the node', () => {
    expect(bad([])).toThrow('Invalid topology: it has no node');
    expect(bad([{ id: 0, startPfn: 0, pages: 10, tier: 0 }, { id: 1, startPfn: 5, pages: 10, tier: 1 }])).toThrow(
      'Invalid topology: node 1 (PFN 5..14) overlaps node 0 (PFN 0..9)',
    );
    expect(bad([{ id: 0, startPfn: 0, pages: 10, tier: 0 }, { id: 0, startPfn: 10, pages: 10, tier: 1 }])).toThrow('node 0 is listed twice');
    expect(bad([{ id: 1024, startPfn: 0, pages: 10, tier: 0 }])).toThrow(/nodes\[0\]\.id: Too big: expected number to be <=1023/);
    expect(bad([{ id: 0, startPfn: 2 ** 32 - 5, pages: 10, tier: 0 }])).toThrow(/node 0 ends at PFN 4294967301, past the 2\^32-PFN/);
    expect(bad([{ id: 0, startPfn: 0, pages: 0, tier: 0 }])).toThrow(/nodes\[0\]\.pages: /);
    expect(bad([{ id: 0, startPfn: 0, pages: 1, tier: 0, cpus: [1] }, { id: 1, startPfn: 1, pages: 1, tier: 0, cpus: [1] }])).toThrow(
      'CPU 1 is listed on node 0 and node 1',
    );
  });
});
