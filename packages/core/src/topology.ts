import { z } from 'zod';
import { MAX_NUMNODES, MAX_PFN, SECTION_SHIFT, PAGES_PER_SECTION } from './constants.js';
import { ConfigError } from './errors.js';
import { formatIssues } from './plugin.js';

export const nodeSpecSchema = z.strictObject({
  id: z.int().min(0).max(MAX_NUMNODES - 1),
  startPfn: z.int().min(0),
  pages: z.int().min(1),
  /**
   * Memory tier: N of Linux's memory_tierN (abstract distance >> 7, chunks of 128): lower is
   * faster; nodes with the same N share a tier. Which tiers are top: see isTopTierNode.
   */
  tier: z.int().min(0),
  cpus: z.array(z.int().min(0)).optional(),
});
export const topologySchema = z.strictObject({ nodes: z.array(nodeSpecSchema) });

/** MEMTIER_CHUNK_BITS: a memory tier spans 128 of abstract distance. */
export const MEMTIER_CHUNK_BITS = 7;
/** The memory tier (N of memory_tierN) of an abstract distance: MEMTIER_ADISTANCE_DRAM (576) is tier 4. */
export const memoryTierOf = (adistance: number): number => adistance >> MEMTIER_CHUNK_BITS;

/**
 * node_is_toptier for each node, as establish_demotion_targets sets top_tier_adistance: walking the
 * tiers from the slowest, the first tier with a CPU node ends the top tier; it and every faster
 * tier are top tier (CPU-less tiers among them too). Without any CPU node, the fastest tier.
 */
export function topTierFlags(nodes: readonly { tier: number; cpus?: readonly number[] | undefined }[]): boolean[] {
  const cpuTiers = nodes.filter((n) => (n.cpus?.length ?? 0) > 0).map((n) => n.tier);
  const last = cpuTiers.length > 0 ? Math.max(...cpuTiers) : Math.min(...nodes.map((n) => n.tier));
  return nodes.map((n) => n.tier <= last);
}

export type NodeSpec = z.input<typeof nodeSpecSchema>;
/** A node of a validated topology. */
export interface NodeInfo {
  readonly id: number;
  readonly startPfn: number;
  readonly pages: number;
  readonly tier: number;
  readonly cpus: readonly number[];
}
export type TopologySpec = z.input<typeof topologySchema>;

const NO_NODE_IN_SECTION = -1;
/** A section that no single node covers entirely. */
const PARTIAL_SECTION = -2;

/**
 * A validated topology, compiled for the record path: the node of a PFN is one typed-array read
 * for every section that a single node owns (the normal case; sections are 128 MiB).
 */
export class Topology {
  readonly nodes: readonly NodeInfo[];
  readonly topTier: number;
  /** One past the highest PFN of any node. */
  readonly endPfn: number;
  /** 1 where a node id is present (online), by node id. */
  readonly nodeOnline: Uint8Array;
  /** 1 where a present node is in the top tier, by node id. */
  readonly nodeTopTier: Uint8Array;
  /** Node id covering each whole section, or -1 (no node) / -2 (partly covered: look the PFN up). */
  readonly sectionNode: Int16Array;
  /** Nodes that are not top tier, ascending id: each gets a kmigrated. */
  readonly lowerTierNodeIds: readonly number[];
  readonly topTierNodeIds: readonly number[];
  private readonly byId: ReadonlyMap<number, NodeInfo>;
  /** Node of each CPU id, -1 where none lists it. */
  readonly #cpuNode: Int16Array;

