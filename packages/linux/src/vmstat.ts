import { ConfigError } from '@pghot/core';
import type { KernelFs } from './sysfs.js';

/** /proc/vmstat as name → value (names vary by kernel: all are kept). */
export function readVmstat(fs: KernelFs, file = '/proc/vmstat'): Record<string, number> {
  const out: Record<string, number> = {};
  const text = fs.need(file);
  text.split('\n').forEach((line, i) => {
    if (line === '') return;
    const m = /^(\w+) (\d+)$/.exec(line);
    if (!m) throw new ConfigError(`${fs.path(file)}:${i + 1}: not "name value": ${JSON.stringify(line)}`, { code: 'PGHOT_LINUX' });
    out[m[1]!] = Number(m[2]);
  });
  return out;
}

/** Counters are cumulative: the change of every counter present at both ends. */
export function vmstatDelta(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, value] of Object.entries(after)) if (name in before) out[name] = value - before[name]!;
  return out;
}
