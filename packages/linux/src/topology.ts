import { ConfigError, PAGE_SIZE, type TopologySpec } from '@pghot/core';
import { parseList, type KernelFs } from './sysfs.js';

const NODE = '/sys/devices/system/node';
const TIERS = '/sys/devices/virtual/memory_tiering';

export interface LinuxNode {
  id: number;
  cpus: number[];
  /** PFN ranges of the node's online memory blocks, merged, in address order. */
  ranges: { startPfn: number; pages: number }[];
  /** Index of its memory tier among the tiers present (0 = fastest); 0 without memory tiers. */
  tier: number;
  /** The kernel's memory_tierN that holds it (N = abstract distance >> 7), or null. */
  memoryTier: number | null;
}

export interface LinuxTopology {
  blockSizeBytes: number;
  nodes: LinuxNode[];
  /** False when the kernel has no memory tiers (every node counts as one tier). */
  hasTiers: boolean;
}

/**
 * Nodes, their CPUs, their memory (from the memory blocks under each node) and their memory tiers,
 * as /sys shows them. Memory tiers sort by N of memory_tierN: a smaller N is faster.
 */
export function readLinuxTopology(fs: KernelFs): LinuxTopology {
  const blockSizeBytes = Number.parseInt(fs.need('/sys/devices/system/memory/block_size_bytes'), 16);
  const blockPages = blockSizeBytes / PAGE_SIZE;
  const ids = parseList(fs.read(`${NODE}/has_memory`) ?? fs.need(`${NODE}/online`));
  const tierOf = new Map<number, number>();
  const tierNames = fs
    .list(TIERS)
    .map((d) => /^memory_tier(\d+)$/.exec(d))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
  for (const n of tierNames) for (const nid of parseList(fs.read(`${TIERS}/memory_tier${n}/nodelist`) ?? '')) tierOf.set(nid, n);
  const nodes = ids.map((id): LinuxNode => {
    const blocks = fs
      .list(`${NODE}/node${id}`)
      .filter((d) => /^memory\d+$/.test(d))
      .map((d) => Number.parseInt(fs.need(`${NODE}/node${id}/${d}/phys_index`), 16))
      .sort((a, b) => a - b);
    const ranges: LinuxNode['ranges'] = [];
    for (const b of blocks) {
      const last = ranges[ranges.length - 1];
      if (last && last.startPfn + last.pages === b * blockPages) last.pages += blockPages;
      else ranges.push({ startPfn: b * blockPages, pages: blockPages });
    }
    const memoryTier = tierOf.get(id) ?? null;
    return { id, cpus: parseList(fs.read(`${NODE}/node${id}/cpulist`) ?? ''), ranges, memoryTier, tier: memoryTier === null ? 0 : tierNames.indexOf(memoryTier) };
  });
  return { blockSizeBytes, nodes, hasTiers: tierNames.length > 0 };
}

/**
 * The engine's topology of a Linux machine: each node spans its lowest to its highest memory block
 * (holes inside count as offline PFNs). A machine whose nodes share one tier has no lower tier to
 * promote from: then a stand-in topology (`--topology`) must say which memory counts as slow.
 */
export function toTopologySpec(linux: LinuxTopology): TopologySpec {
  const nodes = linux.nodes
    .filter((n) => n.ranges.length > 0)
    .map((n) => {
      const start = n.ranges[0]!.startPfn;
      const last = n.ranges[n.ranges.length - 1]!;
      return { id: n.id, startPfn: start, pages: last.startPfn + last.pages - start, tier: n.tier, cpus: n.cpus };
    });
  if (nodes.length === 0) throw new ConfigError('no node with memory found under /sys/devices/system/node', { code: 'PGHOT_LINUX' });
  return { nodes };
}
