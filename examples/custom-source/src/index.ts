import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { ConfigError, defineSource, NUMA_NO_NODE, parsePluginOptions, type PghotPlugin } from '@pghot/core';
import { z } from 'zod';

export const optionsSchema = z.strictObject({
  /** CSV of accesses: a `time_ms,pfn[,nid]` header, then one access per line, times non-decreasing. */
  file: z.string().min(1),
  /** The source name to register (its enable bit and pghot_recorded_<name> counter). */
  sourceName: z.string().regex(/^[a-z][a-z0-9_]*$/).default('csv'),
  /** CPU time per reported row, charged through the platform (where it accounts overhead) to background work. */
  recordNs: z.number().min(0).default(50),
});
export type CsvSourceOptions = z.input<typeof optionsSchema>;
const NAME = 'source-csv';

/** The accesses of a CSV file, as parallel typed arrays. */
export interface CsvAccesses {
  timeMs: Float64Array;
  pfn: Float64Array;
  nid: Float64Array;
  length: number;
}

/** Read the CSV; a bad line throws a ConfigError naming the file, the line and the text. */
export async function readCsv(file: string): Promise<CsvAccesses> {
  let cap = 1024;
  let out: CsvAccesses = { timeMs: new Float64Array(cap), pfn: new Float64Array(cap), nid: new Float64Array(cap), length: 0 };
  const bad = (line: number, text: string, why: string) => new ConfigError(`${file}:${line}: ${why}: ${JSON.stringify(text)}`, { code: 'CSV_SOURCE_PARSE', file });
  let line = 0;
  let hasNid = false;
  const stream = createReadStream(file);
  try {
    for await (const raw of createInterface({ input: stream, crlfDelay: Infinity })) {
      line++;
      const text = raw.trim();
      if (line === 1) {
        if (text !== 'time_ms,pfn' && text !== 'time_ms,pfn,nid') throw bad(line, text, 'the header must be time_ms,pfn or time_ms,pfn,nid');
        hasNid = text.endsWith(',nid');
        continue;
      }
      if (text === '') continue;
      const f = text.split(',');
      const [t, p, n] = [Number(f[0]), Number(f[1]), hasNid ? Number(f[2]) : NUMA_NO_NODE];
      if (f.length !== (hasNid ? 3 : 2) || !Number.isInteger(t) || t < 0 || !Number.isInteger(p) || p < 0 || !Number.isInteger(n)) {
        throw bad(line, text, `expected ${hasNid ? 3 : 2} integers`);
      }
      if (out.length > 0 && t < out.timeMs[out.length - 1]!) throw bad(line, text, 'time goes backwards');
      if (out.length === cap) {
        cap *= 2;
        const grow = (a: Float64Array) => {
          const b = new Float64Array(cap);
          b.set(a);
          return b;
        };
        out = { timeMs: grow(out.timeMs), pfn: grow(out.pfn), nid: grow(out.nid), length: out.length };
      }
      out.timeMs[out.length] = t;
      out.pfn[out.length] = p;
      out.nid[out.length] = n;
      out.length++;
    }
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError(`${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`, { code: 'CSV_SOURCE_FILE', file });
  } finally {
    stream.destroy();
  }
  if (line === 0) throw new ConfigError(`${file}: empty file, expected a time_ms,pfn[,nid] header`, { code: 'CSV_SOURCE_PARSE', file });
  return out;
}

/**
 * A temperature source fed by a CSV of accesses: it registers its own source, reads the file at
 * init, and on every engine tick reports (in one batch) the accesses whose time has come. It sees
 * only core: the engine, and the platform contract for its cost (`engine.platform`), so it runs on
 * the simulator, on the testkit's fake platform and on a live machine alike.
 */
export function csvSource(options: CsvSourceOptions): PghotPlugin {
  const o = parsePluginOptions(NAME, optionsSchema, options);
  return defineSource({
    name: NAME,
    version: '0.0.0',
    core: '>=0.1.0 <1.0.0',
    apply(engine) {
      const src = engine.registerSource(o.sourceName);
      engine.enableSource(src);
      const platform = engine.platform;
      const chargesOverhead = platform.capabilities.includes('overhead');
      let rows: CsvAccesses | null = null;
      let next = 0;
      engine.hooks.init.tapPromise(NAME, async () => {
        rows = await readCsv(o.file);
      });
      engine.hooks.tick.tap(NAME, ({ now }) => {
        if (rows === null || next === rows.length) return;
        let end = next;
        while (end < rows.length && rows.timeMs[end]! <= now) end++;
        if (end === next) return;
        engine.recordAccesses(src, rows.pfn.subarray(next, end), rows.nid.subarray(next, end), rows.timeMs.subarray(next, end));
        if (chargesOverhead) platform.chargeOverhead('csvRecords', end - next, o.recordNs, null);
        next = end;
      });
    },
  });
}
export default csvSource;
