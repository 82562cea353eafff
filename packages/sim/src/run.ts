import { Simulation, type SimOptions, type SimResult } from './sim.js';
import { buildReport, summarizeBaseline, type BaselineSummary, type RunReport } from './report.js';

export interface RunOptions extends SimOptions {
  /** A label for the configuration (the config file's name, the policy). */
  name?: string;
  /**
   * The no-promotion baseline for slowdownVsNoPromotion and the no-promotion oracle: 'run' (the
   * default) runs the same workload without promotion, a summary reuses one (compare runs it
   * once), 'none' skips it.
   */
  baseline?: 'run' | 'none' | BaselineSummary;
}

/** The same workload and machine with promotion and demotion off: first-touch placement kept. */
export function runBaseline(options: SimOptions): Promise<SimResult> {
  return new Simulation({ ...options, plugins: [], promotion: false, demotion: false, verify: false }).run();
}

/** Run one configuration (and by default its no-promotion baseline) and report it. */
export async function runSimulation(options: RunOptions): Promise<RunReport> {
  const main = await new Simulation(options).run();
  const verified = options.verify ? main.sim.verify().checks : null;
  const b = options.baseline ?? 'run';
  const { onProgress: _progress, ...quiet } = options; // progress belongs to the run itself
  const baseline = b === 'none' ? null : b === 'run' ? summarizeBaseline(await runBaseline(quiet)) : b;
  return buildReport(options.name ?? 'run', main, baseline, verified);
}
