/** Where a Uint32Array view of a double holds its low and its high word (the platform's byte order). */
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;
const LO = LITTLE_ENDIAN ? 0 : 1;
const HI = 1 - LO;

/**
 * Orders page indices by score, highest first, ties in index order: what
 * `sort((a, b) => score[b] - score[a] || a - b)` gives for positive scores, as an LSD radix sort
 * (eight passes of 8 bits) over the scores' bits. A positive double orders as its bits do, so the
 * complemented bits order it highest first; each pass is stable, so equal scores keep the order they
 * came in. Every round of ARMS ranks all its touched pages: the comparison sort took 9 ms a round on
 * 32,768 pages, this takes well under one. Arrays grow to the largest count seen and are reused.
 */
export class ScoreRanker {
  #index = new Uint32Array(0);
  #spare = new Uint32Array(0);
  #key = new Uint32Array(0); // per entry: complemented low word, complemented high word
  #spareKey = new Uint32Array(0);
  readonly #bits = new Float64Array(1);
  readonly #words = new Uint32Array(this.#bits.buffer);
  readonly #count = new Uint32Array(8 * 256);

  /**
   * Ranks `pages[0..n)` (indices into `score`, each score > 0 and finite) and returns the ranked
   * indices: a view of an array owned by the ranker, valid until the next call.
   */
  rank(score: Float64Array, pages: Uint32Array, n: number): Uint32Array {
    if (this.#index.length < n) {
      this.#index = new Uint32Array(n);
      this.#spare = new Uint32Array(n);
      this.#key = new Uint32Array(2 * n);
      this.#spareKey = new Uint32Array(2 * n);
    }
    let index = this.#index;
    let spare = this.#spare;
    let key = this.#key;
    let spareKey = this.#spareKey;
    const count = this.#count;
    const bits = this.#bits;
    const words = this.#words;
    count.fill(0);
    for (let i = 0; i < n; i++) {
      const g = pages[i]!;
      bits[0] = score[g]!;
      const kLo = ~words[LO]! >>> 0;
      const kHi = ~words[HI]! >>> 0;
      index[i] = g;
      key[2 * i] = kLo;
      key[2 * i + 1] = kHi;
      // every pass's digit counts at once
      count[kLo & 255]!++;
      count[256 + ((kLo >>> 8) & 255)]!++;
      count[512 + ((kLo >>> 16) & 255)]!++;
      count[768 + (kLo >>> 24)]!++;
      count[1024 + (kHi & 255)]!++;
      count[1280 + ((kHi >>> 8) & 255)]!++;
      count[1536 + ((kHi >>> 16) & 255)]!++;
      count[1792 + (kHi >>> 24)]!++;
    }
    for (let pass = 0; pass < 8; pass++) {
      const base = pass * 256;
      const word = pass >> 2; // 0: the low word, 1: the high word
      const shift = (pass & 3) * 8;
      // a pass where every entry has the same digit moves nothing
      let used = 0;
      for (let d = 0; d < 256; d++) if (count[base + d]! > 0) used++;
      if (used <= 1) continue;
      // counts to start offsets
      for (let d = 0, at = 0; d < 256; d++) {
        const c = count[base + d]!;
        count[base + d] = at;
        at += c;
      }
      for (let i = 0; i < n; i++) {
        const to = count[base + ((key[2 * i + word]! >>> shift) & 255)]!++;
        spare[to] = index[i]!;
        spareKey[2 * to] = key[2 * i]!;
        spareKey[2 * to + 1] = key[2 * i + 1]!;
      }
      [index, spare] = [spare, index];
      [key, spareKey] = [spareKey, key];
    }
    [this.#index, this.#spare, this.#key, this.#spareKey] = [index, spare, key, spareKey];
    return index.subarray(0, n);
  }
}
