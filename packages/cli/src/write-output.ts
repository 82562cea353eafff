import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { ioReason, OutputFile } from '@pghot/trace';
import { usage } from './commands/simulate.js';

/**
 * `-o FILE`: written to a temporary file beside it and renamed over it on success, so a failure
 * leaves the old file or nothing, never a partial one; the rename replaces a symlink at FILE rather
 * than writing through it. A write error is one line naming the file.
 */
export function writeOutputFile(file: string, text: string): void {
  const out = new OutputFile(file);
  out.write(text);
  out.commit();
}

/** Before a long run: the folder an output goes to exists and is writable, else one line naming the flag. */
export function checkOutputPath(file: string, flag: string): void {
  try {
    accessSync(path.dirname(file), constants.W_OK);
  } catch (e) {
    throw usage(`${flag} ${file}: ${ioReason(e)}`);
  }
}
