/**
 * Bundles kubefilec into one file (dist/kubefilec.mjs), as the language server is: every command
 * starts about half a second sooner. The runtime and the language server stay outside: the runtime
 * starts worker threads from its own files, and the server is a bundle of its own.
 *
 *   node cli/scripts/bundle.mjs      (run by `npm run build`, after tsc)
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleNode } from '../../scripts/bundle-node.mjs';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..');
await bundleNode(join(cli, 'dist/src/main.js'), join(cli, 'dist/kubefilec.mjs'), { external: ['@kubefile/runtime', '@kubefile/runtime/*', '@kubefile/lsp', '@kubefile/lsp/*'] });
