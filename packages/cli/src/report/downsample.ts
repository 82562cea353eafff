/** A line drawn with more points than this is reduced (min/max per bucket: every peak and trough kept). */
export const MAX_LINE_POINTS = 1000;

/**
 * Reduce a line of [x, y] points (x increasing) to at most `max` points by min/max bucketing: the
 * points split into max / 2 buckets of consecutive points, and each bucket keeps its lowest and its
 * highest point, in x order (one when they are the same point). Every extreme survives, so a
 * spike never disappears from the plot. Points without a value (null) are dropped.
 */
export function minMaxDownsample(points: readonly [number, number | null][], max = MAX_LINE_POINTS): [number, number | null][] {
  if (points.length <= max) return [...points];
  const buckets = Math.max(1, Math.floor(max / 2));
  const out: [number, number | null][] = [];
  for (let b = 0; b < buckets; b++) {
    const from = Math.floor((b * points.length) / buckets);
    const to = Math.floor(((b + 1) * points.length) / buckets);
    let lo = -1;
    let hi = -1;
    for (let i = from; i < to; i++) {
      const y = points[i]![1];
      if (y === null) continue;
      if (lo < 0 || y < points[lo]![1]!) lo = i;
      if (hi < 0 || y > points[hi]![1]!) hi = i;
    }
    if (lo < 0) continue;
    for (const i of lo === hi ? [lo] : [Math.min(lo, hi), Math.max(lo, hi)]) out.push(points[i]!);
  }
  return out;
}