  constructor(spec: TopologySpec) {
    const parsed = topologySchema.safeParse(spec);
    if (!parsed.success) {
      throw new ConfigError(`Invalid topology: ${formatIssues(parsed.error.issues)}`, { code: 'PGHOT_TOPOLOGY' });
    }
    const nodes: NodeInfo[] = parsed.data.nodes.map((n) => Object.freeze({ ...n, cpus: Object.freeze([...(n.cpus ?? [])]) }));
    if (nodes.length === 0) throw new ConfigError('Invalid topology: it has no node', { code: 'PGHOT_TOPOLOGY' });
    const byId = new Map<number, NodeInfo>();
    const cpuOwner = new Map<number, number>();
    for (const n of nodes) {
      if (byId.has(n.id)) throw new ConfigError(`Invalid topology: node ${n.id} is listed twice`, { code: 'PGHOT_TOPOLOGY' });
      if (n.startPfn + n.pages > MAX_PFN) {
        throw new ConfigError(
          `Invalid topology: node ${n.id} ends at PFN ${n.startPfn + n.pages}, past the 2^32-PFN (16 TiB) limit`,
          { code: 'PGHOT_TOPOLOGY' },
        );
      }
      for (const cpu of n.cpus) {
        const other = cpuOwner.get(cpu);
        if (other !== undefined) {
          throw new ConfigError(`Invalid topology: CPU ${cpu} is listed on node ${other} and node ${n.id}`, { code: 'PGHOT_TOPOLOGY' });
        }
        cpuOwner.set(cpu, n.id);
      }
      byId.set(n.id, n);
    }
    const sorted = [...nodes].sort((a, b) => a.startPfn - b.startPfn);
    for (let i = 1; i < sorted.length; i++) {
      const prev = sorted[i - 1]!;
      const cur = sorted[i]!;
      if (cur.startPfn < prev.startPfn + prev.pages) {
        throw new ConfigError(
          `Invalid topology: node ${cur.id} (PFN ${cur.startPfn}..${cur.startPfn + cur.pages - 1}) overlaps node ${prev.id} (PFN ${prev.startPfn}..${prev.startPfn + prev.pages - 1})`,
          { code: 'PGHOT_TOPOLOGY' },
        );
      }
    }
    this.nodes = Object.freeze(nodes);
    this.#cpuNode = new Int16Array(cpuOwner.size === 0 ? 0 : Math.max(...cpuOwner.keys()) + 1).fill(-1);
    for (const [cpu, nid] of cpuOwner) this.#cpuNode[cpu] = nid;
    this.byId = byId;
    this.topTier = Math.min(...nodes.map((n) => n.tier));
    this.endPfn = Math.max(...nodes.map((n) => n.startPfn + n.pages));
    this.nodeOnline = new Uint8Array(MAX_NUMNODES);
    this.nodeTopTier = new Uint8Array(MAX_NUMNODES);
    const top = topTierFlags(nodes);
    nodes.forEach((n, i) => {
      this.nodeOnline[n.id] = 1;
      this.nodeTopTier[n.id] = top[i] ? 1 : 0;
    });
    const ids = nodes.map((n) => n.id).sort((a, b) => a - b);
    this.lowerTierNodeIds = Object.freeze(ids.filter((id) => this.nodeTopTier[id] === 0));
    this.topTierNodeIds = Object.freeze(ids.filter((id) => this.nodeTopTier[id] === 1));

    // A section maps to a node only when the node covers all of it, so the record path needs no
    // range check; partly covered sections (node edges, holes) take the slow lookup.
    this.sectionNode = new Int16Array(Math.ceil(this.endPfn / PAGES_PER_SECTION)).fill(NO_NODE_IN_SECTION);
    for (const n of nodes) {
      const first = n.startPfn >>> SECTION_SHIFT;
      const last = (n.startPfn + n.pages - 1) >>> SECTION_SHIFT;
      for (let s = first; s <= last; s++) {
        const whole = s * PAGES_PER_SECTION >= n.startPfn && (s + 1) * PAGES_PER_SECTION <= n.startPfn + n.pages;
        this.sectionNode[s] = whole && this.sectionNode[s] === NO_NODE_IN_SECTION ? n.id : PARTIAL_SECTION;
      }
    }
  }

  node(id: number): NodeInfo | undefined {
    return this.byId.get(id);
  }

  /** The node whose PFN range holds `pfn`, or -1. `pfn` must already be a valid uint32. */
  nodeOf(pfn: number): number {
    const owner = pfn < this.endPfn ? this.sectionNode[pfn >>> SECTION_SHIFT]! : NO_NODE_IN_SECTION;
    if (owner !== PARTIAL_SECTION) return owner;
    for (const n of this.nodes) if (pfn >= n.startPfn && pfn < n.startPfn + n.pages) return n.id;
    return -1;
  }

  /** node_is_toptier(pfn_to_nid(pfn)): true when `pfn` is on a top-tier node. */
  isTopTierPfn(pfn: number): boolean {
    const nid = this.nodeOf(pfn);
    return nid >= 0 && this.nodeTopTier[nid] === 1;
  }

  /** The node of a CPU, or -1 when no node lists it. */
  nodeOfCpu(cpu: number): number {
    return cpu >= 0 && cpu < this.#cpuNode.length ? this.#cpuNode[cpu]! : -1;
  }

  /** The sections a node's PFN range touches, ascending. */
  sectionsOf(id: number): number[] {
    const n = this.byId.get(id);
    if (!n) return [];
    const out: number[] = [];
    for (let s = n.startPfn >>> SECTION_SHIFT; s <= (n.startPfn + n.pages - 1) >>> SECTION_SHIFT; s++) out.push(s);
    return out;
  }
}
