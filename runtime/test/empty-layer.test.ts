/**
 * Empty layers (issue 18) are valid wherever a layer is read: a RUN that changes nothing makes
 * one (an empty tar, recorded like any layer), and a base image may carry them in every form
 * Docker images do (an all-zero 1024-byte tar, a zero-length blob, a gzip of either): RUN,
 * image collection, save and load all take them.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { unpackLayers } from '../src/build/rootfs.js';
import { loadArchive, platformImages, saveArchive, type ImageStore } from '../src/index.js';
import { build, layerFiles, writeTree } from './build-helpers.js';
import { rawTar, useTempStore } from './fixtures.js';
import { makeRawImage, rawLayer } from './layer-fixtures.js';

const EMPTY_LAYERS: Record<string, Buffer> = {
  'an all-zero 1024-byte tar': Buffer.alloc(1024),
  'a zero-length blob': Buffer.alloc(0),
  'a gzip of an empty tar': gzipSync(Buffer.alloc(1024)),
  'a gzip of nothing': gzipSync(Buffer.alloc(0)),
};

async function platformImage(store: ImageStore, name: string) {
  const image = await store.getImage(name);
  const [found] = await platformImages(store, image.descriptor);
  return found;
}

describe('empty layers', () => {
  let store: ImageStore;
  let dir: string;
  const temp = useTempStore('kubefile-empty-');
  beforeEach(() => ({ store, dir } = temp));

  for (const [kind, bytes] of Object.entries(EMPTY_LAYERS)) {
    it(`unpacks ${kind} to nothing, between layers that have files`, async () => {
      const layers = [await rawLayer(store, rawTar([{ path: 'a/x', body: 'x' }])), await rawLayer(store, bytes), await rawLayer(store, gzipSync(rawTar([{ path: 'b', body: 'b' }])))];
      const root = join(dir, 'root');
      await unpackLayers(store, layers, root);
      assert.deepEqual((await readdir(root)).sort(), ['a', 'b']);
      await unpackLayers(store, [layers[1]], join(dir, 'only'), undefined, ['a']);
      assert.deepEqual(await readdir(join(dir, 'only')), []);
    });

    it(`RUN and image collection on a base image with ${kind}`, async () => {
      await makeRawImage(store, 'empty-base:v1', [await rawLayer(store, rawTar([{ path: 'etc/f', body: 'f' }])), await rawLayer(store, bytes)]);
      const context = join(dir, 'context');
      await writeTree(context, { 'manifests/none.yaml': 'kind: ConfigMap\n' });
      await build(store, context, 'FROM empty-base:v1\nCOPY manifests manifests\nRUN cat etc/f > out.txt\n', 'empty-run:v1', ['linux/amd64'], { mounter: 'copy' });
      const image = await platformImage(store, 'empty-run:v1');
      assert.equal(image.manifest.layers.length, 4);
      assert.ok(layerFiles(store, image.manifest.layers[3].digest).includes('out.txt'));
    });
  }

  for (const mounter of ['copy', 'overlay'] as const) {
    it(`${mounter}: a RUN that changes nothing makes an empty tar layer, and the RUN after it and image collection read it`, async () => {
      const context = join(dir, 'context');
      await writeTree(context, { 'etc/f': 'f\n', 'manifests/none.yaml': 'kind: ConfigMap\n' });
      const kubefile = 'FROM scratch\nCOPY etc etc\nRUN true\nCOPY manifests manifests\nRUN cat etc/f > out.txt\n';
      await build(store, context, kubefile, 'nothing:v1', ['linux/amd64'], { mounter });
      const image = await platformImage(store, 'nothing:v1');
      assert.equal(image.manifest.layers.length, 4);
      const empty = image.manifest.layers[1];
      assert.deepEqual(layerFiles(store, empty.digest), []);
      assert.deepEqual(await readFile(store.blobPath(empty.digest)), Buffer.alloc(1024), 'an empty tar: its end-of-archive blocks');
      assert.equal(image.config.rootfs.diff_ids[1], empty.digest);
      assert.equal(image.config['io.kubefile.cluster-image']?.layers[1].type, 'RUN');
      assert.ok(layerFiles(store, image.manifest.layers[3].digest).includes('out.txt'));
      // A rebuild reuses the cached empty layer and collects again over it.
      await build(store, context, kubefile, 'nothing:v2', ['linux/amd64'], { mounter, noCache: false });
      assert.equal((await platformImage(store, 'nothing:v2')).manifest.layers[1].digest, empty.digest);
    });
  }

  it('save and load an image with empty layers (plain and gzipped)', async () => {
    await makeRawImage(store, 'empty-save:v1', [await rawLayer(store, Buffer.alloc(1024)), await rawLayer(store, gzipSync(Buffer.alloc(1024))), await rawLayer(store, Buffer.alloc(0))]);
    const file = join(dir, 'empty.tar');
    await saveArchive(store, ['empty-save:v1'], file);
    const other = await temp.anotherStore();
    const [loaded] = await loadArchive(other, file);
    assert.equal(loaded.name, 'empty-save:v1');
    const image = await platformImage(other, 'empty-save:v1');
    assert.equal(image.manifest.layers.length, 3);
    await unpackLayers(other, image.manifest.layers, join(dir, 'loaded'));
  });
});
