import { spawn } from 'node:child_process';
import { openSync, readSync, closeSync, renameSync, rmSync, statSync } from 'node:fs';
import { constants } from 'node:os';
import { outputError, temporaryPathBeside } from '@pghot/trace';
import { usage } from './simulate.js';

export interface RecordResult {
  /** The trace written (null when valgrind produced none). */
  out: string | null;
  bytes: number;
  /** The program's exit status, or 128 + the signal that stopped it. */
  status: number;
  /** The signal pghot forwarded to valgrind, if one ended the recording. */
  signal: NodeJS.Signals | null;
}

/** Does the file start as valgrind's log of a tool run ("==PID== Lackey, ...")? */
function isLackeyLog(file: string): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return false;
  }
  const head = Buffer.alloc(64);
  const n = readSync(fd, head, 0, 64, 0);
  closeSync(fd);
  return /^==\d+== Lackey/.test(head.subarray(0, n).toString('latin1'));
}

/**
 * Run `command` under valgrind lackey (--trace-mem=yes), writing its log to a temporary file
 * beside `out` that becomes `out` when valgrind ran the program (whatever the program's status).
 * `out` is the exact path (a `%` is not valgrind's %p/%q expansion); the program's name is passed as
 * a path, so nothing after `--` is read as a valgrind option. SIGINT and SIGTERM go to valgrind,
 * which ends the program and finishes the log; pghot waits for it and keeps what was traced.
 * When valgrind could not run the program, no trace is left and the error is a usage error.
 */
export async function recordLackey(command: readonly string[], out: string, cwd: string, stderr: (text: string) => void): Promise<RecordResult> {
  if (command.length === 0) throw usage('record: name the program to trace after --');
  const tmp = temporaryPathBeside(out);
  // a bare name is looked up in PATH by valgrind; anything that looks like an option becomes a path
  const program = command[0]!.startsWith('-') ? `./${command[0]}` : command[0]!;
  const args = ['--tool=lackey', '--trace-mem=yes', `--log-file=${tmp.replace(/%/g, '%%')}`, program, ...command.slice(1)];
  let forwarded: NodeJS.Signals | null = null;
  const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    const child = spawn('valgrind', args, { cwd, stdio: ['inherit', 'inherit', 'pipe'] });
    const forward = (s: NodeJS.Signals) => {
      forwarded = s;
      child.kill(s);
    };
    process.on('SIGINT', forward).on('SIGTERM', forward);
    const done = () => process.off('SIGINT', forward).off('SIGTERM', forward);
    child.stderr.on('data', (d: Buffer) => stderr(d.toString()));
    child.on('error', (e: NodeJS.ErrnoException) => {
      done();
      reject(e.code === 'ENOENT' ? usage("valgrind is not installed: apt-get install valgrind (or your distribution's package)") : e);
    });
    child.on('close', (c, s) => {
      done();
      resolve({ code: c, signal: s });
    });
  });
  const status = code ?? 128 + (signal ? constants.signals[signal] : 1);
  if (!isLackeyLog(tmp)) {
    rmSync(tmp, { force: true });
    if (forwarded) return { out: null, bytes: 0, status, signal: forwarded };
    throw usage(`valgrind could not run ${JSON.stringify(command[0])} (exit ${status}): no trace written`);
  }
  try {
    renameSync(tmp, out);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw outputError(out, e);
  }
  return { out, bytes: statSync(out).size, status, signal: forwarded };
}
