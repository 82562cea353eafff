import { type FileHandle, open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { TraceParseError, traceFileError } from './errors.js';
import { LACKEY_WASM } from './wasm/lackey-wasm.js';

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
/** Line kinds: an instruction fetch, a load, a store, a modify (read-modify-write). */
const K_I = 1;
const K_L = 2;
const K_S = 3;
const K_M = 4;
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
  // read from the start with no seek, so a pipe or FIFO works as well as a file; one buffer,
  // reused: the parser copies each chunk before the next read
  let fh: FileHandle;
  try {
    fh = await open(file, 'r');
  } catch (e) {
    throw traceFileError(file, (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message, e);
  }
  const buf = Buffer.allocUnsafe(1 << 20);
  let got: number;
  try {
    got = (await fh.read(buf, 0, buf.length, null)).bytesRead;
  } catch (e) {
    void fh.close().catch(() => {});
    throw traceFileError(file, (e as Error).message, e);
  }
  stats.gzip = got >= 2 && buf[0] === 0x1f && buf[1] === 0x8b;
  const parser = new LackeyParser(file, includeI, maxErrors, onBatch, stats);

  let nextProgress = 4 << 20;
  async function* rawChunks(): AsyncGenerator<Buffer> {
    for (; got > 0; got = (await fh.read(buf, 0, buf.length, null)).bytesRead) {
      stats.bytes += got;
      if (options.onProgress && stats.bytes >= nextProgress) {
        nextProgress += 4 << 20;
        options.onProgress(stats.bytes, stats.accesses);
      }
      // gunzip keeps what it is given: a copy
      yield stats.gzip ? Buffer.from(buf.subarray(0, got)) : buf.subarray(0, got);
    }
  }
  // gzip: a stream of the chunks piped into gunzip; its errors (a read failing, or its pending
  // read cut short when we stop early) go to gunzip, which the loop below reads
  let source: Readable | null = null;
  let input: AsyncIterable<Buffer> = rawChunks();
  if (stats.gzip) {
    const gunzip = createGunzip({ chunkSize: 1 << 20 });
    source = Readable.from(input).on('error', (e) => gunzip.destroy(e));
    input = source.pipe(gunzip);
  }
  try {
    for await (const chunk of input) parser.push(chunk);
    parser.finish();
  } catch (e) {
    source?.destroy();
    void fh.close().catch(() => {}); // not awaited: a read of a pipe may still be pending
    if (e instanceof TraceParseError) throw e;
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(err.message)) throw traceFileError(file, 'truncated gzip (unexpected end of file)', e);
    if (err.code?.startsWith('Z_')) throw traceFileError(file, `corrupt gzip: ${err.message}`, e);
    throw traceFileError(file, `cannot read: ${err.message}`, e);
  }
  await fh.close();
  return stats;
}

/** The few WebAssembly APIs used here (Node has them; the ES lib typings do not declare them). */
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
};
type ParseFn = (
  s: number, n: number, includeI: number, len: number, batch: number,
  vpn: number, size: number, line: number, write: number, hex: number, counts: number,
) => number;
let lackeyModule: object | null = null;

/**
 * The WebAssembly module's memory (64 KiB pages): the batch arrays (one slot more than a batch, for
 * the second page of a straddling access), the hex table, the counts, and the input: the incomplete
 * line carried from the last chunk, then the next chunk. Nothing grows, so the views stay valid.
 */
const MEM = {
  vpn: 0,
  size: 528_384,
  line: 663_552,
  write: 733_184,
  hex: 802_816,
  counts: 803_072,
  input: 1 << 20,
  /** Input bytes: the module reads up to 3 past the end, and 64 are left free. */
  inputCap: (3 << 20) - 64,
} as const;
/** Why parse() stopped (counts[0]). */
const STOP_END = 0;
const STOP_FULL = 1;

/**
 * The state of one readLackey call: the batch being filled (views of the module's memory) and the
 * counts. Each chunk is copied behind the carried line and the well-formed lines are parsed by the
 * WebAssembly loop (lackey.wat); any other line goes to parseLine, whose checks and messages are the
 * format's.
 */
