import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { ioReason } from '@pghot/trace';
import { ConfigError } from '@pghot/core';
import { writeOutputFile } from '../write-output.js';
import { allCharts, buildDocument, type ReportInput } from './document.js';
import { renderHtml } from './html.js';
import { renderSvg } from './svg.js';

export { readReportInput, fromJson, buildDocument, type LiveReport, type ReportInput } from './document.js';

export type ReportFormat = 'html' | 'svg';

/**
 * Write the report of `inputs`: one self-contained HTML file, or (svg) one SVG file per chart in
 * the directory `output`, each written atomically. Returns what was written.
 */
export function writeReport(inputs: readonly ReportInput[], format: ReportFormat, output: string, cwd: string, generator: string): { files: string[]; charts: number } {
  const doc = buildDocument(inputs, cwd);
  const charts = allCharts(doc);
  if (format === 'html') {
    writeOutputFile(output, renderHtml(doc, generator));
    return { files: [output], charts: charts.length };
  }
  try {
    mkdirSync(output, { recursive: true });
  } catch (e) {
    throw new ConfigError(`--svg ${output}: ${ioReason(e)}`, { code: 'PGHOT_REPORT' });
  }
  const files = charts.map((c) => {
    const file = path.join(output, `${c.id}.svg`);
    writeOutputFile(file, renderSvg(c));
    return file;
  });
  return { files, charts: charts.length };
}
