/**
 * sealer's multi-platform save format, both ways: loading the saves the real sealer v0.11.0 wrote
 * (recorded in fixtures/sealer/), saving in its format, refusing broken or hostile ones; unnamed
 * archives stored untagged. With SEALER_BIN, the same against the real sealer. (Temp dirs are
 * kubefile-sarchive-*: the sealer harness removes kubefile-sealer-* ones as left by dead sessions.)
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Header, list } from 'tar';
import {
  ANNOTATION,
  digestHex,
  loadArchive,
  loadArchiveImages,
  MEDIA_TYPE,
  platformImages,
  prune,
  RuntimeError,
  saveArchive,
  sha256Digest,
  tagImage,
  type Descriptor,
  type Digest,
  type ImageStore,
  type OciIndex,
  type OciManifest,
  type StoredImage,
} from '../src/index.js';
import { makeImage, rawTar, useTempStore, type RawEntry } from './fixtures.js';
import { describeWithSealer, startSealer, type SealerSession } from './sealer-helpers.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../test/fixtures/sealer');
const MULTI = join(FIXTURES, 'multi-platform-save.tar');
const SINGLE = join(FIXTURES, 'single-platform-save.tar');
const MULTI_NAME = 'localhost/fixture-save-multi:v1';

/** What kubefilec's build writes for sealer (the build is to write it itself). */
const EXTENSION = '{"buildClient":{"sealerVersion":"kubefilec-0.1.0","buildahVersion":""},"schemaVersion":"v1alpha1","type":"app-installer","launch":{}}';


/** The regular files of a tar (given as bytes), by path, in order. */
function tarFiles(bytes: Buffer): { path: string; type: string; body: Buffer }[] {
  const files: { path: string; type: string; body: Buffer }[] = [];
  let offset = 0;
  while (offset + 512 <= bytes.length) {
    const header = new Header(bytes.subarray(offset, offset + 512));
    if (!header.path) break;
    const size = header.size ?? 0;
    files.push({ path: header.path, type: header.type ?? 'File', body: bytes.subarray(offset + 512, offset + 512 + size) });
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

function tarPaths(file: string): string[] {
  const paths: string[] = [];
  list({ file, sync: true, onReadEntry: (entry) => paths.push(entry.path) });
  return paths;
}

/** One platform's image as containers/image writes an OCI archive of it (sealer save's inner archives). */
function innerArchive(blobs: (string | Buffer)[], manifest: string | Buffer, extra: RawEntry[] = []): Buffer {
  const manifestDigest = sha256Digest(manifest);
  return rawTar([
    { path: 'blobs/', type: 'Directory' },
    { path: 'blobs/sha256/', type: 'Directory' },
    ...[...blobs, manifest].map((blob) => ({ path: `blobs/sha256/${digestHex(sha256Digest(blob))}`, body: blob })),
    { path: 'index.json', body: JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: MEDIA_TYPE.manifest, digest: manifestDigest, size: Buffer.byteLength(manifest) }] }) },
    { path: 'oci-layout', body: '{"imageLayoutVersion": "1.0.0"}' },
    ...extra,
  ]);
}

/** A small image of one platform: its config, one layer, its manifest. */
function platformParts(architecture: string, content = `hello from ${architecture}`): { blobs: Buffer[]; manifest: string; configHex: string } {
  const layer = rawTar([{ path: 'hello', body: content }]);
  const config = Buffer.from(JSON.stringify({ architecture, os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256Digest(layer)] } }));
  const manifest: OciManifest = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.manifest,
    config: { mediaType: MEDIA_TYPE.config, digest: sha256Digest(config), size: config.length },
    layers: [{ mediaType: MEDIA_TYPE.layer, digest: sha256Digest(layer), size: layer.length }],
  };
  return { blobs: [config, layer], manifest: JSON.stringify(manifest), configHex: digestHex(sha256Digest(config)) };
}

