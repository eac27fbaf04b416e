/**
 * Bundles kubefilec into one file (dist/kubefilec.cjs), as the language server is: every command
 * starts about half a second sooner. Then makes its V8 code caches (cli/src/start.cts), so a start
 * does not compile the bundle either.
 *
 * CommonJS, minified, ASCII only: cli/src/start.cts compiles it as a vm.Script with the cache, and
 * reads it as latin1. The runtime and the language server stay outside: the runtime starts worker
 * threads from its own files, and the server is a bundle of its own; both are ES modules, loaded by
 * import(), which the bundle gets from its start (a vm.Script has no module loader of its own).
 * Only the runtime's build-log (formatting, no imports, no classes) is inside.
 *
 *   node cli/scripts/bundle.mjs      (run by `npm run build`, after tsc)
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleNode } from '../../scripts/bundle-node.mjs';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(cli, 'dist');
const bundle = join(dist, 'kubefilec.cjs');

/** The runtime and the language server outside the bundle, but for the runtime's build-log. */
const runtimeOutside = {
  name: 'runtime-outside',
  setup(build) {
    build.onResolve({ filter: /^@kubefile\/(runtime|lsp)(\/|$)/ }, ({ path }) => (path === '@kubefile/runtime/build-log' ? undefined : { path, external: true }));
  },
};

/**
 * Exact edits of dependencies as they are bundled, each leaving out work a start does not need. Each
 * must find its text, or the build fails: a new version of the dependency is to be looked at again.
 */
const STARTUP_PATCHES = [
  {
    file: /[\\/]node_modules[\\/]commander[\\/]lib[\\/]command\.js$/,
    // Loaded to run executable subcommands only, and kubefilec has none (~4 ms of every start).
    from: "const childProcess = require('node:child_process');",
    to: "const childProcess = { spawn: (...args) => require('node:child_process').spawn(...args) };",
  },
  {
    file: /[\\/]node_modules[\\/]chevrotain[\\/]lib[\\/]src[\\/]scan[\\/]lexer\.js$/,
    // A 65,536-entry table only the first-character optimizations read, and the grammar's lexer runs
    // in safeMode, without them (~5 ms of every start that parses).
    from: 'tracer("initCharCodeToOptimizedIndexMap", () => {',
    to: 'if (!options.safeMode) tracer("initCharCodeToOptimizedIndexMap", () => {',
  },
];

const startupPatches = {
  name: 'startup-patches',
  setup(build) {
    for (const { file, from, to } of STARTUP_PATCHES) {
      build.onLoad({ filter: file }, async ({ path }) => {
        const text = await readFile(path, 'utf8');
        if (text.split(from).length !== 2) throw new Error(`${path}: expected "${from}" once; look at this patch again (cli/scripts/bundle.mjs)`);
        return { contents: text.replace(from, to), loader: 'js' };
      });
    }
  },
};

// Old caches first: one left beside a new bundle of the same length would be taken by V8.
for (const name of readdirSync(dist)) if (/^kubefilec\.(cjs\..*cache|cjs\..*partial|mjs)$/.test(name)) rmSync(join(dist, name));

await bundleNode(join(dist, 'src/main.js'), bundle, { format: 'cjs', minify: true, plugins: [runtimeOutside, startupPatches] });

const text = readFileSync(bundle, 'utf8');
// import() of the runtime and the server: the start's importer (a vm.Script cannot run import()).
const rewritten = text.replace(/\bimport\((?="@kubefile\/)/g, '__kubefileImport(');
if (rewritten === text) throw new Error(`${bundle}: no import() of the runtime or the language server found; was the bundle changed?`);
if (/\bimport\(/.test(rewritten)) throw new Error(`${bundle}: an import() the start cannot serve is left`);
if (/\brequire\("@kubefile\//.test(rewritten)) throw new Error(`${bundle}: requires an ES module of the toolkit, which Node 20 cannot`);
// eslint-disable-next-line no-control-regex
const nonAscii = /[^\x00-\x7f]/.exec(rewritten);
if (nonAscii) throw new Error(`${bundle}: not ASCII at ${nonAscii.index} (the start reads it as latin1)`);
writeFileSync(bundle, rewritten);

// The code cache, made by a Node without options (as kubefilec starts), after a --version and a lint.
const { NODE_OPTIONS: _ignored, ...env } = process.env;
execFileSync(process.execPath, [join(cli, 'scripts/make-code-cache.cjs')], { env, stdio: 'inherit' });
