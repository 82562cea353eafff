import { Command, InvalidArgumentError, Option } from '@commander-js/extra-typings';
import { ConfigError, CORE_VERSION, PghotError, unreadSources, type PghotPlugin } from '@pghot/core';
import { configJsonSchema, listInstalledPlugins, loadConfig, type ResolvedConfig } from '@pghot/core/config';
import { createRequire } from 'node:module';
import { WORKLOAD_NAMES, MACHINE_PRESETS, Simulation } from '@pghot/sim';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { topologySchema, type TopologySpec } from '@pghot/core';
import { readSamples, replaySamples } from '@pghot/source-hwsample';
import { lackeyToPgtrace, pgtraceToLackey, readDamon, refuseOutputOverInput, removeUnfinishedOutputs, replayDamon, traceWorkload } from '@pghot/trace';
import { statSync } from 'node:fs';
import {
  BUILTIN_CONFIGS,
  CLI_FILE,
  configFromFile,
  configFromName,
  DEFAULT_COMPARISON,
  parseSets,
  resolveScenario,
  resolveSources,
  runConfigs,
  simConfigShape,
  simOptions,
  usage,
  type ConfigRecipe,
  type ConfigUnderTest,
  type ScenarioFlags,
} from './commands/simulate.js';
import { defaultJobs } from './commands/workers.js';
import { RunTimes } from './commands/run-times.js';
import { queueConnection, runQueueWorker } from './commands/queue.js';
import { resolveOutput, runSweep } from './commands/sweep.js';
import { sweepSummary } from './sweep-summary.js';
import { parseDuration, runLive, type LiveSource } from './commands/live.js';
import { recordLackey } from './commands/record.js';
import { compareTable, configTable, damonTable, reportJson, runTable, samplesTable, sweepTable, type Format } from './output.js';
import { clearProgressLine, createProgress } from './progress.js';
import { checkOutputPath, writeOutputFile } from './write-output.js';
import { readReportInput, writeReport, type LiveReport, type ReportFormat, type ReportInput } from './report/index.js';

export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  /** The terminal's width, when stderr is one (progress lines are cut to it). */
  stderrColumns?: number | undefined;
  cwd: string;
  env: Record<string, string | undefined>;
}

export const CLI_VERSION = '0.1.0';

const intOption = (name: string, min: number) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer >= ${min}.`);
  return n;
};
const collect = (value: string, previous: string[]) => [...previous, value];

/** Without --format: a table for a person at a terminal, JSON for a pipe or an --output file. */
function resolveFormat(format: Format | undefined, io: Io, output?: string): Format {
  return format ?? (io.stdoutIsTTY && !output ? 'table' : 'json');
}

/** Results go to stdout, or with -o to the file (atomically). */
function emit(io: Io, output: string | undefined, text: string): void {
  if (output) writeOutputFile(path.resolve(io.cwd, output), text);
  else io.stdout(text);
}

const GENERATOR = `pghot ${CLI_VERSION}`;

/** `--html FILE` of run, compare and live: checked before the run, written (atomically) after it. */
function htmlTarget(io: Io, file: string | undefined, output: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  const out = path.resolve(io.cwd, file);
  if (output !== undefined && path.resolve(io.cwd, output) === out) throw usage(`--html and -o both name ${file}: give the report another file`);
  checkOutputPath(out, '--html');
  return out;
}

function emitHtml(io: Io, out: string | undefined, input: ReportInput): void {
  if (out === undefined) return;
  const { charts } = writeReport([input], 'html', out, io.cwd, GENERATOR);
  io.stderr(`pghot: report written to ${path.relative(io.cwd, out) || out} (${charts} charts)\n`);
}

/** Colors only in a table for a terminal that wants them. */
const colorFor = (io: Io, opts: { color: boolean; output?: string | undefined }) => opts.color && !opts.output && io.stdoutIsTTY && !io.env.NO_COLOR;

/**
 * `pghot run`'s flags that contradict each other: one input at most (--trace, --samples,
 * --damon); a replay of recorded data has no simulated machine or workload; a trace is the
 * workload. Each is a usage error naming both flags.
 */
function refuseConflictingRunFlags(cmd: Command, opts: { set: readonly string[] }): void {
  const given = (name: string) => cmd.getOptionValueSource(name) === 'cli';
  const flag = (name: string) => `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  const inputs = ['trace', 'samples', 'damon'].filter(given);
  if (inputs.length > 1) throw usage(`${flag(inputs[0]!)} and ${flag(inputs[1]!)} are two inputs: give one`);
  const input = inputs[0];
  if (given('topology') && input !== 'samples' && input !== 'damon') throw usage('--topology describes the machine of recorded data: use it with --samples or --damon');
  if (given('maxErrors') && input !== 'samples' && input !== 'trace') throw usage('--max-errors applies to --samples or --trace input');
  if (input === 'samples' || input === 'damon') {
    for (const sim of ['machine', 'workload', 'placement', 'moveAt', 'seed', 'sources', 'verify']) {
      if (given(sim)) throw usage(`${flag(sim)} sets up the simulator, which ${flag(input)} does not use (it replays recorded data into pghot)`);
    }
    const workloadSet = opts.set.find((s) => s.startsWith('workload.'));
    if (workloadSet) throw usage(`--set ${workloadSet} is a workload parameter, which ${flag(input)} does not use`);
  }
  if (input === 'trace') {
    if (given('workload')) throw usage('--workload and --trace both name the workload: the trace is the workload');
    const workloadSet = opts.set.find((s) => s.startsWith('workload.'));
    if (workloadSet) throw usage(`--set ${workloadSet} is a synthetic workload's parameter, which --trace does not use`);
  }
}

