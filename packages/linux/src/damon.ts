import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '@pghot/core';
import type { KernelFs } from './sysfs.js';

export const DAMON_ADMIN = '/sys/kernel/mm/damon/admin';
const KDAMONDS = `${DAMON_ADMIN}/kdamonds`;

/** A physical address range to monitor, in bytes, end exclusive (a /proc/iomem "System RAM" range). */
export interface PhysRange {
  start: number;
  end: number;
}

export interface DamonSettings {
  /** paddr: the physical `ranges`; vaddr: the address space of `pid` (DAMON finds its regions). */
  ops?: 'paddr' | 'vaddr';
  ranges: readonly PhysRange[];
  pid?: number | undefined;
  /** DAMON's sampling, aggregation and regions-update intervals (µs): 5000 / 100000 / 60000000 by default. */
  sampleUs?: number;
  aggrUs?: number;
  updateUs?: number;
  /** Bounds on the number of regions: 10 / 1000 by default. */
  minRegions?: number;
  maxRegions?: number;
}

/** One monitored region as DAMON's tried_regions reports it. */
export interface DamonRegion {
  start: number;
  end: number;
  nrAccesses: number;
  age: number;
}

/** What DAMON's sysfs says before pghot touches anything. */
export interface DamonStatus {
  available: boolean;
  /** kdamonds already there (the machine's own, e.g. a proactive-reclaim scheme started at boot). */
  kdamonds: number;
}

export function damonStatus(fs: KernelFs): DamonStatus {
  const nr = fs.read(`${KDAMONDS}/nr_kdamonds`);
  return { available: nr !== undefined, kdamonds: nr === undefined ? 0 : Number(nr) };
}

/**
 * A kdamond pghot created: physical-address monitoring with a `stat` scheme that matches every
 * region, so that DAMON reports each region's access count through tried_regions. Start it with
 * startDamon; `stop()` turns it off and removes it, and is safe to call more than once.
 */
export class DamonSession {
  readonly #fs: KernelFs;
  #running = true;

  constructor(fs: KernelFs) {
    this.#fs = fs;
  }

  get running(): boolean {
    return this.#running;
  }

