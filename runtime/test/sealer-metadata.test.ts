/**
 * sealer's metadata without the sealer binary: what every platform manifest of a build carries,
 * how a base's applications are kept and changed, and how an image sealer built (a recorded
 * `sealer save`) reads: inspect, FROM, layer instructions.
 */
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  clusterImage,
  goJson,
  inspectImage,
  listImageSummaries,
  loadArchive,
  platformImages,
  readContainerImages,
  readImageExtension,
  SEALER_ANNOTATION,
  type SealerImageSpec,
  type SealerView,
} from '../src/index.js';
import { build, writeTree } from './build-helpers.js';
import { makeImage, useTempStore } from './fixtures.js';

const SINGLE_SAVE = new URL('../../test/fixtures/sealer/single-platform-save.tar', import.meta.url).pathname;

describe('sealer metadata', function () {
  this.timeout(60_000);
  const temp = useTempStore('kubefile-sealer-meta-');

  async function context(files: Record<string, string>): Promise<string> {
    const dir = join(temp.dir, `context-${Math.random().toString(36).slice(2)}`);
    await mkdir(dir, { recursive: true });
    await writeTree(dir, files);
    return dir;
  }

  async function platforms(name: string) {
    return platformImages(temp.store, (await temp.store.getImage(name)).descriptor);
  }

  it('every platform manifest carries the extension; images lists its type', async () => {
    const ctx = await context({ 'app.yaml': 'kind: ConfigMap\n' });
    await build(temp.store, ctx, 'FROM scratch\nENV B=2 A=1\nAPP web local://app.yaml\nCMD kubectl get nodes\n', 'two:v1', ['linux/amd64', 'linux/arm64']);
    const images = await platforms('two:v1');
    assert.equal(images.length, 2);
    for (const image of images) {
      const text = image.manifest.annotations?.[SEALER_ANNOTATION.extension];
      assert.ok(text);
      // Go's encoding: keys in struct order, maps sorted.
      assert.equal(
        text,
        '{"buildClient":{"sealerVersion":"kubefilec-0.1.0","buildahVersion":""},"schemaVersion":"v1alpha1","type":"kube-installer","applications":[{"name":"web","type":"kube","files":["app.yaml"],"version":"v1"}],"env":{"A":"1","B":"2"},"launch":{"cmds":["kubectl get nodes"]}}',
      );
      assert.deepEqual(readContainerImages(image.manifest.annotations, 'two:v1'), [], 'no container images, no annotation');
      assert.equal(image.manifest.annotations?.[SEALER_ANNOTATION.containerImages], undefined);
    }
    assert.deepEqual((await listImageSummaries(temp.store)).map((s) => [s.name, s.type]), [['two:v1', 'kube-installer']]);
    assert.equal(goJson({ a: '<b> & c' }), '{"a":"\\u003cb\\u003e \\u0026 c"}');
  });

  it('APPENV and APPCMDS change a base application; an APP of its name replaces it; the launch is inherited', async () => {
    const base = await context({ 'web.yaml': 'kind: ConfigMap\n', 'db.yaml': 'kind: ConfigMap\n' });
    await build(temp.store, base, 'FROM scratch\nAPP web local://web.yaml\nAPPENV web A=1\nAPP db local://db.yaml\nLAUNCH ["web", "db"]\n', 'base:v1', ['linux/amd64'], { type: 'app-installer' });
    const child = await context({ 'db2.yaml': 'kind: Secret\n' });
    await build(temp.store, child, 'FROM base:v1\nAPPENV web B=2\nAPPCMDS web ["kubectl apply -f web.yaml"]\nAPP db local://db2.yaml\n', 'child:v1', ['linux/amd64']);
    const [image] = await platforms('child:v1');
    const extension = readImageExtension(image!.manifest.annotations, 'child:v1')!;
    assert.deepEqual(extension.applications, [
      { name: 'web', type: 'kube', files: ['web.yaml'], version: 'v1', env: { A: '1', B: '2' }, cmds: ['kubectl apply -f web.yaml'] },
      { name: 'db', type: 'kube', files: ['db2.yaml'], version: 'v1' },
    ]);
    assert.deepEqual(extension.launch, { app_names: ['web', 'db'] });
    assert.equal(extension.type, 'app-installer');
  });

  it('reads an image sealer built: inspect shows what sealer inspect shows, FROM keeps its applications and launch', async () => {
    const [loaded] = await loadArchive(temp.store, SINGLE_SAVE);
    assert.equal(loaded!.name, 'localhost/fixture-save-single:v1');
    const [sealerBuilt] = await platforms(loaded!.name);
    const view = clusterImage(sealerBuilt!, loaded!.name);
    assert.equal(view.madeBy, 'sealer');
    assert.deepEqual(
      view.spec.layers.map((layer) => layer.type),
      ['COPY', 'IMAGES'],
    );

    const inspected = await inspectImage(temp.store, loaded!.name, { format: 'sealer' });
    const [spec] = inspected.value as SealerImageSpec[];
    assert.equal(spec!.name, 'localhost/fixture-save-single:v1');
    assert.equal(spec!.digest, sealerBuilt!.descriptor.digest);
    assert.equal(spec!.id, sealerBuilt!.manifest.config.digest.slice('sha256:'.length));
    assert.deepEqual(spec!.imageExtension.applications, [{ name: 'app1', type: 'kube', files: ['app.yaml'], version: 'v1' }]);
    assert.deepEqual(spec!.imageExtension.launch, { app_names: ['app1'] });
    assert.equal(spec!.imageExtension.buildClient.sealerVersion, 'v0.11.0');
    assert.equal(spec!.imageExtension.labels?.['io.sealer.version'], 'v0.11.0');
    assert.equal(spec!.ociv1.config?.Labels, undefined, 'labels are shown in the extension, as sealer does');
    assert.equal(spec!.manifestv1.annotations?.[SEALER_ANNOTATION.extension], undefined, 'the annotations are shown parsed, as sealer does');

    const ctx = await context({ 'extra.yaml': 'kind: ConfigMap\n' });
    await build(temp.store, ctx, `FROM ${loaded!.name}\nAPP extra local://extra.yaml\n`, 'on-sealer:v1', ['linux/amd64']);
    const [child] = await platforms('on-sealer:v1');
    const extension = readImageExtension(child!.manifest.annotations, 'on-sealer:v1')!;
    assert.deepEqual(extension.applications?.map((app) => app.name), ['app1', 'extra']);
    assert.deepEqual(extension.launch, { app_names: ['app1'] });
    assert.equal(extension.type, 'app-installer');
    const kindImage = (await inspectImage(temp.store, 'on-sealer:v1', { format: 'sealer-v0.8' })).value as SealerView;
    assert.deepEqual(
      kindImage.images[0]!.spec.layers.map((layer) => layer.type),
      ['COPY', 'IMAGES', 'COPY'],
    );
  });

  it('a broken extension annotation is one clear error naming the image; images still lists the image, without a type', async () => {
    await makeImage(temp.store, 'odd:v1', [{ platform: 'linux/amd64', layers: [{ a: 'a' }], annotations: { [SEALER_ANNOTATION.extension]: '{"launch":' } }]);
    assert.deepEqual((await listImageSummaries(temp.store)).map((s) => [s.name, s.type, s.error]), [['odd:v1', undefined, undefined]]);
    await assert.rejects(inspectImage(temp.store, 'odd:v1', { format: 'sealer' }), /^RuntimeError: image odd:v1: annotation sealer.image.extension is not JSON/);
    assert.throws(() => readImageExtension({ [SEALER_ANNOTATION.extension]: '{"launch":' }, 'bad:v1'), /^RuntimeError: image bad:v1: annotation sealer.image.extension is not JSON/);
    assert.throws(() => readImageExtension({ [SEALER_ANNOTATION.extension]: '[]' }, 'bad:v1'), /is not a JSON object/);
    assert.throws(() => readContainerImages({ [SEALER_ANNOTATION.containerImages]: 'x'.repeat(5 * 1024 * 1024) }, 'big:v1'), /larger than/);
    assert.deepEqual(readContainerImages({ [SEALER_ANNOTATION.containerImages]: '[{"image":"a:1","platform":{"architecture":"arm64","os":"linux","variant":"v8"}},{"image":1},"x"]' }, 'odd:v1'), [
      { image: 'a:1', platform: { architecture: 'arm64', os: 'linux', variant: 'v8' } },
    ]);
  });
});
