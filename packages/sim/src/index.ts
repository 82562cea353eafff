export { buildMachine, machineSchema, simNodeSchema, MACHINE_PRESETS, type Machine, type MachineSpec, type NodeLayout } from './machine.js';
export { PhysicalMemory, THP_ORDER, THP_PAGES } from './physmem.js';
export { createWorkload, DEFAULT_ACCESSES_PER_THREAD, threadsForMachine, WORKLOADS, WORKLOAD_NAMES, type ProcessSpec, type WorkloadInstance, type WorkloadName } from './workloads.js';
export {
  Simulation,
  AddressSpace,
  getSim,
  getSimHooks,
  PTE_PROTNONE,
  type SimOptions,
  type SimThread,
  type SimHooks,
  type DemotionRequest,
  type PlacementPolicy,
  type SimResult,
} from './sim.js';
export { SimPlatform } from './platform.js';
export { Metrics, type IntervalPoint, type OverheadEntry } from './metrics.js';
export { OracleRecorder, type Oracles, type OracleResult } from './oracles.js';
export { applyBaseline, buildReport, REPORT_SCHEMA_VERSION, summarizeBaseline, type BaselineSummary, type RunReport, type RunEvent, type MigrationTotals } from './report.js';
export { runSimulation, runBaseline, type RunOptions } from './run.js';
export { Llc, type LlcOptions } from './llc.js';
export { Sampler, type SamplerOptions } from './sampler.js';
export { mulberry32, ZipfSampler } from './random.js';
export { HeatmapRecorder, type HeatmapReport, type HeatmapSpace } from './heatmap.js';
