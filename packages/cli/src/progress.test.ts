import { describe, expect, it } from 'vitest';
import type { Io } from './program.js';
import { createProgress } from './progress.js';

/** A terminal stderr that records each write, and a clock the test moves. */
function terminal(columns = 80) {
  const writes: string[] = [];
  const io: Io = { stdout: () => {}, stderr: (t) => void writes.push(t), stdoutIsTTY: false, stderrIsTTY: true, stderrColumns: columns, cwd: '/', env: {} };
  const time = { ms: 0 };
  return { io, writes, time, clock: () => time.ms };
}

const UP1_CLEAR = '\r\u001b[1A\u001b[J';

describe('progress on a terminal: a line per run going on', () => {
  it('shows each run going on, the first line with the runs done and the ETA, and redraws over exactly its lines', () => {
    const t = terminal();
    const p = createProgress(t.io, t.clock)!;
    p.step(0, 4, 'pghot', 0);
    expect(t.writes).toEqual(['1/4 pghot  0 %  (0 done)  ETA …']);
    p.step(1, 4, 'numab2', 0);
    expect(t.writes[1]).toBe('\r\u001b[J1/4 pghot  0 %  (0 done)  ETA …\n2/4 numab2  0 %');
    t.time.ms = 2000;
    p.step(0, 4, 'pghot', 0.5);
    // 1/8 of all done in 2 s: 14 s to go
    expect(t.writes[2]).toBe(`${UP1_CLEAR}1/4 pghot  50 %  (0 done)  ETA 14 s\n2/4 numab2  0 %`);
    t.time.ms = 4000;
    p.step(0, 4, 'pghot', 1);
    expect(t.writes[3]).toBe(`${UP1_CLEAR}2/4 numab2  0 %  (1 done)  ETA 12 s`);
    p.step(1, 4, 'numab2', 1);
    expect(t.writes[4]).toBe('\r\u001b[J2 of 4 done  ETA 4 s');
    p.done();
    expect(t.writes[5]).toBe('\r\u001b[J');
    expect(t.writes).toHaveLength(6);
  });

  it('redraws at most every 100 ms while the same runs go on, and ignores a late report of a finished run', () => {
    const t = terminal();
    const p = createProgress(t.io, t.clock)!;
    p.step(0, 2, 'pghot', 0);
    t.time.ms = 99;
    p.step(0, 2, 'pghot', 0.1);
    expect(t.writes).toHaveLength(1);
    t.time.ms = 100;
    p.step(0, 2, 'pghot', 0.2);
    expect(t.writes).toHaveLength(2);
    p.step(0, 2, 'pghot', 1);
    p.step(0, 2, 'pghot', 0.9);
    t.time.ms = 1000;
    p.step(1, 2, 'hemem', 0);
    expect(t.writes.at(-1)).toBe('\r\u001b[J2/2 hemem  0 %  (1 done)  ETA 1 s');
  });

  it('cuts each line to the terminal width, so the cursor goes back over exactly the lines drawn', () => {
    const t = terminal(30);
    const p = createProgress(t.io, t.clock)!;
    p.step(0, 12, 'pghot (gups-hotset, seed 1, freq_threshold=2)', 0);
    expect(t.writes).toEqual(['1/12 pghot (gups-hotset, see…']);
    expect(t.writes[0]).toHaveLength(29);
  });

  it('writes a note above the progress, which stays', () => {
    const t = terminal();
    const p = createProgress(t.io, t.clock)!;
    p.step(0, 3, 'pghot', 0);
    p.step(1, 3, 'numab2', 0);
    p.note('pghot sweep: redis://h:1: connection lost (retrying)');
    expect(t.writes.slice(2)).toEqual([`${UP1_CLEAR}pghot sweep: redis://h:1: connection lost (retrying)\n`, '1/3 pghot  0 %  (0 done)  ETA …\n2/3 numab2  0 %']);
  });

  it('is off when stderr is not a terminal, or in CI', () => {
    expect(createProgress({ ...terminal().io, stderrIsTTY: false })).toBeUndefined();
    expect(createProgress({ ...terminal().io, env: { CI: 'true' } })).toBeUndefined();
  });
});
