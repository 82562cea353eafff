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

/** USER_HZ: the unit of /proc/PID/stat's CPU times on every Linux architecture pghot runs on. */
const USER_HZ = 100;

/** CPU time (user + system, ms) a process or kernel thread has used, from /proc/PID/stat; null when it is gone. */
export function cpuTimeMs(fs: KernelFs, pid: number): number | null {
  const stat = fs.read(`/proc/${pid}/stat`);
  if (stat === undefined) return null;
  // fields after "(comm)", which may hold spaces: state is field 3, utime 14, stime 15
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / USER_HZ;
}