/** A sealer save made by hand: one inner archive per platform and Metadata (none for null). */
function sealerSave(platforms: string[], metadata: string | null = 'localhost/hand:v1'): Buffer {
  const entries: RawEntry[] = platforms.map((architecture) => {
    const parts = platformParts(architecture);
    return { path: `${parts.configHex}.tar`, body: innerArchive(parts.blobs, parts.manifest) };
  });
  return rawTar(metadata === null ? entries : [...entries, { path: 'Metadata', body: metadata }]);
}

async function snapshot(store: ImageStore): Promise<{ index: string; blobs: string[] }> {
  return { index: await readFile(join(store.root, 'index.json'), 'utf8'), blobs: (await readdir(join(store.root, 'blobs', 'sha256'))).sort() };
}

/** Every blob of the store matches its name. */
async function verifyBlobs(store: ImageStore): Promise<void> {
  for (const name of await readdir(join(store.root, 'blobs', 'sha256'))) {
    assert.equal(sha256Digest(await readFile(join(store.root, 'blobs', 'sha256', name))), `sha256:${name}`);
  }
}

/** A two-platform image that looks like a sealer image: each manifest has the sealer.image.extension annotation. */
async function sealerLookingImage(store: ImageStore, name: string): Promise<StoredImage> {
  const plain = await makeImage(store, `${name}-plain`, [
    { platform: 'linux/amd64', layers: [{ 'application/apps/app1/app.yaml': 'kind: ConfigMap # amd64\n' }] },
    { platform: 'linux/arm64', layers: [{ 'application/apps/app1/app.yaml': 'kind: ConfigMap # arm64\n' }] },
  ]);
  const index = await store.readJson<OciIndex>(plain.descriptor.digest);
  const manifests: Descriptor[] = [];
  for (const entry of index.manifests) {
    const manifest = await store.readJson<OciManifest>(entry.digest);
    manifests.push({ ...(await store.putJson({ ...manifest, annotations: { 'sealer.image.extension': EXTENSION } }, MEDIA_TYPE.manifest)), platform: entry.platform });
  }
  await store.removeImage(plain.name);
  return store.setImage(name, await store.putJson({ ...index, manifests }, MEDIA_TYPE.index));
}

async function rejectsWith(promise: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof RuntimeError, String(error));
    assert.equal(error.code, code, error.message);
    assert.match(error.message, message);
    assert.doesNotMatch(error.message, /\n/);
    return true;
  });
}

