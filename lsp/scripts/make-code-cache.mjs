/**
 * Makes the language server's code cache next to its bundle (run by bundle.mjs, in a Node without
 * options as the server starts): starts the server as an editor would, with no cache, answers its
 * `initialize` and says `initialized`, at which point the start (src/start.cts) writes the missing
 * cache; then stops it, and fails unless the cache is there.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const lsp = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { BUNDLE, CACHE_PROFILE } = require('../dist/src/start.cjs');
const { bundleCacheFile } = require('../dist/src/code-cache.cjs');

const cache = bundleCacheFile(BUNDLE, CACHE_PROFILE);
rmSync(cache, { force: true });
// A cache that cannot go next to the bundle would go to the user's cache directory: here, one that is thrown away.
const userCache = mkdtempSync(join(tmpdir(), 'kubefile-lsp-cache-'));
const { KUBEFILEC_CODE_CACHE: _on, ...env } = process.env;
const server = spawn(process.execPath, [join(lsp, 'bin/kubefile-language-server.js'), '--stdio'], { env: { ...env, XDG_CACHE_HOME: userCache }, stdio: ['pipe', 'pipe', 'inherit'] });

const send = (message) => {
  const json = JSON.stringify({ jsonrpc: '2.0', ...message });
  server.stdin.write(`Content-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`);
};
let output = '';
server.stdout.on('data', (data) => (output += data));
/** The answer to request `id`, looked for in the output as it comes. */
const answered = (id) =>
  new Promise((resolve, reject) => {
    const look = () => {
      if (!new RegExp(`"id":${id}[,}]`).test(output)) return;
      server.stdout.off('data', look);
      resolve();
    };
    server.stdout.on('data', look);
    server.on('exit', (code) => reject(new Error(`the language server exited (${code}) before answering request ${id}`)));
  });

try {
  send({ id: 1, method: 'initialize', params: { processId: process.pid, rootUri: null, capabilities: {} } });
  await answered(1);
  send({ method: 'initialized', params: {} });
  // Messages are handled in order: when `shutdown` is answered, `initialized` was handled, and the cache written.
  send({ id: 2, method: 'shutdown' });
  await answered(2);
  send({ method: 'exit' });
  await new Promise((resolve) => (server.exitCode === null ? server.on('exit', resolve) : resolve()));
  if (!existsSync(cache)) throw new Error(`${cache}: the language server's start did not write its code cache`);
  console.log(`code cache: ${cache}`);
} catch (error) {
  server.kill();
  console.error(error);
  process.exitCode = 1;
} finally {
  rmSync(userCache, { recursive: true, force: true });
}
