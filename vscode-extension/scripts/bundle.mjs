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
import { bundleNode } from '../../scripts/bundle-node.mjs';

const extension = join(dirname(fileURLToPath(import.meta.url)), '..');
const cjs = { format: 'cjs', minify: true };

await Promise.all([
  bundleNode(join(extension, 'dist/src/extension.js'), join(extension, 'dist/extension.cjs'), { ...cjs, external: ['vscode'] }),
  bundleNode(join(extension, 'dist/src/server.js'), join(extension, 'dist/server.cjs'), cjs),
  // `kubefilec lsp` calls startServer() of @kubefile/lsp/main, the server's own bundle and code cache: here, the server's module inside this one.
  bundleNode(join(extension, 'dist/src/kubefilec.js'), join(extension, 'dist/kubefilec.cjs'), { ...cjs, alias: { '@kubefile/lsp/main': '@kubefile/lsp/server' } }),
]);
