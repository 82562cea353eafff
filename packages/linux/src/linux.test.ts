import { spawn } from 'node:child_process';
import { closeSync, cpSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPghot, defineSource, STANDIN_TOPOLOGY, type Capability } from '@pghot/core';
import { describe, expect, it } from 'vitest';
import {
  cpuTimeMs,
  findPerf,
  KernelFs,
  LinuxPlatform,
  parseList,
  perfEvent,
  readLinuxTopology,
  readVmstat,
  removeLeftoverKdamond,
  samplingPmu,
  startDamon,
  STATE_FILE,
  toTopologySpec,
  vmstatDelta,
  writeFakeKernelTree,
} from './index.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const FIXTURES = path.resolve(HERE, '../../../fixtures');

/** A fake root holding these kernel files (absolute kernel path → content). */
function fakeRoot(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'pghot-sysfs-'));
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), `${content}\n`);
  }
  return root;
}

/** "path:value" lines (the fixtures' grep output) as files. */
const grepLines = (file: string) =>
  Object.fromEntries(
    readFileSync(path.join(FIXTURES, file), 'utf8')
      .trim()
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1)]),
  );

describe('the kernel list syntax', () => {
  it('parses ranges and singles, and refuses anything else', () => {
    expect(parseList('0-1,3,5-6')).toEqual([0, 1, 3, 5, 6]);
    expect(parseList('')).toEqual([]);
    expect(() => parseList('0-x')).toThrow('not a kernel list: "0-x"');
  });
});

describe('topology from /sys (the 6.18 test VM)', () => {
  const root = fakeRoot({ ...grepLines('sysfs-topology/topology-grep.txt'), ...grepLines('sysfs-topology/node0-memory-blocks-phys_index.txt') });

  it('reads nodes, CPUs, memory blocks merged into ranges around the PCI hole, and memory tiers', () => {
    const topo = readLinuxTopology(new KernelFs(root));
    expect(topo).toEqual({
      blockSizeBytes: 0x8000000,
      hasTiers: true,
      // blocks 0-23 and 32-199 of 128 MiB (32,768 pages); 24-31 are the 3-4 GiB PCI hole
      nodes: [{ id: 0, cpus: [0, 1], memoryTier: 4, tier: 0, ranges: [{ startPfn: 0, pages: 24 * 32_768 }, { startPfn: 32 * 32_768, pages: 168 * 32_768 }] }],
    });
    expect(toTopologySpec(topo)).toEqual({ nodes: [{ id: 0, startPfn: 0, pages: 200 * 32_768, tier: 0, cpus: [0, 1] }] });
  });

  it('without memory tiers every node is tier 0', () => {
    const bare = fakeRoot({ '/sys/devices/system/node/has_memory': '0-1', '/sys/devices/system/memory/block_size_bytes': '8000000', '/sys/devices/system/node/node1/memory2/phys_index': '00000002' });
    expect(readLinuxTopology(new KernelFs(bare)).nodes.map((n) => [n.id, n.tier, n.memoryTier, n.ranges])).toEqual([
      [0, 0, null, []],
      [1, 0, null, [{ startPfn: 65_536, pages: 32_768 }]],
    ]);
  });
});

describe('/proc/PID/stat CPU time', () => {
  it('adds utime and stime (10 ms ticks), past a comm with spaces and parentheses', () => {
    const root = fakeRoot({ '/proc/77/stat': '77 (perf (record) x) S 1 77 77 0 -1 4194304 124 0 0 0 250 31 0 0 20 0 1 0 1006137' });
    expect(cpuTimeMs(new KernelFs(root), 77)).toBe(2810);
    expect(cpuTimeMs(new KernelFs(root), 78)).toBe(null);
  });
});

describe('/proc/vmstat', () => {
  it('reads every counter of the 6.18 fixture and takes deltas', () => {
    const root = fakeRoot({ '/proc/vmstat': readFileSync(path.join(FIXTURES, 'proc-vmstat/vmstat-tiering-counters.txt'), 'utf8').trim() });
    const fs = new KernelFs(root);
    const before = readVmstat(fs);
    expect(Object.keys(before)).toHaveLength(23);
    expect(before).toMatchObject({ numa_hit: 8_036_931, numa_interleave: 1125, pgpromote_success: 0, thp_migration_split: 0 });
    expect(vmstatDelta(before, { ...before, numa_hit: 8_036_941, pgpromote_success: 3, new_counter: 1 })).toMatchObject({ numa_hit: 10, pgpromote_success: 3, numa_miss: 0 });
    writeFileSync(path.join(root, 'proc/vmstat'), 'numa_hit 1\nnot a line\n');
    expect(() => readVmstat(fs)).toThrow(`${path.join(root, 'proc/vmstat')}:2: not "name value": "not a line"`);
  });
});

