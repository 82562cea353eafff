import { readLackey, type LackeyOptions, type LackeyStats } from './lackey.js';
import { traceFileError } from './errors.js';
import { OutputFile, refuseOutputOverInput } from './output-file.js';
import { PgtraceReader, PgtraceWriter } from './pgtrace.js';

export interface ConvertResult {
  from: 'lackey' | 'pgtrace';
  to: 'pgtrace' | 'lackey';
  records: number;
  pages: number;
  lackey: LackeyStats | null;
}

/**
 * lackey (text or gzip) → .pgtrace, streaming into a temporary file that replaces `output` only
 * when the whole input converted: a bad line, a missing input or a trace without one access
 * leaves `output` as it was.
 */
export async function lackeyToPgtrace(input: string, output: string, options: LackeyOptions = {}): Promise<ConvertResult> {
  refuseOutputOverInput(output, [input]);
  const writer = new PgtraceWriter(output);
  let stats: LackeyStats;
  try {
    stats = await readLackey(input, (b) => writer.add(b), options);
    if (writer.records === 0) throw traceFileError(input, 'no memory accesses in this lackey trace (was it recorded with --trace-mem=yes?)');
  } catch (e) {
    writer.abort();
    throw e;
  }
  writer.close();
  return { from: 'lackey', to: 'pgtrace', records: writer.records, pages: writer.pages, lackey: stats };
}

/**
 * .pgtrace → lackey text: ` L`/` S` lines (a read-modify-write M comes back as S: the format keeps
 * only the write flag), the address from the page and the line, the size from its class. Written
 * to a temporary file renamed over `output` at the end; it yields between chunks, so a signal
 * can stop it (leaving `output` as it was).
 */
export async function pgtraceToLackey(input: string, output: string): Promise<ConvertResult> {
  refuseOutputOverInput(output, [input]);
  const reader = new PgtraceReader(input);
  const table = reader.pageTable();
  const vpage = new Int32Array(65_536);
  const line = new Uint8Array(65_536);
  const write = new Uint8Array(65_536);
  const size = new Uint16Array(65_536);
  let out: OutputFile | null = null;
  let records = 0;
  try {
    out = new OutputFile(output);
    for (let n = reader.next(vpage, line, write, size); n > 0; n = reader.next(vpage, line, write, size)) {
      let text = '';
      for (let i = 0; i < n; i++) {
        const addr = table[vpage[i]!]! * 4096 + line[i]! * 64;
        text += `${write[i] ? ' S ' : ' L '}${addr.toString(16).padStart(8, '0')},${size[i]}\n`;
      }
      out.write(text);
      records += n;
      await new Promise((resolve) => setImmediate(resolve));
    }
    out.commit();
  } catch (e) {
    out?.abort();
    throw e;
  } finally {
    reader.close();
  }
  return { from: 'pgtrace', to: 'lackey', records, pages: table.length, lackey: null };
}
