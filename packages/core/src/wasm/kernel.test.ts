import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MAX_NUMNODES } from '../constants.js';
import { KERNEL_BATCH } from './kernel.js';
import { RECORD_WASM } from './record-wasm.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

describe('the WebAssembly record kernel', () => {
  it('is assembled from record.wat as committed (pnpm build:wasm)', async () => {
    const script = path.join(root, 'scripts/build-wasm.mjs');
    const { assemble } = (await import(script)) as { assemble: (file: string) => string };
    expect(assemble(path.join(root, 'packages/core/src/wasm/record.wat'))).toBe(RECORD_WASM);
  });
});

describe('the record kernel layout', () => {
  it('exports fixed arrays that do not overlap, and its loads reach them by those very addresses', () => {
    const wat = readFileSync(path.join(root, 'packages/core/src/wasm/record.wat'), 'utf8');
    const global = (name: string) => Number(new RegExp(`\\(global \\(export "${name}"\\) i32 \\(i32\\.const (\\d+)\\)\\)`).exec(wat)![1]);
    const sizes: [string, number][] = [['PFN', KERNEL_BATCH * 4], ['NOW', KERNEL_BATCH * 4], ['NOW_F64', KERNEL_BATCH * 8], ['TABLE', 32 * 256], ['NODE_TOP', MAX_NUMNODES], ['ACT', MAX_NUMNODES]];
    let end = 4; // the record counter at 0
    for (const [name, bytes] of sizes) {
      expect(global(name), name).toBeGreaterThanOrEqual(end);
      end = global(name) + bytes;
    }
    expect(global('NOW_F64') % 8).toBe(0);
    expect(global('FREE')).toBe(end);
    const offsets = new Set([...wat.matchAll(/offset=(\d+)/g)].map((m) => Number(m[1])));
    expect(offsets).toEqual(new Set(sizes.map(([name]) => global(name))));
  });
});