/** `file`: `--config FILE`; false: `--no-config` (no search); undefined: searched from the current directory. */
const load = (io: Io, file?: string | false) =>
  loadConfig({ cwd: io.cwd, extend: simConfigShape, fallbackFrom: CLI_FILE, onWarning: (m) => io.stderr(`pghot: ${m}\n`), search: file !== false, ...(file ? { file } : {}) });

/** A source that no loaded policy reads still costs its overhead: say so. */
function warnUnreadSources(io: Io, name: string, plugins: readonly PghotPlugin[]): void {
  for (const u of unreadSources(plugins)) {
    io.stderr(`pghot: warning: in "${name}", ${u.source} feeds nothing a loaded policy reads (${u.policies.join('; ')}); its overhead is still charged\n`);
  }
}

/** The `pghot` program; `io` makes it testable in-process. */
export function createProgram(io: Io): Command {
  const program = new Command()
    .name('pghot')
    .description(
      'pghot: hot page tracking and promotion for tiered memory (Linux pghot, in TypeScript), on a simulated machine.\n' +
        `Bare \`pghot\` runs the default comparison (\`pghot compare\`: ${DEFAULT_COMPARISON.join(', ')}) with the oracles.`,
    )
    .version(`${CLI_VERSION} (@pghot/core ${CORE_VERSION})`)
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride();

  const scenarioOptions = (cmd: Command) =>
    cmd
      .option('--machine <preset>', `machine preset (${Object.keys(MACHINE_PRESETS).join(', ')}) (default: dram+cxl)`)
      .option('--workload <name>', `workload (${WORKLOAD_NAMES.join(', ')}) (default: gups-hotset)`)
      .option('--placement <where>', 'first-touch placement: local, preferred:<node> or bind:<node> (default: preferred on the first lower-tier node)')
      .option('--move-at <time:node>', 'migratepages at a time: move every page to a node (e.g. 5s:0), a placement event reported apart from promotions and demotions')
      .option('--set <key=value>', 'a tunable (freq_threshold=1) or a workload parameter (workload.hotFraction=0.2); repeatable', collect, [] as string[])
      .option('--seed <n>', 'seed of the workload (default: 1)', intOption('--seed', 0))
      .option('--sources <names>', 'comma-separated temperature sources replacing the configurations\' own: hintfault, ptescan, hwsample, damon, chmu, or plugin names')
      .option('--verify', 'check the simulator invariants after each run')
      .addOption(new Option('--format <format>', 'table for people, json for tools (default: table on a terminal, else json)').choices(['table', 'json'] as const))
      .option('-o, --output <file>', 'write the result to this file (atomically: a temporary file renamed on success) instead of stdout')
      .option('--wide', 'tables: every column (the default fits 100 columns)')
      .option('--no-color', 'no colors in tables');

  scenarioOptions(program.command('run').description('run one configuration on the simulated machine (a synthetic workload or a real --trace), with the oracles; or replay real perf samples (--samples) or DAMON regions (--damon)'))
    .option('--config <file>', 'config file (default: searched from the current directory)')
    .option('--no-config', 'use no config file: do not search for one (configs are code: docs/security.md)')
    .option('--samples <file>', 'replay real samples (perf script with phys_addr, or perf mem report -D -x, CSV) into pghot and report what it would promote')
    .option('--topology <file>', 'with --samples or --damon: JSON topology of the recorded machine ({ nodes: [{ id, startPfn, pages, tier, cpus }] }); default: memory above 4 GiB is the lower tier')
    .option('--trace <file>', 'replay a real trace (valgrind lackey text or gzip, or .pgtrace) as the workload; the LLC model is on unless the config sets sim.llc')
    .option('--damon <file>', 'drive pghot with DAMON region heat (tried_regions snapshot, damon_aggregated tracepoint text, damo record JSON) and report what it would promote')
    .option('--max-errors <n>', 'with --samples or --trace: skip up to n malformed lines (counted in the report) instead of stopping at the first', intOption('--max-errors', 0))
    .option('--html <file>', 'also write an HTML report with charts and heatmaps (as `pghot report`)')
    .option('--jobs <n>', 'worker threads: the run and its no-promotion baseline at once (default: $PGHOT_JOBS, else every core; 1: one after the other)', intOption('--jobs', 1))
    .action(async (raw, cmd: Command) => {
      const opts = raw as ScenarioCliOptions & { config?: string | false; samples?: string; topology?: string; maxErrors?: number; trace?: string; damon?: string; html?: string; jobs?: number };
      refuseConflictingRunFlags(cmd, opts);
      if (opts.html !== undefined && (opts.samples || opts.damon)) throw usage(`--html plots a run's time series, which a replay of ${opts.samples ? '--samples' : '--damon'} does not have`);
      const html = htmlTarget(io, opts.html, opts.output);
      const config = await load(io, opts.config);
      const format = resolveFormat(opts.format, io, opts.output);
      const progress = createProgress(io);
      const color = colorFor(io, opts);
      // recorded data (DAMON regions, perf samples) replays into an engine without the simulator
      const replayOptions = async () => ({
        ...(opts.topology ? { topology: await readTopology(path.resolve(io.cwd, opts.topology)) } : {}),
        mode: config.mode,
        stickyReady: config.stickyReady,
        tunables: { ...config.tunables, ...parseSets(opts.set).tunables },
        plugins: config.plugins.filter((p) => p.kind !== 'source'),
      });
      if (opts.damon) {
        const options = await replayOptions();
        const report = await replayDamon(await readDamon(path.resolve(io.cwd, opts.damon)), options);
        emit(io, opts.output, format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : `${damonTable(report, color)}\n`);
        return;
      }
      if (opts.trace) {
        const file = path.resolve(io.cwd, opts.trace);
        const { create, stats } = await traceWorkload(file, { maxErrors: opts.maxErrors ?? 0, ...readProgress(io, file) });
        clearProgressLine(io);
        const scenario = resolveScenario(flagsOf(opts), { ...config.extra, workload: 'gups-hotset' }, config.filepath);
        const sources = await resolveSources(opts.sources, io.cwd);
        const configUnderTest = configFromFile(config, parseSets(opts.set).tunables, sources);
        warnUnreadSources(io, configUnderTest.name, configUnderTest.plugins);
        const [report] = await runConfigs(
          { ...scenario, workload: { name: 'trace', params: {} }, traceWorkload: create, sim: { llc: { sizeMiB: 32 }, ...scenario.sim } },
          [configUnderTest],
          progress?.step,
        );
        const out = { ...report!, trace: stats ?? { format: 'pgtrace' } };
        progress?.done();
        emit(io, opts.output, format === 'json' ? `${reportJson(out)}\n` : `${runTable(report!, color, opts.wide)}\n`);
        emitHtml(io, html, { file: 'pghot run --trace', kind: 'runs', runs: [report!] });
        return;
      }
      if (opts.samples) {
        const options = await replayOptions();
        const report = await replaySamples(await readSamples(path.resolve(io.cwd, opts.samples), { maxErrors: opts.maxErrors ?? 0 }), options);
        emit(io, opts.output, format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : `${samplesTable(report, color)}\n`);
        return;
      }
      const scenario = resolveScenario(flagsOf(opts), config.extra, config.filepath);
      const sources = await resolveSources(opts.sources, io.cwd);
      const overrides = parseSets(opts.set).tunables;
      const configUnderTest = { ...configFromFile(config, overrides, sources), recipe: { from: { file: config.filepath }, cwd: io.cwd, overrides, sources: opts.sources } };
      warnUnreadSources(io, configUnderTest.name, configUnderTest.plugins);
      const [report] = await runConfigs(scenario, [configUnderTest], progress?.step, opts.jobs ?? defaultJobs(io.env), undefined, RunTimes.open(io.env));
      progress?.done();
      emit(io, opts.output, format === 'json' ? `${reportJson(report)}\n` : `${runTable(report!, color, opts.wide)}\n`);
      emitHtml(io, html, { file: 'pghot run', kind: 'runs', runs: [report!] });
    });

  scenarioOptions(
    program
      .command('compare', { isDefault: true })
      .description(`run several configurations on one workload side by side, with the oracles (default: ${DEFAULT_COMPARISON.join(', ')})`),
  )
    .option('--config <file>', 'a config file to compare; repeatable', collect, [] as string[])
    .option('--no-config', 'use no config file: do not search for one for the machine and workload (configs are code: docs/security.md)')
    .option('--policies <names>', `comma-separated built-in configurations (${Object.keys(BUILTIN_CONFIGS).join(', ')}) or installed policy plugins`)
    .option('--html <file>', 'also write an HTML report with charts and heatmaps, side by side (as `pghot report`)')
    .option('--jobs <n>', 'worker threads running the configurations and the baseline at once (default: $PGHOT_JOBS, else every core; 1: one after the other); the results are the same bytes', intOption('--jobs', 1))
    .action(async (raw) => {
      const opts = raw as ScenarioCliOptions & { config: string[] | false; policies?: string; html?: string; jobs?: number };
      const html = htmlTarget(io, opts.html, opts.output);
      const files = opts.config === false ? [] : opts.config;
      const format = resolveFormat(opts.format, io, opts.output);
      const overrides = parseSets(opts.set).tunables;
      const sources = await resolveSources(opts.sources, io.cwd);
      const configs: ConfigUnderTest[] = [];
      let scenarioSource: ResolvedConfig | null = null;
      const recipe = (from: ConfigRecipe['from']): ConfigRecipe => ({ from, cwd: io.cwd, overrides, sources: opts.sources });
      for (const file of files) {
        const config = await load(io, file);
        scenarioSource ??= config;
        configs.push({ ...configFromFile(config, overrides, sources), recipe: recipe({ file: config.filepath }) });
      }
      const names = opts.policies !== undefined ? opts.policies.split(',').map((s) => s.trim()).filter(Boolean) : files.length === 0 ? DEFAULT_COMPARISON : [];
      if (opts.policies !== undefined && names.length === 0) throw usage('--policies needs at least one name (a built-in configuration or a policy plugin)');
      for (const name of names) configs.push({ ...(await configFromName(name, io.cwd, overrides, sources)), recipe: recipe({ name }) });
      const unique = new Set(configs.map((c) => c.name));
      if (unique.size !== configs.length) throw new ConfigError(`two configurations are named alike (${configs.map((c) => c.name).join(', ')}); give each config file a distinct "name"`);
      // the first config file (or, without one, the config found from the current directory) sets machine and workload
      scenarioSource ??= await load(io, opts.config === false ? false : undefined);
      const scenario = resolveScenario(flagsOf(opts), scenarioSource.extra, scenarioSource.filepath);
      for (const c of configs) warnUnreadSources(io, c.name, c.plugins);
      const progress = createProgress(io);
      const reports = await runConfigs(scenario, configs, progress?.step, opts.jobs ?? defaultJobs(io.env), undefined, RunTimes.open(io.env));
      progress?.done();
      emit(io, opts.output, format === 'json' ? `${reportJson(reports)}\n` : `${compareTable(reports, colorFor(io, opts), opts.wide)}\n`);
      emitHtml(io, html, { file: 'pghot compare', kind: 'runs', runs: reports });
    });

  program
    .command('sweep')
    .description('run a grid of configurations (machines × workloads × seeds × policies × sources × tunables, from a JSON/YAML/JS file) on every core; each finished run is appended to a JSON-lines file, so a killed sweep goes on with --resume; prints the best configuration per workload and the hit ratio\'s sensitivity to each tunable')
    .argument('<file>', 'the sweep file (docs/sweeps.md)')
    .option('-o, --output <file>', 'the results, one JSON line per run (default: NAME.results.jsonl in the current directory, for sweep file NAME.yaml)')
    .option('--resume', 'go on with an existing results file: runs already in it are not run again')
    .option('--jobs <n>', 'worker threads (default: $PGHOT_JOBS, else every core)', intOption('--jobs', 1))
    .option('--queue <url>', 'redis://HOST:PORT: put the runs in a BullMQ queue for `pghot worker` processes on any number of hosts, and collect their results here')
    .addOption(new Option('--format <format>', 'the summary: table for people, json for tools (default: table on a terminal, else json)').choices(['table', 'json'] as const))
    .action(async (file: string, opts: { output?: string; resume?: true; jobs?: number; queue?: string; format?: Format }) => {
      if (opts.queue !== undefined && opts.jobs !== undefined) throw usage('--jobs and --queue: with --queue the runs go to the workers, each with its own --jobs');
      if (opts.queue !== undefined) queueConnection(opts.queue);
      const sweepFile = path.resolve(io.cwd, file);
      const output = resolveOutput(io.cwd, opts.output, file);
      refuseOutputOverInput(output, [sweepFile], '--output');
      const progress = createProgress(io);
      const result = await runSweep({ file: sweepFile, output, resume: opts.resume === true, cwd: io.cwd, jobs: opts.jobs ?? defaultJobs(io.env), queue: opts.queue, progress: progress?.step, notice: (l) => (progress ? progress.note(l) : io.stderr(`${l}\n`)) });
      progress?.done();
      io.stderr(`pghot sweep: ${result.runs.length} runs in ${path.relative(io.cwd, output) || output} (${result.ran} run now, ${result.resumed} from before)\n`);
      const summary = sweepSummary(result.lines);
      io.stdout(resolveFormat(opts.format, io) === 'json' ? `${JSON.stringify(summary, null, 2)}\n` : `${sweepTable(summary)}\n`);
    });

  program
    .command('worker')
    .description('run the simulations of `pghot sweep --queue` from a BullMQ queue on Redis, on this host\'s threads, until stopped (SIGINT, SIGTERM); start one on every host that should help')
    .requiredOption('--queue <url>', 'redis://HOST:PORT, as given to pghot sweep')
    .option('--jobs <n>', 'simulations at once (default: $PGHOT_JOBS, else every core)', intOption('--jobs', 1))
    .option('--lock-duration <ms>', 'a job whose worker stops renewing its lock for this long (the worker died) is run again by another', intOption('--lock-duration', 1000), 30_000)
    .action(async (opts: { queue: string; jobs?: number; lockDuration: number }) => {
      const stop = new Promise<void>((resolve) => {
        const signals = ['SIGINT', 'SIGTERM'] as const;
        const onSignal = () => {
          for (const s of signals) process.off(s, onSignal);
          io.stderr('pghot worker: stopping after the running jobs\n');
          resolve();
        };
        for (const s of signals) process.on(s, onSignal);
      });
      const result = await runQueueWorker({ url: opts.queue, jobs: opts.jobs ?? defaultJobs(io.env), cwd: io.cwd, lockDurationMs: opts.lockDuration, log: (l) => io.stderr(`${l}\n`), stop });
      io.stderr(`pghot worker: stopped after ${result.ran} run${result.ran === 1 ? '' : 's'}\n`);
    });

  program
    .command('report')
    .description('an HTML report (one self-contained file: charts, hotness heatmaps, the summary table, the configuration) of run, compare or live JSON, or of sweep results; or each chart as SVG (--format svg)')
    .argument('<files...>', 'JSON of `pghot run`, `compare` or `live` (--format json), or the JSON lines of `pghot sweep`')
    .addOption(new Option('--format <format>', 'html: one page; svg: one SVG file per chart, rendered without a browser').choices(['html', 'svg'] as const).default('html' as const))
    .option('-o, --output <path>', 'the HTML file, or with --format svg the directory (default: pghot-report.html, pghot-report-svg)')
    .option('--svg <dir>', 'the same as --format svg --output DIR')
    .action(async (files: string[], opts: { format: ReportFormat; output?: string; svg?: string }, cmd: { getOptionValueSource(name: string): string | undefined }) => {
      if (opts.svg !== undefined && opts.output !== undefined) throw usage('--svg DIR and --output both name the output: give one');
      if (opts.svg !== undefined && cmd.getOptionValueSource('format') === 'cli' && opts.format === 'html') throw usage('--svg DIR writes SVG files, and --format html asks for a page: give one');
      const format: ReportFormat = opts.svg !== undefined ? 'svg' : opts.format;
      const out = path.resolve(io.cwd, opts.svg ?? opts.output ?? (format === 'svg' ? 'pghot-report-svg' : 'pghot-report.html'));
      const inputs = files.map((f) => path.resolve(io.cwd, f));
      refuseOutputOverInput(out, inputs, format === 'svg' ? '--svg' : '--output');
      if (format === 'html') checkOutputPath(out, '--output');
      const result = writeReport(inputs.map(readReportInput), format, out, io.cwd, GENERATOR);
      const where = path.relative(io.cwd, out) || out;
      io.stderr(format === 'html' ? `pghot: report written to ${where} (${result.charts} charts)\n` : `pghot: ${result.files.length} SVG files written to ${where}\n`);
    });

  program
    .command('convert')
    .description('convert a trace: valgrind lackey (text or gzip) to .pgtrace, or .pgtrace back to lackey text (by the output name)')
    .argument('<in>', 'input trace')
    .argument('<out>', 'output file: .pgtrace, or anything else for lackey text')
    .option('--max-errors <n>', 'skip up to n malformed lines (counted) instead of stopping at the first', intOption('--max-errors', 0))
    .action(async (input: string, output: string, opts: { maxErrors?: number }) => {
      const from = path.resolve(io.cwd, input);
      const to = path.resolve(io.cwd, output);
      // a signal leaves the old output or none: the partial temporary file goes
      const onSignal = (signal: NodeJS.Signals) => {
        removeUnfinishedOutputs();
        process.exit(signal === 'SIGINT' ? 130 : 143);
      };
      process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
      let result;
      try {
        result = await (to.endsWith('.pgtrace') ? lackeyToPgtrace(from, to, { maxErrors: opts.maxErrors ?? 0, ...readProgress(io, from) }) : pgtraceToLackey(from, to));
      } finally {
        process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
      }
      clearProgressLine(io);
      io.stdout(`${JSON.stringify({ schemaVersion: 1, kind: 'convert', input: from, output: to, ...result }, null, 2)}\n`);
    });

  program
    .command('record')
    .description('run a program under valgrind lackey (--trace-mem=yes) and write its memory trace; its exit status and stderr pass through')
    .option('--out <file>', 'trace file to write', 'pghot.lackey')
    .argument('<command...>', 'the program and its arguments (after --)')
    .action(async (command: string[], opts: { out: string }) => {
      const out = path.resolve(io.cwd, opts.out);
      refuseOutputOverInput(out, command.slice(1).map((a) => path.resolve(io.cwd, a)), '--out');
      const r = await recordLackey(command, out, io.cwd, io.stderr);
      const how = r.signal ? `stopped by ${r.signal}` : `exited ${r.status}`;
      io.stderr(r.out ? `pghot: trace written to ${r.out} (${r.bytes} bytes); ${command[0]} ${how}\n` : `pghot: no trace written; ${command[0]} ${how}\n`);
      throw Object.assign(new Error('record'), { exitCode: r.status, code: 'pghot.exit' });
    });

  program
    .command('live')
    .description(
      "run live on this Linux machine: DAMON and/or perf watch the real memory for --duration, pghot's store, kmigrated and the configured policies decide what to promote, and each batch is logged (a dry run) or moved with move_pages(2) (--apply --pid); the report has the real /proc/vmstat deltas. Needs root",
    )
    .option('--config <file>', 'config file: mode, tunables, policies (default: searched from the current directory)')
    .option('--no-config', 'use no config file: do not search for one (configs are code: docs/security.md)')
    .option('--duration <time>', 'how long to monitor: 30s, 500ms, 2m', '10s')
    .option('--sources <list>', 'live sources, comma-separated: damon (its own kdamond: paddr, or vaddr of --pid where the kernel has it), perf (IBS/PEBS samples, or software page faults where there is no such PMU)', 'damon')
    .option('--skip-unavailable', 'go on with the other sources when one cannot run (a busy DAMON, no perf), saying so')
    .option('--pid <pid>', 'the process to monitor (perf samples it; DAMON vaddr watches it) and, with --apply, whose pages move', intOption('--pid', 1))
    .option('--apply', 'move the pages kmigrated promotes with move_pages(2) (needs --pid); without it nothing is moved')
    .option('--aggr-ms <ms>', "DAMON's aggregation interval, and how often pghot reads the regions and samples", intOption('--aggr-ms', 1), 100)
    .option('--max-regions <n>', "DAMON's maximum number of regions (its regions per second are at most this × 1000 / --aggr-ms)", intOption('--max-regions', 10), 1000)
    .option('--max-samples <n>', 'perf samples kept per second; the rest are counted as dropped', intOption('--max-samples', 1), 20_000)
    .option('--topology <file>', 'JSON topology naming the lower tier (default: the machine\'s, or memory above 4 GiB when it has one tier)')
    .option('--record <file>', 'save the input (DAMON: damon:damon_aggregated text; perf: perf script lines): `pghot run --damon FILE` / `--samples FILE` replays it')
    .option('--log <file>', 'write each batch kmigrated moved or would move as a JSON line (target node, reason, PFNs, per-page status)')
    .option('--perf <file>', 'the perf binary to run (default: perf on PATH)')
    .option('--sysfs-root <dir>', 'read and write the kernel files under this directory instead of / (tests, dry rehearsals)')
    .addOption(new Option('--format <format>', 'table for people, json for tools (default: table on a terminal, else json)').choices(['table', 'json'] as const))
    .option('-o, --output <file>', 'write the report to this file (atomically) instead of stdout')
    .option('--html <file>', 'also write an HTML report: recorded accesses and promotions per second, and the report (as `pghot report`)')
    .action(
      async (opts: {
        html?: string;
        perf?: string;
        config?: string | false;
        duration: string;
        sources: string;
        skipUnavailable?: true;
        pid?: number;
        apply?: true;
        aggrMs: number;
        maxRegions: number;
        maxSamples: number;
        topology?: string;
        record?: string;
        log?: string;
        sysfsRoot?: string;
        format?: Format;
        output?: string;
      }) => {
        const sources = [...new Set(opts.sources.split(',').map((s) => s.trim()).filter(Boolean))];
        for (const s of sources) if (s !== 'damon' && s !== 'perf') throw usage(`--sources: unknown live source "${s}" (damon, perf)`);
        const durationMs = parseDuration(opts.duration, '--duration');
        const config = await load(io, opts.config);
        const format = resolveFormat(opts.format, io, opts.output);
        const resolveOut = (file: string | undefined) => (file ? path.resolve(io.cwd, file) : undefined);
        for (const [flag, file] of [['--record', opts.record], ['--log', opts.log], ['-o', opts.output]] as const) if (file) checkOutputPath(resolveOut(file)!, flag);
        const html = htmlTarget(io, opts.html, opts.output);
        io.stderr(opts.apply ? `pghot live: --apply: pages of pid ${opts.pid ?? '?'} are moved with move_pages(2)\n` : 'pghot live: dry run: no page is moved\n');
        const log: string[] = [];
        const { report, recording } = await runLive({
          sysfsRoot: opts.sysfsRoot ? path.resolve(io.cwd, opts.sysfsRoot) : '/',
          durationMs,
          aggrMs: opts.aggrMs,
          sources: sources as LiveSource[],
          skipUnavailable: opts.skipUnavailable === true,
          pid: opts.pid,
          apply: opts.apply === true,
          record: resolveOut(opts.record),
          maxRegions: opts.maxRegions,
          maxSamplesPerSecond: opts.maxSamples,
          perf: opts.perf ? path.resolve(io.cwd, opts.perf) : undefined,
          topology: opts.topology ? await readTopology(path.resolve(io.cwd, opts.topology)) : undefined,
          engine: { mode: config.mode, stickyReady: config.stickyReady, tunables: config.tunables, plugins: config.plugins },
          notice: (line) => io.stderr(`${line}\n`),
          onBatch: opts.log ? (line) => log.push(`${line}\n`) : undefined,
        });
        if (opts.record && recording !== null) writeOutputFile(resolveOut(opts.record)!, recording);
        if (opts.log) writeOutputFile(resolveOut(opts.log)!, log.join(''));
        // the table: counters that moved, no PFN list, the topology note already on stderr
        const { promoted, live, ...rest } = report;
        const vmstatDelta = Object.fromEntries(Object.entries(live.vmstatDelta).filter(([, v]) => v !== 0));
        const { series: _perSecond, ...liveTotals } = live;
        const summary = { ...rest, promoted: { folios: promoted.folios, pages: promoted.pages }, live: { ...liveTotals, topology: live.topology.source, vmstatDelta } };
        emit(io, opts.output, format === 'json' ? `${reportJson(report)}\n` : `${configTable(summary)}\n`);
        emitHtml(io, html, { file: 'pghot live', kind: 'live', live: report as unknown as LiveReport });
        if (report.live.stoppedBy) throw Object.assign(new Error('live'), { exitCode: report.live.stoppedBy === 'SIGINT' ? 130 : 143, code: 'pghot.exit' });
      },
    );

  program
    .command('plugins')
    .description('list the pghot plugins installed where the command runs, and those shipped with pghot')
    .addOption(new Option('--format <format>', 'table for people, json for tools (default: table on a terminal, else json)').choices(['table', 'json'] as const))
    .action(async (opts: { format?: Format }) => {
      const project = new Set(listInstalledPlugins(io.cwd));
      const shipped = listInstalledPlugins(path.dirname(CLI_FILE));
      const rows = [...new Set([...project, ...shipped])].sort().map((name) => ({ name, version: installedVersion(name, io.cwd), from: project.has(name) ? 'project' : 'pghot' }));
      if (resolveFormat(opts.format, io) === 'json') io.stdout(`${JSON.stringify(rows, null, 2)}\n`);
      else io.stdout(`${rows.map((r) => `${r.name.padEnd(28)} ${String(r.version ?? '').padEnd(10)} ${r.from}`).join('\n')}\n`);
    });

  // --config and -o may stand before or after the subcommand's name (`config --config F print`)
  const configCommand = program
    .command('config')
    .description('inspect the configuration: print (the effective config), validate, schema (JSON Schema for editors)')
    .option('--print', 'print the effective config (as `pghot config print`)')
    .option('--config <file>', 'config file (default: searched from the current directory)')
    .option('--no-config', 'use no config file: do not search for one (configs are code: docs/security.md)')
    .option('-o, --output <file>', 'write to this file (atomically) instead of stdout')
    .addOption(new Option('--format <format>', 'json, or table for people (default: table on a terminal, else json)').choices(['table', 'json'] as const))
    .action(async (opts: ConfigCliOptions) => {
      if (!opts.print) throw usage('pghot config: use print, validate or schema (or --print)');
      await printConfig(io, opts);
    });
  const withParent = (opts: ConfigCliOptions): ConfigCliOptions => ({ ...(configCommand.opts() as ConfigCliOptions), ...stripUndefined(opts) });
  configCommand
    .command('print')
    .description('print the effective config: the file used, mode, tunables as the run uses them (after plugins set theirs), plugins with versions, simulator keys')
    .option('--config <file>', 'config file (default: searched from the current directory)')
    .option('--no-config', 'use no config file: do not search for one (configs are code: docs/security.md)')
    .option('-o, --output <file>', 'write to this file (atomically) instead of stdout')
    .addOption(new Option('--format <format>', 'json, or table for people (default: table on a terminal, else json)').choices(['table', 'json'] as const))
    .action(async (opts) => printConfig(io, withParent(opts as ConfigCliOptions)));
  configCommand
    .command('validate')
    .description('check a config file: exit 0 when valid, 2 with the file and key path when not')
    .option('--config <file>', 'config file (default: searched from the current directory)')
    .option('--no-config', 'use no config file: do not search for one (configs are code: docs/security.md)')
    .action(async (opts) => {
      const { config: file } = withParent(opts as ConfigCliOptions);
      const resolved = await load(io, file);
      resolveScenario({ set: [] }, resolved.extra, resolved.filepath);
      io.stdout(`valid: ${resolved.filepath ?? '(no config file; defaults)'}\n`);
    });
  configCommand
    .command('schema')
    .description('print the JSON Schema of config files (shipped as @pghot/core/pghot.config.schema.json)')
    .option('-o, --output <file>', 'write to this file (atomically) instead of stdout')
    .action(async (opts) => emit(io, withParent(opts as ConfigCliOptions).output, `${JSON.stringify(configJsonSchema(simConfigShape), null, 2)}\n`));
  return program;
}

