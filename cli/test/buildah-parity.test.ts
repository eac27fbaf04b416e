/**
 * Issue 20's parity acceptance: the same multi-stage input, examples/cross-compile's Kubefile built
 * by kubefilec and its Dockerfile twin built by buildah, gives the same files per platform (paths,
 * file modes and contents). Both start from the same busybox image: ours, saved to an OCI archive
 * and pulled into buildah's storage (isolated in a temp dir, vfs: no mounts to leave behind).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unmountUnder } from '@kubefile/runtime';
import { archiveTrees } from './image-files.js';
import { kubefilecWith, repo } from './registry-cli.js';

const examples = join(repo, 'examples');
const busybox = join(examples, 'multi-arch');
const platforms = 'linux/amd64,linux/arm64';
const buildPlatform = `linux/${process.arch === 'x64' ? 'amd64' : process.arch}`;
const buildMachine = process.arch === 'x64' ? 'x86_64' : 'aarch64';

describe('buildah parity: examples/cross-compile (Kubefile) and its Dockerfile twin give the same files per platform', function () {
  this.timeout(120_000);
  let work: string;
  const kubefilec = kubefilecWith(() => ({ ...process.env, KUBEFILE_ROOT: join(work, 'store') }));
  const buildah = (args: string[]): string =>
    execFileSync('buildah', ['--root', join(work, 'buildah'), '--runroot', join(work, 'buildah-run'), '--storage-driver', 'vfs', ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, BUILDAH_ISOLATION: 'chroot' },
      maxBuffer: 64 << 20,
    });

  before(async function () {
    try {
      execFileSync('buildah', ['--version'], { stdio: 'ignore' });
    } catch {
      throw new Error('buildah is not installed: run scripts/install-bench-deps.sh');
    }
    if (process.getuid?.() !== 0) throw new Error('the builder stage runs chrooted: run the tests as root');
    if (!existsSync(join(busybox, 'arm64/busybox'))) execFileSync(join(repo, 'scripts/fetch-busybox.sh'), [busybox], { stdio: 'inherit' });
    work = mkdtempSync(join(tmpdir(), 'kubefilec-buildah-parity-'));
    const r = await kubefilec(['build', '-f', join(busybox, 'container-image.Kubefile'), '-t', 'example.com/demo/busybox:1.36', '--platform', platforms, '--progress', 'plain', busybox]);
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => {
    if (!work) return;
    try {
      buildah(['rm', '--all']);
    } finally {
      await unmountUnder(work);
      await rm(work, { recursive: true, force: true });
    }
  });

  it('each platform: the same paths, file modes and contents', async () => {
    const context = join(examples, 'cross-compile');
    const ours = await kubefilec(['build', '-t', 'cross-compile:v1', '--platform', platforms, '--progress', 'plain', context]);
    assert.equal(ours.code, 0, ours.stderr);
    const ourArchive = join(work, 'ours.tar');
    assert.equal((await kubefilec(['save', '-o', ourArchive, 'cross-compile:v1'])).code, 0);

    const busyboxArchive = join(work, 'busybox.tar');
    assert.equal((await kubefilec(['save', '-o', busyboxArchive, 'example.com/demo/busybox:1.36'])).code, 0);
    const base = buildah(['pull', '-q', '--platform', buildPlatform, `oci-archive:${busyboxArchive}`]).trim();
    buildah(['tag', base, 'example.com/demo/busybox:1.36']);
    // buildah 1.28 does not define BUILDPLATFORM itself (later versions do): given, as the Dockerfile says.
    buildah(['build', '--isolation', 'chroot', '--pull=false', '--platform', platforms, '--manifest', 'cross-compile:v1', '--build-arg', `BUILDPLATFORM=${buildPlatform}`, '-f', join(context, 'Dockerfile'), context]);
    const theirArchive = join(work, 'buildah.tar');
    buildah(['manifest', 'push', '--all', 'cross-compile:v1', `oci-archive:${theirArchive}`]);

    const ourTrees = await archiveTrees(ourArchive, join(work, 'ours'));
    const theirTrees = await archiveTrees(theirArchive, join(work, 'theirs'));
    assert.deepEqual([...ourTrees.keys()].sort(), ['amd64', 'arm64']);
    assert.deepEqual([...theirTrees.keys()].sort(), ['amd64', 'arm64']);
    for (const arch of ['amd64', 'arm64']) {
      assert.deepEqual(ourTrees.get(arch), theirTrees.get(arch), `${arch}: kubefilec's tree vs buildah's`);
      // The trees hold the builder's output (made once, on the build machine), not just the same emptiness.
      assert.equal(await readFile(join(work, 'theirs', `rootfs-${arch}`, 'etc/hello'), 'utf8'), `hello for ${arch}, built on ${buildMachine}\n`);
    }
  });
});
