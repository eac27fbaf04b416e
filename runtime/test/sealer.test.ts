/**
 * Interoperability with the real sealer v0.11.0 (SEALER_BIN): what kubefilec builds, sealer loads,
 * inspects, pulls and builds FROM; what sealer builds, kubefilec loads, inspects and builds FROM.
 * sealer's whole state stays in the session's temp dir (runtime/test/sealer-helpers.ts).
 */
import assert from 'node:assert/strict';
import { mkdir, rm } from 'node:fs/promises';
import { execa } from 'execa';
import { join } from 'node:path';
import {
  inspectImage,
  loadArchive,
  platformImages,
  pushImage,
  readImageExtension,
  saveArchive,
  type ImageExtension,
  type ImageStore,
  type SealerApplication,
  type SealerContainerImage,
  type SealerImageSpec,
  type SealerView,
} from '../src/index.js';
import { build, writeTree } from './build-helpers.js';
import { tempDir, tempStore } from './fixtures.js';
import { putImage, putTag, selfSignedCertificate, startRegistry, type RunningRegistry } from './registry-helpers.js';
import { describeWithSealer, SealerError, startSealer, type SealerSession } from './sealer-helpers.js';

const HOST = 'linux/amd64';
const BOTH = ['linux/amd64', 'linux/arm64'];

const byName = (a: SealerApplication, b: SealerApplication): number => a.name.localeCompare(b.name);
const apps = (extension: ImageExtension): SealerApplication[] => [...(extension.applications ?? [])].sort(byName);
const images = (list: SealerContainerImage[] | undefined): SealerContainerImage[] => [...(list ?? [])].sort((a, b) => a.image.localeCompare(b.image));

