/** Every error the engine throws on purpose: `code` says which kind, for tools that branch on it. */
export class PghotError extends Error {
  readonly code: string;
  constructor(message: string, options: { code?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PghotError';
    this.code = options.code ?? 'PGHOT_ERROR';
  }
}

/** Bad user input: a config file, a tunable, plugin options, a topology. The CLI exits 2 on these. */
export class ConfigError extends PghotError {
  /** The file the bad input came from, when there is one. */
  readonly file: string | undefined;
  constructor(message: string, options: { code?: string; cause?: unknown; file?: string } = {}) {
    super(message, { code: options.code ?? 'PGHOT_CONFIG', cause: options.cause });
    this.name = 'ConfigError';
    this.file = options.file;
  }
}
