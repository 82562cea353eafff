import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { countByPfn, createTestEngine, CXL_START } from '@pghot/testkit';
import { describe, expect, it } from 'vitest';
import csvSource from './index.js';

const csv = (text: string) => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'csv-source-')), 'accesses.csv');
  writeFileSync(file, text);
  return file;
};

describe('csv source (example third-party plugin)', () => {
  it('reports each access when the clock reaches its time, under its own source', async () => {
    const file = csv(`time_ms,pfn,nid\n0,${CXL_START},0\n5,${CXL_START},0\n5,${CXL_START + 1},0\n250,${CXL_START + 1},0\n`);
    const { engine, clock, reported, backend } = await createTestEngine({ plugins: [csvSource({ file })] });
    await clock.advance(10);
    expect(reported).toEqual([
      { src: 'csv', pfn: CXL_START, nid: 0, now: 0 },
      { src: 'csv', pfn: CXL_START, nid: 0, now: 5 },
      { src: 'csv', pfn: CXL_START + 1, nid: 0, now: 5 },
    ]);
    expect(engine.vmstat().pghot_recorded_csv).toBe(3);
    await clock.advance(300);
    expect(countByPfn(reported, 'csv')).toEqual(new Map([[CXL_START, 2], [CXL_START + 1, 2]]));
    // two accesses within the window make both pages hot: kmigrated promotes them
    expect(backend.promotedPages).toBe(2);
  });

  it('records nothing while its source is disabled', async () => {
    const file = csv(`time_ms,pfn\n0,${CXL_START}\n`);
    const { engine, clock, reported } = await createTestEngine({ plugins: [csvSource({ file })], tunables: { enabled_sources: 0x1 } });
    await clock.advance(5);
    expect(reported).toEqual([]);
    expect(engine.vmstat().pghot_recorded_csv).toBe(0);
  });

  it('names the file and line of a bad row, and the option of bad options', async () => {
    const file = csv('time_ms,pfn\n0,100\n3,abc\n');
    await expect(createTestEngine({ plugins: [csvSource({ file })] })).rejects.toThrow(`${file}:3: expected 2 integers: "3,abc"`);
    expect(() => csvSource({ file: '' })).toThrow('Invalid options for plugin "source-csv":\n✖ Too small: expected string to have >=1 characters\n  → at file');
  });
});
