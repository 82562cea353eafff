import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { DemoReport } from './commands/demo.js';
import { runCli } from './program.js';

async function run(argv: string[], opts: { cwd?: string; tty?: boolean } = {}) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    stdoutIsTTY: opts.tty ?? false,
    cwd: opts.cwd ?? mkdtempSync(path.join(tmpdir(), 'pghot-cli-')),
    env: {},
  });
  return { code, stdout, stderr };
}

function projectWith(file: string, content: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'pghot-cli-'));
  writeFileSync(path.join(dir, 'package.json'), '{"name":"p","type":"module"}');
  writeFileSync(path.join(dir, file), content);
  return dir;
}

const SMALL = ['--seconds', '2', '--accesses-per-ms', '200'];

describe('pghot demo', () => {
  it('prints one JSON document when stdout is not a terminal, with consistent totals', async () => {
    const { code, stdout, stderr } = await run(SMALL);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    const report = JSON.parse(stdout) as DemoReport;
    expect(report.schemaVersion).toBe(1);
    expect(report.workload).toEqual({ name: 'hotset', seed: 1, seconds: 2, accessesPerMs: 200, hotPages: 419_430, hotFraction: 0.9 });
    expect(report.totals.accesses).toBe(400_000);
    expect(report.seconds.map((s) => s.accesses)).toEqual([200_000, 200_000]);
    // every access to a page still on CXL is a hint fault recorded into the store
    expect(report.vmstat.pghot_recorded_accesses).toBe(report.totals.accesses - report.totals.fastTierAccesses);
    expect(report.vmstat.pghot_recorded_hintfaults).toBe(report.vmstat.pghot_recorded_accesses);
    expect(report.totals.promotedPages).toBe(report.vmstat.pgpromote_success);
    expect(report.seconds.reduce((a, s) => a + s.promotedPages, 0)).toBe(report.totals.promotedPages);
    expect(report.seconds[1]!.fastTierHitRatio).toBeGreaterThan(report.seconds[0]!.fastTierHitRatio);
  });

  it('is byte-identical for the same seed and differs for another', async () => {
    const a = await run([...SMALL, '--seed', '7']);
    const b = await run([...SMALL, '--seed', '7']);
    const c = await run([...SMALL, '--seed', '8']);
    expect(a.stdout).toBe(b.stdout);
    expect(a.stdout).not.toBe(c.stdout);
  });

  it('applies the config file and --set over it', async () => {
    const dir = projectWith('.pghotrc.yaml', 'mode: precision\ntunables:\n  freq_threshold: 5\n');
    const report = JSON.parse((await run([...SMALL, '--set', 'freq_threshold=1'], { cwd: dir })).stdout) as DemoReport;
    expect(report.mode).toBe('precision');
    expect(report.tunables.freq_threshold).toBe(1);
    expect(report.tunables.promote_freq_window_ms).toBe(5000);
  });

  it('prints a table with the JSON field names on request, without colors off a terminal', async () => {
    const { code, stdout } = await run([...SMALL, '--format', 'table']);
    expect(code).toBe(0);
    expect(stdout).toContain('fastTierHitRatio');
    expect(stdout).toContain('pgpromote_success');
    expect(stdout).not.toContain('\u001b[');
  });

  it('exits 2 with one message on stderr and nothing on stdout for bad input', async () => {
    for (const [argv, message] of [
      [['--seed', 'x'], "option '--seed <n>' argument 'x' is invalid"],
      [['--set', 'freq_thresh=1'], 'unknown tunable "freq_thresh"'],
      [['--set', 'freq_threshold'], '--set expects tunable=integer'],
      [['--set', 'freq_threshold=9'], '→ at tunables.freq_threshold'],
      [['--format', 'xml'], "argument 'xml' is invalid"],
      [['--config', 'nope.yaml'], 'nope.yaml: no such config file'],
      [['frobnicate'], "too many arguments for 'demo'"],
    ] as const) {
      const r = await run([...argv]);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(message);
    }
  });

  it('names the file and key of a bad config value', async () => {
    const dir = projectWith('.pghotrc.json', '{"tunables":{"kmigrated_batch_nr":5}}');
    const r = await run(SMALL, { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `pghot: ${path.join(dir, '.pghotrc.json')}: invalid config (default mode):\n✖ Too small: expected number to be >=64\n  → at tunables.kmigrated_batch_nr\n`,
    );
  });
});

describe('pghot config', () => {
  it('print shows the file, the mode defaults and plugins', async () => {
    const dir = projectWith('.pghotrc.yaml', 'mode: precision\nplugins:\n  - ./p.mjs\n');
    writeFileSync(path.join(dir, 'p.mjs'), 'export default () => ({ name: "my-policy", version: "2.0.0", apply() {} });\n');
    const r = await run(['config', 'print'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      file: path.join(dir, '.pghotrc.yaml'),
      mode: 'precision',
      stickyReady: false,
      tunables: {
        enabled_sources: 1,
        freq_threshold: 2,
        promote_freq_window_ms: 5000,
        kmigrated_sleep_ms: 100,
        kmigrated_batch_nr: 512,
        promote_rate_limit_MBps: 65536,
      },
      plugins: [{ name: 'my-policy', from: path.join(dir, 'p.mjs'), version: '2.0.0' }],
    });
  });

  it('validate exits 0 for a good file and 2 for an unknown plugin', async () => {
    const good = projectWith('pghot.config.mjs', 'export default { mode: "default" };\n');
    expect(await run(['config', 'validate'], { cwd: good })).toMatchObject({ code: 0, stdout: `valid: ${path.join(good, 'pghot.config.mjs')}\n` });
    const bad = projectWith('.pghotrc.json', '{"plugins":["policy-missing"]}');
    const r = await run(['config', 'validate'], { cwd: bad });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown plugin "policy-missing" at plugins[0] (tried @pghot/policy-missing, pghot-plugin-policy-missing, policy-missing)');
  });
});

describe('the pghot binary', () => {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
  const cli = path.join(root, 'packages/cli/src/cli.ts');
  const exec = promisify(execFile);
  const spawnCli = (args: string[]) =>
    exec(process.execPath, ['--conditions=@pghot/source', '--import', 'tsx', cli, ...args], { cwd: root }).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );

  it('exits 0 with JSON on a pipe, and 2 on a usage error', async () => {
    const ok = await spawnCli(['--seconds', '1', '--accesses-per-ms', '10']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout).schemaVersion).toBe(1);
    const bad = await spawnCli(['--seconds', '0']);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toContain("option '--seconds <n>' argument '0' is invalid");
  });
});
