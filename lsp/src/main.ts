/**
 * The entry of the server's bundle (dist/kubefile-language-server.cjs, scripts/bundle.mjs), which
 * the start (start.cts) runs with its code cache and then starts the server from. The bundle holds
 * the runtime too, so the compiler is loaded once; the runtime's layer writer starts worker threads
 * on the bundle's own file, and in such a thread this loads the runtime, whose module then serves
 * the worker.
 */
import { isMainThread } from 'node:worker_threads';

export { startServer } from './server.js';

if (!isMainThread) void import('@kubefile/runtime');