describe('sealer saves: loading what sealer save wrote', () => {
  const temp = useTempStore('kubefile-sarchive-');
  let store: ImageStore;
  let dir: string;
  beforeEach(() => ({ store, dir } = temp));

  it('loads the multi-platform save as one image index with both platforms, named by its Metadata', async () => {
    const [image, ...rest] = await loadArchive(store, MULTI);
    assert.deepEqual(rest, []);
    assert.equal(image.name, MULTI_NAME);
    assert.equal(image.descriptor.mediaType, MEDIA_TYPE.index);
    const platforms = await platformImages(store, image.descriptor);
    assert.deepEqual(platforms.map((p) => p.key).sort(), ['linux/amd64', 'linux/arm64/v8']);
    // The very manifests sealer saved, in the order of their files (as sealer lists them), each with the platform of its config.
    const archives = tarPaths(MULTI).filter((path) => path.endsWith('.tar')).sort();
    assert.deepEqual(
      platforms.map((p) => `${digestHex(p.manifest.config.digest)}.tar`),
      archives,
    );
    for (const p of platforms) {
      assert.deepEqual(p.platform, { architecture: p.config.architecture, os: p.config.os });
      assert.ok(p.manifest.annotations?.['sealer.image.extension']?.includes('"type":"app-installer"'));
    }
    await verifyBlobs(store);
    // Nothing but the image's blobs stays (the inner archives' index.json and oci-layout are not blobs).
    const blobs = (await readdir(join(store.root, 'blobs', 'sha256'))).length;
    const distinct = new Set([image.descriptor.digest, ...platforms.flatMap((p) => [p.descriptor.digest, p.manifest.config.digest, ...p.manifest.layers.map((l) => l.digest)])]);
    assert.equal(blobs, distinct.size);
  });

  it('loads the single-platform save (a plain OCI archive) by its ref.name', async () => {
    const [image] = await loadArchive(store, SINGLE);
    assert.equal(image.name, 'localhost/fixture-save-single:v1');
    assert.equal(image.descriptor.mediaType, MEDIA_TYPE.manifest);
    assert.deepEqual((await platformImages(store, image.descriptor)).map((p) => p.key), ['linux/amd64']);
  });

  it('loading again gives the same index, and replaces the name', async () => {
    const [first] = await loadArchive(store, MULTI);
    const [again] = await loadArchive(store, MULTI);
    assert.equal(again.descriptor.digest, first.descriptor.digest);
    assert.deepEqual((await store.listImages()).map((i) => i.name), [MULTI_NAME]);
  });

  it('--tag names it otherwise; without Metadata it is stored untagged', async () => {
    const [tagged] = await loadArchive(store, MULTI, { tag: 'mine:v2' });
    assert.equal(tagged.name, 'mine:v2');
    const file = join(dir, 'no-metadata.tar');
    await writeFile(file, sealerSave(['amd64', 'arm64'], null));
    const loaded = await loadArchiveImages(store, file);
    assert.deepEqual(loaded.images, []);
    assert.equal(loaded.untagged.length, 1);
    assert.equal(loaded.untagged[0].mediaType, MEDIA_TYPE.index);
    assert.deepEqual((await platformImages(store, loaded.untagged[0])).map((p) => p.key).sort(), ['linux/amd64', 'linux/arm64/v8']);
    await rejectsWith(loadArchive(store, file), 'INVALID_ARCHIVE', /has no name \(no Metadata file\), so it cannot be loaded into the store; load it with --tag NAME/);
  });

  it('reads inner docker-archives too (sealer save --format docker-archive)', async () => {
    const parts = platformParts('arm64');
    const [config, layer] = parts.blobs;
    const configHex = digestHex(sha256Digest(config));
    const layerHex = digestHex(sha256Digest(layer));
    const docker = rawTar([
      { path: `${layerHex}.tar`, body: layer },
      { path: `${configHex}.json`, body: config },
      { path: 'manifest.json', body: JSON.stringify([{ Config: `${configHex}.json`, RepoTags: [], Layers: [`${layerHex}.tar`] }]) },
    ]);
    const amd = platformParts('amd64');
    const file = join(dir, 'mixed.tar');
    await writeFile(file, rawTar([{ path: `${configHex}.tar`, body: docker }, { path: `${amd.configHex}.tar`, body: innerArchive(amd.blobs, amd.manifest) }, { path: 'Metadata', body: 'mixed:v1' }]));
    const [image] = await loadArchive(store, file);
    const platforms = await platformImages(store, image.descriptor);
    assert.deepEqual(platforms.map((p) => p.key).sort(), ['linux/amd64', 'linux/arm64/v8']);
    await verifyBlobs(store);
  });
});

