import { ConfigError, formatIssues, PAGES_PER_SECTION, topTierFlags, type TopologySpec } from '@pghot/core';
import { z } from 'zod';

const PAGES_PER_MIB = 256;

export const simNodeSchema = z.strictObject({
  id: z.int().min(0).max(1023),
  /** Memory tier (abstract distance order): lower is faster; the lowest present is the top tier. */
  tier: z.int().min(0),
  capacityMiB: z.number().positive(),
  cpus: z.array(z.int().min(0)).default([]),
  /** Watermarks in pages, instead of Linux's formula (small test machines). */
  watermarkPages: z.strictObject({ min: z.int().min(0), low: z.int().min(0), high: z.int().min(0), promo: z.int().min(0) }).optional(),
});

export const machineSchema = z.strictObject({
  name: z.string().default('custom'),
  nodes: z.array(simNodeSchema).min(1),
  /** Load latency in ns from a CPU on node row to memory on node column, rows and columns in `nodes` order. */
  latencyNs: z.array(z.array(z.number().positive())),
  /** CPU time per access besides memory latency. */
  cpuNsPerAccess: z.number().min(0).default(2),
  /** Copy bandwidth of a migration (promotion or demotion). */
  migrationBandwidthMBps: z.number().positive().default(10_000),
  /** Fixed cost per migrated folio (unmap, TLB flush, remap). */
  migrationFixedNs: z.number().min(0).default(10_000),
  /** Transparent huge pages: anonymous memory faults in as order-9 folios where a 2 MiB block is free. */
  thp: z.boolean().default(false),
  /** min_free_kbytes override; default sqrt(16 × memory in KiB) clamped to [128, 262144] as Linux. */
  minFreeKbytes: z.number().positive().optional(),
  /** watermark_scale_factor (1/10000 of a node): distance between min, low, high, promo. */
  watermarkScaleFactor: z.int().min(1).max(3000).default(10),
});

export type MachineSpec = z.input<typeof machineSchema>;

/** Built-in machines. Sizes are small so runs are fast, and such that the default workload (128 MiB) does not fit in DRAM. */
export const MACHINE_PRESETS: Readonly<Record<string, MachineSpec>> = Object.freeze({
  'dram+cxl': {
    name: 'dram+cxl',
    nodes: [
      { id: 0, tier: 0, capacityMiB: 64, cpus: [0, 1] },
      { id: 1, tier: 1, capacityMiB: 256 },
    ],
    latencyNs: [
      [100, 250],
      [250, 250],
    ],
  },
  /** dram+cxl at scale: 64 GiB of DRAM and a 1 TiB CXL node (268,435,456 pages). Memory is committed as pages are touched. */
  'dram+cxl-1t': {
    name: 'dram+cxl-1t',
    nodes: [
      { id: 0, tier: 0, capacityMiB: 64 * 1024, cpus: [0, 1] },
      { id: 1, tier: 1, capacityMiB: 1024 * 1024 },
    ],
    latencyNs: [
      [100, 250],
      [250, 250],
    ],
  },
  '2dram+cxl': {
    name: '2dram+cxl',
    nodes: [
      { id: 0, tier: 0, capacityMiB: 64, cpus: [0, 1] },
      { id: 1, tier: 0, capacityMiB: 64, cpus: [2, 3] },
      { id: 2, tier: 1, capacityMiB: 512 },
    ],
    latencyNs: [
      [100, 160, 250],
      [160, 100, 320],
      [250, 320, 250],
    ],
  },
});

export interface NodeLayout {
  id: number;
  index: number;
  tier: number;
  pages: number;
  startPfn: number;
  cpus: readonly number[];
  topTier: boolean;
  watermarks: { min: number; low: number; high: number; promo: number };
  /** Where this node demotes to: the nearest node of the next lower tier, or -1. */
  demotionTarget: number;
}

/** A validated machine: node PFN ranges (each starting on a 128 MiB section), watermarks, latencies. */
export interface Machine {
  name: string;
  nodes: NodeLayout[];
  /** Node id → index in `nodes` (-1 when absent). */
  indexOf: Int16Array;
  latency: Float64Array;
  nodeCount: number;
  endPfn: number;
  cpuNsPerAccess: number;
  migrationBandwidthMBps: number;
  migrationFixedNs: number;
  thp: boolean;
  topology: TopologySpec;
  cpuNode: (cpu: number) => number;
  latencyNs: (fromNode: number, toNode: number) => number;
}

