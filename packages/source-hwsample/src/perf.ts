import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { ConfigError } from '@pghot/core';

export type SampleFormat = 'perf-script' | 'perf-mem-csv';

/** Samples read from a real perf output, with what was skipped and why. */
export interface SampleFile {
  file: string;
  format: SampleFormat;
  /** Lines read, header and blank lines included. */
  lines: number;
  /** Samples with a physical address. */
  resolved: number;
  /** Samples with physical address 0: the page was not mapped when sampled (perf's unresolved). */
  unresolved: number;
  /** Bad lines skipped (only with maxErrors > 0). */
  malformed: number;
  /** The first bad lines skipped, 1-based. */
  badLines: { line: number; text: string }[];
  /** Samples per perf event name (perf script; perf mem CSV has no event column: "mem"). */
  events: Record<string, number>;
  /** Per resolved sample: PFN (physical address >> 12), time in ms, CPU (-1 when the input has none). */
  pfn: Float64Array;
  timeMs: Float64Array;
  cpu: Int32Array;
}

/** A line that does not parse, naming the file, the 1-based line and the text. */
export class SampleParseError extends ConfigError {
  readonly line: number;
  readonly text: string;
  constructor(file: string, line: number, text: string, why: string) {
    super(`${file}:${line}: ${why}: ${JSON.stringify(text.length > 200 ? `${text.slice(0, 200)}…` : text)}`, { code: 'PGHOT_SAMPLE_PARSE', file });
    this.line = line;
    this.text = text;
  }
}

/** CONFIG_NR_CPUS is at most 8192: a CPU number past it is not one. */
const MAX_CPU = 8191;
const MAX_PHYS_HEX = 13; // 2^52: physical addresses beyond it are not real, and would lose precision

/** `perf script -F comm,tid[,cpu],time,event,addr,phys_addr[,data_page_size]`; comm may hold spaces, so anchor on the time. */
const PERF_SCRIPT = /^\s*(.+?)\s+(\d+)(?:\s+\[(\d+)\])?\s+(\d+)\.(\d+):\s+(\S+):\s+([0-9a-f]+)\s+([0-9a-f]+)(?:\s+(\S+))?$/;

class Collector {
  pfn = new Float64Array(1024);
  timeMs = new Float64Array(1024);
  cpu = new Int32Array(1024);
  n = 0;
  push(pfn: number, timeMs: number, cpu: number): void {
    if (this.n === this.pfn.length) {
      const grow = <T extends Float64Array | Int32Array>(a: T): T => {
        const b = new (a.constructor as new (n: number) => T)(a.length * 2);
        b.set(a);
        return b;
      };
      this.pfn = grow(this.pfn);
      this.timeMs = grow(this.timeMs);
      this.cpu = grow(this.cpu);
    }
    this.pfn[this.n] = pfn;
    this.timeMs[this.n] = timeMs;
    this.cpu[this.n] = cpu;
    this.n++;
  }
}

function physToPfn(hex: string): number {
  const digits = hex.replace(/^0x/i, '').replace(/^0+/, '');
  if (digits.length > MAX_PHYS_HEX) return Number.NaN;
  return digits.length === 0 ? 0 : Math.floor(Number.parseInt(digits, 16) / 4096);
}

interface Sink {
  bad(lineNo: number, text: string, why: string): void;
  sample(event: string, physPfn: number, timeMs: number, cpu: number): void;
}

/** One perf script sample, filled in place by parsePerfScriptSample. */
export interface PerfSample {
  event: string;
  /** physical address >> 12; 0 when perf resolved none; NaN beyond 2^52. */
  pfn: number;
  timeMs: number;
  /** -1 when the line has no CPU. */
  cpu: number;
  /** The virtual (data) address. */
  addr: number;
}

/** Parse one `perf script -F comm,tid[,cpu],time,event,addr,phys_addr` line into `out`; false when it is not one. */
export function parsePerfScriptSample(text: string, out: PerfSample): boolean {
  const m = PERF_SCRIPT.exec(text);
  if (!m) return false;
  const frac = m[5]!;
  out.event = m[6]!;
  out.pfn = physToPfn(m[8]!);
  out.timeMs = Number(m[4]) * 1000 + Number(frac) / 10 ** (frac.length - 3);
  out.cpu = m[3] === undefined ? -1 : Number(m[3]);
  out.addr = Number.parseInt(m[7]!, 16);
  return true;
}

function parsePerfScriptLine(text: string, lineNo: number, sink: Sink, sample: PerfSample): void {
  if (!parsePerfScriptSample(text, sample)) return sink.bad(lineNo, text, 'not a perf script sample line (comm tid [cpu] time: event: addr phys_addr [page_size])');
  if (Number.isNaN(sample.pfn)) return sink.bad(lineNo, text, 'physical address beyond 2^52');
  if (sample.cpu > MAX_CPU) return sink.bad(lineNo, text, `CPU ${sample.cpu} is past the largest CPU number Linux allows (${MAX_CPU})`);
  sink.sample(sample.event, sample.pfn, sample.timeMs, sample.cpu);
}

