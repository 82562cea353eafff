import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { TraceParseError, traceFileError } from './errors.js';

/** One batch of data accesses parsed from a trace. Views over reused buffers: copy what you keep. */
export interface AccessBatch {
  length: number;
  /** Virtual page number (address / 4096). */
  vpn: Float64Array;
  /** 64-byte line within the page. */
  line: Uint8Array;
  write: Uint8Array;
  size: Uint16Array;
}

export interface LackeyStats {
  file: string;
  gzip: boolean;
  bytes: number;
  lines: number;
  instructions: number;
  loads: number;
  stores: number;
  modifies: number;
  /** `==PID==` lines. */
  headerLines: number;
  /** Accesses emitted: data lines (and I lines when included), plus one more per page-straddling access. */
  accesses: number;
  straddles: number;
  malformed: number;
  badLines: { line: number; text: string }[];
}

export interface LackeyOptions {
  /** Emit I (instruction fetch) lines as reads too (default: skip them). */
  includeInstructions?: boolean;
  /** Skip up to this many malformed lines (counted) instead of stopping at the first. */
  maxErrors?: number;
  /** Called with the bytes read so far (of the file on disk), about every 4 MiB. */
  onProgress?: (bytesRead: number, accesses: number) => void;
}

const BATCH = 65_536;
const C_NL = 10;
const C_CR = 13;
const C_SP = 32;
const C_EQ = 61;
const C_I = 73;
const C_L = 76;
const C_S = 83;
const C_M = 77;
const C_COMMA = 44;
/** Hex digit value of each byte, or -1. */
const HEX = new Int8Array(256).fill(-1);
for (let c = 0; c < 10; c++) HEX[48 + c] = c;
for (let c = 0; c < 6; c++) HEX[97 + c] = 10 + c;

/**
 * Stream a valgrind lackey `--trace-mem=yes` log (plain or gzip, detected by content) and hand its
 * accesses to `onBatch` in batches: `L` a read, `S` a write, `M` one access flagged as a write
 * (read-modify-write); an access crossing a page boundary touches both pages; `==PID==` lines are
 * skipped. Constant memory. A malformed line throws a TraceParseError naming file, line and text,
 * unless maxErrors allows skipping it.
 */
