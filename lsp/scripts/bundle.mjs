/**
 * Bundles the language server into one file (dist/kubefile-language-server.cjs), so it starts in a
 * tenth of the time, then makes its V8 code cache (src/start.cts), so a start does not compile the
 * bundle either. CommonJS, minified, ASCII only, for src/code-cache.cts. The runtime is inside: the
 * server loads it (its module level) only for builds and image hovers, and its layer writer starts
 * worker threads on this file, which Node then runs as a plain CommonJS module (src/main.ts).
 *
 *   node lsp/scripts/bundle.mjs      (run by `npm run build`, after tsc)
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleNode, CHEVROTAIN_LEXER_PATCH } from '../../scripts/bundle-node.mjs';

const lsp = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(lsp, 'dist');
const bundle = join(dist, 'kubefile-language-server.cjs');

/**
 * The server's own startup patches (the grammar's lexer one is shared with kubefilec): Node modules
 * its libraries load when they load, for what a start does not do. The compiler's Node side loads
 * node:crypto and node:child_process when first used too, so a start loads neither.
 */
const JSONRPC_CRYPTO_PATCH = {
  file: /[\\/]node_modules[\\/]vscode-jsonrpc[\\/]lib[\\/]node[\\/]main\.js$/,
  why: 'node:crypto names the pipes of the pipe transport only (~4 ms of every start).',
  from: 'const crypto_1 = require("crypto");',
  to: 'const crypto_1 = { randomBytes: (...args) => require("crypto").randomBytes(...args) };',
};
const LANGUAGESERVER_CHILD_PROCESS_PATCH = {
  file: /[\\/]node_modules[\\/]vscode-languageserver[\\/]lib[\\/]node[\\/]files\.js$/,
  why: 'node:child_process finds globally installed modules only, which the server never asks for.',
  from: 'const child_process_1 = require("child_process");',
  to: 'const child_process_1 = { fork: (...args) => require("child_process").fork(...args), spawnSync: (...args) => require("child_process").spawnSync(...args) };',
};

// Old caches first: one left beside a new bundle of the same length would be taken by V8.
for (const name of readdirSync(dist)) if (/^kubefile-language-server\.(cjs\..*cache|cjs\..*partial|mjs)$/.test(name)) rmSync(join(dist, name));

const servedImports = await bundleNode(join(dist, 'src/main.js'), bundle, { forCodeCache: true, patches: [CHEVROTAIN_LEXER_PATCH, JSONRPC_CRYPTO_PATCH, LANGUAGESERVER_CHILD_PROCESS_PATCH] });
// A worker thread runs this file as a plain CommonJS module, with no start to serve an import().
if (servedImports) throw new Error(`${bundle}: an import() of a module outside the bundle is left`);

// The code cache, made by a Node without options (as the server starts) from a real start.
const { NODE_OPTIONS: _ignored, ...env } = process.env;
execFileSync(process.execPath, [join(lsp, 'scripts/make-code-cache.mjs')], { env, stdio: 'inherit' });
