/**
 * Where a failed image collection points: at the build context file a COPY brought into the image
 * (a manifest, a chart's values), at the `--image-list` line, or at the Kubefile line of the step
 * that made the file; the message still names the path in the image and says how to build without
 * the image. And the collect step's line names its images. No registry is needed: `--pull never`
 * fails at once, and 127.0.0.1:1 refuses every connection.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { buildImage, RuntimeError, type BuildEvent } from '../src/index.js';
import { build, plansOf, writeTree } from './build-helpers.js';
import { makeImage, useTempStore } from './fixtures.js';

/** A Deployment running `images`; the first is on line 8, each next one two lines further. */
const deployment = (...images: string[]): string =>
  ['apiVersion: apps/v1', 'kind: Deployment', 'spec:', '  template:', '    spec:', '      containers:', ...images.flatMap((image, i) => [`        - name: c${i}`, `          image: ${image}`]), ''].join('\n');

/** The error a build rejects with (it must reject). */
async function failure(built: Promise<unknown>): Promise<RuntimeError> {
  const error = await built.then(
    () => assert.fail('the build fails'),
    (caught: unknown) => caught,
  );
  assert.ok(error instanceof RuntimeError, String(error));
  return error;
}

describe('image collection errors', function () {
  this.timeout(60_000);
  const temp = useTempStore('kubefile-collect-errors-');

  it('an image a copied manifest names points at the context file and its line, naming the path in the image and --ignore-image-list', async () => {
    await writeTree(temp.dir, { 'deploy/app.yaml': deployment('local/missing:1') });
    const error = await failure(build(temp.store, temp.dir, 'FROM scratch\nCOPY deploy/app.yaml manifests/\n', 'cluster:v1', ['linux/amd64'], { pull: 'never' }));
    assert.equal(error.code, 'IMAGE_NOT_FOUND');
    assert.deepEqual(error.location, { file: join(temp.dir, 'deploy/app.yaml'), line: 8, column: 1 });
    assert.equal(
      error.message,
      'container image local/missing:1 (linux/amd64) is not in the store, and --pull never forbids pulling it (named by manifests/app.yaml:8 in the image); to build without it, list docker.io/local/missing:1 in an --ignore-image-list file (or put the image in the store: kubefilec pull / load)',
    );
  });

  it('the context directory is shown as the build was given it', async () => {
    await writeTree(temp.dir, { 'app.yaml': deployment('local/missing:1') });
    const plans = await plansOf(temp.dir, 'FROM scratch\nCOPY app.yaml manifests/\n', ['linux/amd64']);
    const shown = join(temp.dir, 'sub', '..');
    const error = await failure(buildImage({ store: temp.store, plans, context: shown, tag: 'cluster:v1', kubefile: 'Kubefile', pull: 'never' }));
    assert.deepEqual(error.location, { file: join(shown, 'app.yaml'), line: 8, column: 1 });
  });

  it('a later COPY of the same path is the one pointed at', async () => {
    await writeTree(temp.dir, { 'old.yaml': deployment('local/old:1'), 'new.yaml': `# replaces old.yaml\n${deployment('local/new:1')}` });
    const error = await failure(build(temp.store, temp.dir, 'FROM scratch\nCOPY old.yaml manifests/app.yaml\nCOPY new.yaml manifests/app.yaml\n', 'cluster:v1', ['linux/amd64'], { pull: 'never' }));
    assert.deepEqual(error.location, { file: join(temp.dir, 'new.yaml'), line: 9, column: 1 });
    assert.match(error.message, /local\/new:1 .*\(named by manifests\/app\.yaml:9 in the image\)/);
  });

  it('a chart copied into charts/ points at its values file in the context, from a cached layer too', async () => {
    await writeTree(temp.dir, {
      'my-chart/Chart.yaml': 'apiVersion: v2\nname: my-chart\nversion: 1.0.0\n',
      'my-chart/values.yaml': 'replicas: 1\nimage:\n  repository: local/chart-app\n  tag: "2"\n',
      'my-chart/templates/deploy.yaml': 'kind: Deployment\n',
    });
    const kubefile = 'FROM scratch\nCOPY my-chart charts\n';
    for (const attempt of ['first', 'cached']) {
      const error = await failure(build(temp.store, temp.dir, kubefile, 'cluster:v1', ['linux/amd64', 'linux/arm64'], { pull: 'never' }));
      assert.deepEqual(error.location, { file: join(temp.dir, 'my-chart/values.yaml'), line: 3, column: 1 }, attempt);
      assert.match(error.message, /\(named by charts\/values\.yaml:3 in the image\); to build without it, list docker\.io\/local\/chart-app:2 in an --ignore-image-list file/, attempt);
    }
  });

  it('an image an --image-list file names points at that file and line', async () => {
    const error = await failure(build(temp.store, temp.dir, 'FROM scratch\nLABEL a=b\n', 'cluster:v1', ['linux/amd64'], { pull: 'never', imageLists: [{ name: 'lists/extra.txt', text: '# extra\nlocal/listed:1\n' }] }));
    assert.deepEqual(error.location, { file: 'lists/extra.txt', line: 2, column: 1 });
    assert.match(error.message, /local\/listed:1 .*\(named by the --image-list file\); to build without it, list docker\.io\/local\/listed:1 in an --ignore-image-list file/);
  });

  it('a file RUN made points at the RUN line', async () => {
    const error = await failure(build(temp.store, temp.dir, `FROM scratch\nLABEL a=b\nRUN mkdir manifests && printf 'image: local/made:1\\n' > manifests/made.yaml\n`, 'cluster:v1', ['linux/amd64'], { pull: 'never' }));
    assert.deepEqual(error.location, { file: 'Kubefile', line: 3, column: 1 });
    assert.match(error.message, /\(named by manifests\/made\.yaml:1 in the image\)/);
  });

  it('an unreachable registry fails with the hint, and its retries leave no abort listeners behind', async () => {
    const images = ['a', 'b', 'c', 'd'].map((name) => `127.0.0.1:1/nothing/${name}:v1`);
    await writeTree(temp.dir, { 'app.yaml': deployment(...images) });
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const error = await failure(build(temp.store, temp.dir, 'FROM scratch\nCOPY app.yaml manifests/\n', 'cluster:v1', ['linux/amd64', 'linux/arm64'], { tlsVerify: false }));
      assert.equal(error.code, 'REGISTRY');
      assert.equal(error.location?.file, join(temp.dir, 'app.yaml'));
      assert.match(error.message, /^cannot reach 127\.0\.0\.1:1 .*\(named by manifests\/app\.yaml:\d+ in the image\); to build without it, list 127\.0\.0\.1:1\/nothing\/[a-d]:v1 in an --ignore-image-list file \(or put the image in the store: kubefilec pull \/ load\)$/);
      // Warnings are emitted on the next tick.
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    assert.deepEqual(warnings.filter((warning) => warning.name === 'MaxListenersExceededWarning').map((warning) => warning.message), []);
  });
});

