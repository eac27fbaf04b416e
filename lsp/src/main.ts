/**
 * The language server's process entry: the bin script and `kubefilec lsp` run this (bundled, see
 * scripts/bundle.mjs). The bundle holds the runtime too, so the compiler is loaded once; the
 * runtime's layer writer starts worker threads on the bundle's own file, and in such a thread this
 * loads the runtime, whose module then serves the worker, instead of a server.
 */
import { isMainThread } from 'node:worker_threads';
import { startServer } from './server.js';

if (isMainThread) await startServer();
else await import('@kubefile/runtime');
