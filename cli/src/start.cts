/**
 * kubefilec's start (cli/bin/kubefilec.js): the bundle, dist/kubefilec.cjs, compiled with a V8 code
 * cache (@kubefile/lsp/code-cache, shared with the language server's start), so a start reads its
 * functions' bytecode instead of parsing and compiling the whole bundle. An ES module entry alone
 * costs ~10 ms, hence a CommonJS bundle and entry. This start is bundled too (dist/kubefilec-start.cjs,
 * cli/scripts/bundle.mjs): with the shared module inside, it needs no package resolved.
 *
 * `npm run build` makes the caches next to the bundle: one after a --version, for most commands,
 * and one after a lint too, for the commands that compile a Kubefile, which holds the compiler's
 * functions as well but is more than three times the size: V8 loads a cache whole, so --version
 * would pay for it. A missing cache is written after the command, next to the bundle or in
 * ~/.cache/kubefilec; KUBEFILEC_CODE_CACHE=off runs without one (the start bench shows what it saves).
 */
import { loadBundle, saveMissingCodeCache, type CodeCacheOptions, type LoadedBundle } from '@kubefile/lsp/code-cache';
import type * as Main from './main.js' with { 'resolution-mode': 'import' };

/** What the bundle exports: cli/src/main.ts. */
export type BundleExports = Pick<typeof Main, 'main' | 'runProcess' | 'VERSION'>;

/** Which cache a start takes: `compiler` for the commands that compile a Kubefile, `base` for the rest. */
export type CacheProfile = 'base' | 'compiler';

const COMPILING_COMMANDS = new Set(['lint', 'parse', 'compile', 'build']);

/** The profile for a command line (its first word that is not an option names the command). */
export function cacheProfileFor(argv: readonly string[]): CacheProfile {
  const command = argv.find((arg) => !arg.startsWith('-'));
  return command !== undefined && COMPILING_COMMANDS.has(command) ? 'compiler' : 'base';
}

/** Where kubefilec's caches go when they cannot go next to the bundle: ~/.cache/kubefilec. */
export const USER_CACHE_NAME = 'kubefilec';

/** Compiles and runs kubefilec's bundle (its module level) with the profile's code cache. */
export function loadKubefilec(bundle: string, profile: CacheProfile, useCache?: boolean): LoadedBundle<BundleExports> {
  const options: CodeCacheOptions = { bundle, profile, userCacheName: USER_CACHE_NAME, ...(useCache === undefined ? {} : { useCache }) };
  return loadBundle<BundleExports>(options);
}

/** Runs kubefilec, from `bundle`, as this process; the code cache is written after the command when it was missing or rejected. */
export async function start(bundle: string): Promise<void> {
  const loaded = loadKubefilec(bundle, cacheProfileFor(process.argv.slice(2)));
  await loaded.exports.runProcess();
  saveMissingCodeCache(loaded);
}
