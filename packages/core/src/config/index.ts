export { defineConfig, configSchema, coreConfigShape, pluginRefSchema, type PghotConfig, type PluginRef } from './schema.js';
export { loadConfig, validateConfig, SEARCH_PLACES, MODULE_NAME, type LoadConfigOptions, type ResolvedConfig } from './load.js';
export { resolvePlugins, candidateIds, listInstalledPlugins, type PluginOrigin } from './resolve-plugins.js';
export { configJsonSchema } from './json-schema.js';
