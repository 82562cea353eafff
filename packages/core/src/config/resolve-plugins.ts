import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../errors.js';
import { isPlugin, type PghotPlugin } from '../plugin.js';
import { loadTypeScript } from './load-typescript.js';
import type { PluginRef } from './schema.js';

/** Where a plugin came from, for `pghot config print` and `pghot plugins`. */
export interface PluginOrigin {
  name: string;
  /** The package id or file it was loaded from; 'inline' for plugin objects in a TS/JS config. */
  from: string;
  version: string | undefined;
}

/**
 * The ids a plugin name may be installed under, in the order they are tried — the one rule for
 * config files, `--sources` and `--policies`: a relative or absolute path as is; `@scope` alone →
 * `@scope/pghot-plugin`; a scoped name literally; otherwise `@pghot/<name>`, then the first-party
 * short forms `@pghot/source-<name>` and `@pghot/policy-<name>` (so `hintfault` and `hemem` work),
 * `pghot-plugin-<name>`, then `<name>`.
 */
export function candidateIds(name: string, configDir: string): string[] {
  if (name.startsWith('.') || path.isAbsolute(name)) return [path.resolve(configDir, name)];
  if (name.startsWith('@')) return name.includes('/') ? [name] : [`${name}/pghot-plugin`];
  if (name.startsWith('pghot-plugin-')) return [name];
  const shortForms = /^(source|policy)-/.test(name) ? [] : [`@pghot/source-${name}`, `@pghot/policy-${name}`];
  return [`@pghot/${name}`, ...shortForms, `pghot-plugin-${name}`, name];
}

const TS_FILE = /\.[mc]?ts$/;

/** Resolve every plugin reference of a config, from the config file's directory (the user's project). */
export async function resolvePlugins(
  refs: readonly PluginRef[],
  configFile: string,
  /** Where to look when the config's project lacks a plugin: a tool bundling first-party plugins passes its own file. */
  fallbackFrom?: string,
): Promise<{ plugins: PghotPlugin[]; origins: PluginOrigin[] }> {
  const plugins: PghotPlugin[] = [];
  const origins: PluginOrigin[] = [];
  for (let i = 0; i < refs.length; i++) {
    const ref = refs[i]!;
    if (isPlugin(ref)) {
      plugins.push(ref);
      origins.push({ name: ref.name, from: 'inline', version: ref.version });
      continue;
    }
    const [name, options] = typeof ref === 'string' ? [ref, undefined] : ref;
    const { plugin, from, version } = await loadPlugin(name, options, configFile, `plugins[${i}]`, fallbackFrom);
    plugins.push(plugin);
    origins.push({ name: plugin.name, from, version: plugin.version ?? version });
  }
  return { plugins, origins };
}

function resolveFrom(from: string, candidates: readonly string[]): { resolved: string; id: string } | undefined {
  const require = createRequire(from);
  for (const id of candidates) {
    try {
      return { resolved: require.resolve(id), id };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'MODULE_NOT_FOUND' && code !== 'ERR_PACKAGE_PATH_NOT_EXPORTED') throw e;
    }
  }
  return undefined;
}

async function loadPlugin(name: string, options: unknown, configFile: string, keyPath: string, fallbackFrom?: string) {
  const configDir = path.dirname(configFile);
  const tried = candidateIds(name, configDir);
  const found = resolveFrom(configFile, tried) ?? (fallbackFrom && !path.isAbsolute(tried[0]!) ? resolveFrom(fallbackFrom, tried) : undefined);
  const resolved = found?.resolved;
  const id = found?.id ?? '';
  if (resolved === undefined) {
    const installed = [...new Set([...listInstalledPlugins(configDir), ...(fallbackFrom ? listInstalledPlugins(path.dirname(fallbackFrom)) : [])])].sort();
    throw new ConfigError(
      `${configFile}: unknown plugin "${name}" at ${keyPath} (tried ${tried.join(', ')}). ` +
        (installed.length ? `Installed plugins: ${installed.join(', ')}` : 'No pghot plugins are installed here.'),
      { code: 'PGHOT_UNKNOWN_PLUGIN', file: configFile },
    );
  }
  let factory: unknown;
  try {
    // a .ts plugin file loads as a .ts config does: natively under a TS runtime, else through jiti
    factory = TS_FILE.test(resolved) ? await loadTypeScript(resolved) : ((await import(pathToFileURL(resolved).href)) as { default?: unknown }).default;
  } catch (cause) {
    throw new ConfigError(`${configFile}: plugin "${name}" at ${keyPath} failed to load from ${resolved}: ${(cause as Error).message}`, {
      code: 'PGHOT_PLUGIN_LOAD',
      file: configFile,
      cause,
    });
  }
  if (typeof factory !== 'function') {
    throw new ConfigError(`${configFile}: plugin "${name}" at ${keyPath}: ${id} has no default export factory`, { code: 'PGHOT_PLUGIN', file: configFile });
  }
  let plugin: unknown;
  try {
    plugin = (factory as (o?: unknown) => unknown)(options);
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : String(cause);
    throw new ConfigError(`${configFile}: ${keyPath}: ${message}`, { code: (cause as ConfigError).code ?? 'PGHOT_PLUGIN', file: configFile, cause });
  }
  if (!isPlugin(plugin)) {
    throw new ConfigError(`${configFile}: plugin "${name}" at ${keyPath}: the factory of ${id} did not return a plugin ({ name, apply })`, {
      code: 'PGHOT_PLUGIN',
      file: configFile,
    });
  }
  // a local file's nearest package.json is the user's project, not the plugin's
  return { plugin, from: id, version: path.isAbsolute(id) ? undefined : packageVersion(resolved) };
}

function packageVersion(resolvedFile: string): string | undefined {
  for (let dir = path.dirname(resolvedFile); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        return (JSON.parse(readFileSync(manifest, 'utf8')) as { version?: string }).version;
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/**
 * Packages visible from `dir` (its node_modules and every parent's) whose keywords include
 * "pghot-plugin": `@pghot/*`, `pghot-plugin-*` and `@scope/pghot-plugin*`.
 */
export function listInstalledPlugins(dir: string): string[] {
  const found = new Set<string>();
  const consider = (pkgDir: string) => {
    try {
      const manifest = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8')) as { name?: string; keywords?: string[] };
      if (manifest.name && manifest.keywords?.includes('pghot-plugin')) found.add(manifest.name);
    } catch {
      // not a package
    }
  };
  const entries = (d: string) => {
    try {
      return readdirSync(d);
    } catch {
      return [];
    }
  };
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    const nm = path.join(d, 'node_modules');
    for (const entry of entries(nm)) {
      if (entry.startsWith('pghot-plugin-')) consider(path.join(nm, entry));
      else if (entry.startsWith('@')) {
        for (const sub of entries(path.join(nm, entry))) {
          if (entry === '@pghot' || sub.startsWith('pghot-plugin')) consider(path.join(nm, entry, sub));
        }
      }
    }
    if (d === path.dirname(d)) break;
  }
  return [...found].sort();
}
