/**
 * The language server's bench in its tiny mode (BENCH_SMOKE=1), as `npm run bench` starts it, so a
 * broken bench fails CI: it must exit 0 and print the table with our server, the peer
 * (dockerfile-language-server-nodejs) and the ratios.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bench = join(dirname(fileURLToPath(import.meta.url)), '../bench/edit.bench.js');
const BENCH_TIMEOUT_MS = 60_000;

describe('language server bench, smoke mode (BENCH_SMOKE=1)', function () {
  this.timeout(BENCH_TIMEOUT_MS + 10_000);

  it('edit.bench: our server against dockerfile-language-server-nodejs, with the ratios', async () => {
    const out = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, [bench], { env: { ...process.env, BENCH_SMOKE: '1' }, timeout: BENCH_TIMEOUT_MS }, (error, stdout, stderr) => {
        if (error) reject(new Error(`edit.bench failed (${error.message.split('\n')[0]}):\n${stdout}${stderr}`));
        else resolve(stdout);
      });
    });
    assert.match(out, /^BENCH_SMOKE=1: /m);
    assert.match(out, /^\| server +\| start +\| open +\| edit p50 +\| edit p95 +\| memory +\|$/m);
    assert.match(out, /^\| kubefile-language-server \(ours\) +\|( +\d+(\.\d)? (ms|MB) \|){5}$/m);
    assert.match(out, /^\| dockerfile-language-server-nodejs +\|( +\d+(\.\d)? (ms|MB) \|){5}$/m);
    assert.match(out, /^ours vs dockerfile-language-server: start \d+\.\dx, open \d+\.\dx, edit p50 \d+\.\dx, edit p95 \d+\.\dx faster$/m);
    assert.match(out, /^targets: start < 150 ms (PASS|MISS), open < 50 ms (PASS|MISS), edit p95 < 10 ms (PASS|MISS), memory < 150 MB (PASS|MISS)$/m);
  });
});