const K = '/sys/kernel/mm/damon/admin/kdamonds';
const SCHEME = `${K}/0/contexts/0/schemes/0`;

/** DAMON's admin tree with kdamond 0's files pre-created, and the real 6.18 tried_regions capture. */
function fakeDamon(options: { kdamonds?: number; ops?: string } = {}): string {
  const root = mkdtempSync(path.join(tmpdir(), 'pghot-sysfs-'));
  writeFakeKernelTree(root, { ...(options.kdamonds !== undefined ? { kdamonds: options.kdamonds } : {}), ...(options.ops ? { operations: options.ops } : {}) });
  // what update_schemes_tried_regions leaves behind: the real 6.18 capture
  cpSync(path.join(FIXTURES, 'damon-sysfs/tree-paddr-21'), path.join(root, SCHEME.slice(1)), { recursive: true });
  return root;
}
const fileOf = (root: string, p: string) => readFileSync(path.join(root, p), 'utf8').trim();

describe('the DAMON sysfs protocol (fake sysfs tree)', () => {
  it('starts in DAMON\'s order, reads the tried regions, and turns off then removes its kdamond', () => {
    const root = fakeDamon();
    const fs = new KernelFs(root);
    const session = startDamon(fs, { ranges: [{ start: 4_294_967_296, end: 26_843_545_600 }], aggrUs: 200_000 });
    const ctx = `${K}/0/contexts/0`;
    expect(fs.writes).toEqual([
      `${K}/nr_kdamonds 1`,
      `${K}/0/contexts/nr_contexts 1`,
      `${ctx}/operations paddr`,
      `${ctx}/monitoring_attrs/intervals/sample_us 5000`,
      `${ctx}/monitoring_attrs/intervals/aggr_us 200000`,
      `${ctx}/monitoring_attrs/intervals/update_us 60000000`,
      `${ctx}/monitoring_attrs/nr_regions/min 10`,
      `${ctx}/monitoring_attrs/nr_regions/max 1000`,
      `${ctx}/targets/nr_targets 1`,
      `${ctx}/targets/0/regions/nr_regions 1`,
      `${ctx}/targets/0/regions/0/start 4294967296`,
      `${ctx}/targets/0/regions/0/end 26843545600`,
      `${ctx}/schemes/nr_schemes 1`,
      `${SCHEME}/action stat`,
      `${SCHEME}/access_pattern/sz/max 18446744073709551615`,
      `${SCHEME}/access_pattern/nr_accesses/max 4294967295`,
      `${SCHEME}/access_pattern/age/max 4294967295`,
      `${K}/0/state on`,
    ]);
    const regions = session.regions();
    // 21 regions (directories 0, 2, ... 40), contiguous from 4 GiB to 25 GiB; nr_accesses sum 24, max 6
    expect(regions).toHaveLength(21);
    expect(regions[0]!.start).toBe(4_294_967_296);
    expect(regions[20]!.end).toBe(26_843_545_600);
    expect(regions.every((r, i) => i === 0 || r.start === regions[i - 1]!.end)).toBe(true);
    expect(regions.reduce((a, r) => a + r.nrAccesses, 0)).toBe(24);
    expect(Math.max(...regions.map((r) => r.nrAccesses))).toBe(6);
    expect(regions[7]!.nrAccesses).toBe(6); // directory 14
    session.stop();
    session.stop(); // idempotent
    expect(fs.writes.slice(-3)).toEqual([`${K}/0/state update_schemes_tried_regions`, `${K}/0/state off`, `${K}/nr_kdamonds 0`]);
    expect([fileOf(root, `${K}/0/state`), fileOf(root, `${K}/nr_kdamonds`)]).toEqual(['off', '0']);
  });

  it('leaves a busy DAMON untouched: not one write', () => {
    const root = fakeDamon({ kdamonds: 1 });
    const fs = new KernelFs(root);
    expect(() => startDamon(fs, { ranges: [{ start: 0, end: 4096 }] })).toThrow(
      "DAMON is busy: 1 kdamond(s) already exist (not started by pghot, e.g. the machine's proactive reclaim); pghot leaves them alone and cannot add its own while they run",
    );
    expect(fs.writes).toEqual([]);
    expect(fileOf(root, `${K}/nr_kdamonds`)).toBe('1');
  });

  it('says when DAMON is missing, and tears down what it created when setup fails', () => {
    const missing = new KernelFs(fakeRoot({ '/proc/vmstat': 'numa_hit 1' }));
    expect(() => startDamon(missing, { ranges: [{ start: 0, end: 4096 }] })).toThrow('DAMON is not available:');
    const root = fakeDamon({ ops: 'vaddr fvaddr' });
    const fs = new KernelFs(root);
    expect(() => startDamon(fs, { ranges: [{ start: 0, end: 4096 }] })).toThrow('DAMON on this kernel has no physical-address monitoring (avail_operations: vaddr fvaddr)');
    expect(fs.writes).toEqual([`${K}/nr_kdamonds 1`, `${K}/0/contexts/nr_contexts 1`, `${K}/0/state off`, `${K}/nr_kdamonds 0`]);
  });

  it.each(['SIGINT', 'SIGTERM'] as const)('a process killed by %s while monitoring turns its kdamond off and removes it', async (signal) => {
    const root = fakeDamon();
    const child = spawn(
      process.execPath,
      ['--conditions=@pghot/source', '--import', 'tsx', path.join(HERE, 'test-damon-child.ts'), root],
      { cwd: path.resolve(HERE, '../../..'), stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => d.toString().includes('on') && resolve()));
    expect(fileOf(root, `${K}/0/state`)).toBe('on');
    child.kill(signal);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(signal === 'SIGINT' ? 130 : 143);
    expect([fileOf(root, `${K}/0/state`), fileOf(root, `${K}/nr_kdamonds`)]).toEqual(['off', '0']);
  }, 30_000);
});