/** The options every simulating command takes (commander's typing is lost through the shared helper). */
interface ScenarioCliOptions {
  machine?: string;
  workload?: string;
  placement?: string;
  moveAt?: string;
  set: string[];
  seed?: number;
  sources?: string;
  verify?: true;
  format?: Format;
  output?: string;
  wide?: true;
  color: boolean;
}

/** The version of an installed package, from the project or, failing that, from pghot's own install. */
function installedVersion(name: string, cwd: string): string | undefined {
  for (const from of [path.join(cwd, 'package.json'), CLI_FILE]) {
    try {
      return (createRequire(from)(`${name}/package.json`) as { version?: string }).version;
    } catch {
      // not visible from there
    }
  }
  return undefined;
}

export async function readTopology(file: string): Promise<TopologySpec> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw usage(`--topology ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : `not JSON: ${(e as Error).message.replace(/\s+/g, ' ')}`}`);
  }
  const parsed = topologySchema.safeParse(raw);
  if (!parsed.success) throw usage(`--topology ${file}: ${parsed.error.issues.map((i) => `${i.message} at ${i.path.join('.')}`).join('; ')}`);
  return parsed.data;
}

function flagsOf(opts: ScenarioCliOptions): ScenarioFlags {
  return { machine: opts.machine, workload: opts.workload, seed: opts.seed, placement: opts.placement, moveAt: opts.moveAt, set: opts.set, verify: opts.verify };
}

