export {
  HZ,
  PAGE_SHIFT,
  PAGE_SIZE,
  SECTION_SHIFT,
  PAGES_PER_SECTION,
  MAX_NUMNODES,
  MAX_PFN,
  NUMA_NO_NODE,
  EINVAL,
  EAGAIN,
  PGHOT_SRC,
  MAX_SOURCES,
  mbToPages,
  type BuiltinSourceName,
} from './constants.js';
export { PghotError, ConfigError } from './errors.js';
export { CORE_VERSION } from './version.js';
export { MEMTIER_CHUNK_BITS, memoryTierOf, Topology, topologySchema, nodeSpecSchema, topTierFlags, type TopologySpec, type NodeSpec, type NodeInfo } from './topology.js';
export * from './record-default.js';
export * from './record-precision.js';
export { Tunables, tunablesSchema, TUNABLE_NAMES, type TunablesInput, type TunableName, type TunableValues, type PghotMode } from './tunables.js';
export { Vmstat, CORE_COUNTERS, type CoreCounter } from './vmstat.js';
export {
  Stage,
  createHooks,
  type EngineHooks,
  type AccessBatch,
  type HotPagesBatch,
  type KmigratedWake,
  type PassContext,
  type CandidateBatch,
  type MigrationBatch,
  type MigrationOutcome,
  type TickContext,
} from './hooks.js';
export {
  definePlugin,
  defineSource,
  definePolicy,
  defineBackend,
  parsePluginOptions,
  formatIssues,
  isPlugin,
  checkPlugins,
  unreadSources,
  type PghotPlugin,
  type PluginKind,
  type PluginFactory,
  type StandardSchemaV1,
} from './plugin.js';
export type { MemoryModel, NodeCapacity } from './memory.js';
export { PromotionRateLimiter, Verdict, THRESHOLD_PERIOD_MS } from './ratelimit.js';
export type { KmigratedPassResult } from './kmigrated.js';
export { Pghot, createPghot, type CreatePghotOptions, type RecordBuffer, type RecordView, type SourceInfo } from './pghot.js';
export { dryRunBackend, createDryRunEngine, STANDIN_TOPOLOGY, type DryRunBackend, type DryRunBatch, type DryRunEngineOptions } from './dry-run.js';
export {
  CAPABILITIES,
  checkCapabilities,
  createPlatformHooks,
  createWalkBatch,
  noPlatform,
  TaskPageIndex,
  type Capability,
  type HintFaultBatch,
  type Platform,
  type PlatformCosts,
  type PlatformHooks,
  type PlatformTask,
  type SampleRings,
  type HotnessCounters,
  type HotnessMonitorSettings,
  type SamplerSettings,
  type WalkBatch,
} from './platform.js';
export { mulberry32 } from './random.js';