export async function readLackey(file: string, onBatch: (batch: AccessBatch) => void, options: LackeyOptions = {}): Promise<LackeyStats> {
  const includeI = options.includeInstructions ?? false;
  const maxErrors = options.maxErrors ?? 0;
  const stats: LackeyStats = {
    file, gzip: false, bytes: 0, lines: 0, instructions: 0, loads: 0, stores: 0, modifies: 0,
    headerLines: 0, accesses: 0, straddles: 0, malformed: 0, badLines: [],
  };
  // read as a stream from the start (no seek), so a pipe or FIFO works as well as a file
  const raw = createReadStream(file, { highWaterMark: 1 << 20 });
  const chunks = raw[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let first: IteratorResult<Buffer>;
  try {
    first = await chunks.next();
  } catch (e) {
    throw traceFileError(file, (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message, e);
  }
  stats.gzip = !first.done && first.value[0] === 0x1f && first.value[1] === 0x8b;
  const batch: AccessBatch = { length: 0, vpn: new Float64Array(BATCH), line: new Uint8Array(BATCH), write: new Uint8Array(BATCH), size: new Uint16Array(BATCH) };
  const flush = () => {
    if (batch.length > 0) onBatch(batch);
    batch.length = 0;
  };
  const emit = (addr: number, size: number, write: number) => {
    const first = Math.floor(addr / 4096);
    const last = Math.floor((addr + size - 1) / 4096);
    for (let p = first; p <= last; p++) {
      const i = batch.length++;
      batch.vpn[i] = p;
      batch.line[i] = p === first ? Math.floor((addr % 4096) / 64) : 0;
      batch.write[i] = write;
      batch.size[i] = size;
      stats.accesses++;
      if (batch.length === BATCH) flush();
    }
    if (last !== first) stats.straddles++;
  };
  const bad = (bytes: Uint8Array, start: number, end: number, why: string) => {
    const text = Buffer.from(bytes.subarray(start, end)).toString('latin1');
    if (stats.malformed >= maxErrors) throw new TraceParseError(file, stats.lines, text, why);
    stats.malformed++;
    if (stats.badLines.length < 10) stats.badLines.push({ line: stats.lines, text });
  };
  /** Parse bytes [s, e) of one line (no newline). */
  const parseLine = (b: Uint8Array, s: number, e: number) => {
    if (e > s && b[e - 1] === C_CR) e--;
    stats.lines++;
    const c0 = b[s];
    let kind = 0; // 1 I, 2 L, 3 S, 4 M
    let p: number;
    if (c0 === C_I && b[s + 1] === C_SP && b[s + 2] === C_SP) {
      // skipped fetches (3 lines in 4): only the shape is checked, an address digit first and a size digit last
      if (!includeI && HEX[b[s + 3]!]! >= 0 && b[e - 1]! >= 48 && b[e - 1]! <= 57) {
        stats.instructions++;
        return;
      }
      kind = 1;
      p = s + 3;
    } else if (c0 === C_SP && b[s + 2] === C_SP) {
      const c1 = b[s + 1];
      kind = c1 === C_L ? 2 : c1 === C_S ? 3 : c1 === C_M ? 4 : 0;
      p = s + 3;
    } else if (c0 === C_EQ && b[s + 1] === C_EQ) {
      stats.headerLines++;
      return;
    } else p = s;
    if (kind === 0) return bad(b, s, e, 'not a lackey line (I, L, S, M or ==PID==)');
    let addr = 0;
    const hexStart = p;
    for (; p < e; p++) {
      const d = HEX[b[p]!]!;
      if (d < 0) break;
      addr = addr * 16 + d;
    }
    const digits = p - hexStart;
    if (digits < 8 || digits > 13 || b[p] !== C_COMMA) return bad(b, s, e, digits > 13 ? 'address beyond 2^52' : 'expected an address of 8+ hex digits and a comma');
    p++;
    let size = 0;
    const sizeStart = p;
    for (; p < e; p++) {
      const c = b[p]! - 48;
      if (c < 0 || c > 9) break;
      size = size * 10 + c;
    }
    if (p !== e || p === sizeStart || size === 0 || size > 4096) return bad(b, s, e, 'expected a size of 1..4096 bytes after the comma');
    if (kind === 1) {
      stats.instructions++;
      if (includeI) emit(addr, size, 0);
    } else if (kind === 2) {
      stats.loads++;
      emit(addr, size, 0);
    } else if (kind === 3) {
      stats.stores++;
      emit(addr, size, 1);
    } else {
      stats.modifies++;
      emit(addr, size, 1);
    }
  };

  let nextProgress = 4 << 20;
  async function* rawChunks(): AsyncGenerator<Buffer> {
    for (let c = first; !c.done; c = await chunks.next()) {
      stats.bytes += c.value.length;
      if (options.onProgress && stats.bytes >= nextProgress) {
        nextProgress += 4 << 20;
        options.onProgress(stats.bytes, stats.accesses);
      }
      yield c.value;
    }
  }
  // gzip: a stream of the chunks piped into gunzip; its errors (a read failing, or its pending
  // read cut short when we stop early) go to gunzip, which the loop below reads
  let source: Readable | null = null;
  let input: AsyncIterable<Buffer> = rawChunks();
  if (stats.gzip) {
    const gunzip = createGunzip();
    source = Readable.from(input).on('error', (e) => gunzip.destroy(e));
    input = source.pipe(gunzip);
  }
  let carry: Uint8Array | null = null;
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      let b: Uint8Array = chunk;
      if (carry !== null) {
        b = Buffer.concat([carry, chunk]);
        carry = null;
      }
      const buf = Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.length);
      let s = 0;
      // memchr through Buffer#indexOf: far faster than a byte loop for finding line ends
      for (let i = buf.indexOf(C_NL, s); i >= 0; i = buf.indexOf(C_NL, s)) {
        parseLine(buf, s, i);
        s = i + 1;
      }
      if (s < buf.length) carry = Buffer.from(buf.subarray(s)); // a copy: the stream may reuse its chunk memory
    }
    if (carry !== null && carry.length > 0) parseLine(carry, 0, carry.length);
  } catch (e) {
    source?.destroy();
    raw.destroy();
    if (e instanceof TraceParseError) throw e;
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(err.message)) throw traceFileError(file, 'truncated gzip (unexpected end of file)', e);
    if (err.code?.startsWith('Z_')) throw traceFileError(file, `corrupt gzip: ${err.message}`, e);
    throw traceFileError(file, `cannot read: ${err.message}`, e);
  }
  flush();
  return stats;
}
