import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from './program.js';

export interface TestRunOptions {
  /** Default: a new temporary directory. */
  cwd?: string;
  stdoutIsTTY?: boolean;
  stderrIsTTY?: boolean;
  env?: Record<string, string>;
}

/** Run the CLI in-process, capturing stdout, stderr and the exit code (the CLI tests' runner). */
export async function runTestCli(argv: string[], opts: TestRunOptions = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    stdoutIsTTY: opts.stdoutIsTTY ?? false,
    stderrIsTTY: opts.stderrIsTTY ?? false,
    cwd: opts.cwd ?? mkdtempSync(path.join(tmpdir(), 'pghot-cli-')),
    // one thread unless a test asks for more (--jobs, PGHOT_JOBS): worker threads from source load tsx each
    env: { PGHOT_JOBS: '1', ...opts.env },
  });
  return { code, stdout, stderr };
}

/** The sweep tests' grid: 2 policies × 2 thresholds on a small phase-shift (4 runs and a baseline). */
export const SMALL_SWEEP = `workloads:
  - name: phase-shift
    params: { accessesPerThread: 12000000, periodS: 1, footprintMiB: 96 }
policies: [pghot, numab2]
tunables:
  freq_threshold: [1, 2]
sim: { intervalMs: 250 }
`;

/** A project directory with SMALL_SWEEP as grid.yaml. */
export function sweepProject(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  writeFileSync(path.join(dir, 'package.json'), '{"name":"p","type":"module"}');
  writeFileSync(path.join(dir, 'grid.yaml'), SMALL_SWEEP);
  return dir;
}
