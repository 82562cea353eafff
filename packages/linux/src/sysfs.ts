import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '@pghot/core';

/**
 * The kernel's pseudo-filesystems under a root: `/` on a live machine, a directory of files in
 * tests (`--sysfs-root`). Paths are the absolute kernel paths (`/sys/...`, `/proc/...`).
 */
export class KernelFs {
  readonly root: string;
  /** Every write, in order (`path value`): the DAMON protocol's tests check the order. */
  readonly writes: string[] = [];

  constructor(root = '/') {
    this.root = root;
  }

  path(kernelPath: string): string {
    return path.join(this.root, kernelPath);
  }

  /** The file's text without its trailing newline, or undefined when it does not exist. */
  read(kernelPath: string): string | undefined {
    try {
      return readFileSync(this.path(kernelPath), 'utf8').replace(/\n$/, '');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
      throw e;
    }
  }

  /** Like read, but a missing file is an error naming it. */
  need(kernelPath: string): string {
    const text = this.read(kernelPath);
    if (text === undefined) throw new ConfigError(`${this.path(kernelPath)}: missing (is this Linux, and is the feature built in?)`, { code: 'PGHOT_LINUX' });
    return text;
  }

  list(kernelPath: string): string[] {
    try {
      return readdirSync(this.path(kernelPath));
    } catch {
      return [];
    }
  }

  /** One value into one file, as sysfs takes it; an errno becomes one line naming the file. */
  write(kernelPath: string, value: string | number): void {
    this.writes.push(`${kernelPath} ${value}`);
    try {
      writeFileSync(this.path(kernelPath), `${value}\n`);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      throw new ConfigError(`cannot write ${value} to ${this.path(kernelPath)}: ${err.code ?? err.message}`, { code: 'PGHOT_LINUX', cause: e });
    }
  }
}

/** The kernel's list syntax (`0-1,3`, empty for none) as numbers. */
export function parseList(text: string): number[] {
  const out: number[] = [];
  for (const part of text.trim().split(',')) {
    if (part === '') continue;
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new ConfigError(`not a kernel list: "${text}"`, { code: 'PGHOT_LINUX' });
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    for (let i = a; i <= b; i++) out.push(i);
  }
  return out;
}
