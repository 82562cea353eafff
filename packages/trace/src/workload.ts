import type { ProcessSpec, WorkloadInstance } from '@pghot/sim';
import { readLackey, type LackeyOptions, type LackeyStats } from './lackey.js';
import { traceFileError } from './errors.js';
import { PgtraceReader } from './pgtrace.js';

const CHUNK = 65_536;

function traceProcess(pages: number, total: number, fill: ProcessSpec['fill']): ProcessSpec {
  return { name: 'trace', footprintPages: Math.max(1, pages), threads: 1, totalAccesses: total, cpus: undefined, spread: false, shiftPeriodNs: 0, fill };
}

/**
 * A lackey log as a simulator workload: parsed once into memory (page ids dense in first-touch
 * order), replayed by one thread; time comes from the cost model (lackey has no timestamps).
 * For traces too big for memory, convert to .pgtrace, which replays from disk.
 */
export async function lackeyWorkload(file: string, options: LackeyOptions = {}): Promise<{ create: () => WorkloadInstance; stats: LackeyStats }> {
  const ids = new Map<number, number>();
  let vpage = new Int32Array(CHUNK);
  let line = new Uint8Array(CHUNK);
  let write = new Uint8Array(CHUNK);
  let n = 0;
  const stats = await readLackey(
    file,
    (b) => {
      if (n + b.length > vpage.length) {
        const cap = Math.max(vpage.length * 2, n + b.length);
        const grow = <T extends Int32Array | Uint8Array>(a: T, make: (k: number) => T): T => {
          const x = make(cap);
          x.set(a);
          return x;
        };
        vpage = grow(vpage, (k) => new Int32Array(k));
        line = grow(line, (k) => new Uint8Array(k));
        write = grow(write, (k) => new Uint8Array(k));
      }
      for (let i = 0; i < b.length; i++) {
        let id = ids.get(b.vpn[i]!);
        if (id === undefined) ids.set(b.vpn[i]!, (id = ids.size));
        vpage[n] = id;
        line[n] = b.line[i]!;
        write[n] = b.write[i]!;
        n++;
      }
    },
    options,
  );
  if (n === 0) throw traceFileError(file, 'no memory accesses in this lackey trace (was it recorded with --trace-mem=yes?)');
  const create = (): WorkloadInstance => {
    let pos = 0;
    const process = traceProcess(ids.size, n, (_t, _now, out, outLine, outWrite) => {
      const k = Math.min(out.length, n - pos);
      out.set(vpage.subarray(pos, pos + k));
      outLine.set(line.subarray(pos, pos + k));
      outWrite.set(write.subarray(pos, pos + k));
      pos += k;
      return k;
    });
    return { name: 'trace', params: { file, format: 'lackey', accesses: n, pages: ids.size }, processes: [process] };
  };
  return { create, stats };
}

/** A .pgtrace as a simulator workload, decoded from disk one chunk at a time. */
export function pgtraceWorkload(file: string): WorkloadInstance {
  const reader = new PgtraceReader(file);
  const { records, pages } = reader.info;
  const vpage = new Int32Array(CHUNK);
  const line = new Uint8Array(CHUNK);
  const write = new Uint8Array(CHUNK);
  const size = new Uint16Array(CHUNK);
  let len = 0;
  let pos = 0;
  const process = traceProcess(pages, records, (_t, _now, out, outLine, outWrite) => {
    if (pos === len) {
      len = reader.next(vpage, line, write, size);
      pos = 0;
      if (len === 0) {
        reader.close();
        return 0;
      }
    }
    const k = Math.min(out.length, len - pos);
    out.set(vpage.subarray(pos, pos + k));
    outLine.set(line.subarray(pos, pos + k));
    outWrite.set(write.subarray(pos, pos + k));
    pos += k;
    return k;
  });
  return { name: 'trace', params: { file, format: 'pgtrace', accesses: records, pages }, processes: [process] };
}

/** lackey (plain or gzip) or .pgtrace, by content: a factory of fresh replays (a run and its baseline each need one). */
export async function traceWorkload(file: string, options: LackeyOptions = {}): Promise<{ create: () => WorkloadInstance; stats: LackeyStats | null }> {
  const { open } = await import('node:fs/promises');
  let head = Buffer.alloc(8);
  try {
    const fh = await open(file, 'r');
    const { bytesRead } = await fh.read(head, 0, 8, 0);
    head = head.subarray(0, bytesRead);
    await fh.close();
  } catch {
    // readLackey names the missing file
  }
  if (head.toString('latin1') === 'PGTRACE\0') {
    const check = new PgtraceReader(file); // fail early: the header, counts and page table are checked at open
    check.close();
    if (check.info.records === 0) throw traceFileError(file, 'no memory accesses in this .pgtrace');
    return { create: () => pgtraceWorkload(file), stats: null };
  }
  return lackeyWorkload(file, options);
}
