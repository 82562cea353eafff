/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// (the functions passed to page.evaluate run in the browser)
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTestCli } from '../test-cli.js';
import { allCharts, buildDocument, readReportInput } from './document.js';
import { smallComparison, smallLive } from './test-reports.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

/** Debian's chromium (scripts/ensure-test-tools.sh installs it), or PGHOT_CHROMIUM. */
function findChromium(): string | null {
  if (process.env.PGHOT_CHROMIUM) return process.env.PGHOT_CHROMIUM;
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.trim()) return r.stdout.trim();
  }
  return null;
}
const CHROMIUM = findChromium();

interface RenderedChart {
  id: string;
  kind: string;
  expectedSeries: number;
  series: string[];
  canvas: { width: number; height: number } | null;
  /** Pixels that are not (near) white. */
  ink: number;
  /** In the plot area: distinct colours (to 4 bits a channel), and the most common one's share. */
  plot: { colours: number; commonest: number };
}

describe.skipIf(CHROMIUM === null && !process.env.CI)('the HTML report in a real browser (chromium; skipped without it outside CI)', () => {
  let browser: Browser;
  let page: string;
  let expected: Map<string, string[]>;
  beforeAll(async () => {
    const [c, l] = await Promise.all([smallComparison(), smallLive()]);
    const r = await runTestCli(['report', c.json, l.json, '-o', 'all.html'], { cwd: c.dir });
    expect(r.code).toBe(0);
    page = path.join(c.dir, 'all.html');
    expected = new Map(allCharts(buildDocument([readReportInput(c.json), readReportInput(l.json)], c.dir)).map((x) => [`chart-${x.id}`, x.series]));
    browser = await chromium.launch({ executablePath: CHROMIUM!, args: process.getuid?.() === 0 ? ['--no-sandbox'] : [] });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
  });

  it('draws every chart with its series, logs no error, asks the network for nothing; the heatmaps are not uniform', async () => {
    const context = await browser.newContext({ viewport: { width: 1050, height: 900 }, deviceScaleFactor: 1 });
    const tab = await context.newPage();
    const url = pathToFileURL(page).href;
    const requests: string[] = [];
    const problems: string[] = [];
    tab.on('request', (req) => requests.push(req.url()));
    tab.on('console', (m) => (m.type() === 'error' || m.type() === 'warning') && problems.push(`${m.type()}: ${m.text()}`));
    tab.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    // anything but the page itself would fail: the page must not need it
    await context.route('**/*', (route) => (route.request().url() === url ? route.continue() : route.abort()));
    await tab.goto(url);
    await tab.waitForFunction(() => (window as unknown as { pghotReport?: { ready: boolean } }).pghotReport?.ready === true, null, { timeout: 60_000 });
    await tab.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));

    const charts: RenderedChart[] = await tab.evaluate(() => {
      const echarts = (window as unknown as { echarts: { getInstanceByDom(el: Element): { getOption(): { series: { name: string }[] } } } }).echarts;
      return [...document.querySelectorAll<HTMLElement>('.chart')].map((el) => {
        // ECharts may draw a large series on a layer canvas of its own: compose them as shown
        const layers = [...el.querySelectorAll('canvas')];
        const canvas = layers[0] ?? null;
        let ink = 0;
        const plot = { colours: 0, commonest: 0 };
        if (canvas) {
          const composed = document.createElement('canvas');
          composed.width = canvas.width;
          composed.height = canvas.height;
          const g = composed.getContext('2d')!;
          g.fillStyle = '#ffffff';
          g.fillRect(0, 0, composed.width, composed.height);
          for (const layer of layers) g.drawImage(layer, 0, 0);
          const { data, width, height } = g.getImageData(0, 0, composed.width, composed.height);
          for (let i = 0; i < data.length; i += 4) if (data[i]! < 245 || data[i + 1]! < 245 || data[i + 2]! < 245) ink++;
          // the heatmap's grid: left 110, right 90, top 70, bottom 70 (charts.ts), a few pixels inside
          const counts = new Map<number, number>();
          for (let y = 75; y < height - 75; y++) {
            for (let x = 115; x < width - 95; x++) {
              const i = (y * width + x) * 4;
              const key = ((data[i]! >> 4) << 8) | ((data[i + 1]! >> 4) << 4) | (data[i + 2]! >> 4);
              counts.set(key, (counts.get(key) ?? 0) + 1);
            }
          }
          const all = [...counts.values()].reduce((a, b) => a + b, 0);
          plot.colours = counts.size;
          plot.commonest = Math.max(...counts.values()) / all;
        }
        return {
          id: el.id,
          kind: el.dataset.kind!,
          expectedSeries: Number(el.dataset.series),
          series: echarts.getInstanceByDom(el).getOption().series.map((s) => s.name),
          canvas: canvas ? { width: canvas.width, height: canvas.height } : null,
          ink,
          plot,
        };
      });
    });

    expect(problems).toEqual([]);
    expect(requests).toEqual([url]);
    expect(charts.map((c) => c.id)).toEqual([...expected.keys()]);
    expect(charts).toHaveLength(20 + 2);
    for (const c of charts) {
      expect(c.series, c.id).toEqual(expected.get(c.id));
      expect(c.series, c.id).toHaveLength(c.expectedSeries);
      expect(c.canvas, c.id).toEqual({ width: 920, height: c.kind === 'heatmap' ? 460 : 340 });
      // axes, labels and lines: well beyond an empty frame
      expect(c.ink, c.id).toBeGreaterThan(5000);
    }
    const heatmaps = charts.filter((c) => c.kind === 'heatmap');
    expect(heatmaps).toHaveLength(6);
    for (const h of heatmaps) {
      expect(h.plot.colours, h.id).toBeGreaterThanOrEqual(8);
      expect(h.plot.commonest, h.id).toBeLessThan(0.9);
    }

    const dir = path.join(ROOT, 'reports/browser');
    mkdirSync(dir, { recursive: true });
    await tab.screenshot({ path: path.join(dir, 'report.png'), fullPage: true });
    await tab.locator('#chart-phase-shift-on-dram-cxl-pghot-heatmap-virtual').screenshot({ path: path.join(dir, 'heatmap-virtual.png') });
    await context.close();
  }, 120_000);
});
