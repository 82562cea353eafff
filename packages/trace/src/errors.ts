import { ConfigError } from '@pghot/core';

/** A malformed line, named by file, 1-based line and text (the CLI exits 2). */
export class TraceParseError extends ConfigError {
  readonly line: number;
  readonly text: string;
  constructor(file: string, line: number, text: string, why: string) {
    super(`${file}:${line}: ${why}: ${JSON.stringify(text.length > 120 ? `${text.slice(0, 120)}…` : text)}`, { code: 'PGHOT_TRACE_PARSE', file });
    this.line = line;
    this.text = text;
  }
}

/** A whole-file problem: missing, truncated gzip, bad checksum, not a pgtrace. */
export const traceFileError = (file: string, why: string, cause?: unknown) =>
  new ConfigError(`${file}: ${why}`, { code: 'PGHOT_TRACE_FILE', file, ...(cause === undefined ? {} : { cause }) });