/** Read a perf sample file (perf script text, or `perf mem report -D -x,` CSV), streaming. */
export async function readSamples(file: string, options: { maxErrors?: number } = {}): Promise<SampleFile> {
  const maxErrors = options.maxErrors ?? 0;
  const out = new Collector();
  const events: Record<string, number> = {};
  const badLines: { line: number; text: string }[] = [];
  let lines = 0;
  let unresolved = 0;
  let malformed = 0;
  let format: SampleFormat | null = null;
  let csv: { columns: number; phys: number; cpu: number } | null = null;
  let row = 0;
  const parsed: PerfSample = { event: '', pfn: 0, timeMs: 0, cpu: -1, addr: 0 };
  const sink: Sink = {
    bad(lineNo, text, why) {
      if (malformed >= maxErrors) throw new SampleParseError(file, lineNo, text, why);
      malformed++;
      if (badLines.length < 10) badLines.push({ line: lineNo, text });
    },
    sample(event, pfn, timeMs, cpu) {
      events[event] = (events[event] ?? 0) + 1;
      if (pfn === 0) unresolved++;
      else out.push(pfn, timeMs, cpu);
    },
  };
  let stream;
  try {
    stream = createReadStream(file);
    const rl = createInterface({ input: stream, crlfDelay: Infinity });
    for await (const raw of rl) {
      lines++;
      const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (text.trim() === '') continue;
      if (format === null) {
        if (text.startsWith('#')) {
          const columns = text.replace(/^#\s*/, '').split(',').map((c) => c.trim().toUpperCase());
          const phys = columns.indexOf('PHYS ADDR');
          if (phys < 0) throw new SampleParseError(file, lines, text, 'a perf mem CSV header needs a PHYS ADDR column (perf mem -p report -D -x,)');
          csv = { columns: columns.length, phys, cpu: columns.indexOf('CPU') };
          format = 'perf-mem-csv';
          continue;
        }
        format = 'perf-script';
      }
      if (csv) {
        // SYMBOL (last) may hold commas: split off the first columns - 1 fields only
        const fields: string[] = [];
        let at = 0;
        for (let k = 0; k < csv.columns - 1; k++) {
          const comma = text.indexOf(',', at);
          if (comma < 0) break;
          fields.push(text.slice(at, comma));
          at = comma + 1;
        }
        const phys = fields[csv.phys];
        if (fields.length !== csv.columns - 1 || phys === undefined || !/^0x[0-9a-f]+$/i.test(phys)) {
          sink.bad(lines, text, `not a perf mem CSV row of ${csv.columns} fields with a hex PHYS ADDR`);
          continue;
        }
        const pfn = physToPfn(phys);
        if (Number.isNaN(pfn)) {
          sink.bad(lines, text, 'physical address beyond 2^52');
          continue;
        }
        let cpu = -1;
        if (csv.cpu >= 0) {
          const cpuText = fields[csv.cpu]!.trim();
          cpu = /^\d{1,4}$/.test(cpuText) ? Number(cpuText) : Number.NaN;
          if (!(cpu <= MAX_CPU)) {
            sink.bad(lines, text, `CPU ${JSON.stringify(cpuText)} is not a CPU number (0-${MAX_CPU})`);
            continue;
          }
        }
        // no time column: rows are 1 ms apart, in file order
        sink.sample('mem', pfn, row++, cpu);
      } else parsePerfScriptLine(text, lines, sink, parsed);
    }
  } catch (e) {
    if (e instanceof SampleParseError) throw e;
    const err = e as NodeJS.ErrnoException;
    throw new ConfigError(`${file}: ${err.code === 'ENOENT' ? 'no such file' : `cannot read: ${err.message}`}`, { code: 'PGHOT_SAMPLE_FILE', file, cause: e });
  } finally {
    stream?.destroy();
  }
  if (out.n === 0) {
    const why = unresolved > 0 ? `none of its ${unresolved} samples has a physical address (record with perf record -d --phys-data)` : 'no samples in it';
    throw new ConfigError(`${file}: ${why}`, { code: 'PGHOT_SAMPLE_FILE', file });
  }
  return {
    file,
    format: format ?? 'perf-script',
    lines,
    resolved: out.n,
    unresolved,
    malformed,
    badLines,
    events,
    pfn: out.pfn.subarray(0, out.n),
    timeMs: out.timeMs.subarray(0, out.n),
    cpu: out.cpu.subarray(0, out.n),
  };
}
