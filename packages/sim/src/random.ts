import { mulberry32 } from '@pghot/core';

/** mulberry32 lives in core (plugins draw from it too); the same seed gives the same stream everywhere. */
export { mulberry32 };

/** A seed for stream `k` derived from a run seed, so streams are independent but reproducible. */
export const streamSeed = (seed: number, k: number): number => (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(k + 1, 0xc2b2ae35)) >>> 0;

/** Zipf(θ) over n ranks via a precomputed CDF and binary search: rank 0 is the most popular. */
export class ZipfSampler {
  readonly #cdf: Float64Array;
  constructor(n: number, theta: number) {
    this.#cdf = new Float64Array(n);
    let sum = 0;
    for (let i = 0; i < n; i++) this.#cdf[i] = sum += 1 / Math.pow(i + 1, theta);
    for (let i = 0; i < n; i++) this.#cdf[i]! /= sum;
  }
  sample(u: number): number {
    const cdf = this.#cdf;
    let lo = 0;
    let hi = cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** A bijective scramble of [0, n) (multiplicative hash with a coprime step), to scatter ranks over pages. */
export function scatter(n: number, seed: number): Int32Array {
  const out = new Int32Array(n);
  let step = (Math.floor(n * 0.6180339887) | 1) % n || 1;
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  while (gcd(step, n) !== 1) step++;
  const offset = seed % n;
  for (let i = 0; i < n; i++) out[i] = (offset + i * step) % n;
  return out;
}
