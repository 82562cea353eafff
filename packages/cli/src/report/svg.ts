import { createRequire } from 'node:module';
import type { ChartSpec } from './charts.js';

// ECharts takes about 0.6 s to load: only `pghot report --format svg` needs it, so it loads then
const require = createRequire(import.meta.url);
let echarts: typeof import('echarts') | undefined;

/**
 * A chart as a standalone SVG document, rendered in Node by ECharts' server-side SVG renderer
 * (no browser, no DOM): the same option the HTML page draws.
 */
export function renderSvg(chart: ChartSpec): string {
  echarts ??= require('echarts') as typeof import('echarts');
  const instance = echarts.init(null, null, { renderer: 'svg', ssr: true, width: chart.width, height: chart.height });
  try {
    instance.setOption(chart.option);
    return `<?xml version="1.0" encoding="UTF-8"?>\n${instance.renderToSVGString()}\n`;
  } finally {
    // disposing stops ECharts' frame loop, which would otherwise keep Node running
    instance.dispose();
  }
}