/** Validate a machine (a preset name or a spec); errors name the key path. */
export function buildMachine(input: string | MachineSpec): Machine {
  let spec: MachineSpec;
  if (typeof input === 'string') {
    const preset = MACHINE_PRESETS[input];
    if (!preset) throw new ConfigError(`unknown machine preset "${input}"; presets: ${Object.keys(MACHINE_PRESETS).join(', ')}`, { code: 'PGHOT_MACHINE' });
    spec = preset;
  } else spec = input;
  const parsed = machineSchema.safeParse(spec);
  if (!parsed.success) throw new ConfigError(`invalid machine: ${formatIssues(parsed.error.issues)}`, { code: 'PGHOT_MACHINE' });
  const m = parsed.data;
  const n = m.nodes.length;
  const problem = (msg: string): never => {
    throw new ConfigError(`impossible machine "${m.name}": ${msg}`, { code: 'PGHOT_MACHINE' });
  };
  if (m.latencyNs.length !== n || m.latencyNs.some((row) => row.length !== n)) problem(`latencyNs must be a ${n} x ${n} matrix (one row and column per node)`);
  const ids = new Set<number>();
  const cpus = new Map<number, number>();
  for (const node of m.nodes) {
    if (ids.has(node.id)) problem(`node ${node.id} is listed twice`);
    ids.add(node.id);
    for (const cpu of node.cpus) {
      if (cpus.has(cpu)) problem(`CPU ${cpu} is on node ${cpus.get(cpu)} and node ${node.id}`);
      cpus.set(cpu, node.id);
    }
    if (Math.round(node.capacityMiB * PAGES_PER_MIB) < 1) problem(`node ${node.id} has ${node.capacityMiB} MiB: less than one 4 KiB page`);
    const w = node.watermarkPages;
    if (w && !(w.min <= w.low && w.low <= w.high && w.high <= w.promo)) problem(`node ${node.id}: watermarkPages must satisfy min <= low <= high <= promo`);
  }
  if (cpus.size === 0) problem('no node has CPUs');
  // node_is_toptier, as core computes it (the engine's topology is built from the same nodes)
  const topTier = topTierFlags(m.nodes);

  const totalPages = m.nodes.reduce((a, x) => a + Math.round(x.capacityMiB * PAGES_PER_MIB), 0);
  const minFreeKb = m.minFreeKbytes ?? Math.min(262_144, Math.max(128, Math.floor(Math.sqrt(16 * totalPages * 4))));
  const minFreeTotal = Math.floor(minFreeKb / 4);

  let pfn = 0;
  const nodes: NodeLayout[] = m.nodes.map((x, index) => {
    const pages = Math.round(x.capacityMiB * PAGES_PER_MIB);
    const startPfn = pfn;
    pfn = Math.ceil((startPfn + pages) / PAGES_PER_SECTION) * PAGES_PER_SECTION;
    // mainline: min_free_kbytes split by size; delta = max(min / 4, managed * scale / 10000)
    const min = Math.floor((minFreeTotal * pages) / totalPages);
    const delta = Math.max(Math.floor(min / 4), Math.floor((pages * m.watermarkScaleFactor) / 10_000));
    return {
      id: x.id,
      index,
      tier: x.tier,
      pages,
      startPfn,
      cpus: x.cpus,
      topTier: topTier[index]!,
      watermarks: x.watermarkPages ?? { min, low: min + delta, high: min + 2 * delta, promo: min + 3 * delta },
      demotionTarget: -1,
    };
  });
  const latency = Float64Array.from(m.latencyNs.flat());
  for (const node of nodes) {
    const lower = nodes.filter((o) => o.tier > node.tier);
    if (lower.length === 0) continue;
    const nextTier = Math.min(...lower.map((o) => o.tier));
    const candidates = lower.filter((o) => o.tier === nextTier);
    candidates.sort((a, b) => latency[node.index * n + a.index]! - latency[node.index * n + b.index]! || a.id - b.id);
    node.demotionTarget = candidates[0]!.id;
  }
  const indexOf = new Int16Array(1024).fill(-1);
  for (const node of nodes) indexOf[node.id] = node.index;
  return {
    name: m.name,
    nodes,
    indexOf,
    latency,
    nodeCount: n,
    endPfn: nodes[n - 1]!.startPfn + nodes[n - 1]!.pages,
    cpuNsPerAccess: m.cpuNsPerAccess,
    migrationBandwidthMBps: m.migrationBandwidthMBps,
    migrationFixedNs: m.migrationFixedNs,
    thp: m.thp,
    topology: { nodes: nodes.map((x) => ({ id: x.id, startPfn: x.startPfn, pages: x.pages, tier: x.tier, cpus: [...x.cpus] })) },
    cpuNode: (cpu) => cpus.get(cpu) ?? -1,
    latencyNs: (from, to) => latency[indexOf[from]! * n + indexOf[to]!]!,
  };
}
