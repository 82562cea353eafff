import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, TUNABLE_NAMES, type PghotMode, type PghotPlugin, type TunableName, type TunablesInput } from '@pghot/core';
import { resolvePlugins, type ResolvedConfig } from '@pghot/core/config';
import { applyBaseline, buildMachine, createWorkload, runBaseline, runSimulation, summarizeBaseline, threadsForMachine, type Machine, type RunReport, type SimOptions, type WorkloadInstance } from '@pghot/sim';
import armsPolicy from '@pghot/policy-arms';
import hememPolicy from '@pghot/policy-hemem';
import memtisPolicy from '@pghot/policy-memtis';
import numab2Policy from '@pghot/policy-numab2';
import chmuSource from '@pghot/source-chmu';
import damonSource from '@pghot/source-damon';
import hintFaultSource from '@pghot/source-hintfault';
import hwSampleSource from '@pghot/source-hwsample';
import pteScanSource from '@pghot/source-ptescan';
import { z } from 'zod';
import type { StepProgress } from '../progress.js';
import { RunTimes } from './run-times.js';
import { runGroupsOnWorkers, simTask, type ScenarioGroup } from './workers.js';

const llcSchema = z.strictObject({ sizeMiB: z.number().positive(), ways: z.int().min(1).max(64).optional(), hitNs: z.number().min(0).optional() });
const simSectionSchema = z.strictObject({
  intervalMs: z.int().min(1).optional(),
  pingPongWindowMs: z.number().min(0).optional(),
  hintFaultNs: z.number().min(0).optional(),
  demotion: z.boolean().optional(),
  llc: z.union([z.literal(false), llcSchema]).optional(),
});
const placementSchema = z.strictObject({ policy: z.enum(['local', 'preferred', 'bind']), node: z.int().min(0).optional() });
const moveAtSchema = z.strictObject({ timeMs: z.number().min(0), node: z.int().min(0) });

/** Config keys the simulator adds to core's (machine, workload, placement...). */
export const simConfigShape = {
  /** A label for this configuration in reports (default: the config file's name). */
  name: z.string().min(1).optional(),
  /** A preset name or a machine spec (see docs/simulator.md). */
  machine: z.union([z.string(), z.looseObject({})]).optional(),
  workload: z.union([z.string(), z.strictObject({ name: z.string(), params: z.record(z.string(), z.unknown()).optional() })]).optional(),
  seed: z.int().min(0).optional(),
  placement: placementSchema.optional(),
  moveAt: moveAtSchema.optional(),
  sim: simSectionSchema.optional(),
};

export const DEFAULTS = { machine: 'dram+cxl', workload: 'gups-hotset', seed: 1 } as const;

/** PEBS at a period suited to the simulator's small machines (the examples/configs choice). */
const pebs = () => hwSampleSource({ preset: 'pebs', period: 100 });

