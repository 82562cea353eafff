import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runTestCli as run } from './test-cli.js';

/**
 * Every rejected input: exit 2, one line naming the file and line (or key), nothing on stdout,
 * within a bounded time (the test timeout), and no output file left behind.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const EXCERPT = path.join(ROOT, 'fixtures/lackey/lackey-sort-excerpt-1000.txt');
const CLI = path.join(ROOT, 'packages/cli/src/cli.ts');
const TIMEOUT = { timeout: 20_000 };

function dirWith(files: Record<string, string | Buffer> = {}): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'pghot-bad-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(path.join(dir, name), content);
  return dir;
}

const refused = (r: { code: number; stdout: string; stderr: string }, message: string) => {
  expect(r.stdout).toBe('');
  expect(r.stderr).toBe(`pghot: ${message}\n`);
  expect(r.code).toBe(2);
};

const perfLine = (time: string, cpu = '000') => `         hotcold 26959 [${cpu}]  ${time}: page-faults:     7f5774d4a000       209ac4000\n`;
const tracepoint = (time: string, region: string, nr = 1) => `       kdamond.0  9527 [001]   ${time}: damon:damon_aggregated: target_id=0 nr_regions=${nr} ${region}: 1 0\n`;

describe('inputs whose values, not their size, used to set the cost', () => {
  it('a perf sample 99,999,999,999 s after the first replays at once', TIMEOUT, async () => {
    const dir = dirWith({ 'gap.perf': perfLine('9587.610456') + perfLine('99999999999.610486') });
    const r = await run(['run', '--samples', 'gap.perf'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ kind: 'samples', resolved: 2, recorded: 2 });
  });

  it('a DAMON tracepoint file with a 10^8 s gap replays at once', TIMEOUT, async () => {
    const dir = dirWith({ 'tp.txt': tracepoint('370.921852', '4294967296-4295000064') + tracepoint('99999999.921852', '4294967296-4295000064') });
    const r = await run(['run', '--damon', 'tp.txt'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ kind: 'damon', snapshots: 2, reportedPages: 16, outsidePages: 0 });
  });

  it('a DAMON region past the 52-bit physical address space is refused by line', TIMEOUT, async () => {
    const dir = dirWith({ 'huge.txt': 'start=0 end=18446744073709551615 nr_accesses=3 age=0\n' });
    refused(await run(['run', '--damon', 'huge.txt'], { cwd: dir }), `${path.join(dir, 'huge.txt')}:1: region beyond the 52-bit physical address space: "start=0 end=18446744073709551615 nr_accesses=3 age=0"`);
    const damo = JSON.stringify([{ snapshots: [{ start_time: '1', regions: [{ start: '0', end: '18,446,744,073,709,551,615', nr_accesses: { samples: 1 } }] }] }]);
    const d2 = dirWith({ 'rec.json': damo });
    const r = await run(['run', '--damon', 'rec.json'], { cwd: d2 });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^pghot: .*rec\.json: record 0, snapshot 0, region 0: region beyond the 52-bit physical address space: /);
  });

  it('pages of a region beyond the topology are counted, not walked', TIMEOUT, async () => {
    const topology = { nodes: [{ id: 0, startPfn: 0, pages: 1 << 20, tier: 0, cpus: [0] }, { id: 1, startPfn: 1 << 20, pages: 1 << 20, tier: 1 }] };
    const dir = dirWith({ 'far.txt': 'start=4294967296 end=4503599627370496 nr_accesses=3 age=0\n', 'topo.json': JSON.stringify(topology) }); // to 2^52
    const r = await run(['run', '--damon', 'far.txt', '--topology', 'topo.json'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ reportedPages: 2 ** 20, outsidePages: 2 ** 40 - 2 ** 21 });
  });
});

describe('corrupt or empty DAMON and perf inputs', () => {
  it.each([
    ['time going backwards', tracepoint('371.0', '4294967296-4295000064') + tracepoint('370.5', '4294967296-4295000064'), ':2: time goes backwards'],
    ['start above end', 'start=8192 end=4096 nr_accesses=1 age=0\n', ':1: region start 8192 is not below its end 4096'],
    ['nr_regions=0', tracepoint('371.0', '4294967296-4295000064', 0), ':1: nr_regions=0 with a region on the line'],
  ])('%s', async (_name, text, why) => {
    const dir = dirWith({ 'd.txt': text });
    const r = await run(['run', '--damon', 'd.txt'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.startsWith(`pghot: ${path.join(dir, 'd.txt')}${why}`)).toBe(true);
  });

  it('an empty DAMON input and an empty sample file are errors, not empty results', async () => {
    const dir = dirWith({ 'empty.json': '[{"snapshots": []}]', 'empty.perf': '\n' });
    refused(await run(['run', '--damon', 'empty.json'], { cwd: dir }), `${path.join(dir, 'empty.json')}: no DAMON regions in this damo-json input`);
    refused(await run(['run', '--samples', 'empty.perf'], { cwd: dir }), `${path.join(dir, 'empty.perf')}: no samples in it`);
    writeFileSync(path.join(dir, 'empty.lackey'), '==1== Lackey, an example Valgrind tool\n');
    refused(await run(['run', '--trace', 'empty.lackey'], { cwd: dir }), `${path.join(dir, 'empty.lackey')}: no memory accesses in this lackey trace (was it recorded with --trace-mem=yes?)`);
  });

  it('reads the damon_aggregated tracepoint of kernels before 5.16 (no age field)', async () => {
    const dir = dirWith({ 'old.txt': '       kdamond.0  9527 [001]   370.921852: damon:damon_aggregated: target_id=0 nr_regions=1 4294967296-4295000064: 1\n' });
    const r = await run(['run', '--damon', 'old.txt'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ format: 'damon_aggregated', regions: 1, reportedPages: 8 });
  });

  it("reads damo's binary record (format versions 0, 1 and 2) and names a version it does not know", async () => {
    const snapshot = (targetIdBytes: number) => {
      const b = Buffer.alloc(20 + targetIdBytes + 4 + 20);
      b.writeBigInt64LE(370n, 0);
      b.writeBigInt64LE(921_852_000n, 8);
      b.writeUInt32LE(1, 16);
      b.writeUInt32LE(1, 20 + targetIdBytes);
      b.writeBigUInt64LE(4294967296n, 24 + targetIdBytes);
      b.writeBigUInt64LE(4295000064n, 32 + targetIdBytes);
      b.writeUInt32LE(2, 40 + targetIdBytes);
      return b;
    };
    const mark = (v: number) => Buffer.concat([Buffer.from('damon_recfmt_ver', 'latin1'), Buffer.from(Int32Array.of(v).buffer)]);
    const dir = dirWith({ v0: snapshot(8), v1: Buffer.concat([mark(1), snapshot(4)]), v2: Buffer.concat([mark(2), snapshot(8)]), v9: Buffer.concat([mark(9), snapshot(8)]) });
    for (const v of ['v0', 'v1', 'v2']) {
      const r = await run(['run', '--damon', v], { cwd: dir });
      expect(r.code, v).toBe(0);
      expect(JSON.parse(r.stdout), v).toMatchObject({ format: 'damo-record', snapshots: 1, regions: 1, reportedPages: 8 });
    }
    refused(await run(['run', '--damon', 'v9'], { cwd: dir }), `${path.join(dir, 'v9')}: damo record format version 9 is not one damo wrote (1 or 2); read as a damo binary record`);
  });

  it.each([
    ['abc', 'CPU "abc" is not a CPU number (0-8191)'],
    ['-7', 'CPU "-7" is not a CPU number (0-8191)'],
    ['99999', 'CPU "99999" is not a CPU number (0-8191)'],
  ])('perf mem CSV with CPU %s is refused by line', async (cpu, why) => {
    const header = '# PID, TID, IP, ADDR, PHYS ADDR, LOCAL WEIGHT, DSRC, CPU, SYMBOL\n';
    const dir = dirWith({ 'm.csv': `${header}1,1,0x1,0x7f00,0x209ac4000,10,0x1,${cpu},main\n` });
    const r = await run(['run', '--samples', 'm.csv'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`${path.join(dir, 'm.csv')}:2: ${why}`);
  });

  it('a perf script CPU past 8191 is refused by line', async () => {
    const dir = dirWith({ 'p.perf': perfLine('9587.610456', '99999') });
    const r = await run(['run', '--samples', 'p.perf'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(':1: CPU 99999 is past the largest CPU number Linux allows (8191)');
  });
});

describe('pghot convert leaves the old output or none, never a partial one', () => {
  it('a missing input, a late bad line or an empty trace leave no file, and an existing output untouched', async () => {
    const lines = readFileSync(EXCERPT, 'utf8').split('\n');
    const dir = dirWith({ 'late.txt': [...lines.slice(0, 800), ' X nonsense', ...lines.slice(800)].join('\n'), 'empty.txt': '==1== lackey\n', 'old.pgtrace': 'old bytes' });
    const missing = await run(['convert', 'nope.txt', 'a.pgtrace'], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^pghot: .*nope\.txt: no such file\n$/);
    const late = await run(['convert', 'late.txt', 'old.pgtrace'], { cwd: dir });
    expect(late.code).toBe(2);
    expect(late.stderr).toMatch(/late\.txt:801: /);
    expect(readFileSync(path.join(dir, 'old.pgtrace'), 'utf8')).toBe('old bytes');
    refused(await run(['convert', 'empty.txt', 'e.pgtrace'], { cwd: dir }), `${path.join(dir, 'empty.txt')}: no memory accesses in this lackey trace (was it recorded with --trace-mem=yes?)`);
    expect(readdirSync(dir).sort()).toEqual(['empty.txt', 'late.txt', 'old.pgtrace']);
  });

  it('refuses an output that is its input, by path or by another name', async () => {
    const dir = dirWith();
    copyFileSync(EXCERPT, path.join(dir, 'x.txt'));
    expect((await run(['convert', 'x.txt', 'x.pgtrace'], { cwd: dir })).code).toBe(0);
    const before = readFileSync(path.join(dir, 'x.pgtrace'));
    refused(await run(['convert', 'x.pgtrace', 'x.pgtrace'], { cwd: dir }), `output ${path.join(dir, 'x.pgtrace')} is the input ${path.join(dir, 'x.pgtrace')}: pghot never overwrites an input`);
    refused(await run(['convert', 'x.pgtrace', './x.pgtrace/../x.pgtrace'], { cwd: dir }), `output ${path.join(dir, 'x.pgtrace')} is the input ${path.join(dir, 'x.pgtrace')}: pghot never overwrites an input`);
    expect(readFileSync(path.join(dir, 'x.pgtrace'))).toEqual(before);
  });

  it('a read-only directory is one line', async () => {
    if (process.getuid?.() === 0) return; // root writes anywhere: checked with a missing directory below
    const dir = dirWith();
    chmodSync(dir, 0o555);
    refused(await run(['convert', EXCERPT, 'a.pgtrace'], { cwd: dir }), `cannot write ${path.join(dir, 'a.pgtrace')}: permission denied`);
  });

  it('a missing output directory and a directory as output are one line each', async () => {
    const dir = dirWith();
    refused(await run(['convert', EXCERPT, 'no/a.pgtrace'], { cwd: dir }), `cannot write ${path.join(dir, 'no/a.pgtrace')}: no such directory`);
    mkdirSync(path.join(dir, 'd.pgtrace'));
    refused(await run(['convert', EXCERPT, 'd.pgtrace'], { cwd: dir }), `cannot write ${path.join(dir, 'd.pgtrace')}: is a directory`);
  });

  it('.pgtrace back to lackey: every address is a hex number pghot reads back', async () => {
    const dir = dirWith();
    expect((await run(['convert', EXCERPT, 'a.pgtrace'], { cwd: dir })).code).toBe(0);
    expect((await run(['convert', 'a.pgtrace', 'back.txt'], { cwd: dir })).code).toBe(0);
    const text = readFileSync(path.join(dir, 'back.txt'), 'utf8');
    expect(text.split('\n').filter(Boolean).every((l) => /^ [LS] [0-9a-f]{8,},\d+$/.test(l))).toBe(true);
    expect((await run(['convert', 'back.txt', 'again.pgtrace'], { cwd: dir })).code).toBe(0);
  });

  it('SIGINT while converting leaves no output and no temporary file', { timeout: 30_000 }, async () => {
    const dir = dirWith();
    const fifo = path.join(dir, 'in.txt');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const child = spawn(process.execPath, ['--conditions=@pghot/source', '--import', 'tsx', CLI, 'convert', fifo, path.join(dir, 'out.pgtrace')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => void (stderr += d.toString()));
    const { createWriteStream } = await import('node:fs');
    const writer = createWriteStream(fifo);
    // Destroying the writer below may cut its write short, or the reader may be gone first: those
    // are the only errors this writer may see.
    const writerErrors: string[] = [];
    writer.on('error', (e: NodeJS.ErrnoException) => void writerErrors.push(e.code ?? e.message));
    writer.write(readFileSync(EXCERPT)); // the converter is now mid-trace, waiting for more
    // the converter is running once its temporary file exists
    for (let i = 0; i < 200 && !readdirSync(dir).some((f) => f.startsWith('.out.pgtrace.')); i++) await new Promise((r) => setTimeout(r, 100));
    expect(readdirSync(dir).some((f) => f.startsWith('.out.pgtrace.')), stderr).toBe(true);
    // as a shell's Ctrl-C: the signal, and the writer of the pipe goes too (an exiting process
    // waits for its pending read of the FIFO)
    const closed = new Promise<number | null>((r) => child.on('close', (c) => r(c)));
    child.kill('SIGINT');
    writer.destroy();
    const code = await closed;
    expect(code).toBe(130);
    expect(readdirSync(dir)).toEqual(['in.txt']);
    expect(existsSync(path.join(dir, 'out.pgtrace'))).toBe(false);
    expect(writerErrors.filter((c) => c !== 'ERR_STREAM_DESTROYED' && c !== 'EPIPE')).toEqual([]);
  });
});

/** `pghot record` runs valgrind: its tests need it, and CI (which installs it) never skips them. */
const noValgrind = spawnSync('valgrind', ['--version']).error !== undefined && !process.env.CI;