  /** The kdamond thread's pid (its CPU time is DAMON's overhead), or null when it does not run. */
  kdamondPid(): number | null {
    const pid = Number(this.#fs.read(`${KDAMONDS}/0/pid`));
    return this.#running && Number.isInteger(pid) && pid > 0 ? pid : null;
  }

  /** Ask DAMON for the regions it tried the scheme on, and read them in address order. */
  regions(): DamonRegion[] {
    const fs = this.#fs;
    fs.write(`${KDAMONDS}/0/state`, 'update_schemes_tried_regions');
    const dir = `${KDAMONDS}/0/contexts/0/schemes/0/tried_regions`;
    return readTriedRegions(fs, dir);
  }

  /** Turn the kdamond off, then remove it (DAMON refuses removal while it is on). */
  stop(): void {
    if (!this.#running) return;
    this.#running = false;
    const fs = this.#fs;
    try {
      fs.write(`${KDAMONDS}/0/state`, 'off');
    } catch {
      // not on yet (setup failed early): the removal below fails loudly if it really runs
    }
    fs.write(`${KDAMONDS}/nr_kdamonds`, 0);
    rmSync(fs.path(STATE_FILE), { force: true });
  }
}

/**
 * Where pghot notes the kdamond it creates (before creating it): a pghot killed by SIGKILL cannot
 * remove its kdamond, and the next run must tell that leftover from a kdamond pghot did not create.
 */
export const STATE_FILE = '/run/pghot/kdamond.json';

interface DamonState {
  pid: number;
  bootId: string;
  /** The kdamond thread's pid once it runs (kdamonds/0/pid). */
  kdamondPid: number | null;
}

const bootId = (fs: KernelFs) => fs.read('/proc/sys/kernel/random/boot_id') ?? '';

function writeState(fs: KernelFs, state: DamonState): void {
  const file = fs.path(STATE_FILE);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(`${file}.tmp`, `${JSON.stringify(state)}\n`);
  renameSync(`${file}.tmp`, file);
}

function readState(fs: KernelFs): DamonState | null {
  try {
    return JSON.parse(readFileSync(fs.path(STATE_FILE), 'utf8')) as DamonState;
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Remove the kdamond a killed pghot left behind, and only that: the state file must name a pghot
 * process that is gone, from this boot, with exactly one kdamond whose thread is the one pghot
 * started (or that never started). Returns a line saying what was removed, or null.
 */
export function removeLeftoverKdamond(fs: KernelFs): string | null {
  const state = readState(fs);
  if (state === null) return null;
  const status = damonStatus(fs);
  // a note from another boot, or with no kdamond left, is only a stale file
  if (state.bootId !== bootId(fs) || status.kdamonds === 0) {
    rmSync(fs.path(STATE_FILE), { force: true });
    return null;
  }
  if (alive(state.pid) || status.kdamonds !== 1) return null;
  const ours = state.kdamondPid === null ? fs.read(`${KDAMONDS}/0/state`) !== 'on' : Number(fs.read(`${KDAMONDS}/0/pid`) ?? -1) === state.kdamondPid;
  if (!ours) return null;
  new DamonSession(fs).stop();
  return `removed the kdamond left by pghot pid ${state.pid}, which was killed before it could remove it`;
}

/** tried_regions/N/{start,end,nr_accesses,age}, directories sorted numerically (their names skip numbers). */
export function readTriedRegions(fs: KernelFs, dir: string): DamonRegion[] {
  return fs
    .list(dir)
    .filter((name) => /^\d+$/.test(name))
    .sort((a, b) => Number(a) - Number(b))
    .map((name) => {
      const field = (f: string) => Number(fs.need(`${dir}/${name}/${f}`));
      return { start: field('start'), end: field('end'), nrAccesses: field('nr_accesses'), age: field('age') };
    });
}

/**
 * Create and start pghot's kdamond, in DAMON's order (docs/live.md). Refuses — before writing
 * anything — when DAMON's sysfs is missing or any kdamond exists: DAMON adds no kdamond while one
 * runs, and pghot never stops, changes or reconfigures a kdamond it did not create. Anything that
 * fails after the first write is torn down before the error is thrown.
 */
export function startDamon(fs: KernelFs, settings: DamonSettings, onNotice: (line: string) => void = () => {}): DamonSession {
  if (damonStatus(fs).available) {
    const removed = removeLeftoverKdamond(fs);
    if (removed) onNotice(removed);
  }
  const status = damonStatus(fs);
  if (!status.available) throw new ConfigError(`DAMON is not available: ${fs.path(KDAMONDS)} is missing (a kernel with CONFIG_DAMON_SYSFS, as root)`, { code: 'PGHOT_DAMON_MISSING' });
  if (status.kdamonds !== 0) {
    throw new ConfigError(
      `DAMON is busy: ${status.kdamonds} kdamond(s) already exist (not started by pghot, e.g. the machine's proactive reclaim); pghot leaves them alone and cannot add its own while they run`,
      { code: 'PGHOT_DAMON_BUSY' },
    );
  }
  const ops = settings.ops ?? 'paddr';
  if (ops === 'paddr' && settings.ranges.length === 0) throw new ConfigError('DAMON needs at least one physical address range to monitor', { code: 'PGHOT_DAMON' });
  if (ops === 'vaddr' && settings.pid === undefined) throw new ConfigError('DAMON vaddr monitoring needs a pid', { code: 'PGHOT_DAMON' });
  const state: DamonState = { pid: process.pid, bootId: bootId(fs), kdamondPid: null };
  writeState(fs, state);
  fs.write(`${KDAMONDS}/nr_kdamonds`, 1);
  const session = new DamonSession(fs);
  try {
    const ctx = `${KDAMONDS}/0/contexts/0`;
    fs.write(`${KDAMONDS}/0/contexts/nr_contexts`, 1);
    const avail = (fs.read(`${ctx}/avail_operations`) ?? '').split(/\s+/).filter(Boolean);
    if (!avail.includes(ops)) {
      throw new ConfigError(`DAMON on this kernel has no ${ops === 'paddr' ? 'physical' : 'virtual'}-address monitoring (avail_operations: ${avail.join(' ') || 'none'})`, { code: 'PGHOT_DAMON' });
    }
    fs.write(`${ctx}/operations`, ops);
    const attrs = `${ctx}/monitoring_attrs`;
    fs.write(`${attrs}/intervals/sample_us`, settings.sampleUs ?? 5000);
    fs.write(`${attrs}/intervals/aggr_us`, settings.aggrUs ?? 100_000);
    fs.write(`${attrs}/intervals/update_us`, settings.updateUs ?? 60_000_000);
    fs.write(`${attrs}/nr_regions/min`, settings.minRegions ?? 10);
    fs.write(`${attrs}/nr_regions/max`, settings.maxRegions ?? 1000);
    fs.write(`${ctx}/targets/nr_targets`, 1);
    if (ops === 'vaddr') fs.write(`${ctx}/targets/0/pid_target`, settings.pid!);
    else {
      const regions = `${ctx}/targets/0/regions`;
      fs.write(`${regions}/nr_regions`, settings.ranges.length);
      settings.ranges.forEach((r, i) => {
        fs.write(`${regions}/${i}/start`, r.start);
        fs.write(`${regions}/${i}/end`, r.end);
      });
    }
    // a stat scheme matching every region: DAMON then reports each region in tried_regions
    const scheme = `${ctx}/schemes/0`;
    fs.write(`${ctx}/schemes/nr_schemes`, 1);
    fs.write(`${scheme}/action`, 'stat');
    fs.write(`${scheme}/access_pattern/sz/max`, '18446744073709551615');
    fs.write(`${scheme}/access_pattern/nr_accesses/max`, 4294967295);
    fs.write(`${scheme}/access_pattern/age/max`, 4294967295);
    fs.write(`${KDAMONDS}/0/state`, 'on');
    const kdamondPid = Number(fs.read(`${KDAMONDS}/0/pid`));
    writeState(fs, { ...state, kdamondPid: Number.isInteger(kdamondPid) ? kdamondPid : null });
    return session;
  } catch (e) {
    session.stop();
    throw e;
  }
}

/**
 * SIGINT, SIGTERM and a normal exit turn pghot's kdamond off and remove it; a signal then ends the
 * process with 128 + its number. Returns a function that removes the handlers.
 */
export function stopOnSignals(session: DamonSession): () => void {
  const onSignal = (signal: NodeJS.Signals) => {
    session.stop();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  const onExit = () => session.stop();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('exit', onExit);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('exit', onExit);
  };
}