describe('DAMON vaddr and the note of pghot\'s own kdamond', () => {
  it('monitors a process\'s address space where the kernel offers vaddr: pid_target instead of regions', () => {
    const root = fakeDamon({ ops: 'paddr vaddr' });
    const fs = new KernelFs(root);
    const session = startDamon(fs, { ops: 'vaddr', ranges: [], pid: 4242 });
    const ctx = `${K}/0/contexts/0`;
    expect(fs.writes.filter((w) => w.includes('/targets/') || w.includes('/operations'))).toEqual([`${ctx}/operations vaddr`, `${ctx}/targets/nr_targets 1`, `${ctx}/targets/0/pid_target 4242`]);
    // the note names this process and the kdamond thread (the fake tree's pid file: -1)
    expect(JSON.parse(readFileSync(path.join(root, STATE_FILE), 'utf8'))).toEqual({ pid: process.pid, bootId: '', kdamondPid: -1 });
    session.stop();
    expect(existsSync(path.join(root, STATE_FILE))).toBe(false);
  });

  it('removes only a leftover of a pghot that is gone: not one of a running pghot, not one from another boot, not a kdamond that is not the one noted', () => {
    const leftover = (state: object, kdamondPid = '-1') => {
      const root = fakeDamon({ kdamonds: 1 });
      writeFileSync(path.join(root, `${K}/0/state`), 'on\n');
      writeFileSync(path.join(root, `${K}/0/pid`), `${kdamondPid}\n`);
      mkdirSync(path.dirname(path.join(root, STATE_FILE)), { recursive: true });
      writeFileSync(path.join(root, STATE_FILE), JSON.stringify(state));
      return new KernelFs(root);
    };
    const gone = 2 ** 22 + 1; // above pid_max's default: no such process
    const removed = leftover({ pid: gone, bootId: '', kdamondPid: -1 });
    expect(removeLeftoverKdamond(removed)).toBe(`removed the kdamond left by pghot pid ${gone}, which was killed before it could remove it`);
    expect(removed.writes).toEqual([`${K}/0/state off`, `${K}/nr_kdamonds 0`]);
    for (const fs of [
      leftover({ pid: process.pid, bootId: '', kdamondPid: -1 }), // that pghot still runs
      leftover({ pid: gone, bootId: '', kdamondPid: 777 }), // the kdamond running is another thread
      leftover({ pid: gone, bootId: '', kdamondPid: null }), // noted before it started, but one runs: not pghot's
      leftover({ pid: gone, bootId: 'another-boot', kdamondPid: -1 }), // a note from before a reboot
    ]) {
      expect(removeLeftoverKdamond(fs)).toBe(null);
      expect(fs.writes).toEqual([]);
      expect(fileOf(fs.root, `${K}/nr_kdamonds`)).toBe('1');
    }
  });
});

