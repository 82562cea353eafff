import { MAX_NUMNODES, PAGES_PER_SECTION } from '../constants.js';
import type { Topology } from '../topology.js';
import type { PghotMode } from '../tunables.js';
import { RECORD_WASM } from './record-wasm.js';

/** Accesses per kernel call: the engine copies a batch's PFNs and times into the scratch arrays in chunks of this. */
export const KERNEL_BATCH = 4096;
/**
 * Largest store the kernel takes (lower-tier pages × record size + tables): what 32-bit addresses
 * reach, less the page the module starts with (a precision store of 1 TiB of lower tier is 1 GiB).
 * Beyond it the engine stays in JavaScript.
 */
const MAX_MEMORY = 2 ** 32 - 65_536;

/** The few WebAssembly APIs used here (Node has them; the ES lib typings do not declare them). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
};

type RecordFn = (
  i: number, count: number, nid: number, end: number, secNode: number, secOff: number, hot: number, fast: number, f64: number,
) => number;
type Record32Fn = (
  i: number, count: number, nidCmp: number, nidStore: number, end: number, window: number, threshold: number, sticky: number,
  secNode: number, secOff: number, hot: number, fast: number, f64: number,
) => number;
/** The fixed addresses record.wat exports as globals (its loops reach these arrays by constant offsets). */
const LAYOUT = ['PFN', 'NOW', 'NOW_F64', 'TABLE', 'NODE_TOP', 'ACT', 'FREE'] as const;
type Layout = Record<(typeof LAYOUT)[number], number>;

function layoutOf(exports: Record<string, unknown>): Layout {
  return Object.fromEntries(LAYOUT.map((name) => [name, (exports[name] as { value: number }).value])) as Layout;
}

/**
 * The record loops in WebAssembly (record.wat), with the store they work on: the records of every
 * lower-tier section, the section hot flags, the activate flags and the default-mode update table
 * live in the module's memory and the engine uses views of them. The memory is reserved once (the
 * OS commits pages as they are touched); section slots are handed out on first use, as the
 * JavaScript store does.
 */
export class RecordKernel {
  /** Bytes per record: 1 (default mode) or 4 (precision). */
  readonly bytesPerRecord: 1 | 4;
  readonly sectionHot: Uint8Array;
  readonly activate: Uint8Array;
  readonly table: Uint8Array;
  readonly pfn: Uint32Array;
  readonly now: Uint32Array;
  /** Times sent as a Float64Array, copied as they are (a same-type copy is a memcpy): the record loops convert each as they read it. */
  readonly nowF64: Float64Array;
  readonly #memory: WasmMemory;
  readonly #record: RecordFn;
  readonly #record32: Record32Fn;
  readonly #counter: Int32Array;
  readonly #sectionOff: Uint32Array;
  readonly #sectionFast: Uint32Array;
  readonly #addr: Readonly<Record<'secNode' | 'secOff' | 'hot' | 'fast', number>>;
  readonly #end: number;
  readonly #topology: Topology;
  #nextSlot: number;

