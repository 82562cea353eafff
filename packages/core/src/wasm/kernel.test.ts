import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RECORD_WASM } from './record-wasm.js';

describe('the WebAssembly record kernel', () => {
  it('is assembled from record.wat as committed (pnpm build:wasm)', async () => {
    const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
    const script = path.join(root, 'scripts/build-wasm.mjs');
    const { assemble } = (await import(script)) as { assemble: (file: string) => string };
    expect(assemble(path.join(root, 'packages/core/src/wasm/record.wat'))).toBe(RECORD_WASM);
  });
});