describe('perf: the sampling event', () => {
  it('IBS where ibs_op exists, PEBS where the core PMU has mem-loads, else software page faults', () => {
    const tree = (pmu?: 'ibs' | 'pebs') => {
      const root = mkdtempSync(path.join(tmpdir(), 'pghot-sysfs-'));
      writeFakeKernelTree(root, pmu ? { pmu } : {});
      return new KernelFs(root);
    };
    expect(perfEvent(samplingPmu(tree('ibs')))).toEqual({ pmu: 'ibs', args: ['-e', 'ibs_op//', '-c', '10000'], description: 'IBS op samples, 1 in 10000' });
    expect(perfEvent(samplingPmu(tree('pebs')))).toEqual({ pmu: 'pebs', args: ['-e', 'cpu/mem-loads,ldlat=30/P', '-c', '19997'], description: 'PEBS load samples over 30 cycles, 1 in 19997' });
    expect(perfEvent(samplingPmu(tree()))).toMatchObject({ pmu: null, args: ['-e', 'page-faults', '-c', '1'] });
    expect(findPerf('/nonexistent')).toBe(null);
  });
});

describe('the linux platform (a fake /proc/PID)', () => {
  /** /proc/4242/maps with three mappings (one PROT_NONE, skipped) and a sparse pagemap. */
  const fakeProcess = () => {
    const root = mkdtempSync(path.join(tmpdir(), 'pghot-proc-'));
    mkdirSync(path.join(root, 'proc/4242'), { recursive: true });
    writeFileSync(
      path.join(root, 'proc/4242/maps'),
      [
        '00400000-00402000 r-xp 00000000 fd:01 123 /usr/bin/app',
        '7f0000000000-7f0000004000 rw-p 00000000 00:00 0 ',
        '7f0000004000-7f0000104000 ---p 00000000 00:00 0 ',
        '7ffd00000000-7ffd00001000 rw-p 00000000 00:00 0 [stack]',
        'ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0 [vsyscall]',
      ].join('\n'),
    );
    writeFileSync(path.join(root, 'proc/4242/comm'), 'app\n');
    const fd = openSync(path.join(root, 'proc/4242/pagemap'), 'w');
    const entry = (vaddr: number, pfn: number) => {
      const b = Buffer.alloc(8);
      b.writeBigUInt64LE((1n << 63n) | BigInt(pfn));
      writeSync(fd, b, 0, 8, (vaddr / 4096) * 8);
    };
    entry(0x400000, 0x1000); // text page 0
    entry(0x7f0000001000, 0x2001); // heap page 1 (of 4)
    entry(0x7f0000003000, 0x2003);
    entry(0x7ffd00000000, 0x3000); // stack
    closeSync(fd);
    return new LinuxPlatform(new KernelFs(root), { pid: 4242 });
  };

  it('indexes the accessible mappings, walks them through pagemap, and maps PFNs back', () => {
    const p = fakeProcess();
    expect(p.mappings.map((m) => [m.name, m.firstPage])).toEqual([
      ['/usr/bin/app', 0],
      ['', 2],
      ['[stack]', 6],
    ]);
    expect(p.tasks()).toEqual([{ id: 4242, name: 'app', pages: 7 }]);
    const walk = { pfn: new Float64Array(7), head: new Float64Array(7) };
    p.walk(4242, 0, 7, walk);
    expect(Array.from(walk.pfn)).toEqual([0x1000, -1, -1, 0x2001, -1, 0x2003, 0x3000]);
    const tasks = new Int32Array(3);
    const pages = new Float64Array(3);
    p.rmap(Float64Array.of(0x2003, 0x9999, 0x3000), 3, tasks, pages);
    expect([Array.from(tasks), Array.from(pages)]).toEqual([
      [4242, -1, 4242],
      [5, -1, 6],
    ]);
    expect([p.vaddrOf(5), p.vaddrOf(6), p.vaddrOf(7)]).toEqual([0x7f0000003000, 0x7ffd00000000, -1]);
  });

  it('offers tasks and overhead; a plugin needing hint faults, the A bit or a memory model gets core\'s capability error', () => {
    const p = fakeProcess();
    p.chargeOverhead('perf', 10, 1500);
    p.chargeOverhead('perf', 2, 1500);
    expect(Object.fromEntries(p.overhead)).toEqual({ perf: { count: 12, ns: 18_000 } });
    const needs = (requires: Capability[]) => defineSource({ name: 'source-needs', version: '1.0.0', core: '>=0.1.0', requires, apply() {} });
    expect(() => createPghot({ topology: STANDIN_TOPOLOGY, platform: p, plugins: [needs(['tasks', 'overhead'])] })).not.toThrow();
    expect(() => createPghot({ topology: STANDIN_TOPOLOGY, platform: p, plugins: [needs(['protnone'])] })).toThrow(
      'plugin "source-needs" requires protnone, which the platform "linux" does not offer (it offers: tasks, overhead)',
    );
    expect(() => p.changeProtNuma()).toThrow('changeProtNuma is not available on the linux platform (no protnone capability from user space)');
  });
});
