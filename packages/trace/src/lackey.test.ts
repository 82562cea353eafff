import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AccessBatch, LackeyParser, type LackeyStats } from './lackey.js';
import { LACKEY_WASM } from './wasm/lackey-wasm.js';

const newStats = (): LackeyStats => ({
  file: 't.lackey', gzip: false, bytes: 0, lines: 0, instructions: 0, loads: 0, stores: 0, modifies: 0,
  headerLines: 0, accesses: 0, straddles: 0, malformed: 0, badLines: [],
});
type Access = [vpn: number, line: number, write: number, size: number];

/** Parse `chunks` as readLackey would have read them: each batch's length, and every access. */
function parse(chunks: Buffer[], options: { includeI?: boolean; maxErrors?: number } = {}) {
  const stats = newStats();
  const batches: number[] = [];
  const accesses: Access[] = [];
  const onBatch = (b: AccessBatch) => {
    batches.push(b.length);
    for (let i = 0; i < b.length; i++) accesses.push([b.vpn[i]!, b.line[i]!, b.write[i]!, b.size[i]!]);
  };
  const parser = new LackeyParser(stats.file, options.includeI ?? false, options.maxErrors ?? 0, onBatch, stats);
  for (const c of chunks) parser.push(c);
  parser.finish();
  return { stats, batches, accesses };
}

/**
 * The format as valgrind's lackey writes it, restated over strings: the oracle for the parser. An
 * access of `size` bytes at `addr` touches every page from addr to addr + size - 1.
 */
function reference(text: string, includeI: boolean) {
  const stats = { lines: 0, instructions: 0, loads: 0, stores: 0, modifies: 0, headerLines: 0, accesses: 0, straddles: 0, malformed: 0 };
  const accesses: Access[] = [];
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  for (let l of lines) {
    if (l.endsWith('\r')) l = l.slice(0, -1);
    stats.lines++;
    let kind = '';
    if (l.startsWith('I  ')) {
      if (!includeI && /^[0-9a-f]$/.test(l[3] ?? '') && /[0-9]$/.test(l)) {
        stats.instructions++;
        continue;
      }
      kind = 'I';
    } else if (l[0] === ' ' && l[2] === ' ' && 'LSM'.includes(l[1] ?? 'x')) kind = l[1]!;
    else if (l.startsWith('==')) {
      stats.headerLines++;
      continue;
    }
    const m = /^([0-9a-f]{8,13}),([0-9]+)$/.exec(l.slice(3));
    const size = Number(m?.[2]);
    if (kind === '' || !m || !(size >= 1 && size <= 4096)) {
      stats.malformed++;
      continue;
    }
    const addr = Number.parseInt(m[1]!, 16);
    if (kind === 'I') stats.instructions++;
    else if (kind === 'L') stats.loads++;
    else if (kind === 'S') stats.stores++;
    else stats.modifies++;
    if (kind === 'I' && !includeI) continue;
    const first = Math.floor(addr / 4096);
    const last = Math.floor((addr + size - 1) / 4096);
    for (let p = first; p <= last; p++) accesses.push([p, p === first ? Math.floor((addr % 4096) / 64) : 0, kind === 'S' || kind === 'M' ? 1 : 0, size]);
    stats.accesses += last - first + 1;
    if (last !== first) stats.straddles++;
  }
  return { stats, accesses };
}

