/**
 * kubefilec in the extension's bundle (dist/kubefilec.cjs), which `kubefile` tasks run. As in the
 * server's bundle, a worker thread started on this file loads the runtime, which serves it.
 */
import { isMainThread } from 'node:worker_threads';
import { runProcess } from '@kubefile/cli/main';

if (isMainThread) void runProcess();
else void import('@kubefile/runtime');