describeWithSealer('interoperability with the real sealer v0.11', function (bin) {
  this.timeout(300_000);
  let sealer: SealerSession;
  let store: ImageStore;
  let cleanStore: () => Promise<void>;
  let dir: string;
  let registry: RunningRegistry;
  /** A container image in the registry that the cluster images name. */
  let containerImage: string;

  before(async () => {
    sealer = await startSealer(bin);
    ({ store, cleanup: cleanStore } = await tempStore());
    dir = await tempDir('kubefile-sealer-');
    registry = await startRegistry(join(dir, 'registry'), dir);
    const manifest = await putImage(join(dir, 'registry'), 'team/app', 'amd64', 'app layer');
    await putTag(join(dir, 'registry'), 'team/app', 'v1', manifest);
    containerImage = `${registry.host}/team/app:v1`;
  });

  after(async () => {
    await registry?.stop();
    await sealer?.cleanup();
    await cleanStore?.();
    await rm(dir, { recursive: true, force: true });
  });

  /** sealer's `inspect` of NAME (the host's instance of a list), parsed. */
  async function sealerInspect(name: string): Promise<SealerImageSpec> {
    return JSON.parse((await sealer.run(['inspect', name])).stdout) as SealerImageSpec;
  }

  async function context(name: string, files: Record<string, string>): Promise<string> {
    const path = join(dir, name);
    await mkdir(path, { recursive: true });
    await writeTree(path, files);
    return path;
  }

  it('sealer loads our image, and its inspect shows our launch, applications and container images', async () => {
    const ctx = await context('appone', {
      'app.yaml': `apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\nspec:\n  containers:\n    - name: app\n      image: ${containerImage}\n`,
      'install.sh': 'echo installing\n',
    });
    const kubefile = 'FROM scratch\nENV REGION=north\nAPP app1 local://app.yaml\nAPPENV app1 REPLICAS=2\nAPP setup local://install.sh\nLAUNCH ["setup", "app1"]\n';
    await build(store, ctx, kubefile, 'appone:v1', [HOST], { type: 'app-installer', tlsVerify: false });
    const archive = join(dir, 'appone.tar');
    await saveArchive(store, ['appone:v1'], archive);

    await sealer.run(['load', '-i', archive]);
    const spec = await sealerInspect('appone:v1');
    const ours = readImageExtension((await platformImages(store, (await store.getImage('appone:v1')).descriptor))[0]!.manifest.annotations, 'appone:v1')!;
    assert.equal(spec.imageExtension.type, 'app-installer');
    assert.deepEqual(apps(spec.imageExtension), [
      { name: 'app1', type: 'kube', files: ['app.yaml'], version: 'v1', env: { REPLICAS: '2' } },
      { name: 'setup', type: 'shell', files: ['install.sh'], version: 'v1' },
    ]);
    assert.deepEqual(apps(spec.imageExtension), apps(ours));
    assert.deepEqual(spec.imageExtension.launch, { app_names: ['setup', 'app1'] });
    assert.deepEqual(spec.imageExtension.env, { REGION: 'north' });
    assert.equal(spec.imageExtension.buildClient.sealerVersion, 'kubefilec-0.1.0');
    assert.deepEqual(spec.containerImageList, [{ image: containerImage, appName: 'app1', platform: { architecture: 'amd64', os: 'linux' } }]);
  });

  it('sealer run takes our images: a kube-installer goes on to install the hosts, an app-installer to the running cluster', async () => {
    // Nothing can be installed here: the point is how far sealer gets. Before our images carried
    // sealer.image.extension, it refused them at once ("failed to get sealer image extension").
    const ctx = await context('kube', { 'app.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n' });
    await build(store, ctx, 'FROM scratch\nAPP app1 local://app.yaml\nLAUNCH ["app1"]\n', 'kube:v1', [HOST]);
    const archive = join(dir, 'kube.tar');
    await saveArchive(store, ['kube:v1'], archive);
    await sealer.run(['load', '-i', archive]);
    const refused = (pattern: RegExp) => (error: SealerError) => {
      assert.doesNotMatch(error.stderr, /extension/);
      assert.match(error.stderr, pattern);
      return true;
    };
    // The cluster installer reads the image and starts on its first host, where no ssh server answers.
    await assert.rejects(sealer.run(['run', 'kube:v1', '-m', '127.0.0.1', '-p', 'not-a-password']), refused(/\[ssh\]\[127\.0\.0\.1\]/));
    // The application installer reads the image and looks for the cluster it installs into.
    await assert.rejects(sealer.run(['run', 'appone:v1']), refused(/\.sealer\/Clusterfile: no such file/));
  });

  it('sealer pulls our pushed multi-platform image for each platform', async () => {
    const ctx = await context('multi', { 'base.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: base\n' });
    await build(store, ctx, 'FROM scratch\nKUBEVERSION v1.19.8\nAPP base local://base.yaml\nCMD kubectl get nodes\n', 'multi:v1', BOTH);
    const ours = await platformImages(store, (await store.getImage('multi:v1')).descriptor);
    const remote = `${registry.host}/team/multi:v1`;
    await pushImage(store, 'multi:v1', remote, { tlsVerify: false });
    for (const image of ours) {
      const pulled = await sealer.run(['pull', '--skip-tls-verify', '--platform', image.key, remote]);
      // sealer's image id is the config digest: the platform's own variant was pulled.
      assert.match(pulled.stderr, new RegExp(`with the image ID: ${image.manifest.config.digest.slice('sha256:'.length)}`), image.key);
      // sealer inspects only images of its own architecture: the other is read through its save.
      const extension =
        image.platform.architecture === 'amd64'
          ? (await sealerInspect(remote)).imageExtension
          : await (async () => {
              const file = join(dir, `pulled-${image.platform.architecture}.tar`);
              // By id: sealer looks names up for its own platform only.
              await sealer.run(['save', '-o', file, image.manifest.config.digest.slice('sha256:'.length)]);
              const scratch = await tempStore();
              try {
                const [loaded] = await loadArchive(scratch.store, file, { tag: 'pulled:v1' });
                const [platform] = await platformImages(scratch.store, loaded!.descriptor);
                assert.equal(platform!.config.architecture, image.platform.architecture);
                return readImageExtension(platform!.manifest.annotations, remote)!;
              } finally {
                await scratch.cleanup();
              }
            })();
      assert.equal(extension.type, 'kube-installer');
      assert.deepEqual(apps(extension), [{ name: 'base', type: 'kube', files: ['base.yaml'], version: 'v1' }]);
      assert.deepEqual(extension.launch, { cmds: ['kubectl get nodes'] });
      if (extension.labels) assert.equal(extension.labels['app.alpha.sealer.io/supported-kube-version'], 'v1.19.8');
    }
  });

  it('sealer builds FROM our multi-platform image for linux/amd64 and linux/arm64, reading its applications', async () => {
    // multi:v1 is the image the test above built: one base application, for both platforms. sealer
    // pulls a base over HTTPS only, and a multi-platform sealer build FROM a local list deletes the
    // list's instances after the first platform (a sealer v0.11 bug, seen with its own images too):
    // so the base comes from a TLS registry that sealer trusts through SSL_CERT_FILE, put there by skopeo.
    const certificate = await selfSignedCertificate(dir);
    const secure = await startRegistry(join(dir, 'tls-registry'), dir, undefined, certificate);
    try {
      const archive = join(dir, 'multi-oci.tar');
      await saveArchive(store, ['multi:v1'], archive);
      const base = `${secure.host}/team/multi:v1`;
      await execa('skopeo', ['copy', '--quiet', '--all', '--dest-tls-verify=false', `oci-archive:${archive}:multi:v1`, `docker://${base}`]);
      const ctx = await context('on-ours', {
        'extra.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n',
        // LAUNCH may name `base` only if sealer read our base's applications.
        Kubefile: `FROM ${base}\nAPP extra local://extra.yaml\nLAUNCH ["base", "extra"]\n`,
      });
      await sealer.run(['build', '--platform', 'linux/amd64,linux/arm64', '-t', 'on-ours:v1', '.'], { cwd: ctx, env: { SSL_CERT_FILE: certificate.cert } });
    } finally {
      await secure.stop();
    }
    const saved = join(dir, 'on-ours.tar');
    await sealer.run(['save', '-o', saved, 'on-ours:v1']);
    const [loaded] = await loadArchive(store, saved);
    const platforms = await platformImages(store, loaded!.descriptor);
    assert.deepEqual(platforms.map((p) => p.key).sort(), ['linux/amd64', 'linux/arm64/v8']);
    for (const platform of platforms) {
      const extension = readImageExtension(platform.manifest.annotations, platform.key)!;
      assert.deepEqual(apps(extension).map((app) => app.name), ['base', 'extra'], platform.key);
      assert.deepEqual(extension.launch, { app_names: ['base', 'extra'] });
      assert.ok(platform.config.rootfs.diff_ids.length >= 2, 'our layer and sealer\'s');
    }
  });

  it('sealer loads our sealer-format save with both platforms', async () => {
    const file = join(dir, 'multi-sealer.tar');
    await saveArchive(store, ['multi:v1'], file, { format: 'sealer' });
    const loaded = await sealer.run(['load', '-i', file]);
    const ours = await platformImages(store, (await store.getImage('multi:v1')).descriptor);
    for (const image of ours) assert.match(`${loaded.stdout}${loaded.stderr}`, new RegExp(image.manifest.config.digest.slice(7, 19)), image.key);
    assert.equal((await sealerInspect('multi:v1')).ociv1.architecture, 'amd64');
  });

  it('kubefilec reads a sealer-built image as sealer does, and builds FROM it keeping its launch and applications', async () => {
    const ctx = await context('sealer-built', {
      'web.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n',
      'calico.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: calico\n',
      Kubefile: 'FROM scratch\nENV MODE=fast\nKUBEVERSION v1.22.15\nCNI calico local://calico.yaml\nAPP web local://web.yaml\nAPPCMDS web ["kubectl apply -f web.yaml"]\nLAUNCH ["calico", "web"]\n',
    });
    await sealer.run(['build', '--type', 'app-installer', '-t', 'sealerbuilt:v1', '.'], { cwd: ctx });
    const theirs = await sealerInspect('sealerbuilt:v1');
    const archive = join(dir, 'sealerbuilt.tar');
    await sealer.run(['save', '-o', archive, 'sealerbuilt:v1']);
    await loadArchive(store, archive);

    const inspected = await inspectImage(store, 'localhost/sealerbuilt:v1', { format: 'sealer' });
    assert.equal(inspected.format, 'sealer');
    const [ours] = inspected.value as SealerImageSpec[];
    assert.ok(ours);
    assert.deepEqual(apps(ours.imageExtension), apps(theirs.imageExtension));
    assert.deepEqual(ours.imageExtension.launch, theirs.imageExtension.launch);
    assert.deepEqual(ours.imageExtension.env, theirs.imageExtension.env);
    assert.deepEqual(ours.imageExtension.labels, theirs.imageExtension.labels);
    assert.deepEqual(images(ours.containerImageList), images(theirs.containerImageList));
    assert.deepEqual(ours.ociv1.config, theirs.ociv1.config);

    // A build on it keeps the base's applications (APPENV and LAUNCH may name them) and, without a LAUNCH of its own, its launch.
    const child = await context('child-of-sealer', { 'extra.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n' });
    await build(store, child, 'FROM localhost/sealerbuilt:v1\nAPP extra local://extra.yaml\nAPPENV web TIER=front\n', 'child:v1', [HOST]);
    const [childImage] = await platformImages(store, (await store.getImage('child:v1')).descriptor);
    const extension = readImageExtension(childImage!.manifest.annotations, 'child:v1')!;
    assert.deepEqual(
      apps(extension).map((app) => [app.name, app.type, app.env]),
      [
        ['calico', 'kube', undefined],
        ['extra', 'kube', undefined],
        ['web', 'kube', { TIER: 'front' }],
      ],
    );
    assert.deepEqual(extension.launch, { app_names: ['calico', 'web'] });
    assert.equal(extension.type, 'app-installer', 'the base type is kept');
    assert.equal(childImage!.config.config?.Labels?.['cluster.alpha.sealer.io/kube-cni-calico'], 'true');
    // The base's layers show the instructions sealer ran, not BASE.
    const view = (await inspectImage(store, 'child:v1', { format: 'sealer-v0.8' })).value as SealerView;
    const types = view.images[0]!.spec.layers.map((layer) => layer.type);
    assert.ok(!types.includes('BASE'), types.join(' '));
    assert.ok(types.includes('COPY'), types.join(' '));

    // And sealer builds on what we built on its image.
    const grandchild = await context('grandchild', { Kubefile: 'FROM child:v1\nCMDS ["kubectl get pods"]\n' });
    await saveArchive(store, ['child:v1'], join(dir, 'child.tar'));
    await sealer.run(['load', '-i', join(dir, 'child.tar')]);
    await sealer.run(['build', '--type', 'app-installer', '-t', 'grandchild:v1', '.'], { cwd: grandchild });
    const grand = await sealerInspect('grandchild:v1');
    assert.deepEqual(apps(grand.imageExtension).map((app) => app.name), ['calico', 'extra', 'web']);
    assert.deepEqual(grand.imageExtension.launch, { cmds: ['kubectl get pods'] });
  });
});
