import type { Io } from './program.js';

/** Where a multi-run command is: run `index` of `total`, `label`, `fraction` of it done. */
export type StepProgress = (index: number, total: number, label: string, fraction: number) => void;

const duration = (s: number) => (s >= 90 ? `${Math.floor(s / 60)} min ${Math.round(s % 60)} s` : `${Math.max(1, Math.round(s))} s`);

/**
 * Progress on stderr, one line rewritten in place: `i/N name  37 %  ETA 12 s`, the run last heard
 * from (runs on worker threads report at once: `3 done` counts the finished ones, and the ETA is
 * over all). Only when stderr is a terminal and CI is not set, whatever stdout is (a file, a pipe, JSON).
 */
export function createProgress(io: Io): { step: StepProgress; done(): void } | undefined {
  if (!io.stderrIsTTY || io.env.CI) return undefined;
  const start = performance.now();
  let shown = false;
  const fractions: number[] = [];
  return {
    step(index, total, label, fraction) {
      fractions[index] = fraction;
      const finished = fractions.filter((f) => f === 1).length;
      const overall = fractions.reduce((a, f) => a + (f ?? 0), 0) / total;
      const elapsed = (performance.now() - start) / 1000;
      const eta = overall > 0.01 ? duration((elapsed * (1 - overall)) / overall) : '…';
      io.stderr(`\r\u001b[2K${index + 1}/${total} ${label}  ${(fraction * 100).toFixed(0)} %  (${finished} done)  ETA ${eta}`);
      shown = true;
    },
    done() {
      if (shown) io.stderr('\r\u001b[2K');
    },
  };
}

/** Clear a progress line another reporter (a file read) left on a terminal stderr. */
export function clearProgressLine(io: Io): void {
  if (io.stderrIsTTY && !io.env.CI) io.stderr('\r\u001b[2K');
}
