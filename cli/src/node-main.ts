/**
 * kubefilec as one file for build nodes (dist/kubefilec-node.mjs, cli/scripts/bundle.mjs): the
 * runtime inside, so a node needs only Node.js; `build --builder` copies it there and runs its
 * `node-agent`. The runtime's tar workers start this same file: in such a thread this loads the
 * runtime, whose layer module then serves the worker, instead of running the command line.
 */
import { isMainThread } from 'node:worker_threads';
import { runProcess } from './main.js';

if (isMainThread) await runProcess();
else await import('@kubefile/runtime');
