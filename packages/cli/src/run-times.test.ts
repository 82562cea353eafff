import { lstatSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync, mkdirSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { longestFirst, RunTimes } from './commands/run-times.js';

const cacheDir = () => mkdtempSync(path.join(tmpdir(), 'pghot-cache-'));

describe('run times', () => {
  it('orders runs never timed first, as given, then the rest longest first, ties as given', () => {
    const ms: Record<string, number | undefined> = { a: 10, b: undefined, c: 30, d: 10, e: undefined, f: 20 };
    expect(longestFirst(Object.keys(ms), (k) => ms[k])).toEqual(['b', 'e', 'c', 'f', 'a', 'd']);
    expect(longestFirst([], () => 1)).toEqual([]);
  });

  it('keeps each run\'s time in $XDG_CACHE_HOME/pghot/run-times.json, the mean with the time before', () => {
    const xdg = cacheDir();
    const times = RunTimes.open({ XDG_CACHE_HOME: xdg });
    const key = RunTimes.keyOf({ scenario: { seed: 1 }, config: null });
    expect(key).toMatch(/^[0-9a-f]{24}$/);
    expect(RunTimes.keyOf({ scenario: { seed: 2 }, config: null })).not.toBe(key);
    expect(times.get(key)).toBeUndefined();
    times.set(key, 1000.4);
    times.save();
    expect(JSON.parse(readFileSync(path.join(xdg, 'pghot', 'run-times.json'), 'utf8'))).toEqual({ ms: { [key]: 1000 } });
    const again = RunTimes.open({ XDG_CACHE_HOME: xdg, HOME: '/nonexistent' });
    expect(again.get(key)).toBe(1000);
    again.set(key, 3000);
    expect(again.get(key)).toBe(2000);
    // ~/.cache without XDG_CACHE_HOME
    const home = cacheDir();
    const fromHome = RunTimes.open({ HOME: home });
    fromHome.set(key, 5);
    fromHome.save();
    expect(readdirSync(path.join(home, '.cache', 'pghot'))).toEqual(['run-times.json']);
  });

  it('remembers the newest 2000 runs, and starts afresh from a file it cannot read', () => {
    const xdg = cacheDir();
    const times = RunTimes.open({ XDG_CACHE_HOME: xdg });
    for (let i = 0; i <= 2000; i++) times.set(`k${i}`, i);
    times.save();
    const kept = RunTimes.open({ XDG_CACHE_HOME: xdg });
    expect([kept.get('k0'), kept.get('k1'), kept.get('k2000')]).toEqual([undefined, 1, 2000]);
    writeFileSync(path.join(xdg, 'pghot', 'run-times.json'), '{"ms": {"k1": "slow", "k2": -1, "k3": 7}');
    expect(RunTimes.open({ XDG_CACHE_HOME: xdg }).get('k3')).toBeUndefined(); // not JSON: nothing
    writeFileSync(path.join(xdg, 'pghot', 'run-times.json'), '{"ms": {"k1": "slow", "k2": -1, "k3": 7}}');
    const partial = RunTimes.open({ XDG_CACHE_HOME: xdg });
    expect([partial.get('k1'), partial.get('k2'), partial.get('k3')]).toEqual([undefined, undefined, 7]);
  });

  it('keeps nothing without a cache directory, and never writes through a symlink', () => {
    const none = RunTimes.open({});
    none.set('k', 1);
    none.save();
    expect(none.get('k')).toBe(1); // for this process only
    const xdg = cacheDir();
    mkdirSync(path.join(xdg, 'pghot'));
    const target = path.join(xdg, 'elsewhere.json');
    writeFileSync(target, 'keep me');
    symlinkSync(target, path.join(xdg, 'pghot', 'run-times.json'));
    const times = RunTimes.open({ XDG_CACHE_HOME: xdg });
    times.set('k', 1);
    times.save();
    expect(readFileSync(target, 'utf8')).toBe('keep me');
    expect(lstatSync(path.join(xdg, 'pghot', 'run-times.json')).isSymbolicLink()).toBe(false);
  });
});
