/**
 * Bundles kubefilec into one file (dist/kubefilec.cjs), as the language server is: every command
 * starts about half a second sooner. Then makes its V8 code caches (cli/src/start.cts), so a start
 * does not compile the bundle either.
 *
 * CommonJS, minified, ASCII only: cli/src/start.cts compiles it as a vm.Script with the cache, and
 * reads it as latin1. The runtime and the language server stay outside: the runtime starts worker
 * threads from its own files, and the server is a bundle of its own; both are ES modules, loaded by
 * import(), which the bundle gets from its start (a vm.Script has no module loader of its own).
 * Only the runtime's build-log and store catalogue are inside (INSIDE).
 *
 *   node cli/scripts/bundle.mjs      (run by `npm run build`, after tsc)
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleNode, CHEVROTAIN_LEXER_PATCH } from '../../scripts/bundle-node.mjs';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(cli, 'dist');
const bundle = join(dist, 'kubefilec.cjs');

/**
 * What of the runtime is inside: its build-log, and the store catalogue lint reads for FROM checks
 * (an ES module import of it cost a lint ~35 ms; the part that reads layers stays outside).
 */
const INSIDE = new Set(['@kubefile/runtime/build-log', '@kubefile/runtime/catalog']);

/** The runtime and the language server outside the bundle, but for what INSIDE names. */
const runtimeOutside = {
  name: 'runtime-outside',
  setup(build) {
    build.onResolve({ filter: /^@kubefile\/(runtime|lsp)(\/|$)/ }, ({ path }) => (INSIDE.has(path) ? undefined : { path, external: true }));
  },
};

/** kubefilec's own startup patch; the grammar's lexer one is shared with the language server. */
const COMMANDER_PATCH = {
  file: /[\\/]node_modules[\\/]commander[\\/]lib[\\/]command\.js$/,
  why: 'Loaded to run executable subcommands only, and kubefilec has none (~4 ms of every start).',
  from: "const childProcess = require('node:child_process');",
  to: "const childProcess = { spawn: (...args) => require('node:child_process').spawn(...args) };",
};

// Old caches first: one left beside a new bundle of the same length would be taken by V8.
for (const name of readdirSync(dist)) if (/^kubefilec\.(cjs\..*cache|cjs\..*partial|mjs)$/.test(name)) rmSync(join(dist, name));

const servedImports = await bundleNode(join(dist, 'src/main.js'), bundle, { forCodeCache: true, plugins: [runtimeOutside], patches: [COMMANDER_PATCH, CHEVROTAIN_LEXER_PATCH] });
if (!servedImports) throw new Error(`${bundle}: no import() of the runtime or the language server found; was the bundle changed?`);
// For build nodes: one ES module file with the runtime inside (its tar workers start this file), so a
// node needs only Node.js. The language server stays out: `kubefilec lsp` is not a node's job.
await bundleNode(join(dist, 'src/node-main.js'), join(dist, 'kubefilec-node.mjs'), { external: ['@kubefile/lsp', '@kubefile/lsp/*'], minify: true, patches: [COMMANDER_PATCH, CHEVROTAIN_LEXER_PATCH] });
// The start, with the code cache module (@kubefile/lsp/code-cache) inside: it resolves no package.
await bundleNode(join(dist, 'src/start.cjs'), join(dist, 'kubefilec-start.cjs'), { format: 'cjs' });

// The code cache, made by a Node without options (as kubefilec starts), after a --version and a lint.
const { NODE_OPTIONS: _ignored, ...env } = process.env;
execFileSync(process.execPath, [join(cli, 'scripts/make-code-cache.cjs')], { env, stdio: 'inherit' });
