/**
 * kubefilec's start (cli/bin/kubefilec.js): the bundle, dist/kubefilec.cjs, compiled with a V8 code
 * cache, so a start reads its functions' bytecode instead of parsing and compiling the whole bundle.
 * Node 20 has no module.enableCompileCache and does not cache ES modules; a vm.Script's cachedData is
 * that cache by hand, hence a CommonJS bundle and entry (an ES module entry alone costs ~10 ms).
 *
 * `npm run build` makes the caches next to the bundle (cli/scripts/bundle.mjs): one after a --version,
 * for most commands, and one after a lint too, for the commands that compile a Kubefile, which holds
 * the compiler's functions as well but is more than three times the size: V8 loads a cache whole, so
 * --version would pay for it. A cache holds for one V8 and its flags, so its name carries the Node
 * version (and a hash of node's options when there are any). When it is missing, the command
 * runs without it and then writes one: next to the bundle, or, when the install is read-only, in the
 * user's cache directory ($XDG_CACHE_HOME/kubefilec or ~/.cache/kubefilec) under the bundle's content
 * hash, as V8 checks only the length of the source a cache was made from. A cache V8 rejects is
 * written again where it was read. A cache never fails a command: any error reading or writing one
 * is ignored. KUBEFILEC_CODE_CACHE=off runs without it (the start bench shows what it saves).
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';
import type * as Main from './main.js' with { 'resolution-mode': 'import' };

/** What the bundle exports: cli/src/main.ts. */
export type BundleExports = Pick<typeof Main, 'main' | 'runProcess' | 'VERSION'>;

export const BUNDLE = join(__dirname, '../kubefilec.cjs');

/**
 * The bundle runs as a CommonJS module; its `import()` of the runtime and the language server (ES
 * modules) are turned into calls of the last parameter by the bundling, as a vm.Script has no module
 * loader of its own without an experimental flag. The cache is made from this text, so both the
 * build and every start wrap the bundle the same way.
 */
const WRAPPER_START = '(function (exports, require, module, __filename, __dirname, __kubefileImport) {';
const WRAPPER_END = '\n})';

export type CacheState = 'accepted' | 'rejected' | 'missing' | 'off';

/** Which cache a start takes: `compiler` for the commands that compile a Kubefile, `base` for the rest. */
export type CacheProfile = 'base' | 'compiler';

const COMPILING_COMMANDS = new Set(['lint', 'parse', 'compile', 'build']);

/** The profile for a command line (its first word that is not an option names the command). */
export function cacheProfileFor(argv: readonly string[]): CacheProfile {
  const command = argv.find((arg) => !arg.startsWith('-'));
  return command !== undefined && COMPILING_COMMANDS.has(command) ? 'compiler' : 'base';
}

export interface LoadedBundle {
  exports: BundleExports;
  /** Whether V8 took a cache; when it did not, `saveCodeCache` writes one. */
  cache: CacheState;
  /** The cache file read (when there was one), else where to write one first. */
  cacheFile: string;
  profile: CacheProfile;
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
export function bundleCacheFile(bundle: string, profile: CacheProfile): string {
  return `${bundle}.${cacheKey()}.${profile}.cache`;
}

/** The user's cache directory's file for this bundle text and Node, or undefined when there is no home. */
function userCacheFile(source: string, profile: CacheProfile): string | undefined {
  const base = process.env.XDG_CACHE_HOME || (homedir() ? join(homedir(), '.cache') : '');
  if (base === '') return undefined;
  const digest = sha256(source).slice(0, 32);
  return join(base, 'kubefilec', `${digest}.${cacheKey()}.${profile}.cache`);
}

function readCache(file: string | undefined): Buffer | undefined {
  if (file === undefined) return undefined;
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

export interface LoadOptions {
  bundle?: string;
  profile?: CacheProfile;
  /** False: compile without a cache (default: unless KUBEFILEC_CODE_CACHE=off). */
  useCache?: boolean;
}

/** Compiles and runs the bundle (its module level), with the profile's code cache. */
export function loadBundle({ bundle = BUNDLE, profile = 'base', useCache = process.env.KUBEFILEC_CODE_CACHE !== 'off' }: LoadOptions = {}): LoadedBundle {
  // ASCII only (cli/scripts/bundle.mjs checks): read as latin1, a copy, where UTF-8 would be decoded.
  const source = readFileSync(bundle, 'latin1');
  let cacheFile = bundleCacheFile(bundle, profile);
  let cachedData = useCache ? readCache(cacheFile) : undefined;
  if (useCache && cachedData === undefined) {
    const userFile = userCacheFile(source, profile);
    cachedData = readCache(userFile);
    if (cachedData !== undefined && userFile !== undefined) cacheFile = userFile;
  }
  const script = new Script(WRAPPER_START + source + WRAPPER_END, { filename: bundle, ...(cachedData ? { cachedData } : {}) });
  const cache: CacheState = !useCache ? 'off' : cachedData === undefined ? 'missing' : script.cachedDataRejected ? 'rejected' : 'accepted';
  const module = { exports: {} as BundleExports };
  const run = script.runInThisContext() as (exports: object, require: NodeJS.Require, module: object, filename: string, dirname: string, importModule: (specifier: string) => Promise<unknown>) => void;
  run(module.exports, createRequire(bundle), module, bundle, dirname(bundle), (specifier) => import(specifier));
  return { exports: module.exports, cache, cacheFile, profile, script, source };
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
export function saveCodeCache(loaded: LoadedBundle): string | undefined {
  const data = loaded.script.createCachedData();
  const targets = loaded.cache === 'rejected' ? [loaded.cacheFile] : [loaded.cacheFile, userCacheFile(loaded.source, loaded.profile)];
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

/** Runs kubefilec as this process; the code cache is written after the command when it was missing or rejected. */
export async function start(): Promise<void> {
  const loaded = loadBundle({ profile: cacheProfileFor(process.argv.slice(2)) });
  await loaded.exports.runProcess();
  if (loaded.cache === 'missing' || loaded.cache === 'rejected') {
    try {
      saveCodeCache(loaded);
    } catch {
      // Never a command's failure.
    }
  }
}