/** Read progress for long trace files: bytes, accesses per second, ETA; stderr, terminals only. */
function readProgress(io: Io, file: string): { onProgress?: (bytes: number, accesses: number) => void } {
  if (!io.stderrIsTTY || io.env.CI) return {};
  const total = statSync(file, { throwIfNoEntry: false })?.size ?? 0;
  const start = performance.now();
  return {
    onProgress: (bytes, accesses) => {
      const s = (performance.now() - start) / 1000;
      const eta = bytes > 0 && total > bytes ? ((total - bytes) * s) / bytes : 0;
      io.stderr(`\r\u001b[2K${path.basename(file)}: ${(bytes / 2 ** 20).toFixed(0)}/${(total / 2 ** 20).toFixed(0)} MiB, ${(accesses / s / 1e6).toFixed(1)} M accesses/s, ETA ${eta.toFixed(0)} s`);
    },
  };
}

interface ConfigCliOptions {
  print?: true;
  config?: string | false;
  output?: string;
  format?: Format;
}

const stripUndefined = <T extends object>(o: T): Partial<T> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

/**
 * The config as `pghot run --config F` uses it: the plugins are applied to an engine on the
 * config's machine, so the tunables shown are those after plugins set theirs (a source's
 * enabled_sources bit, a policy's freq_threshold), and the default source appears when the config
 * names none.
 */
