import semver from 'semver';
import { ConfigError } from './errors.js';
import type { Pghot } from './pghot.js';
import type { Capability } from './platform.js';
import { CORE_VERSION } from './version.js';

/** What a plugin is for; `kind` only documents and lists, it does not restrict hooks. */
export type PluginKind = 'source' | 'policy' | 'backend' | 'plugin';

export interface PghotPlugin {
  /** Unique per engine; the tap name of every tap the plugin makes. */
  readonly name: string;
  readonly kind?: PluginKind;
  /** The plugin's own version, shown by tools. */
  readonly version?: string;
  /** semver range of @pghot/core the plugin supports; checked before `apply`. */
  readonly core?: string;
  /** Names of plugins that must be loaded too; checked before `apply`. */
  readonly dependsOn?: readonly string[];
  /** Default stage of the plugin's taps: 'pre' → Stage.PRE, 'post' → Stage.POST. */
  readonly enforce?: 'pre' | 'post';
  /**
   * A policy that decides from some sources' own output instead of the hotness store (HeMem from
   * PEBS samples, NUMAB2 from hint faults) names those source plugins; without it a policy reads the
   * store, which every source feeds. Tools warn about a source no loaded policy reads.
   */
  readonly reads?: readonly string[];
  /** What the plugin needs of the platform; checked at load time against `engine.platform`. */
  readonly requires?: readonly Capability[];
  /** Synchronous: tap hooks, register sources and counters. Async setup goes in `hooks.init`. */
  apply(engine: Pghot): void;
}

/**
 * Sources whose output no loaded policy reads: every policy names what it `reads` and the source is
 * in none of those lists. Such a source still costs its overhead.
 */
export function unreadSources(plugins: readonly PghotPlugin[]): { source: string; policies: string[] }[] {
  const policies = plugins.filter((p) => p.kind === 'policy');
  if (policies.length === 0 || policies.some((p) => p.reads === undefined)) return [];
  return plugins
    .filter((p) => p.kind === 'source' && !policies.some((q) => q.reads!.includes(p.name)))
    .map((p) => ({ source: p.name, policies: policies.map((q) => `${q.name} reads ${q.reads!.join(', ') || 'no source'}`) }));
}

export const definePlugin = <const P extends PghotPlugin>(plugin: P): P => plugin;
/** A temperature source: registers (or looks up) a source id and reports through recordAccess(es). */
export const defineSource = <const P extends Omit<PghotPlugin, 'kind'>>(plugin: P): P & { readonly kind: 'source' } => ({
  ...plugin,
  kind: 'source',
});
/** A promotion policy: decides through selectCandidates / shouldMigrate / pagesHot. */
export const definePolicy = <const P extends Omit<PghotPlugin, 'kind'>>(plugin: P): P & { readonly kind: 'policy' } => ({
  ...plugin,
  kind: 'policy',
});
/** A migration backend: claims migrateBatch. */
export const defineBackend = <const P extends Omit<PghotPlugin, 'kind'>>(plugin: P): P & { readonly kind: 'backend' } => ({
  ...plugin,
  kind: 'backend',
});

/** A plugin package's default export: options in, plugin out. */
export type PluginFactory<O = never> = (options?: O) => PghotPlugin;

export function isPlugin(value: unknown): value is PghotPlugin {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as PghotPlugin).name === 'string' &&
    typeof (value as PghotPlugin).apply === 'function'
  );
}

/** The Standard Schema interface (zod 4, valibot, arktype implement it), so core's types never name zod. */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => StandardResult<Output> | Promise<StandardResult<Output>>;
    readonly types?: { readonly input: Input; readonly output: Output } | undefined;
  };
}
type StandardResult<O> =
  | { readonly value: O; readonly issues?: undefined }
  | { readonly issues: readonly { readonly message: string; readonly path?: readonly (PropertyKey | { readonly key: PropertyKey })[] | undefined }[] };

/** Issues on one line: `a.b[0]: message; c: message` (a message without a path stands alone). */
export function formatIssues(
  issues: readonly { readonly message: string; readonly path?: readonly (PropertyKey | { readonly key: PropertyKey })[] | undefined }[],
  prefix = '',
): string {
  return issues
    .map((issue) => {
      const path = (issue.path ?? [])
        .map((p) => (typeof p === 'object' ? p.key : p))
        .reduce<string>((acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)), '');
      return path ? `${prefix}${path}: ${issue.message}` : issue.message;
    })
    .join('; ');
}

/** Validate a plugin's options at construction; on failure a ConfigError names the plugin and each option path. */
export function parsePluginOptions<O>(name: string, schema: StandardSchemaV1<unknown, O>, input: unknown): O {
  const result = schema['~standard'].validate(input ?? {});
  if (result instanceof Promise) throw new TypeError(`plugin "${name}": options schemas must validate synchronously`);
  if (result.issues) {
    throw new ConfigError(`Invalid options for plugin "${name}": ${formatIssues(result.issues)}`, { code: 'PGHOT_PLUGIN_OPTIONS' });
  }
  return result.value;
}

/** The checks core makes before applying any plugin: unique names, supported core, dependencies present. */
export function checkPlugins(plugins: readonly PghotPlugin[]): void {
  const names = new Set<string>();
  for (const plugin of plugins) {
    if (!isPlugin(plugin)) {
      throw new ConfigError('A plugin must be an object with a name and an apply(engine) method (did you forget to call the factory?)', {
        code: 'PGHOT_PLUGIN',
      });
    }
    if (names.has(plugin.name)) throw new ConfigError(`plugin "${plugin.name}" is loaded twice; remove one of them`, { code: 'PGHOT_PLUGIN' });
    names.add(plugin.name);
    if (plugin.core !== undefined) {
      if (!semver.validRange(plugin.core)) {
        throw new ConfigError(`plugin "${plugin.name}" declares an invalid core range "${plugin.core}"`, { code: 'PGHOT_PLUGIN' });
      }
      if (!semver.satisfies(CORE_VERSION, plugin.core, { includePrerelease: true })) {
        throw new ConfigError(
          `plugin "${plugin.name}" requires @pghot/core ${plugin.core}, but @pghot/core is ${CORE_VERSION}; install a version of "${plugin.name}" made for @pghot/core ${CORE_VERSION}, or a @pghot/core in ${plugin.core}`,
          { code: 'PGHOT_PLUGIN_CORE' },
        );
      }
    }
  }
  for (const plugin of plugins) {
    for (const dep of plugin.dependsOn ?? []) {
      if (!names.has(dep)) {
        throw new ConfigError(`plugin "${plugin.name}" depends on plugin "${dep}", which is not loaded; add "${dep}" to plugins`, {
          code: 'PGHOT_PLUGIN_DEPENDENCY',
        });
      }
    }
  }
}
