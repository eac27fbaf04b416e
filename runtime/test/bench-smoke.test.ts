/**
 * The runtime's benches in their tiny mode (BENCH_SMOKE=1), each as the process `npm run bench`
 * starts, so a broken bench fails CI: it must exit 0 and print its table with our build, the peer
 * (tar | sha256sum, buildah, skopeo, a local build) and the ratio. Needs root, buildah, skopeo, docker-registry,
 * openssh-server and qemu-user-static (scripts/install-system-deps.sh); the benches' temporary files go to a
 * directory of this suite, which is unmounted and removed after, and the arm64 binfmt_misc entry
 * the RUN bench registers is checked to be gone again (emulation.test.ts expects the host as it was).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readBinfmtHandler, registerQemuHandlers, removeQemuHandlers, unmountUnder } from '../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '../../..');
const BENCH_TIMEOUT_MS = 150_000;

/** Runs a compiled bench in smoke mode with its temporary files under `tmp`; its output, or an error with it. */
function runSmoke(bench: string, tmp: string): Promise<string> {
  return new Promise((resolve, reject) => {
    // Its own process group: a bench that overruns is killed with the registry or buildah it started.
    const child = spawn(process.execPath, [join(here, '../bench', bench)], { env: { ...process.env, BENCH_SMOKE: '1', BENCH_VERBOSE: '', TMPDIR: tmp }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.pid && process.kill(-child.pid, 'SIGKILL'), BENCH_TIMEOUT_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else reject(new Error(`${bench} exited with ${code ?? signal}:\n${output}`));
    });
  });
}

/** A table row naming `name` and, further on, ratios such as `1.23x`. */
const rowWithRatio = (name: string): RegExp => new RegExp(`^\\| ${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*\\|\\s+\\d+\\.\\d\\dx\\s+\\|`, 'm');

describe('runtime benches, smoke mode (BENCH_SMOKE=1)', function () {
  this.timeout(BENCH_TIMEOUT_MS + 30_000);
  let tmp: string;
  let arm64Before: boolean;

  before(async () => {
    // The peers `npm run bench` installs (already there after scripts/setup.sh; fast when so).
    execFileSync(join(repo, 'scripts/install-bench-deps.sh'), { stdio: 'inherit' });
    tmp = await mkdtemp(join(tmpdir(), 'kubefile-bench-smoke-'));
    arm64Before = (await readBinfmtHandler('arm64')) !== undefined;
  });

  after(async () => {
    // A bench killed mid-run leaves its mounts and, for the RUN bench, the arm64 entry behind.
    await unmountUnder(tmp);
    await rm(tmp, { recursive: true, force: true });
    const arm64Now = (await readBinfmtHandler('arm64')) !== undefined;
    if (arm64Now && !arm64Before) await removeQemuHandlers(['arm64']);
    if (!arm64Now && arm64Before) await registerQemuHandlers(['arm64']);
  });

  it('build.bench: our build against the floor (tar | sha256sum) and buildah, with the ratios', async () => {
    const out = await runSmoke('build.bench.js', tmp);
    assert.match(out, /^BENCH_SMOKE=1: /m);
    assert.match(out, /^\| run +\| time +\| throughput +\| vs target/m);
    assert.match(out, /^\| tar -cf - \| sha256sum \(floor\) +\| +\d+\.\d\d s \|/m);
    assert.match(out, /^\| kubefilec build, 1 platform, cold +\| +\d+\.\d\d s \| .*\| \d+\.\d\dx the floor's throughput/m);
    assert.match(out, /^\| kubefilec build, no change \(cached\) +\| +\d+\.\d\d s \|/m);
    assert.match(out, /^\| kubefilec build, 2 platforms, cold +\| +\d+\.\d\d s \| .*\| \d+\.\d\dx 1 platform/m);
    assert.match(out, /^\| buildah build, 1 platform, cold \((overlay|vfs)\) +\| +\d+\.\d\d s \| .*\| \d+\.\d\dx the floor's throughput; kubefilec cold is \d+\.\d\dx faster/m);
  });

  it('collect.bench: our build against skopeo copy from a loopback docker-registry, with the ratios', async () => {
    const out = await runSmoke('collect.bench.js', tmp);
    assert.match(out, /^\| contender +\| +median \| skopeo sequential \/ contender \| skopeo parallel \/ contender \|$/m);
    assert.match(out, rowWithRatio('kubefilec build (collects both platforms)'));
    assert.match(out, rowWithRatio('skopeo copy --all, one after another'));
    assert.match(out, rowWithRatio('skopeo copy --all, 2 at once'));
  });

  it('cross.bench: examples/cross-compile by us and by buildah (default and --jobs), with the ratios', async () => {
    const out = await runSmoke('cross.bench.js', tmp);
    assert.match(out, /^\| build +\| time +\| buildah \/ this \| buildah --jobs \d+ \/ this \| vs target$/m);
    assert.match(out, rowWithRatio('kubefilec build'));
    assert.match(out, rowWithRatio('buildah build --isolation chroot,'));
    assert.match(out, rowWithRatio('buildah build --isolation chroot --jobs'));
  });

  it('node.bench: a 2-platform build here and with arm64 on a build node over ssh, with the ratio and what went across', async () => {
    const out = await runSmoke('node.bench.js', tmp);
    assert.match(out, /^\| build +\| +time \| node \/ here \|$/m);
    assert.match(out, rowWithRatio('kubefilec build, both platforms here (arm64 emulated)'));
    assert.match(out, rowWithRatio('kubefilec build --builder (arm64 on the node)'));
    assert.match(out, /^transfer overhead \(node \/ here, same work on the same machine\): \d+\.\d\dx$/m);
    assert.match(out, /^cold node: sent [1-9]\d* context files \(.*\), received \d+ blobs \(.*\); warm node: sent 0 context files \(0B\)/m);
    assert.equal((await readBinfmtHandler('arm64')) !== undefined, arm64Before, 'the arm64 binfmt_misc entry is as before the bench');
  });

  it('run.bench: RUN steps on 2 platforms (arm64 through qemu) by us and by buildah, with the ratios; binfmt_misc left as it was', async () => {
    const out = await runSmoke('run.bench.js', tmp);
    assert.match(out, /^\| run +\| time +\| buildah \/ this \| buildah --jobs \d+ \/ this \| vs target$/m);
    assert.match(out, rowWithRatio('kubefilec build --isolation host'));
    assert.match(out, rowWithRatio('kubefilec build --isolation chroot'));
    assert.match(out, rowWithRatio('buildah build --isolation chroot,'));
    assert.match(out, rowWithRatio('buildah build --isolation chroot --jobs'));
    assert.equal((await readBinfmtHandler('arm64')) !== undefined, arm64Before, 'the arm64 binfmt_misc entry is as before the bench');
  });
});
