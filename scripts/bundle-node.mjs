/**
 * One file for Node from a compiled entry point (the language server, kubefilec, the VS Code
 * extension's parts): loading the compiler's modules one by one (chevrotain alone is hundreds of
 * small files) costs about half a second at start; one file loads in a tenth of that. `external`
 * packages stay outside (the runtime starts worker threads from its own files). ES modules by
 * default; `format: 'cjs'` for the extension, which VS Code loads with require(), and for the
 * bundles started from a V8 code cache (`forCodeCache`, lsp/src/code-cache.cts).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { build } from 'esbuild';

// CommonJS dependencies (vscode-languageserver, commander) call require() for Node's modules: an ES module bundle needs one.
const ESM = {
  format: 'esm',
  banner: { js: "import { createRequire as __kubefileCreateRequire } from 'node:module'; const require = __kubefileCreateRequire(import.meta.url);" },
};
// CommonJS has no import.meta: the modules that use import.meta.url (the runtime's layer workers
// start on their own file) get the bundle's own URL instead, made when asked (not at every start).
const CJS = {
  format: 'cjs',
  banner: { js: "const __kubefileBundle = { get url() { return require('node:url').pathToFileURL(__filename).href; } };" },
  define: { 'import.meta.url': '__kubefileBundle.url' },
};

/**
 * An exact edit of a dependency as it is bundled, leaving out work a start does not need. It must
 * find its text once, or the build fails: a new version of the dependency is to be looked at again.
 * @typedef {{ file: RegExp, from: string, to: string, why: string }} StartupPatch
 */

/** @type {StartupPatch} */
export const CHEVROTAIN_LEXER_PATCH = {
  file: /[\\/]node_modules[\\/]chevrotain[\\/]lib[\\/]src[\\/]scan[\\/]lexer\.js$/,
  why: "A 65,536-entry table only the first-character optimizations read, and the grammar's lexer runs in safeMode, without them (~5 ms of every start that parses).",
  from: 'tracer("initCharCodeToOptimizedIndexMap", () => {',
  to: 'if (!options.safeMode) tracer("initCharCodeToOptimizedIndexMap", () => {',
};

/** @param {StartupPatch[]} patches */
function startupPatches(patches) {
  return {
    name: 'startup-patches',
    setup(build) {
      for (const { file, from, to } of patches) {
        build.onLoad({ filter: file }, async ({ path }) => {
          const text = await readFile(path, 'utf8');
          if (text.split(from).length !== 2) throw new Error(`${path}: expected "${from}" once; look at this startup patch again (scripts/bundle-node.mjs)`);
          return { contents: text.replace(from, to), loader: 'js' };
        });
      }
    },
  };
}

/**
 * Makes a CommonJS bundle fit for lsp/src/code-cache.cts: its import() of the toolkit's ES modules
 * left outside become calls of the start's importer (a vm.Script cannot run import()), and it must be
 * ASCII (the start reads it as latin1).
 */
function prepareForCodeCache(outfile) {
  const text = readFileSync(outfile, 'utf8');
  const rewritten = text.replace(/\bimport\((?="@kubefile\/)/g, '__kubefileImport(');
  if (/\bimport\(/.test(rewritten)) throw new Error(`${outfile}: an import() the start cannot serve is left`);
  if (/\brequire\("@kubefile\//.test(rewritten)) throw new Error(`${outfile}: requires an ES module of the toolkit, which Node 20 cannot`);
  // eslint-disable-next-line no-control-regex
  const nonAscii = /[^\x00-\x7f]/.exec(rewritten);
  if (nonAscii) throw new Error(`${outfile}: not ASCII at ${nonAscii.index} (the start reads it as latin1)`);
  writeFileSync(outfile, rewritten);
  return rewritten !== text;
}

/**
 * @param {{ external?: string[], format?: 'esm' | 'cjs', minify?: boolean, alias?: Record<string, string>, plugins?: import('esbuild').Plugin[], patches?: StartupPatch[], forCodeCache?: boolean }} options
 * `forCodeCache`: CommonJS, minified (names not kept), ASCII, started by lsp/src/code-cache.cts. Returns, for such a
 * bundle, whether it has import() calls the start serves.
 */
export async function bundleNode(entry, outfile, { external = [], format = 'esm', minify = false, alias, plugins = [], patches = [], forCodeCache = false } = {}) {
  const cjs = format === 'cjs' || forCodeCache;
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    ...(cjs ? CJS : ESM),
    external,
    // keepNames sets the name of every named closure as it is made: on the editing path that tripled the
    // language server's edit times. The code-cache bundles go without it (nothing of theirs reads a
    // function's name: error classes set theirs, Chevrotain's grammar name only labels its messages).
    ...(forCodeCache ? { minify: true } : minify ? { minify: true, keepNames: true } : {}),
    ...(alias ? { alias } : {}),
    plugins: patches.length > 0 ? [...plugins, startupPatches(patches)] : plugins,
    logLevel: 'warning',
  });
  return forCodeCache ? prepareForCodeCache(outfile) : false;
}