/** The configurations `pghot compare` runs without arguments, and that `--policies` can name. */
export const BUILTIN_CONFIGS: Readonly<Record<string, { description: string; mode: PghotMode; tunables: TunablesInput; plugins: () => PghotPlugin[] }>> = {
  numab0: { description: 'NUMA balancing off (numa_balancing=0): no scanning, no promotion', mode: 'default', tunables: {}, plugins: () => [hintFaultSource({ enable: false })] },
  pghot: { description: 'pghot, default mode (threshold 2, window 3000 ms), NUMA hint faults', mode: 'default', tunables: {}, plugins: () => [] },
  'pghot-precision': { description: 'pghot, precision mode (window 5000 ms), NUMA hint faults', mode: 'precision', tunables: {}, plugins: () => [] },
  'pghot-threshold1': { description: 'pghot, freq_threshold 1 (as the posted NUMAB2 benchmarks)', mode: 'default', tunables: { freq_threshold: 1 }, plugins: () => [] },
  'pghot-ibs': { description: 'pghot fed by AMD IBS op samples (hwhints: period 10,000, L3 miss only)', mode: 'default', tunables: {}, plugins: () => [hwSampleSource({ preset: 'ibs' })] },
  'pghot-ptescan': { description: 'pghot fed by Accessed-bit scans (klruscand)', mode: 'default', tunables: {}, plugins: () => [pteScanSource()] },
  'pghot-damon': { description: 'pghot fed by DAMON-style regions', mode: 'default', tunables: {}, plugins: () => [damonSource()] },
  'pghot-chmu': { description: 'pghot fed by the CXL device\'s hotness monitoring unit (CHMU)', mode: 'default', tunables: {}, plugins: () => [chmuSource()] },
  numab2: { description: 'NUMAB2 with TPP headroom, NUMA hint faults', mode: 'default', tunables: {}, plugins: () => [numab2Policy({ tppHeadroom: true })] },
  hemem: { description: 'HeMem on PEBS samples', mode: 'default', tunables: {}, plugins: () => [pebs(), hememPolicy()] },
  memtis: { description: 'Memtis on PEBS samples', mode: 'default', tunables: {}, plugins: () => [pebs(), memtisPolicy({ adaptEverySamples: 2000, coolEverySamples: 200_000 })] },
  arms: { description: 'ARMS on PEBS samples', mode: 'default', tunables: {}, plugins: () => [pebs(), armsPolicy({ samplePeriod: 100 })] },
};
/** The default comparison: every source and policy once (pghot-threshold1 is there to be named). */
export const DEFAULT_COMPARISON = Object.keys(BUILTIN_CONFIGS).filter((n) => n !== 'pghot-threshold1');

/** What the command line says, over what the config file says. */
export interface ScenarioFlags {
  machine?: string | undefined;
  workload?: string | undefined;
  seed?: number | undefined;
  placement?: string | undefined;
  /** `--move-at T:NODE`. */
  moveAt?: string | undefined;
  set: readonly string[];
  verify?: boolean | undefined;
}

export interface Scenario {
  machine: Machine;
  /** What `machine` was built from (a preset name or a spec): what a worker thread rebuilds it from. */
  machineSpec: string | Record<string, unknown>;
  workload: { name: string; params: Record<string, unknown> };
  /** Fresh replays of a prepared workload (a trace), used instead of `workload`. */
  traceWorkload?: () => WorkloadInstance;
  seed: number;
  placement: { policy: 'local' | 'preferred' | 'bind'; node?: number };
  moveAt: { timeMs: number; node: number } | undefined;
  sim: z.output<typeof simSectionSchema>;
  verify: boolean;
}

export interface ConfigUnderTest {
  name: string;
  mode: PghotMode;
  stickyReady: boolean;
  tunables: TunablesInput;
  plugins: PghotPlugin[];
  /** How to build this configuration again in a worker thread (plugins do not cross threads). */
  recipe?: ConfigRecipe;
}

/** A configuration as its source: a config file, or a `--policies` name; with the run's overrides and `--sources`. */
export interface ConfigRecipe {
  /** A config file (null: none, the defaults), or a built-in configuration or policy plugin by name. */
  from: { file: string | null } | { name: string };
  cwd: string;
  overrides: Partial<Record<TunableName, number>>;
  sources: string | undefined;
}

export const usage = (message: string) => new ConfigError(message, { code: 'PGHOT_USAGE' });

/** First-party plugins ship with the CLI: they resolve from here when the user's project lacks them. */
export const CLI_FILE = fileURLToPath(import.meta.url);

function parseValue(raw: string): unknown {
  if (raw === 'true' || raw === 'false') return raw === 'true';
  if (/^-?(\d+\.?\d*|\.\d+)(e-?\d+)?$/i.test(raw) || /^0x[0-9a-f]+$/i.test(raw)) return Number(raw);
  return raw;
}

