/** The counters core keeps, under the kernel's /proc/vmstat names, in the order they print. */
export const CORE_COUNTERS = Object.freeze([
  'pghot_recorded_accesses',
  'pghot_recorded_hintfaults',
  'pghot_recorded_hwhints',
  'pghot_recorded_pgtscans',
  'pgpromote_candidate',
  'pgpromote_candidate_nrl',
  'pgpromote_success',
  'numa_pages_migrated',
  'pgmigrate_success',
  'pgmigrate_fail',
  'thp_migration_success',
  'thp_migration_fail',
] as const);

export type CoreCounter = (typeof CORE_COUNTERS)[number];

const CAPACITY = 512;

/**
 * vmstat counters in one Float64Array, so hot paths add to an index and never look up a name.
 * Plugins register their own counters (a source's pghot_recorded_<name>, the simulator's
 * pgdemote_kswapd...) and get an index.
 */
export class Vmstat {
  readonly values = new Float64Array(CAPACITY);
  readonly #names: string[] = [];
  readonly #index = new Map<string, number>();

  constructor() {
    for (const name of CORE_COUNTERS) this.register(name);
  }

  /** The index of a counter, registering it at 0 if new. */
  register(name: string): number {
    const known = this.#index.get(name);
    if (known !== undefined) return known;
    if (!/^[a-z][a-z0-9_]*$/.test(name)) throw new TypeError(`vmstat counter names are lower_snake_case, got "${name}"`);
    if (this.#names.length === CAPACITY) throw new RangeError(`more than ${CAPACITY} vmstat counters`);
    const index = this.#names.length;
    this.#names.push(name);
    this.#index.set(name, index);
    return index;
  }

  indexOf(name: string): number | undefined {
    return this.#index.get(name);
  }

  get(name: string): number {
    const i = this.#index.get(name);
    return i === undefined ? 0 : this.values[i]!;
  }

  add(index: number, amount: number): void {
    this.values[index]! += amount;
  }

  /** A plain snapshot: `{ pghot_recorded_accesses: 12, ... }` in registration order. */
  snapshot(): Record<string, number> {
    const out: Record<string, number> = {};
    for (let i = 0; i < this.#names.length; i++) out[this.#names[i]!] = this.values[i]!;
    return out;
  }

  /** `/proc/vmstat` text: one `name value` line per counter. */
  toText(): string {
    let out = '';
    for (let i = 0; i < this.#names.length; i++) out += `${this.#names[i]} ${this.values[i]}\n`;
    return out;
  }
}
