import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.js';
import { createPghot } from './pghot.js';
import { TOPOLOGY } from './test-fixtures.js';

describe('tunables', () => {
  it('default to the latest posting per mode', () => {
    expect(createPghot({ topology: TOPOLOGY }).tunables.toJSON()).toEqual({
      enabled_sources: 0x1,
      target_nid: 0,
      freq_threshold: 2,
      promote_freq_window_ms: 3000,
      kmigrated_sleep_ms: 100,
      kmigrated_batch_nr: 512,
      promote_rate_limit_MBps: 65536,
    });
    expect(createPghot({ topology: TOPOLOGY, mode: 'precision' }).tunables.promote_freq_window_ms).toBe(5000);
  });

  it('pick the first top-tier node as target when node 0 is not top tier', () => {
    const p = createPghot({ topology: { nodes: [{ id: 0, startPfn: 0, pages: 10, tier: 2 }, { id: 3, startPfn: 10, pages: 10, tier: 1 }] } });
    expect(p.tunables.target_nid).toBe(3);
  });

  it('write like a sysctl: an invalid value throws naming the tunable and keeps the old value', () => {
    const p = createPghot({ topology: TOPOLOGY });
    p.tunables.freq_threshold = 3;
    expect(p.tunables.freq_threshold).toBe(3);
    expect(() => (p.tunables.freq_threshold = 4)).toThrow(/Invalid value 4 for tunable freq_threshold \(default mode\): Too big: expected number to be <=3; kept 3/);
    expect(p.tunables.freq_threshold).toBe(3);
    expect(() => p.tunables.set('kmigrated_sleep_ms', 49)).toThrow(ConfigError);
    expect(() => p.tunables.set('kmigrated_batch_nr', 1025)).toThrow(/kmigrated_batch_nr/);
    expect(() => p.tunables.set('promote_freq_window_ms', 3969)).toThrow(/<=3968/);
    expect(() => p.tunables.set('target_nid', 1)).toThrow(/target_nid 1 is not an online top-tier node \(top tier: 0, 2\)/);
    expect(() => p.tunables.set('enabled_sources', 0x8)).toThrow(/has bits for no registered source \(hintfaults 0x1, hwhints 0x2, pgtscans 0x4\)/);
    expect(() => p.tunables.set('freq_threshold', 2.5)).toThrow(/expected int/);
    expect(() => p.tunables.set('nope' as never, 1)).toThrow(/Unknown tunable "nope"/);
    expect(p.tunables.toJSON()).toMatchObject({ kmigrated_sleep_ms: 100, kmigrated_batch_nr: 512, target_nid: 0, enabled_sources: 1 });
  });

  it('use the precision ranges in precision mode', () => {
    const p = createPghot({ topology: TOPOLOGY, mode: 'precision' });
    p.tunables.freq_threshold = 7;
    p.tunables.promote_freq_window_ms = 16_383;
    expect(() => (p.tunables.promote_freq_window_ms = 16_384)).toThrow(/<=16383/);
  });

  it('reject bad initial values naming tunables.<key>', () => {
    expect(() => createPghot({ topology: TOPOLOGY, tunables: { freq_threshold: 0 } })).toThrow(/tunables\.freq_threshold: /);
    expect(() => createPghot({ topology: TOPOLOGY, tunables: { bogus: 1 } as never })).toThrow(/Unrecognized key: "bogus"/);
    expect(() => createPghot({ topology: TOPOLOGY, tunables: { target_nid: 1 } })).toThrow(/tunables\.target_nid: /);
    expect(() => createPghot({ topology: TOPOLOGY, tunables: { enabled_sources: 0x10 } })).toThrow(/tunables\.enabled_sources: /);
  });

  it('accept an enabled_sources bit of a source a plugin registers', () => {
    const p = createPghot({
      topology: TOPOLOGY,
      tunables: { enabled_sources: 0x9 },
      plugins: [{ name: 'source-chmu', apply: (e) => void e.registerSource('chmu') }],
    });
    expect(p.sources().filter((s) => s.enabled).map((s) => s.name)).toEqual(['hintfaults', 'chmu']);
  });

  it('every property writes through the sysctl check, and every refusal carries PGHOT_TUNABLE', () => {
    const t = createPghot({ topology: TOPOLOGY }).tunables;
    t.target_nid = 2;
    t.enabled_sources = 0;
    t.kmigrated_sleep_ms = 200;
    t.kmigrated_batch_nr = 64;
    t.promote_rate_limit_MBps = 1;
    expect([t.get('target_nid'), t.get('enabled_sources'), t.get('kmigrated_sleep_ms'), t.get('kmigrated_batch_nr'), t.get('promote_rate_limit_MBps')]).toEqual([2, 0, 200, 64, 1]);
    const refusal = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return { code: (e as ConfigError).code, message: (e as Error).message };
      }
      return null;
    };
    expect(refusal(() => (t.kmigrated_sleep_ms = 49))).toEqual({ code: 'PGHOT_TUNABLE', message: 'Invalid value 49 for tunable kmigrated_sleep_ms (default mode): Too small: expected number to be >=50; kept 200' });
    expect(refusal(() => (t.kmigrated_batch_nr = 63))).toMatchObject({ code: 'PGHOT_TUNABLE' });
    expect(refusal(() => (t.promote_rate_limit_MBps = -1))).toMatchObject({ code: 'PGHOT_TUNABLE' });
    expect(refusal(() => t.set('target_nid', undefined as never))).toEqual({ code: 'PGHOT_TUNABLE', message: 'Invalid value undefined for tunable target_nid (default mode): a value is required; kept 2' });
    expect(refusal(() => t.set('hot_threshold_ms' as never, 1))).toEqual({
      code: 'PGHOT_TUNABLE',
      message: 'Unknown tunable "hot_threshold_ms"; tunables are enabled_sources, target_nid, freq_threshold, promote_freq_window_ms, kmigrated_sleep_ms, kmigrated_batch_nr, promote_rate_limit_MBps',
    });
    expect(refusal(() => createPghot({ topology: TOPOLOGY, tunables: { freq_threshold: 9 } }))).toEqual({
      code: 'PGHOT_TUNABLE',
      message: 'Invalid tunables (default mode): tunables.freq_threshold: Too big: expected number to be <=3',
    });
    expect(refusal(() => createPghot({ topology: TOPOLOGY, tunables: { target_nid: 1 } }))).toMatchObject({ code: 'PGHOT_TUNABLE', message: expect.stringMatching(/^Invalid tunables \(default mode\): tunables.target_nid: target_nid 1 is not an online top-tier node .*$/) });
  });
});