export class LackeyParser {
  readonly batch: AccessBatch;
  readonly #parse: ParseFn;
  readonly #memory: Uint8Array;
  readonly #counts: Int32Array;
  /** Bytes of an incomplete line at the start of the input. */
  #carry = 0;
  /** Inside a line longer than the input area, already reported: its bytes are dropped up to the newline. */
  #skipping = false;

  constructor(
    private readonly file: string,
    private readonly includeI: boolean,
    private readonly maxErrors: number,
    private readonly onBatch: (batch: AccessBatch) => void,
    private readonly stats: LackeyStats,
  ) {
    lackeyModule ??= new WebAssembly.Module(Buffer.from(LACKEY_WASM, 'base64'));
    const { exports } = new WebAssembly.Instance(lackeyModule, {});
    const { buffer } = exports.memory as { buffer: ArrayBuffer };
    this.#parse = exports.parse as ParseFn;
    this.#memory = new Uint8Array(buffer);
    this.#counts = new Int32Array(buffer, MEM.counts, 16);
    this.batch = {
      length: 0,
      vpn: new Float64Array(buffer, MEM.vpn, BATCH + 1),
      line: new Uint8Array(buffer, MEM.line, BATCH + 1),
      write: new Uint8Array(buffer, MEM.write, BATCH + 1),
      size: new Uint16Array(buffer, MEM.size, BATCH + 1),
    };
    this.#memory.fill(255, MEM.hex, MEM.hex + 256);
    for (let c = 0; c < 256; c++) if (HEX[c]! >= 0) this.#memory[MEM.hex + c] = HEX[c]!;
  }

  flush(): void {
    if (this.batch.length > 0) this.onBatch(this.batch);
    this.batch.length = 0;
  }

