#!/usr/bin/env node
// `pnpm lint:pkg` in one package: lint the tarball users get (pnpm pack applies publishConfig and
// rewrites workspace: ranges), not the working directory: publint --strict, attw (esm-only), and what
// every pghot package must ship. Needs a prior `pnpm build`; prepack is skipped here.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const tool = (name) => path.join(root, 'node_modules', '.bin', name);
const run = (cmd, args) => execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
const dir = mkdtempSync(path.join(tmpdir(), 'pghot-lint-'));
try {
  const packed = JSON.parse(run('pnpm', ['pack', '--json', '--config.ignore-scripts=true', '--pack-destination', dir]));
  const files = new Set(packed.files.map((f) => f.path));
  const manifest = JSON.parse(run('tar', ['xzf', packed.filename, '-O', 'package/package.json']));
  const problems = [];
  for (const required of ['LICENSE', 'README.md', 'package.json']) if (!files.has(required)) problems.push(`${required} is not in the tarball`);
  if (![...files].some((f) => f.startsWith('dist/'))) problems.push('dist/ is not in the tarball (run pnpm build)');
  const text = JSON.stringify(manifest);
  if (JSON.stringify(manifest.exports).includes('"@pghot/source"')) problems.push('the published manifest names the @pghot/source condition (src/ is not shipped)');
  if (text.includes('workspace:')) problems.push('the published manifest has a workspace: range');
  for (const key of ['repository', 'homepage', 'bugs', 'license']) if (!manifest[key]) problems.push(`package.json has no "${key}"`);
  if (problems.length) {
    console.error(`${manifest.name}: ${problems.join('; ')}`);
    process.exit(1);
  }
  process.stdout.write(run(tool('publint'), ['--strict', packed.filename]));
  process.stdout.write(run(tool('attw'), [packed.filename, '--profile', 'esm-only', '--format', 'table-flipped', '--no-emoji', '--no-color']));
} catch (e) {
  if (e.stdout) process.stdout.write(e.stdout);
  console.error(`lint:pkg: ${e.message.split('\n')[0]}`);
  process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