describe('sealer saves: saving in sealer\'s format', () => {
  const temp = useTempStore('kubefile-sarchive-');
  let store: ImageStore;
  let dir: string;
  beforeEach(() => ({ store, dir } = temp));

  it('writes what sealer save writes: <config hex>.tar per platform (each as containers/image writes it), then Metadata', async () => {
    const [image] = await loadArchive(store, MULTI);
    const file = join(dir, 'ours.tar');
    const saved = await saveArchive(store, [image.name], file, { format: 'sealer' });
    assert.deepEqual(saved.images, [MULTI_NAME]);
    assert.equal(saved.bytes, (await stat(file)).size);
    assert.equal(saved.bytes, (await stat(MULTI)).size);
    const ours = tarFiles(await readFile(file));
    const theirs = tarFiles(await readFile(MULTI));
    assert.deepEqual(ours.map((f) => f.path), [...theirs.map((f) => f.path).filter((p) => p.endsWith('.tar')).sort(), 'Metadata']);
    assert.equal(ours.at(-1)?.body.toString(), MULTI_NAME);
    // Each inner archive holds the very files sealer's does, in the same order, with the same bytes.
    for (const inner of ours.filter((f) => f.path.endsWith('.tar'))) {
      const original = theirs.find((f) => f.path === inner.path);
      assert.ok(original);
      const mine = tarFiles(inner.body).map((f) => [f.path, f.type, f.body.toString('hex')]);
      const sealers = tarFiles(original.body).map((f) => [f.path, f.type, f.body.toString('hex')]);
      assert.deepEqual(mine, sealers);
    }
    // Deterministic, and loads back to the same index.
    await saveArchive(store, [image.name], join(dir, 'again.tar'), { format: 'sealer' });
    assert.ok((await readFile(join(dir, 'again.tar'))).equals(await readFile(file)));
    const other = await temp.anotherStore();
    const [back] = await loadArchive(other, file);
    assert.equal(back.descriptor.digest, image.descriptor.digest);
  });

  it('saves a kubefilec image: its platforms, or those named, and loads back with the same manifests', async () => {
    const image = await sealerLookingImage(store, 'app:v1');
    const file = join(dir, 'app.tar');
    await saveArchive(store, ['app:v1'], file, { format: 'sealer' });
    const platforms = await platformImages(store, image.descriptor);
    assert.deepEqual(tarPaths(file), [...platforms.map((p) => `${digestHex(p.manifest.config.digest)}.tar`), 'Metadata']);
    const other = await temp.anotherStore();
    const [back] = await loadArchive(other, file);
    assert.equal(back.name, 'app:v1');
    assert.deepEqual(
      (await platformImages(other, back.descriptor)).map((p) => [p.key, p.descriptor.digest]).sort(),
      platforms.map((p) => [p.key, p.descriptor.digest]).sort(),
    );
    await saveArchive(store, ['app:v1'], join(dir, 'arm.tar'), { format: 'sealer', platforms: ['arm64'] });
    const arm = platforms.find((p) => p.key === 'linux/arm64/v8');
    assert.deepEqual(tarPaths(join(dir, 'arm.tar')), [`${digestHex(arm?.manifest.config.digest ?? 'sha256:')}.tar`, 'Metadata']);
  });

  it('saves a lone manifest as sealer does: a plain OCI archive naming it', async () => {
    const [single] = await loadArchive(store, SINGLE);
    const file = join(dir, 'single.tar');
    await saveArchive(store, [single.name], file, { format: 'sealer' });
    assert.ok(tarPaths(file).includes('index.json'));
    const index = JSON.parse(execFileSync('tar', ['xOf', file, 'index.json']).toString()) as OciIndex;
    assert.equal(index.manifests[0].annotations?.[ANNOTATION.refName], single.name);
  });

  it('refuses several images, and an unknown one, writing nothing', async () => {
    await sealerLookingImage(store, 'app:v1');
    await sealerLookingImage(store, 'app:v2');
    const file = join(dir, 'two.tar');
    await rejectsWith(saveArchive(store, ['app:v1', 'app:v2'], file, { format: 'sealer' }), 'INVALID_NAME', /a sealer archive holds one image, but 2 are named/);
    await rejectsWith(saveArchive(store, ['nothing:v1'], file, { format: 'sealer' }), 'IMAGE_NOT_FOUND', /nothing:v1/);
    await rejectsWith(saveArchive(store, ['app:v1'], file, { format: 'sealer', platforms: ['linux/s390x'] }), 'PLATFORM_NOT_FOUND', /has no linux\/s390x variant/);
    assert.deepEqual(await readdir(dir), []);
  });
});

