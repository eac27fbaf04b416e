/**
 * The language server's start (bin/kubefile-language-server.js, and `kubefilec lsp` through
 * `@kubefile/lsp/main`): the bundle, dist/kubefile-language-server.cjs, compiled with a V8 code cache
 * (code-cache.cts), so a start reads its functions' bytecode instead of parsing and compiling 2 MB.
 *
 * `npm run build` makes the cache next to the bundle (scripts/make-code-cache.mjs): it is taken once
 * the client has the answer to `initialize`, so it holds what a start runs and no more (V8 loads a
 * cache whole; the warm-up compiles the rest after the answer anyway). A missing cache is written at
 * that point too, next to the bundle or in ~/.cache/kubefile-language-server; KUBEFILEC_CODE_CACHE=off
 * runs without one. Before `npm run build` there is no bundle, and the compiled modules run instead.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadBundle, saveMissingCodeCache, type CodeCacheOptions, type LoadedBundle } from './code-cache.cjs';
import type * as Main from './main.js' with { 'resolution-mode': 'import' };

/** What the bundle exports: main.ts. */
export type BundleExports = Pick<typeof Main, 'startServer'>;

export const BUNDLE = join(__dirname, '../kubefile-language-server.cjs');

/** The server's one cache: taken when the client has the answer to `initialize`. */
export const CACHE_PROFILE = 'start';

/** Compiles and runs the server's bundle (its module level) with its code cache. */
export function loadServerBundle(bundle = BUNDLE, useCache?: boolean): LoadedBundle<BundleExports> {
  const options: CodeCacheOptions = { bundle, profile: CACHE_PROFILE, userCacheName: 'kubefile-language-server', ...(useCache === undefined ? {} : { useCache }) };
  return loadBundle<BundleExports>(options);
}

/**
 * Starts the language server on this process (stdio, node IPC or a socket, as its arguments say),
 * from the bundle with its code cache; a missing cache is written once the client has the answer to
 * `initialize`, before the warm-up compiles more.
 */
export async function startServer(): Promise<void> {
  if (!existsSync(BUNDLE)) {
    await ((await import('./main.js')) as typeof Main).startServer();
    return;
  }
  const loaded = loadServerBundle();
  const server = await loaded.exports.startServer();
  if (loaded.cache === 'missing' || loaded.cache === 'rejected') void server.initialized.then(() => saveMissingCodeCache(loaded));
}
