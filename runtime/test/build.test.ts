import assert from 'node:assert/strict';
import { chmod, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildImage, CLUSTER_IMAGE_KEY, ImageStore, platformImages, RuntimeError, saveArchive, type BuildEvent } from '../src/index.js';
import { build, imageFiles, plansOf, tmpFiles, verifyStore, writeTree } from './build-helpers.js';
import { makeImage, useTempStore } from './fixtures.js';

const TWO = ['linux/amd64', 'linux/arm64'];

describe('build', () => {
  let store: ImageStore;
  let context: string;
  const temp = useTempStore('kubefile-context-');
  beforeEach(() => ({ store, dir: context } = temp));

  describe('multi-platform', () => {
    it('gives each platform only its own ${ARCH} files, in one index', async () => {
      await writeTree(context, {
        'amd64/bin/helm': 'helm for amd64',
        'amd64/bin/kubectl': 'kubectl for amd64',
        'arm64/bin/helm': 'helm for arm64',
        'arm64/bin/kubectl': 'kubectl for arm64',
        'dashboard.yaml': 'kind: Deployment\n',
      });
      const result = await build(store, context, 'FROM scratch\nCOPY dashboard.yaml manifests\nCOPY ${ARCH}/bin bin\n', 'multi:v1', TWO);
      const index = await store.getImage('multi:v1');
      const platforms = await platformImages(store, index.descriptor);
      assert.deepEqual(platforms.map((p) => p.key), ['linux/amd64', 'linux/arm64/v8']);
      assert.deepEqual(platforms.map((p) => p.descriptor.platform), [{ architecture: 'amd64', os: 'linux' }, { architecture: 'arm64', os: 'linux', variant: 'v8' }]);
      assert.deepEqual(await imageFiles(store, 'multi:v1', 'linux/amd64'), ['manifests/dashboard.yaml', 'bin/helm', 'bin/kubectl']);
      assert.deepEqual(await imageFiles(store, 'multi:v1', 'linux/arm64/v8'), ['manifests/dashboard.yaml', 'bin/helm', 'bin/kubectl']);
      const [amd, arm] = platforms;
      // The arch-independent layer is one blob shared by both; the ${ARCH} layer differs.
      assert.equal(amd.manifest.layers[0].digest, arm.manifest.layers[0].digest);
      assert.notEqual(amd.manifest.layers[1].digest, arm.manifest.layers[1].digest);
      assert.equal(amd.config.architecture, 'amd64');
      assert.equal(arm.config.variant, 'v8');
      assert.equal(result.layersBuilt, 3, 'dashboard once, bin twice');
      assert.ok(await verifyStore(store) >= 8);
    });

    it('runs arch-independent work once and marks the second platform as shared, after a multi-arch base too', async () => {
      await makeImage(store, 'base:v1', [{ platform: 'linux/amd64', layers: [{ 'bin/x': 'amd64' }] }, { platform: 'linux/arm64', layers: [{ 'bin/x': 'arm64' }] }]);
      await writeTree(context, { 'charts/app/Chart.yaml': 'name: app\nversion: 1.0.0\n', 'etc/a.conf': 'a' });
      const result = await build(store, context, 'FROM base:v1\nCOPY charts charts\nCOPY etc/a.conf etc\n', 'shared:v1', TWO);
      assert.equal(result.layersBuilt, 2);
      const shared = result.events.filter((e): e is Extract<BuildEvent, { type: 'step-done' }> => e.type === 'step-done' && e.shared);
      assert.equal(shared.length, 2);
    });

    it('keeps modes and symlinks, owner root', async () => {
      await writeTree(context, { 'scripts/init.sh': '#!/bin/sh\n', 'scripts/current': { link: 'init.sh' } });
      await chmod(join(context, 'scripts/init.sh'), 0o750);
      await build(store, context, 'FROM scratch\nCOPY scripts scripts\n', 'modes:v1', ['linux/amd64']);
      const [image] = await platformImages(store, (await store.getImage('modes:v1')).descriptor);
      const { execFileSync } = await import('node:child_process');
      const listing = execFileSync('tar', ['--numeric-owner', '-tvf', store.blobPath(image.manifest.layers[0].digest)], { encoding: 'utf8' });
      assert.match(listing, /^-rwxr-x--- 0\/0 .* scripts\/init\.sh$/m);
      assert.match(listing, /^lrwxrwxrwx 0\/0 .* scripts\/current -> init\.sh$/m);
    });
  });

  describe('config', () => {
    it('appends CMDs to the base image\'s, in order, and records which came from the base', async () => {
      await writeTree(context, { 'a.yaml': 'a: 1\n' });
      await build(store, context, 'FROM scratch\nCOPY a.yaml manifests\nCMD kubectl apply -f manifests/a.yaml\nCMD echo base-two\n', 'base:v1', TWO);
      await build(store, context, 'FROM base:v1\nCMD helm install x\nENV MODE=prod\nLABEL team=infra\nARG Version=v1\n', 'app:v1', TWO);
      for (const image of await platformImages(store, (await store.getImage('app:v1')).descriptor)) {
        assert.deepEqual(image.config.config?.Cmd, ['kubectl apply -f manifests/a.yaml', 'echo base-two', 'helm install x']);
        const spec = image.config[CLUSTER_IMAGE_KEY];
        assert.equal(spec?.parentCmds, 2);
        assert.deepEqual(spec?.args, { Version: 'v1' });
        assert.deepEqual(image.config.config?.Env, ['MODE=prod']);
        assert.deepEqual(image.config.config?.Labels, { team: 'infra' });
        assert.equal(image.manifest.layers.length, 1, 'the base layer, nothing new');
        assert.deepEqual(spec?.layers, [{ type: 'COPY', value: 'a.yaml manifests' }]);
      }
    });

    it('stores the default Clusterfile as the sea.aliyun.com/ClusterFile annotation', async () => {
      const clusterfile = 'apiVersion: sealer.cloud/v2\nkind: Cluster\nmetadata:\n  name: my-cluster\n';
      await writeTree(context, { Clusterfile: clusterfile });
      await build(store, context, 'FROM scratch\nCOPY Clusterfile etc\n', 'cf:v1', ['linux/amd64']);
      const [image] = await platformImages(store, (await store.getImage('cf:v1')).descriptor);
      assert.equal(image.manifest.annotations?.['sea.aliyun.com/ClusterFile'], clusterfile);
    });
  });

  describe('cache', () => {
    const KUBEFILE = 'FROM scratch\nCOPY one.txt etc\nCOPY two.txt etc\nCOPY three.txt etc\n';

    it('reuses every layer when nothing changed, and rebuilds only the layer whose source changed', async () => {
      await writeTree(context, { 'one.txt': '1', 'two.txt': '2', 'three.txt': '3' });
      const cold = await build(store, context, KUBEFILE, 'c:v1', ['linux/amd64']);
      assert.deepEqual([cold.layersBuilt, cold.layersCached], [3, 0]);
      const warm = await build(store, context, KUBEFILE, 'c:v1', ['linux/amd64']);
      assert.deepEqual([warm.layersBuilt, warm.layersCached], [0, 3]);
      const [coldImage] = await platformImages(store, cold.image.descriptor);
      const [warmImage] = await platformImages(store, warm.image.descriptor);
      assert.deepEqual(warmImage.manifest.layers, coldImage.manifest.layers);
      // Same content: the very same image, creation time included (as Docker's cache gives).
      assert.equal(warm.image.descriptor.digest, cold.image.descriptor.digest);
      assert.equal(warm.image.created, cold.image.created);

      await writeFile(join(context, 'two.txt'), 'two, changed');
      const changed = await build(store, context, KUBEFILE, 'c:v1', ['linux/amd64']);
      const steps = changed.events.filter((e): e is Extract<BuildEvent, { type: 'step-done' }> => e.type === 'step-done' && e.layer !== undefined);
      assert.deepEqual(steps.map((s) => s.cached), [true, false, true]);
      const [changedImage] = await platformImages(store, changed.image.descriptor);
      assert.equal(changedImage.manifest.layers[0].digest, coldImage.manifest.layers[0].digest);
      assert.notEqual(changedImage.manifest.layers[1].digest, coldImage.manifest.layers[1].digest);
      assert.equal(changedImage.manifest.layers[2].digest, coldImage.manifest.layers[2].digest);
      assert.deepEqual(await imageFiles(store, 'c:v1', 'linux/amd64'), ['etc/one.txt', 'etc/two.txt', 'etc/three.txt']);
    });

    it('--no-cache builds every layer again, to the same bytes', async () => {
      await writeTree(context, { 'one.txt': '1', 'two.txt': '2', 'three.txt': '3' });
      const first = await build(store, context, KUBEFILE, 'c:v1', ['linux/amd64']);
      const again = await build(store, context, KUBEFILE, 'c:v1', ['linux/amd64'], { noCache: true });
      assert.deepEqual([again.layersBuilt, again.layersCached], [3, 0]);
      const [a] = await platformImages(store, first.image.descriptor);
      const [b] = await platformImages(store, again.image.descriptor);
      assert.deepEqual(b.manifest.layers, a.manifest.layers);
    });

    it('compressed layers are gzip blobs with the plain tar\'s diff id', async () => {
      await writeTree(context, { 'one.txt': '1', 'two.txt': '2', 'three.txt': '3' });
      const plain = await build(store, context, KUBEFILE, 'p:v1', ['linux/amd64']);
      const gz = await build(store, context, KUBEFILE, 'z:v1', ['linux/amd64'], { compress: true });
      const [p] = await platformImages(store, plain.image.descriptor);
      const [z] = await platformImages(store, gz.image.descriptor);
      assert.deepEqual(z.manifest.layers.map((l) => l.mediaType), Array(3).fill('application/vnd.oci.image.layer.v1.tar+gzip'));
      assert.deepEqual(z.config.rootfs.diff_ids, p.config.rootfs.diff_ids);
      assert.equal(gz.layersBuilt, 3, 'a plain cached layer is not a compressed one');
    });
  });

  describe('image collection reads only the layers it needs', () => {
    /** A Deployment running `image`. */
    const deployment = (image: string): string => `kind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: ${image}\n`;

    it('a COPY into manifests/ of files that are no manifests is not read again for the collection', async () => {
      await writeTree(context, { 'data/pack/blob.bin': Buffer.alloc(64 * 1024, 7), 'data/more/notes.txt': 'not a manifest\n', 'app.yaml': deployment('local/app:1') });
      const kubefile = 'FROM scratch\nCOPY data manifests/data\nCOPY app.yaml manifests/\n';
      const ignore = { name: 'ignore.txt', text: 'local/app:1\n' };
      const first = await build(store, context, kubefile, 'c:v1', ['linux/amd64'], { pull: 'never', ignoreImageLists: [ignore] });
      // Damaged in place (same size, so the cache still takes it): reading it now would fail.
      const [image] = await platformImages(store, first.image.descriptor);
      const data = image.manifest.layers[0];
      await writeFile(store.blobPath(data.digest), Buffer.alloc(data.size, 0x41));
      // --pull always collects again over the cached layers.
      const again = await build(store, context, kubefile, 'c:v1', ['linux/amd64'], { pull: 'always', ignoreImageLists: [ignore] });
      assert.deepEqual([again.layersBuilt, again.layersCached], [0, 2]);
    });

    it('a directory that replaces a manifest of a layer below hides it from the collection', async () => {
      await writeTree(context, { 'app.yaml': deployment('local/missing:1'), 'folder/notes.txt': 'no manifest here\n' });
      // Without the second COPY the build fails: local/missing:1 is nowhere and --pull never.
      await assert.rejects(build(store, context, 'FROM scratch\nCOPY app.yaml manifests/app.yaml\n', 'c:v1', ['linux/amd64'], { pull: 'never' }), /local\/missing:1/);
      await build(store, context, 'FROM scratch\nCOPY app.yaml manifests/app.yaml\nCOPY folder manifests/app.yaml\n', 'c:v1', ['linux/amd64'], { pull: 'never' });
      assert.deepEqual(await imageFiles(store, 'c:v1', 'linux/amd64'), ['manifests/app.yaml', 'manifests/app.yaml/notes.txt']);
    });
  });

  describe('bases from files', () => {
    it('builds FROM oci-archive:PATH and FROM oci:DIR:TAG, per platform', async () => {
      await makeImage(store, 'k8s:v1', [
        { platform: 'linux/amd64', layers: [{ 'bin/kubectl': 'amd64' }], cmds: ['kubeadm init'] },
        { platform: 'linux/arm64', layers: [{ 'bin/kubectl': 'arm64' }], cmds: ['kubeadm init'] },
      ]);
      await saveArchive(store, ['k8s:v1'], join(context, 'k8s.tar'));
      await writeTree(context, { 'app.yaml': 'kind: Pod\n' });
      await build(store, context, 'FROM oci-archive:k8s.tar\nCOPY app.yaml manifests\nCMD kubectl apply -f manifests\n', 'from-archive:v1', TWO);
      // The store itself is an OCI layout: oci:DIR:TAG reads it like any other.
      await build(store, context, `FROM oci:${store.root}:k8s:v1\nCOPY app.yaml manifests\n`, 'from-dir:v1', TWO);
      for (const name of ['from-archive:v1', 'from-dir:v1']) {
        assert.deepEqual(await imageFiles(store, name, 'linux/arm64/v8'), ['bin/kubectl', 'manifests/app.yaml']);
      }
      const [amd] = await platformImages(store, (await store.getImage('from-archive:v1')).descriptor);
      assert.deepEqual(amd.config.config?.Cmd, ['kubeadm init', 'kubectl apply -f manifests']);
      assert.deepEqual(amd.config[CLUSTER_IMAGE_KEY]?.layers.map((l) => l.type), ['COPY', 'COPY']);
    });
  });

  describe('errors', () => {
    it('names the platforms a base image has when the wanted one is missing', async () => {
      await makeImage(store, 'amd-only:v1', [{ platform: 'linux/amd64', layers: [{ 'bin/x': 'x' }] }]);
      await assert.rejects(build(store, context, 'FROM amd-only:v1\n', 'x:v1', TWO), (error: RuntimeError) => {
        assert.equal(error.code, 'PLATFORM_NOT_FOUND');
        assert.equal(error.message, 'image amd-only:v1 has no linux/arm64/v8 variant (it has: linux/amd64)');
        assert.deepEqual(error.location, { file: 'Kubefile', line: 1, column: 1 });
        return true;
      });
      assert.equal(await store.findImage('x:v1'), undefined);
    });

    it('--pull never: a base that is not in the store is an error that says how to get it', async () => {
      await assert.rejects(build(store, context, 'FROM kubernetes:v1.19.8\n', 'x:v1', ['linux/amd64'], { pull: 'never' }), (error: RuntimeError) => {
        assert.equal(error.code, 'BASE_UNAVAILABLE');
        assert.match(error.message, /^base image kubernetes:v1\.19\.8 is not in the store, and --pull never forbids pulling it: pull it \(`kubefilec pull kubernetes:v1\.19\.8`\)/);
        return true;
      });
    });

    it('an aborted build stores no image and leaves no temp file', async () => {
      await writeTree(context, { 'big.bin': Buffer.alloc(8 << 20, 1), 'small.txt': 's' });
      const plans = await plansOf(context, 'FROM scratch\nCOPY small.txt etc\nCOPY big.bin images\n', TWO);
      const controller = new AbortController();
      const building = buildImage({ store, plans, context, tag: 'stopped:v1', signal: controller.signal, onEvent: (e) => e.type === 'step-bytes' && controller.abort() });
      await assert.rejects(building, (error: RuntimeError) => error.code === 'INTERRUPTED');
      assert.equal(await store.findImage('stopped:v1'), undefined);
      assert.deepEqual(await tmpFiles(store), []);
    });
  });
});
