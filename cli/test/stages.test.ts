/**
 * Issue 20's acceptance, end to end with the built kubefilec: examples/cross-compile (a builder stage
 * on the build platform, run once, its per-target files copied into each platform's image) and
 * examples/binaries-from-images (each platform's busybox taken from a multi-arch container image).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { elfArchitecture } from '@kubefile/compiler';
import { imageFile } from './image-files.js';
import { kubefilecWith, repo } from './registry-cli.js';

const examples = join(repo, 'examples');
const busybox = join(examples, 'multi-arch');

describe('multi-stage Kubefiles, end to end (examples/cross-compile, examples/binaries-from-images)', function () {
  this.timeout(180_000);
  let root: string;
  const kubefilec = kubefilecWith(() => ({ ...process.env, KUBEFILE_ROOT: root }));

  before(async function () {
    if (process.getuid?.() !== 0) throw new Error('the builder stage runs chrooted: run the tests as root');
    if (!existsSync(join(busybox, 'arm64/busybox'))) execFileSync(join(repo, 'scripts/fetch-busybox.sh'), [busybox], { stdio: 'inherit' });
    root = mkdtempSync(join(tmpdir(), 'kubefilec-stages-'));
    const r = await kubefilec(['build', '-f', join(busybox, 'container-image.Kubefile'), '-t', 'example.com/demo/busybox:1.36', '--platform', 'linux/amd64,linux/arm64', '--progress', 'plain', busybox]);
    assert.equal(r.code, 0, r.stderr);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('cross-compile: the builder RUN runs exactly once for two platforms, chrooted; each image holds its own target\'s file', async () => {
    const r = await kubefilec(['build', '-t', 'cross-compile:v1', '--platform', 'linux/amd64,linux/arm64', '--progress', 'json', join(examples, 'cross-compile')]);
    assert.equal(r.code, 0, r.stderr);
    // Events are JSON lines on stderr (stdout names the image built).
    const events = r.stderr.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as { type: string; stage?: string; step?: number; run?: string; cached?: boolean });
    const builderRuns = events.filter((e) => e.type === 'step-done' && e.stage === 'builder' && e.step === 2);
    assert.equal(builderRuns.length, 1, JSON.stringify(builderRuns));
    assert.equal(builderRuns[0].cached, false);
    assert.ok(events.some((e) => e.type === 'stage' && e.stage === 'builder' && e.run === 'chroot'), 'the builder stage says it runs chrooted');
    const amd64 = (await imageFile(root, 'cross-compile:v1', 'linux/amd64', 'etc/hello')).toString();
    const arm64 = (await imageFile(root, 'cross-compile:v1', 'linux/arm64/v8', 'etc/hello')).toString();
    assert.match(amd64, /^hello for amd64, built on x86_64\n$/);
    assert.match(arm64, /^hello for arm64, built on x86_64\n$/);
  });

  it('binaries-from-images: the amd64 image gets the amd64 busybox, the arm64 image the arm64 one (ELF headers)', async () => {
    const r = await kubefilec(['build', '-t', 'binaries:v1', '--platform', 'linux/amd64,linux/arm64', '--progress', 'plain', join(examples, 'binaries-from-images')]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(elfArchitecture(await imageFile(root, 'binaries:v1', 'linux/amd64', 'bin/busybox')), 'amd64');
    assert.equal(elfArchitecture(await imageFile(root, 'binaries:v1', 'linux/arm64/v8', 'bin/busybox')), 'arm64');
  });

  it('an image lacking a target platform: one clear error at the COPY --from line, and no image', async () => {
    const r = await kubefilec(['build', '-t', 'binaries:s390x', '--platform', 'linux/amd64,linux/s390x', '--progress', 'plain', join(examples, 'binaries-from-images')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /binaries-from-images\/Kubefile:6:1: error: image example\.com\/demo\/busybox:1\.36 has no linux\/s390x variant \(it has: linux\/amd64, linux\/arm64\/v8\)\n/);
    assert.equal((await kubefilec(['images'])).stdout.includes('binaries:s390x'), false);
  });
});
