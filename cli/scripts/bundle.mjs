/**
 * Bundles kubefilec into one file (dist/kubefilec.mjs), as the language server is: loading the
 * compiler's modules one by one (chevrotain alone is hundreds of small files) costs about half a
 * second at every command; one file loads in a tenth of that. The runtime and the language server
 * stay outside: the runtime starts worker threads from its own files, and the server is a bundle
 * of its own.
 *
 *   node cli/scripts/bundle.mjs      (run by `npm run build`, after tsc)
 */
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..');

await build({
  entryPoints: [join(cli, 'dist/src/main.js')],
  outfile: join(cli, 'dist/kubefilec.mjs'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  external: ['@kubefile/runtime', '@kubefile/lsp', '@kubefile/lsp/*'],
  // commander is CommonJS: inside an ES module bundle its require() of Node's modules needs one.
  banner: { js: "import { createRequire as __kubefileCreateRequire } from 'node:module'; const require = __kubefileCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
