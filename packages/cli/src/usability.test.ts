import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { RunReport } from '@pghot/sim';
import { runTestCli } from './test-cli.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const SMALL = ['--set', 'workload.accessesPerThread=200000', '--set', 'workload.footprintMiB=96'];

const run = runTestCli;

/** A project folder with these files (and a package.json unless given). */
function project(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'pghot-cli-'));
  writeFileSync(path.join(dir, 'package.json'), '{"name":"p","type":"module"}');
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

/** A third-party source installed in the project as pghot-plugin-lazyscan. */
const LAZYSCAN = {
  'node_modules/pghot-plugin-lazyscan/package.json': '{"name":"pghot-plugin-lazyscan","version":"1.2.3","type":"module","keywords":["pghot-plugin"],"exports":"./index.js"}',
  'node_modules/pghot-plugin-lazyscan/index.js': 'export default () => ({ name: "source-lazyscan", kind: "source", apply() {} });\n',
};

describe('pghot config --config before and after the subcommand name', () => {
  const dir = project({ 'other.yaml': 'mode: precision\n', '.pghotrc.yaml': 'mode: default\n' });
  const other = path.join(dir, 'other.yaml');
  it.each([
    [['config', '--config', 'other.yaml', 'print']],
    [['config', 'print', '--config', 'other.yaml']],
    [['config', '--print', '--config', 'other.yaml']],
  ])('%j prints the named file', async (argv) => {
    const r = await run(argv, { cwd: dir });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ file: other, mode: 'precision' });
  });
  it.each([[['config', '--config', 'other.yaml', 'validate']], [['config', 'validate', '--config', 'other.yaml']]])('%j validates the named file', async (argv) => {
    expect(await run(argv, { cwd: dir })).toEqual({ code: 0, stdout: `valid: ${other}\n`, stderr: '' });
  });
  it.each([[['config', '--config', 'missing.yaml', 'validate']], [['config', 'validate', '--config', 'missing.yaml']], [['config', 'print', '--config', 'missing.yaml']]])(
    '%j exits 2 for a missing file',
    async (argv) => {
      expect(await run(argv, { cwd: dir })).toEqual({ code: 2, stdout: '', stderr: `pghot: ${path.join(dir, 'missing.yaml')}: no such config file\n` });
    },
  );
});

describe('one plugin-name resolution', () => {
  it('--sources, --policies and config files resolve the same names', async () => {
    const dir = project({ ...LAZYSCAN, 'lazy.yaml': 'plugins: [lazyscan, [pghot, { freqThreshold: 1 }]]\n' });
    const flags = await run(['run', ...SMALL, '--sources', 'lazyscan'], { cwd: dir });
    expect(flags.code).toBe(0);
    expect((JSON.parse(flags.stdout) as RunReport).plugins).toEqual(['source-lazyscan', 'sim-migrate']);
    const printed = await run(['config', 'print', '--config', 'lazy.yaml'], { cwd: dir });
    expect(JSON.parse(printed.stdout).plugins).toEqual([
      { name: 'source-lazyscan', from: 'pghot-plugin-lazyscan', version: '1.2.3' },
      { name: 'policy-pghot', from: '@pghot/policy-pghot', version: '0.1.0' },
    ]);
    const policies = await run(['compare', ...SMALL, '--policies', 'hemem', '--sources', 'hwsample'], { cwd: dir });
    expect(policies.code).toBe(0);
    expect((JSON.parse(policies.stdout) as RunReport[])[0]!.plugins).toEqual(['source-hwsample', 'policy-hemem', 'sim-migrate']);
  });

  it('--sources refuses a plugin that is not a source, and an empty list', async () => {
    expect(await run(['run', '--sources', 'hemem'])).toMatchObject({ code: 2, stdout: '', stderr: 'pghot: --sources: policy-hemem is a policy, not a temperature source\n' });
    expect(await run(['compare', '--policies', ','])).toMatchObject({ code: 2, stdout: '', stderr: 'pghot: --policies needs at least one name (a built-in configuration or a policy plugin)\n' });
  });

  it('a YAML config names a .ts plugin file', async () => {
    const dir = project({
      'pghot.yaml': 'plugins:\n  - [./threshold.ts, { at: 1 }]\n',
      'threshold.ts': 'interface O { at: number }\nexport default (o: O) => ({ name: "policy-ts-threshold", kind: "policy" as const, apply(e: { tunables: { set(k: string, v: number): void } }) { e.tunables.set("freq_threshold", o.at); } });\n',
    });
    const r = await run(['config', 'print', '--config', 'pghot.yaml'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ tunables: { freq_threshold: 1 }, plugins: [{ name: 'policy-ts-threshold', from: path.join(dir, 'threshold.ts') }, { name: 'source-hintfault' }] });
  });
});

