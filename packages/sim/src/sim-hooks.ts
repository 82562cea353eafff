import type { Pghot } from '@pghot/core';
import { SyncBailHook } from 'tapable';
import type { Simulation } from './sim.js';

export interface DemotionRequest {
  readonly sim: Simulation;
  /** The top-tier node kswapd runs on. */
  readonly nid: number;
  /** Pages kswapd wants freed (up to the node's promo watermark). */
  readonly pages: number;
}

export interface SimHooks {
  /** Per kswapd run: a tap that demotes itself (through sim.demoteFolio) returns true to replace the built-in CLOCK. */
  readonly demote: SyncBailHook<[DemotionRequest], true | void>;
}

const hooksByEngine = new WeakMap<Pghot, SimHooks>();
const simByEngine = new WeakMap<Pghot, Simulation>();

/** Called by the Simulation it belongs to. */
export function registerSim(engine: Pghot, sim: Simulation): void {
  simByEngine.set(engine, sim);
}

/** The simulator's hooks for an engine; plugins may tap them in `apply`, before the simulation exists. */
export function getSimHooks(engine: Pghot): SimHooks {
  let hooks = hooksByEngine.get(engine);
  if (!hooks) {
    hooks = Object.freeze({ demote: new SyncBailHook<[DemotionRequest], true | void>(['request']) });
    hooksByEngine.set(engine, hooks);
  }
  return hooks;
}

/** The simulation driving an engine, once it runs (from hooks.init on); undefined outside a simulation. */
export function getSim(engine: Pghot): Simulation | undefined {
  return simByEngine.get(engine);
}
