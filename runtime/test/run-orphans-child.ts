/**
 * A build for run-orphans.test: `node run-orphans-child.js STORE CONTEXT MOUNTER` builds CONTEXT's
 * Kubefile into the store at STORE with that mounter; the test kills it with SIGKILL while its RUN runs.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ImageStore, type BuildOptions } from '../src/index.js';
import { build } from './build-helpers.js';

const [storeRoot, context, mounter] = process.argv.slice(2);
const store = await ImageStore.open(storeRoot);
await build(store, context, await readFile(join(context, 'Kubefile'), 'utf8'), 'orphans:v1', ['linux/amd64'], { mounter: mounter as BuildOptions['mounter'] });
