import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { traceFileError } from './errors.js';
import type { AccessBatch } from './lackey.js';
import { OutputFile } from './output-file.js';

/**
 * `.pgtrace` v2: a compact binary trace of page accesses (docs/traces.md).
 *   header   32 B: "PGTRACE\0", u16 version 2, u16 flags (bit 0: timestamps), u32 chunks,
 *                  f64 records, u32 pages (distinct), u32 CRC-32 of the header's first 28 bytes
 *                  (v1: reserved, unchecked) — little endian
 *   chunks   u32 records, u32 payload bytes, u32 CRC-32 of the payload, u16 task, u16 cpu, payload
 *   payload  per record: zigzag varint of (page id - previous page id), u8 flags (bit 0 write,
 *            bits 1-4 log2 of the size, bit 5 timestamp follows), u8 line (64 B line in the page),
 *            [varint ns since the previous record's time]
 *   trailer  "PGPAGES\0", u32 pages, f64 virtual page number of each page id, u32 CRC-32 of the table
 * Page ids are dense, in first-touch order, so a replay needs no map; the trailer maps them back.
 * The trailer is required and ends the file; every count is checked against the header.
 */
export const PGTRACE_MAGIC = 'PGTRACE\0';
const TRAILER_MAGIC = 'PGPAGES\0';
const HEADER = 32;
const CHUNK_HEADER = 16;
const CHUNK_RECORDS = 65_536;
const VERSION = 2;
/** Bytes a record takes at least: a one-byte delta, flags and line. */
const MIN_RECORD_BYTES = 3;

const sizeClass = (size: number) => Math.min(15, Math.max(0, Math.round(Math.log2(size))));

export class PgtraceWriter {
  readonly file: string;
  records = 0;
  chunks = 0;
  readonly #out: OutputFile;
  readonly #ids = new Map<number, number>();
  #vpns = new Float64Array(1024);
  #buf = new Uint8Array(CHUNK_RECORDS * 16);
  #len = 0;
  #count = 0;
  #prev = 0;
  #task = -1;
  #cpu = -1;
  #prevTime = 0;
  #timestamps = false;

  constructor(file: string) {
    this.file = file;
    this.#out = new OutputFile(file);
    this.#out.write(new Uint8Array(HEADER)); // rewritten by close()
  }

  get pages(): number {
    return this.#ids.size;
  }

