/** The language server's process entry: the bin script and `kubefilec lsp` run this (bundled, see scripts/bundle.mjs). */
import { startServer } from './server.js';

await startServer();
