import { closeSync, openSync, readSync } from 'node:fs';
import { ConfigError, PAGE_SIZE } from '@pghot/core';
import type { KernelFs } from './sysfs.js';

/** A pagemap entry's bits: present (63) and the PFN (0-54). */
export const PAGEMAP_PRESENT = 1n << 63n;
export const PAGEMAP_PFN_MASK = (1n << 55n) - 1n;

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
  const buf = Buffer.alloc(pages * 8);
  const n = readPagemapBytes(fs, pid, vaddr, pages, buf);
  if (n !== buf.length) throw new ConfigError(`${fs.path(`/proc/${pid}/pagemap`)}: short read (${n} of ${buf.length} bytes)`, { code: 'PGHOT_LINUX' });
  return Array.from({ length: pages }, (_, i) => {
    const e = buf.readBigUInt64LE(i * 8);
    return { present: (e & PAGEMAP_PRESENT) !== 0n, pfn: Number(e & PAGEMAP_PFN_MASK) };
  });
}

/** The raw entries of `pages` pages from `vaddr` into `buf`; returns the bytes read (short past the address space). */
export function readPagemapBytes(fs: KernelFs, pid: number | 'self', vaddr: number, pages: number, buf: Buffer): number {
  const fd = openSync(fs.path(`/proc/${pid}/pagemap`), 'r');
  try {
    return readSync(fd, buf, 0, pages * 8, (vaddr / PAGE_SIZE) * 8);
  } finally {
    closeSync(fd);
  }
}
