import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { markTopK } from './oracles.js';

/** The definition: sort the touched pages by accesses (most first), then index; the first k are fast. */
function sortedTopK(counts: Uint32Array, threads: number, pages: number, k: number): Uint8Array {
  const sum = Array.from({ length: pages }, (_, g) => counts.subarray(g * threads, g * threads + threads).reduce((a, b) => a + b, 0));
  const touched = sum.map((_, g) => g).filter((g) => sum[g]! > 0);
  touched.sort((a, b) => sum[b]! - sum[a]! || a - b);
  const fast = new Uint8Array(pages);
  for (const g of touched.slice(0, k)) fast[g] = 1;
  return fast;
}

describe('markTopK (the oracles\' top K without a sort)', () => {
  it('marks the pages of count 9, 7 and the first of the 5s for k = 3, ties to the lower index', () => {
    const counts = Uint32Array.from([5, 0, 9, 5, 7, 5]);
    expect([...markTopK(counts, 1, 6, 3, new Uint8Array(6), new Uint32Array(16))]).toEqual([1, 0, 1, 0, 1, 0]);
    // counts past the histogram (16) are sorted apart and come first
    const big = Uint32Array.from([20, 3, 17, 3, 40]);
    expect([...markTopK(big, 1, 5, 4, new Uint8Array(5), new Uint32Array(16))]).toEqual([1, 1, 1, 0, 1]);
  });

  it('is the sort by count then index, for any counts, threads, k and histogram size', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }),
        fc.array(fc.nat({ max: 40 }), { maxLength: 90 }),
        fc.nat({ max: 40 }),
        fc.integer({ min: 2, max: 50 }),
        (threads, raw, k, cap) => {
          const pages = Math.floor(raw.length / threads);
          const counts = Uint32Array.from(raw.slice(0, pages * threads));
          const fast = markTopK(counts, threads, pages, k, new Uint8Array(pages).fill(1), new Uint32Array(cap));
          expect([...fast]).toEqual([...sortedTopK(counts, threads, pages, k)]);
          // the same counts in lane 1 of pairs, beside other counts (the recorder's layout)
          const pairs = new Uint32Array(counts.length * 2);
          counts.forEach((c, i) => {
            pairs[2 * i] = (c * 7 + i) % 41;
            pairs[2 * i + 1] = c;
          });
          expect([...markTopK(pairs, threads, pages, k, new Uint8Array(pages), new Uint32Array(cap), 1, 2)]).toEqual([...fast]);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
