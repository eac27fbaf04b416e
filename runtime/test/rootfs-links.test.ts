/**
 * Unpacking layers into a RUN root (issue 18): symbolic links are recreated exactly as stored
 * (absolute targets keep their `/`, relative ones climbing above the root are kept), and nothing
 * is ever written through a link: a later layer's file, directory, hard link or whiteout below a
 * link lands in the root (the link replaced by a directory) or nowhere, never outside it.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { lstat, mkdir, readFile, readlink, readdir, writeFile } from 'node:fs/promises';
import { arch } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { unpackLayers } from '../src/build/rootfs.js';
import { MEDIA_TYPE, platformImages, type Descriptor, type ImageStore } from '../src/index.js';
import { build, layerFiles, writeTree } from './build-helpers.js';
import { rawTar, tempDir, useTempStore, type RawEntry } from './fixtures.js';
import { makeRawImage, rawLayer, tarWithModes } from './layer-fixtures.js';

async function layer(store: ImageStore, entries: RawEntry[], gzip = false): Promise<Descriptor> {
  const tar = rawTar(entries);
  const ref = await store.writeBlob(gzip ? gzipSync(tar) : tar);
  return { mediaType: gzip ? MEDIA_TYPE.layerGzip : MEDIA_TYPE.layer, digest: ref.digest, size: ref.size };
}

describe('RUN root: links', () => {
  let store: ImageStore;
  let dir: string;
  const temp = useTempStore('kubefile-links-');
  beforeEach(() => ({ store, dir } = temp));

  it('recreates symbolic links exactly as stored: absolute, relative, and climbing above the root', async () => {
    const root = join(dir, 'root');
    await unpackLayers(store, [
      await layer(store, [
        { path: 'usr/bin/', type: 'Directory' },
        { path: 'usr/bin/awk', type: 'SymbolicLink', linkpath: '/etc/alternatives/awk' },
        { path: 'lib', type: 'SymbolicLink', linkpath: 'usr/lib' },
        { path: 'a/b/up', type: 'SymbolicLink', linkpath: '../../../../outside' },
        { path: 'a/dot', type: 'SymbolicLink', linkpath: './b' },
      ], true),
    ], root);
    assert.equal(await readlink(join(root, 'usr/bin/awk')), '/etc/alternatives/awk');
    assert.equal(await readlink(join(root, 'lib')), 'usr/lib');
    assert.equal(await readlink(join(root, 'a/b/up')), '../../../../outside');
    assert.equal(await readlink(join(root, 'a/dot')), './b');
  });

  it('never writes through a link: files, directories, hard links and whiteouts below one stay in the root', async () => {
    const outside = await tempDir('kubefile-outside-');
    await writeFile(join(outside, 'victim'), 'keep');
    await mkdir(join(outside, 'sub'));
    await writeFile(join(outside, 'sub/x'), 'keep');
    const root = join(dir, 'root');
    await unpackLayers(store, [
      await layer(store, [
        { path: 'evil', type: 'SymbolicLink', linkpath: outside },
        { path: 'evil2', type: 'SymbolicLink', linkpath: outside },
        { path: 'file-link', type: 'SymbolicLink', linkpath: join(outside, 'victim') },
        { path: 'climb', type: 'SymbolicLink', linkpath: '../../../../../../..' + outside },
      ]),
      // A whiteout below a link removes nothing (what it would hide is not in the root).
      await layer(store, [{ path: 'evil2/.wh.victim' }, { path: 'climb/sub/.wh..wh..opq' }, { path: 'hard', type: 'Link', linkpath: 'evil2/victim' }]),
      await layer(store, [
        { path: 'evil/pwned', body: 'no' },
        { path: 'file-link', body: 'replaced' },
        { path: 'climb/sub/', type: 'Directory' },
        { path: 'climb/sub/y', body: 'no' },
      ]),
    ], root);
    assert.deepEqual((await readdir(outside)).sort(), ['sub', 'victim']);
    assert.equal(await readFile(join(outside, 'victim'), 'utf8'), 'keep');
    assert.deepEqual(await readdir(join(outside, 'sub')), ['x']);
    assert.ok((await lstat(join(root, 'evil'))).isDirectory(), 'the link in the way became a directory of the root');
    assert.equal(await readFile(join(root, 'evil/pwned'), 'utf8'), 'no');
    assert.ok((await lstat(join(root, 'file-link'))).isFile());
    assert.equal(await readFile(join(root, 'file-link'), 'utf8'), 'replaced');
    assert.equal(await readFile(join(root, 'climb/sub/y'), 'utf8'), 'no');
    assert.equal(existsSync(join(root, 'hard')), false, 'a hard link through a link is not made');
    assert.equal(await readlink(join(root, 'evil2')), outside);
  });

  it('hard links to files of the layer and of layers below are made inside the root', async () => {
    const root = join(dir, 'root');
    await unpackLayers(store, [
      await layer(store, [{ path: 'a/one', body: '1' }]),
      await layer(store, [{ path: 'b/two', body: '2' }, { path: 'b/same-two', type: 'Link', linkpath: 'b/two' }, { path: 'b/same-one', type: 'Link', linkpath: 'a/one' }]),
    ], root);
    assert.equal((await lstat(join(root, 'b/same-two'))).ino, (await lstat(join(root, 'b/two'))).ino);
    assert.equal((await lstat(join(root, 'b/same-one'))).ino, (await lstat(join(root, 'a/one'))).ino);
  });

  const busybox = join(process.cwd(), 'examples/multi-arch/amd64/busybox');
  const chrootPossible = arch() === 'x64' && process.getuid?.() === 0 && existsSync(busybox);
  (chrootPossible ? it : it.skip)('--isolation chroot: an absolute link of the base image (usr/bin/awk -> /bin/busybox) is found inside the root', async () => {
    const bytes = await readFile(busybox);
    const base = await rawLayer(store, tarWithModes([
      { path: 'bin/', type: 'Directory' },
      { path: 'bin/busybox', body: bytes, mode: 0o755 },
      { path: 'bin/sh', type: 'SymbolicLink', linkpath: '/bin/busybox' },
      { path: 'usr/bin/', type: 'Directory' },
      { path: 'usr/bin/awk', type: 'SymbolicLink', linkpath: '/bin/busybox' },
    ]));
    await makeRawImage(store, 'links-base:v1', [base]);
    const context = join(dir, 'context');
    await writeTree(context, { 'x.txt': 'x' });
    const built = await build(store, context, "FROM links-base:v1\nRUN /usr/bin/awk 'BEGIN { print 6 * 7 }' > /answer.txt\n", 'links:v1', ['linux/amd64'], { isolation: 'chroot', mounter: 'copy' });
    assert.ok(built.image);
    const image = await store.getImage('links:v1');
    const [amd] = await platformImages(store, image.descriptor);
    const runLayer = amd.manifest.layers[amd.manifest.layers.length - 1].digest;
    assert.ok(layerFiles(store, runLayer).includes('answer.txt'));
  });
});
