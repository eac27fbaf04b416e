/**
 * Bundles the extension into three CommonJS files with esbuild, so the .vsix carries no
 * node_modules: dist/extension.cjs (the client VS Code loads; `vscode` is VS Code's own),
 * dist/server.cjs (the language server, runtime included, for builds and image hovers) and
 * dist/kubefilec.cjs (what `kubefile` tasks run).
 *
 *   node vscode-extension/scripts/bundle.mjs      (run by `npm run build`, after tsc)
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const extension = join(dirname(fileURLToPath(import.meta.url)), '..');

// CommonJS has no import.meta: the modules that use import.meta.url (the runtime's layer workers
// start on their own file) get this file's URL instead, which is the bundle's.
const importMetaUrl = {
  banner: { js: "const __kubefileBundleUrl = require('node:url').pathToFileURL(__filename).href;" },
  define: { 'import.meta.url': '__kubefileBundleUrl' },
};

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  keepNames: true,
  logLevel: 'warning',
  ...importMetaUrl,
};

await Promise.all([
  build({ ...common, entryPoints: [join(extension, 'dist/src/extension.js')], outfile: join(extension, 'dist/extension.cjs'), external: ['vscode'] }),
  build({ ...common, entryPoints: [join(extension, 'dist/src/server.js')], outfile: join(extension, 'dist/server.cjs') }),
  // `kubefilec lsp` loads the server's ES module bundle, whose top-level await CommonJS cannot hold: this one starts it the same way.
  build({ ...common, entryPoints: [join(extension, 'dist/src/kubefilec.js')], outfile: join(extension, 'dist/kubefilec.cjs'), alias: { '@kubefile/lsp/main': join(extension, 'dist/src/server.js') } }),
]);
