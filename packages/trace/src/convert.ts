import { closeSync, openSync, writeSync } from 'node:fs';
import { readLackey, type LackeyOptions, type LackeyStats } from './lackey.js';
import { PgtraceReader, PgtraceWriter } from './pgtrace.js';

export interface ConvertResult {
  from: 'lackey' | 'pgtrace';
  to: 'pgtrace' | 'lackey';
  records: number;
  pages: number;
  lackey: LackeyStats | null;
}

/** lackey (text or gzip) → .pgtrace, streaming. */
export async function lackeyToPgtrace(input: string, output: string, options: LackeyOptions = {}): Promise<ConvertResult> {
  const writer = new PgtraceWriter(output);
  let stats: LackeyStats;
  try {
    stats = await readLackey(input, (b) => writer.add(b), options);
  } finally {
    writer.close();
  }
  return { from: 'lackey', to: 'pgtrace', records: writer.records, pages: writer.pages, lackey: stats };
}

/**
 * .pgtrace → lackey text: ` L`/` S` lines (a read-modify-write M comes back as S: the format keeps
 * only the write flag), the address from the page and the line, the size from its class.
 */
export function pgtraceToLackey(input: string, output: string): ConvertResult {
  const reader = new PgtraceReader(input);
  const table = reader.pageTable();
  const vpage = new Int32Array(65_536);
  const line = new Uint8Array(65_536);
  const write = new Uint8Array(65_536);
  const size = new Uint16Array(65_536);
  const fd = openSync(output, 'w');
  let records = 0;
  try {
    for (let n = reader.next(vpage, line, write, size); n > 0; n = reader.next(vpage, line, write, size)) {
      let text = '';
      for (let i = 0; i < n; i++) {
        const addr = table[vpage[i]!]! * 4096 + line[i]! * 64;
        text += `${write[i] ? ' S ' : ' L '}${addr.toString(16).padStart(8, '0')},${size[i]}\n`;
      }
      writeSync(fd, text);
      records += n;
    }
  } finally {
    closeSync(fd);
    reader.close();
  }
  return { from: 'pgtrace', to: 'lackey', records, pages: table.length, lackey: null };
}