  /** Parse the complete lines of the next chunk; its incomplete last line waits for the next. */
  push(chunk: Uint8Array): void {
    let off = 0;
    if (this.#skipping) {
      const nl = chunk.indexOf(C_NL);
      if (nl < 0) return;
      this.#skipping = false;
      off = nl + 1;
    }
    while (off < chunk.length) {
      const k = Math.min(MEM.inputCap - this.#carry, chunk.length - off);
      this.#memory.set(chunk.subarray(off, off + k), MEM.input + this.#carry);
      off += k;
      this.#parseInput(this.#carry + k);
      if (this.#carry === MEM.inputCap) {
        // one line fills the whole input area: report it (its start) and drop the rest of it
        this.stats.lines++;
        this.bad(this.#memory, MEM.input, MEM.input + 200, `not a lackey line (longer than ${MEM.inputCap} bytes)`);
        this.#carry = 0;
        const nl = chunk.indexOf(C_NL, off);
        if (nl < 0) {
          this.#skipping = true;
          return;
        }
        off = nl + 1;
      }
    }
  }

  /** The end of the input: its last line, if it has no newline, and the last batch. */
  finish(): void {
    if (this.#carry > 0) this.parseLine(this.#memory, MEM.input, MEM.input + this.#carry);
    this.#carry = 0;
    this.flush();
  }

  /** Parse the complete lines of input[0, end); move the incomplete last one to the start. */
  #parseInput(end: number): void {
    const { batch, stats } = this;
    const counts = this.#counts;
    const n = MEM.input + end;
    let s = MEM.input;
    for (;;) {
      s = this.#parse(s, n, this.includeI ? 1 : 0, batch.length, BATCH, MEM.vpn, MEM.size, MEM.line, MEM.write, MEM.hex, MEM.counts);
      stats.lines += counts[1]!;
      stats.instructions += counts[2]!;
      stats.loads += counts[3]!;
      stats.stores += counts[4]!;
      stats.modifies += counts[5]!;
      stats.accesses += counts[6]!;
      stats.straddles += counts[7]!;
      batch.length = counts[8]!;
      const stop = counts[0]!;
      if (batch.length >= BATCH) {
        // a batch, as soon as it is full; the second page of a straddling access opens the next
        const extra = batch.length - BATCH;
        batch.length = BATCH;
        this.flush();
        if (extra > 0) this.#moveExtra();
      }
      if (stop === STOP_FULL) continue;
      if (stop === STOP_END) break;
      // a line for the checked parser, if it is complete
      const nl = this.#memory.subarray(s, n).indexOf(C_NL);
      if (nl < 0) break;
      const e = s + nl;
      this.parseLine(this.#memory, s, e);
      s = e + 1;
    }
    this.#memory.copyWithin(MEM.input, s, n);
    this.#carry = n - s;
  }

  /** The access in the slot past a full batch becomes the first of the next. */
  #moveExtra(): void {
    const { vpn, line, write, size } = this.batch;
    vpn[0] = vpn[BATCH]!;
    line[0] = line[BATCH]!;
    write[0] = write[BATCH]!;
    size[0] = size[BATCH]!;
    this.batch.length = 1;
  }

  /** One access of `size` bytes at `addr`: one per page it touches. */
  private emit(addr: number, size: number, write: number): void {
    const { batch, stats } = this;
    const first = Math.floor(addr / 4096);
    const last = Math.floor((addr + size - 1) / 4096);
    for (let p = first; p <= last; p++) {
      const i = batch.length++;
      batch.vpn[i] = p;
      batch.line[i] = p === first ? Math.floor((addr % 4096) / 64) : 0;
      batch.write[i] = write;
      batch.size[i] = size;
      stats.accesses++;
      if (batch.length === BATCH) this.flush();
    }
    if (last !== first) stats.straddles++;
  }

  private bad(bytes: Uint8Array, start: number, end: number, why: string): void {
    const { stats } = this;
    const text = Buffer.from(bytes.subarray(start, end)).toString('latin1');
    if (stats.malformed >= this.maxErrors) throw new TraceParseError(this.file, stats.lines, text, why);
    stats.malformed++;
    if (stats.badLines.length < 10) stats.badLines.push({ line: stats.lines, text });
  }

  /** Parse bytes [s, e) of one line (no newline), checking everything. */
  parseLine(b: Uint8Array, s: number, e: number): void {
    const { stats, includeI } = this;
    if (e > s && b[e - 1] === C_CR) e--;
    stats.lines++;
    const c0 = b[s];
    let kind = 0;
    let p: number;
    if (c0 === C_I && b[s + 1] === C_SP && b[s + 2] === C_SP) {
      if (!includeI && HEX[b[s + 3]!]! >= 0 && b[e - 1]! >= 48 && b[e - 1]! <= 57) {
        stats.instructions++;
        return;
      }
      kind = K_I;
      p = s + 3;
    } else if (c0 === C_SP && b[s + 2] === C_SP) {
      const c1 = b[s + 1];
      kind = c1 === C_L ? K_L : c1 === C_S ? K_S : c1 === C_M ? K_M : 0;
      p = s + 3;
    } else if (c0 === C_EQ && b[s + 1] === C_EQ) {
      stats.headerLines++;
      return;
    } else p = s;
    if (kind === 0) return this.bad(b, s, e, 'not a lackey line (I, L, S, M or ==PID==)');
    let addr = 0;
    const hexStart = p;
    for (; p < e; p++) {
      const d = HEX[b[p]!]!;
      if (d < 0) break;
      addr = addr * 16 + d;
    }
    const digits = p - hexStart;
    if (digits < 8 || digits > 13 || b[p] !== C_COMMA) return this.bad(b, s, e, digits > 13 ? 'address beyond 2^52' : 'expected an address of 8+ hex digits and a comma');
    p++;
    let size = 0;
    const sizeStart = p;
    for (; p < e; p++) {
      const c = b[p]! - 48;
      if (c < 0 || c > 9) break;
      size = size * 10 + c;
    }
    if (p !== e || p === sizeStart || size === 0 || size > 4096) return this.bad(b, s, e, 'expected a size of 1..4096 bytes after the comma');
    if (kind === K_I) {
      stats.instructions++;
      if (includeI) this.emit(addr, size, 0);
    } else if (kind === K_L) {
      stats.loads++;
      this.emit(addr, size, 0);
    } else if (kind === K_S) {
      stats.stores++;
      this.emit(addr, size, 1);
    } else {
      stats.modifies++;
      this.emit(addr, size, 1);
    }
  }
}
