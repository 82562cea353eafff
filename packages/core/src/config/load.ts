import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { cosmiconfig } from 'cosmiconfig';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { formatIssues, type PghotPlugin } from '../plugin.js';
import { tunablesSchema, type PghotMode, type TunablesInput } from '../tunables.js';
import { loadTypeScript } from './load-typescript.js';
import { resolvePlugins, type PluginOrigin } from './resolve-plugins.js';
import { coreConfigShape } from './schema.js';

export const MODULE_NAME = 'pghot';

/** cosmiconfig 9's defaults for "pghot", plus .mts/.cts. */
export const SEARCH_PLACES = [
  'package.json',
  '.pghotrc',
  '.pghotrc.json',
  '.pghotrc.yaml',
  '.pghotrc.yml',
  '.pghotrc.js',
  '.pghotrc.ts',
  '.pghotrc.mjs',
  '.pghotrc.cjs',
  '.config/pghotrc',
  '.config/pghotrc.json',
  '.config/pghotrc.yaml',
  '.config/pghotrc.yml',
  '.config/pghotrc.js',
  '.config/pghotrc.ts',
  '.config/pghotrc.mjs',
  '.config/pghotrc.cjs',
  'pghot.config.js',
  'pghot.config.ts',
  'pghot.config.mjs',
  'pghot.config.cjs',
  'pghot.config.mts',
  'pghot.config.cts',
];

export interface LoadConfigOptions {
  /** An explicit config file (`--config`): loaded, not searched. */
  file?: string;
  /** Where the search starts; it walks up to the nearest package.json. Default: process.cwd(). */
  cwd?: string;
  /** Keys of the tool loading the config (e.g. the simulator's machine and workload), validated with the rest. */
  extend?: z.ZodRawShape;
  /** A file of the tool loading the config: plugins it ships resolve from there when the project lacks them. */
  fallbackFrom?: string;
  /** Told when a search finds several config files in one directory (the first in SEARCH_PLACES order is used). */
  onWarning?: (message: string) => void;
  /** false: no search without `file` (all defaults), so no config code runs (`--no-config`). Default true. */
  search?: boolean;
}

export interface ResolvedConfig {
  /** The file the config came from, or null when none was found (all defaults). */
  filepath: string | null;
  mode: PghotMode;
  stickyReady: boolean;
  tunables: TunablesInput;
  plugins: PghotPlugin[];
  origins: PluginOrigin[];
  /** Values of the `extend` keys. */
  extra: Record<string, unknown>;
}

function explorer() {
  return cosmiconfig(MODULE_NAME, {
    searchPlaces: SEARCH_PLACES,
    searchStrategy: 'project',
    loaders: { '.ts': loadTypeScript, '.mts': loadTypeScript, '.cts': loadTypeScript },
  });
}

/** The config files in the directory where a search found `filepath` (itself first), in search order. */
function configFilesBeside(filepath: string): string[] {
  const dir = path.dirname(filepath);
  const base = path.basename(dir) === '.config' ? path.dirname(dir) : dir;
  const others = SEARCH_PLACES.map((place) => path.join(base, place)).filter((f) => {
    if (f === filepath || !existsSync(f)) return false;
    if (path.basename(f) !== 'package.json') return true;
    try {
      return MODULE_NAME in (JSON.parse(readFileSync(f, 'utf8')) as object);
    } catch {
      return false;
    }
  });
  return [filepath, ...others];
}

/** zod issues on one line (`key.path: message; ...`), an unrecognized key named at its own path. */
function issuesOf(error: z.ZodError, prefix: PropertyKey[] = []): string {
  const issues = error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ message: `Unrecognized key: "${key}"`, path: [...prefix, ...issue.path, key] }))
      : [{ message: issue.message, path: [...prefix, ...issue.path] }],
  );
  return formatIssues(issues);
}

/** Find (or load) the config, validate it, and resolve its plugins. Errors are ConfigErrors naming the file and key path. */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<ResolvedConfig> {
  let result: { config: unknown; filepath: string } | null;
  const file = options.file === undefined ? undefined : path.resolve(options.cwd ?? process.cwd(), options.file);
  try {
    if (file !== undefined) result = await explorer().load(file);
    else result = options.search === false ? null : await explorer().search(options.cwd ?? process.cwd());
  } catch (cause) {
    const e = cause as NodeJS.ErrnoException;
    if (file !== undefined && e.code === 'ENOENT') throw new ConfigError(`${file}: no such config file`, { code: 'PGHOT_CONFIG', file, cause });
    const where = file ?? (e as { filepath?: string }).filepath ?? (e.message.match(/(\/\S+)/)?.[1] ?? 'config');
    throw new ConfigError(`${where}: cannot read the config: ${e.message}`, { code: 'PGHOT_CONFIG', file: where, cause });
  }
  const filepath = result?.filepath ?? null;
  if (file === undefined && filepath !== null) {
    const found = configFilesBeside(filepath);
    if (found.length > 1) options.onWarning?.(`${found.length} config files in ${path.dirname(found[0]!)}: ${found.map((f) => path.basename(f)).join(', ')}; using ${filepath}`);
  }
  let raw: unknown = result?.config ?? {};
  if (typeof raw === 'function') {
    try {
      raw = await (raw as () => unknown)();
    } catch (cause) {
      throw new ConfigError(`${filepath}: the config's exported function failed: ${(cause as Error).message}`, { code: 'PGHOT_CONFIG', cause, ...(filepath ? { file: filepath } : {}) });
    }
  }
  return validateConfig(raw, filepath, options.extend ?? {}, options.fallbackFrom);
}

/** Validate an already loaded config object (what loadConfig does after reading the file). */
export async function validateConfig(raw: unknown, filepath: string | null, extend: z.ZodRawShape = {}, fallbackFrom?: string): Promise<ResolvedConfig> {
  const where = filepath ?? 'config';
  const parsed = z.strictObject({ ...coreConfigShape, ...extend }).safeParse(raw ?? {});
  if (!parsed.success) {
    throw new ConfigError(`${where}: invalid config: ${issuesOf(parsed.error)}`, { code: 'PGHOT_CONFIG', ...(filepath ? { file: filepath } : {}) });
  }
  const { $schema: _schema, mode, stickyReady, tunables, plugins: refs, ...extra } = parsed.data as unknown as z.output<z.ZodObject<typeof coreConfigShape>> & {
    [key: string]: unknown;
  };
  const tunablesParsed = tunablesSchema(mode).safeParse(tunables);
  if (!tunablesParsed.success) {
    throw new ConfigError(`${where}: invalid config (${mode} mode): ${issuesOf(tunablesParsed.error, ['tunables'])}`, {
      code: 'PGHOT_CONFIG',
      ...(filepath ? { file: filepath } : {}),
    });
  }
  const { plugins, origins } = await resolvePlugins(refs, filepath ?? path.join(process.cwd(), 'pghot.config.js'), fallbackFrom);
  return { filepath, mode, stickyReady, tunables: tunables as TunablesInput, plugins, origins, extra };
}
