import { REPLAY_WASM } from './wasm/replay-wasm.js';

/** The few WebAssembly APIs used here (Node has them; the ES lib typings do not declare them). */
declare const WebAssembly: {
  Memory: new (descriptor: { initial: number }) => { readonly buffer: ArrayBuffer };
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
};

type TypedArray = Int8Array | Uint8Array | Int32Array | Uint32Array | Float64Array;
export interface TypedArrayClass<T extends TypedArray> {
  new (length: number): T;
  new (buffer: ArrayBuffer, byteOffset: number, length: number): T;
  readonly BYTES_PER_ELEMENT: number;
}
/** Makes the simulator's per-page arrays: in the kernel's memory when they fit, else on the heap. */
export type Alloc = <T extends TypedArray>(type: TypedArrayClass<T>, length: number) => T;
export const heapAlloc: Alloc = (type, length) => new type(length);

type ReplayFn = (
  i: number, len: number, t: number, until: number, cpuNs: number,
  vpages: number, pte: number, flags: number, headPlus1: number, accessed: number,
  nodeOfSection: number, sectionShift: number, latency: number, top: number,
  counts: number, threads: number, tid: number, base: number, headIsPfn: number,
  vcur: number, vshift: number, pcur: number, prow: number, pshift: number,
  hmuLeft: number, hmuCounts: number, unitShift: number, factor: number, out: number,
) => number;

/** What one replay call did: the clock, its fast, slow and total accesses, and the hotness monitor's device and counted ones. */
export interface ReplayCounts {
  t: number;
  fast: number;
  slow: number;
  done: number;
  device: number;
  counted: number;
}

/** The arrays a thread's replay reads and writes; each must be in the kernel's memory. */
export interface ReplayArrays {
  vpages: Int32Array;
  pte: Int32Array;
  flags: Uint8Array;
  headPlus1: Int32Array;
  accessed: Uint8Array;
  nodeOfSection: Int8Array;
  /** The thread's row of the latency matrix. */
  latency: Float64Array;
  /** 1 for a top-tier node, else 0, by node index (the kernel adds it to its fast count). */
  top: Uint8Array;
  /** The oracle counts: total and interval side by side, at 2 (g * threads + tid). */
  counts: Uint32Array;
  vcur: Uint32Array;
  pcur: Uint32Array;
  prow: Uint8Array;
  /** The hotness monitor, when one is attached: its countdown per node index, counts per unit (2^unitShift pages) and downsampling factor. */
  hmu: { left: Int32Array; counts: Uint32Array; unitShift: number; factor: number } | null;
}

/** The numbers a thread's replay needs besides its arrays. */
export interface ReplayParams {
  cpuNs: number;
  sectionShift: number;
  /** Threads of the simulation, and this one's id: the oracle counts are at g * threads + tid. */
  threads: number;
  tid: number;
  /** Global index of the thread's address space's first page. */
  base: number;
  vshift: number;
  pshift: number;
  /** No THP: every folio is one page, its head the PFN itself, so the kernel skips headPlus1. */
  headIsPfn: boolean;
}

export type BoundReplay = (i: number, len: number, t: number, until: number, counts: ReplayCounts) => number;

/** Largest memory a module can have (wasm32: 4 GiB), less a page. */
const MAX_BYTES = 2 ** 32 - 65_536;
const OUT_BYTES = 64;

/**
 * The replay loop in WebAssembly (replay.wat), and the memory it works on: the simulator's per-page
 * arrays (page tables, folio heads, Accessed bytes, oracle counts, heatmap cells) are carved from it
 * once, at their full size, and used as typed arrays by everything else. The memory never grows, so
 * the views stay valid; the OS commits its pages only as they are touched, as for heap arrays.
 */
export class ReplayKernel {
  readonly #buffer: ArrayBuffer;
  readonly #replay: ReplayFn;
  readonly #out: Float64Array;
  readonly #outCounts: Int32Array;
  #next = OUT_BYTES;

  /** A kernel with room for `bytes` of arrays, or null when WebAssembly is missing or they would not fit. */
  static create(bytes: number): ReplayKernel | null {
    if (typeof WebAssembly === 'undefined' || OUT_BYTES + bytes > MAX_BYTES) return null;
    return new ReplayKernel(OUT_BYTES + bytes);
  }

  private constructor(bytes: number) {
    const memory = new WebAssembly.Memory({ initial: Math.ceil(bytes / 65_536) });
    const instance = new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(REPLAY_WASM, 'base64')), { env: { memory } });
    this.#buffer = memory.buffer;
    this.#replay = instance.exports.replay as ReplayFn;
    this.#out = new Float64Array(this.#buffer, 0, 1);
    this.#outCounts = new Int32Array(this.#buffer, 8, 5);
  }

  /** An array in the kernel's memory, or on the heap once the memory is used up. */
  readonly alloc: Alloc = (type, length) => {
    const at = Math.ceil(this.#next / 8) * 8;
    const end = at + length * type.BYTES_PER_ELEMENT;
    if (end > this.#buffer.byteLength) return new type(length);
    this.#next = end;
    return new type(this.#buffer, at, length);
  };

  /**
   * The replay of one thread over `a`, or null unless every array is in the kernel's memory: it runs
   * accesses i.. of `a.vpages` until `len`, the clock reaching `until`, or an access it leaves to
   * JavaScript, and returns the index it stopped at, with the clock and counts in `counts`.
   */
  bind(a: ReplayArrays, p: ReplayParams): BoundReplay | null {
    const arrays = [a.vpages, a.pte, a.flags, a.headPlus1, a.accessed, a.nodeOfSection, a.latency, a.top, a.counts, a.vcur, a.pcur, a.prow];
    if (a.hmu) arrays.push(a.hmu.left, a.hmu.counts);
    if (!arrays.every((x) => x.buffer === this.#buffer)) return null;
    const replay = this.#replay;
    const out = this.#out;
    const outCounts = this.#outCounts;
    const [vpages, pte, flags, headPlus1, accessed, nodeOfSection, latency, top, oracleCounts, vcur, pcur, prow] = arrays.map((x) => x.byteOffset) as [
      number, number, number, number, number, number, number, number, number, number, number, number,
    ];
    // no monitor: offset 0 (the kernel's out area, never an array) tells the kernel so
    const hmuLeft = a.hmu?.left.byteOffset ?? 0;
    const hmuCounts = a.hmu?.counts.byteOffset ?? 0;
    const unitShift = a.hmu?.unitShift ?? 0;
    const factor = a.hmu?.factor ?? 0;
    const { cpuNs, sectionShift, threads, tid, base, vshift, pshift } = p;
    const headIsPfn = p.headIsPfn ? 1 : 0;
    return (i, len, t, until, counts) => {
      const stop = replay(
        i, len, t, until, cpuNs, vpages, pte, flags, headPlus1, accessed, nodeOfSection, sectionShift, latency, top,
        oracleCounts, threads, tid, base, headIsPfn, vcur, vshift, pcur, prow, pshift, hmuLeft, hmuCounts, unitShift, factor, 0,
      );
      counts.t = out[0]!;
      counts.fast = outCounts[0]!;
      counts.slow = outCounts[1]!;
      counts.done = outCounts[2]!;
      counts.device = outCounts[3]!;
      counts.counted = outCounts[4]!;
      return stop;
    };
  }
}
