import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import yaml from 'js-yaml';
import { PlatformError } from '@kubefile/compiler';
import {
  ANNOTATION,
  CLUSTER_IMAGE_KEY,
  deleteImage,
  digestHex,
  inspectImage,
  listImageSummaries,
  manifestAdd,
  manifestCreate,
  manifestInspect,
  manifestRemove,
  MEDIA_TYPE,
  platformImages,
  renderInspect,
  RuntimeError,
  splitImageName,
  tagImage,
  type Descriptor,
  type ImageStore,
  type InspectJson,
  type OciImageConfig,
  type OciIndex,
  type OciManifest,
  type SealerView,
} from '../src/index.js';
import { makeImage, tarOf, tempStore } from './fixtures.js';

let store: ImageStore;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ store, cleanup } = await tempStore());
});
afterEach(() => cleanup());

/** amd64 and arm64 sharing their last layer. */
async function twoPlatformImage(name = 'app:v1'): Promise<void> {
  await makeImage(store, name, [
    { platform: 'linux/amd64', layers: [{ 'bin/helm': 'amd64 helm' }, { 'manifests/a.yaml': 'shared' }], cmds: ['kubectl apply -f manifests'] },
    { platform: 'linux/arm64', layers: [{ 'bin/helm': 'arm64 helm' }, { 'manifests/a.yaml': 'shared' }], cmds: ['kubectl apply -f manifests'] },
  ]);
}

async function allBlobBytes(): Promise<number> {
  let total = 0;
  for await (const digest of store.blobDigests()) total += (await store.blobSize(digest)) ?? 0;
  return total;
}

async function rejectsWith(promise: Promise<unknown>, code: string, message: string | RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof RuntimeError, `expected a RuntimeError, got ${String(error)}`);
    assert.equal(error.code, code);
    if (typeof message === 'string') assert.equal(error.message, message);
    else assert.match(error.message, message);
    return true;
  });
}

interface SealerFixture {
  cmds: string[];
  parentCmds: number;
  args: Record<string, string>;
  clusterFile?: string;
}

/** One platform image written by hand: two layers, the first with build info and the second without (a base layer). */
async function sealerImage(name: string, platforms: string[], fixture: SealerFixture): Promise<{ manifests: Descriptor[]; layers: Descriptor[][]; configs: Descriptor[] }> {
  const manifests: Descriptor[] = [];
  const layersOf: Descriptor[][] = [];
  const configs: Descriptor[] = [];
  for (const key of platforms) {
    const [os, architecture, variant] = key.split('/');
    const platform = variant ? { architecture, os, variant } : { architecture, os };
    const layers: Descriptor[] = [];
    const layerFiles: Record<string, string>[] = [{ 'manifests/dashboard.yaml': key }, { rootfs: 'base' }];
    for (const files of layerFiles) {
      const ref = await store.writeBlob(tarOf(files));
      layers.push({ mediaType: MEDIA_TYPE.layer, digest: ref.digest, size: ref.size });
    }
    const config: OciImageConfig = {
      created: '2022-03-08T06:23:18Z',
      ...platform,
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) },
      [CLUSTER_IMAGE_KEY]: { cmds: fixture.cmds, parentCmds: fixture.parentCmds, args: fixture.args, layers: [{ type: 'COPY', value: 'dashboard.yaml manifests' }] },
    };
    const configDescriptor = await store.putJson(config, MEDIA_TYPE.config);
    const manifest: OciManifest = {
      schemaVersion: 2,
      mediaType: MEDIA_TYPE.manifest,
      config: configDescriptor,
      layers,
      ...(fixture.clusterFile !== undefined ? { annotations: { [ANNOTATION.clusterFile]: fixture.clusterFile } } : {}),
    };
    manifests.push({ ...(await store.putJson(manifest, MEDIA_TYPE.manifest)), platform });
    layersOf.push(layers);
    configs.push(configDescriptor);
  }
  await store.setImage(name, await store.putJson({ schemaVersion: 2, mediaType: MEDIA_TYPE.index, manifests } satisfies OciIndex, MEDIA_TYPE.index));
  return { manifests, layers: layersOf, configs };
}