  #varint(v: number): void {
    const b = this.#buf;
    while (v >= 0x80) {
      b[this.#len++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    b[this.#len++] = v;
  }

  /** Append a batch of accesses by `task` on `cpu`, with their times in ns when the trace has them (non-decreasing). */
  add(batch: AccessBatch, task = 0, cpu = 0, timeNs?: ArrayLike<number>): void {
    if (task !== this.#task || cpu !== this.#cpu) {
      this.#flush();
      this.#task = task;
      this.#cpu = cpu;
    }
    for (let i = 0; i < batch.length; i++) {
      const vpn = batch.vpn[i]!;
      let id = this.#ids.get(vpn);
      if (id === undefined) {
        id = this.#ids.size;
        this.#ids.set(vpn, id);
        if (id === this.#vpns.length) {
          const grown = new Float64Array(this.#vpns.length * 2);
          grown.set(this.#vpns);
          this.#vpns = grown;
        }
        this.#vpns[id] = vpn;
      }
      const delta = id - this.#prev;
      this.#prev = id;
      this.#varint(delta >= 0 ? delta * 2 : -delta * 2 - 1);
      this.#buf[this.#len++] = (batch.write[i]! & 1) | (sizeClass(batch.size[i]!) << 1) | (timeNs ? 0x20 : 0);
      this.#buf[this.#len++] = batch.line[i]!;
      if (timeNs) {
        const t = timeNs[i]!;
        this.#varint(Math.max(0, t - this.#prevTime));
        this.#prevTime = Math.max(this.#prevTime, t);
        this.#timestamps = true;
      }
      if (++this.#count === CHUNK_RECORDS) this.#flush();
    }
    this.records += batch.length;
  }

  #flush(): void {
    if (this.#count === 0) return;
    const payload = this.#buf.subarray(0, this.#len);
    const head = Buffer.alloc(CHUNK_HEADER);
    head.writeUInt32LE(this.#count, 0);
    head.writeUInt32LE(payload.length, 4);
    head.writeUInt32LE(crc32(payload), 8);
    head.writeUInt16LE(Math.max(0, this.#task), 12);
    head.writeUInt16LE(Math.max(0, this.#cpu), 14);
    this.#out.write(head);
    this.#out.write(payload);
    this.chunks++;
    this.#len = 0;
    this.#count = 0;
    this.#prev = 0; // chunks decode on their own
  }

  /** Finish the file (page table, header) and put it in place. */
  close(): void {
    this.#flush();
    const pages = this.#ids.size;
    const table = Buffer.from(this.#vpns.buffer, 0, pages * 8);
    const trailer = Buffer.alloc(12);
    trailer.write(TRAILER_MAGIC, 0, 'latin1');
    trailer.writeUInt32LE(pages, 8);
    const crc = Buffer.alloc(4);
    crc.writeUInt32LE(crc32(table), 0);
    this.#out.write(trailer);
    this.#out.write(table);
    this.#out.write(crc);
    const header = Buffer.alloc(HEADER);
    header.write(PGTRACE_MAGIC, 0, 'latin1');
    header.writeUInt16LE(VERSION, 8);
    header.writeUInt16LE(this.#timestamps ? 1 : 0, 10);
    header.writeUInt32LE(this.chunks, 12);
    header.writeDoubleLE(this.records, 16);
    header.writeUInt32LE(pages, 24);
    header.writeUInt32LE(crc32(header.subarray(0, 28)), 28);
    this.#out.write(header, 0);
    this.#out.commit();
  }

  /** Give up: the file is not written (an existing one stays as it was). */
  abort(): void {
    this.#out.abort();
  }
}

export interface PgtraceInfo {
  version: number;
  /** Records carry timestamps. */
  timestamps: boolean;
  chunks: number;
  records: number;
  pages: number;
}

/** Reads a .pgtrace synchronously, one chunk at a time (constant memory), checking every checksum. */
export class PgtraceReader {
  readonly file: string;
  readonly info: PgtraceInfo;
  readonly #fd: number;
  readonly #size: number;
  #offset = HEADER;
  #chunk = 0;
  #payload = new Uint8Array(CHUNK_RECORDS * 16);
  #time = 0;
  #read = 0;
  #table: Float64Array;

  constructor(file: string) {
    this.file = file;
    try {
      this.#fd = openSync(file, 'r');
    } catch (e) {
      throw traceFileError(file, (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message, e);
    }
    this.#size = fstatSync(this.#fd).size;
    const h = Buffer.alloc(HEADER);
    if (readSync(this.#fd, h, 0, HEADER, 0) < HEADER || h.toString('latin1', 0, 8) !== PGTRACE_MAGIC) {
      this.close();
      throw traceFileError(file, 'not a .pgtrace file (bad magic)');
    }
    const version = h.readUInt16LE(8);
    const fail = (why: string): never => {
      this.close();
      throw traceFileError(file, why);
    };
    if (version !== 1 && version !== 2) fail(`unsupported .pgtrace version ${version} (this reader knows 1 and 2)`);
    if (version === 2 && crc32(h.subarray(0, 28)) !== h.readUInt32LE(28)) fail('corrupt .pgtrace: bad header checksum');
    this.info = { version, timestamps: (h.readUInt16LE(10) & 1) === 1, chunks: h.readUInt32LE(12), records: h.readDoubleLE(16), pages: h.readUInt32LE(24) };
    const { chunks, records, pages } = this.info;
    // counts the file cannot hold are refused before anything trusts them
    if (!Number.isSafeInteger(records) || records < 0) fail(`corrupt .pgtrace: header record count ${records}`);
    if (records > chunks * CHUNK_RECORDS || records * MIN_RECORD_BYTES + chunks * CHUNK_HEADER + HEADER > this.#size) fail(`truncated or corrupt .pgtrace: the header's ${records} records in ${chunks} chunks do not fit in its ${this.#size} bytes`);
    if (pages > records || (records > 0 && pages === 0)) fail(`corrupt .pgtrace: the header's ${pages} distinct pages do not match its ${records} records`);
    this.#table = this.#readTrailer(fail);
  }

  /** Walk the chunk headers to the page table; check it against the header and its checksum. */
  #readTrailer(fail: (why: string) => never): Float64Array {
    const head = Buffer.alloc(CHUNK_HEADER);
    let offset = HEADER;
    for (let c = 0; c < this.info.chunks; c++) {
      if (readSync(this.#fd, head, 0, CHUNK_HEADER, offset) < CHUNK_HEADER) fail(`truncated .pgtrace: chunk ${c} header ends past the end of the file`);
      offset += CHUNK_HEADER + head.readUInt32LE(4);
    }
    const t = Buffer.alloc(12);
    if (readSync(this.#fd, t, 0, 12, offset) < 12 || t.toString('latin1', 0, 8) !== TRAILER_MAGIC) fail('truncated .pgtrace: no page table after the chunks');
    const pages = t.readUInt32LE(8);
    if (pages !== this.info.pages) fail(`corrupt .pgtrace: the page table has ${pages} pages, the header ${this.info.pages}`);
    const end = offset + 12 + pages * 8 + 4;
    if (end > this.#size) fail('truncated .pgtrace: the page table ends past the end of the file');
    if (this.info.version === 2 && end !== this.#size) fail(`corrupt .pgtrace: ${this.#size - end} bytes after the page table`);
    const table = Buffer.alloc(pages * 8);
    readSync(this.#fd, table, 0, pages * 8, offset + 12);
    const crc = Buffer.alloc(4);
    readSync(this.#fd, crc, 0, 4, offset + 12 + pages * 8);
    if (crc32(table) !== crc.readUInt32LE(0)) fail('bad checksum in the page table');
    return new Float64Array(table.buffer.slice(table.byteOffset, table.byteOffset + table.length));
  }

  /**
   * Decode the next chunk into the arrays (each of at least 65,536 entries), and the records' times
   * (ns) into `timeNs` when given and present; returns its record count, 0 at the end.
   */
  next(vpage: Int32Array, line: Uint8Array, write: Uint8Array, size: Uint16Array, timeNs?: Float64Array): number {
    if (this.#chunk === this.info.chunks) {
      if (this.#read !== this.info.records) throw traceFileError(this.file, `corrupt .pgtrace: the chunks hold ${this.#read} records, the header says ${this.info.records}`);
      return 0;
    }
    const head = Buffer.alloc(CHUNK_HEADER);
    if (readSync(this.#fd, head, 0, CHUNK_HEADER, this.#offset) < CHUNK_HEADER) throw traceFileError(this.file, `truncated .pgtrace: chunk ${this.#chunk} header ends past the end of the file`);
    const count = head.readUInt32LE(0);
    const bytes = head.readUInt32LE(4);
    const crc = head.readUInt32LE(8);
    if (count === 0 || count > CHUNK_RECORDS || bytes > this.#payload.length) throw traceFileError(this.file, `corrupt .pgtrace: chunk ${this.#chunk} claims ${count} records in ${bytes} bytes`);
    const payload = this.#payload.subarray(0, bytes);
    if (this.#offset + CHUNK_HEADER + bytes > this.#size || readSync(this.#fd, payload, 0, bytes, this.#offset + CHUNK_HEADER) < bytes) {
      throw traceFileError(this.file, `truncated .pgtrace: chunk ${this.#chunk} ends past the end of the file`);
    }
    if (crc32(payload) !== crc) throw traceFileError(this.file, `bad checksum in chunk ${this.#chunk} (at byte ${this.#offset})`);
    const pages = this.info.pages;
    let p = 0;
    let prev = 0;
    for (let i = 0; i < count; i++) {
      let v = 0;
      let mul = 1;
      let b: number;
      do {
        b = payload[p++]!;
        v += (b & 0x7f) * mul;
        mul *= 0x80;
      } while (b >= 0x80);
      prev += v % 2 === 0 ? v / 2 : -(v + 1) / 2;
      if (!(prev >= 0 && prev < pages)) throw traceFileError(this.file, `corrupt .pgtrace: chunk ${this.#chunk} record ${i} has page id ${prev}, outside the ${pages} pages of the header`);
      vpage[i] = prev;
      const flags = payload[p++]!;
      write[i] = flags & 1;
      size[i] = 1 << ((flags >> 1) & 15);
      line[i] = payload[p++]!;
      if ((flags & 0x20) !== 0) {
        let d = 0;
        let m = 1;
        do {
          b = payload[p++]!;
          d += (b & 0x7f) * m;
          m *= 0x80;
        } while (b >= 0x80);
        this.#time += d;
        if (timeNs) timeNs[i] = this.#time;
      }
    }
    if (p !== bytes) throw traceFileError(this.file, `corrupt .pgtrace: chunk ${this.#chunk} decodes to ${p} of ${bytes} bytes`);
    this.#offset += CHUNK_HEADER + bytes;
    this.#chunk++;
    this.#read += count;
    if (this.#read > this.info.records) throw traceFileError(this.file, `corrupt .pgtrace: the chunks hold more records than the header's ${this.info.records}`);
    return count;
  }

  /** The virtual page number of every page id (the trailer, checked when the file was opened). */
  pageTable(): Float64Array {
    return this.#table;
  }

  close(): void {
    closeSync(this.#fd);
  }
}
