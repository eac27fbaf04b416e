/**
 * Bundles the language server into one file (dist/kubefile-language-server.mjs). Loading the
 * compiled modules one by one costs about half a second at start (chevrotain alone is hundreds of
 * small files); one file loads in a tenth of that. The runtime stays outside: the server loads it
 * only for builds and image hovers, and it starts worker threads from its own files.
 *
 *   node lsp/scripts/bundle.mjs      (run by `npm run build`, after tsc)
 */
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const lsp = join(dirname(fileURLToPath(import.meta.url)), '..');

await build({
  entryPoints: [join(lsp, 'dist/src/main.js')],
  outfile: join(lsp, 'dist/kubefile-language-server.mjs'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  external: ['@kubefile/runtime'],
  // vscode-languageserver is CommonJS: inside an ES module bundle its require() of Node's modules needs one.
  banner: { js: "import { createRequire as __kubefileCreateRequire } from 'node:module'; const require = __kubefileCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
