import { pathToFileURL } from 'node:url';
import type { Loader } from 'cosmiconfig';

let jitiLoader: Loader | undefined;

/**
 * A .ts/.mts/.cts file's default export — TS configs and TS plugin files alike: natively when the
 * process already runs TypeScript (tsx, vitest, Node's type stripping), so the file's imports are the
 * very modules the tool uses; otherwise with the jiti-based cosmiconfig-typescript-loader, created on
 * first use.
 */
export const loadTypeScript = async (filepath: string, content = ''): Promise<unknown> => {
  try {
    const mod = (await import(pathToFileURL(filepath).href)) as { default?: unknown };
    return mod.default ?? mod;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw e;
  }
  if (!jitiLoader) {
    const { TypeScriptLoader } = await import('cosmiconfig-typescript-loader');
    jitiLoader = TypeScriptLoader();
  }
  return jitiLoader(filepath, content);
};