describe('the collect step', function () {
  this.timeout(60_000);
  const temp = useTempStore('kubefile-collect-step-');

  const collectLines = (events: readonly BuildEvent[]): string[] => events.flatMap((event) => (event.type === 'step' && event.text.startsWith('collect') ? [event.text] : []));

  it('names its images, the first five and how many more, built and cached', async () => {
    const names = ['one', 'two', 'three', 'four', 'five', 'six', 'seven'].map((name) => `local/${name}:1`);
    for (const name of names) await makeImage(temp.store, name, [{ platform: 'linux/amd64', layers: [{ [`bin/${name}`]: name }] }]);
    await writeTree(temp.dir, { 'app.yaml': deployment(...names.slice(0, 2)), 'more.yaml': deployment(...names.slice(2)) });
    const kubefile = 'FROM scratch\nCOPY app.yaml manifests/\n';
    const few = await build(temp.store, temp.dir, kubefile, 'few:v1', ['linux/amd64'], { pull: 'never' });
    assert.deepEqual(collectLines(few.events), ['collect container images: docker.io/local/one:1, docker.io/local/two:1 (2 named)']);
    const cached = await build(temp.store, temp.dir, kubefile, 'few:v1', ['linux/amd64'], { pull: 'never' });
    assert.deepEqual(collectLines(cached.events), ['collect container images: docker.io/local/one:1, docker.io/local/two:1 (2 images)']);
    const many = await build(temp.store, temp.dir, `${kubefile}COPY more.yaml manifests/\n`, 'many:v1', ['linux/amd64'], { pull: 'never' });
    assert.deepEqual(collectLines(many.events), ['collect container images: docker.io/local/one:1, docker.io/local/two:1, docker.io/local/three:1, docker.io/local/four:1, docker.io/local/five:1 and 2 more (7 named)']);
  });
});
