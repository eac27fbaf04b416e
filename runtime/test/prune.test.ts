import assert from 'node:assert/strict';
import { mkdir, readdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { collectBlobs, deleteImage, inspectImage, MEDIA_TYPE, platformImages, prune, sha256Digest, type Digest, type ImageStore } from '../src/index.js';
import { makeImage, tempStore } from './fixtures.js';

let store: ImageStore;
let root: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ store, root, cleanup } = await tempStore());
});
afterEach(() => cleanup());

async function blobs(): Promise<Set<Digest>> {
  const found = new Set<Digest>();
  for await (const digest of store.blobDigests()) found.add(digest);
  return found;
}

/** Makes every blob look written an hour ago, as blobs of past builds are. */
async function ageBlobs(): Promise<void> {
  const then = new Date(Date.now() - 3_600_000);
  for (const digest of await blobs()) await utimes(store.blobPath(digest), then, then);
}

async function imageBlobs(name: string): Promise<Map<Digest, number>> {
  const found = new Map<Digest, number>();
  await collectBlobs(store, (await store.getImage(name)).descriptor, found);
  return found;
}

async function writeCacheEntry(key: string, content: string): Promise<string> {
  const dir = join(root, 'cache', 'layers');
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${key}.json`);
  await writeFile(path, content);
  return path;
}

const cacheEntry = (digest: Digest, size: number): string => JSON.stringify({ layer: { mediaType: MEDIA_TYPE.layer, digest, size }, diffId: digest });

describe('prune', () => {
  /** keep:v1 and gone:v1 share a layer; gone:v1 is deleted. */
  async function twoImagesOneDeleted(): Promise<{ kept: Map<Digest, number>; gone: Map<Digest, number>; goneLayer: Digest; keptLayer: Digest }> {
    await makeImage(store, 'keep:v1', [{ platform: 'linux/amd64', layers: [{ shared: 's' }, { keep: 'k' }] }]);
    await makeImage(store, 'gone:v1', [
      { platform: 'linux/amd64', layers: [{ shared: 's' }, { gone: 'g' }] },
      { platform: 'linux/arm64', layers: [{ gone: 'arm' }] },
    ]);
    const kept = await imageBlobs('keep:v1');
    const all = await imageBlobs('gone:v1');
    const gone = new Map([...all].filter(([digest]) => !kept.has(digest)));
    const goneLayer = (await platformImages(store, (await store.getImage('gone:v1')).descriptor))[1].manifest.layers[0].digest;
    const keptLayer = (await platformImages(store, (await store.getImage('keep:v1')).descriptor))[0].manifest.layers[1].digest;
    await deleteImage(store, 'gone:v1');
    await ageBlobs();
    return { kept, gone, goneLayer, keptLayer };
  }

  it('removes only blobs no name reaches, and counts their bytes', async () => {
    const { kept, gone } = await twoImagesOneDeleted();
    // index, 2 manifests, 2 configs, 2 own layers (the shared one stays).
    assert.equal(gone.size, 7);
    const result = await prune(store);
    assert.equal(result.blobs, gone.size);
    assert.equal(result.bytes, [...gone.values()].reduce((a, b) => a + b, 0));
    assert.deepEqual(new Set(result.digests), new Set(gone.keys()));
    assert.deepEqual(await blobs(), new Set(kept.keys()));
    // The kept image is whole.
    assert.equal((await inspectImage(store, 'keep:v1', { format: 'json' })).format, 'json');
    const again = await prune(store);
    assert.deepEqual([again.blobs, again.bytes, again.cacheEntries], [0, 0, 0]);
  });

  it('a dry run reports the same and removes nothing', async () => {
    const { gone, goneLayer } = await twoImagesOneDeleted();
    await writeCacheEntry('stale', cacheEntry(goneLayer, gone.get(goneLayer) ?? 0));
    const before = await blobs();
    const result = await prune(store, { dryRun: true });
    assert.equal(result.dryRun, true);
    assert.equal(result.blobs, gone.size);
    assert.equal(result.cacheEntries, 1);
    assert.deepEqual(await blobs(), before);
    assert.deepEqual(await readdir(join(root, 'cache', 'layers')), ['stale.json']);
    const real = await prune(store);
    assert.deepEqual([real.blobs, real.bytes, real.cacheEntries], [result.blobs, result.bytes, result.cacheEntries]);
  });

  it('keeps unreferenced blobs written since a live lease began', async () => {
    await makeImage(store, 'keep:v1', [{ platform: 'linux/amd64', layers: [{ a: '1' }] }]);
    const old = (await store.writeBlob('old unreferenced')).digest;
    await ageBlobs();
    const release = await store.lease();
    try {
      await sleep(5);
      const fresh = (await store.writeBlob('written by a running build')).digest;
      const result = await prune(store);
      assert.deepEqual(result.digests, [old]);
      assert.ok(await store.hasBlob(fresh));
    } finally {
      await release();
    }
    // With the build gone, nothing protects the fresh blob.
    const after = await prune(store);
    assert.equal(after.blobs, 1);
    assert.equal(after.digests[0], sha256Digest('written by a running build'));
  });

  it('removes layer-cache entries whose blob is gone, and unreadable ones', async () => {
    const { kept, gone, goneLayer, keptLayer } = await twoImagesOneDeleted();
    assert.ok(gone.has(goneLayer) && kept.has(keptLayer));
    await writeCacheEntry('a-stale', cacheEntry(goneLayer, gone.get(goneLayer) ?? 0));
    await writeCacheEntry('b-live', cacheEntry(keptLayer, kept.get(keptLayer) ?? 0));
    await writeCacheEntry('c-missing', cacheEntry(`sha256:${'1'.repeat(64)}`, 1));
    await writeCacheEntry('d-garbage', '{"layer":');
    await writeFile(join(root, 'cache', 'layers', 'not-an-entry.tmp'), 'x');
    const result = await prune(store);
    assert.equal(result.cacheEntries, 3);
    assert.deepEqual((await readdir(join(root, 'cache', 'layers'))).sort(), ['b-live.json', 'not-an-entry.tmp']);
  });

  it('still runs when an image is broken, keeping what it reaches', async () => {
    const missing = `sha256:${'2'.repeat(64)}` as Digest;
    const index = await store.putJson({ schemaVersion: 2, mediaType: MEDIA_TYPE.index, manifests: [{ mediaType: MEDIA_TYPE.manifest, digest: missing, size: 10 }] }, MEDIA_TYPE.index);
    await store.setImage('broken:v1', index);
    await store.writeBlob('loose');
    await ageBlobs();
    const result = await prune(store);
    assert.equal(result.blobs, 1);
    assert.ok(await store.hasBlob(index.digest));
  });
});
