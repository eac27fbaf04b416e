/**
 * Interoperability with skopeo (containers/image), the reference reader and writer of OCI archives.
 * These tests need the real tool; without it they fail rather than skip, so CI cannot silently lose them.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { list } from 'tar';
import { ANNOTATION, importLayoutImage, loadArchive, MEDIA_TYPE, platformImages, RuntimeError, saveArchive, type ImageStore, type OciIndex } from '../src/index.js';
import { makeImage, useTempStore } from './fixtures.js';

function skopeo(...args: string[]): string {
  try {
    return execFileSync('skopeo', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') {
      throw new Error('skopeo is not installed; these interoperability tests need it: apt-get install -y skopeo');
    }
    throw error;
  }
}

let store: ImageStore;
let dir: string;
const temp = useTempStore('kubefile-skopeo-');

beforeEach(async () => {
  ({ store, dir } = temp);
  await makeImage(store, 'example.com/app:v1', [
    { platform: 'linux/amd64', layers: [{ 'etc/a': 'amd64 a' }, { 'etc/shared': 'shared' }] },
    { platform: 'linux/arm64', layers: [{ 'etc/a': 'arm64 a' }, { 'etc/shared': 'shared' }] },
  ]);
});

const freshStore = (): Promise<ImageStore> => temp.anotherStore();

function archiveBlobs(file: string): string[] {
  const names: string[] = [];
  list({ file, sync: true, onReadEntry: (entry) => names.push(entry.path) });
  return names.filter((path) => /^blobs\/sha256\/[a-f0-9]{64}$/.test(path)).map((path) => path.slice('blobs/sha256/'.length)).sort();
}

describe('OCI archives and skopeo', () => {
  it('skopeo reads what saveArchive writes: inspect --raw gives our image index', async () => {
    const file = join(dir, 'app.tar');
    await saveArchive(store, ['example.com/app:v1'], file);
    const app = await store.getImage('example.com/app:v1');
    const raw = skopeo('inspect', '--raw', `oci-archive:${file}`);
    assert.equal(raw, (await store.readBlob(app.descriptor.digest)).toString('utf8'));
    // And by name, as the ref.name annotation gives it.
    assert.equal(skopeo('inspect', '--raw', `oci-archive:${file}:example.com/app:v1`), raw);
  });

  it('skopeo copies every blob of our archive into an OCI layout unchanged', async () => {
    const file = join(dir, 'app.tar');
    await saveArchive(store, ['example.com/app:v1'], file);
    const layout = join(dir, 'layout');
    // --preserve-digests: otherwise skopeo gzips our uncompressed layers (new blobs, new manifests).
    skopeo('copy', '--all', '--preserve-digests', `oci-archive:${file}`, `oci:${layout}:copied`);
    const blobs = (await readdir(join(layout, 'blobs', 'sha256'))).sort();
    assert.deepEqual(blobs, archiveBlobs(file));
    for (const hex of blobs) {
      const bytes = await readFile(join(layout, 'blobs', 'sha256', hex));
      assert.equal(createHash('sha256').update(bytes).digest('hex'), hex);
    }
    const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as OciIndex;
    assert.deepEqual(
      index.manifests.map((entry) => [entry.digest, entry.annotations?.[ANNOTATION.refName]]),
      [[(await store.getImage('example.com/app:v1')).descriptor.digest, 'copied']],
    );
  });

  it('loads a single-platform archive skopeo wrote from the store (an OCI layout)', async () => {
    const file = join(dir, 'arm64.tar');
    skopeo('copy', '--override-os', 'linux', '--override-arch', 'arm64', `oci:${store.root}:example.com/app:v1`, `oci-archive:${file}:other/img:1.0`);
    const target = await freshStore();
    const [image, ...rest] = await loadArchive(target, file);
    assert.deepEqual(rest, []);
    assert.equal(image.name, 'other/img:1.0');
    // One platform: skopeo's index.json entry is the manifest itself.
    assert.equal(image.descriptor.mediaType, MEDIA_TYPE.manifest);
    const platforms = await platformImages(target, image.descriptor);
    assert.deepEqual(
      platforms.map((p) => p.key),
      ['linux/arm64/v8'],
    );
    assert.equal(platforms[0].manifest.layers.length, 2);
    assert.deepEqual(
      (await target.listImages()).map((i) => i.name),
      ['other/img:1.0'],
    );
  });

  it('loads a multi-platform archive skopeo wrote with --all', async () => {
    const file = join(dir, 'all.tar');
    skopeo('copy', '--all', `oci:${store.root}:example.com/app:v1`, `oci-archive:${file}:other/img:2.0`);
    const target = await freshStore();
    const [image, ...rest] = await loadArchive(target, file);
    assert.deepEqual(rest, []);
    assert.equal(image.name, 'other/img:2.0');
    assert.equal(image.descriptor.mediaType, MEDIA_TYPE.index);
    assert.deepEqual(
      (await platformImages(target, image.descriptor)).map((p) => p.key),
      ['linux/amd64', 'linux/arm64/v8'],
    );
    // And it saves back out in a form skopeo reads.
    const again = join(dir, 'again.tar');
    await saveArchive(target, ['other/img:2.0'], again);
    assert.equal(skopeo('inspect', '--raw', `oci-archive:${again}`), (await target.readBlob(image.descriptor.digest)).toString('utf8'));
  });

  it('an archive skopeo wrote without a name is usable as a base but not loadable', async () => {
    const file = join(dir, 'unnamed.tar');
    skopeo('copy', '--all', `oci:${store.root}:example.com/app:v1`, `oci-archive:${file}`);
    const target = await freshStore();
    await assert.rejects(loadArchive(target, file), (error: unknown) => {
      assert.ok(error instanceof RuntimeError);
      assert.equal(error.code, 'INVALID_ARCHIVE');
      assert.match(error.message, /the archive's image 1 \(sha256:[a-f0-9]{64}\) has no name/);
      return true;
    });
    assert.deepEqual(await readdir(join(target.root, 'blobs', 'sha256')), []);
    const descriptor = await importLayoutImage(target, { archive: file });
    assert.deepEqual(
      (await platformImages(target, descriptor)).map((p) => p.key),
      ['linux/amd64', 'linux/arm64/v8'],
    );
    assert.deepEqual(await target.listImages(), []);
  });
});
