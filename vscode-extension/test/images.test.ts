/**
 * The Images view's model (from `kubefilec images --format json`) and the runner that asks the
 * bundled kubefilec for it: a real store, a real kubefilec, no editor.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ImageStore } from '@kubefile/runtime';
import { childNodes, ImageListingError, parseImageListing, presentNode, type ImageListing, type ImageTreeNode } from '../src/images-tree.js';
import { errorLine, KubefilecFailure, rootFlags, runKubefilec } from '../src/kubefilec-runner.js';
import { EXTENSION_DIR } from './code-server.js';

const NOW = Date.parse('2026-12-05T12:00:00Z');

const LISTING = JSON.stringify([
  {
    name: 'kubernetes-multi-arch:v1.19.8',
    repository: 'kubernetes-multi-arch',
    tag: 'v1.19.8',
    platforms: ['linux/amd64', 'linux/arm64/v8'],
    type: 'kube-installer',
    size: 12_400_000,
    created: '2026-12-05T11:55:00Z',
    digest: 'sha256:aaaa000011112222333344445555666677778888999900001111222233334444',
    manifests: [
      {
        platform: 'linux/amd64',
        digest: 'sha256:bbbb000011112222333344445555666677778888999900001111222233334444',
        size: 6_200_000,
        created: '2026-12-05T11:55:00Z',
        layers: [
          { digest: 'sha256:c1', size: 20_299, instruction: 'COPY dashborad.yaml manifests' },
          { digest: 'sha256:c2', size: 1_300_000, instruction: 'COPY amd64/helm bin' },
        ],
        sealer: { type: 'kube-installer', cmds: ['helm install my-mysql bitnami/mysql --version 8.8.26', 'kubectl apply -f manifests/dashborad.yaml'], apps: [], images: 1 },
      },
      { platform: 'linux/arm64/v8', digest: 'sha256:dddd', size: 6_100_000, created: '2026-12-05T11:55:00Z', layers: [{ digest: 'sha256:c3', size: 900 }] },
    ],
  },
  { name: 'app:v1', platforms: ['linux/amd64'], size: 999, digest: 'sha256:eeee' },
  { nothing: 'without a name' },
]);

describe('the Images view model', () => {
  const listing = parseImageListing(LISTING);
  const [app, cluster] = childNodes(listing);

  it('reads images with their platforms, layers and sealer metadata; an older kubefilec\'s platform names too', () => {
    assert.deepEqual(listing.map((image) => [image.name, image.platforms.map((p) => p.platform)]), [
      ['kubernetes-multi-arch:v1.19.8', ['linux/amd64', 'linux/arm64/v8']],
      ['app:v1', ['linux/amd64']],
    ]);
    assert.deepEqual(listing[0].platforms[0].layers.map((layer) => layer.instruction), ['COPY dashborad.yaml manifests', 'COPY amd64/helm bin']);
    assert.equal(listing[0].platforms[0].sealer?.images, 1);
    assert.deepEqual(listing[1].platforms[0], { platform: 'linux/amd64', digest: '', size: 0, layers: [] });
  });

  it('refuses what is not the JSON list kubefilec prints, saying what it got', () => {
    assert.throws(() => parseImageListing('NAME TAG\nx v1\n'), (error: unknown) => error instanceof ImageListingError && /printed no JSON: NAME TAG/.test(error.message));
    assert.throws(() => parseImageListing('{"name":"x"}'), /no list of images/);
  });

  it('nests images (by name) → platforms → sealer metadata, then layers in order', () => {
    assert.deepEqual([app, cluster].map((node) => presentNode(node, NOW).label), ['app:v1', 'kubernetes-multi-arch:v1.19.8']);
    const platforms = childNodes(listing, cluster);
    assert.deepEqual(platforms.map((node) => presentNode(node, NOW).label), ['linux/amd64', 'linux/arm64/v8']);
    const amd64 = childNodes(listing, platforms[0]);
    assert.deepEqual(amd64.map((node) => node.kind), ['sealer', 'layer', 'layer']);
    assert.deepEqual(childNodes(listing, amd64[1]), []);
    assert.deepEqual(childNodes(listing, platforms[1]).map((node) => presentNode(node, NOW).label), ['c3'], 'a layer without an instruction shows its digest');
  });

  it('shows size, digest and age on each row, and what sealer reads', () => {
    const shown = (node: ImageTreeNode) => presentNode(node, NOW);
    assert.deepEqual(
      [shown(cluster).description, shown(cluster).contextValue, shown(cluster).collapsible],
      ['2 platforms · 12.4MB · 5 minutes ago', 'kubefile.image', true],
    );
    const [amd64] = childNodes(listing, cluster);
    assert.deepEqual([shown(amd64).description, shown(amd64).contextValue], ['6.2MB · bbbb00001111 · 5 minutes ago', 'kubefile.platform']);
    const [sealer, copy] = childNodes(listing, amd64);
    assert.deepEqual([shown(sealer).label, shown(sealer).description], ['sealer: kube-installer', '1 container image · 2 CMDs']);
    assert.match(shown(sealer).tooltip, /CMD kubectl apply -f manifests\/dashborad\.yaml/);
    assert.deepEqual([shown(copy).label, shown(copy).description, shown(copy).contextValue], ['COPY dashborad.yaml manifests', '20.3kB', 'kubefile.layer']);
    // Ids are unique across the tree, so VS Code keeps each row's expansion.
    const ids = [cluster, app, ...childNodes(listing, cluster), ...childNodes(listing, cluster).flatMap((p) => childNodes(listing, p))].map((node) => shown(node).id);
    assert.equal(new Set(ids).size, ids.length);
  });

  it('says sizes and ages as kubefilec images does, nothing for an unknown age', () => {
    const [, arm64] = childNodes(listing, cluster);
    assert.equal(presentNode(arm64, NOW).description, '6.1MB · dddd · 5 minutes ago');
    assert.equal(presentNode(app, NOW).description, '1 platform · 999B');
    assert.equal(presentNode(cluster, Date.parse('2026-12-07T12:00:00Z')).description, '2 platforms · 12.4MB · 2 days ago');
  });
});

describe('kubefilec for the Images view', function () {
  this.timeout(60_000);
  const bundled = { command: process.execPath, args: [join(EXTENSION_DIR, 'dist', 'kubefilec.cjs')], env: {} };
  let root: string;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'kubefile-images-view-'));
    const { makeImage } = (await import(pathToFileURL(join(EXTENSION_DIR, '..', 'runtime/dist/test/fixtures.js')).href)) as {
      makeImage: (store: ImageStore, name: string, platforms: { platform: string; layers: Record<string, string>[] }[]) => Promise<unknown>;
    };
    await makeImage(await ImageStore.open(root), 'example.com/app:v1', ['linux/amd64', 'linux/arm64'].map((platform) => ({ platform, layers: [{ 'etc/app': `for ${platform}\n` }] })));
  });

  after(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('lists the store as the view reads it, tags and deletes, and fails with kubefilec\'s own line', async () => {
    const list = async (): Promise<ImageListing[]> => parseImageListing(await runKubefilec(bundled, ['images', '--format', 'json', ...rootFlags(root)]));
    const [image] = await list();
    assert.equal(image.name, 'example.com/app:v1');
    assert.deepEqual(image.platforms.map((p) => [p.platform, p.layers.length]), [['linux/amd64', 1], ['linux/arm64/v8', 1]]);
    await runKubefilec(bundled, ['tag', 'example.com/app:v1', 'example.com/app:v2', ...rootFlags(root)]);
    await runKubefilec(bundled, ['delete', 'example.com/app:v1', '--platform', 'linux/arm64', ...rootFlags(root)]);
    assert.deepEqual((await list()).map((i) => [i.name, i.platforms.map((p) => p.platform)]), [
      ['example.com/app:v1', ['linux/amd64']],
      ['example.com/app:v2', ['linux/amd64', 'linux/arm64/v8']],
    ]);
    await assert.rejects(runKubefilec(bundled, ['tag', 'missing:v1', 'x:v1', ...rootFlags(root)]), (error: unknown) => error instanceof KubefilecFailure && error.exitCode === 1 && /^image missing:v1 is not in the store/.test(error.message));
  });

  it('takes kubefilec\'s error line out of its standard error', () => {
    assert.equal(errorLine('Building linux/amd64\nkubefilec: error: image x:v1 is not in the store\n'), 'image x:v1 is not in the store');
    assert.equal(errorLine('Kubefile:3:1: error: RUN failed\n(some note)\n'), 'Kubefile:3:1: error: RUN failed');
    assert.equal(errorLine('just this\n'), 'just this');
    assert.deepEqual(rootFlags('  '), []);
  });
});
