import { randomBytes } from 'node:crypto';
import { accessSync, constants, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { usage } from './commands/simulate.js';

const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOENT: 'no such directory',
  ENOTDIR: 'a part of the path is not a directory',
  EISDIR: 'is a directory',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
};

/**
 * `-o FILE`: written to a temporary file beside it and renamed over it on success, so a failure
 * leaves the old file or nothing, never a partial one; the rename replaces a symlink at FILE rather
 * than writing through it. A write error is one line naming the file.
 */
export function writeOutputFile(file: string, text: string): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    writeFileSync(tmp, text, { flag: 'wx' });
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    const code = (e as NodeJS.ErrnoException).code ?? '';
    throw usage(`cannot write ${file}: ${REASONS[code] ?? (e as Error).message}`);
  }
}

/** Before a long run: the folder an output goes to exists and is writable, else one line naming the flag. */
export function checkOutputPath(file: string, flag: string): void {
  try {
    accessSync(path.dirname(file), constants.W_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    throw usage(`${flag} ${file}: ${REASONS[code] ?? (e as Error).message}`);
  }
}
