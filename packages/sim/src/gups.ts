import { GUPS_WASM } from './wasm/gups-wasm.js';

/** The few WebAssembly APIs used here (Node has them; the ES lib typings do not declare them). */
declare const WebAssembly: {
  Memory: new (descriptor: { initial: number }) => { readonly buffer: ArrayBuffer };
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
};

/** What a gups process draws from, besides its threads' states. */
export interface GupsShape {
  readonly pages: number;
  /** Pages in the hot range, which starts at the `base` given to each fill. */
  readonly hot: number;
  readonly hotAccessFraction: number;
  readonly writeFraction: number;
}

/** writeFraction 0 or 1: every access's write flag (the draw, in [0, 1), decides nothing: only its step is taken); else -1: drawn. */
const fixedWriteOf = (writeFraction: number): number => (writeFraction <= 0 ? 0 : writeFraction >= 1 ? 1 : -1);

/**
 * Fills `n` accesses (page, line, write flag) of one shape for a thread whose mulberry32 state is
 * `a`, the hot range at `base`; returns the new state. Per access: a draw for hot or not, one for
 * the page, one for the line, one for the write flag (only stepped when it is fixed). The stream of
 * mulberry32(a), stepped inline: twice the speed of calling it four times per access.
 */
export type GupsFill = (a: number, n: number, base: number, vpage: Int32Array, line: Uint8Array, write: Uint8Array) => number;

/** The fill of a shape in JavaScript. */
export function gupsFillJs({ pages, hot, hotAccessFraction, writeFraction }: GupsShape): GupsFill {
  const fixedWrite = fixedWriteOf(writeFraction);
  return (a, n, base, vpage, line, write) => {
    let t = 0;
    for (let i = 0; i < n; i++) {
      a = (a + 0x6d2b79f5) | 0;
      t = Math.imul(a ^ (a >>> 15), a | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      const inHot = ((t ^ (t >>> 14)) >>> 0) / 4294967296 < hotAccessFraction;
      a = (a + 0x6d2b79f5) | 0;
      t = Math.imul(a ^ (a >>> 15), a | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
      vpage[i] = inHot ? base + Math.floor(u * hot) : Math.floor(u * pages);
      a = (a + 0x6d2b79f5) | 0;
      t = Math.imul(a ^ (a >>> 15), a | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      line[i] = (t ^ (t >>> 14)) >>> 26; // floor(x / 2^32 * 64), exactly
      a = (a + 0x6d2b79f5) | 0;
      if (fixedWrite >= 0) write[i] = fixedWrite;
      else {
        t = Math.imul(a ^ (a >>> 15), a | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        write[i] = ((t ^ (t >>> 14)) >>> 0) / 4294967296 < writeFraction ? 1 : 0;
      }
    }
    return a;
  };
}

/** Accesses per call of the WebAssembly loop: what its one page of memory holds at 6 bytes each. */
const CHUNK = 8192;

type GupsFn = (
  a: number, n: number, vpage: number, line: number, write: number,
  hotBelow: number, hotAll: number, base: number, hot: number, pages: number,
  fixedWrite: number, writeBelow: number, writeAll: number,
) => number;

/** draw < f as an integer test: u32 < ceil(f × 2^32) (the product is exact: a power of two), or all of them when that is 2^32. */
const below = (f: number): [below: number, all: number] => {
  const limit = Math.ceil(f * 2 ** 32);
  return limit >= 2 ** 32 ? [0, 1] : [limit | 0, 0];
};

/** The WebAssembly loop and the chunk it draws into, in its own memory. */
interface GupsKernel {
  gups: GupsFn;
  vpages: Int32Array;
  lines: Uint8Array;
  writes: Uint8Array;
}

function createGupsKernel(): GupsKernel | null {
  if (typeof WebAssembly === 'undefined') return null;
  const memory = new WebAssembly.Memory({ initial: 1 });
  const gups = new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(GUPS_WASM, 'base64')), { env: { memory } }).exports.gups as GupsFn;
  return { gups, vpages: new Int32Array(memory.buffer, 0, CHUNK), lines: new Uint8Array(memory.buffer, 4 * CHUNK, CHUNK), writes: new Uint8Array(memory.buffer, 5 * CHUNK, CHUNK) };
}

let kernel: GupsKernel | null | undefined;

/**
 * The fill of a shape in WebAssembly (gups.wat, SIMD), the same bytes: it draws into the kernel's
 * memory, chunk by chunk, and the accesses are copied out. The kernel is made on first use and
 * shared (a fill runs to its end before another starts). Null without WebAssembly.
 */
export function gupsFillWasm({ pages, hot, hotAccessFraction, writeFraction }: GupsShape): GupsFill | null {
  kernel ??= createGupsKernel();
  if (kernel === null) return null;
  const { gups, vpages, lines, writes } = kernel;
  const fixedWrite = fixedWriteOf(writeFraction);
  const [hotBelow, hotAll] = below(hotAccessFraction);
  const [writeBelow, writeAll] = below(writeFraction);
  // views of the chunk's first k accesses (at first the whole chunk), made again only when k
  // changes (the simulator's batches are all one size): no allocation per batch
  let viewsOf = CHUNK;
  let [vpageView, lineView, writeView] = [vpages, lines, writes];
  return (a, n, base, vpage, line, write) => {
    for (let at = 0; at < n; at += CHUNK) {
      const k = Math.min(CHUNK, n - at);
      a = gups(a, k, 0, 4 * CHUNK, 5 * CHUNK, hotBelow, hotAll, base, hot, pages, fixedWrite, writeBelow, writeAll);
      if (k !== viewsOf) [viewsOf, vpageView, lineView, writeView] = [k, vpages.subarray(0, k), lines.subarray(0, k), writes.subarray(0, k)];
      vpage.set(vpageView, at);
      line.set(lineView, at);
      write.set(writeView, at);
    }
    return a;
  };
}