describe('config files and what the run uses', () => {
  it('says which config file is used when a search finds several', async () => {
    const dir = project({ 'pghot.config.mjs': 'export default { mode: "precision" };\n' });
    writeFileSync(path.join(dir, 'package.json'), '{"name":"p","type":"module","pghot":{"mode":"default"}}');
    const r = await run(['config', 'print'], { cwd: dir });
    expect(r.stderr).toBe(`pghot: 2 config files in ${dir}: package.json, pghot.config.mjs; using ${path.join(dir, 'package.json')}\n`);
    expect(JSON.parse(r.stdout).mode).toBe('default');
    // a package.json without a "pghot" key is no config file
    const single = project({ 'pghot.config.mjs': 'export default {};\n' });
    expect((await run(['config', 'print'], { cwd: single })).stderr).toBe('');
  });

  it('config print shows the tunables after plugins set theirs, as the run uses them', async () => {
    const dir = project({ 'pghot.yaml': 'plugins:\n  - source-ptescan\n  - [policy-pghot, { freqThreshold: 1 }]\n' });
    const printed = JSON.parse((await run(['config', 'print', '--config', 'pghot.yaml'], { cwd: dir })).stdout);
    expect(printed.tunables).toMatchObject({ enabled_sources: 0x5, freq_threshold: 1 });
    const report = JSON.parse((await run(['run', ...SMALL, '--config', 'pghot.yaml'], { cwd: dir })).stdout) as RunReport;
    expect(report.tunables).toEqual(printed.tunables);
    const table = await run(['config', 'print', '--config', 'pghot.yaml', '--format', 'table'], { cwd: dir });
    expect(table.stdout).toMatch(/│ tunables\.freq_threshold\s+│ 1\s+│/);
    expect(table.stdout).toMatch(/│ plugins\[1\]\.name\s+│ policy-pghot\s+│/);
  });

  it('warns when a source feeds nothing a loaded policy reads', async () => {
    const dir = project({ 'pghot.yaml': 'name: hemem-on-faults\nplugins: [hintfault, hwsample, hemem]\n' });
    const r = await run(['run', ...SMALL, '--config', 'pghot.yaml'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      'pghot: warning: in "hemem-on-faults", source-hintfault feeds nothing a loaded policy reads (policy-hemem reads source-hwsample); its overhead is still charged\n',
    );
    expect((await run(['compare', ...SMALL, '--policies', 'hemem', '--sources', 'hwsample'])).stderr).toBe('');
  });

  it('ships a JSON Schema of config files generated from the zod schema, and configs may name it', async () => {
    const r = await run(['config', 'schema']);
    expect(r.stdout).toBe(readFileSync(path.join(ROOT, 'packages/core/pghot.config.schema.json'), 'utf8'));
    const schema = JSON.parse(r.stdout);
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['mode', 'tunables', 'plugins', 'machine', 'workload', 'sim']));
    expect(schema.properties.tunables.properties.freq_threshold).toMatchObject({ type: 'integer', minimum: 1, maximum: 7 });
    expect(schema.additionalProperties).toBe(false);
    const dir = project({ '.pghotrc.json': '{ "$schema": "./node_modules/@pghot/core/pghot.config.schema.json", "mode": "precision" }' });
    expect(JSON.parse((await run(['config', 'print'], { cwd: dir })).stdout).mode).toBe('precision');
    for (const f of readdirSync(path.join(ROOT, 'examples/configs')).filter((f) => f.endsWith('.yaml'))) {
      expect(readFileSync(path.join(ROOT, 'examples/configs', f), 'utf8').split('\n')[0]).toBe('# yaml-language-server: $schema=../../packages/core/pghot.config.schema.json');
    }
  });
});

