/**
 * The compiler's benches in their tiny mode (BENCH_SMOKE=1), each as the process `npm run bench`
 * starts, so a broken bench fails CI: it must exit 0 and print its tables with our tools, the peers
 * (dockerfile-ast, dockerfile-utils; parse for compile) and the ratios.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const benches = join(dirname(fileURLToPath(import.meta.url)), '../bench');
const BENCH_TIMEOUT_MS = 60_000;

/** Runs a compiled bench in smoke mode; its output, or an error with it. */
function runSmoke(bench: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [join(benches, bench)], { env: { ...process.env, BENCH_SMOKE: '1' }, timeout: BENCH_TIMEOUT_MS, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${bench} failed (${error.message.split('\n')[0]}):\n${stdout}${stderr}`));
      else resolve(stdout);
    });
  });
}

describe('compiler benches, smoke mode (BENCH_SMOKE=1)', function () {
  this.timeout(BENCH_TIMEOUT_MS + 10_000);

  it('lint.bench: our parse and lint against dockerfile-ast and dockerfile-utils, with the ratios', async () => {
    const out = await runSmoke('lint.bench.js');
    assert.match(out, /^BENCH_SMOKE=1: /m);
    assert.match(out, /^ lines +kB +tool +median ms +min ms +MB\/s +runs +result$/m);
    for (const tool of ['kubefile parse', 'kubefile lint', 'dockerfile-ast parse', 'dockerfile-utils validate']) {
      assert.match(out, new RegExp(`^ +300 +[\\d.]+ +${tool} +\\d+\\.\\d\\d +\\d+\\.\\d\\d `, 'm'), tool);
    }
    assert.match(out, /^ lines +dockerfile-ast \/ our parse +dockerfile-utils \/ our lint +dockerfile-ast \/ our lint$/m);
    assert.match(out, /^ +300 +\d+\.\dx +\d+\.\dx +\d+\.\dx$/m);
  });

  it('compile.bench: compile against parse on the same text, with the compile/parse ratio', async () => {
    const out = await runSmoke('compile.bench.js');
    assert.match(out, /^BENCH_SMOKE=1: /m);
    assert.match(out, /^ lines +parse +compile +compile, portable sha256 +compile, context +compile, 2 platforms, context +compile\/parse$/m);
    assert.match(out, /^ +300( +\d+\.\d ms){5} +\d+\.\d\dx$/m);
  });
});
