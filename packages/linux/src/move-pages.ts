import { createRequire } from 'node:module';
import { ConfigError } from '@pghot/core';

/** move_pages(2) flag: move pages mapped only by the process. */
export const MPOL_MF_MOVE = 2;
const SYSCALL_MOVE_PAGES: Partial<Record<string, number>> = { x64: 279, arm64: 239 };

export interface MovePagesResult {
  /** 0 when done, > 0 pages not moved (4.17+), -1 on error (see errno). */
  rc: number;
  errno: number;
  /** Per page: its node (query, or after a move), or -errno (-ENOENT not present, -EFAULT unmapped, -EBUSY…). */
  status: Int32Array;
}

type Syscall = (nr: number, pid: number, count: number, pages: bigint[], nodes: Int32Array | null, status: Int32Array, flags: number) => number;
let syscall: { call: Syscall; errno: () => number } | null = null;

/** libc's syscall() through koffi (an optional peer), loaded on first use so that importing this package needs no FFI. */
function load(): { call: Syscall; errno: () => number } {
  if (syscall) return syscall;
  let koffi: { load(lib: string): { func(signature: string): Syscall }; errno(): number };
  try {
    koffi = createRequire(import.meta.url)('koffi') as typeof koffi;
  } catch {
    throw new ConfigError('move_pages(2) needs the koffi FFI package: npm install koffi@2', { code: 'PGHOT_LINUX' });
  }
  const libc = koffi.load('libc.so.6');
  syscall = {
    call: libc.func('long syscall(long nr, int pid, unsigned long count, _In_ uint64_t *pages, _In_ int *nodes, _Out_ int *status, int flags)'),
    errno: () => koffi.errno(),
  };
  return syscall;
}

/**
 * move_pages(2) for page-aligned virtual addresses of `pid` (0: this process). `nodes` null
 * queries where each page is; a node (or one per page) moves them there with MPOL_MF_MOVE.
 */
export function movePages(pid: number, vaddrs: readonly number[], nodes: number | readonly number[] | null): MovePagesResult {
  const nr = SYSCALL_MOVE_PAGES[process.arch];
  if (process.platform !== 'linux' || nr === undefined) throw new ConfigError(`move_pages(2) is not available on ${process.platform}/${process.arch}`, { code: 'PGHOT_LINUX' });
  const { call, errno } = load();
  const status = new Int32Array(vaddrs.length);
  const targets = nodes === null ? null : typeof nodes === 'number' ? new Int32Array(vaddrs.length).fill(nodes) : Int32Array.from(nodes);
  const rc = call(nr, pid, vaddrs.length, vaddrs.map((v) => BigInt(v)), targets, status, nodes === null ? 0 : MPOL_MF_MOVE);
  return { rc, errno: rc < 0 ? errno() : 0, status };
}
