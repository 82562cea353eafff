import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gupsFillJs, gupsFillWasm, type GupsFill, type GupsShape } from './gups.js';
import { mulberry32, streamSeed } from './random.js';
import { GUPS_WASM } from './wasm/gups-wasm.js';
import { createWorkload } from './workloads.js';

describe('gups-hotset', () => {
  it.each([0.25, 0, 1])('draws, per thread, the stream of mulberry32(streamSeed(seed, thread)): hot or not, page, line, write (writeFraction %s)', (writeFraction) => {
    const params = { footprintMiB: 4, accessesPerThread: 5000, threads: 3, hotFraction: 0.1, hotAccessFraction: 0.9, writeFraction };
    const seed = 42;
    const [proc] = createWorkload('gups-hotset', params, seed).processes;
    const pages = 4 * 256;
    const hot = Math.floor(pages * 0.1);
    const [vpage, line, write] = [new Int32Array(700), new Uint8Array(700), new Uint8Array(700)];
    const rngs = [0, 1, 2].map((t) => mulberry32(streamSeed(seed, t)));
    let checked = 0;
    // threads interleaved, batches of uneven length: each thread's stream continues where it stopped
    for (let round = 0; round < 8; round++) {
      for (const t of [2, 0, 1]) {
        const n = proc!.fill(t, 0, vpage, line, write);
        const r = rngs[t]!;
        for (let i = 0; i < n; i++) {
          const want = r() < 0.9 ? Math.floor(r() * hot) : Math.floor(r() * pages);
          expect([vpage[i], line[i], write[i]]).toEqual([want, Math.floor(r() * 64), r() < writeFraction ? 1 : 0]);
          checked++;
        }
      }
    }
    expect(checked).toBe(3 * 5000);
  });
});

describe('the gups fill, in JavaScript and in WebAssembly', () => {
  const fills: [string, (shape: GupsShape) => GupsFill][] = [
    ['JavaScript', gupsFillJs],
    ['WebAssembly', (shape) => gupsFillWasm(shape)!],
  ];

  it('is assembled from gups.wat as committed (pnpm build:wasm)', async () => {
    const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
    const { assemble } = (await import(path.join(root, 'scripts/build-wasm.mjs'))) as { assemble: (file: string) => string };
    expect(assemble(path.join(root, 'packages/sim/src/wasm/gups.wat'))).toBe(GUPS_WASM);
  });

  it.each(fills.flatMap(([name, fill]) => [0.25, 0, 1].map((w) => [name, w, fill] as const)))(
    '%s: the stream of mulberry32 from the state, past a hot range at a base, in one call longer than a chunk (writeFraction %s)',
    (_name, writeFraction, fill) => {
      const shape = { pages: 5000, hot: 700, hotAccessFraction: 0.8, writeFraction };
      const n = 20_001; // two chunks of 8,192 and a part
      const [vpage, line, write] = [new Int32Array(n), new Uint8Array(n), new Uint8Array(n)];
      const state = fill(shape)(7, n, 2100, vpage, line, write);
      const r = mulberry32(7);
      for (let i = 0; i < n; i++) {
        const want = r() < 0.8 ? 2100 + Math.floor(r() * 700) : Math.floor(r() * 5000);
        expect([vpage[i], line[i], write[i]]).toEqual([want, Math.floor(r() * 64), r() < writeFraction ? 1 : 0]);
      }
      // the state returned continues the stream
      const next = mulberry32(state);
      expect(next()).toBe(r());
    },
  );

  it('gives the same bytes and state in both for any shape, base and state', () => {
    const [js, wasm] = [fills[0]![1], fills[1]![1]];
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
        fc.integer({ min: 0, max: 9000 }),
        (pages, hotFraction, hotAccessFraction, writeFraction, a, n) => {
          const hot = Math.max(1, Math.floor(pages * hotFraction));
          const shape = { pages, hot, hotAccessFraction, writeFraction };
          const base = (Math.floor(pages / hot) - 1) * hot; // the last phase's range
          const out = () => [new Int32Array(n), new Uint8Array(n), new Uint8Array(n)] as const;
          const [x, y] = [out(), out()];
          expect(wasm(shape)(a, n, base, ...y)).toBe(js(shape)(a, n, base, ...x));
          expect(y).toEqual(x);
        },
      ),
      { numRuns: 150 },
    );
  });
});