describe('sealer saves: broken or hostile ones are refused, the store left as it was', () => {
  const temp = useTempStore('kubefile-sarchive-');
  let store: ImageStore;
  let dir: string;
  beforeEach(() => ({ store, dir } = temp));

  const amd = platformParts('amd64');
  const arm = platformParts('arm64');
  const goodInner = (parts = amd, extra: RawEntry[] = []) => innerArchive(parts.blobs, parts.manifest, extra);
  const cases: { name: string; archive: () => Buffer; code?: string; message: RegExp }[] = [
    {
      name: 'a blob whose content does not match its name',
      archive: () => {
        const inner = rawTar([{ path: `blobs/sha256/${digestHex(sha256Digest('x'))}`, body: 'y' }, ...tarFiles(goodInner()).map((f) => ({ path: f.path, type: f.type as 'File', body: f.body }))]);
        return rawTar([{ path: `${amd.configHex}.tar`, body: inner }, { path: 'Metadata', body: 'bad:v1' }]);
      },
      code: 'DIGEST_MISMATCH',
      message: new RegExp(`: ${amd.configHex}\\.tar: entry "blobs/sha256/[a-f0-9]{64}": blob content does not match its digest`),
    },
    {
      name: 'an inner ../ path',
      archive: () => rawTar([{ path: `${amd.configHex}.tar`, body: goodInner(amd, [{ path: '../../etc/evil', body: 'x' }]) }, { path: 'Metadata', body: 'bad:v1' }]),
      message: new RegExp(`: ${amd.configHex}\\.tar: entry "\\.\\./\\.\\./etc/evil" has a "\\.\\." path component$`),
    },
    {
      name: 'an inner absolute path',
      archive: () => rawTar([{ path: `${amd.configHex}.tar`, body: goodInner(amd, [{ path: '/etc/evil', body: 'x' }]) }, { path: 'Metadata', body: 'bad:v1' }]),
      message: /\.tar: entry "\/etc\/evil" has an absolute path$/,
    },
    {
      name: 'an inner symbolic link out of the archive',
      archive: () => rawTar([{ path: `${amd.configHex}.tar`, body: goodInner(amd, [{ path: 'escape', type: 'SymbolicLink', linkpath: '../../../etc/passwd' }]) }, { path: 'Metadata', body: 'bad:v1' }]),
      message: /\.tar: entry "escape" is a symbolic link to "\.\.\/\.\.\/\.\.\/etc\/passwd", outside the archive$/,
    },
    {
      name: 'an inner device file',
      archive: () => rawTar([{ path: `${amd.configHex}.tar`, body: goodInner(amd, [{ path: 'dev', type: 'CharacterDevice' }]) }, { path: 'Metadata', body: 'bad:v1' }]),
      message: /\.tar: entry "dev" is a device file/,
    },
    {
      name: 'a Metadata that is a link',
      archive: () => rawTar([{ path: `${amd.configHex}.tar`, body: goodInner() }, { path: 'Metadata', type: 'SymbolicLink', linkpath: '/etc/hostname' }]),
      message: /entry "Metadata" is a symbolic link \(to "\/etc\/hostname"\); Metadata must be a regular file$/,
    },
    {
      name: 'a Metadata that is no image name',
      archive: () => rawTar([{ path: `${amd.configHex}.tar`, body: goodInner() }, { path: 'Metadata', body: 'Not A Name!' }]),
      message: /: its Metadata file holds "Not A Name!", not a usable image name: /,
    },
    {
      name: 'an empty Metadata',
      archive: () => rawTar([{ path: `${amd.configHex}.tar`, body: goodInner() }, { path: 'Metadata', body: '' }]),
      message: /: its Metadata file is empty; it should hold the image's name$/,
    },
    {
      name: 'an oversized Metadata',
      archive: () => rawTar([{ path: `${amd.configHex}.tar`, body: goodInner() }, { path: 'Metadata', body: 'a'.repeat(5000) }]),
      message: /Metadata is 5000 bytes, larger than any valid one \(4096\)$/,
    },
    {
      name: 'a Metadata without image archives',
      archive: () => rawTar([{ path: 'Metadata', body: 'lonely:v1' }]),
      message: /: it has a Metadata file \(a sealer save\) but no image archive \(<image ID>\.tar\) in it$/,
    },
    {
      name: 'a .tar that is not an image archive',
      archive: () => rawTar([{ path: `${amd.configHex}.tar`, body: goodInner() }, { path: 'junk.tar', body: 'not a tar at all' }, { path: 'Metadata', body: 'bad:v1' }]),
      message: /: junk\.tar is not an image archive \(a sealer save holds one per platform\)$/,
    },
    {
      name: 'an inner archive holding an image index',
      archive: () => {
        const index = JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPE.index, manifests: [{ mediaType: MEDIA_TYPE.manifest, digest: sha256Digest(amd.manifest), size: amd.manifest.length }] });
        const inner = rawTar([
          ...[...amd.blobs, amd.manifest, index].map((blob) => ({ path: `blobs/sha256/${digestHex(sha256Digest(blob))}`, body: blob })),
          { path: 'index.json', body: JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: MEDIA_TYPE.index, digest: sha256Digest(index), size: index.length }] }) },
          { path: 'oci-layout', body: '{"imageLayoutVersion": "1.0.0"}' },
        ]);
        return rawTar([{ path: 'nested.tar', body: inner }, { path: 'Metadata', body: 'bad:v1' }]);
      },
      message: /: nested\.tar: holds an image index \(sha256:[a-f0-9]{64}\); an image archive of a sealer save holds one platform's image$/,
    },
    {
      name: 'two archives of the same platform',
      archive: () => rawTar([{ path: 'a.tar', body: goodInner(amd) }, { path: 'b.tar', body: goodInner(platformParts('amd64', 'other')) }, { path: 'Metadata', body: 'bad:v1' }]),
      message: /: a\.tar and b\.tar are both linux\/amd64 images; an image index holds one image per platform$/,
    },
    {
      name: 'an inner archive missing a blob',
      archive: () => {
        const inner = tarFiles(goodInner()).filter((f) => f.path !== `blobs/sha256/${digestHex(sha256Digest(amd.blobs[1]))}`);
        return rawTar([{ path: 'a.tar', body: rawTar(inner.map((f) => ({ path: f.path, type: f.type as 'File', body: f.body }))) }, { path: 'Metadata', body: 'bad:v1' }]);
      },
      message: /: a\.tar: blob sha256:[a-f0-9]{64} \(layer 1 of manifest sha256:[a-f0-9]{64}\) is not in the archive$/,
    },
    {
      name: 'an inner archive without its end',
      archive: () => rawTar([{ path: 'a.tar', body: goodInner().subarray(0, goodInner().length - 1024) }, { path: 'Metadata', body: 'bad:v1' }]),
      message: /: a\.tar: the archive is truncated \(it has no end-of-archive marker\)$/,
    },
    {
      name: 'a save cut in the middle of an inner archive',
      archive: () => sealerSave(['amd64', 'arm64']).subarray(0, 512 + 2048 + 700),
      message: /is truncated/,
    },
  ];
  for (const testCase of cases) {
    it(`refuses ${testCase.name}`, async () => {
      // The store already holds something, which must stay as it is.
      await loadArchive(store, MULTI);
      const before = await snapshot(store);
      const file = join(dir, 'bad.tar');
      await writeFile(file, testCase.archive());
      await rejectsWith(loadArchive(store, file), testCase.code ?? 'INVALID_ARCHIVE', testCase.message);
      assert.deepEqual(await snapshot(store), before);
    });
  }

  it('keeps a docker-archive whose layers skopeo names <hex>.tar a docker-archive', async () => {
    // An uncompressed layer is a tar too: only one starting as an image archive does is read as one.
    const [config, layer] = arm.blobs;
    const file = join(dir, 'docker.tar');
    const layerHex = digestHex(sha256Digest(layer));
    await writeFile(
      file,
      rawTar([
        { path: `${layerHex}.tar`, body: layer },
        { path: `${digestHex(sha256Digest(config))}.json`, body: config },
        { path: 'manifest.json', body: JSON.stringify([{ Config: `${digestHex(sha256Digest(config))}.json`, RepoTags: ['docker:v1'], Layers: [`${layerHex}.tar`] }]) },
      ]),
    );
    const [image] = await loadArchive(store, file);
    assert.equal(image.name, 'docker:v1');
  });
});

