import { CORE_VERSION } from '@pghot/core';
import type { RunReport } from '@pghot/sim';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { allCharts, type ComparisonGroup, type LiveSection, type ReportDocument, type SweepSection } from './document.js';
import type { ChartSpec } from './charts.js';
import { pct } from '../output.js';

const require = createRequire(import.meta.url);

/** Apache ECharts' browser build, inlined so that the page needs no network. */
function echartsSource(): { version: string; code: string } {
  const code = readFileSync(require.resolve('echarts/dist/echarts.min.js'), 'utf8');
  // inside <script>, only these could end or confuse the element
  if (/<\/script|<!--/i.test(code)) throw new Error('echarts.min.js contains "</script" or "<!--": it cannot be inlined as is');
  const { version } = require('echarts/package.json') as { version: string };
  return { version, code };
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
/** JSON inside <script type="application/json">: no "<" can end the element. */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

function table(head: readonly string[], rows: readonly (readonly (string | number)[])[], cls = ''): string {
  const th = head.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const tr = rows.map((r) => `<tr>${r.map((c) => `<td${typeof c === 'number' ? ' class="num"' : ''}>${escapeHtml(String(c))}</td>`).join('')}</tr>`).join('\n');
  return `<table${cls ? ` class="${cls}"` : ''}><thead><tr>${th}</tr></thead><tbody>\n${tr}\n</tbody></table>`;
}

const chartDiv = (c: ChartSpec) =>
  `<div class="chart" id="chart-${escapeHtml(c.id)}" data-kind="${c.kind}" data-series="${c.series.length}" style="width:${c.width}px;height:${c.height}px" role="img" aria-label="${escapeHtml(c.title)}"></div>`;

function runDetails(r: RunReport): string {
  const rows: [string, string][] = [
    ['machine', `${r.machine.name}: ${r.machine.nodes.map((n) => `node ${n.id} tier ${n.tier} ${n.capacityMiB} MiB${n.cpus.length ? ` cpus ${n.cpus.join(',')}` : ''}`).join('; ')}`],
    ['workload', `${r.workload.name} (seed ${r.workload.seed}) ${JSON.stringify(r.workload.params)}`],
    ['mode', r.mode],
    ['policy', r.policy],
    ['sources', r.sources.map((s) => `${s.name} (id ${s.id}${s.enabled ? '' : ', disabled'})`).join(', ') || '-'],
    ['tunables', Object.entries(r.tunables).map(([k, v]) => `${k}=${v}`).join(' ')],
    ['plugins', Object.entries(r.versions.plugins).map(([k, v]) => `${k}${v ? ` ${v}` : ''}`).join(', ')],
    ['versions', `@pghot/core ${r.versions.core}`],
    ['accesses', `${r.accesses.total} (fast ${r.accesses.fast}, slow ${r.accesses.slow}, LLC hits ${r.accesses.llcHits})`],
    ['promotions', `${r.promotions.pages} pages (${r.promotions.folios} folios, ${r.promotions.MBps} MB/s); demotions ${r.demotions.pages} pages; ping-pong ${r.pingPong.events} (window ${r.pingPong.windowMs} ms)`],
    ['reaction', r.reactions.length === 0 ? 'no hot-set shift' : r.reactions.map((x) => `shift ${x.shiftMs} ms: ${x.timeMs === null ? `none (${x.reason})` : `${x.timeMs} ms`}`).join('; ')],
    ['vmstat', Object.entries(r.vmstat).filter(([, v]) => v !== 0).map(([k, v]) => `${k}=${v}`).join(' ') || '-'],
  ];
  return `<dl class="details">${rows.map(([k, v]) => `<dt>${k}</dt><dd>${escapeHtml(v)}</dd>`).join('')}</dl>`;
}

function groupHtml(g: ComparisonGroup): string {
  const t = g.table;
  return [
    `<section id="${g.id}"><h2>${escapeHtml(g.title)}</h2>`,
    `<p class="caption">${escapeHtml(t.title)}</p>`,
    table(t.head, t.rows, 'summary'),
    t.note ? `<p class="note">${escapeHtml(t.note)}</p>` : '',
    `<p class="caption">${escapeHtml(t.oraclesTitle)}</p>`,
    table(t.oracleHead, t.oracleRows, 'summary'),
    g.note ? `<p class="note">${escapeHtml(g.note)}</p>` : '',
    ...g.charts.map(chartDiv),
    ...g.runs.map((r) => [`<section id="${r.id}" class="run"><h3>${escapeHtml(r.report.name)}</h3>`, runDetails(r.report), ...r.charts.map(chartDiv), '</section>'].join('\n')),
    '</section>',
  ].join('\n');
}

function sweepHtml(s: SweepSection): string {
  const { best, sensitivity } = s.summary;
  return [
    `<section id="${s.id}"><h2>${escapeHtml(s.title)}</h2>`,
    '<p class="caption">The best configuration per machine and workload, by estimated time (the mean over its seeds)</p>',
    table(['machine / workload', 'best', 'time ms', 'hit ratio', 'of configurations'], best.map((b) => [b.scenario, b.best, b.timeMs, `${pct(b.hitRatio)} %`, b.configurations]), 'summary'),
    ...(sensitivity.length > 0
      ? [
          "<p class=\"caption\">The hit ratio's sensitivity to each tunable: the mean over the runs at each value; the range is the highest mean less the lowest</p>",
          table(['tunable', 'mean hit ratio by value', 'range (points)'], sensitivity.map((t) => [t.tunable, t.means.map((m) => `${m.value}: ${pct(m.hitRatio)} % (${m.runs} runs)`).join(', '), Number((t.range * 100).toFixed(1))]), 'summary'),
        ]
      : ['<p class="note">The sweep varies no tunable: no sensitivity to show.</p>']),
    ...s.charts.map(chartDiv),
    '</section>',
  ].join('\n');
}

function liveHtml(l: LiveSection): string {
  const { live, ...rest } = l.report;
  const { series, ...liveRest } = live;
  const flat = { ...rest, live: liveRest };
  return [`<section id="${l.id}"><h2>${escapeHtml(l.title)}</h2>`, `<pre class="json">${escapeHtml(JSON.stringify(flat, null, 2))}</pre>`, ...l.charts.map(chartDiv), '</section>'].join('\n');
}

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px; color: #212529; max-width: 1000px; }
h1 { font-size: 22px; } h2 { font-size: 18px; border-bottom: 1px solid #dee2e6; padding-bottom: 4px; margin-top: 36px; } h3 { font-size: 15px; margin-top: 28px; }
table.summary { border-collapse: collapse; margin: 6px 0 12px; font-size: 12px; }
table.summary th, table.summary td { border: 1px solid #dee2e6; padding: 2px 8px; text-align: left; white-space: nowrap; }
table.summary td.num { text-align: right; }
.caption { font-weight: 600; margin: 12px 0 2px; } .note { white-space: pre-wrap; font-size: 12px; color: #495057; }
dl.details { display: grid; grid-template-columns: 110px 1fr; gap: 2px 12px; font-size: 12px; } dl.details dt { color: #495057; } dl.details dd { margin: 0; word-break: break-word; }
.chart { margin: 14px 0; border: 1px solid #f1f3f5; }
pre.json { font-size: 11px; background: #f8f9fa; padding: 8px; overflow: auto; max-height: 360px; }
nav ul { font-size: 13px; }
`;

/**
 * One self-contained HTML page: no network (a Content-Security-Policy forbids any), ECharts
 * inlined, the charts' options as JSON. The same inputs give the same bytes.
 */
export function renderHtml(doc: ReportDocument, generator: string): string {
  const echarts = echartsSource();
  const charts = allCharts(doc);
  const nav = [
    ...doc.sweeps.map((s) => `<li><a href="#${s.id}">${escapeHtml(s.title)}</a>: the best configurations, and the sensitivity to each tunable</li>`),
    ...doc.groups.map((g) => `<li><a href="#${g.id}">${escapeHtml(g.title)}</a>: ${g.runs.map((r) => `<a href="#${r.id}">${escapeHtml(r.report.name)}</a>`).join(', ')}</li>`),
    ...doc.live.map((l) => `<li><a href="#${l.id}">${escapeHtml(l.title)}</a></li>`),
  ];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="${escapeHtml(generator)}">
<title>${escapeHtml(doc.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(doc.title)}</h1>
<p>From ${doc.sources.map((s) => `<code>${escapeHtml(s)}</code>`).join(', ')}; made by ${escapeHtml(generator)} (@pghot/core ${CORE_VERSION}) with Apache ECharts ${echarts.version} (Apache-2.0), inlined: the page needs no network. ${charts.length} charts.</p>
<nav><ul>
${nav.join('\n')}
</ul></nav>
${doc.sweeps.map(sweepHtml).join('\n')}
${doc.groups.map(groupHtml).join('\n')}
${doc.live.map(liveHtml).join('\n')}
<script>${echarts.code}</script>
<script type="application/json" id="pghot-charts">${scriptJson(charts.map((c) => ({ id: c.id, width: c.width, height: c.height, option: c.option })))}</script>
<script>
(function () {
  var specs = JSON.parse(document.getElementById('pghot-charts').textContent);
  specs.forEach(function (s) {
    var chart = echarts.init(document.getElementById('chart-' + s.id), null, { renderer: 'canvas', width: s.width, height: s.height });
    chart.setOption(s.option);
  });
  window.pghotReport = { ready: true, charts: specs.length };
})();
</script>
</body>
</html>
`;
}
