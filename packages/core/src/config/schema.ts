import { z } from 'zod';
import { isPlugin, type PghotPlugin } from '../plugin.js';
import { TUNABLE_NAMES, type PghotMode, type TunablesInput } from '../tunables.js';

/** A plugin in a config: "name", ["name", { options }], or a plugin object (TS/JS configs). */
export const pluginRefSchema = z.union([z.string().min(1), z.tuple([z.string().min(1), z.looseObject({})]), z.custom<PghotPlugin>(isPlugin)], {
  error: 'expected "name", ["name", { ...options }] or a plugin object (did you forget to call the factory?)',
});
export type PluginRef = z.input<typeof pluginRefSchema>;

/**
 * The keys core owns. Tunable values are checked again against the chosen mode's ranges after
 * this parse (their ranges differ by mode). Tools add their own keys with `extend`.
 */
export const coreConfigShape = {
  /** The JSON Schema an editor validates the file against; ignored by pghot. */
  $schema: z.string().optional(),
  mode: z.enum(['default', 'precision']).default('default'),
  /** v5/v6 default-mode behaviour: updates never clear MIGRATE_READY. */
  stickyReady: z.boolean().default(false),
  tunables: z.partialRecord(z.enum(TUNABLE_NAMES as [string, ...string[]]), z.number()).default({}),
  plugins: z.array(pluginRefSchema).default([]),
};

export const configSchema = z.strictObject(coreConfigShape);

/** What a config file may contain (core keys; tools that extend the schema accept more). */
export interface PghotConfig {
  mode?: PghotMode;
  stickyReady?: boolean;
  tunables?: TunablesInput;
  plugins?: PluginRef[];
  [key: string]: unknown;
}

/** Typed identity for `pghot.config.ts`; also takes a (possibly async) function returning the config. */
export function defineConfig<const C extends PghotConfig>(config: C | (() => C | Promise<C>)): C | (() => C | Promise<C>) {
  return config;
}
