/** Kernel constants the engine mirrors. Time is in jiffies at HZ = 1000 (1 jiffy = 1 ms). */
export const HZ = 1000;
export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 1 << PAGE_SHIFT;
/** x86-64 SECTION_SIZE_BITS 27: a memory section is 128 MiB = 2^15 pages. */
export const SECTION_SHIFT = 15;
export const PAGES_PER_SECTION = 1 << SECTION_SHIFT;
export const SECTION_MASK = PAGES_PER_SECTION - 1;
/** CONFIG_NODES_SHIFT 10: node ids 0..1023, the width of the precision record's nid field. */
export const MAX_NUMNODES = 1024;
/** PFNs are unsigned 32-bit here: 16 TiB of physical address space at 4 KiB pages. */
export const MAX_PFN = 2 ** 32;
export const NUMA_NO_NODE = -1;
export const EINVAL = -22;
export const EAGAIN = -11;

/** Source ids of the latest posting (v6+: hintfaults 0, hwhints 1), plus klruscand's pgtscans. */
export const PGHOT_SRC = Object.freeze({ hintfaults: 0, hwhints: 1, pgtscans: 2 } as const);
export type BuiltinSourceName = keyof typeof PGHOT_SRC;
/** Most sources an engine can have: one enable bit each in the 31 usable bits of enabled_sources. */
export const MAX_SOURCES = 31;

/** Pages per MB (MB_TO_PAGES in the kernel: MB << (20 - PAGE_SHIFT)). */
export const mbToPages = (mb: number): number => mb * (1 << (20 - PAGE_SHIFT));
