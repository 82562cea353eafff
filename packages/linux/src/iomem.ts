import { ConfigError } from '@pghot/core';
import type { PhysRange } from './damon.js';
import type { KernelFs } from './sysfs.js';

/**
 * The "System RAM" ranges of /proc/iomem (top level), end exclusive. Only root sees the real
 * addresses; others read zeros, which is refused by name.
 */
export function readSystemRam(fs: KernelFs): PhysRange[] {
  const ranges: PhysRange[] = [];
  for (const line of fs.need('/proc/iomem').split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) : System RAM$/.exec(line);
    if (m) ranges.push({ start: Number.parseInt(m[1]!, 16), end: Number.parseInt(m[2]!, 16) + 1 });
  }
  if (ranges.length === 0) throw new ConfigError(`${fs.path('/proc/iomem')}: no "System RAM" range`, { code: 'PGHOT_LINUX' });
  if (ranges.every((r) => r.start === 0 && r.end === 1)) throw new ConfigError(`${fs.path('/proc/iomem')}: addresses read as zero (only root sees them)`, { code: 'PGHOT_LINUX' });
  return ranges;
}
