import { describe, expect, it } from 'vitest';
import { dryRunBackend } from './dry-run.js';
import { createPghot } from './pghot.js';
import { defineSource } from './plugin.js';
import { CAPABILITIES, createPlatformHooks, noPlatform, TaskPageIndex, type Platform, type WalkBatch } from './platform.js';
import { TOPOLOGY } from './test-fixtures.js';

/** Two tasks (3 and 2 pages) over a hand-written page table; PFN 100 + k maps task/page k in order. */
function tinyPlatform(capabilities = CAPABILITIES): Platform & { pte: number[][] } {
  const pte = [
    [100, 101, -1],
    [103, 104],
  ];
  return {
    ...noPlatform(),
    name: 'tiny',
    capabilities,
    hooks: createPlatformHooks(),
    pte,
    tasks: () => [
      { id: 7, name: 'a', pages: 3 },
      { id: 9, name: 'b', pages: 2 },
    ],
    walk(task: number, start: number, count: number, out: WalkBatch) {
      const t = pte[task === 7 ? 0 : 1]!;
      for (let i = 0; i < count; i++) out.pfn[i] = out.head[i] = t[start + i]!;
    },
    rmap(pfns: Float64Array, n: number, outTask: Int32Array, outPage: Float64Array) {
      for (let i = 0; i < n; i++) {
        const ti = pte.findIndex((t) => t.includes(pfns[i]!));
        outTask[i] = ti < 0 ? -1 : [7, 9][ti]!;
        outPage[i] = ti < 0 ? -1 : pte[ti]!.indexOf(pfns[i]!);
      }
    },
  };
}

describe('the platform contract', () => {
  it('an engine without a platform has one that offers nothing', () => {
    const engine = createPghot({ topology: TOPOLOGY, plugins: [dryRunBackend()] });
    expect(engine.platform.name).toBe('none');
    expect(engine.platform.capabilities).toEqual([]);
    expect(engine.memory).toBeNull();
    expect(() => engine.platform.walk(0, 0, 1, { pfn: new Float64Array(1), head: new Float64Array(1) })).toThrow('the engine has no platform: walk is not available');
  });

  it('refuses at load time a plugin requiring what the platform lacks, naming both', () => {
    const needy = defineSource({ name: 'source-needy', requires: ['tasks', 'hwSamples', 'protnone'], apply() {} });
    expect(() => createPghot({ topology: TOPOLOGY, platform: tinyPlatform(['tasks']), plugins: [needy] })).toThrow(
      'plugin "source-needy" requires hwSamples, protnone, which the platform "tiny" does not offer (it offers: tasks)',
    );
    expect(createPghot({ topology: TOPOLOGY, platform: tinyPlatform(), plugins: [needy] }).platform.name).toBe('tiny');
  });

  it('TaskPageIndex numbers the tasks\' pages end to end, maps PFNs in through rmap and back through walk', () => {
    const platform = tinyPlatform();
    const index = new TaskPageIndex(platform);
    expect(index.size).toBe(5);
    const out = new Float64Array(4);
    index.ofPfns(Float64Array.of(104, 100, 555, 101), 4, out);
    expect(Array.from(out)).toEqual([4, 0, -1, 1]);
    expect([0, 1, 2, 3, 4, 5].map((g) => index.pfnOf(g))).toEqual([100, 101, -1, 103, 104, -1]);
    // a page keeps its index when it moves: the walk follows the page table
    platform.pte[1]![1] = 7;
    expect(index.pfnOf(4)).toBe(7);
    const all = new Float64Array(5);
    index.snapshot(all);
    expect(Array.from(all)).toEqual([100, 101, -1, 103, 7]);
  });

  it('engine.every runs on the first tick at or after each due time', async () => {
    const engine = createPghot({ topology: TOPOLOGY, plugins: [dryRunBackend()] });
    const runs: number[] = [];
    const first: number[] = [];
    engine.every('timer', 3, (now) => void runs.push(now));
    engine.every('timer-now', 3, (now) => void first.push(now), 0);
    for (const now of [1, 2, 3, 4, 5, 7, 8, 9, 10, 11]) await engine.advance(now);
    expect(runs).toEqual([3, 7, 10]);
    expect(first).toEqual([1, 4, 7, 10]);
  });
});
