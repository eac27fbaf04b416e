/**
 * Container image collection against a real registry (Debian's docker-registry on 127.0.0.1,
 * seeded with small multi-platform images): a build whose manifests, charts, applications, image
 * lists and image archives name images carries exactly each platform's variant in its registry/,
 * in sealer's layout (a tag links to the original index, kept whole; only the platform's manifest,
 * config and layers stored), so the platforms' registries copied together serve every platform,
 * and a second docker-registry over the merged view serves each tag as one multi-platform index.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CLUSTER_IMAGE_KEY, platformImages, pushImage, REGISTRY_STORAGE, RuntimeError, saveArchive, writeRegistryView, type ClusterImageSpec, type Descriptor, type ImageStore, type OciIndex, type PlatformImage } from '../src/index.js';
import { build, layerFiles, writeTree } from './build-helpers.js';
import { makeImage, tempDir, tempStore, useTempStore } from './fixtures.js';
import { startRegistry, type RunningRegistry } from './registry-helpers.js';

const PLATFORMS = ['linux/amd64', 'linux/arm64'];
const KUBEFILE = 'FROM scratch\nCOPY manifests manifests\nCOPY charts charts\n';

describe('container image collection (docker-registry)', function () {
  this.timeout(120_000);
  let seed: { store: ImageStore; root: string; cleanup: () => Promise<void> };
  let registry: RunningRegistry;
  let storage: string;
  let host: string;
  /** Per seeded repository, its platforms' manifests as the registry serves them. */
  const variants = new Map<string, PlatformImage[]>();
  let appIndex: string;
  /** Per seeded repository, the index its tag names in the seed registry. */
  const indexes = new Map<string, string>();
  let store: ImageStore;
  let context: string;
  const temp = useTempStore('kubefile-collect-');

  before(async () => {
    seed = await tempStore();
    storage = await tempDir('kubefile-collect-registry-');
    registry = await startRegistry(storage, storage);
    host = registry.host;
    // The shared layer is the same blob in app, helper and web.
    const shared = { 'etc/shared.conf': 'shared by every image\n' };
    const twoPlatforms = (name: string) => PLATFORMS.map((platform) => ({ platform, layers: [shared, { [`bin/${name}`]: `${name} for ${platform}\n` }] }));
    for (const name of ['app', 'helper', 'web', 'sidecar']) await makeImage(seed.store, `${name}:seed`, twoPlatforms(name));
    // Three platforms, of which the builds make two: its index lists a manifest no build stores.
    await makeImage(seed.store, 'tri:seed', [...twoPlatforms('tri'), { platform: 'linux/s390x', layers: [shared, { 'bin/tri': 'tri for s390x\n' }] }]);
    // A single-platform image that is a manifest, not an index: its config tells the platform.
    const amdOnly = await makeImage(seed.store, 'amd-only:index', [{ platform: 'linux/amd64', layers: [{ 'bin/amd': 'amd64 only\n' }] }]);
    const [amdManifest] = await platformImages(seed.store, amdOnly.descriptor);
    await seed.store.setImage('amd-only:seed', { mediaType: amdManifest.descriptor.mediaType, digest: amdManifest.descriptor.digest, size: amdManifest.descriptor.size });
    for (const [name, tag] of [['app', 'v1'], ['helper', '2'], ['web', '1.0'], ['sidecar', '1'], ['amd-only', '1'], ['tri', '1']]) {
      const pushed = await pushImage(seed.store, `${name}:seed`, `${host}/team/${name}:${tag}`, { tlsVerify: false });
      if (name === 'app') appIndex = pushed.digest;
      indexes.set(`team/${name}`, pushed.digest);
      variants.set(`team/${name}`, await platformImages(seed.store, (await seed.store.getImage(`${name}:seed`)).descriptor));
    }
  });
  after(async () => {
    await registry?.stop();
    await seed?.cleanup();
    if (storage) await rm(storage, { recursive: true, force: true });
  });
  beforeEach(() => ({ store, dir: context } = temp));

  const manifestOf = (repository: string, platform: string): string => {
    const found = variants.get(repository)?.find((image) => image.key === platform);
    assert.ok(found, `${repository} has ${platform}`);
    return found.descriptor.digest;
  };

  async function writeContext(extraImageList = ''): Promise<void> {
    await writeTree(context, {
      'manifests/app.yaml': [
        'apiVersion: apps/v1',
        'kind: Deployment',
        'spec:',
        '  template:',
        '    spec:',
        '      containers:',
        '        - name: app',
        `          image: "${host}/team/app:v1"`,
        '---',
        'apiVersion: example.com/v1',
        'kind: Widget',
        'spec:',
        '  runner:',
        `    image: ${host}/team/app@${appIndex}`,
        '',
      ].join('\n'),
      'manifests/imageList': `# tools\n${host}/team/helper:2\n${extraImageList}`,
      'charts/web/Chart.yaml': 'apiVersion: v2\nname: web\nversion: 0.1.0\nkubeVersion: ">=1.22.0-0"\n',
      'charts/web/values.yaml': `image:\n  registry: ${host}\n  repository: team/web\n  tag: "1.0"\n`,
      'charts/web/templates/deploy.yaml': `spec:\n  containers:\n    - image: "{{ .Values.image.registry }}/{{ .Values.image.repository }}"\n    - image: ${host}/team/sidecar:1\n`,
    });
  }

  async function specOf(name: string): Promise<Map<string, { spec: ClusterImageSpec; layers: Descriptor[] }>> {
    const images = await platformImages(store, (await store.getImage(name)).descriptor);
    return new Map(images.map((image) => [image.key, { spec: image.config[CLUSTER_IMAGE_KEY] as ClusterImageSpec, layers: image.manifest.layers }]));
  }

  it('carries, per platform, exactly that platform variant of every image the manifests, charts and image list name', async () => {
    await writeContext();
    const built = await build(store, context, KUBEFILE, 'cluster:v1', PLATFORMS, { tlsVerify: false });
    const steps = built.events.filter((e) => e.type === 'step' && e.step === 4);
    const named = `collect container images: ${host}/team/app:v1, ${host}/team/app@${appIndex}, ${host}/team/helper:2, ${host}/team/sidecar:1, ${host}/team/web:1.0 (5 named)`;
    assert.deepEqual(steps.map((e) => e.type === 'step' && e.text), [named, named]);
    for (const [platform, { spec, layers }] of await specOf('cluster:v1')) {
      assert.deepEqual(
        spec.images?.map((image) => [image.reference, image.digest, image.sources]),
        [
          [`${host}/team/app:v1`, manifestOf('team/app', platform), ['manifests/app.yaml:8']],
          [`${host}/team/app@${appIndex}`, manifestOf('team/app', platform), ['manifests/app.yaml:14']],
          [`${host}/team/helper:2`, manifestOf('team/helper', platform), ['manifests/imageList:2']],
          [`${host}/team/sidecar:1`, manifestOf('team/sidecar', platform), ['charts/web/templates/deploy.yaml:4']],
          [`${host}/team/web:1.0`, manifestOf('team/web', platform), ['charts/web/values.yaml:3']],
        ],
        platform,
      );
      assert.deepEqual(spec.charts, [{ path: 'charts/web', name: 'web', version: '0.1.0', kubeVersion: '>=1.22.0-0' }]);
      assert.equal(spec.layers.at(-1)?.type, 'IMAGES');
      const layer = layers.at(-1)?.digest ?? '';
      const files = layerFiles(store, layer).filter((path) => !path.endsWith('/'));
      const unpacked = join(context, 'layers', platform.replaceAll('/', '-'));
      await mkdir(unpacked, { recursive: true });
      execFileSync('tar', ['-xf', store.blobPath(layer as `sha256:${string}`), '-C', unpacked]);
      const storage = `registry/${REGISTRY_STORAGE}`;
      const read = (path: string) => readFile(join(unpacked, storage, path), 'utf8');
      const blob = (digest: string) => `${storage}/blobs/sha256/${digest.slice(7, 9)}/${digest.slice(7)}/data`;
      const otherPlatform = platform === 'linux/amd64' ? 'linux/arm64/v8' : 'linux/amd64';
      // sealer's layout: the tag links to the original index (kept, with its revision link); of
      // the manifests it lists only this platform's is stored, with its config and layers.
      for (const [repository, name] of [['app', 'v1'], ['helper', '2'], ['web', '1.0'], ['sidecar', '1']]) {
        const index = indexes.get(`team/${repository}`) ?? '';
        const repo = `repositories/team/${repository}`;
        assert.equal(await read(`${repo}/_manifests/tags/${name}/current/link`), index, `${repository}:${name} links to its index`);
        assert.equal(await read(`${repo}/_manifests/tags/${name}/index/sha256/${index.slice(7)}/link`), index);
        assert.ok(files.includes(blob(index)), `${repository}'s index is stored`);
        assert.equal(await read(`${repo}/_manifests/revisions/sha256/${index.slice(7)}/link`), index);
        const own = manifestOf(`team/${repository}`, platform);
        assert.ok(files.includes(blob(own)) && files.includes(`${storage}/${repo}/_manifests/revisions/sha256/${own.slice(7)}/link`), `${repository}'s ${platform} manifest is stored`);
        assert.ok(!files.some((path) => path.includes(manifestOf(`team/${repository}`, otherPlatform).slice(7))), `no other platform manifest of ${repository}`);
        const [config, ...ownLayers] = (variants.get(`team/${repository}`) ?? []).filter((image) => image.key === platform).flatMap((image) => [image.manifest.config, ...image.manifest.layers]);
        for (const needed of [config, ...ownLayers]) {
          assert.ok(files.includes(blob(needed.digest)), `${repository}: ${needed.digest} stored`);
          assert.equal(await read(`${repo}/_layers/sha256/${needed.digest.slice(7)}/link`), needed.digest);
        }
        for (const other of (variants.get(`team/${repository}`) ?? []).filter((image) => image.key === otherPlatform)) {
          assert.ok(!files.includes(blob(other.manifest.config.digest)), `no other platform config of ${repository}`);
        }
      }
      // The digest reference is the same index, untagged: nodes can pull by it.
      assert.ok(files.includes(`${storage}/repositories/team/app/_manifests/revisions/sha256/${appIndex.slice(7)}/link`));
      // 4 images × (config, own layer, manifest, index) + the shared layer once (app's index once for both references).
      assert.equal(files.filter((path) => path.endsWith('/data')).length, 4 * 4 + 1);
      // As sealer records them: the name normalized, no app.
      assert.deepEqual(spec.images?.map((image) => [image.name, image.appName]), [
        [`${host}/team/app:v1`, undefined],
        [`${host}/team/app@${appIndex}`, undefined],
        [`${host}/team/helper:2`, undefined],
        [`${host}/team/sidecar:1`, undefined],
        [`${host}/team/web:1.0`, undefined],
      ]);
    }

    // The two platforms' registry/ copied over each other, as sealer does on a mixed cluster: a
    // correct multi-platform registry, the tags still naming the original indexes.
    const union = join(context, 'union');
    await mkdir(union);
    for (const platform of ['linux-amd64', 'linux-arm64-v8']) execFileSync('cp', ['-a', `${join(context, 'layers', platform, 'registry')}/.`, union]);
    const copied = await startRegistry(union, context);
    try {
      const skopeo = (...args: string[]) => execFileSync('skopeo', args, { encoding: 'utf8' });
      for (const [repository, name] of [['app', 'v1'], ['helper', '2'], ['web', '1.0'], ['sidecar', '1']]) {
        const raw = skopeo('inspect', '--raw', '--tls-verify=false', `docker://${copied.host}/team/${repository}:${name}`);
        assert.equal(`sha256:${createHash('sha256').update(raw).digest('hex')}`, indexes.get(`team/${repository}`), `${repository}:${name} is the original index`);
        skopeo('copy', '--all', '--src-tls-verify=false', `docker://${copied.host}/team/${repository}:${name}`, `oci:${join(context, 'from-union')}:${repository}`);
      }
      for (const arch of ['amd64', 'arm64']) {
        const inspected = JSON.parse(skopeo('inspect', '--tls-verify=false', '--override-os', 'linux', '--override-arch', arch, `docker://${copied.host}/team/app:v1`)) as { Architecture: string };
        assert.equal(inspected.Architecture, arch);
      }
    } finally {
      await copied.stop();
    }

    // The merged view, served by a second docker-registry: one index per tag, each platform its own image.
    const view = join(context, 'view');
    await writeRegistryView(store, (await store.getImage('cluster:v1')).descriptor, view);
    const second = await startRegistry(view, context);
    try {
      const skopeo = (...args: string[]) => execFileSync('skopeo', args, { encoding: 'utf8' });
      for (const repository of ['app', 'helper', 'web', 'sidecar']) {
        const tagged = { app: 'v1', helper: '2', web: '1.0', sidecar: '1' }[repository];
        const raw = JSON.parse(skopeo('inspect', '--raw', '--tls-verify=false', `docker://${second.host}/team/${repository}:${tagged}`)) as OciIndex;
        assert.deepEqual(
          raw.manifests.map((m) => [m.platform?.architecture, m.digest]),
          [
            ['amd64', manifestOf(`team/${repository}`, 'linux/amd64')],
            ['arm64', manifestOf(`team/${repository}`, 'linux/arm64/v8')],
          ],
        );
      }
      // Every blob is there: skopeo copies all platforms out of it.
      skopeo('copy', '--all', '--src-tls-verify=false', `docker://${second.host}/team/app:v1`, `oci:${join(context, 'copied')}:app`);
      assert.equal(JSON.parse(skopeo('inspect', '--raw', '--tls-verify=false', `docker://${second.host}/team/app@${appIndex}`)).manifests.length, 2);
    } finally {
      await second.stop();
    }

    // Rebuilt with TLS asked of a plain-HTTP registry, so any request would fail: the collection is cached.
    const again = await build(store, context, KUBEFILE, 'cluster:v1', PLATFORMS);
    assert.equal(again.image.descriptor.digest, built.image.descriptor.digest);
    assert.ok(again.events.some((e) => e.type === 'step-done' && e.step === 4 && e.cached));
  });

  it('a platform an image lacks is an error at the line that names it, or a warning with --skip-missing-platform', async () => {
    await writeContext(`${host}/team/amd-only:1\n`);
    await assert.rejects(build(store, context, KUBEFILE, 'cluster:v1', ['linux/arm64'], { tlsVerify: false }), (error: RuntimeError) => {
      assert.equal(error.code, 'PLATFORM_NOT_FOUND');
      assert.equal(error.message, `no manifest for linux/arm64/v8 in ${host}/team/amd-only:1 (it is linux/amd64 only) (named by manifests/imageList:3 in the image); leave it out with --skip-missing-platform, or list it in --ignore-image-list`);
      assert.deepEqual(error.location, { file: join(context, 'manifests/imageList'), line: 3, column: 1 });
      return true;
    });
    assert.equal(await store.findImage('cluster:v1'), undefined);

    const built = await build(store, context, KUBEFILE, 'cluster:v1', PLATFORMS, { tlsVerify: false, skipMissingPlatform: true });
    assert.deepEqual(
      built.events.filter((e) => e.type === 'warning'),
      [{ type: 'warning', platform: 'linux/arm64/v8', message: `manifests/imageList:3: no manifest for linux/arm64/v8 in ${host}/team/amd-only:1 (it is linux/amd64 only); left out (--skip-missing-platform)` }],
    );
    const specs = await specOf('cluster:v1');
    assert.ok(specs.get('linux/amd64')?.spec.images?.some((image) => image.reference.endsWith('amd-only:1')));
    assert.ok(!specs.get('linux/arm64/v8')?.spec.images?.some((image) => image.reference.endsWith('amd-only:1')));
  });

  it('--image-list adds images, --ignore-image-list leaves them out, and a bad line is named', async () => {
    await writeContext();
    const built = await build(store, context, 'FROM scratch\nCOPY manifests/app.yaml manifests/\n', 'cluster:v1', ['linux/amd64'], {
      tlsVerify: false,
      imageLists: [{ name: 'extra.txt', text: `${host}/team/helper:2 # tools\n` }],
      ignoreImageLists: [{ name: 'ignore.txt', text: `${host}/team/app@${appIndex}\n` }],
    });
    const spec = (await specOf('cluster:v1')).get('linux/amd64')?.spec;
    assert.deepEqual(spec?.images?.map((image) => [image.reference, image.sources]), [
      [`${host}/team/app:v1`, ['manifests/app.yaml:8']],
      [`${host}/team/helper:2`, ['extra.txt:1']],
    ]);
    assert.ok(built.events.some((e) => e.type === 'step-output' && e.line.startsWith(`${host}/team/helper:2 sha256:`)));
    await assert.rejects(
      build(store, context, KUBEFILE, 'cluster:v2', ['linux/amd64'], { tlsVerify: false, imageLists: [{ name: 'extra.txt', text: '\nNot An Image!\n' }] }),
      (error: RuntimeError) => /^extra\.txt:2: "Not An Image!" is not an image reference/.test(error.message),
    );
  });

  it('images come from the store when it has them, and --pull never allows nothing else', async () => {
    await writeTree(context, { 'manifests/imageList': 'local/tool:1\nlocal/other\n' });
    await assert.rejects(build(store, context, 'FROM scratch\nCOPY manifests manifests\n', 'cluster:v1', ['linux/amd64'], { pull: 'never' }), (error: RuntimeError) => {
      assert.equal(error.message, 'container image local/tool:1 (linux/amd64) is not in the store, and --pull never forbids pulling it (named by manifests/imageList:1 in the image); to build without it, list docker.io/local/tool:1 in an --ignore-image-list file (or put the image in the store: kubefilec pull / load)');
      return true;
    });
    const tool = await makeImage(store, 'local/tool:1', [{ platform: 'linux/amd64', layers: [{ 'bin/tool': 'tool\n' }] }]);
    const other = await makeImage(store, 'local/other:latest', [{ platform: 'linux/amd64', layers: [{ 'bin/other': 'other\n' }] }]);
    await build(store, context, 'FROM scratch\nCOPY manifests manifests\n', 'cluster:v1', ['linux/amd64'], { pull: 'never' });
    const { spec, layers } = (await specOf('cluster:v1')).get('linux/amd64') ?? assert.fail('amd64 built');
    // sealer's names: no tag added to a tag-less one, which is still tagged latest in the registry.
    assert.deepEqual(spec.images?.map((image) => [image.reference, image.name]), [
      ['local/tool:1', 'docker.io/local/tool:1'],
      ['local/other', 'docker.io/local/other'],
    ]);
    // The store's image is an index: the tag links to it, as to a registry's.
    const files = layerFiles(store, layers.at(-1)?.digest ?? '');
    const storage = `registry/${REGISTRY_STORAGE}`;
    for (const [repository, tag, index] of [['local/tool', '1', tool.descriptor.digest], ['local/other', 'latest', other.descriptor.digest]]) {
      assert.ok(files.includes(`${storage}/repositories/${repository}/_manifests/tags/${tag}/index/sha256/${index.slice(7)}/link`), `${repository}:${tag} links to its index`);
      assert.ok(files.includes(`${storage}/blobs/sha256/${index.slice(7, 9)}/${index.slice(7)}/data`));
    }
  });

  it("application images carry their app's name, .tmpl manifests are read, and an index with platforms not built is exported as one of those present", async () => {
    await writeTree(context, {
      'manifests/tools.yaml.tmpl': `spec:\n  replicas: {{ .Values.replicas }}\n  containers:\n    - image: ${host}/team/helper:2\n`,
      'manifests/ignored.json': `{"image": "${host}/team/sidecar:1"}\n`,
      'application/apps/demo/pod.yaml': `kind: Pod\nspec:\n  containers:\n    - image: ${host}/team/tri:1\n    - image: ${host}/team/web:1.0\n`,
      'application/apps/demo/install.sh': 'kubectl apply -f pod.yaml\n',
    });
    await build(store, context, 'FROM scratch\nCOPY manifests manifests\nCOPY application application\n', 'cluster:v1', PLATFORMS, { tlsVerify: false });
    for (const [platform, { spec }] of await specOf('cluster:v1')) {
      assert.deepEqual(
        spec.images?.map((image) => [image.reference, image.name, image.appName, image.digest, image.sources]),
        [
          [`${host}/team/helper:2`, `${host}/team/helper:2`, undefined, manifestOf('team/helper', platform), ['manifests/tools.yaml.tmpl:4']],
          [`${host}/team/tri:1`, `${host}/team/tri:1`, 'demo', manifestOf('team/tri', platform), ['application/apps/demo/pod.yaml:4']],
          [`${host}/team/web:1.0`, `${host}/team/web:1.0`, 'demo', manifestOf('team/web', platform), ['application/apps/demo/pod.yaml:5']],
        ],
        platform,
      );
    }
    // tri's index lists s390x, which neither platform stored: the export tags an index of amd64 and arm64.
    const view = join(context, 'view');
    const summary = await writeRegistryView(store, (await store.getImage('cluster:v1')).descriptor, view);
    assert.deepEqual(summary.tags.map((t) => [t.reference, t.platforms, t.merged]), [
      ['team/helper:2', ['linux/amd64', 'linux/arm64/v8'], false],
      ['team/tri:1', ['linux/amd64', 'linux/arm64/v8'], true],
      ['team/web:1.0', ['linux/amd64', 'linux/arm64/v8'], false],
    ]);
    const served = await startRegistry(view, context);
    try {
      const skopeo = (...args: string[]) => execFileSync('skopeo', args, { encoding: 'utf8' });
      const raw = JSON.parse(skopeo('inspect', '--raw', '--tls-verify=false', `docker://${served.host}/team/tri:1`)) as OciIndex;
      assert.deepEqual(raw.manifests.map((m) => m.digest), [manifestOf('team/tri', 'linux/amd64'), manifestOf('team/tri', 'linux/arm64/v8')]);
      for (const [repository, tag] of [['helper', '2'], ['tri', '1'], ['web', '1.0']]) {
        skopeo('copy', '--all', '--src-tls-verify=false', `docker://${served.host}/team/${repository}:${tag}`, `oci:${join(context, 'copied')}:${repository}`);
      }
      // The original index is still there by its digest, for references that pin it.
      assert.equal(JSON.parse(skopeo('inspect', '--raw', '--tls-verify=false', `docker://${served.host}/team/tri@${indexes.get('team/tri')}`)).manifests.length, 3);
    } finally {
      await served.stop();
    }
  });

  it('image archives in images/ (OCI and docker-archive) go into the same registry under their names', async () => {
    await mkdir(join(context, 'images'));
    await saveArchive(seed.store, ['app:seed'], join(context, 'images/app.oci.tar'));
    execFileSync('skopeo', ['copy', '--override-arch', 'arm64', `oci-archive:${join(context, 'images/app.oci.tar')}`, `docker-archive:${join(context, 'images/tool.docker.tar')}:example.com/team/tool:3`], { stdio: 'ignore' });
    await build(store, context, 'FROM scratch\nCOPY images images\n', 'cluster:v1', PLATFORMS, { skipMissingPlatform: true });
    const specs = await specOf('cluster:v1');
    assert.deepEqual(specs.get('linux/amd64')?.spec.images?.map((image) => [image.reference, image.digest, image.sources]), [['app:seed', manifestOf('team/app', 'linux/amd64'), ['images/app.oci.tar']]]);
    assert.deepEqual(
      specs.get('linux/arm64/v8')?.spec.images?.map((image) => [image.reference, image.sources]),
      [
        ['app:seed', ['images/app.oci.tar']],
        ['example.com/team/tool:3', ['images/tool.docker.tar']],
      ],
    );
    const view = join(context, 'view');
    const summary = await writeRegistryView(store, (await store.getImage('cluster:v1')).descriptor, view);
    assert.deepEqual(summary.tags.map((t) => [t.reference, t.platforms]), [
      ['library/app:seed', ['linux/amd64', 'linux/arm64/v8']],
      ['team/tool:3', ['linux/arm64/v8']],
    ]);
  });
});