  /** A kernel for this topology, or null when WebAssembly is missing or the store would not fit. */
  static create(topology: Topology, mode: PghotMode): RecordKernel | null {
    if (typeof WebAssembly === 'undefined') return null;
    const bytesPerRecord = mode === 'precision' ? 4 : 1;
    const sections = topology.sectionNode.length;
    let lowerSections = 0;
    for (const nid of topology.lowerTierNodeIds) lowerSections += topology.sectionsOf(nid).length;
    const instance = new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(RECORD_WASM, 'base64')), {});
    const layout = layoutOf(instance.exports);
    const tables = layout.FREE + sections * 11 + 8;
    const total = Math.ceil(tables / 4096) * 4096 + lowerSections * PAGES_PER_SECTION * bytesPerRecord;
    if (total > MAX_MEMORY) return null;
    try {
      // once: views made from its buffer stay valid
      (instance.exports.memory as WasmMemory).grow(Math.ceil(total / 65_536));
    } catch {
      return null; // the address space or a memory limit refused it: the JavaScript store does without
    }
    return new RecordKernel(topology, bytesPerRecord, instance.exports, layout);
  }

  private constructor(topology: Topology, bytesPerRecord: 1 | 4, exports: Record<string, unknown>, fixed: Layout) {
    this.bytesPerRecord = bytesPerRecord;
    this.#memory = exports.memory as WasmMemory;
    this.#record = exports.record as RecordFn;
    this.#record32 = exports.record32 as Record32Fn;
    const sections = topology.sectionNode.length;
    let at = fixed.FREE;
    const take = (bytes: number) => {
      const a = Math.ceil(at / 4) * 4;
      at = a + bytes;
      return a;
    };
    this.#addr = { secNode: take(sections * 2), secOff: take(sections * 4), hot: take(sections), fast: take(sections * 4) };
    this.#nextSlot = Math.ceil(at / 4096) * 4096;
    const buf = this.#memory.buffer;
    this.#counter = new Int32Array(buf, 0, 1);
    this.pfn = new Uint32Array(buf, fixed.PFN, KERNEL_BATCH);
    this.now = new Uint32Array(buf, fixed.NOW, KERNEL_BATCH);
    this.nowF64 = new Float64Array(buf, fixed.NOW_F64, KERNEL_BATCH);
    this.table = new Uint8Array(buf, fixed.TABLE, 8192);
    new Int16Array(buf, this.#addr.secNode, sections).set(topology.sectionNode);
    this.#sectionOff = new Uint32Array(buf, this.#addr.secOff, sections);
    new Uint8Array(buf, fixed.NODE_TOP, MAX_NUMNODES).set(topology.nodeTopTier);
    this.sectionHot = new Uint8Array(buf, this.#addr.hot, sections);
    this.activate = new Uint8Array(buf, fixed.ACT, MAX_NUMNODES);
    this.#sectionFast = new Uint32Array(buf, this.#addr.fast, sections);
    this.#end = topology.endPfn;
    this.#topology = topology;
  }

  /** A section's default-mode records, in the module's memory (first use: the next free slot). */
  allocSection8(sec: number): Uint8Array {
    return new Uint8Array(this.#memory.buffer, this.#slot(sec), PAGES_PER_SECTION);
  }

  /** A section's precision-mode records, in the module's memory. */
  allocSection32(sec: number): Uint32Array {
    return new Uint32Array(this.#memory.buffer, this.#slot(sec), PAGES_PER_SECTION);
  }

  #slot(sec: number): number {
    const off = this.#nextSlot;
    this.#nextSlot += PAGES_PER_SECTION * this.bytesPerRecord;
    this.#sectionOff[sec] = off;
    // a section wholly of one lower-tier node (every section with records is lower tier) takes the fast path
    if (this.#topology.sectionNode[sec]! >= 0) this.#sectionFast[sec] = off;
    return off;
  }

  /**
   * Record accesses i..count-1 of the scratch arrays for accessing node `nid`, the times from `now`
   * or, when `f64`, from `nowF64`; returns the index of the first access it left to the caller (or
   * count), adding what it recorded to `recorded`.
   */
  run(i: number, count: number, nid: number, f64: boolean): number {
    const a = this.#addr;
    return this.#record(i, count, nid, this.#end, a.secNode, a.secOff, a.hot, this.#fastFor(nid), f64 ? 1 : 0);
  }

  /** Precision mode: `nid` for the local check, `nidStore` (NUMA_NO_NODE resolved) for the record. */
  run32(i: number, count: number, nid: number, nidStore: number, windowMs: number, threshold: number, sticky: boolean, f64: boolean): number {
    const a = this.#addr;
    return this.#record32(i, count, nid, nidStore, this.#end, windowMs, threshold, sticky ? 1 : 0, a.secNode, a.secOff, a.hot, this.#fastFor(nid), f64 ? 1 : 0);
  }

  /** The fast-path table for accesses from `nid`: none when `nid` is a lower-tier node (its own pages are local, not recorded). */
  #fastFor(nid: number): number {
    return this.#topology.lowerTierNodeIds.includes(nid) ? 0 : this.#addr.fast;
  }

  /** Records the kernel wrote since the last reset. */
  takeRecorded(): number {
    const n = this.#counter[0]!;
    this.#counter[0] = 0;
    return n;
  }
}