describe.skipIf(noValgrind)('pghot record (runs valgrind)', () => {
  it('a program valgrind cannot run is an error, with no trace left', { timeout: 60_000 }, async () => {
    const dir = dirWith();
    const r = await run(['record', '--out', 'a.lackey', '--', 'no-such-program-here'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('valgrind: no-such-program-here: command not found');
    expect(r.stderr).toContain('pghot: valgrind could not run "no-such-program-here" (exit 127): no trace written\n');
    expect(readdirSync(dir)).toEqual([]);
  });

  it('the command after -- is the program, never valgrind options; --out is the exact path', { timeout: 60_000 }, async () => {
    const dir = dirWith();
    const opt = await run(['record', '--out', 'a.lackey', '--', '--tool=none', 'true'], { cwd: dir });
    expect(opt.code).toBe(2);
    expect(opt.stderr).toContain('pghot: valgrind could not run "--tool=none" (exit ');
    expect(readdirSync(dir)).toEqual([]);
    const pct = await run(['record', '--out', 'trace-%p.lackey', '--', 'true'], { cwd: dir });
    expect(pct.code).toBe(0);
    expect(readdirSync(dir)).toEqual(['trace-%p.lackey']);
    expect(pct.stderr).toContain(`pghot: trace written to ${path.join(dir, 'trace-%p.lackey')} (`);
    expect(readFileSync(path.join(dir, 'trace-%p.lackey'), 'latin1')).toMatch(/^==\d+== Lackey/);
  });

  it('SIGINT goes to valgrind; pghot waits for it, keeps what was traced and exits 130', { timeout: 90_000 }, async () => {
    const dir = dirWith();
    const child = spawn(process.execPath, ['--conditions=@pghot/source', '--import', 'tsx', CLI, 'record', '--out', path.join(dir, 's.lackey'), '--', 'sleep', '60'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => void (stderr += d.toString()));
    const tmpLog = () => readdirSync(dir).find((f) => f.startsWith('.s.lackey.'));
    for (let i = 0; i < 300 && !(tmpLog() && readFileSync(path.join(dir, tmpLog()!), 'latin1').includes('Lackey')); i++) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 500));
    const closed = new Promise<number | null>((r) => child.on('close', (c) => r(c)));
    child.kill('SIGINT');
    expect(await closed).toBe(130);
    expect(readdirSync(dir)).toEqual(['s.lackey']);
    expect(readFileSync(path.join(dir, 's.lackey'), 'latin1')).toMatch(/^==\d+== Lackey/);
    expect(stderr).toContain(`pghot: trace written to ${path.join(dir, 's.lackey')} (`);
    expect(stderr).toContain('sleep stopped by SIGINT');
    // valgrind is gone with it
    const valgrinds = readdirSync('/proc').filter((pid) => {
      try {
        return /^\d+$/.test(pid) && readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes(`--log-file=${path.join(dir, '.s.lackey')}`);
      } catch {
        return false; // gone meanwhile
      }
    });
    expect(valgrinds).toEqual([]);
  });
});

describe('contradictory flags are usage errors naming both', () => {
  it.each([
    [['run', '--damon', 'a', '--trace', 'b'], '--trace and --damon are two inputs: give one'],
    [['run', '--samples', 'a', '--damon', 'b'], '--samples and --damon are two inputs: give one'],
    [['run', '--topology', 't.json'], '--topology describes the machine of recorded data: use it with --samples or --damon'],
    [['run', '--trace', 'a', '--topology', 't.json'], '--topology describes the machine of recorded data: use it with --samples or --damon'],
    [['run', '--damon', 'a', '--max-errors', '3'], '--max-errors applies to --samples or --trace input'],
    [['run', '--damon', 'a', '--verify'], '--verify sets up the simulator, which --damon does not use (it replays recorded data into pghot)'],
    [['run', '--samples', 'a', '--machine', '2dram+cxl'], '--machine sets up the simulator, which --samples does not use (it replays recorded data into pghot)'],
    [['run', '--damon', 'a', '--set', 'workload.footprintMiB=8'], '--set workload.footprintMiB=8 is a workload parameter, which --damon does not use'],
    [['run', '--trace', 'a', '--workload', 'zipf'], '--workload and --trace both name the workload: the trace is the workload'],
    [['compare', '--policies', ','], '--policies needs at least one name (a built-in configuration or a policy plugin)'],
  ])('%j', async (argv, message) => {
    refused(await run(argv, { cwd: dirWith() }), message);
  });

  it('an impossible footprint and a failing config function are one line each, exit 2', async () => {
    refused(await run(['run', '--no-config', '--set', 'workload.footprintMiB=1e12']), 'workload "gups-hotset": its footprint (1,000,000,000,000 MiB) is more than machine "dram+cxl" has (320 MiB): lower workload.footprintMiB or choose a larger machine');
    const dir = dirWith({ 'package.json': '{"type":"module"}', 'pghot.config.mjs': 'export default async () => { throw new Error("boom"); };\n' });
    refused(await run(['run', '--config', 'pghot.config.mjs'], { cwd: dir }), `${path.join(dir, 'pghot.config.mjs')}: the config's exported function failed: boom`);
  });

  it('--no-config runs no config code, even one beside it', async () => {
    const dir = dirWith({ 'package.json': '{"type":"module"}', 'pghot.config.mjs': 'throw new Error("config code ran");\n' });
    const searched = await run(['run', '--set', 'workload.accessesPerThread=10000'], { cwd: dir });
    expect(searched.code).toBe(2);
    expect(searched.stderr).toContain('config code ran');
    const none = await run(['run', '--no-config', '--set', 'workload.accessesPerThread=10000'], { cwd: dir });
    expect(none.code).toBe(0);
    expect(JSON.parse(none.stdout).accesses.total).toBe(10_000);
  });
});
