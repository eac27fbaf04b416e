/**
 * `load` checks each layer's diff ID (issue 18), as Docker does: a layer whose gzip stream is
 * truncated still has the digest of its bytes, so only unpacking it tells. Such an archive, or one
 * whose config gives a layer another diff ID, is refused with one line naming the layer, and the
 * store is left as it was (no name, no blob added).
 */
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { importLayoutImage, loadArchive, saveArchive, type ImageStore, type RuntimeError } from '../src/index.js';
import { build, writeTree } from './build-helpers.js';
import { rawTar, useTempStore } from './fixtures.js';
import { diffIdOf, makeRawImage, rawLayer } from './layer-fixtures.js';

async function blobsOf(store: ImageStore): Promise<string[]> {
  return (await readdir(join(store.root, 'blobs', 'sha256')).catch(() => [] as string[])).sort();
}

describe('load checks diff IDs', () => {
  let store: ImageStore;
  let dir: string;
  const temp = useTempStore('kubefile-diffid-');
  beforeEach(() => ({ store, dir } = temp));

  /** An image whose second layer is a gzip stream cut short; its config gives the whole stream's diff ID. */
  async function truncatedImage(name: string): Promise<{ truncated: string }> {
    const good = await rawLayer(store, gzipSync(rawTar([{ path: 'a', body: 'a' }])));
    const body = gzipSync(rawTar([{ path: 'big', body: Buffer.alloc(200_000, 7).toString() + 'x'.repeat(100_000) }]));
    const whole = await rawLayer(store, body);
    const cut = await rawLayer(store, body.subarray(0, body.length - 40));
    await makeRawImage(store, name, [good, cut], { diffIds: [await diffIdOf(store, good), await diffIdOf(store, whole)] });
    return { truncated: cut.digest };
  }

  for (const format of ['oci', 'sealer'] as const) {
    it(`${format} archive: a truncated gzip layer is refused at load, naming it, and the store is as it was`, async () => {
      const { truncated } = await truncatedImage('cut:v1');
      const file = join(dir, `cut-${format}.tar`);
      await saveArchive(store, ['cut:v1'], file, { format });
      const other = await temp.anotherStore();
      await makeRawImage(other, 'already:v1', [await rawLayer(other, rawTar([{ path: 'z', body: 'z' }]))]);
      const before = { blobs: await blobsOf(other), index: await other.readIndex() };
      await assert.rejects(loadArchive(other, file), (error: RuntimeError) => {
        assert.equal(error.code, 'INVALID_ARCHIVE');
        assert.ok(error.message.includes(`layer ${truncated} is damaged`), error.message);
        assert.doesNotMatch(error.message, /\n/);
        return true;
      });
      assert.deepEqual(await blobsOf(other), before.blobs);
      assert.deepEqual(await other.readIndex(), before.index);
    });
  }

  it('a layer whose config gives another diff ID is refused', async () => {
    const layer = await rawLayer(store, gzipSync(rawTar([{ path: 'a', body: 'a' }])));
    const wrong = await diffIdOf(store, await rawLayer(store, rawTar([{ path: 'b', body: 'b' }])));
    await makeRawImage(store, 'wrong:v1', [layer], { diffIds: [wrong] });
    const file = join(dir, 'wrong.tar');
    await saveArchive(store, ['wrong:v1'], file);
    const other = await temp.anotherStore();
    await assert.rejects(loadArchive(other, file), (error: RuntimeError) => {
      assert.equal(error.code, 'INVALID_ARCHIVE');
      assert.match(error.message, new RegExp(`layer ${layer.digest} is damaged: its uncompressed content has digest sha256:[0-9a-f]{64}, but the image config gives diff_id ${wrong}`));
      return true;
    });
    assert.deepEqual(await blobsOf(other), []);
  });

  it('FROM oci-archive: refuses the truncated layer too', async () => {
    const { truncated } = await truncatedImage('cut:v1');
    const file = join(dir, 'cut.tar');
    await saveArchive(store, ['cut:v1'], file);
    const other = await temp.anotherStore();
    await assert.rejects(importLayoutImage(other, { archive: file }), (error: RuntimeError) => {
      assert.equal(error.code, 'INVALID_ARCHIVE');
      assert.ok(error.message.includes(`layer ${truncated} is damaged`), error.message);
      return true;
    });
    assert.deepEqual(await blobsOf(other), []);
    const context = join(dir, 'context');
    await writeTree(context, { 'x.txt': 'x' });
    await assert.rejects(build(other, context, `FROM oci-archive:${file}\nCOPY x.txt x.txt\n`, 'from-cut:v1', ['linux/amd64']), /is damaged/);
  });

  it('good gzipped and plain layers load', async () => {
    await makeRawImage(store, 'good:v1', [await rawLayer(store, gzipSync(rawTar([{ path: 'a', body: 'a' }]))), await rawLayer(store, rawTar([{ path: 'b', body: 'b' }]))]);
    const file = join(dir, 'good.tar');
    await saveArchive(store, ['good:v1'], file);
    const [loaded] = await loadArchive(await temp.anotherStore(), file);
    assert.equal(loaded.name, 'good:v1');
  });
});
