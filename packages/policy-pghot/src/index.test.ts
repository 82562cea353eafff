import { createPghot } from '@pghot/core';
import { describe, expect, it } from 'vitest';
import pghotPolicy from './index.js';

const topology = { nodes: [{ id: 0, startPfn: 0, pages: 32_768, tier: 0 }, { id: 1, startPfn: 32_768, pages: 32_768, tier: 1 }] };

describe('policy-pghot', () => {
  it('sets the tunables it is given, in the mode ranges', () => {
    const p = createPghot({ topology, mode: 'precision', plugins: [pghotPolicy({ freqThreshold: 5, promoteFreqWindowMs: 8000 })] });
    expect(p.tunables.toJSON()).toMatchObject({ freq_threshold: 5, promote_freq_window_ms: 8000 });
    expect(() => createPghot({ topology, plugins: [pghotPolicy({ freqThreshold: 5 })] })).toThrow(/tunable freq_threshold \(default mode\): Too big: expected number to be <=3/);
  });

  it('rejects bad options naming the plugin and the option', () => {
    expect(() => pghotPolicy({ freqThreshold: 1.5 })).toThrow('Invalid options for plugin "policy-pghot": freqThreshold: Invalid input: expected int, received number');
  });
});
