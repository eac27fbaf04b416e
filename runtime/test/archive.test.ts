import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, readdir, readFile, rm, stat, symlink, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { list } from 'tar';
import {
  ANNOTATION,
  archiveKind,
  collectBlobs,
  digestHex,
  importLayoutImage,
  loadArchive,
  MEDIA_TYPE,
  platformImages,
  readImageArchive,
  RuntimeError,
  saveArchive,
  sha256Digest,
  type Descriptor,
  type Digest,
  type ImageStore,
  type OciIndex,
} from '../src/index.js';
// Not re-exported by index.ts yet.
import { readDockerArchive } from '../src/archive/docker-archive.js';
import { makeImage, rawTar, tarOf, useTempStore, type RawEntry } from './fixtures.js';



function blobEntry(content: string | Buffer): RawEntry {
  return { path: `blobs/sha256/${digestHex(sha256Digest(content))}`, body: content };
}

const LAYOUT: RawEntry = { path: 'oci-layout', body: '{"imageLayoutVersion":"1.0.0"}\n' };

/** The entries of a tar file, in order. */
function tarPaths(file: string): string[] {
  const paths: string[] = [];
  list({ file, sync: true, onReadEntry: (entry) => paths.push(entry.path) });
  return paths;
}

function blobNames(paths: readonly string[]): string[] {
  return paths.filter((path) => /^blobs\/sha256\/[a-f0-9]{64}$/.test(path)).map((path) => path.slice('blobs/sha256/'.length));
}

async function storeBlobs(store: ImageStore): Promise<string[]> {
  return (await readdir(join(store.root, 'blobs', 'sha256'))).sort();
}

/** What must not change when a load fails: the names and the blobs. */
async function snapshot(store: ImageStore): Promise<{ index: string; blobs: string[] }> {
  return { index: await readFile(store.indexPath, 'utf8'), blobs: await storeBlobs(store) };
}

async function imageBlobs(store: ImageStore, descriptor: Descriptor): Promise<string[]> {
  const blobs = new Map<Digest, number>();
  await collectBlobs(store, descriptor, blobs);
  return [...blobs.keys()].map(digestHex).sort();
}

