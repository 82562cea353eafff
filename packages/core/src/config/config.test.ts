import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { createPghot } from '../pghot.js';
import { TOPOLOGY } from '../test-fixtures.js';
import { candidateIds, listInstalledPlugins } from './resolve-plugins.js';
import { loadConfig, SEARCH_PLACES } from './load.js';

const dirs: string[] = [];
function project(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'pghot-config-'));
  dirs.push(dir);
  for (const [name, content] of Object.entries({ 'package.json': '{"name":"user-project","type":"module"}', ...files })) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  return dir;
}
afterEach(() => void dirs.splice(0));

/** Config text for a search place, setting kmigrated_batch_nr to 640. */
function contentFor(place: string): [string, string] {
  const obj = { tunables: { kmigrated_batch_nr: 640 } };
  if (place === 'package.json') return [place, JSON.stringify({ name: 'user-project', type: 'module', pghot: obj })];
  if (/\.(ya?ml)$/.test(place) || place.endsWith('rc')) return [place, 'tunables:\n  kmigrated_batch_nr: 640\n'];
  if (place.endsWith('.json')) return [place, JSON.stringify(obj)];
  if (place.endsWith('.cjs') || place.endsWith('.cts')) return [place, `module.exports = ${JSON.stringify(obj)};`];
  const typed = place.endsWith('ts') ? ': { tunables: { kmigrated_batch_nr: number } }' : '';
  return [place, `const config${typed} = ${JSON.stringify(obj)};\nexport default config;\n`];
}

describe('config loading', () => {
  it.each(SEARCH_PLACES)('finds %s', async (place) => {
    const [name, content] = contentFor(place);
    const dir = project({ [name]: content });
    const config = await loadConfig({ cwd: dir });
    expect(config.filepath).toBe(path.join(dir, place));
    expect(config.tunables).toEqual({ kmigrated_batch_nr: 640 });
  });

  it('walks up from a subdirectory to the project root, and uses defaults without a file', async () => {
    const dir = project({ '.pghotrc.json': '{"mode":"precision"}', 'src/deep/x.txt': '' });
    expect((await loadConfig({ cwd: path.join(dir, 'src/deep') })).mode).toBe('precision');
    const none = await loadConfig({ cwd: project({}) });
    expect(none).toMatchObject({ filepath: null, mode: 'default', stickyReady: false, tunables: {}, plugins: [] });
  });

  it('loads an explicit --config file and says when it is missing', async () => {
    const dir = project({ 'configs/a.yaml': 'mode: precision\n' });
    expect((await loadConfig({ cwd: dir, file: 'configs/a.yaml' })).mode).toBe('precision');
    await expect(loadConfig({ cwd: dir, file: 'configs/missing.yaml' })).rejects.toThrow(`${path.join(dir, 'configs/missing.yaml')}: no such config file`);
  });

  it('names the file and the key path of a bad value', async () => {
    const dir = project({ '.pghotrc.yaml': 'tunables:\n  kmigrated_sleep_ms: 10\n' });
    const error = await loadConfig({ cwd: dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).file).toBe(path.join(dir, '.pghotrc.yaml'));
    expect((error as Error).message).toBe(
      `${path.join(dir, '.pghotrc.yaml')}: invalid config (default mode): tunables.kmigrated_sleep_ms: Too small: expected number to be >=50`,
    );
  });

  it('checks tunable ranges against the chosen mode, and unknown keys', async () => {
    const ok = project({ '.pghotrc.json': '{"mode":"precision","tunables":{"freq_threshold":7}}' });
    expect((await loadConfig({ cwd: ok })).tunables).toEqual({ freq_threshold: 7 });
    const bad = project({ '.pghotrc.json': '{"tunables":{"freq_threshold":7}}' });
    await expect(loadConfig({ cwd: bad })).rejects.toThrow(/tunables\.freq_threshold: Too big: expected number to be <=3/);
    const unknown = project({ '.pghotrc.json': '{"tunables":{"freq_treshold":2},"modes":"x"}' });
    await expect(loadConfig({ cwd: unknown })).rejects.toThrow(/tunables\.freq_treshold: Unrecognized key: "freq_treshold"; modes: Unrecognized key: "modes"/);
    const badMode = project({ '.pghotrc.json': '{"mode":"fast"}' });
    await expect(loadConfig({ cwd: badMode })).rejects.toThrow(/mode: Invalid option: expected one of "default"\|"precision"/);
  });

  it('reports a file that does not parse, naming it', async () => {
    const dir = project({ '.pghotrc.json': '{"mode": ' });
    await expect(loadConfig({ cwd: dir })).rejects.toThrow(`${path.join(dir, '.pghotrc.json')}: cannot read the config`);
  });

  it('accepts keys a tool adds with extend', async () => {
    const { z } = await import('zod');
    const dir = project({ '.pghotrc.yaml': 'machine: dram+cxl\n' });
    await expect(loadConfig({ cwd: dir })).rejects.toThrow(/Unrecognized key: "machine"/);
    const config = await loadConfig({ cwd: dir, extend: { machine: z.string().optional() } });
    expect(config.extra).toEqual({ machine: 'dram+cxl' });
  });
});

