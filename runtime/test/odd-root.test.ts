/**
 * A store root whose path has a space, a comma or a colon: RUN works on every mounter that can
 * mount such paths (fuse-overlayfs splits every directory on ':', so it is refused there with one
 * clear line), and no mount is left, after a build or after a killed one (mountinfo writes a space
 * as `\040`).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImageStore, platformImages, RuntimeError } from '../src/index.js';
import { decodeMountPath, overlayOptions } from '../src/build/mount.js';
import { build, checkStore, layerFiles, writeTree } from './build-helpers.js';
import { mountsUnder } from './fixtures.js';

function fuseOverlayAvailable(): boolean {
  return spawnSync('fuse-overlayfs', ['--version']).status === 0;
}

describe('a store root with a space, a comma and a colon', () => {
  let base: string;
  let context: string;
  beforeEach(async () => {
    base = await mkdtemp(join(tmpdir(), 'kubefile-odd-root-'));
    context = join(base, 'context');
    await mkdir(context);
    await writeTree(context, { 'etc/a.txt': 'a\n' });
  });
  afterEach(async () => {
    for (const point of (await mountsUnder(base)).reverse()) spawnSync('umount', ['-l', point]);
    await rm(base, { recursive: true, force: true });
  });

  const kubefile = 'FROM scratch\nCOPY etc etc\nRUN echo b > etc/b.txt && rm etc/a.txt\nRUN echo c > c.txt\n';

  async function checkBuilt(store: ImageStore): Promise<void> {
    const image = await store.getImage('odd:v1');
    const [amd] = await platformImages(store, image.descriptor);
    assert.deepEqual(layerFiles(store, amd.manifest.layers[1].digest), ['etc/', 'etc/.wh.a.txt', 'etc/b.txt']);
    assert.deepEqual(layerFiles(store, amd.manifest.layers[2].digest), ['c.txt']);
    assert.deepEqual(await readdir(store.dir('tmp')), []);
    assert.deepEqual(await mountsUnder(store.root), [], 'no mount is left under the store');
  }

  const root = (): string => join(base, 'x y,z:w', 'store');

  for (const mounter of ['overlay', 'copy'] as const) {
    it(`${mounter}: RUN builds under /tmp/.../x y,z:w/store and leaves no mount`, async function () {
      if (mounter === 'overlay' && process.getuid?.() !== 0) this.skip();
      const store = await ImageStore.open(root());
      await build(store, context, kubefile, 'odd:v1', ['linux/amd64'], { mounter });
      await checkBuilt(store);
    });
  }

  it('fuse-overlayfs: RUN builds under a root with a space and a comma; a colon is refused with one clear line', async function () {
    if (!fuseOverlayAvailable()) this.skip();
    const store = await ImageStore.open(join(base, 'x y,z', 'store'));
    await build(store, context, kubefile, 'odd:v1', ['linux/amd64'], { mounter: 'fuse-overlayfs' });
    await checkBuilt(store);
    const colon = await ImageStore.open(root());
    await assert.rejects(build(colon, context, kubefile, 'odd:v1', ['linux/amd64'], { mounter: 'fuse-overlayfs' }), (error: RuntimeError) => {
      assert.ok(error instanceof RuntimeError);
      assert.equal(error.code, 'UNSUPPORTED');
      assert.match(error.message, /^fuse-overlayfs cannot mount directories whose path has a colon \(the store .*x y,z:w\/store\); use --mounter overlay or copy/);
      return true;
    });
    assert.deepEqual(await mountsUnder(colon.root), []);
  });

  it('the default mounter works there too', async () => {
    const store = await ImageStore.open(root());
    await build(store, context, kubefile, 'odd:v1', ['linux/amd64']);
    await checkBuilt(store);
  });

  it('the mounts a killed build left are found (mountinfo\'s \\040) and removed by the next open', async function () {
    if (process.getuid?.() !== 0) this.skip();
    const store = await ImageStore.open(root());
    const dead = spawnSync('true').pid;
    assert.ok(dead);
    const run = join(store.dir('tmp'), `${dead}.0123456789ab.run`);
    const dirs = ['lower', 'upper', 'work', 'root'].map((name) => join(run, name));
    for (const dir of dirs) await mkdir(dir, { recursive: true });
    await writeTree(dirs[0], { 'keep.txt': 'lower\n' });
    execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', overlayOptions('overlay', dirs[0], dirs[1], dirs[2]), dirs[3]]);
    // A mount inside the root too, as a RUN step may leave one.
    await mkdir(join(dirs[3], 'inner dir'));
    execFileSync('mount', ['-t', 'tmpfs', 'tmpfs', join(dirs[3], 'inner dir')]);
    assert.equal((await mountsUnder(store.root)).length, 2);
    await ImageStore.open(root());
    assert.deepEqual(await mountsUnder(store.root), []);
    assert.deepEqual(await readdir(store.dir('tmp')), []);
    await checkStore(store);
  });

  it('decodes mountinfo\'s octal escapes and escapes overlay option values', () => {
    assert.equal(decodeMountPath('/tmp/x\\040y,z:w\\011t\\012n\\134b'), '/tmp/x y,z:w\tt\nn\\b');
    assert.equal(overlayOptions('overlay', '/a,b:c', '/u', '/w\\x'), 'lowerdir=/a\\,b\\:c,upperdir=/u,workdir=/w\\\\x');
    assert.equal(overlayOptions('fuse-overlayfs', '/a,b c', '/u', '/w'), 'lowerdir=/a\\,b c,upperdir=/u,workdir=/w');
  });
});
