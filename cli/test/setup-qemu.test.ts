/** `kubefilec setup-qemu` on the real kernel: register, status, idempotence, remove (the host is left as found). */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readBinfmtHandler, registerQemuHandlers, removeQemuHandlers } from '@kubefile/runtime';

const repo = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const bin = join(repo, 'cli/bin/kubefilec.js');

function kubefilec(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }));
  });
}

describe('kubefilec setup-qemu', function () {
  this.timeout(60_000);
  let entryBefore = false;
  before(async () => {
    entryBefore = (await removeQemuHandlers(['riscv64'])).length > 0;
  });
  after(async () => {
    await removeQemuHandlers(['riscv64']);
    if (entryBefore) await registerQemuHandlers(['riscv64']);
  });

  it('registers the entry with the fix-binary flag, says so once, and removes it', async () => {
    let r = await kubefilec(['setup-qemu', '--status', '--platform', 'linux/riscv64']);
    assert.deepEqual([r.code, r.stdout], [0, 'riscv64: no entry (qemu-riscv64)\n']);

    r = await kubefilec(['setup-qemu', '--platform', 'linux/riscv64']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^riscv64: registered \(\/\S+, fix-binary\)\n$/);
    const entry = await readBinfmtHandler('riscv64');
    assert.ok(entry?.enabled && entry.flags.includes('F'), JSON.stringify(entry));

    r = await kubefilec(['setup-qemu', '--platform', 'riscv64']);
    assert.match(r.stderr, /^riscv64: already registered/);
    r = await kubefilec(['setup-qemu', '--status', '--platform', 'riscv64']);
    assert.match(r.stdout, /^riscv64: qemu-riscv64 enabled, flags \w*F\w*, \//);

    r = await kubefilec(['setup-qemu', '--remove', '--platform', 'riscv64']);
    assert.deepEqual([r.code, r.stderr], [0, 'Removed the binfmt_misc entries for riscv64\n']);
    assert.equal(await readBinfmtHandler('riscv64'), undefined);
  });

  it('the host architecture is never registered; a bad platform is a usage error', async () => {
    const r = await kubefilec(['setup-qemu', '--status', '--platform', 'linux/amd64']);
    assert.deepEqual([r.code, r.stdout], [0, '']);
    const bad = await kubefilec(['setup-qemu', '--platform', 'linux/']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^kubefilec: error: invalid platform/);
  });

  it('has --help with an example; build --help names --isolation and --network', async () => {
    const help = await kubefilec(['setup-qemu', '--help']);
    assert.match(help.stdout, /^Usage: kubefilec setup-qemu /m);
    assert.match(help.stdout, /Examples:\n  kubefilec setup-qemu --platform linux\/arm64/);
    const build = await kubefilec(['build', '--help']);
    assert.match(build.stdout, /--isolation <KIND>/);
    assert.match(build.stdout, /--network <MODE>/);
  });
});
