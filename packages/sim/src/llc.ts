/** A set-associative last-level cache of 64-byte lines with LRU replacement. */
export interface LlcOptions {
  sizeMiB: number;
  ways?: number | undefined;
  /** Cost of a hit, instead of the memory latency. */
  hitNs?: number | undefined;
}

export class Llc {
  readonly hitNs: number;
  readonly #ways: number;
  readonly #setMask: number;
  /** Per set, `ways` line keys + 1 (0 = empty), most recent first. */
  readonly #tags: Float64Array;

  constructor(options: LlcOptions) {
    this.#ways = options.ways ?? 16;
    this.hitNs = options.hitNs ?? 20;
    const lines = Math.floor((options.sizeMiB * 1024 * 1024) / 64);
    let sets = 1;
    while (sets * 2 * this.#ways <= lines) sets *= 2;
    this.#setMask = sets - 1;
    this.#tags = new Float64Array(sets * this.#ways);
  }

  /** Look up (and on a miss, fill) the line; true on a hit. */
  hit(mm: number, vpage: number, line: number): boolean {
    const key = (mm * 67_108_864 + vpage) * 64 + line + 1;
    const h = Math.imul(vpage * 64 + line, 0x9e3779b1) ^ Math.imul(mm + 1, 0x85ebca6b);
    const ways = this.#ways;
    const base = ((h ^ (h >>> 15)) & this.#setMask) * ways;
    const tags = this.#tags;
    let w = 0;
    while (w < ways && tags[base + w] !== key) w++;
    const found = w < ways;
    // move to front (a hit) or insert at front, dropping the least recent (a miss)
    for (let j = found ? w : ways - 1; j > 0; j--) tags[base + j] = tags[base + j - 1]!;
    tags[base] = key;
    return found;
  }
}
