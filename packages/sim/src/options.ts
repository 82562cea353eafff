import type { PghotMode, PghotPlugin, TunablesInput } from '@pghot/core';
import type { LlcOptions } from './llc.js';
import type { Machine, MachineSpec } from './machine.js';
import type { WorkloadInstance } from './workloads.js';

export type PlacementPolicy = 'local' | 'preferred' | 'bind';

export interface SimOptions {
  machine: string | MachineSpec | Machine;
  workload: string | WorkloadInstance | { name: string; params?: Record<string, unknown> };
  seed?: number;
  mode?: PghotMode;
  tunables?: TunablesInput;
  stickyReady?: boolean;
  plugins?: readonly PghotPlugin[];
  /** First-touch placement: local to the CPU with fallback down the tiers (Linux default), preferred node, or bound to a node. */
  placement?: { policy: PlacementPolicy; node?: number };
  /** Move all pages of every process to `node` at `timeMs` (as migratepages after graph construction). */
  moveAt?: { timeMs: number; node: number };
  /** false: a no-promotion run (oracle): kmigrated never wakes and kswapd never demotes. */
  promotion?: boolean;
  /** kswapd demotion on top-tier nodes (default true). */
  demotion?: boolean;
  /** Cost of one NUMA hint fault, charged to the faulting thread. */
  hintFaultNs?: number;
  llc?: LlcOptions | false;
  intervalMs?: number;
  /**
   * The warm-up reported apart (`fastTierHitRatioAfterWarmUp`): 2000 ms, twice NUMA balancing's
   * first scan period (scan_delay, then task_scan_start of a task under 256 MB: 1000 ms each).
   */
  warmUpMs?: number;
  pingPongWindowMs?: number;
  /**
   * Replay plain accesses in WebAssembly (default true); false runs every access in JavaScript.
   * The results are the same bytes either way: false is for checking that, and for debugging.
   */
  wasm?: boolean;
  /** Check the invariants at the end of the run (and throw if one fails). */
  verify?: boolean;
  onProgress?: (fraction: number, simTimeMs: number) => void;
}
