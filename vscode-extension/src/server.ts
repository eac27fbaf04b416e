/**
 * The language server's entry in the extension's bundle (dist/server.cjs), started by the client
 * over Node IPC. The runtime's layer writer starts worker threads on the bundle's own file; in
 * such a thread this loads the runtime, whose module then serves the worker, instead of a server.
 */
import { isMainThread } from 'node:worker_threads';
import { startServer } from '@kubefile/lsp/server';

if (isMainThread) void startServer();
else void import('@kubefile/runtime');