async function rejectsWith(promise: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof RuntimeError, `expected a RuntimeError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.match(error.message, message);
    return true;
  });
}

let store: ImageStore;
let dir: string;
const temp = useTempStore('kubefile-archive-');
beforeEach(() => ({ store, dir } = temp));

const freshStore = (): Promise<ImageStore> => temp.anotherStore();

async function twoImages(): Promise<void> {
  await makeImage(store, 'example.com/app:v1', [
    { platform: 'linux/amd64', layers: [{ 'etc/a': 'amd64 a' }, { 'etc/shared': 'shared' }], cmds: ['echo amd64'] },
    { platform: 'linux/arm64', layers: [{ 'etc/a': 'arm64 a' }, { 'etc/shared': 'shared' }], cmds: ['echo arm64'] },
  ]);
  await makeImage(store, 'tool:v2', [{ platform: 'linux/amd64', layers: [{ 'bin/tool': 'tool' }] }]);
}

describe('saveArchive / loadArchive', () => {
  it('round-trips images into a fresh store: same index digests, same blobs', async () => {
    await twoImages();
    const file = join(dir, 'images.tar');
    const result = await saveArchive(store, ['example.com/app:v1', 'tool:v2'], file);
    assert.deepEqual(result.images, ['example.com/app:v1', 'tool:v2']);
    assert.equal(result.bytes, (await stat(file)).size);

    const app = await store.getImage('example.com/app:v1');
    const tool = await store.getImage('tool:v2');
    const expectedBlobs = [...new Set([...(await imageBlobs(store, app.descriptor)), ...(await imageBlobs(store, tool.descriptor))])].sort();
    const paths = tarPaths(file);
    assert.deepEqual(paths, ['blobs/', 'blobs/sha256/', ...expectedBlobs.map((hex) => `blobs/sha256/${hex}`), 'index.json', 'oci-layout']);

    const target = await freshStore();
    const loaded = await loadArchive(target, file);
    assert.deepEqual(
      loaded.map((image) => [image.name, image.descriptor.digest]),
      [
        ['example.com/app:v1', app.descriptor.digest],
        ['tool:v2', tool.descriptor.digest],
      ],
    );
    assert.equal((await target.getImage('example.com/app:v1')).descriptor.digest, app.descriptor.digest);
    assert.equal((await target.getImage('tool:v2')).descriptor.digest, tool.descriptor.digest);
    // The creation time travels with the image.
    assert.equal((await target.getImage('tool:v2')).created, tool.created);
    assert.deepEqual(await storeBlobs(target), expectedBlobs);
    for (const hex of expectedBlobs) assert.deepEqual(await target.readBlob(`sha256:${hex}`), await store.readBlob(`sha256:${hex}`));
    const platforms = await platformImages(target, (await target.getImage('example.com/app:v1')).descriptor);
    assert.deepEqual(
      platforms.map((p) => p.key),
      ['linux/amd64', 'linux/arm64/v8'],
    );
  });

  it('writes index.json with one named entry per image', async () => {
    await twoImages();
    const file = join(dir, 'images.tar');
    await saveArchive(store, ['tool:v2', 'example.com/app:v1', 'tool:v2'], file);
    const extracted = join(dir, 'x');
    await mkdir(extracted);
    execFileSync('tar', ['-xf', file, '-C', extracted]);
    const index = JSON.parse(await readFile(join(extracted, 'index.json'), 'utf8')) as OciIndex;
    const tool = await store.getImage('tool:v2');
    assert.equal(index.mediaType, MEDIA_TYPE.index);
    assert.deepEqual(
      index.manifests.map((entry) => entry.annotations?.[ANNOTATION.refName]),
      ['tool:v2', 'example.com/app:v1'],
    );
    assert.deepEqual(index.manifests[0], {
      mediaType: MEDIA_TYPE.index,
      digest: tool.descriptor.digest,
      size: tool.descriptor.size,
      annotations: { [ANNOTATION.created]: tool.created, [ANNOTATION.refName]: 'tool:v2' },
    });
    assert.deepEqual(JSON.parse(await readFile(join(extracted, 'oci-layout'), 'utf8')), { imageLayoutVersion: '1.0.0' });
    // Deterministic headers: owner root, mtime 0, fixed modes.
    const listing = execFileSync('tar', ['--numeric-owner', '--full-time', '-tvf', file], { encoding: 'utf8' }).trim().split('\n');
    assert.match(listing[0], /^drwxr-xr-x 0\/0 +0 1970-01-01 00:00:00 blobs\/$/);
    assert.match(listing[1], /^drwxr-xr-x 0\/0 +0 1970-01-01 00:00:00 blobs\/sha256\/$/);
    for (const line of listing.slice(2)) assert.match(line, /^-rw-r--r-- 0\/0 +\d+ 1970-01-01 00:00:00 /);
  });

  it('save → load → save gives a byte-identical archive', async () => {
    await twoImages();
    const first = join(dir, 'first.tar');
    const second = join(dir, 'second.tar');
    await saveArchive(store, ['example.com/app:v1', 'tool:v2'], first);
    const target = await freshStore();
    await loadArchive(target, first);
    await saveArchive(target, ['example.com/app:v1', 'tool:v2'], second);
    assert.deepEqual(await readFile(second), await readFile(first));
    // And with a platform filter.
    await saveArchive(store, ['example.com/app:v1'], first, { platforms: ['linux/arm64'] });
    const filtered = await freshStore();
    await loadArchive(filtered, first);
    await saveArchive(filtered, ['example.com/app:v1'], second);
    assert.deepEqual(await readFile(second), await readFile(first));
  });

  it('saves only the requested platforms, through a new index that only the archive holds', async () => {
    await twoImages();
    const app = await store.getImage('example.com/app:v1');
    const platforms = await platformImages(store, app.descriptor);
    const arm = platforms.find((p) => p.key === 'linux/arm64/v8');
    assert.ok(arm);
    const file = join(dir, 'arm.tar');
    await saveArchive(store, ['example.com/app:v1'], file, { platforms: ['linux/arm64/v8', 'linux/arm64'] });

    const extracted = join(dir, 'x');
    await mkdir(extracted);
    execFileSync('tar', ['-xf', file, '-C', extracted]);
    const index = JSON.parse(await readFile(join(extracted, 'index.json'), 'utf8')) as OciIndex;
    assert.equal(index.manifests.length, 1);
    const entry = index.manifests[0];
    assert.notEqual(entry.digest, app.descriptor.digest);
    assert.equal(entry.mediaType, MEDIA_TYPE.index);
    assert.equal(entry.annotations?.[ANNOTATION.refName], 'example.com/app:v1');
    assert.equal(await store.hasBlob(entry.digest), false, 'the filtered index is written into the archive only');
    const filtered = JSON.parse(await readFile(join(extracted, 'blobs', 'sha256', digestHex(entry.digest)), 'utf8')) as OciIndex;
    assert.deepEqual(
      filtered.manifests.map((m) => m.digest),
      [arm.descriptor.digest],
    );

    const expected = [digestHex(entry.digest), digestHex(arm.descriptor.digest), digestHex(arm.manifest.config.digest), ...arm.manifest.layers.map((l) => digestHex(l.digest))].sort();
    assert.deepEqual(blobNames(tarPaths(file)), expected);

    const target = await freshStore();
    const [loaded] = await loadArchive(target, file);
    assert.deepEqual(
      (await platformImages(target, loaded.descriptor)).map((p) => p.key),
      ['linux/arm64/v8'],
    );
  });

  it('refuses a platform an image lacks, naming the ones it has, and writes nothing', async () => {
    await twoImages();
    const file = join(dir, 'out.tar');
    await rejectsWith(saveArchive(store, ['example.com/app:v1'], file, { platforms: ['linux/s390x'] }), 'PLATFORM_NOT_FOUND', /^image example\.com\/app:v1 has no linux\/s390x variant \(it has: linux\/amd64, linux\/arm64\/v8\)$/);
    assert.deepEqual(await readdir(dir), []);
  });

  it('refuses an unknown image', async () => {
    await twoImages();
    await rejectsWith(saveArchive(store, ['nope:1'], join(dir, 'out.tar')), 'IMAGE_NOT_FOUND', /nope:1 is not in the store/);
    assert.deepEqual(await readdir(dir), []);
  });

  it('leaves an existing file untouched and no temp file when interrupted', async () => {
    // A layer big enough that writing it takes many writes.
    await makeImage(store, 'big:1', [{ platform: 'linux/amd64', layers: [{ big: 'x'.repeat(48 << 20) }] }]);
    const file = join(dir, 'out.tar');
    await writeFile(file, 'old');
    const controller = new AbortController();
    const saving = saveArchive(store, ['big:1'], file, { signal: controller.signal });
    let settled = false;
    saving.then(
      () => (settled = true),
      () => (settled = true),
    );
    // Interrupt once the temp file exists, i.e. mid-write.
    while (!settled) {
      const names = await readdir(dir);
      if (names.length > 1) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    controller.abort();
    await rejectsWith(saving, 'INTERRUPTED', /interrupted/);
    assert.deepEqual(await readdir(dir), ['out.tar']);
    assert.equal(await readFile(file, 'utf8'), 'old');
  });

  it('replaces an existing file on success', async () => {
    await twoImages();
    const file = join(dir, 'out.tar');
    await writeFile(file, 'old');
    await saveArchive(store, ['tool:v2'], file);
    assert.deepEqual(await readdir(dir), ['out.tar']);
    assert.deepEqual(tarPaths(file).slice(-2), ['index.json', 'oci-layout']);
  });

  it("names an image as docker does when ref.name holds only the tag (io.containerd.image.name)", async () => {
    await twoImages();
    const file = join(dir, 'docker.tar');
    await saveArchive(store, ['tool:v2'], file);
    const extracted = join(dir, 'x');
    await mkdir(extracted);
    execFileSync('tar', ['-xf', file, '-C', extracted]);
    const index = JSON.parse(await readFile(join(extracted, 'index.json'), 'utf8')) as OciIndex;
    index.manifests[0].annotations = { 'io.containerd.image.name': 'docker.io/library/tool:v2', [ANNOTATION.refName]: 'v2' };
    await writeFile(join(extracted, 'index.json'), JSON.stringify(index));
    execFileSync('tar', ['-cf', file, '-C', extracted, '.']);
    const [image] = await loadArchive(await freshStore(), file);
    assert.equal(image.name, 'docker.io/library/tool:v2');
  });

  it('loads over an existing name, keeping other names', async () => {
    await twoImages();
    const file = join(dir, 'tool.tar');
    await saveArchive(store, ['tool:v2'], file);
    const target = await freshStore();
    await makeImage(target, 'tool:v2', [{ platform: 'linux/arm64', layers: [{ other: 'other' }] }]);
    await makeImage(target, 'keep:1', [{ platform: 'linux/arm64', layers: [{ keep: 'keep' }] }]);
    await loadArchive(target, file);
    assert.equal((await target.getImage('tool:v2')).descriptor.digest, (await store.getImage('tool:v2')).descriptor.digest);
    assert.deepEqual(
      (await target.listImages()).map((image) => image.name),
      ['keep:1', 'tool:v2'],
    );
  });
});

describe('loadArchive refuses unsafe or broken archives and leaves the store as it was', () => {
  /** A valid blob first, so the test also sees that what was stored before the failure is removed. */
  const good = blobEntry('a blob the archive stores before failing');
  const cases: { name: string; entries: RawEntry[]; end?: boolean; code: string; message: RegExp }[] = [
    { name: 'a ../ path', entries: [good, { path: '../x', body: 'x' }], code: 'INVALID_ARCHIVE', message: /: entry "\.\.\/x" has a "\.\." path component$/ },
    { name: 'a .. component inside', entries: [good, { path: 'blobs/../../x', body: 'x' }], code: 'INVALID_ARCHIVE', message: /: entry "blobs\/\.\.\/\.\.\/x" has a "\.\." path component$/ },
    { name: 'an absolute path', entries: [good, { path: '/abs', body: 'x' }], code: 'INVALID_ARCHIVE', message: /: entry "\/abs" has an absolute path$/ },
    {
      name: 'a symlink',
      entries: [good, { path: `blobs/sha256/${'a'.repeat(64)}`, type: 'SymbolicLink', linkpath: '/etc/passwd' }],
      code: 'INVALID_ARCHIVE',
      message: /: entry "blobs\/sha256\/a{64}" is a symbolic link \(to "\/etc\/passwd"\); an OCI archive holds only regular files and directories$/,
    },
    {
      name: 'a hard link',
      entries: [good, { path: 'index.json', type: 'Link', linkpath: 'oci-layout' }],
      code: 'INVALID_ARCHIVE',
      message: /: entry "index\.json" is a hard link \(to "oci-layout"\); an OCI archive holds only regular files and directories$/,
    },
    { name: 'a character device', entries: [good, { path: 'dev-null', type: 'CharacterDevice' }], code: 'INVALID_ARCHIVE', message: /: entry "dev-null" is a device file; / },
    { name: 'a block device', entries: [good, { path: 'sda', type: 'BlockDevice' }], code: 'INVALID_ARCHIVE', message: /: entry "sda" is a device file; / },
    { name: 'a FIFO', entries: [good, { path: 'pipe', type: 'FIFO' }], code: 'INVALID_ARCHIVE', message: /: entry "pipe" is a FIFO; / },
    {
      name: 'a blob path that is not sha256/<hex>',
      entries: [good, { path: 'blobs/sha256/ABC', body: 'x' }],
      code: 'INVALID_ARCHIVE',
      message: /: entry "blobs\/sha256\/ABC" is not a blob path \(blobs\/sha256\/<64 lowercase hex digits>\)$/,
    },
    { name: 'a blob of another algorithm', entries: [good, { path: `blobs/sha512/${'a'.repeat(128)}`, body: 'x' }], code: 'INVALID_ARCHIVE', message: /is not a blob path/ },
    {
      name: 'a blob whose content does not match its name',
      entries: [good, { path: `blobs/sha256/${digestHex(sha256Digest('expected'))}`, body: 'actual' }],
      code: 'DIGEST_MISMATCH',
      message: new RegExp(`: entry "blobs/sha256/${digestHex(sha256Digest('expected'))}": blob content does not match its digest: expected ${sha256Digest('expected')}, got ${sha256Digest('actual')}$`),
    },
    {
      name: 'no index.json',
      entries: [LAYOUT, good],
      code: 'INVALID_ARCHIVE',
      message: /is neither an OCI archive \(it has no index\.json\), a docker-archive \(it has no manifest\.json\) nor a sealer save \(it has no Metadata\)$/,
    },
    {
      name: 'a docker-archive without images',
      entries: [good, { path: 'manifest.json', body: '[]' }, { path: 'repositories', body: '{}' }],
      code: 'INVALID_ARCHIVE',
      message: /: the archive holds no images \(its manifest\.json lists none\)$/,
    },
    {
      name: 'an entry without a name',
      entries: [LAYOUT, good, { path: 'index.json', body: JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: MEDIA_TYPE.manifest, digest: sha256Digest('m'), size: 1 }] }) }],
      code: 'INVALID_ARCHIVE',
      message: /the archive's image 1 \(sha256:[a-f0-9]{64}\) has no name \(no org\.opencontainers\.image\.ref\.name annotation\), so it cannot be loaded into the store; load it with --tag NAME, write the archive with a name/,
    },
    {
      name: 'a blob missing from the archive',
      entries: [
        LAYOUT,
        good,
        { path: 'index.json', body: JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: MEDIA_TYPE.manifest, digest: sha256Digest('gone'), size: 4, annotations: { [ANNOTATION.refName]: 'x:1' } }] }) },
      ],
      code: 'INVALID_ARCHIVE',
      message: new RegExp(`: blob ${sha256Digest('gone')} \\(index\\.json\\) is neither in the archive nor in the store$`),
    },
    {
      name: 'a descriptor with the wrong size',
      entries: [
        LAYOUT,
        good,
        { path: 'index.json', body: JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: MEDIA_TYPE.manifest, digest: sha256Digest(good.body ?? ''), size: 3, annotations: { [ANNOTATION.refName]: 'x:1' } }] }) },
      ],
      code: 'INVALID_ARCHIVE',
      message: /: blob sha256:[a-f0-9]{64} is \d+ bytes, but index\.json says 3$/,
    },
    {
      name: 'an archive without images',
      entries: [LAYOUT, good, { path: 'index.json', body: JSON.stringify({ schemaVersion: 2, manifests: [] }) }],
      code: 'INVALID_ARCHIVE',
      message: /: the archive holds no images \(its index\.json lists none\)$/,
    },
    { name: 'a missing end-of-archive marker', entries: [LAYOUT, good], end: false, code: 'INVALID_ARCHIVE', message: /: the archive is truncated \(it has no end-of-archive marker\)$/ },
    { name: 'not a tar at all', entries: [], end: false, code: 'INVALID_ARCHIVE', message: /is not a tar archive/ },
  ];

  for (const testCase of cases) {
    it(`refuses ${testCase.name}`, async () => {
      await twoImages();
      const before = await snapshot(store);
      const file = join(dir, 'bad.tar');
      await writeFile(file, testCase.entries.length > 0 ? rawTar(testCase.entries, { end: testCase.end ?? true }) : 'just some text, not a tar');
      await rejectsWith(loadArchive(store, file), testCase.code, testCase.message);
      assert.deepEqual(await snapshot(store), before);
    });
  }

  it('refuses an archive cut in the middle of a blob', async () => {
    await twoImages();
    const before = await snapshot(store);
    const big = 'y'.repeat(100_000);
    const file = join(dir, 'cut.tar');
    await writeFile(file, rawTar([LAYOUT, blobEntry('first'), blobEntry(big)]));
    // oci-layout (2 blocks), first (2 blocks), then the big blob's header: cut 50 000 bytes into its data.
    await truncate(file, 512 * 5 + 50_000);
    await rejectsWith(loadArchive(store, file), 'INVALID_ARCHIVE', new RegExp(`: the archive is truncated \\(it ends inside entry "blobs/sha256/${digestHex(sha256Digest(big))}"\\)$`));
    assert.deepEqual(await snapshot(store), before);
  });

  it('refuses a saved archive cut in half, leaving the store as it was', async () => {
    await makeImage(store, 'big:1', [{ platform: 'linux/amd64', layers: [{ small: 's' }, { big: 'z'.repeat(1 << 20) }] }]);
    const file = join(dir, 'big.tar');
    await saveArchive(store, ['big:1'], file);
    await truncate(file, Math.floor((await stat(file)).size / 2));
    const target = await freshStore();
    await makeImage(target, 'other:1', [{ platform: 'linux/amd64', layers: [{ o: 'o' }] }]);
    const before = await snapshot(target);
    await rejectsWith(loadArchive(target, file), 'INVALID_ARCHIVE', /the archive is truncated/);
    assert.deepEqual(await snapshot(target), before);
  });

  it('refuses an archive naming two images the same', async () => {
    await twoImages();
    const file = join(dir, 'two.tar');
    await saveArchive(store, ['example.com/app:v1', 'tool:v2'], file);
    const extracted = join(dir, 'x');
    await mkdir(extracted);
    execFileSync('tar', ['-xf', file, '-C', extracted]);
    const index = JSON.parse(await readFile(join(extracted, 'index.json'), 'utf8')) as OciIndex;
    for (const entry of index.manifests) entry.annotations = { [ANNOTATION.refName]: 'same:1' };
    await writeFile(join(extracted, 'index.json'), JSON.stringify(index));
    execFileSync('tar', ['-cf', file, '-C', extracted, '.']);
    const target = await freshStore();
    const before = await snapshot(target);
    await rejectsWith(loadArchive(target, file), 'INVALID_ARCHIVE', /: the name same:1 is given to two different images$/);
    assert.deepEqual(await snapshot(target), before);
  });

  it('refuses a damaged tar header', async () => {
    await twoImages();
    const before = await snapshot(store);
    const tarred = rawTar([LAYOUT, blobEntry('x')]);
    tarred[512 * 2 + 10] ^= 0x20; // a byte of the blob's path: the header checksum no longer matches
    const file = join(dir, 'damaged.tar');
    await writeFile(file, tarred);
    await rejectsWith(loadArchive(store, file), 'INVALID_ARCHIVE', /: damaged tar header \(checksum failure\)$/);
    assert.deepEqual(await snapshot(store), before);
  });

  it('keeps blobs the store already had when a load fails', async () => {
    await twoImages();
    const file = join(dir, 'tool.tar');
    await saveArchive(store, ['tool:v2'], file);
    // Same blobs, then a bad entry: nothing was new, so nothing may be removed.
    const tarred = await readFile(file);
    const withFifo = Buffer.concat([tarred.subarray(0, tarred.length - 1024), rawTar([{ path: 'fifo', type: 'FIFO' }])]);
    await writeFile(file, withFifo);
    const before = await snapshot(store);
    await rejectsWith(loadArchive(store, file), 'INVALID_ARCHIVE', /entry "fifo" is a FIFO/);
    assert.deepEqual(await snapshot(store), before);
  });

  it('stops when interrupted, leaving the store as it was', async () => {
    await twoImages();
    const file = join(dir, 'all.tar');
    await saveArchive(store, ['example.com/app:v1', 'tool:v2'], file);
    const target = await freshStore();
    const before = await snapshot(target);
    const controller = new AbortController();
    controller.abort();
    await rejectsWith(loadArchive(target, file, { signal: controller.signal }), 'INTERRUPTED', /^interrupted$/);
    assert.deepEqual(await snapshot(target), before);
  });

  it('says so when the file does not exist', async () => {
    await rejectsWith(loadArchive(store, join(dir, 'missing.tar')), 'IO', /^cannot read .*missing\.tar: no such file$/);
  });

  it('ignores harmless extra regular files and directories outside blobs/', async () => {
    await twoImages();
    const file = join(dir, 'tool.tar');
    await saveArchive(store, ['tool:v2'], file);
    const tarred = await readFile(file);
    const extra = rawTar([{ path: './notes/', type: 'Directory' }, { path: './notes/README', body: 'hello' }, { path: 'manifest.json', body: '[]' }], { end: true });
    await writeFile(file, Buffer.concat([tarred.subarray(0, tarred.length - 1024), extra]));
    const target = await freshStore();
    const [image] = await loadArchive(target, file);
    assert.equal(image.name, 'tool:v2');
    assert.deepEqual(await storeBlobs(target), await imageBlobs(store, (await store.getImage('tool:v2')).descriptor));
  });
});

describe('loadArchive of an OCI archive with extra files', () => {
  it('keeps none of the files it stored before it knew the archive was OCI', async () => {
    await twoImages();
    const file = join(dir, 'tool.tar');
    await saveArchive(store, ['tool:v2'], file);
    // Before index.json, a file outside blobs/ may be a docker-archive's layer: it is stored, then dropped.
    await writeFile(file, Buffer.concat([rawTar([{ path: 'extra.tar', body: 'extra' }, { path: 'notes.json', body: '{}' }], { end: false }), await readFile(file)]));
    const target = await freshStore();
    const [image] = await loadArchive(target, file);
    assert.equal(image.name, 'tool:v2');
    assert.deepEqual(await storeBlobs(target), await imageBlobs(store, (await store.getImage('tool:v2')).descriptor));
  });
});

describe('importLayoutImage', () => {
  it('imports the one image of an archive without naming it', async () => {
    await twoImages();
    const file = join(dir, 'tool.tar');
    await saveArchive(store, ['tool:v2'], file);
    const target = await freshStore();
    const descriptor = await importLayoutImage(target, { archive: file });
    const tool = await store.getImage('tool:v2');
    assert.equal(descriptor.digest, tool.descriptor.digest);
    assert.equal(descriptor.mediaType, MEDIA_TYPE.index);
    assert.deepEqual(await target.listImages(), []);
    assert.deepEqual(await storeBlobs(target), await imageBlobs(store, tool.descriptor));
    assert.deepEqual(
      (await platformImages(target, descriptor)).map((p) => p.key),
      ['linux/amd64'],
    );
  });

  it('selects an image of an archive by reference and keeps only its blobs', async () => {
    await twoImages();
    const file = join(dir, 'two.tar');
    await saveArchive(store, ['example.com/app:v1', 'tool:v2'], file);
    const target = await freshStore();
    const app = await store.getImage('example.com/app:v1');
    const descriptor = await importLayoutImage(target, { archive: file }, 'example.com/app:v1');
    assert.equal(descriptor.digest, app.descriptor.digest);
    assert.deepEqual(await storeBlobs(target), await imageBlobs(store, app.descriptor));
    // A name without its tag means :latest, as everywhere else.
    await makeImage(store, 'example.com/app:latest', [{ platform: 'linux/amd64', layers: [{ latest: 'latest' }] }]);
    await saveArchive(store, ['tool:v2', 'example.com/app:latest'], file);
    const latest = await importLayoutImage(await freshStore(), { archive: file }, 'example.com/app');
    assert.equal(latest.digest, (await store.getImage('example.com/app:latest')).descriptor.digest);
  });

  it('reports which images a layout has when the reference does not select one', async () => {
    await twoImages();
    const file = join(dir, 'two.tar');
    await saveArchive(store, ['example.com/app:v1', 'tool:v2'], file);
    const target = await freshStore();
    const before = await snapshot(target);
    await rejectsWith(importLayoutImage(target, { archive: file }), 'IMAGE_NOT_FOUND', new RegExp(`^OCI archive ${file} holds 2 images; say which one \\(it has: example\\.com/app:v1, tool:v2\\)$`));
    await rejectsWith(importLayoutImage(target, { archive: file }, 'tool:v3'), 'IMAGE_NOT_FOUND', new RegExp(`^OCI archive ${file} has no image "tool:v3" \\(it has: example\\.com/app:v1, tool:v2\\)$`));
    assert.deepEqual(await snapshot(target), before);
    await rejectsWith(importLayoutImage(target, { dir: store.root }, 'nope'), 'IMAGE_NOT_FOUND', new RegExp(`^OCI layout ${store.root} has no image "nope" \\(it has: example\\.com/app:v1, tool:v2\\)$`));
    await rejectsWith(importLayoutImage(target, { dir: store.root }), 'IMAGE_NOT_FOUND', /holds 2 images; say which one/);
    assert.deepEqual(await snapshot(target), before);
  });

  it('imports from an OCI layout directory (a store is one)', async () => {
    await twoImages();
    const target = await freshStore();
    const app = await store.getImage('example.com/app:v1');
    const descriptor = await importLayoutImage(target, { dir: store.root }, 'example.com/app:v1');
    assert.equal(descriptor.digest, app.descriptor.digest);
    assert.deepEqual(await storeBlobs(target), await imageBlobs(store, app.descriptor));
    assert.deepEqual(await target.listImages(), []);
    // Again: everything is there already, nothing changes.
    const before = await snapshot(target);
    await importLayoutImage(target, { dir: store.root }, 'example.com/app:v1');
    assert.deepEqual(await snapshot(target), before);
  });

  it('imports from an extracted archive directory', async () => {
    await twoImages();
    const file = join(dir, 'tool.tar');
    await saveArchive(store, ['tool:v2'], file);
    const layout = join(dir, 'layout');
    await mkdir(layout);
    execFileSync('tar', ['-xf', file, '-C', layout]);
    const target = await freshStore();
    const descriptor = await importLayoutImage(target, { dir: layout });
    assert.equal(descriptor.digest, (await store.getImage('tool:v2')).descriptor.digest);
  });

  describe('refuses a broken layout directory, leaving the store as it was', () => {
    let layout: string;
    let layer: string;
    beforeEach(async () => {
      await makeImage(store, 'tool:v2', [{ platform: 'linux/amd64', layers: [{ 'bin/tool': 'tool' }] }]);
      const file = join(dir, 'tool.tar');
      await saveArchive(store, ['tool:v2'], file);
      layout = join(dir, 'layout');
      await mkdir(layout);
      execFileSync('tar', ['-xf', file, '-C', layout]);
      const [image] = await platformImages(store, (await store.getImage('tool:v2')).descriptor);
      layer = join(layout, 'blobs', 'sha256', digestHex(image.manifest.layers[0].digest));
    });

    async function refuses(code: string, message: RegExp): Promise<void> {
      const target = await freshStore();
      const before = await snapshot(target);
      await rejectsWith(importLayoutImage(target, { dir: layout }), code, message);
      assert.deepEqual(await snapshot(target), before);
    }

    it('a symlinked blob', async () => {
      const outside = join(dir, 'outside');
      await writeFile(outside, await readFile(layer));
      await rm(layer);
      await symlink(outside, layer);
      await refuses('INVALID_IMAGE', /: blobs\/sha256\/[a-f0-9]{64} is a symbolic link; blobs must be regular files$/);
    });

    it('a missing blob', async () => {
      await rm(layer);
      await refuses('INVALID_IMAGE', /: blob sha256:[a-f0-9]{64} \(layer 1 of manifest sha256:[a-f0-9]{64}\) is missing \(no file blobs\/sha256\/[a-f0-9]{64}\)$/);
    });

    it('a blob whose content does not match its digest', async () => {
      const content = await readFile(layer);
      content[content.length - 1] ^= 1;
      await writeFile(layer, content);
      await refuses('DIGEST_MISMATCH', /blob content does not match its digest/);
    });

    it('a blob of the wrong size', async () => {
      await writeFile(layer, 'short');
      await refuses('INVALID_IMAGE', /: blob sha256:[a-f0-9]{64} is 5 bytes, but layer 1 of manifest sha256:[a-f0-9]{64} says \d+$/);
    });

    it('a directory that is not a layout', async () => {
      await rm(join(layout, 'index.json'));
      await refuses('INVALID_IMAGE', /^OCI layout .* is not an OCI image layout: it has no index\.json$/);
    });
  });
});

describe('docker-archives', () => {
  const skopeo = (...args: string[]): string => execFileSync('skopeo', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

  /** One platform, and a layer repeated: docker and skopeo link the repeat to the first copy. */
  beforeEach(() => makeImage(store, 'example.com/app:v1', [{ platform: 'linux/amd64', layers: [{ 'etc/a': 'a' }, { 'etc/b': 'b' }, { 'etc/a': 'a' }] }]));

  /** The image as a docker-archive holds it: its config and layer files, and its manifest to compare with. */
  async function original(name = 'example.com/app:v1') {
    const [image] = await platformImages(store, (await store.getImage(name)).descriptor);
    const layers = await Promise.all(image.manifest.layers.map((layer) => store.readBlob(layer.digest)));
    return { image, config: await store.readBlob(image.manifest.config.digest), layers };
  }

  /** What `skopeo copy oci-archive:... docker-archive:FILE[:NAME:TAG]` writes for the store's image `name`. */
  async function skopeoArchive(file: string, tag?: string, name = 'example.com/app:v1'): Promise<void> {
    const oci = `${file}.oci.tar`;
    await saveArchive(store, [name], oci);
    skopeo('copy', '--override-os', 'linux', '--override-arch', 'amd64', `oci-archive:${oci}`, `docker-archive:${file}${tag === undefined ? '' : `:${tag}`}`);
    await rm(oci);
  }

  interface ManifestItem {
    Config: string;
    RepoTags: string[] | null;
    Layers: string[];
  }

  /** A docker-archive in the layout of docker before 25: `<id>/layer.tar` per layer, the repeated one a symbolic link. */
  async function legacy(): Promise<{ entries: RawEntry[]; item: ManifestItem }> {
    const { config, layers } = await original();
    const configFile = `${digestHex(sha256Digest(config))}.json`;
    const entries: RawEntry[] = [
      { path: configFile, body: config },
      { path: 'l1/', type: 'Directory' },
      { path: 'l1/layer.tar', body: layers[0] },
      { path: 'l1/json', body: '{}' },
      { path: 'l1/VERSION', body: '1.0' },
      { path: 'l2/layer.tar', body: layers[1] },
      { path: 'l3/layer.tar', type: 'SymbolicLink', linkpath: '../l1/layer.tar' },
      { path: 'repositories', body: '{"example.com/app":{"v1":"l3"}}' },
    ];
    return { entries, item: { Config: configFile, RepoTags: ['example.com/app:v1'], Layers: ['l1/layer.tar', 'l2/layer.tar', 'l3/layer.tar'] } };
  }

  const withManifest = (entries: RawEntry[], items: unknown): Buffer => rawTar([...entries, { path: 'manifest.json', body: JSON.stringify(items) }]);

  it('loads what skopeo writes: the name, and the very config, layers and manifest of the original', async () => {
    const file = join(dir, 'docker.tar');
    await skopeoArchive(file, 'example.com/app:v1');
    assert.ok(tarPaths(file).includes('manifest.json') && !tarPaths(file).includes('index.json'), 'a docker-archive, not an OCI one');
    const { image } = await original();
    const target = await freshStore();
    const [loaded] = await loadArchive(target, file);
    assert.equal(loaded.name, 'example.com/app:v1');
    // The same manifest bytes: the same config, the same uncompressed layers (their digests are the diff_ids), in the same order.
    assert.equal(loaded.descriptor.digest, image.descriptor.digest);
    assert.equal(loaded.descriptor.mediaType, MEDIA_TYPE.manifest);
    assert.deepEqual(loaded.descriptor.platform, { architecture: 'amd64', os: 'linux' });
    assert.equal(loaded.created, '2026-01-01T00:00:00Z', "the config's creation time");
    const [platform] = await platformImages(target, loaded.descriptor);
    assert.equal(platform.key, 'linux/amd64');
    assert.deepEqual(platform.config.rootfs.diff_ids, image.config.rootfs.diff_ids);
    assert.deepEqual(
      platform.manifest.layers.map((layer) => [layer.mediaType, layer.digest]),
      image.config.rootfs.diff_ids.map((id) => [MEDIA_TYPE.layer, id]),
    );
    // Only the image's blobs: skopeo's legacy <id>/json files and links are not stored.
    assert.deepEqual(await storeBlobs(target), await imageBlobs(store, image.descriptor));
  });

  it('follows symbolic and hard links between layer files (docker before 25), and ignores the legacy metadata', async () => {
    const { image } = await original();
    const { entries, item } = await legacy();
    entries.push({ path: 'l4/layer.tar', type: 'Link', linkpath: 'l1/layer.tar' });
    const file = join(dir, 'legacy.tar');
    for (const third of ['l3/layer.tar', 'l4/layer.tar']) {
      await writeFile(file, withManifest(entries, [{ ...item, Layers: [...item.Layers.slice(0, 2), third] }]));
      const target = await freshStore();
      const [loaded] = await loadArchive(target, file);
      assert.equal(loaded.descriptor.digest, image.descriptor.digest, third);
      assert.deepEqual(await storeBlobs(target), await imageBlobs(store, image.descriptor));
    }
  });

  it('loads gzip and zstd layers as such, by their first bytes', async () => {
    const { config, layers } = await original();
    const gzipped = gzipSync(layers[1]);
    // zstd's magic number and a frame skopeo never writes: only the media type is looked at, not the content.
    const zstd = Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), Buffer.from('not really zstd')]);
    const file = join(dir, 'compressed.tar');
    await writeFile(
      file,
      withManifest(
        [
          { path: 'config.json', body: config },
          { path: 'plain.tar', body: layers[0] },
          { path: 'layer.tar.gz', body: gzipped },
          { path: 'layer.tar.zst', body: zstd },
        ],
        [{ Config: 'config.json', RepoTags: ['example.com/app:v1'], Layers: ['plain.tar', 'layer.tar.gz', 'layer.tar.zst'] }],
      ),
    );
    const target = await freshStore();
    const [loaded] = await loadArchive(target, file);
    const [{ manifest }] = await platformImages(target, loaded.descriptor);
    assert.deepEqual(
      manifest.layers.map((layer) => [layer.mediaType, layer.digest]),
      [
        [MEDIA_TYPE.layer, sha256Digest(layers[0])],
        [MEDIA_TYPE.layerGzip, sha256Digest(gzipped)],
        ['application/vnd.oci.image.layer.v1.tar+zstd', sha256Digest(zstd)],
      ],
    );
    assert.equal(manifest.config.digest, sha256Digest(config));
  });

  it('loads every image of an archive of two, naming them all at once', async () => {
    await makeImage(store, 'tool:v2', [{ platform: 'linux/amd64', layers: [{ 'etc/a': 'a' }, { 'bin/tool': 'tool' }] }]);
    // skopeo writes one image per docker-archive; `docker save A B` writes both into one manifest.json.
    const merged = join(dir, 'merged');
    await mkdir(merged);
    const items: ManifestItem[] = [];
    for (const [name, tag] of [
      ['example.com/app:v1', 'example.com/app:v1'],
      ['tool:v2', 'example.com/tool:v2'],
    ]) {
      const file = join(dir, `${name.replace(/[/:]/g, '_')}.tar`);
      await skopeoArchive(file, tag, name);
      execFileSync('tar', ['-xf', file, '-C', merged]);
      items.push(...(JSON.parse(await readFile(join(merged, 'manifest.json'), 'utf8')) as ManifestItem[]));
    }
    await writeFile(join(merged, 'manifest.json'), JSON.stringify(items));
    const file = join(dir, 'two.tar');
    execFileSync('tar', ['-cf', file, '-C', merged, '.']);
    const target = await freshStore();
    const loaded = await loadArchive(target, file);
    assert.deepEqual(
      loaded.map((image) => image.name),
      ['example.com/app:v1', 'example.com/tool:v2'],
    );
    assert.equal(loaded[0].descriptor.digest, (await original()).image.descriptor.digest);
    assert.equal(loaded[1].descriptor.digest, (await original('tool:v2')).image.descriptor.digest);
    assert.deepEqual(
      (await target.listImages()).map((image) => image.name),
      ['example.com/app:v1', 'example.com/tool:v2'],
    );
  });

  it('refuses an image skopeo wrote without a name, saying how to name it', async () => {
    const file = join(dir, 'unnamed.tar');
    await skopeoArchive(file);
    const target = await freshStore();
    const before = await snapshot(target);
    await rejectsWith(
      loadArchive(target, file),
      'INVALID_ARCHIVE',
      /: the archive's image 1 \(sha256:[a-f0-9]{64}\) has no name \(no RepoTags in manifest\.json\), so it cannot be loaded into the store; load it with --tag NAME, or write the archive with a name \(docker save NAME:TAG, or skopeo copy \.\.\. docker-archive:FILE:NAME:TAG\)$/,
    );
    assert.deepEqual(await snapshot(target), before);
    // Read without naming, it is fine.
    const [image] = await readDockerArchive(target, file);
    assert.deepEqual(image.names, []);
    assert.equal(image.descriptor.digest, (await original()).image.descriptor.digest);
  });

  describe('refuses a broken or unsafe docker-archive and leaves the store as it was', () => {
    /** Points the repeated layer's link (`l3/layer.tar`) elsewhere. */
    const relink = (type: 'SymbolicLink' | 'Link', linkpath: string) => (entries: RawEntry[], item: ManifestItem) => {
      entries[6] = { path: 'l3/layer.tar', type, linkpath };
      return [item];
    };
    const cases: { name: string; change: (entries: RawEntry[], item: ManifestItem) => unknown; message: RegExp }[] = [
      {
        name: 'a layer whose content is not its diff_id',
        change: (entries, item) => {
          entries[5] = { path: 'l2/layer.tar', body: tarOf({ 'etc/b': 'changed' }) };
          return [item];
        },
        message: /: manifest\.json entry 1: layer 2 \(l2\/layer\.tar\) has digest sha256:[a-f0-9]{64}, but its config [a-f0-9]{64}\.json gives diff_id sha256:[a-f0-9]{64}$/,
      },
      {
        name: 'more layers than the config has diff_ids',
        change: (_, item) => [{ ...item, Layers: [...item.Layers, 'l2/layer.tar'] }],
        message: /: manifest\.json entry 1 lists 4 layers, but its config [a-f0-9]{64}\.json has 3 \(rootfs\.diff_ids\)$/,
      },
      {
        name: 'an unnamed image (RepoTags null)',
        change: (_, item) => [{ ...item, RepoTags: null }],
        message: /: the archive's image 1 \(sha256:[a-f0-9]{64}\) has no name \(no RepoTags in manifest\.json\)/,
      },
      {
        name: 'an unusable name',
        change: (_, item) => [{ ...item, RepoTags: ['Bad Name'] }],
        message: /: the archive's image 1 has an unusable name: invalid image name "Bad Name"/,
      },
      {
        name: 'a symbolic link out of the archive',
        change: relink('SymbolicLink', '../../etc/passwd'),
        message: /: entry "l3\/layer\.tar" is a symbolic link to "\.\.\/\.\.\/etc\/passwd", outside the archive$/,
      },
      {
        name: 'an absolute symbolic link',
        change: relink('SymbolicLink', '/etc/passwd'),
        message: /: entry "l3\/layer\.tar" is a symbolic link to "\/etc\/passwd", outside the archive$/,
      },
      {
        name: 'a hard link out of the archive',
        change: relink('Link', '../x'),
        message: /: entry "l3\/layer\.tar" is a hard link to "\.\.\/x", outside the archive$/,
      },
      {
        name: 'a link to a missing file',
        change: relink('SymbolicLink', '../l9/layer.tar'),
        message: /: manifest\.json entry 1: layer 3 \(l3\/layer\.tar\) is a link to l9\/layer\.tar, which is not a file of the archive$/,
      },
      {
        name: 'a link to itself',
        change: relink('SymbolicLink', 'layer.tar'),
        message: /: manifest\.json entry 1: layer 3 \(l3\/layer\.tar\) is a chain of more than 8 links$/,
      },
      {
        name: 'a config that is a link',
        change: (entries, item) => {
          entries.push({ path: 'config.json', type: 'SymbolicLink', linkpath: item.Config });
          return [{ ...item, Config: 'config.json' }];
        },
        message: /: entry "config\.json" is a symbolic link \(to "[a-f0-9]{64}\.json"\); only layers may be links$/,
      },
      {
        name: 'a layer missing from the archive',
        change: (_, item) => [{ ...item, Layers: ['l1/layer.tar', 'nope/layer.tar', 'l3/layer.tar'] }],
        message: /: manifest\.json entry 1: layer 2 \(nope\/layer\.tar\) is not a file of the archive$/,
      },
      {
        name: 'a layer path with ..',
        change: (_, item) => [{ ...item, Layers: ['../l1/layer.tar', 'l2/layer.tar', 'l3/layer.tar'] }],
        message: /: manifest\.json entry 1: layer 1 is "\.\.\/l1\/layer\.tar", which has a "\.\." path component$/,
      },
      {
        name: 'a config that is not an image config',
        change: (entries, item) => {
          entries[0] = { path: item.Config, body: '{"rootfs":{"diff_ids":[]}}' };
          return [item];
        },
        message: /: manifest\.json entry 1: its config [a-f0-9]{64}\.json has no "os" and "architecture"$/,
      },
      { name: 'a manifest.json that is not a list', change: (_, item) => item, message: /: manifest\.json is not a docker-archive manifest/ },
      {
        name: 'a manifest.json that is a link',
        change: (entries, item) => {
          entries.push({ path: 'manifest.json', type: 'SymbolicLink', linkpath: 'repositories' });
          return [item];
        },
        message: /: entry "manifest\.json" is a symbolic link \(to "repositories"\); manifest\.json must be a regular file$/,
      },
    ];

    for (const testCase of cases) {
      it(`refuses ${testCase.name}`, async () => {
        const { entries, item } = await legacy();
        const items = testCase.change(entries, item);
        const file = join(dir, 'bad.tar');
        await writeFile(file, withManifest(entries, items));
        const target = await freshStore();
        const before = await snapshot(target);
        await rejectsWith(loadArchive(target, file), 'INVALID_ARCHIVE', testCase.message);
        assert.deepEqual(await snapshot(target), before);
      });
    }
  });

  it('readImageArchive stores the images of either kind with their names, naming nothing', async () => {
    await makeImage(store, 'tool:v2', [{ platform: 'linux/arm64', layers: [{ 'bin/tool': 'tool' }] }]);
    const oci = join(dir, 'oci.tar');
    await saveArchive(store, ['example.com/app:v1', 'tool:v2'], oci);
    const docker = join(dir, 'docker.tar');
    await skopeoArchive(docker, 'example.com/app:v1');
    const target = await freshStore();
    const fromOci = await readImageArchive(target, oci);
    assert.deepEqual(
      fromOci.map(({ names, descriptor }) => [names, descriptor.digest]),
      [
        [['example.com/app:v1'], (await store.getImage('example.com/app:v1')).descriptor.digest],
        [['tool:v2'], (await store.getImage('tool:v2')).descriptor.digest],
      ],
    );
    const fromDocker = await readImageArchive(target, docker);
    assert.deepEqual(
      fromDocker.map(({ names, descriptor }) => [names, descriptor.digest, descriptor.platform]),
      [[['example.com/app:v1'], (await original()).image.descriptor.digest, { architecture: 'amd64', os: 'linux' }]],
    );
    const [viaDocker] = await readDockerArchive(target, docker);
    assert.deepEqual(viaDocker.platform, { architecture: 'amd64', os: 'linux' });
    assert.deepEqual(await target.listImages(), []);
    // The docker-archive's image is the OCI archive's amd64 one: no blob beyond those of the two images.
    const expected = new Set([...(await imageBlobs(store, (await store.getImage('example.com/app:v1')).descriptor)), ...(await imageBlobs(store, (await store.getImage('tool:v2')).descriptor))]);
    assert.deepEqual(await storeBlobs(target), [...expected].sort());
    await rejectsWith(readDockerArchive(target, oci), 'INVALID_ARCHIVE', /is not a docker-archive: it has no manifest\.json \(it is an OCI archive: read it with readImageArchive\)$/);
  });

  it('archiveKind tells the kinds apart from the entry names', async () => {
    const oci = join(dir, 'oci.tar');
    await saveArchive(store, ['example.com/app:v1'], oci);
    const docker = join(dir, 'docker.tar');
    await skopeoArchive(docker, 'example.com/app:v1');
    const other = join(dir, 'other.tar');
    await writeFile(other, tarOf({ README: 'hello' }));
    const text = join(dir, 'text');
    await writeFile(text, 'not a tar');
    assert.deepEqual(await Promise.all([oci, docker, other, text].map((file) => archiveKind(file))), ['oci', 'docker', undefined, undefined]);
    await rejectsWith(archiveKind(join(dir, 'missing.tar')), 'IO', /no such file$/);
  });

  it('FROM oci-archive: says a docker-archive is not an OCI archive', async () => {
    const file = join(dir, 'docker.tar');
    await skopeoArchive(file, 'example.com/app:v1');
    const target = await freshStore();
    await rejectsWith(importLayoutImage(target, { archive: file }), 'INVALID_ARCHIVE', /is a docker-archive, not an OCI archive \(it has no oci-layout and index\.json\); load it with kubefilec load -i .* and use the image by name$/);
    assert.deepEqual(await storeBlobs(target), []);
  });
});
