import { createPghot, dryRunBackend, PGHOT_SRC } from '@pghot/core';
import { describe, expect, it } from 'vitest';
import minFreqPolicy from './index.js';

const topology = { nodes: [{ id: 0, startPfn: 0, pages: 32_768, tier: 0 }, { id: 1, startPfn: 32_768, pages: 32_768, tier: 1 }] };

describe('policy-min-freq', () => {
  it('promotes only records seen at least minFreq times', async () => {
    const backend = dryRunBackend();
    const pghot = createPghot({ topology, tunables: { freq_threshold: 1 }, plugins: [minFreqPolicy({ minFreq: 3 }), backend] });
    // page A: 3 accesses (freq 3), page B: 1 access (freq 1, ready at threshold 1)
    pghot.recordAccesses(PGHOT_SRC.hintfaults, [32_768, 32_768, 32_768, 32_769], 0, 10);
    const pass = await pghot.wakeKmigrated(1, 20);
    expect(pass).toMatchObject({ readyFolios: 2, droppedByPlugins: 1, migratedFolios: 1 });
    expect(backend.batches.map((b) => b.pfns)).toEqual([[32_768]]);
  });

  it('rejects bad options naming the plugin and the option', () => {
    expect(() => minFreqPolicy({ minFreq: 9 })).toThrow('Invalid options for plugin "policy-min-freq": minFreq: Too big: expected number to be <=7');
  });
});