/** `--move-at 5s:0` (a duration as --duration takes it, a node of the machine). */
export function parseMoveAt(text: string, machine: Machine): { timeMs: number; node: number } {
  const m = /^([^:]+):(\d+)$/.exec(text.trim());
  if (!m) throw usage(`--move-at expects TIME:NODE such as 5s:0 or 2500ms:1, got "${text}"`);
  const d = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(m[1]!);
  if (!d) throw usage(`--move-at: "${m[1]}" is not a time such as 5s, 2500ms or 1m`);
  const timeMs = Number(d[1]) * (d[2] === 'ms' ? 1 : d[2] === 'm' ? 60_000 : 1000);
  const node = Number(m[2]);
  if (!machine.nodes.some((n) => n.id === node)) throw usage(`--move-at: node ${node} is not on machine "${machine.name}" (nodes: ${machine.nodes.map((n) => n.id).join(', ')})`);
  return { timeMs, node };
}

/** `--set` pairs: tunables by kernel name, `workload.<param>` for workload parameters. */
export function parseSets(sets: readonly string[]): { tunables: Partial<Record<TunableName, number>>; workload: Record<string, unknown> } {
  const tunables: Partial<Record<TunableName, number>> = {};
  const workload: Record<string, unknown> = {};
  for (const set of sets) {
    const eq = set.indexOf('=');
    if (eq <= 0) throw usage(`--set expects key=value (a tunable such as freq_threshold=1, or workload.<param>=value), got "${set}"`);
    const key = set.slice(0, eq);
    const value = parseValue(set.slice(eq + 1));
    if (key.startsWith('workload.') && key.length > 'workload.'.length) {
      workload[key.slice('workload.'.length)] = value;
    } else if ((TUNABLE_NAMES as readonly string[]).includes(key)) {
      if (typeof value !== 'number' || !Number.isInteger(value)) throw usage(`--set ${set}: tunable ${key} takes an integer`);
      tunables[key as TunableName] = value;
    } else {
      throw usage(`--set ${set}: unknown key "${key}"; use a tunable (${TUNABLE_NAMES.join(', ')}) or workload.<param>`);
    }
  }
  return { tunables, workload };
}

function parsePlacement(raw: string, machine: Machine): Scenario['placement'] {
  if (raw === 'local') return { policy: 'local' };
  const m = /^(preferred|bind):(\d+)$/.exec(raw);
  if (!m) throw usage(`--placement expects local, preferred:<node> or bind:<node>, got "${raw}"`);
  const node = Number(m[2]);
  if (machine.indexOf[node]! < 0) throw usage(`--placement ${raw}: machine "${machine.name}" has no node ${node} (nodes: ${machine.nodes.map((n) => n.id).join(', ')})`);
  return { policy: m[1] as 'preferred' | 'bind', node };
}

/**
 * The machine, workload and run options: command-line flags over the config file over the
 * defaults. Pages start on the first lower-tier node (as in the pghot microbenchmarks) unless a
 * placement is given.
 */
export function resolveScenario(flags: ScenarioFlags, extra: Record<string, unknown>, file: string | null): Scenario {
  const where = (key: string) => (file ? `${file}: ${key}` : key);
  const machineInput = flags.machine ?? (extra.machine as string | Record<string, unknown> | undefined) ?? DEFAULTS.machine;
  let machine: Machine;
  try {
    machine = buildMachine(machineInput as never);
  } catch (e) {
    throw new ConfigError(`${flags.machine ? '--machine' : where('machine')}: ${(e as Error).message}`, { code: 'PGHOT_MACHINE' });
  }
  const w = (extra.workload ?? DEFAULTS.workload) as string | { name: string; params?: Record<string, unknown> };
  const fromFile = typeof w === 'string' ? { name: w, params: {} } : { name: w.name, params: w.params ?? {} };
  const sets = parseSets(flags.set);
  const named = flags.workload ? { name: flags.workload, params: sets.workload } : { name: fromFile.name, params: { ...fromFile.params, ...sets.workload } };
  const cpuNodes = machine.nodes.filter((n) => n.topTier && n.cpus.length > 0).length;
  const workload = { name: named.name, params: threadsForMachine(named.name, named.params, cpuNodes) };
  try {
    createWorkload(workload.name, workload.params);
  } catch (e) {
    throw new ConfigError(`${flags.workload ? '--workload' : where('workload')}: ${(e as Error).message}`, { code: 'PGHOT_WORKLOAD' });
  }
  const lower = machine.nodes.find((n) => !n.topTier);
  const placement = flags.placement
    ? parsePlacement(flags.placement, machine)
    : ((extra.placement as Scenario['placement'] | undefined) ?? (lower ? { policy: 'preferred' as const, node: lower.id } : { policy: 'local' as const }));
  return {
    machine,
    machineSpec: machineInput as Scenario['machineSpec'],
    workload,
    seed: flags.seed ?? (extra.seed as number | undefined) ?? DEFAULTS.seed,
    placement,
    moveAt: flags.moveAt ? parseMoveAt(flags.moveAt, machine) : (extra.moveAt as Scenario['moveAt']),
    sim: (extra.sim as Scenario['sim'] | undefined) ?? {},
    verify: flags.verify ?? false,
  };
}

