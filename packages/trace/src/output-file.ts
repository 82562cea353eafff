import { randomBytes } from 'node:crypto';
import { closeSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '@pghot/core';

const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOENT: 'no such directory',
  ENOTDIR: 'a part of the path is not a directory',
  EISDIR: 'is a directory',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'file too large',
  EIO: 'input/output error',
};

/** An I/O error in a few words: `read-only file system`. */
export const ioReason = (e: unknown): string => REASONS[(e as NodeJS.ErrnoException).code ?? ''] ?? (e as Error).message;

/** One line for an I/O error on `file`: `cannot write F: read-only file system`. */
export function outputError(file: string, e: unknown): ConfigError {
  return new ConfigError(`cannot write ${file}: ${ioReason(e)}`, { code: 'PGHOT_OUTPUT', file, cause: e });
}

/** A new temporary file's path beside `file` (hidden, unique to this process). */
export const temporaryPathBeside = (file: string): string => path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);

/** Outputs being written, removed by removeUnfinishedOutputs() when a signal ends the process. */
const unfinished = new Set<OutputFile>();

/**
 * An output file written atomically: the bytes go to a new temporary file in the same directory
 * (created exclusively, so never through a symlink), which replaces `file` by rename only on
 * commit(). A failure, abort() or a signal leaves the old file or nothing, never a partial one.
 */
export class OutputFile {
  readonly file: string;
  readonly #tmp: string;
  readonly #fd: number;
  #open = true;

  constructor(file: string) {
    this.file = file;
    this.#tmp = temporaryPathBeside(file);
    try {
      this.#fd = openSync(this.#tmp, 'wx', 0o644);
    } catch (e) {
      throw outputError(file, e);
    }
    unfinished.add(this);
  }

  /** Append, or write at `position`. */
  write(data: Uint8Array | string, position?: number): void {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    try {
      for (let done = 0; done < bytes.length; ) done += writeSync(this.#fd, bytes, done, bytes.length - done, position === undefined ? null : position + done);
    } catch (e) {
      this.abort();
      throw outputError(this.file, e);
    }
  }

  /** Close and rename over `file`. */
  commit(): void {
    if (!this.#open) return;
    try {
      closeSync(this.#fd);
      this.#open = false;
      renameSync(this.#tmp, this.file);
    } catch (e) {
      this.abort();
      throw outputError(this.file, e);
    }
    unfinished.delete(this);
  }

  /** Drop what was written; `file` stays as it was. */
  abort(): void {
    if (this.#open) {
      try {
        closeSync(this.#fd);
      } catch {
        // closing is best effort: the removal below is what matters
      }
      this.#open = false;
    }
    rmSync(this.#tmp, { force: true });
    unfinished.delete(this);
  }

}

/** Remove every output still being written (for SIGINT/SIGTERM handlers). */
export function removeUnfinishedOutputs(): void {
  for (const f of [...unfinished]) f.abort();
}

/** Refuse an output that is one of the inputs (the same path, or the same file by another name). */
export function refuseOutputOverInput(output: string, inputs: readonly string[], flag = 'output'): void {
  const out = statSync(output, { throwIfNoEntry: false });
  for (const input of inputs) {
    const inp = statSync(input, { throwIfNoEntry: false });
    if (path.resolve(input) === path.resolve(output) || (out && inp && out.dev === inp.dev && out.ino === inp.ino)) {
      throw new ConfigError(`${flag} ${output} is the input ${input}: pghot never overwrites an input`, { code: 'PGHOT_USAGE', file: output });
    }
  }
}
