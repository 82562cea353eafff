import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { ConfigError, Topology } from '@pghot/core';
import { validateConfig } from '@pghot/core/config';
import { readSamples, replaySamples } from '@pghot/source-hwsample';
import { lackeyToPgtrace, PgtraceReader, readDamon, readLackey, replayDamon } from '@pghot/trace';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { simConfigShape } from './commands/simulate.js';
import { readTopology } from './program.js';

/**
 * Every reader of user input, on random and mutated-valid inputs: each case ends in a result or a
 * ConfigError (one clean message), never another exception and never a hang (the test timeout
 * bounds each property). FUZZ_RUNS cases each (CI: 10,000 with fixed seeds; `pnpm fuzz`: more).
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 10_000);
const SEED = Number(process.env.FUZZ_SEED ?? 20261203);
const TIMEOUT = { timeout: 600_000 };
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const fixture = (f: string) => readFileSync(path.join(ROOT, 'fixtures', f));
const dir = mkdtempSync(path.join(tmpdir(), 'pghot-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const fileWith = (bytes: Uint8Array | string) => {
  const f = path.join(dir, `case-${n++ % 64}`);
  writeFileSync(f, bytes);
  return f;
};

/** The first lines of a text fixture: small valid seeds to mutate. */
const headLines = (text: string, lines: number) => Buffer.from(`${text.split('\n').slice(0, lines).join('\n')}\n`);

/** A valid input, edited: bytes flipped, inserted or deleted, lines dropped or doubled, numbers made extreme. */
function mutated(valid: readonly Buffer[]): fc.Arbitrary<Buffer> {
  const edit = fc.record({
    kind: fc.constantFrom('flip', 'insert', 'delete', 'dropLine', 'doubleLine', 'number', 'truncate'),
    at: fc.nat(),
    byte: fc.integer({ min: 0, max: 255 }),
    number: fc.constantFrom('0', '-1', '18446744073709551615', '99999999999', '4294967296', '1e309', 'NaN', '0x7fffffffffffffff', '', 'abc'),
  });
  return fc.tuple(fc.constantFrom(...valid), fc.array(edit, { minLength: 1, maxLength: 6 })).map(([seed, edits]) => {
    let b = Buffer.from(seed);
    for (const e of edits) {
      const at = b.length === 0 ? 0 : e.at % b.length;
      if (e.kind === 'flip' && b.length > 0) b[at] = e.byte;
      else if (e.kind === 'insert') b = Buffer.concat([b.subarray(0, at), Buffer.of(e.byte), b.subarray(at)]);
      else if (e.kind === 'delete') b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
      else if (e.kind === 'truncate') b = b.subarray(0, at);
      else {
        const lines = b.toString('latin1').split('\n');
        const i = lines.length === 0 ? 0 : e.at % lines.length;
        if (e.kind === 'dropLine') lines.splice(i, 1);
        else if (e.kind === 'doubleLine') lines.splice(i, 0, lines[i] ?? '');
        else lines[i] = (lines[i] ?? '').replace(/\d+/, e.number);
        b = Buffer.from(lines.join('\n'), 'latin1');
      }
    }
    return b;
  });
}

const inputs = (valid: readonly Buffer[]) => fc.oneof({ weight: 1, arbitrary: fc.uint8Array({ maxLength: 512 }).map((a) => Buffer.from(a)) }, { weight: 4, arbitrary: mutated(valid) });

/** Run one case: a result or a ConfigError; anything else fails the property. */
async function clean(work: () => unknown): Promise<void> {
  try {
    await work();
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    expect(e.message.length).toBeGreaterThan(0);
    expect(e.message.split('\n').length, e.message).toBeLessThanOrEqual(e.message.startsWith('Invalid') || e.message.includes('invalid config') ? 40 : 2);
  }
}

const SMALL_TOPOLOGY = { nodes: [{ id: 0, startPfn: 0, pages: 1 << 20, tier: 0, cpus: [0, 1] }, { id: 1, startPfn: 1 << 20, pages: 1 << 18, tier: 1 }] };

