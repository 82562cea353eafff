import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createProgram } from '../packages/cli/src/program.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const REPO_URL = 'https://github.com/pghot/pghot';
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');
const tracked = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
const packages = readdirSync(path.join(ROOT, 'packages')).map((d) => `packages/${d}`);

interface Manifest {
  name: string;
  license?: string;
  repository?: { type: string; url: string; directory: string };
  homepage?: string;
  bugs?: { url: string };
  files?: string[];
  scripts?: Record<string, string>;
  exports: Record<string, string | Record<string, string>>;
  publishConfig?: { access?: string; exports?: Record<string, string | Record<string, string>> };
}

describe('the repository is self-contained', () => {
  it('no tracked file refers to the shared library beside the checkout', () => {
    const outside = `..${'/'}shared`; // spelled apart so that this file does not match itself
    const offenders = tracked.filter((f) => !/\.(gz|bin|json_compressed|png)$/.test(f) && read(f).includes(outside));
    expect(offenders).toEqual([]);
  });

  it('the fixtures the tests read are in the repository, with their provenance', () => {
    for (const f of ['lackey/lackey-sort-excerpt-1000.txt', 'lackey/lackey-sort-2000-head200k.txt.gz', 'perf-script/pagefaults-addr-physaddr.txt', 'perf-mem/report-D-phys.csv', 'damon-tracepoint/perf-script-damon_aggregated-paddr.txt', 'damon-sysfs/tried_regions-paddr-501.txt', 'damo/record-paddr-2snap.json', 'damo/record-paddr-8snap.json_compressed']) {
      expect(tracked).toContain(`fixtures/${f}`);
    }
    expect(read('fixtures/README.md')).toContain('lackey-sort-excerpt-1000.txt');
  });
});

describe('every package is complete and publishable', () => {
  const license = read('LICENSE');
  it.each(packages)('%s', (dir) => {
    const pkg = JSON.parse(read(`${dir}/package.json`)) as Manifest;
    expect(read(`${dir}/LICENSE`)).toBe(license);
    expect(pkg.license).toBe('MIT');
    expect(pkg.repository).toEqual({ type: 'git', url: `git+${REPO_URL}.git`, directory: dir });
    expect(pkg.homepage).toBe(`${REPO_URL}/tree/main/${dir}#readme`);
    expect(pkg.bugs).toEqual({ url: `${REPO_URL}/issues` });
    expect(pkg.files).toEqual(dir === 'packages/core' ? ['dist', 'CHANGELOG.md', 'pghot.config.schema.json'] : ['dist', 'CHANGELOG.md']);
    expect(pkg.scripts?.prepack).toBe('tsup');
    // the published manifest: the same entry points without the source condition
    const expected = Object.fromEntries(
      Object.entries(pkg.exports).map(([sub, target]) => [sub, typeof target === 'string' ? target : Object.fromEntries(Object.entries(target).filter(([c]) => c !== '@pghot/source'))]),
    );
    expect(pkg.publishConfig).toEqual({ access: 'public', exports: expected });
    // links on the registry's page resolve against the registry, not the repository
    const links = [...read(`${dir}/README.md`).matchAll(/\]\(([^)]+)\)/g)].map((m) => m[1]!);
    expect(links.filter((l) => !/^(https:\/\/|#)/.test(l))).toEqual([]);
  });

  it('changesets only describe commands the CLI has', () => {
    const commands = new Set(createProgram({ stdout: () => {}, stderr: () => {}, stdoutIsTTY: false, stderrIsTTY: false, cwd: ROOT, env: {} }).commands.map((c) => c.name()));
    const named = tracked
      .filter((f) => f.startsWith('.changeset/') && f.endsWith('.md'))
      .flatMap((f) => [...read(f).matchAll(/`pghot ([a-z-]+)/g)].map((m) => m[1]!));
    expect(named.length).toBeGreaterThan(0);
    expect(named.filter((c) => !commands.has(c))).toEqual([]);
  });
});

describe('plugins depend on @pghot/core alone', () => {
  const plugins = [...packages.filter((d) => /\/(source|policy)-/.test(d)), ...readdirSync(path.join(ROOT, 'examples')).filter((d) => d !== 'configs').map((d) => `examples/${d}`)];
  it('covers every source, policy and example plugin', () => {
    expect(plugins).toEqual(expect.arrayContaining(['packages/source-hintfault', 'packages/source-ptescan', 'packages/source-hwsample', 'packages/source-damon', 'packages/source-chmu', 'packages/policy-pghot', 'packages/policy-numab2', 'packages/policy-hemem', 'packages/policy-memtis', 'packages/policy-arms', 'examples/custom-source', 'examples/policy-min-freq']));
  });
  it.each(plugins)('%s: no src file imports @pghot/sim, and it is no dependency or peer', (dir) => {
    const sources = tracked.filter((f) => f.startsWith(`${dir}/src/`) && f.endsWith('.ts') && !f.endsWith('.test.ts'));
    expect(sources.length).toBeGreaterThan(0);
    expect(sources.filter((f) => /from '@pghot\/sim'|import\('@pghot\/sim'\)/.test(read(f)))).toEqual([]);
    const pkg = JSON.parse(read(`${dir}/package.json`)) as { dependencies?: object; peerDependencies?: object };
    expect(Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies })).not.toContain('@pghot/sim');
  });
});
