/**
 * kubefilec as one file for build nodes (dist/kubefilec-node.mjs, cli/scripts/bundle.mjs): the
 * runtime inside, so a node needs only Node.js; `build --builder` copies it there and runs its
 * `node-agent`. The runtime's tar workers start this same file: they must not run the command line.
 */
import { isMainThread } from 'node:worker_threads';
import { runProcess } from './main.js';

if (isMainThread) await runProcess();