describe('output', () => {
  it('-o writes the result atomically to the file, nothing on stdout', async () => {
    const dir = project({});
    const r = await run(['run', ...SMALL, '-o', 'out.json'], { cwd: dir });
    expect(r).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(JSON.parse(readFileSync(path.join(dir, 'out.json'), 'utf8')).schemaVersion).toBe(1);
    const printed = await run(['config', 'print', '--output', 'config.json'], { cwd: dir });
    expect(printed.stdout).toBe('');
    expect(JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')).machine).toBe('dram+cxl');
    expect(readdirSync(dir).sort()).toEqual(['config.json', 'out.json', 'package.json']);
  });

  it('-o never writes through a symlink and leaves nothing behind when it cannot write', async () => {
    const dir = project({ 'target.txt': 'keep me\n' });
    symlinkSync(path.join(dir, 'target.txt'), path.join(dir, 'link.json'));
    expect((await run(['config', 'print', '-o', 'link.json'], { cwd: dir })).code).toBe(0);
    expect(readFileSync(path.join(dir, 'target.txt'), 'utf8')).toBe('keep me\n');
    expect(lstatSync(path.join(dir, 'link.json')).isSymbolicLink()).toBe(false);
    const missing = await run(['config', 'print', '-o', 'no/such/dir/x.json'], { cwd: dir });
    expect(missing).toEqual({ code: 2, stdout: '', stderr: `pghot: cannot write ${path.join(dir, 'no/such/dir/x.json')}: no such directory\n` });
    mkdirSync(path.join(dir, 'adir'));
    const isDir = await run(['config', 'print', '-o', 'adir'], { cwd: dir });
    expect(isDir.stderr).toBe(`pghot: cannot write ${path.join(dir, 'adir')}: is a directory\n`);
    expect(readdirSync(dir).sort()).toEqual(['adir', 'link.json', 'package.json', 'target.txt']);
    expect(() => readlinkSync(path.join(dir, 'link.json'))).toThrow();
  });

  it('shows progress with i/N, name and ETA on a terminal stderr, whatever the output format; none in CI', async () => {
    const tty = await run(['compare', ...SMALL, '--policies', 'pghot', '--format', 'json'], { stderrIsTTY: true });
    expect(tty.code).toBe(0);
    expect(tty.stderr).toContain('1/2 no-promotion baseline  0 %  (0 done)  ETA');
    expect(tty.stderr).toContain('2/2 pghot  0 %  (1 done)  ETA');
    expect(JSON.parse(tty.stdout)).toHaveLength(1);
    const ci = await run(['compare', ...SMALL, '--policies', 'pghot'], { stderrIsTTY: true, env: { CI: 'true' } });
    expect(ci.stderr).toBe('');
  });

  it('the compare table fits 100 columns, sorted by time with the best marked', async () => {
    const r = await run(['compare', ...SMALL, '--policies', 'pghot,hemem', '--format', 'table']);
    const lines = r.stdout.split('\n');
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(100);
    const rows = lines.filter((l) => /^│ [* ](pghot|hemem) /.test(l));
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(/^│ \*/);
    expect(r.stdout).toContain('oracles, computed on the accesses of run "pghot"; every configuration replays the same accesses');
    const json = JSON.parse((await run(['compare', ...SMALL, '--policies', 'pghot,hemem'])).stdout) as RunReport[];
    const fastest = [...json].sort((a, b) => a.estimatedTimeNs - b.estimatedTimeNs)[0]!;
    expect(rows[0]).toMatch(new RegExp(`^│ \\*${fastest.name} `));
  });

  it('the top-level help says that bare pghot runs the default comparison', async () => {
    const r = await run(['--help']);
    expect(r.stdout.replace(/\s+/g, ' ')).toContain('Bare `pghot` runs the default comparison (`pghot compare`: numab0, pghot, pghot-precision,');
  });
});
