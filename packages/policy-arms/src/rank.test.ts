import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ScoreRanker } from './rank.js';

/** The order ARMS ranks pages in: score highest first, ties by page index. */
const bySort = (score: Float64Array, pages: number[]) => [...pages].sort((a, b) => score[b]! - score[a]! || a - b);

describe('ScoreRanker', () => {
  it('ranks as the comparison sort does: highest score first, equal scores in index order', () => {
    const score = Float64Array.of(0.5, 3, 0.5, 7e-300, 3, 1e300, 2 ** -1074, 0.5000000000000001);
    const ranked = new ScoreRanker().rank(score, Uint32Array.of(0, 1, 2, 3, 4, 5, 6, 7), 8);
    expect([...ranked]).toEqual([5, 1, 4, 7, 0, 2, 3, 6]);
  });

  it('matches the comparison sort on any positive scores, with many ties, over calls of growing and shrinking size', () => {
    const ranker = new ScoreRanker();
    const positive = fc.oneof(fc.double({ min: Number.MIN_VALUE, max: Number.MAX_VALUE, noNaN: true }), fc.constantFrom(0.25, 1, 1.5, 2 ** -1074));
    fc.assert(
      fc.property(fc.array(positive, { minLength: 1, maxLength: 300 }), fc.integer({ min: 0, max: 3 }), (values, stride) => {
        const score = Float64Array.from(values);
        // the touched pages: every page, or every other / third one, ascending
        const pages = values.map((_, i) => i).filter((i) => stride === 0 || i % (stride + 1) === 0);
        expect([...ranker.rank(score, Uint32Array.from(pages), pages.length)]).toEqual(bySort(score, pages));
      }),
      { seed: 20261206, numRuns: 300 },
    );
  });
});