describe('archives without names', () => {
  const temp = useTempStore('kubefile-sarchive-');
  let store: ImageStore;
  let dir: string;
  beforeEach(() => ({ store, dir } = temp));

  /** An OCI archive as `skopeo copy oci:DIR oci-archive:FILE` writes it: index.json entries without ref.name. */
  async function unnamedArchive(file: string): Promise<Digest> {
    const source = await temp.anotherStore();
    const image = await makeImage(source, 'src:v1', [{ platform: 'linux/amd64', layers: [{ a: 'a' }] }, { platform: 'linux/arm64', layers: [{ b: 'b' }] }]);
    execFileSync('skopeo', ['copy', '--all', '--preserve-digests', `oci:${source.root}:src:v1`, `oci-archive:${file}`], { stdio: 'pipe' });
    const index = JSON.parse(execFileSync('tar', ['xOf', file, 'index.json']).toString()) as OciIndex;
    assert.equal(index.manifests[0].annotations?.[ANNOTATION.refName], undefined);
    return image.descriptor.digest;
  }

  it('stores the image untagged, kept by prune, listed once, and tag DIGEST names it', async () => {
    const file = join(dir, 'unnamed.tar');
    const digest = await unnamedArchive(file);
    const loaded = await loadArchiveImages(store, file);
    assert.deepEqual(loaded.images, []);
    assert.deepEqual(loaded.untagged.map((d) => d.digest), [digest]);
    await loadArchiveImages(store, file);
    const entries = (await store.readIndex()).manifests;
    assert.deepEqual(entries.map((e) => [e.digest, e.annotations?.[ANNOTATION.refName]]), [[digest, undefined]]);
    assert.deepEqual(await store.listImages(), []);
    await prune(store);
    assert.deepEqual((await platformImages(store, loaded.untagged[0])).map((p) => p.key), ['linux/amd64', 'linux/arm64/v8']);
    const tagged = await tagImage(store, digest, 'named:v1');
    assert.equal(tagged.descriptor.digest, digest);
    assert.deepEqual((await store.readIndex()).manifests.map((e) => e.annotations?.[ANNOTATION.refName]), ['named:v1']);
    await rejectsWith(tagImage(store, `sha256:${'0'.repeat(64)}`, 'x:v1'), 'IMAGE_NOT_FOUND', /no image with digest sha256:0{64} is in the store/);
  });

  it('--tag stores it under the name; loadArchive still refuses it without one', async () => {
    const file = join(dir, 'unnamed.tar');
    const digest = await unnamedArchive(file);
    const [image] = await loadArchive(store, file, { tag: 'given:v3' });
    assert.deepEqual([image.name, image.descriptor.digest], ['given:v3', digest]);
    await rejectsWith(loadArchive(store, file), 'INVALID_ARCHIVE', /has no name \(no org\.opencontainers\.image\.ref\.name annotation\)/);
  });

  it('--tag refuses an archive of several images', async () => {
    await sealerLookingImage(store, 'a:v1');
    await sealerLookingImage(store, 'b:v1');
    const file = join(dir, 'two.tar');
    await saveArchive(store, ['a:v1', 'b:v1'], file);
    const other = await temp.anotherStore();
    await rejectsWith(loadArchive(other, file, { tag: 'one:v1' }), 'INVALID_ARCHIVE', /--tag names one image, but the archive holds 2$/);
  });
});

