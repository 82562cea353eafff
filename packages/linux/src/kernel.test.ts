import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { KernelFs, movePages, readPagemap, readVmstat } from './index.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const FIXTURES = path.resolve(HERE, '../../../fixtures');

describe('pagemap (the 6.18 captures)', () => {
  /** A fake /proc/4242/pagemap holding the 16 captured entries at their real offset (a sparse file). */
  const fakePagemap = (bin: string) => {
    const root = mkdtempSync(path.join(tmpdir(), 'pghot-proc-'));
    mkdirSync(path.join(root, 'proc/4242'), { recursive: true });
    const fd = openSync(path.join(root, 'proc/4242/pagemap'), 'w');
    writeSync(fd, readFileSync(path.join(FIXTURES, 'pagemap', bin)), 0, 128, (0x7fd1a1803000 / 4096) * 8);
    closeSync(fd);
    return new KernelFs(root);
  };
  const even = [0, 2, 4, 6, 8, 10, 12, 14];

  it('as root: the touched (even) pages are present with their PFNs, the others absent', () => {
    const entries = readPagemap(fakePagemap('pagemap-root-16.bin'), 4242, 0x7fd1a1803000, 16);
    expect(entries.filter((e) => e.present).map((e) => e.pfn)).toEqual([0x17e86f, 0x17e86e, 0x17e86d, 0x17e86c, 0x17e86b, 0x17e86a, 0x17e869, 0x17e868]);
    expect(entries.map((e, i) => e.present === even.includes(i))).toEqual(Array(16).fill(true));
  });

  it('without CAP_SYS_ADMIN the flags survive and the PFNs read 0', () => {
    const entries = readPagemap(fakePagemap('pagemap-nobody-16.bin'), 4242, 0x7fd1a1803000, 16);
    expect(entries.filter((e) => e.present)).toEqual(Array(8).fill({ present: true, pfn: 0 }));
  });
});

// The real kernel of this machine: a C child maps 16 pages and touches the even ones.
const root = process.getuid?.() === 0;
const gcc = spawnSync('gcc', ['--version']).status === 0;
const why = process.platform !== 'linux' ? 'not Linux' : !gcc ? 'no gcc to build the test program' : '';

describe.skipIf(why !== '')(`the real kernel: pagemap, move_pages(2), /proc/vmstat${why ? ` (skipped: ${why})` : ''}`, () => {
  it('finds the child\'s pages in its pagemap, queries their node with move_pages, and moves them to node 0', async () => {
    const bin = path.join(mkdtempSync(path.join(tmpdir(), 'pghot-touch-')), 'touch');
    execFileSync('gcc', ['-O1', '-o', bin, path.join(HERE, 'test-touch.c')]);
    const child = spawn(bin, [], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      const base = await new Promise<number>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(Number.parseInt(d.toString().trim(), 16))));
      const entries = readPagemap(new KernelFs('/'), child.pid!, base, 16);
      expect(entries.map((e) => e.present)).toEqual(Array.from({ length: 16 }, (_, i) => i % 2 === 0));
      // root reads the PFNs; others read 0
      expect(entries.filter((e) => e.present).every((e) => (root ? e.pfn > 0 : e.pfn === 0))).toBe(true);
      const vaddrs = [...Array.from({ length: 16 }, (_, i) => base + i * 4096), 0x1000];
      const query = movePages(child.pid!, vaddrs, null);
      expect(query.rc).toBe(0);
      // present pages are on node 0, untouched ones not present (-ENOENT), address 0x1000 unmapped (-EFAULT)
      expect(Array.from(query.status)).toEqual([...Array.from({ length: 16 }, (_, i) => (i % 2 === 0 ? 0 : -2)), -14]);
      const even = vaddrs.filter((_, i) => i < 16 && i % 2 === 0);
      const moved = movePages(child.pid!, even, 0);
      expect(moved).toEqual({ rc: 0, errno: 0, status: new Int32Array(8) });
      // a node that does not exist (this project's machines have one): ENODEV, nothing moved
      if (!existsSync('/sys/devices/system/node/node1')) expect(movePages(child.pid!, even, 1)).toMatchObject({ rc: -1, errno: 19 });
      // the real counters, under the names the tiering code uses
      expect(Object.keys(readVmstat(new KernelFs('/')))).toEqual(expect.arrayContaining(['numa_hint_faults', 'pgpromote_success', 'pgdemote_kswapd', 'pgmigrate_success', 'pgmigrate_fail']));
    } finally {
      child.stdin.end();
      await new Promise((resolve) => child.on('close', resolve));
    }
  }, 30_000);
});
