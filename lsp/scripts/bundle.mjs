/**
 * Bundles the language server into one file (dist/kubefile-language-server.mjs), so it starts in a
 * tenth of the time. The runtime stays outside: the server loads it only for builds and image
 * hovers, and it starts worker threads from its own files.
 *
 *   node lsp/scripts/bundle.mjs      (run by `npm run build`, after tsc)
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleNode } from '../../scripts/bundle-node.mjs';

const lsp = join(dirname(fileURLToPath(import.meta.url)), '..');
await bundleNode(join(lsp, 'dist/src/main.js'), join(lsp, 'dist/kubefile-language-server.mjs'), {});