describeWithSealer('sealer saves with the real sealer', function (bin) {
  this.timeout(300_000);
  const temp = useTempStore('kubefile-sarchive-');
  let store: ImageStore;
  let dir: string;
  let session: SealerSession | undefined;
  beforeEach(async () => {
    ({ store, dir } = temp);
    session = await startSealer(bin);
  });
  afterEach(async () => {
    await session?.cleanup();
    session = undefined;
  });

  it('sealer load of our sealer save keeps both platforms, each one inspectable', async () => {
    const sealer = session as SealerSession;
    const image = await sealerLookingImage(store, 'kf-app:v1');
    const file = join(dir, 'kf-app.tar');
    await saveArchive(store, ['kf-app:v1'], file, { format: 'sealer' });
    await sealer.run(['load', '-i', file]);
    const list = JSON.parse((await sealer.run(['alpha', 'manifest', 'inspect', 'kf-app:v1'])).stdout) as OciIndex;
    const platforms = await platformImages(store, image.descriptor);
    assert.deepEqual(
      list.manifests.map((m) => [m.digest, m.platform?.architecture]).sort(),
      platforms.map((p) => [p.descriptor.digest, p.platform.architecture]).sort(),
    );
    for (const p of platforms) {
      const spec = JSON.parse((await sealer.run(['inspect', digestHex(p.manifest.config.digest)])).stdout);
      assert.equal(spec.digest, p.descriptor.digest);
      assert.equal(spec.ociv1.architecture, p.platform.architecture);
      assert.equal(spec.imageExtension.type, 'app-installer');
    }
    // Our plain OCI archive of the same image: sealer keeps only its own platform (why --format sealer exists).
    await tagImage(store, 'kf-app:v1', 'kf-oci:v1');
    const oci = join(dir, 'kf-oci.tar');
    await saveArchive(store, ['kf-oci:v1'], oci);
    await sealer.run(['load', '-i', oci]);
    await assert.rejects(sealer.run(['alpha', 'manifest', 'inspect', 'kf-oci:v1']), /not a manifest list/);
    const host = JSON.parse((await sealer.run(['inspect', 'kf-oci:v1'])).stdout);
    assert.equal(host.ociv1.architecture, 'amd64');
  });

  it('kubefilec load of sealer\'s own multi-platform save keeps both platforms', async () => {
    const sealer = session as SealerSession;
    const context = join(sealer.dir, 'context');
    await mkdir(context);
    await writeFile(join(context, 'app.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app1\n');
    await writeFile(join(context, 'Kubefile'), 'FROM scratch\nAPP app1 local://app.yaml\nLAUNCH ["app1"]\n');
    await sealer.run(['build', '--type', 'app-installer', '--platform', 'linux/amd64,linux/arm64', '-t', 'sealer-multi:v1', '.'], { cwd: context });
    const file = join(dir, 'sealer-multi.tar');
    await sealer.run(['save', '-o', file, 'sealer-multi:v1']);
    const list = JSON.parse((await sealer.run(['alpha', 'manifest', 'inspect', 'sealer-multi:v1'])).stdout) as OciIndex;
    const [image] = await loadArchive(store, file);
    assert.equal(image.name, 'localhost/sealer-multi:v1');
    const platforms = await platformImages(store, image.descriptor);
    assert.deepEqual(platforms.map((p) => p.key).sort(), ['linux/amd64', 'linux/arm64/v8']);
    // sealer save gzips the stored uncompressed layers, so the manifests differ from the list's; the configs (the file names) do not.
    assert.deepEqual(platforms.map((p) => p.platform.architecture).sort(), list.manifests.map((m) => m.platform?.architecture).sort());
    assert.deepEqual(platforms.map((p) => `${digestHex(p.manifest.config.digest)}.tar`).sort(), tarPaths(file).filter((path) => path.endsWith('.tar')).sort());
    for (const p of platforms) assert.ok(p.manifest.layers.every((layer) => layer.mediaType === MEDIA_TYPE.layerGzip));
    await verifyBlobs(store);
  });
});
