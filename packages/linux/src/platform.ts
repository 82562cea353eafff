import { ConfigError, createPlatformHooks, PAGE_SIZE, type Capability, type Platform, type PlatformCosts, type PlatformTask, type WalkBatch } from '@pghot/core';
import { PAGEMAP_PFN_MASK, PAGEMAP_PRESENT, readPagemapBytes } from './pagemap.js';
import type { KernelFs } from './sysfs.js';

/** One mapping of /proc/PID/maps that pghot indexes: [start, end) in bytes, and its first page index. */
export interface Mapping {
  start: number;
  end: number;
  perms: string;
  name: string;
  /** Index of its first page among the task's indexed pages. */
  firstPage: number;
}

/**
 * The mappings of /proc/PID/maps whose pages can be accessed and moved: every mapping with some
 * access (PROT_NONE guard reservations are skipped), but not [vsyscall], [vvar] or [vdso].
 */
export function readMappings(fs: KernelFs, pid: number): Mapping[] {
  const text = fs.read(`/proc/${pid}/maps`);
  if (text === undefined) throw new ConfigError(`no process ${pid} (${fs.path(`/proc/${pid}/maps`)} is missing)`, { code: 'PGHOT_PID' });
  const out: Mapping[] = [];
  let firstPage = 0;
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+)\s+(\S{4})\s+\S+\s+\S+\s+\S+\s*(.*)$/.exec(line);
    if (!m) continue;
    const [, s, e, perms, name] = m as unknown as [string, string, string, string, string];
    if (perms.startsWith('---') || /^\[(vsyscall|vvar|vdso|vvar_vclock)\]$/.test(name)) continue;
    const start = Number.parseInt(s, 16);
    const end = Number.parseInt(e, 16);
    out.push({ start, end, perms, name, firstPage });
    firstPage += (end - start) / PAGE_SIZE;
  }
  return out;
}

/**
 * A live Linux process as pghot's platform: its address space through /proc/PID/maps and
 * /proc/PID/pagemap (tasks, walk, rmap; PFNs need root), and the overhead the live sources report.
 * It offers what user space can do on any kernel: no PROT_NONE hint faults of another process, no
 * Accessed-bit test of a folio, no demotion — plugins that need those get core's capability error.
 * The mappings are read once (the task's page indices stay fixed); `refresh()` reads them again.
 */
export class LinuxPlatform implements Platform {
  readonly name = 'linux';
  readonly capabilities: readonly Capability[] = Object.freeze(['tasks', 'overhead'] as Capability[]);
  readonly hooks = createPlatformHooks();
  readonly memory = null;
  readonly seed: number;
  readonly costs: PlatformCosts;
  readonly pid: number | null;
  /** Work charged by chargeOverhead, per kind: units and total ns. */
  readonly overhead = new Map<string, { count: number; ns: number }>();
  readonly #fs: KernelFs;
  #mappings: Mapping[] = [];
  #pages = 0;
  #entries = Buffer.alloc(0);

  constructor(fs: KernelFs, options: { pid?: number | undefined; seed?: number; distance?: (cpuNid: number, memNid: number) => number } = {}) {
    this.#fs = fs;
    this.pid = options.pid ?? null;
    this.seed = options.seed ?? 1;
    // Load latency estimated from the SLIT distance (10 = local ≈ 80 ns); the kernel exports no latency.
    const distance = options.distance ?? ((a: number, b: number) => (a === b ? 10 : 20));
    this.costs = Object.freeze({ accessLatencyNs: (cpuNid: number, memNid: number) => 8 * distance(cpuNid, memNid), migrateNsPerPage: 2000 });
    if (this.pid !== null) this.refresh();
  }

  /** Read the process's mappings again (page indices are rebuilt). */
  refresh(): void {
    if (this.pid === null) return;
    this.#mappings = readMappings(this.#fs, this.pid);
    const last = this.#mappings[this.#mappings.length - 1];
    this.#pages = last ? last.firstPage + (last.end - last.start) / PAGE_SIZE : 0;
  }

  get mappings(): readonly Mapping[] {
    return this.#mappings;
  }

