/**
 * kubefilec's start bench in its tiny mode (BENCH_SMOKE=1), as `npm run bench` starts it, so a broken
 * bench fails CI: it must exit 0 and print the table (node's floor, our commands, the dockerfile-utils
 * peer), the ratios and the targets.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bench = join(dirname(fileURLToPath(import.meta.url)), '../bench/start.bench.js');
const BENCH_TIMEOUT_MS = 60_000;

describe('kubefilec bench, smoke mode (BENCH_SMOKE=1)', function () {
  this.timeout(BENCH_TIMEOUT_MS + 10_000);

  it('start.bench: our commands as whole processes against node -e 0 and dockerfile-utils, with the ratios and targets', async () => {
    const out = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, [bench], { env: { ...process.env, BENCH_SMOKE: '1' }, timeout: BENCH_TIMEOUT_MS }, (error, stdout, stderr) => {
        if (error) reject(new Error(`start.bench failed (${error.message.split('\n')[0]}):\n${stdout}${stderr}`));
        else resolve(stdout);
      });
    });
    assert.match(out, /^BENCH_SMOKE=1: /m);
    assert.match(out, /^\| command +\| +median \| +min \| minus node -e 0 \|$/m);
    const row = (name: string, overFloor = true): RegExp => new RegExp(`^\\| ${name.replace(/[().]/g, '\\$&')} +\\| +\\d+ ms \\| +\\d+ ms \\| +${overFloor ? '-?\\d+ ms' : '-'} \\|$`, 'm');
    assert.match(out, row("node -e 0 (node's own start)", false));
    for (const name of ['kubefilec --version', 'kubefilec --version, no code cache', 'kubefilec lint, 2 lines', 'kubefilec lint, 300 lines', 'dockerfile-utils --version', 'dockerfile-utils lint, 2 lines', 'dockerfile-utils lint, 300 lines']) {
      assert.match(out, row(name), name);
    }
    for (const name of ['kubefilec --version', 'kubefilec lint, 2 lines', 'kubefilec lint, 300 lines']) {
      assert.match(out, new RegExp(`^\\| ${name} +\\| +\\d+\\.\\d\\dx \\| +\\d+\\.\\d\\dx \\| +(\\d+\\.\\d\\dx|-) \\|$`, 'm'), `${name} ratios`);
    }
    assert.match(out, /^(PASS|MISS) {2}kubefilec --version < 80 ms \(\d+ ms; -?\d+ ms over node -e 0 at \d+ ms\)$/m);
    assert.match(out, /^(PASS|MISS) {2}kubefilec lint, 2 lines < 120 ms /m);
    assert.match(out, /^(PASS|MISS) {2}kubefilec lint, 300 lines < 400 ms /m);
    assert.match(out, /^hadolint: not installed$|^\| hadolint, 2 lines /m);
  });
});
