import { Command, InvalidArgumentError, Option } from '@commander-js/extra-typings';
import { ConfigError, CORE_VERSION, TUNABLE_NAMES, tunablesSchema, type TunableName } from '@pghot/core';
import { loadConfig, type ResolvedConfig } from '@pghot/core/config';
import { DEMO_DEFAULTS, runDemo } from './commands/demo.js';
import { demoTable, type Format } from './output.js';

export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  stdoutIsTTY: boolean;
  cwd: string;
  env: Record<string, string | undefined>;
}

export const CLI_VERSION = '0.1.0';

/** Usage and config errors: reported on stderr with exit code 2. */
class UsageError extends Error {}

const intOption = (name: string, min: number) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer >= ${min}.`);
  return n;
};

/** `--set key=value` for tunables, applied over the config file's. */
function parseSets(sets: string[]): Partial<Record<TunableName, number>> {
  const out: Partial<Record<TunableName, number>> = {};
  for (const set of sets) {
    const m = /^([A-Za-z_]+)=(-?\d+|0x[0-9a-fA-F]+)$/.exec(set);
    if (!m) throw new UsageError(`--set expects tunable=integer (e.g. freq_threshold=1), got "${set}"`);
    const key = m[1] as TunableName;
    if (!TUNABLE_NAMES.includes(key)) throw new UsageError(`--set ${set}: unknown tunable "${key}"; tunables are ${TUNABLE_NAMES.join(', ')}`);
    out[key] = Number(m[2]);
  }
  return out;
}

function resolveFormat(format: Format | undefined, io: Io): Format {
  return format ?? (io.stdoutIsTTY ? 'table' : 'json');
}

/** The `pghot` program; `io` makes it testable in-process. Resolves to the exit code. */
export function createProgram(io: Io): Command {
  const program = new Command()
    .name('pghot')
    .description('pghot: hot page tracking and promotion for tiered memory (Linux pghot, in TypeScript)')
    .version(`${CLI_VERSION} (@pghot/core ${CORE_VERSION})`)
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride();

  const formatOption = () => new Option('--format <format>', 'table for people, json for tools (default: table on a terminal, else json)').choices(['table', 'json'] as const);

  program
    .command('demo', { isDefault: true })
    .description('run a built-in demonstration of the core: synthetic hint faults on a DRAM + CXL machine, kmigrated promoting hot CXL pages')
    .option('--config <file>', 'config file (default: searched from the current directory)')
    .option('--seed <n>', 'seed of the access stream', intOption('--seed', 0), DEMO_DEFAULTS.seed)
    .option('--seconds <n>', 'simulated seconds', intOption('--seconds', 1), DEMO_DEFAULTS.seconds)
    .option('--accesses-per-ms <n>', 'accesses reported per simulated ms', intOption('--accesses-per-ms', 1), DEMO_DEFAULTS.accessesPerMs)
    .option('--set <tunable=value...>', 'override a tunable, e.g. --set freq_threshold=1', [] as string[])
    .addOption(formatOption())
    .option('--no-color', 'no colors in tables')
    .action(async (opts) => {
      const config = await loadConfig({ cwd: io.cwd, ...(opts.config ? { file: opts.config } : {}) });
      const report = await runDemo({
        seed: opts.seed,
        seconds: opts.seconds,
        accessesPerMs: opts.accessesPerMs,
        mode: config.mode,
        stickyReady: config.stickyReady,
        tunables: { ...config.tunables, ...parseSets(opts.set) },
        plugins: config.plugins,
      });
      if (resolveFormat(opts.format, io) === 'json') io.stdout(`${JSON.stringify(report, null, 2)}\n`);
      else io.stdout(`${demoTable(report, opts.color && io.stdoutIsTTY && !io.env.NO_COLOR)}\n`);
    });

  const config = program.command('config').description('inspect the configuration');
  config
    .command('print')
    .description('print the resolved config: file, mode, tunables, plugins by name and version')
    .option('--config <file>', 'config file (default: searched from the current directory)')
    .action(async (opts) => {
      const resolved = await loadConfig({ cwd: io.cwd, ...(opts.config ? { file: opts.config } : {}) });
      io.stdout(`${JSON.stringify(printable(resolved), null, 2)}\n`);
    });
  config
    .command('validate')
    .description('check a config file: exit 0 when valid, 2 with the file and key path when not')
    .option('--config <file>', 'config file (default: searched from the current directory)')
    .action(async (opts) => {
      const resolved = await loadConfig({ cwd: io.cwd, ...(opts.config ? { file: opts.config } : {}) });
      io.stdout(`valid: ${resolved.filepath ?? '(no config file; defaults)'}\n`);
    });
  return program;
}

function printable(config: ResolvedConfig) {
  return {
    file: config.filepath,
    mode: config.mode,
    stickyReady: config.stickyReady,
    // with the mode's defaults filled in; target_nid defaults per machine (node 0 or the first top-tier node)
    tunables: tunablesSchema(config.mode).parse(config.tunables),
    plugins: config.origins,
    ...config.extra,
  };
}

/** Run the CLI with `argv` (without node and script); resolves to the process exit code. */
export async function runCli(argv: readonly string[], io: Io): Promise<number> {
  const program = createProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (e) {
    const err = e as Error & { code?: string; exitCode?: number };
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
    if (err.code?.startsWith('commander.')) return 2; // commander already printed the message
    if (err instanceof UsageError || err instanceof ConfigError) {
      io.stderr(`pghot: ${err.message}\n`);
      return 2;
    }
    io.stderr(`pghot: ${err.stack ?? err.message}\n`);
    return 1;
  }
}
