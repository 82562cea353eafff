/**
 * One temporary directory for the whole test run, removed at its end: every test (and every CLI,
 * worker and child it starts) makes its files under it through TMPDIR (os.tmpdir()), so a run leaves
 * nothing behind in /tmp, even from a test that does not clean up after itself.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export function setup(): (() => void) | undefined {
  // each project of the workspace runs the global setup: the first one makes the directory
  if (process.env.PGHOT_TEST_TMPDIR) return undefined;
  const dir = mkdtempSync(path.join(tmpdir(), 'pghot-test-'));
  process.env.PGHOT_TEST_TMPDIR = dir;
  process.env.TMPDIR = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
