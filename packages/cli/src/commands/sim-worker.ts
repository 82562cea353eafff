// A worker thread of runGroupsOnWorkers: one simulation per task.
import { ConfigError, PghotError } from '@pghot/core';
import { loadConfig } from '@pghot/core/config';
import { buildMachine, runBaseline, runSimulation, summarizeBaseline } from '@pghot/sim';
import { CLI_FILE, configFromFile, configFromName, NO_PROMOTION, resolveSources, simConfigShape, simOptions, type ConfigUnderTest } from './simulate.js';
import type { SimTask, SimTaskResult } from './workers.js';

/** The configuration again from its recipe, as the main thread built it (which already checked it and warned). */
async function rebuild(recipe: NonNullable<SimTask['config']>['recipe']): Promise<Omit<ConfigUnderTest, 'name'>> {
  const sources = await resolveSources(recipe.sources, recipe.cwd);
  if ('name' in recipe.from) return configFromName(recipe.from.name, recipe.cwd, recipe.overrides, sources);
  const file = recipe.from.file;
  const config = await loadConfig({ cwd: recipe.cwd, extend: simConfigShape, fallbackFrom: CLI_FILE, onWarning: () => {}, search: false, ...(file ? { file } : {}) });
  return configFromFile(config, recipe.overrides, sources);
}

export default async function simulate(task: SimTask): Promise<SimTaskResult> {
  try {
    const scenario = { ...task.scenario, machine: buildMachine(task.scenario.machineSpec as never) };
    const onProgress = (fraction: number) => task.progress.postMessage(fraction);
    onProgress(0); // the run shows as going on from its start, not from its first report
    const start = performance.now();
    if (task.config === null) return { baseline: summarizeBaseline(await runBaseline(simOptions(scenario, NO_PROMOTION, onProgress))), ms: performance.now() - start };
    const config = { ...(await rebuild(task.config.recipe)), name: task.config.name };
    return { report: await runSimulation({ ...simOptions(scenario, config, onProgress), name: config.name, baseline: 'none' }), ms: performance.now() - start };
  } catch (e) {
    const err = e as Error & { code?: string };
    return { error: { message: err.message, kind: e instanceof ConfigError ? 'config' : e instanceof PghotError ? 'pghot' : 'other', code: err.code } };
  } finally {
    task.progress.close();
  }
}