  tasks(): readonly PlatformTask[] {
    if (this.pid === null) return [];
    const comm = this.#fs.read(`/proc/${this.pid}/comm`) ?? String(this.pid);
    return [{ id: this.pid, name: comm, pages: this.#pages }];
  }

  /** The virtual address of the task's page `page`, or -1 outside its mappings. */
  vaddrOf(page: number): number {
    for (const m of this.#mappings) {
      const pages = (m.end - m.start) / PAGE_SIZE;
      if (page >= m.firstPage && page < m.firstPage + pages) return m.start + (page - m.firstPage) * PAGE_SIZE;
    }
    return -1;
  }

  #task(task: number): number {
    if (task !== this.pid) throw new ConfigError(`the linux platform monitors pid ${this.pid ?? '(none: pass --pid)'}, not task ${task}`, { code: 'PGHOT_PID' });
    return task;
  }

  /** pagemap entries for `pages` pages from `vaddr` into out (PFN or -1 when not present). */
  #readPagemap(vaddr: number, pages: number, out: Float64Array, at: number): void {
    if (this.#entries.length < pages * 8) this.#entries = Buffer.alloc(Math.max(pages * 8, 64 * 1024));
    const n = readPagemapBytes(this.#fs, this.pid!, vaddr, pages, this.#entries);
    for (let i = 0; i < pages; i++) {
      const e = i * 8 + 8 > n ? 0n : this.#entries.readBigUInt64LE(i * 8);
      out[at + i] = (e & PAGEMAP_PRESENT) !== 0n ? Number(e & PAGEMAP_PFN_MASK) : -1;
    }
  }

  walk(task: number, start: number, count: number, out: WalkBatch): void {
    this.#task(task);
    out.pfn.fill(-1, 0, count);
    for (const m of this.#mappings) {
      const pages = (m.end - m.start) / PAGE_SIZE;
      const from = Math.max(start, m.firstPage);
      const to = Math.min(start + count, m.firstPage + pages);
      if (from < to) this.#readPagemap(m.start + (from - m.firstPage) * PAGE_SIZE, to - from, out.pfn, from - start);
    }
    // pagemap does not say where a huge folio starts: each page is its own head here
    out.head.set(out.pfn.subarray(0, count));
  }

  /** One pass over the task's pagemap: which of its pages maps each PFN (task -1 when none). */
  rmap(pfns: Float64Array, length: number, outTask: Int32Array, outPage: Float64Array): void {
    outTask.fill(-1, 0, length);
    outPage.fill(-1, 0, length);
    if (this.pid === null || length === 0) return;
    const wanted = new Map<number, number[]>();
    for (let i = 0; i < length; i++) {
      const list = wanted.get(pfns[i]!);
      if (list) list.push(i);
      else wanted.set(pfns[i]!, [i]);
    }
    const chunk = 16_384;
    const buf = new Float64Array(chunk);
    for (const m of this.#mappings) {
      const pages = (m.end - m.start) / PAGE_SIZE;
      for (let off = 0; off < pages; off += chunk) {
        const n = Math.min(chunk, pages - off);
        this.#readPagemap(m.start + off * PAGE_SIZE, n, buf, 0);
        for (let i = 0; i < n; i++) {
          const hits = buf[i]! > 0 ? wanted.get(buf[i]!) : undefined;
          if (!hits) continue;
          for (const k of hits) {
            outTask[k] = this.pid;
            outPage[k] = m.firstPage + off + i;
          }
        }
      }
    }
  }

  chargeOverhead(kind: string, count: number, nsEach: number): void {
    const o = this.overhead.get(kind) ?? { count: 0, ns: 0 };
    o.count += count;
    o.ns += count * nsEach;
    this.overhead.set(kind, o);
  }

  #unavailable(what: string, capability: Capability): never {
    throw new ConfigError(`${what} is not available on the linux platform (no ${capability} capability from user space)`, { code: 'PGHOT_CAPABILITY' });
  }
  testYoung(): void {
    this.#unavailable('testYoung', 'accessedBit');
  }
  mkold(): void {
    this.#unavailable('mkold', 'accessedBit');
  }
  changeProtNuma(): number {
    this.#unavailable('changeProtNuma', 'protnone');
  }
  attachSampler(): never {
    this.#unavailable('attachSampler (the live perf source feeds samples itself)', 'hwSamples');
  }
  attachHotnessMonitor(): never {
    this.#unavailable('attachHotnessMonitor (a CXL CHMU perf driver is not merged)', 'hmu');
  }
  demoteColdest(): void {
    this.#unavailable('demoteColdest', 'demote');
  }
  demoteFolios(): void {
    this.#unavailable('demoteFolios', 'demote');
  }
}