const fakePlugin = (name: string, keywords = '["pghot","pghot-plugin","promotion-policy"]') => ({
  'package.json': `{"name":"${name}","version":"1.2.3","type":"module","keywords":${keywords},"exports":{".":"./index.js"}}`,
  'index.js': `export default function factory(options = {}) {
  if (options.bad !== undefined) throw Object.assign(new Error('Invalid options for plugin "${name}": bad: Too big'), { code: 'PGHOT_PLUGIN_OPTIONS' });
  return { name: ${JSON.stringify(name)}, options, apply(engine) { engine.registerSource('fake_' + ${JSON.stringify(name.length)}); } };
}\n`,
});
function withPackages(files: Record<string, string>, packages: string[]): string {
  const all: Record<string, string> = { ...files };
  for (const name of packages) for (const [f, c] of Object.entries(fakePlugin(name))) all[`node_modules/${name}/${f}`] = c;
  all['node_modules/left-pad/package.json'] = '{"name":"left-pad","version":"1.0.0"}';
  return project(all);
}

describe('plugin resolution', () => {
  it('tries @pghot/<name>, pghot-plugin-<name>, then <name>; paths against the config dir; bare @scope', () => {
    expect(candidateIds('policy-numab2', '/p')).toEqual(['@pghot/policy-numab2', 'pghot-plugin-policy-numab2', 'policy-numab2']);
    expect(candidateIds('./plugins/x.mjs', '/p')).toEqual(['/p/plugins/x.mjs']);
    expect(candidateIds('@acme', '/p')).toEqual(['@acme/pghot-plugin']);
    expect(candidateIds('@acme/pghot-plugin-x', '/p')).toEqual(['@acme/pghot-plugin-x']);
  });

  it('resolves names and [name, options] from the config file directory and calls the factories', async () => {
    const dir = withPackages(
      {
        '.pghotrc.yaml': 'plugins:\n  - policy-fake\n  - [foo, { level: 2 }]\n  - "@acme"\n  - ./local.mjs\n',
        'local.mjs': 'export default () => ({ name: "local", apply() {} });\n',
      },
      ['@pghot/policy-fake', 'pghot-plugin-foo', '@acme/pghot-plugin'],
    );
    const config = await loadConfig({ cwd: dir });
    expect(config.plugins.map((p) => p.name)).toEqual(['@pghot/policy-fake', 'pghot-plugin-foo', '@acme/pghot-plugin', 'local']);
    expect((config.plugins[1] as unknown as { options: unknown }).options).toEqual({ level: 2 });
    expect(config.origins.map((o) => [o.from, o.version])).toEqual([
      ['@pghot/policy-fake', '1.2.3'],
      ['pghot-plugin-foo', '1.2.3'],
      ['@acme/pghot-plugin', '1.2.3'],
      [path.join(dir, 'local.mjs'), undefined],
    ]);
    // the resolved plugins run in an engine
    const engine = createPghot({ topology: TOPOLOGY, plugins: config.plugins });
    expect(engine.sourceId('fake_18')).toBe(3);
  });

  it('reports an unknown plugin with every name tried and the plugins installed', async () => {
    const dir = withPackages({ '.pghotrc.yaml': 'plugins: [policy-fake, policy-nope]\n' }, ['@pghot/policy-fake', 'pghot-plugin-foo']);
    const file = path.join(dir, '.pghotrc.yaml');
    await expect(loadConfig({ cwd: dir })).rejects.toThrow(
      `${file}: unknown plugin "policy-nope" at plugins[1] (tried @pghot/policy-nope, pghot-plugin-policy-nope, policy-nope). Installed plugins: @pghot/policy-fake, pghot-plugin-foo`,
    );
    expect(listInstalledPlugins(path.join(dir, 'sub'))).toEqual(['@pghot/policy-fake', 'pghot-plugin-foo']);
  });

  it('names the file and plugin position when a factory rejects its options', async () => {
    const dir = withPackages({ '.pghotrc.json': '{"plugins":[["foo",{"bad":1}]]}' }, ['pghot-plugin-foo']);
    const error = (await loadConfig({ cwd: dir }).catch((e: unknown) => e)) as ConfigError;
    expect(error.message).toBe(`${path.join(dir, '.pghotrc.json')}: plugins[0]: Invalid options for plugin "pghot-plugin-foo": bad: Too big`);
    expect(error.code).toBe('PGHOT_PLUGIN_OPTIONS');
  });

  it('rejects a plugin entry of the wrong shape', async () => {
    const dir = project({ '.pghotrc.json': '{"plugins":[42]}' });
    await expect(loadConfig({ cwd: dir })).rejects.toThrow(/plugins\[0\]: [^\n]*expected "name", \["name", \{ \.\.\.options \}\] or a plugin object/);
  });

  it('loads a TypeScript config whose plugin objects come from a relative .ts import', async () => {
    const dir = project({
      'plugins/trace.ts': 'export default function trace(options: { label?: string } = {}) { return { name: "trace-" + (options.label ?? "x"), apply() {} }; }\n',
      'pghot.config.ts': 'import trace from "./plugins/trace.ts";\nexport default async () => ({ mode: "precision" as const, plugins: [trace({ label: "a" }), "./plugins/trace.ts"] });\n',
    });
    const config = await loadConfig({ cwd: dir });
    expect(config.mode).toBe('precision');
    expect(config.plugins.map((p) => p.name)).toEqual(['trace-a', 'trace-x']);
    expect(config.origins[0]!.from).toBe('inline');
  });
});
