import type { Io } from './program.js';

/** Where a multi-run command is: run `index` of `total`, `label`, `fraction` of it done. */
export type StepProgress = (index: number, total: number, label: string, fraction: number) => void;

export interface Progress {
  step: StepProgress;
  /** A line for stderr while the progress is shown: it goes above the progress, which stays. */
  note(line: string): void;
  /** Take the progress off the terminal. */
  done(): void;
}

const duration = (s: number) => (s >= 90 ? `${Math.floor(s / 60)} min ${Math.round(s % 60)} s` : `${Math.max(1, Math.round(s))} s`);

/** Redraws at most this often, except when a run starts or ends: each redraw is a write to the terminal. */
const REDRAW_MS = 100;

/**
 * Progress on stderr, rewritten in place: a line per run going on (runs on worker threads go on at
 * once), `i/N name  37 %`, the first with how many are done and the ETA over all:
 *
 *     3/12 pghot-ibs  37 %  (2 done)  ETA 12 s
 *     4/12 pghot-ptescan  12 %
 *
 * Only when stderr is a terminal and CI is not set, whatever stdout is (a file, a pipe, JSON).
 * Each line is cut to the terminal's width, so the cursor can go back up over exactly these lines.
 */
export function createProgress(io: Io, clock: () => number = () => performance.now()): Progress | undefined {
  if (!io.stderrIsTTY || io.env.CI) return undefined;
  const width = Math.max(20, (io.stderrColumns || 80) - 1); // 0: a terminal that did not say
  const start = clock();
  const fractions: number[] = [];
  const running = new Map<number, string>(); // the runs going on: index → label
  let total = 0;
  let drawn = 0; // lines on the terminal now
  let lastDraw = -Infinity;

  const clear = () => (drawn === 0 ? '' : `\r${drawn > 1 ? `\u001b[${drawn - 1}A` : ''}\u001b[J`);
  const lines = (): string[] => {
    const finished = fractions.filter((f) => f === 1).length;
    const overall = fractions.reduce((a, f) => a + (f ?? 0), 0) / total;
    const elapsed = (clock() - start) / 1000;
    const eta = `ETA ${overall > 0.01 ? duration((elapsed * (1 - overall)) / overall) : '…'}`;
    const runs = [...running].sort(([a], [b]) => a - b).map(([i, label]) => `${i + 1}/${total} ${label}  ${((fractions[i] ?? 0) * 100).toFixed(0)} %`);
    const all = runs.length === 0 ? [`${finished} of ${total} done  ${eta}`] : [`${runs[0]}  (${finished} done)  ${eta}`, ...runs.slice(1)];
    return all.map((l) => (l.length > width ? `${l.slice(0, width - 1)}…` : l));
  };
  const draw = () => {
    const now = lines();
    io.stderr(`${clear()}${now.join('\n')}`);
    drawn = now.length;
    lastDraw = clock();
  };
  return {
    step(index, n, label, fraction) {
      total = n;
      if (fractions[index] === 1) return; // a late report of a finished run (from a queue's events)
      fractions[index] = fraction;
      let changed: boolean; // a run started or ended: always drawn
      if (fraction === 1) changed = running.delete(index);
      else {
        changed = !running.has(index);
        running.set(index, label);
      }
      if (changed || clock() - lastDraw >= REDRAW_MS) draw();
    },
    note(line) {
      io.stderr(`${clear()}${line}\n`);
      drawn = 0;
      if (fractions.length > 0) draw();
    },
    done() {
      if (drawn > 0) io.stderr(clear());
      drawn = 0;
    },
  };
}

/** Clear a progress line another reporter (a file read) left on a terminal stderr. */
export function clearProgressLine(io: Io): void {
  if (io.stderrIsTTY && !io.env.CI) io.stderr('\r\u001b[2K');
}
