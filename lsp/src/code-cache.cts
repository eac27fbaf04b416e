/**
 * A CommonJS bundle compiled with a V8 code cache, so a start reads its functions' bytecode instead
 * of parsing and compiling the whole bundle: kubefilec's start (cli/src/start.cts) and the language
 * server's (start.cts) use it. Node 20 has no module.enableCompileCache and does not cache ES
 * modules; a vm.Script's cachedData is that cache by hand, hence CommonJS bundles and entries.
 *
 * A build makes the caches next to the bundle (a profile each: the point of a run a cache was taken
 * at, as V8 loads a cache whole and a start pays for all it holds). A cache holds for one V8 and its
 * flags, so its name carries the Node version (and a hash of node's options when there are any).
 * When it is missing, the program runs without it and then writes one: next to the bundle, or, when
 * the install is read-only, in the user's cache directory ($XDG_CACHE_HOME/<name> or
 * ~/.cache/<name>) under the bundle's content hash, as V8 checks only the length of the source a
 * cache was made from. A cache V8 rejects is written again where it was read. A cache never fails a
 * start: any error reading or writing one is ignored. KUBEFILEC_CODE_CACHE=off runs without one.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';

/**
 * The bundle runs as a CommonJS module; an `import()` of an ES module left outside it is turned into
 * a call of the last parameter by the bundling, as a vm.Script has no module loader of its own
 * without an experimental flag. The cache is made from this text, so the build and every start wrap
 * the bundle the same way.
 */
const WRAPPER_START = '(function (exports, require, module, __filename, __dirname, __kubefileImport) {';
const WRAPPER_END = '\n})';

export type CacheState = 'accepted' | 'rejected' | 'missing' | 'off';

export interface CodeCacheOptions {
  /** The CommonJS bundle (ASCII only: it is read as latin1, a copy, where UTF-8 would be decoded). */
  bundle: string;
  /** Which of the bundle's caches: named after the point of a run it is taken at. */
  profile: string;
  /** The directory under the user's cache directory for caches that cannot go next to the bundle. */
  userCacheName: string;
  /** False: compile without a cache (default: unless KUBEFILEC_CODE_CACHE=off). */
  useCache?: boolean;
}

export interface LoadedBundle<Exports> {
  exports: Exports;
  /** Whether V8 took a cache; when it did not, `saveCodeCache` writes one. */
  cache: CacheState;
  /** The cache file read (when there was one), else where to write one first. */
  cacheFile: string;
  options: CodeCacheOptions;
  script: Script;
  source: string;
}

/** SHA-256, hex: node:crypto is loaded only when asked (it costs a start ~5 ms). */
function sha256(text: string): string {
  return (require('node:crypto') as typeof import('node:crypto')).createHash('sha256').update(text).digest('hex');
}

/** What a cache is valid for besides the source: the Node version (its V8) and node's options (V8 flags among them). */
function cacheKey(): string {
  const options = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].join(' ').trim();
  return options === '' ? process.version : `${process.version}-${sha256(options).slice(0, 12)}`;
}

/** The cache file next to the bundle, for this Node. */
export function bundleCacheFile(bundle: string, profile: string): string {
  return `${bundle}.${cacheKey()}.${profile}.cache`;
}

/** The user's cache directory's file for this bundle text and Node, or undefined when there is no home. */
function userCacheFile(source: string, { profile, userCacheName }: CodeCacheOptions): string | undefined {
  const base = process.env.XDG_CACHE_HOME || (homedir() ? join(homedir(), '.cache') : '');
  if (base === '') return undefined;
  const digest = sha256(source).slice(0, 32);
  return join(base, userCacheName, `${digest}.${cacheKey()}.${profile}.cache`);
}

function readCache(file: string | undefined): Buffer | undefined {
  if (file === undefined) return undefined;
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

/** Compiles and runs the bundle (its module level) with its code cache; `importModule` serves its import() calls. */
export function loadBundle<Exports>(options: CodeCacheOptions, importModule: (specifier: string) => Promise<unknown> = (specifier) => import(specifier)): LoadedBundle<Exports> {
  const { bundle, profile, useCache = process.env.KUBEFILEC_CODE_CACHE !== 'off' } = options;
  const source = readFileSync(bundle, 'latin1');
  let cacheFile = bundleCacheFile(bundle, profile);
  let cachedData = useCache ? readCache(cacheFile) : undefined;
  if (useCache && cachedData === undefined) {
    const userFile = userCacheFile(source, options);
    cachedData = readCache(userFile);
    if (cachedData !== undefined && userFile !== undefined) cacheFile = userFile;
  }
  const script = new Script(WRAPPER_START + source + WRAPPER_END, { filename: bundle, ...(cachedData ? { cachedData } : {}) });
  const cache: CacheState = !useCache ? 'off' : cachedData === undefined ? 'missing' : script.cachedDataRejected ? 'rejected' : 'accepted';
  const module = { exports: {} as Exports };
  const run = script.runInThisContext() as (exports: object, require: NodeJS.Require, module: object, filename: string, dirname: string, importModule: (specifier: string) => Promise<unknown>) => void;
  run(module.exports as object, createRequire(bundle), module, bundle, dirname(bundle), importModule);
  return { exports: module.exports, cache, cacheFile, options, script, source };
}

/** Writes `data` to `file` whole or not at all (a start reading it meanwhile sees the old one or none). */
function writeWhole(file: string, data: Buffer): void {
  const partial = `${file}.${process.pid}.partial`;
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(partial, data);
    renameSync(partial, file);
  } catch (error) {
    rmSync(partial, { force: true });
    throw error;
  }
}

/**
 * Writes the cache of what has run so far (the bytecode of every function compiled since the start):
 * a rejected one where it was read; a missing one next to the bundle, else in the user's cache
 * directory. Returns where, or undefined when nowhere could be written.
 */
export function saveCodeCache(loaded: LoadedBundle<unknown>): string | undefined {
  const data = loaded.script.createCachedData();
  const targets = loaded.cache === 'rejected' ? [loaded.cacheFile] : [loaded.cacheFile, userCacheFile(loaded.source, loaded.options)];
  for (const target of targets) {
    if (target === undefined) continue;
    try {
      writeWhole(target, data);
      return target;
    } catch {
      // A read-only install, a full disk: the next place, or none.
    }
  }
  return undefined;
}

/** Writes the cache when the start had none or V8 rejected it; never throws (a cache is never a start's failure). */
export function saveMissingCodeCache(loaded: LoadedBundle<unknown>): void {
  if (loaded.cache !== 'missing' && loaded.cache !== 'rejected') return;
  try {
    saveCodeCache(loaded);
  } catch {
    // Never a failure of the program.
  }
}
