/**
 * `prune` keeps the image collection step's cache entry (issue 18): one that found nothing has no
 * layer, one that found something has the layer the image uses. Either way the build after a
 * prune reuses the collection instead of reading the image's files (and registries) again.
 */
import assert from 'node:assert/strict';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ImageCollector } from '../src/collect/collect.js';
import { prune, saveArchive, type ImageStore } from '../src/index.js';
import { build, writeTree } from './build-helpers.js';
import { makeImage, useTempStore } from './fixtures.js';

/** Counts collections that ran (a cached one never asks which sources it wants). */
function countCollections(): { count: () => number; restore: () => void } {
  const original = ImageCollector.prototype.wanted;
  let calls = 0;
  ImageCollector.prototype.wanted = function (this: ImageCollector, ...args: Parameters<typeof original>) {
    calls++;
    return original.apply(this, args);
  };
  return { count: () => calls, restore: () => void (ImageCollector.prototype.wanted = original) };
}

describe('prune and the image collection cache', () => {
  let store: ImageStore;
  let context: string;
  const temp = useTempStore('kubefile-prune-collect-');
  beforeEach(() => ({ store, dir: context } = temp));
  let spy: ReturnType<typeof countCollections>;
  beforeEach(() => (spy = countCollections()));
  afterEach(() => spy.restore());

  it('a collection that found nothing (no layer) is still cached after prune', async () => {
    await writeTree(context, { 'manifests/cm.yaml': 'kind: ConfigMap\nmetadata:\n  name: none\n' });
    const kubefile = 'FROM scratch\nCOPY manifests manifests\n';
    const first = await build(store, context, kubefile, 'nothing:v1', ['linux/amd64']);
    const collections = spy.count();
    assert.ok(collections > 0);
    const entries = await readdir(join(store.dir('cache'), 'layers'));
    const pruned = await prune(store);
    assert.equal(pruned.cacheEntries, 0);
    assert.deepEqual(await readdir(join(store.dir('cache'), 'layers')), entries);
    const again = await build(store, context, kubefile, 'nothing:v1', ['linux/amd64']);
    assert.equal(spy.count(), collections, 'the second build does not collect again');
    assert.equal(again.image.descriptor.digest, first.image.descriptor.digest);
  });

  it('a collection that found something (its layer in the image) is still cached after prune', async () => {
    const source = await temp.anotherStore();
    await makeImage(source, 'app:v1', [{ platform: 'linux/amd64', layers: [{ 'bin/app': 'app\n' }] }]);
    await writeTree(context, { 'manifests/cm.yaml': 'kind: ConfigMap\n' });
    await saveArchive(source, ['app:v1'], join(context, 'app.tar'));
    const kubefile = 'FROM scratch\nCOPY manifests manifests\nCOPY app.tar images/\n';
    const first = await build(store, context, kubefile, 'something:v1', ['linux/amd64']);
    const collections = spy.count();
    assert.ok(collections > 0);
    assert.ok(first.events.some((e) => e.type === 'step-done' && e.step === 4 && !e.cached && e.layer), 'the collection made a layer');
    const pruned = await prune(store);
    assert.equal(pruned.cacheEntries, 0);
    const again = await build(store, context, kubefile, 'something:v1', ['linux/amd64']);
    assert.equal(spy.count(), collections, 'the second build does not collect again');
    assert.ok(again.events.some((e) => e.type === 'step-done' && e.step === 4 && e.cached));
    assert.equal(again.image.descriptor.digest, first.image.descriptor.digest);
  });

  it('an entry whose layer is gone, or that is unreadable, still goes', async () => {
    await writeTree(context, { 'a.txt': 'a' });
    await build(store, context, 'FROM scratch\nCOPY a.txt a.txt\n', 'gone:v1', ['linux/amd64']);
    await store.removeImage('gone:v1');
    await writeFile(join(store.dir('cache'), 'layers', 'broken.json'), '{');
    await writeFile(join(store.dir('cache'), 'layers', 'empty.json'), '{}');
    const before = (await readdir(join(store.dir('cache'), 'layers'))).length;
    const pruned = await prune(store);
    assert.ok(pruned.cacheEntries >= 2);
    assert.ok((await readdir(join(store.dir('cache'), 'layers'))).length <= before - 2);
  });
});
