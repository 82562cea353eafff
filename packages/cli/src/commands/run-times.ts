import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Runs remembered: the most recent ones, so the file stays small. */
const KEEP = 2000;

/**
 * How long each simulation took the last time it ran on this machine, so that on worker threads
 * the longest runs start first and a short one finishes last: with the runs in the order given, a
 * long run started near the end kept one thread busy while the other idled (0.7 s of a 14 s
 * comparison on 2 cores). jest and vitest order test files by their last duration the same way.
 * The order changes nothing in the results, which are put back in the order given.
 *
 * Kept in $XDG_CACHE_HOME/pghot/run-times.json (else ~/.cache/pghot/); with neither variable set,
 * nothing is kept. A file that cannot be read or written is a cache miss, never an error.
 */
export class RunTimes {
  readonly #file: string | null;
  readonly #ms: Map<string, number>;
  #changed = false;

  private constructor(file: string | null, ms: Map<string, number>) {
    this.#file = file;
    this.#ms = ms;
  }

  /** The cache of this user (from `env`), or one that remembers nothing when there is no cache directory. */
  static open(env: Record<string, string | undefined>): RunTimes {
    const dir = env.XDG_CACHE_HOME ? path.join(env.XDG_CACHE_HOME, 'pghot') : env.HOME ? path.join(env.HOME, '.cache', 'pghot') : null;
    if (dir === null) return new RunTimes(null, new Map());
    const file = path.join(dir, 'run-times.json');
    const ms = new Map<string, number>();
    try {
      const data = JSON.parse(readFileSync(file, 'utf8')) as { ms?: Record<string, unknown> };
      for (const [key, value] of Object.entries(data.ms ?? {})) if (typeof value === 'number' && value >= 0) ms.set(key, value);
    } catch {
      // none yet, or unreadable: start afresh
    }
    return new RunTimes(file, ms);
  }

  /** A run's key: its inputs (scenario and configuration recipe, or null for the baseline), as plain data. */
  static keyOf(task: unknown): string {
    return createHash('sha256').update(JSON.stringify(task)).digest('hex').slice(0, 24);
  }

  get(key: string): number | undefined {
    return this.#ms.get(key);
  }

  /** Remember a run's time: the mean with the time before, as one run's time wanders with the machine's load. */
  set(key: string, ms: number): void {
    const before = this.#ms.get(key);
    this.#ms.delete(key); // the newest last: the oldest go first past KEEP
    this.#ms.set(key, Math.round(before === undefined ? ms : (before + ms) / 2));
    this.#changed = true;
  }

  /** Write the times (a temporary file renamed over the old one). */
  save(): void {
    if (this.#file === null || !this.#changed) return;
    const entries = [...this.#ms].slice(-KEEP);
    const tmp = `${this.#file}.${process.pid}.tmp`;
    try {
      mkdirSync(path.dirname(this.#file), { recursive: true });
      writeFileSync(tmp, `${JSON.stringify({ ms: Object.fromEntries(entries) })}\n`, { flag: 'wx' }); // never through a file already there
      renameSync(tmp, this.#file);
      this.#changed = false;
    } catch {
      // a read-only home or a full disk: the next run orders as given
    }
  }
}

/**
 * The order to start runs in: runs never timed first, in the order given (they may be long), then
 * the others longest first (ties in the order given).
 */
export function longestFirst<T>(items: readonly T[], msOf: (item: T) => number | undefined): T[] {
  const unknown = items.filter((item) => msOf(item) === undefined);
  const known = items.filter((item) => msOf(item) !== undefined);
  return [...unknown, ...known.sort((a, b) => msOf(b)! - msOf(a)!)];
}