/**
 * The sources of a configuration: `--sources` replaces the configuration's own; without either,
 * the default source (NUMA hint faults) joins.
 */
function withSources(plugins: readonly PghotPlugin[], sources: readonly PghotPlugin[] | undefined): PghotPlugin[] {
  if (sources) return [...sources, ...plugins.filter((p) => p.kind !== 'source')];
  return plugins.some((p) => p.kind === 'source') ? [...plugins] : [hintFaultSource(), ...plugins];
}

/**
 * `--sources hintfault,hwsample`: source plugins by name, resolved from `cwd` (then the CLI) by the
 * same rules as a config file's `plugins` (so `hintfault` is @pghot/source-hintfault and `lazyscan`
 * is pghot-plugin-lazyscan); each must be a temperature source.
 */
export async function resolveSources(list: string | undefined, cwd: string): Promise<PghotPlugin[] | undefined> {
  if (list === undefined) return undefined;
  const names = list.split(',').map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) throw usage('--sources needs at least one source name (e.g. hintfault, ptescan, hwsample)');
  let plugins: PghotPlugin[];
  try {
    plugins = (await resolvePlugins(names, path.join(cwd, 'pghot.config.js'), CLI_FILE)).plugins;
  } catch (e) {
    throw usage(`--sources: ${(e as Error).message.replace(/^.*pghot\.config\.js: /, '').replace(/ at plugins\[\d+\]/, '')}`);
  }
  const notSources = plugins.filter((p) => p.kind !== 'source');
  if (notSources.length) throw usage(`--sources: ${notSources.map((p) => `${p.name} is a ${p.kind ?? 'plugin'}`).join(', ')}, not a temperature source`);
  return plugins;
}

export function configFromFile(config: ResolvedConfig, overrides: Partial<Record<TunableName, number>>, sources?: readonly PghotPlugin[]): ConfigUnderTest {
  return {
    name: (config.extra.name as string | undefined) ?? (config.filepath ? path.basename(config.filepath) : 'pghot'),
    mode: config.mode,
    stickyReady: config.stickyReady,
    tunables: { ...config.tunables, ...overrides },
    plugins: withSources(config.plugins, sources),
  };
}

/** A `--policies` entry: a built-in configuration, or a plugin resolved from `cwd`, with the default source. */
export async function configFromName(
  name: string,
  cwd: string,
  overrides: Partial<Record<TunableName, number>>,
  sources?: readonly PghotPlugin[],
): Promise<ConfigUnderTest> {
  const builtin = BUILTIN_CONFIGS[name];
  if (builtin) return { name, mode: builtin.mode, stickyReady: false, tunables: { ...builtin.tunables, ...overrides }, plugins: withSources(builtin.plugins(), sources) };
  try {
    const { plugins } = await resolvePlugins([name], path.join(cwd, 'pghot.config.js'), CLI_FILE);
    return { name, mode: 'default', stickyReady: false, tunables: { ...overrides }, plugins: withSources(plugins, sources) };
  } catch (e) {
    const why = (e as Error).message.replace(/^.*pghot\.config\.js: /, '');
    throw new ConfigError(`--policies: "${name}" is not a built-in configuration (${Object.keys(BUILTIN_CONFIGS).join(', ')}), and ${why}`, {
      code: 'PGHOT_UNKNOWN_PLUGIN',
    });
  }
}