async function printConfig(io: Io, opts: ConfigCliOptions): Promise<void> {
  const config = await load(io, opts.config);
  const scenario = resolveScenario({ set: [] }, config.extra, config.filepath);
  const run = configFromFile(config, {});
  const sim = new Simulation(simOptions(scenario, run));
  await sim.engine.init();
  const tunables = sim.engine.tunables.toJSON();
  await sim.engine.shutdown();
  const added = run.plugins.filter((p) => !config.plugins.includes(p));
  const effective = {
    file: config.filepath,
    name: run.name,
    mode: config.mode,
    stickyReady: config.stickyReady,
    tunables,
    plugins: [...config.origins, ...added.map((p) => ({ name: p.name, from: 'pghot (the config names no source)', version: p.version }))],
    machine: scenario.machine.name,
    workload: scenario.workload,
    seed: scenario.seed,
    placement: scenario.placement,
    ...(scenario.moveAt ? { moveAt: scenario.moveAt } : {}),
    sim: scenario.sim,
  };
  const format = resolveFormat(opts.format, io, opts.output);
  emit(io, opts.output, format === 'json' ? `${JSON.stringify(effective, null, 2)}\n` : `${configTable(effective)}\n`);
}

/** Run the CLI with `argv` (without node and script); resolves to the process exit code. */
export async function runCli(argv: readonly string[], io: Io): Promise<number> {
  const program = createProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (e) {
    const err = e as Error & { code?: string };
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
    if (err.code === 'pghot.exit') return (err as { exitCode?: number }).exitCode ?? 0; // record: the program's own status
    if (err.code?.startsWith('commander.')) return 2; // commander printed the message
    if (err instanceof ConfigError) {
      io.stderr(`pghot: ${err.message}\n`);
      return 2;
    }
    if (err instanceof PghotError) {
      io.stderr(`pghot: ${err.message}\n`);
      return 1;
    }
    // not an input problem: a bug or the system; one line, the stack on request
    io.stderr(io.env.PGHOT_DEBUG ? `pghot: ${err.stack ?? err.message}\n` : `pghot: ${err.message}\npghot: an internal error (set PGHOT_DEBUG=1 for the stack; please report it)\n`);
    return 1;
  }
}