describe(`fuzzing every reader (${RUNS} cases each, seed ${SEED})`, () => {
  it('lackey (text and gzip)', TIMEOUT, async () => {
    const text = headLines(fixture('lackey/lackey-sort-excerpt-1000.txt').toString(), 60);
    await fc.assert(
      fc.asyncProperty(inputs([text]), fc.boolean(), async (b, gz) => clean(() => readLackey(fileWith(gz ? gzipSync(b) : b), () => {}))),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it('.pgtrace (v2 and v1)', TIMEOUT, async () => {
    const file = path.join(dir, 'valid.pgtrace');
    await lackeyToPgtrace(path.join(ROOT, 'fixtures/lackey/lackey-sort-excerpt-1000.txt'), file);
    const v2 = readFileSync(file);
    const v1 = Buffer.from(v2);
    v1.writeUInt16LE(1, 8);
    v1.writeUInt32LE(0, 28);
    const arrays = [new Int32Array(65_536), new Uint8Array(65_536), new Uint8Array(65_536), new Uint16Array(65_536)] as const;
    await fc.assert(
      fc.asyncProperty(inputs([v2, v1]), async (b) =>
        clean(() => {
          const r = new PgtraceReader(fileWith(b));
          try {
            r.pageTable();
            while (r.next(...arrays) > 0);
          } finally {
            r.close();
          }
        }),
      ),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it('perf script and perf mem CSV samples, read and replayed', TIMEOUT, async () => {
    const script = headLines(fixture('perf-script/pagefaults-hotcold-live.txt').toString(), 20);
    const csv = headLines(fixture('perf-mem/report-D-phys.csv').toString(), 20);
    await fc.assert(
      fc.asyncProperty(inputs([script, csv]), async (b) => clean(async () => replaySamples(await readSamples(fileWith(b), { maxErrors: 3 }), { topology: SMALL_TOPOLOGY }))),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it('DAMON: tried_regions, damon_aggregated, damo JSON and binary records, read and replayed', TIMEOUT, async () => {
    const tried = headLines(fixture('damon-sysfs/tried_regions-paddr-501.txt').toString(), 12);
    const tracepoint = headLines(fixture('damon-tracepoint/perf-script-damon_aggregated-paddr.txt').toString(), 24);
    const damo = Buffer.from(JSON.stringify([{ intervals: { aggr_us: '100000' }, snapshots: [{ start_time: '503250355000', regions: [{ start: '4,294,967,296', end: '4,295,000,064', nr_accesses: { samples: 3 }, age: { aggr_intervals: 1 } }] }] }]));
    const record = Buffer.alloc(20 + 8 + 4 + 20);
    record.writeBigInt64LE(370n, 0);
    record.writeUInt32LE(1, 16);
    record.writeUInt32LE(1, 28);
    record.writeBigUInt64LE(4294967296n, 32);
    record.writeBigUInt64LE(4295000064n, 40);
    record.writeUInt32LE(2, 48);
    await fc.assert(
      fc.asyncProperty(inputs([tried, tracepoint, damo, record]), async (b) => clean(async () => replayDamon(await readDamon(fileWith(b)), { topology: SMALL_TOPOLOGY }))),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it('topology JSON', TIMEOUT, async () => {
    const valid = Buffer.from(JSON.stringify(SMALL_TOPOLOGY));
    await fc.assert(
      fc.asyncProperty(fc.oneof(inputs([valid]), fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v)))), async (b) => clean(async () => new Topology(await readTopology(fileWith(b))))),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it('config objects (what a JSON, YAML or JS config holds)', TIMEOUT, async () => {
    const valid = { mode: 'precision', tunables: { freq_threshold: 2, promote_freq_window_ms: 4000 }, plugins: ['@pghot/source-hwsample'], machine: 'dram+cxl', workload: { name: 'zipf', params: { theta: 0.9 } } };
    const near = fc.record({
      mode: fc.oneof(fc.constantFrom('default', 'precision', 'fast'), fc.jsonValue()),
      tunables: fc.oneof(fc.dictionary(fc.constantFrom('freq_threshold', 'promote_freq_window_ms', 'kmigrated_sleep_ms', 'target_nid', 'enabled_sources', 'bogus'), fc.oneof(fc.integer(), fc.double(), fc.string())), fc.jsonValue()),
      plugins: fc.oneof(fc.array(fc.constantFrom('@pghot/source-hwsample', '@pghot/policy-numab2', 'no-such-plugin', './nope.js')), fc.jsonValue()),
      machine: fc.oneof(fc.constantFrom('dram+cxl', 'nope'), fc.jsonValue()),
    }, { requiredKeys: [] });
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.constant(valid), near, fc.jsonValue()), async (raw) => clean(() => validateConfig(raw, path.join(dir, 'pghot.config.json'), simConfigShape, path.join(ROOT, 'packages/cli/src/cli.ts')))),
      { numRuns: RUNS, seed: SEED },
    );
  });
});