export function simOptions(s: Scenario, c: ConfigUnderTest, onProgress?: (fraction: number) => void): SimOptions {
  return {
    machine: s.machine,
    workload: s.traceWorkload?.() ?? s.workload,
    seed: s.seed,
    placement: s.placement,
    ...(s.moveAt ? { moveAt: s.moveAt } : {}),
    mode: c.mode,
    tunables: c.tunables,
    stickyReady: c.stickyReady,
    plugins: c.plugins,
    verify: s.verify,
    ...(s.sim.intervalMs !== undefined ? { intervalMs: s.sim.intervalMs } : {}),
    ...(s.sim.pingPongWindowMs !== undefined ? { pingPongWindowMs: s.sim.pingPongWindowMs } : {}),
    ...(s.sim.hintFaultNs !== undefined ? { hintFaultNs: s.sim.hintFaultNs } : {}),
    ...(s.sim.demotion !== undefined ? { demotion: s.sim.demotion } : {}),
    ...(s.sim.llc !== undefined ? { llc: s.sim.llc } : {}),
    ...(onProgress ? { onProgress } : {}),
  };
}

/**
 * Run each configuration on the scenario, sharing one no-promotion baseline (run 1 of N+1). With
 * `times`, each run's time is remembered, and on worker threads the longest start first.
 */
export async function runConfigs(
  s: Scenario,
  configs: readonly ConfigUnderTest[],
  progress?: StepProgress,
  jobs = 1,
  onReport?: (index: number, report: RunReport) => void,
  times?: RunTimes,
): Promise<RunReport[]> {
  const group = { scenario: s, configs, ...(onReport ? { onReport } : {}) };
  if (jobs > 1 && fitsWorkers(group)) return (await runGroupsOnWorkers([group], jobs, progress, times))[0]!;
  // under the key of the same run on a worker thread: a serial run teaches the parallel one
  const timed = async <T>(config: ConfigUnderTest | null, run: () => Promise<T>): Promise<T> => {
    const start = performance.now();
    const result = await run();
    if (times && s.traceWorkload === undefined && (config === null || config.recipe)) times.set(RunTimes.keyOf(simTask(s, config)), performance.now() - start);
    return result;
  };
  const total = configs.length + 1;
  progress?.(0, total, BASELINE_LABEL, 0);
  const baseline = summarizeBaseline(await timed(null, () => runBaseline(simOptions(s, NO_PROMOTION, progress ? (f) => progress(0, total, BASELINE_LABEL, f) : undefined))));
  progress?.(0, total, BASELINE_LABEL, 1);
  const reports: RunReport[] = [];
  for (const [i, c] of configs.entries()) {
    progress?.(i + 1, total, c.name, 0);
    // built without the baseline, then given it: the same steps as on worker threads, so the same bytes
    const report = await timed(c, () => runSimulation({ ...simOptions(s, c, progress ? (f) => progress(i + 1, total, c.name, f) : undefined), name: c.name, baseline: 'none' }));
    reports.push(applyBaseline(report, baseline));
    onReport?.(i, reports[i]!);
    progress?.(i + 1, total, c.name, 1);
  }
  times?.save();
  return reports;
}

/** Whether a group's runs can go to worker threads: they rebuild configurations from recipes, and a trace lives in this process. */
export const fitsWorkers = (g: ScenarioGroup): boolean => g.scenario.traceWorkload === undefined && g.configs.every((c) => c.recipe);

export const BASELINE_LABEL = 'no-promotion baseline';
export const NO_PROMOTION: ConfigUnderTest = { name: 'no-promotion', mode: 'default', stickyReady: false, tunables: {}, plugins: [] };
