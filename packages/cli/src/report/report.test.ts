import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { beforeAll, describe, expect, it } from 'vitest';
import { runTestCli } from '../test-cli.js';
import { buildDocument, fromJson, readReportInput } from './document.js';
import { minMaxDownsample } from './downsample.js';
import { smallComparison, smallLive } from './test-reports.js';

describe('minMaxDownsample', () => {
  it('keeps the lowest and highest point of each bucket, in order: no peak is lost', () => {
    const ys = [0, 5, 1, 9, 2, 2, 8, 0, 3, 3];
    const points = ys.map((y, x): [number, number] => [x, y]);
    expect(minMaxDownsample(points, 4)).toEqual([
      [0, 0],
      [3, 9],
      [6, 8],
      [7, 0],
    ]);
    expect(minMaxDownsample(points, 10)).toEqual(points);
    // a constant bucket gives one point; nulls (no value) are dropped
    expect(minMaxDownsample([[0, 1], [1, 1], [2, null], [3, null], [4, 7], [5, 2]], 4)).toEqual([[0, 1], [4, 7], [5, 2]]);
  });

  it('reduces 100,000 points to at most the limit and keeps the single spike', () => {
    const points = Array.from({ length: 100_000 }, (_, x): [number, number] => [x, x === 77_777 ? 1000 : x % 7]);
    const out = minMaxDownsample(points, 1000);
    expect(out.length).toBeLessThanOrEqual(1000);
    expect(out).toContainEqual([77_777, 1000]);
    expect(out.every(([x], i) => i === 0 || x > out[i - 1]![0])).toBe(true);
  });
});