describe('image commands', () => {
  describe('listImageSummaries', () => {
    it('lists platforms and counts a layer shared by two platforms once', async () => {
      await twoPlatformImage();
      const [summary, ...rest] = await listImageSummaries(store);
      assert.equal(rest.length, 0);
      assert.equal(summary.name, 'app:v1');
      assert.equal(summary.repository, 'app');
      assert.equal(summary.tag, 'v1');
      assert.deepEqual(summary.platforms, ['linux/amd64', 'linux/arm64/v8']);
      // index + 2 manifests + 2 configs + 3 distinct layers: every blob the store holds, each once.
      let blobs = 0;
      for await (const _ of store.blobDigests()) blobs++;
      assert.equal(blobs, 8);
      assert.equal(summary.size, await allBlobBytes());
      assert.equal(summary.digest, (await store.getImage('app:v1')).descriptor.digest);
      assert.ok(summary.created && !Number.isNaN(Date.parse(summary.created)));
    });

    it('lists every name, sorted, with registry ports kept in the repository', async () => {
      await twoPlatformImage('registry.example.com:5000/team/app:v2');
      await makeImage(store, 'base', [{ platform: 'linux/amd64', layers: [{ a: '1' }] }]);
      const summaries = await listImageSummaries(store);
      assert.deepEqual(
        summaries.map((s) => [s.name, s.repository, s.tag, s.platforms.join(',')]),
        [
          ['base:latest', 'base', 'latest', 'linux/amd64'],
          ['registry.example.com:5000/team/app:v2', 'registry.example.com:5000/team/app', 'v2', 'linux/amd64,linux/arm64/v8'],
        ],
      );
      assert.deepEqual(splitImageName('localhost:5000/app'), { repository: 'localhost:5000/app', tag: 'latest' });
    });
  });

  describe('inspectImage', () => {
    it('json: the index and each platform manifest and config, or one platform', async () => {
      await twoPlatformImage();
      const image = await store.getImage('app:v1');
      const platforms = await platformImages(store, image.descriptor);
      const result = await inspectImage(store, 'app:v1', { format: 'json' });
      assert.equal(result.format, 'json');
      const value = result.value as InspectJson;
      assert.equal(value.name, 'app:v1');
      assert.equal(value.digest, image.descriptor.digest);
      assert.deepEqual(value.index, await store.readJson(image.descriptor.digest));
      assert.deepEqual(
        value.manifests.map((m) => [m.platform, m.digest, m.config.architecture]),
        platforms.map((p) => [p.key, p.descriptor.digest, p.config.architecture]),
      );
      const arm = await inspectImage(store, 'app:v1', { format: 'json', platform: 'arm64' });
      assert.deepEqual((arm.value as InspectJson).manifests.map((m) => m.platform), ['linux/arm64/v8']);
      assert.deepEqual(JSON.parse(renderInspect(arm)), arm.value);
    });

    it('an unknown platform names the platforms there are; a malformed one is a PlatformError', async () => {
      await twoPlatformImage();
      await rejectsWith(inspectImage(store, 'app:v1', { format: 'json', platform: 'linux/s390x' }), 'PLATFORM_NOT_FOUND', 'image app:v1 has no linux/s390x variant (it has: linux/amd64, linux/arm64/v8)');
      await assert.rejects(inspectImage(store, 'app:v1', { format: 'json', platform: 'linux/' }), PlatformError);
      await rejectsWith(inspectImage(store, 'ghost', { format: 'json' }), 'IMAGE_NOT_FOUND', /^image ghost:latest is not in the store /);
    });

    it("sealer: the manifest list and one kind: Image per platform, in sealer's shapes", async () => {
      const clusterFile = 'apiVersion: sealer.cloud/v2\nkind: Cluster\nmetadata:\n  name: my-cluster\n';
      const made = await sealerImage('kubernetes-multi-arch:v1.19.8', ['linux/amd64', 'linux/arm64/v8'], {
        cmds: ['kubeadm init', 'helm install my-mysql bitnami/mysql', 'kubectl apply -f manifests/dashboard.yaml'],
        parentCmds: 1,
        args: { Version: 'v1' },
        clusterFile,
      });
      const result = await inspectImage(store, 'kubernetes-multi-arch:v1.19.8', { format: 'sealer-v0.8', version: '9.9.9' });
      assert.equal(result.format, 'sealer-v0.8');
      const view = result.value as SealerView;
      const size = (i: number): number => made.manifests[i].size + made.configs[i].size + made.layers[i][0].size + made.layers[i][1].size;
      assert.deepEqual(view.manifestList, {
        'kubernetes-multi-arch:v1.19.8': {
          manifests: [
            { id: digestHex(made.manifests[0].digest), created: '2022-03-08T06:23:18Z', size: size(0), platform: { architecture: 'amd64', os: 'linux' } },
            { id: digestHex(made.manifests[1].digest), created: '2022-03-08T06:23:18Z', size: size(1), platform: { architecture: 'arm64', os: 'linux', variant: 'v8' } },
          ],
        },
      });
      assert.deepEqual(view.images[1], {
        kind: 'Image',
        metadata: { annotations: { 'sea.aliyun.com/ClusterFile': clusterFile }, creationTimestamp: null, name: 'kubernetes-multi-arch:v1.19.8' },
        spec: {
          id: digestHex(made.manifests[1].digest),
          image_config: {
            cmd: { parent: ['kubeadm init'], current: ['helm install my-mysql bitnami/mysql', 'kubectl apply -f manifests/dashboard.yaml'] },
            args: { current: { Version: 'v1' } },
          },
          layers: [
            { id: made.layers[1][0].digest, type: 'COPY', value: 'dashboard.yaml manifests' },
            { id: made.layers[1][1].digest, type: 'BASE', value: 'layer' },
          ],
          platform: { architecture: 'arm64', os: 'linux', variant: 'v8' },
          sealer_version: 'kubefilec 9.9.9',
        },
        status: {},
      });
      assert.equal(view.images[0].spec.id, digestHex(made.manifests[0].digest));
      assert.deepEqual(view.images[0].spec.platform, { architecture: 'amd64', os: 'linux' });

      // Rendered: the JSON manifest list, then `---` YAML documents; the whole parses as one YAML stream.
      const text = renderInspect(result);
      assert.ok(text.startsWith('{\n  "kubernetes-multi-arch:v1.19.8": {'));
      assert.match(text, /\n---\nkind: Image\nmetadata:\n {2}annotations:\n {4}sea\.aliyun\.com\/ClusterFile: \|\n {6}apiVersion: sealer\.cloud\/v2\n/);
      assert.deepEqual(yaml.loadAll(text), [view.manifestList, ...view.images]);
      assert.deepEqual(JSON.parse(text.slice(0, text.indexOf('\n---\n'))), view.manifestList);
    });

    it('sealer: empty cmd and args are left out, as is a missing Clusterfile; --platform keeps one', async () => {
      await sealerImage('plain:v1', ['linux/amd64', 'linux/arm64/v8'], { cmds: [], parentCmds: 0, args: {} });
      const result = await inspectImage(store, 'plain:v1', { format: 'sealer-v0.8', platform: 'linux/arm64' });
      const view = result.value as SealerView;
      assert.equal(view.images.length, 1);
      assert.deepEqual(view.images[0].metadata, { creationTimestamp: null, name: 'plain:v1' });
      assert.deepEqual(view.images[0].spec.image_config, {});
      assert.deepEqual(view.manifestList['plain:v1'].manifests.map((m) => m.platform), [{ architecture: 'arm64', os: 'linux', variant: 'v8' }]);
      // Without a version given, the runtime's own, which must be its package's.
      const { version } = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
      assert.equal(view.images[0].spec.sealer_version, `kubefilec ${version}`);

      await sealerImage('onlyparent:v1', ['linux/amd64'], { cmds: ['a', 'b'], parentCmds: 2, args: {} });
      const parentOnly = (await inspectImage(store, 'onlyparent:v1', { format: 'sealer-v0.8' })).value as SealerView;
      assert.deepEqual(parentOnly.images[0].spec.image_config, { cmd: { parent: ['a', 'b'] } });
    });
  });

  describe('tagImage', () => {
    it('gives the same image a second name, keeping its creation time', async () => {
      await twoPlatformImage();
      const source = await store.getImage('app:v1');
      const tagged = await tagImage(store, 'app:v1', 'registry.example.com/team/app');
      assert.equal(tagged.name, 'registry.example.com/team/app:latest');
      assert.equal(tagged.descriptor.digest, source.descriptor.digest);
      assert.equal(tagged.created, source.created);
      assert.deepEqual((await listImageSummaries(store)).map((s) => s.name), ['app:v1', 'registry.example.com/team/app:latest']);
      await rejectsWith(tagImage(store, 'nope:v1', 'x:v1'), 'IMAGE_NOT_FOUND', /^image nope:v1 is not in the store/);
      await rejectsWith(tagImage(store, 'app:v1', 'Bad Name'), 'INVALID_NAME', /^invalid image name "Bad Name"/);
    });
  });

  describe('deleteImage', () => {
    it('removes the whole name and leaves other names of the image', async () => {
      await twoPlatformImage();
      await tagImage(store, 'app:v1', 'app:v2');
      const result = await deleteImage(store, 'app:v1');
      assert.deepEqual(result, { name: 'app:v1', removedPlatforms: ['linux/amd64', 'linux/arm64/v8'], untagged: true });
      assert.deepEqual((await listImageSummaries(store)).map((s) => s.name), ['app:v2']);
      await rejectsWith(deleteImage(store, 'app:v1'), 'IMAGE_NOT_FOUND', /^image app:v1 is not in the store/);
    });

    it('removes one platform by writing a new index; other names keep the old one', async () => {
      await twoPlatformImage();
      await tagImage(store, 'app:v1', 'app:keep');
      const result = await deleteImage(store, 'app:v1', { platforms: ['linux/arm64'] });
      assert.equal(result.untagged, false);
      assert.deepEqual(result.removedPlatforms, ['linux/arm64/v8']);
      const [keep, v1] = await listImageSummaries(store);
      assert.deepEqual(v1.platforms, ['linux/amd64']);
      assert.deepEqual(keep.platforms, ['linux/amd64', 'linux/arm64/v8']);
      assert.notEqual(v1.digest, keep.digest);
      assert.equal(v1.created, keep.created);
      const index = (await manifestInspect(store, 'app:v1')) as OciIndex;
      assert.equal(index.mediaType, MEDIA_TYPE.index);
      assert.deepEqual(index.manifests.map((m) => m.platform), [{ architecture: 'amd64', os: 'linux' }]);
    });

    it('removing the last platform removes the name', async () => {
      await twoPlatformImage();
      const result = await deleteImage(store, 'app:v1', { platforms: ['linux/amd64', 'linux/arm64/v8'] });
      assert.equal(result.untagged, true);
      assert.deepEqual(await listImageSummaries(store), []);
    });

    it('an unknown platform names the ones there are and changes nothing', async () => {
      await twoPlatformImage();
      const before = await store.getImage('app:v1');
      await rejectsWith(deleteImage(store, 'app:v1', { platforms: ['linux/amd64', 'linux/ppc64le'] }), 'PLATFORM_NOT_FOUND', 'image app:v1 has no linux/ppc64le variant (it has: linux/amd64, linux/arm64/v8)');
      assert.deepEqual(await store.getImage('app:v1'), before);
    });

    it('deletes a name whose blobs have gone missing', async () => {
      const bogus = await store.putJson({ schemaVersion: 2, mediaType: MEDIA_TYPE.index, manifests: [{ mediaType: MEDIA_TYPE.manifest, digest: `sha256:${'0'.repeat(64)}`, size: 1 }] }, MEDIA_TYPE.index);
      await store.setImage('broken:v1', bogus);
      // Listed, with the reason, so it can be found and deleted.
      const [summary] = await listImageSummaries(store);
      assert.deepEqual([summary.name, summary.platforms, summary.size], ['broken:v1', [], bogus.size + 1]);
      assert.match(summary.error ?? '', /^blob sha256:0{64} is missing from the store /);
      assert.equal((await deleteImage(store, 'broken:v1')).untagged, true);
    });
  });

  describe('manifest lists', () => {
    beforeEach(async () => {
      await makeImage(store, 'app:amd64', [{ platform: 'linux/amd64', layers: [{ a: 'amd64' }] }]);
      await makeImage(store, 'app:arm64', [{ platform: 'linux/arm64', layers: [{ a: 'arm64' }] }]);
      await makeImage(store, 'other:amd64', [{ platform: 'linux/amd64', layers: [{ a: 'another amd64' }] }]);
    });

    const manifestDigest = async (name: string): Promise<string> => (await platformImages(store, (await store.getImage(name)).descriptor))[0].descriptor.digest;

    it('create lists the platforms of every image, sharing their manifests', async () => {
      const created = await manifestCreate(store, 'app:v1', ['app:amd64', 'app:arm64']);
      assert.equal(created.name, 'app:v1');
      assert.equal(created.descriptor.mediaType, MEDIA_TYPE.index);
      const index = (await manifestInspect(store, 'app:v1')) as OciIndex;
      assert.deepEqual(index.manifests.map((m) => m.digest), [await manifestDigest('app:amd64'), await manifestDigest('app:arm64')]);
      assert.deepEqual(index.manifests.map((m) => m.platform), [{ architecture: 'amd64', os: 'linux' }, { architecture: 'arm64', os: 'linux', variant: 'v8' }]);
      // The same image twice is no conflict.
      await manifestCreate(store, 'app:v1b', ['app:amd64', 'app:amd64', 'app:arm64']);
      assert.equal(((await manifestInspect(store, 'app:v1b')) as OciIndex).manifests.length, 2);
    });

    it('create refuses a platform given by two images, naming both, unless amend lets the later win', async () => {
      await rejectsWith(
        manifestCreate(store, 'app:v1', ['app:amd64', 'app:arm64', 'other:amd64']),
        'INVALID_IMAGE',
        'platform linux/amd64 is in both app:amd64 and other:amd64; give each platform once (or use --amend to let the later image win)',
      );
      assert.equal(await store.findImage('app:v1'), undefined);
      await manifestCreate(store, 'app:v1', ['app:amd64', 'app:arm64', 'other:amd64'], { amend: true });
      const index = (await manifestInspect(store, 'app:v1')) as OciIndex;
      assert.deepEqual(index.manifests.map((m) => m.digest), [await manifestDigest('other:amd64'), await manifestDigest('app:arm64')]);
    });

    it('create refuses an existing name unless amending it', async () => {
      await manifestCreate(store, 'app:v1', ['app:amd64']);
      await rejectsWith(manifestCreate(store, 'app:v1', ['app:arm64']), 'INVALID_IMAGE', 'image app:v1 already exists; use --amend to add to it, or delete it first');
      await manifestCreate(store, 'app:v1', ['app:arm64'], { amend: true });
      assert.deepEqual((await listImageSummaries(store)).find((s) => s.name === 'app:v1')?.platforms, ['linux/amd64', 'linux/arm64/v8']);
      await rejectsWith(manifestCreate(store, 'app:v9', ['app:nope']), 'IMAGE_NOT_FOUND', /^image app:nope is not in the store/);
    });

    it('add creates or extends a list and replaces a platform already there; remove takes one out', async () => {
      await manifestAdd(store, 'app:v1', 'app:amd64');
      await manifestAdd(store, 'app:v1', 'app:arm64');
      await manifestAdd(store, 'app:v1', 'other:amd64');
      let index = (await manifestInspect(store, 'app:v1')) as OciIndex;
      assert.deepEqual(index.manifests.map((m) => m.digest), [await manifestDigest('other:amd64'), await manifestDigest('app:arm64')]);

      const removed = await manifestRemove(store, 'app:v1', 'linux/amd64');
      assert.deepEqual(removed.removedPlatforms, ['linux/amd64']);
      index = (await manifestInspect(store, 'app:v1')) as OciIndex;
      assert.deepEqual(index.manifests.map((m) => m.digest), [await manifestDigest('app:arm64')]);
      await rejectsWith(manifestRemove(store, 'app:v1', 'linux/amd64'), 'PLATFORM_NOT_FOUND', 'image app:v1 has no linux/amd64 variant (it has: linux/arm64/v8)');
      assert.equal((await manifestRemove(store, 'app:v1', 'linux/arm64/v8')).untagged, true);
      assert.equal(await store.findImage('app:v1'), undefined);
    });

    it('inspect gives the stored index document', async () => {
      await manifestCreate(store, 'app:v1', ['app:amd64', 'app:arm64']);
      const image = await store.getImage('app:v1');
      assert.deepEqual(await manifestInspect(store, 'app:v1'), await store.readJson(image.descriptor.digest));
      await rejectsWith(manifestInspect(store, 'app:none'), 'IMAGE_NOT_FOUND', /^image app:none is not in the store/);
    });
  });
});