/** Lines as lackey writes them, and near misses of each part of them. */
const hex = (min: number, max: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${min},${max}}$`));
const lackeyLine = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(hex(8, 10), fc.integer({ min: 1, max: 16 })).map(([a, s]) => `I  ${a},${s}`) },
  { weight: 6, arbitrary: fc.tuple(fc.constantFrom('L', 'S', 'M'), hex(8, 13), fc.constantFrom(1, 2, 4, 8, 16, 32, 4095, 4096)).map(([k, a, s]) => ` ${k} ${a},${s}`) },
  // a page's last bytes: straddles
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom('I ', ' L', ' S', ' M'), fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 64 })).map(([k, page, back, s]) => `${k} ${(page * 4096 + 4096 - back).toString(16).padStart(8, '0')},${s}`) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 99999 }).map((pid) => `==${pid}== Lackey, an example Valgrind tool`) },
  // near misses: each part of a line valid or just not
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        fc.constantFrom('I  ', ' L ', ' S ', ' M ', ' X ', 'L  ', ' L', 'I ', ''),
        fc.oneof(hex(6, 15), fc.stringMatching(/^[0-9A-Fa-fx]{8,10}$/)),
        fc.constantFrom(',', ',', ';', ''),
        fc.constantFrom('', '0', '1', '08', '4096', '4097', '4294967297', '8 ', '8,', 'z'),
      )
      .map(([k, a, comma, s]) => `${k}${a}${comma}${s}`),
  },
  { weight: 1, arbitrary: fc.stringMatching(/^[ -~]{0,24}$/) },
);
const lackeyText = fc.tuple(fc.array(fc.tuple(lackeyLine, fc.constantFrom('\n', '\n', '\n', '\n', '\r\n')), { maxLength: 300 }), fc.boolean()).map(([lines, lastNewline]) => {
  const text = lines.map(([l, nl]) => l + nl).join('');
  return lastNewline || text.length === 0 ? text : text.replace(/\r?\n$/, '');
});
/** The text cut into chunks at random places, as reads of a pipe would. */
const cut = (text: string, cuts: number[]) => {
  const b = Buffer.from(text, 'latin1');
  const at = [...new Set(cuts.map((c) => c % (b.length + 1)))].sort((x, y) => x - y);
  return [0, ...at].map((a, i) => b.subarray(a, at[i] ?? b.length));
};

describe('the lackey parser (WebAssembly loop and checked path)', () => {
  it('is assembled from lackey.wat as committed (pnpm build:wasm)', async () => {
    const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
    const { assemble } = (await import(path.join(root, 'scripts/build-wasm.mjs'))) as { assemble: (file: string) => string };
    expect(assemble(path.join(root, 'packages/trace/src/wasm/lackey.wat'))).toBe(LACKEY_WASM);
  });

  it('counts and emits what the format says, however the input is cut into chunks', () => {
    fc.assert(
      fc.property(lackeyText, fc.array(fc.nat(), { maxLength: 8 }), fc.boolean(), (text, cuts, includeI) => {
        const want = reference(text, includeI);
        const got = parse(cut(text, cuts), { includeI, maxErrors: 1e9 });
        expect(got.stats).toMatchObject(want.stats);
        expect(got.accesses).toEqual(want.accesses);
      }),
      { numRuns: 2000, seed: 20261203 },
    );
  });

  it('hands over batches of exactly 65,536 accesses; an access straddling the boundary opens the next', () => {
    const text = `${' L 04000000,4\n'.repeat(65_535)} S 04000ffe,4\n M 04001000,1\n`;
    const { stats, batches, accesses } = parse([Buffer.from(text)]);
    expect(batches).toEqual([65_536, 2]);
    expect(accesses.slice(65_534)).toEqual([[0x4000, 0, 0, 4], [0x4000, 63, 1, 4], [0x4001, 0, 1, 4], [0x4001, 0, 1, 1]]);
    expect(stats).toMatchObject({ lines: 65_537, loads: 65_535, stores: 1, modifies: 1, accesses: 65_538, straddles: 1 });
  });

  it('a line longer than its input area is one malformed line, named by its number; the next is read', () => {
    const long = Buffer.alloc(5 << 20, 'a');
    const chunks = [Buffer.from(' L 04000000,4\n'), long, Buffer.from('a\n S 04001000,8\n')];
    expect(() => parse(chunks)).toThrow(/^t\.lackey:2: not a lackey line \(longer than 3145664 bytes\): "a{120}…"$/);
    const { stats, accesses } = parse(chunks, { maxErrors: 1 });
    expect(stats).toMatchObject({ lines: 3, loads: 1, stores: 1, malformed: 1 });
    expect(stats.badLines).toEqual([{ line: 2, text: 'a'.repeat(200) }]);
    expect(accesses).toEqual([[0x4000, 0, 0, 4], [0x4001, 0, 1, 8]]);
  });
});
