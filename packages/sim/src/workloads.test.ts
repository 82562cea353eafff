import { describe, expect, it } from 'vitest';
import { mulberry32, streamSeed } from './random.js';
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
