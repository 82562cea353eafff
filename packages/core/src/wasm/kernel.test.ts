import fc from 'fast-check';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TOPOLOGY } from '../test-fixtures.js';
import { Topology } from '../topology.js';
import { RecordKernel } from './kernel.js';
import { RECORD_WASM } from './record-wasm.js';

describe('the WebAssembly record kernel', () => {
  it('is assembled from record.wat as committed (pnpm build:wasm)', async () => {
    const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
    const script = path.join(root, 'scripts/build-wasm.mjs');
    const { assemble } = (await import(script)) as { assemble: (file: string) => string };
    expect(assemble(path.join(root, 'packages/core/src/wasm/record.wat'))).toBe(RECORD_WASM);
  });

  it('converts Float64Array times as ToUint32 (>>> 0) does while every one is under 2^51 in size, and says when one is not', () => {
    const kernel = RecordKernel.create(new Topology(TOPOLOGY), 'default')!;
    const fast = [0, -0, 0.5, -0.5, 1, -1, 10_000.75, -5.5, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), 2 ** 31 + 0.5, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1_000, -(2 ** 32) - 7, 2 ** 40 + 123.5, 2 ** 51 - 1, -(2 ** 51) + 1, 2 ** 51 - 0.5];
    const slow = [2 ** 51, -(2 ** 51), 2 ** 53 + 2, 2 ** 70, Infinity, -Infinity, NaN];
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...fast), { minLength: 0, maxLength: 21 }),
        fc.option(fc.tuple(fc.constantFrom(...slow), fc.nat()), { nil: null }),
        (fastTimes, bad) => {
          const at = bad === null ? 0 : bad[1] % (fastTimes.length + 1);
          const times = bad === null ? fastTimes : [...fastTimes.slice(0, at), bad[0], ...fastTimes.slice(at)];
          kernel.nowF64.set(times);
          kernel.now.fill(0xdeadbeef);
          expect(kernel.convertTimes(times.length)).toBe(bad === null);
          // the stale scratch past n is neither read as a time nor overwritten
          expect(kernel.now[times.length]).toBe(0xdeadbeef);
          if (bad === null) expect([...kernel.now.subarray(0, times.length)]).toEqual(times.map((t) => t >>> 0));
        },
      ),
      { seed: 20261204, numRuns: 400 },
    );
  });
});