describe('pghot report', () => {
  let c: Awaited<ReturnType<typeof smallComparison>>;
  beforeAll(async () => {
    c = await smallComparison();
  }, 120_000);

  it("a run's series and heatmap add up to its totals", () => {
    for (const r of c.runs) {
      const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
      const memoryAccesses = r.accesses.total - r.accesses.llcHits;
      expect(sum(r.heatmap.virtual.accesses.flat())).toBe(memoryAccesses);
      expect(sum(r.heatmap.physical.accesses.flat())).toBe(memoryAccesses);
      expect(sum(r.heatmap.virtual.promotions.map((p) => p[2]))).toBe(r.promotions.pages);
      expect(sum(r.heatmap.physical.promotions.map((p) => p[2]))).toBe(r.promotions.pages);
      expect(r.promotions.pages).toBeGreaterThan(0);
      // promotions come from the lower tier's rows
      const cxl = r.heatmap.physical.nodes.find((n) => n.tier === 1)!;
      expect(r.heatmap.physical.promotions.every(([, row]) => row >= cxl.firstRow && row < cxl.firstRow + cxl.rows)).toBe(true);
      expect(sum(r.series.map((p) => p.promotedPages))).toBe(r.promotions.pages);
      expect(sum(r.series.map((p) => p.demotedPages))).toBe(r.demotions.pages);
      expect(sum(r.series.map((p) => p.pingPong))).toBe(r.pingPong.events);
      expect(Math.abs(sum(r.series.map((p) => p.sourceOverheadNs)) - r.sourceOverheadNs.total)).toBeLessThan(r.series.length * 0.05 + 0.05);
      expect(r.series.map((p) => p.tMs).slice(0, 3)).toEqual([250, 500, 750]);
      // the no-promotion run (everything on CXL) and the interval oracle, per interval
      expect(r.series.slice(0, 3).map((p) => p.noPromotionHitRatio)).toEqual([0, 0, 0]);
      expect(r.series.every((p) => p.oracleHitRatio > 0.5)).toBe(true);
      expect(r.events.filter((e) => e.kind === 'shift').map((e) => e.tMs)).toEqual([1000, 2000]);
    }
  });

  it('writes the same bytes for the same input, one self-contained page with a CSP that forbids the network', async () => {
    const a = await runTestCli(['report', c.json, '-o', 'a.html'], { cwd: c.dir });
    const b = await runTestCli(['report', c.json, '-o', 'b.html'], { cwd: c.dir });
    expect([a.code, a.stderr]).toEqual([0, 'pghot: report written to a.html (20 charts)\n']);
    const html = readFileSync(path.join(c.dir, 'a.html'), 'utf8');
    expect(readFileSync(path.join(c.dir, 'b.html'), 'utf8')).toBe(html);
    expect(b.code).toBe(0);
    expect(html).toContain(`content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:"`);
    // outside the inlined scripts, nothing loads: no src, no stylesheet link
    const markup = html.replace(/<script[^>]*>[\s\S]*?<\/script>/g, '<script></script>');
    expect(/<(script|img|link|iframe|object|embed)[^>]+(src|href|data)=/i.test(markup)).toBe(false);
    expect(markup.match(/<script/g)).toHaveLength(3);
    expect(html.match(/<div class="chart" /g)).toHaveLength(20);
    // the summary table has the terminal table's numbers
    const terminal = await runTestCli(['compare', '--policies', 'pghot,numab2', '--format', 'table'], { cwd: c.dir });
    const pghotRow = terminal.stdout.split('\n').find((l) => /\bpghot\b/.test(l) && l.includes('hintfault'))!;
    const cells = pghotRow.split('│').map((s) => s.trim()).filter(Boolean);
    expect(cells).toHaveLength(8);
    const row = html.split('\n').find((l) => l.startsWith('<tr><td>') && l.includes('pghot</td><td>hintfault</td>'))!;
    expect(row.replace(/<\/td><td[^>]*>/g, '|').replace(/<\/?t[rd][^>]*>/g, '').split('|').map((s) => s.trim())).toEqual(cells);
  }, 120_000);

  it('--svg renders every chart as a well-formed SVG file with its series named, without a browser', async () => {
    const r = await runTestCli(['report', c.json, '--svg', 'svg'], { cwd: c.dir });
    expect([r.code, r.stderr]).toEqual([0, 'pghot: 20 SVG files written to svg\n']);
    const files = readdirSync(path.join(c.dir, 'svg')).sort();
    const prefix = 'phase-shift-on-dram-cxl';
    const perRun = ['heatmap-tier0', 'heatmap-tier1', 'heatmap-virtual', 'hit-ratio', 'migrated-mib', 'migrations', 'overhead', 'threshold'];
    expect(files).toEqual(
      [
        ...['hit-ratio', 'migrated-mib', 'overhead', 'promotions'].map((k) => `${prefix}-compare-${k}.svg`),
        ...perRun.map((k) => `${prefix}-numab2-${k}.svg`),
        ...perRun.map((k) => `${prefix}-pghot-${k}.svg`),
      ].sort(),
    );
    const texts = (svg: string) => {
      const out: string[] = [];
      const walk = (node: unknown): void => {
        if (Array.isArray(node)) node.forEach(walk);
        else if (node && typeof node === 'object') for (const [k, v] of Object.entries(node)) k === '#text' ? out.push(String(v)) : walk(v);
      };
      walk(new XMLParser({ ignoreAttributes: true, preserveOrder: true }).parse(svg));
      return out;
    };
    const expected: Record<string, string[]> = {
      'compare-hit-ratio': ['pghot', 'numab2', 'no promotion', 'shift'],
      'compare-promotions': ['pghot', 'numab2'],
      'pghot-hit-ratio': ['pghot', 'interval top-K oracle', 'no promotion'],
      'pghot-migrations': ['promotions', 'demotions', 'ping-pong'],
      'numab2-migrated-mib': ['promoted', 'demoted'],
      'pghot-threshold': ['target node 0'],
      'pghot-heatmap-virtual': ['promotions', 'log10 acc.'],
      // (ECharts labels every other row when they would overlap)
      'pghot-heatmap-tier1': ['promotions', 'node 1 +0 MiB', 'node 1 +16 MiB'],
      'pghot-heatmap-tier0': ['node 0 +0 MiB', 'node 0 +4 MiB'],
    };
    for (const file of files) {
      const svg = readFileSync(path.join(c.dir, 'svg', file), 'utf8');
      expect(XMLValidator.validate(svg), file).toBe(true);
      expect(svg.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<svg ')).toBe(true);
      const key = file.slice(prefix.length + 1, -'.svg'.length);
      for (const name of expected[key] ?? []) expect(texts(svg), `${file}: ${name}`).toContain(name);
    }
    const heat = readFileSync(path.join(c.dir, 'svg', `${prefix}-pghot-heatmap-virtual.svg`), 'utf8');
    const cells = c.runs[0]!.heatmap.virtual.accesses.flat().length;
    expect((heat.match(/<path /g) ?? []).length).toBeGreaterThanOrEqual(cells);
  }, 120_000);

  it('gives a group of more than 12 runs (a sweep) sections for its 12 fastest, and says so', () => {
    const runs = Array.from({ length: 13 }, (_, i) => ({ ...c.runs[0]!, name: `run ${i}`, estimatedTimeNs: 1e9 + (i === 5 ? 1e9 : i) }));
    const doc = buildDocument([fromJson('sweep.jsonl', runs)], c.dir);
    expect(doc.groups).toHaveLength(1);
    expect(doc.groups[0]!.runs.map((r) => r.report.name)).toEqual(['run 0', 'run 1', 'run 2', 'run 3', 'run 4', 'run 6', 'run 7', 'run 8', 'run 9', 'run 10', 'run 11', 'run 12']);
    expect(doc.groups[0]!.note).toBe('13 runs: the 12 fastest have their own charts below; the table and the charts side by side have them all');
    expect(doc.groups[0]!.table.rows).toHaveLength(13);
    expect(doc.groups[0]!.charts[0]!.series).toHaveLength(13 + 1); // every run, and no promotion
  });

  it("summarizes a sweep's results: the best configuration per workload, and the hit ratio by each tunable's value, per policy", () => {
    const line = (policy: string, freq_threshold: number, hitRatio: number, timeMs: number) =>
      JSON.stringify({ kind: 'sweep-run', id: `${policy}-${freq_threshold}`, index: 0, run: { machine: 'dram+cxl', workload: 'phase-shift', seed: 1, policy, sources: null, tunables: { freq_threshold } }, report: { ...c.runs[0]!, name: `${policy} freq_threshold=${freq_threshold}`, fastTierHitRatio: hitRatio, estimatedTimeNs: timeMs * 1e6 } });
    const file = path.join(c.dir, 'grid.results.jsonl');
    writeFileSync(file, `${[line('pghot', 1, 0.5, 900), line('pghot', 2, 0.7, 800), line('numab2', 1, 0.25, 1000), line('numab2', 2, 0.25, 950)].join('\n')}\n`);
    const doc = buildDocument([readReportInput(file)], c.dir);
    expect(doc.sweeps.map((s) => [s.id, s.title])).toEqual([['sweep-grid-results', 'sweep: grid.results.jsonl']]);
    const { summary, charts } = doc.sweeps[0]!;
    expect(summary).toEqual({
      best: [{ scenario: 'dram+cxl / phase-shift', best: 'pghot freq_threshold=2', timeMs: 800, hitRatio: 0.7, configurations: 4 }],
      sensitivity: [{ tunable: 'freq_threshold', means: [{ value: 1, hitRatio: 0.375, runs: 2 }, { value: 2, hitRatio: 0.475, runs: 2 }], range: 0.1 }],
    });
    expect(charts.map((ch) => [ch.id, ch.title, ch.series])).toEqual([['sweep-grid-results-freq-threshold', 'Fast-tier hit ratio by freq_threshold', ['every run', 'pghot', 'numab2']]]);
    const option = charts[0]!.option as { xAxis: { data: string[] }; series: { name: string; data: number[] }[] };
    expect(option.xAxis.data).toEqual(['1', '2']);
    expect(option.series.map((x) => x.data)).toEqual([[0.375, 0.475], [0.5, 0.7], [0.25, 0.25]]);
    // the runs are drawn as a comparison too; the sweep's charts come first
    expect(doc.groups[0]!.table.rows).toHaveLength(4);
  });

  it('refuses what it cannot plot with one line and exit 2, and writes nothing', async () => {
    const dir = c.dir;
    writeFileSync(path.join(dir, 'broken.json'), '{"schemaVersion": 1,');
    writeFileSync(path.join(dir, 'samples.json'), JSON.stringify({ schemaVersion: 1, kind: 'samples' }));
    const { heatmap: _h, ...old } = c.runs[0]!;
    writeFileSync(path.join(dir, 'old.json'), JSON.stringify([old]));
    const bad = c.runs.map((r, i) => (i === 1 ? { ...r, series: [{ ...r.series[0], fastTierHitRatio: 2 }] } : r));
    writeFileSync(path.join(dir, 'bad.json'), JSON.stringify(bad));
    const sweepLine = { kind: 'sweep-run', id: 'x', index: 0, run: { policy: 'pghot', sources: null, tunables: { freq_threshold: 2 } }, report: c.runs[0] };
    writeFileSync(path.join(dir, 'bad.jsonl'), `${JSON.stringify(sweepLine)}\n${JSON.stringify({ ...sweepLine, run: { ...sweepLine.run, tunables: { freq_threshold: 'two' } } })}\n`);
    const cases: [string[], string][] = [
      [['report', 'broken.json'], `pghot: ${dir}/broken.json: not JSON (Expected double-quoted property name in JSON at position 20): give the output of pghot run, compare or live with --format json\n`],
      [['report', 'samples.json'], `pghot: ${dir}/samples.json: a "samples" report has no time series to plot: give the output of pghot run, compare or live with --format json\n`],
      [['report', 'old.json'], `pghot: ${dir}/old.json: [0]: a run report without "heatmap" (from a pghot older than the report command): run it again\n`],
      [['report', 'bad.json'], `pghot: ${dir}/bad.json: [1].series[0].fastTierHitRatio: Too big: expected number to be <=1\n`],
      [['report', 'bad.jsonl'], `pghot: ${dir}/bad.jsonl:2: run.tunables.freq_threshold: Invalid input: expected number, received string\n`],
      [['report', 'missing.json'], `pghot: cannot read ${dir}/missing.json: no such file\n`],
      [['report', 'runs.json', '-o', 'runs.json'], `pghot: --output ${dir}/runs.json is the input ${dir}/runs.json: pghot never overwrites an input\n`],
      [['report', 'runs.json', '-o', 'x.html', '--svg', 'd'], 'pghot: --svg DIR and --output both name the output: give one\n'],
      [['report', 'runs.json', '--format', 'html', '--svg', 'd'], 'pghot: --svg DIR writes SVG files, and --format html asks for a page: give one\n'],
      [['run', '--samples', 'runs.json', '--html', 'x.html'], "pghot: --html plots a run's time series, which a replay of --samples does not have\n"],
      [['compare', '--policies', 'pghot', '-o', 'x.html', '--html', 'x.html'], 'pghot: --html and -o both name x.html: give the report another file\n'],
    ];
    for (const [argv, stderr] of cases) {
      const r = await runTestCli(argv, { cwd: dir });
      expect([r.code, r.stderr, r.stdout], argv.join(' ')).toEqual([2, stderr, '']);
    }
    expect(readdirSync(dir).filter((f) => f.endsWith('.html') || f.startsWith('.'))).toEqual(expect.not.arrayContaining(['x.html', 'pghot-report.html']));
    expect(readdirSync(dir).some((f) => f.endsWith('.tmp'))).toBe(false);
  });
});

describe('pghot live --html', () => {
  it('plots what was recorded and promoted per second; the series adds up to the report', async () => {
    const l = await smallLive();
    const { series } = l.report.live;
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    // a point per second of ticks, and the last tick's (2.5 s), which also holds the final wake
    expect(series.map((p) => p.tMs)).toEqual([1000, 2000, 2500]);
    expect(sum(series.map((p) => p.recorded))).toBe(l.report.recorded);
    expect(sum(series.map((p) => p.promotedPages))).toBe((l.report.promoted as { pages: number }).pages);
    expect((l.report.promoted as { pages: number }).pages).toBeGreaterThan(0);
    const html = readFileSync(l.html, 'utf8');
    expect(html.match(/<div class="chart" id="chart-live-pghot-live-(recorded|promotions)"/g)).toHaveLength(2);
    // the same page from the JSON, by `pghot report`
    const r = await runTestCli(['report', 'live.json', '-o', 'again.html'], { cwd: l.dir });
    expect([r.code, r.stderr]).toEqual([0, 'pghot: report written to again.html (2 charts)\n']);
    expect(readFileSync(path.join(l.dir, 'again.html'), 'utf8')).toContain('<h2>live: live.json</h2>');
  }, 60_000);
});
