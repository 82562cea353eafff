import { closeSync, openSync, readSync } from 'node:fs';
import { ConfigError, PAGE_SIZE } from '@pghot/core';
import type { KernelFs } from './sysfs.js';

const PRESENT = 1n << 63n;
const PFN_MASK = (1n << 55n) - 1n;

/** One pagemap entry: present, and the PFN (0 when not present, or when read without CAP_SYS_ADMIN). */
export interface PagemapEntry {
  present: boolean;
  pfn: number;
}

/**
 * Entries of /proc/PID/pagemap for `pages` virtual pages from page-aligned `vaddr` (one LE u64 per
 * page at (vaddr / 4096) * 8): bit 63 present, bits 0-54 the PFN.
 */
export function readPagemap(fs: KernelFs, pid: number | 'self', vaddr: number, pages: number): PagemapEntry[] {
  if (vaddr % PAGE_SIZE !== 0) throw new ConfigError(`pagemap: ${vaddr.toString(16)} is not page-aligned`, { code: 'PGHOT_LINUX' });
  const file = fs.path(`/proc/${pid}/pagemap`);
  const buf = Buffer.alloc(pages * 8);
  const fd = openSync(file, 'r');
  try {
    const n = readSync(fd, buf, 0, buf.length, (vaddr / PAGE_SIZE) * 8);
    if (n !== buf.length) throw new ConfigError(`${file}: short read (${n} of ${buf.length} bytes)`, { code: 'PGHOT_LINUX' });
  } finally {
    closeSync(fd);
  }
  return Array.from({ length: pages }, (_, i) => {
    const e = buf.readBigUInt64LE(i * 8);
    return { present: (e & PRESENT) !== 0n, pfn: Number(e & PFN_MASK) };
  });
}
