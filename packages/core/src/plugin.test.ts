import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { PGHOT_SRC } from './constants.js';
import { ConfigError, PghotError } from './errors.js';
import { Stage } from './hooks.js';
import { definePlugin, definePolicy, defineSource, parsePluginOptions, type PghotPlugin } from './plugin.js';
import { createPghot } from './pghot.js';
import { CXL_START, TOPOLOGY } from './test-fixtures.js';
import { CORE_VERSION } from './version.js';
import pkg from '../package.json' with { type: 'json' };

const engine = (plugins: PghotPlugin[]) => createPghot({ topology: TOPOLOGY, plugins });

describe('plugins and hooks', () => {
  it('keeps CORE_VERSION equal to package.json', () => {
    expect(CORE_VERSION).toBe(pkg.version);
  });

  it('runs taps by stage, then registration order; enforce gives a plugin default stage', () => {
    const order: string[] = [];
    const tapper = (name: string, stage?: number, enforce?: 'pre' | 'post') =>
      definePlugin({
        name,
        ...(enforce ? { enforce } : {}),
        apply(e) {
          e.hooks.pagesHot.tap(stage === undefined ? name : { name, stage }, () => void order.push(name));
        },
      });
    const p = engine([tapper('late', Stage.REPORT), tapper('post', undefined, 'post'), tapper('a'), tapper('pre', undefined, 'pre'), tapper('b'), tapper('filter', Stage.FILTER)]);
    p.recordAccesses(PGHOT_SRC.hintfaults, [CXL_START, CXL_START], 0, 10);
    expect(order).toEqual(['filter', 'pre', 'a', 'b', 'post', 'late']);
  });

  it('re-throws an error from a tap naming the plugin and the hook, with the cause', async () => {
    const boom = new Error('boom');
    const p = engine([
      definePolicy({ name: 'policy-broken', apply: (e) => e.hooks.pagesHot.tap('policy-broken', () => { throw boom; }) }),
      defineSource({ name: 'source-broken', apply: (e) => e.hooks.init.tapPromise('source-broken', async () => { throw boom; }) }),
    ]);
    let caught: unknown;
    try {
      p.recordAccesses(PGHOT_SRC.hintfaults, [CXL_START, CXL_START], 0, 10);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(PghotError);
    expect((caught as PghotError).message).toBe('plugin "policy-broken" failed in hook "pagesHot": boom');
    expect((caught as PghotError).cause).toBe(boom);
    await expect(p.init()).rejects.toThrow('plugin "source-broken" failed in hook "init": boom');
  });

  it('freezes the hooks object', () => {
    const p = engine([]);
    expect(Object.isFrozen(p.hooks)).toBe(true);
    expect(() => {
      (p.hooks as { tick: unknown }).tick = null;
    }).toThrow(TypeError);
  });

  it('checks core ranges, dependencies and duplicate names before applying anything', () => {
    let applied = 0;
    const ok = definePlugin({ name: 'ok', apply: () => void applied++ });
    expect(() => engine([ok, definePlugin({ name: 'future', core: '^2.0.0', apply: () => {} })])).toThrow(
      `plugin "future" requires @pghot/core ^2.0.0, but @pghot/core is ${CORE_VERSION}`,
    );
    expect(() => engine([ok, definePlugin({ name: 'needy', dependsOn: ['policy-x'], apply: () => {} })])).toThrow(
      'plugin "needy" depends on plugin "policy-x", which is not loaded; add "policy-x" to plugins',
    );
    expect(() => engine([ok, ok])).toThrow('plugin "ok" is loaded twice');
    expect(() => engine([(() => ok) as unknown as PghotPlugin])).toThrow(/did you forget to call the factory/);
    expect(applied).toBe(0);
    engine([ok, definePlugin({ name: 'fits', core: '>=0.1.0 <1.0.0', dependsOn: ['ok'], apply: () => {} })]);
    expect(applied).toBe(1);
  });

  it('validates plugin options with any Standard Schema, naming the plugin and each option path', () => {
    const schema = z.strictObject({ scanPeriodMs: z.int().min(1).default(500), ring: z.object({ size: z.int().max(4096) }).optional() });
    expect(parsePluginOptions('source-x', schema, undefined)).toEqual({ scanPeriodMs: 500 });
    let error: unknown;
    try {
      parsePluginOptions('source-x', schema, { scanPeriodMs: 0, ring: { size: 5000 }, extra: 1 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('PGHOT_PLUGIN_OPTIONS');
    expect((error as Error).message).toBe(
      'Invalid options for plugin "source-x": scanPeriodMs: Too small: expected number to be >=1; ring.size: Too big: expected number to be <=4096; Unrecognized key: "extra"',
    );
  });
});
