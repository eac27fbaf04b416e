/**
 * What an image's manifests/, charts/, application/apps/ and images/ ask to carry, as sealer's
 * ParseContainerImageList finds it: charts as directories and packages, subcharts each on their
 * own; applications as charts or kube files, their images with the app's name.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import * as tar from 'tar';
import { COLLECTED_DIRECTORIES, findCollectSources, isCollectedFile, RuntimeError } from '../src/index.js';
import { writeTree } from './build-helpers.js';
import { tempDir as makeTempDir } from './fixtures.js';

/** A `helm package`-like .tgz of `dir/name` written to `file`. */
async function packageChart(dir: string, name: string, file: string): Promise<void> {
  await tar.c({ gzip: true, cwd: dir, file }, [name]);
}

describe('collect sources', () => {
  const made: string[] = [];
  const tempDir = async (): Promise<string> => {
    const dir = await makeTempDir('kubefile-sources-');
    made.push(dir);
    return dir;
  };
  after(async () => {
    for (const dir of made) await rm(dir, { recursive: true, force: true });
  });

  it('finds images in packaged charts, their packaged subcharts and directory subcharts, each chart with its kubeVersion', async () => {
    const work = await tempDir();
    await writeTree(join(work, 'src'), {
      'db/Chart.yaml': 'apiVersion: v2\nname: db\nversion: 2.0.0\n',
      'db/values.yaml': 'image:\n  repository: bitnami/postgresql\n  tag: 16.1\n',
      'api/Chart.yaml': "apiVersion: v2\nname: api\nversion: '1.2.3'\nkubeVersion: '>= 1.25'\ndependencies:\n  - name: db\n    version: 2.0.0\n",
      'api/values.yaml': 'image: ghcr.io/team/api:1.2.3\n',
      'api/templates/job.yaml': 'spec:\n  template:\n    spec:\n      containers:\n        - image: busybox:1.36 # literal\n        - image: {{ .Values.image }}\n',
    });
    await mkdir(join(work, 'src', 'api', 'charts'));
    await packageChart(join(work, 'src'), 'db', join(work, 'src', 'api', 'charts', 'db-2.0.0.tgz'));
    await packageChart(join(work, 'src'), 'api', join(work, 'src', 'api-1.2.3.tgz'));
    const root = join(work, 'image');
    await writeTree(root, {
      'charts/api-1.2.3.tgz': await readFile(join(work, 'src', 'api-1.2.3.tgz')),
      'charts/web/Chart.yaml': 'name: web\nversion: 0.1.0\n',
      'charts/web/values.yaml': 'image:\n  registry: quay.io\n  repository: team/web\n  tag: "0.1"\n',
      'charts/web/charts/cache/Chart.yaml': 'name: cache\nversion: 7.0.0\nkubeVersion: ^1.28.0\n',
      'charts/web/charts/cache/values.yaml': 'image:\n  repository: redis\n  tag: "7.2"\n',
      'manifests/notes.txt': 'image: not/read:1\n',
      'images/app.tar': 'an archive',
    });

    const found = await findCollectSources(root);
    assert.deepEqual(found.charts, [
      { path: 'charts/api-1.2.3.tgz!api', name: 'api', version: '1.2.3', kubeVersion: '>= 1.25' },
      { path: 'charts/api-1.2.3.tgz!api/charts/db-2.0.0.tgz!db', name: 'db', version: '2.0.0' },
      { path: 'charts/web', name: 'web', version: '0.1.0' },
      { path: 'charts/web/charts/cache', name: 'cache', version: '7.0.0', kubeVersion: '^1.28.0' },
    ]);
    assert.deepEqual(
      found.images.map((image) => [image.reference, image.sources]),
      [
        ['busybox:1.36', ['charts/api-1.2.3.tgz!api/templates/job.yaml:5']],
        ['ghcr.io/team/api:1.2.3', ['charts/api-1.2.3.tgz!api/values.yaml:1']],
        ['bitnami/postgresql:16.1', ['charts/api-1.2.3.tgz!api/charts/db-2.0.0.tgz!db/values.yaml:2']],
        ['quay.io/team/web:0.1', ['charts/web/values.yaml:3']],
        ['redis:7.2', ['charts/web/charts/cache/values.yaml:2']],
      ],
    );
    assert.deepEqual(found.archives, [{ path: 'images/app.tar', file: join(root, 'images/app.tar') }]);
  });

  it('an image list line that is no image reference is an error at its line; the same image named twice keeps both places', async () => {
    const root = await tempDir();
    await writeTree(root, { 'manifests/a.yaml': 'image: nginx:1.25\n---\nimage: nginx:1.25\n', 'manifests/imageList': 'nginx:1.25\n' });
    const found = await findCollectSources(root, [{ name: 'extra.txt', text: 'ok/one:1\n\nBad Name\n' }]).catch((error: unknown) => error);
    assert.ok(found instanceof RuntimeError);
    assert.match(found.message, /^extra\.txt:3: "Bad Name" is not an image reference: ./);
    const good = await findCollectSources(root);
    assert.deepEqual(good.images, [
      {
        reference: 'nginx:1.25',
        sources: ['manifests/a.yaml:1', 'manifests/imageList:1'],
        places: [
          { in: 'image', path: 'manifests/a.yaml', line: 1 },
          { in: 'image', path: 'manifests/imageList', line: 1 },
        ],
      },
    ]);
    const listed = await findCollectSources(root, [{ name: 'lists/extra.txt', text: '\nok/one:1\n' }]);
    assert.deepEqual(listed.images.at(-1)?.places, [{ in: 'list', path: 'lists/extra.txt', line: 2 }]);
  });
  it('reads manifests/ as sealer does: .yaml, .yml and .tmpl at any depth, and manifests/imageList only', async () => {
    const root = await tempDir();
    await writeTree(root, {
      'manifests/a.yaml': 'image: one/a:1\n',
      'manifests/sub/b.YML': 'spec:\n  image: "one/b:1"\n',
      // A Go template is seldom YAML: its literal image lines are read, templated ones skipped.
      'manifests/sub/c.yaml.tmpl': 'spec:\n  replicas: {{ .Values.replicas }}\n  containers:\n    - image: one/c:1\n    - image: {{ .Values.image }}\n',
      'manifests/d.json': '{"image": "one/d:1"}\n',
      'manifests/notes.txt': 'image: one/e:1\n',
      'manifests/imageList': 'one/f:1\n',
      'manifests/sub/imageList': 'one/g:1\n',
    });
    const found = await findCollectSources(root);
    assert.deepEqual(
      found.images.map((image) => [image.reference, image.sources]),
      [
        ['one/a:1', ['manifests/a.yaml:1']],
        ['one/f:1', ['manifests/imageList:1']],
        ['one/b:1', ['manifests/sub/b.YML:2']],
        ['one/c:1', ['manifests/sub/c.yaml.tmpl:4']],
      ],
    );
  });

  it('reads each application/apps/<name>/: a chart (Chart.yaml, values.yaml, templates) or kube files, its images with appName', async () => {
    const root = await tempDir();
    await writeTree(root, {
      'manifests/shared.yaml': 'image: nginx:1.25\n',
      // A kube app: its YAML files at any depth, .tmpl too; other files skipped.
      'application/apps/web/deploy.yaml': 'kind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n        - image: nginx:1.25\n        - image: team/web:2\n',
      'application/apps/web/sub/job.tmpl': 'image: team/job:1\n',
      'application/apps/web/readme.md': 'image: team/not-read:1\n',
      // A helm app: the chart's values and templates, its subchart too.
      'application/apps/db/Chart.yaml': 'apiVersion: v2\nname: db\nversion: 1.0.0\nkubeVersion: ">=1.20.0-0"\n',
      'application/apps/db/values.yaml': 'image:\n  repository: bitnami/mysql\n  tag: "8.0"\n',
      'application/apps/db/templates/sts.yaml': 'spec:\n  containers:\n    - image: {{ .Values.image.repository }}\n    - image: busybox:1.36\n',
      'application/apps/db/charts/metrics/Chart.yaml': 'name: metrics\nversion: 0.1.0\n',
      'application/apps/db/charts/metrics/values.yaml': 'image: prom/exporter:0.15\n',
      // Chart.yaml and values.yaml without templates is no chart for sealer: kube files.
      'application/apps/half/Chart.yaml': 'name: half\nversion: 0.1.0\n',
      'application/apps/half/values.yaml': 'image:\n  repository: team/not-composed\n',
      'application/apps/half/pod.yml': 'spec:\n  containers:\n    - image: team/half:1\n',
      // Not in a directory of its own: no app.
      'application/apps/loose.yaml': 'image: team/loose:1\n',
      'application/other/x.yaml': 'image: team/other:1\n',
    });
    const found = await findCollectSources(root);
    assert.deepEqual(
      found.images.map((image) => [image.reference, image.appName, image.sources]),
      [
        // Named by manifests/ and by the app web: the app is recorded, both places kept.
        ['nginx:1.25', 'web', ['manifests/shared.yaml:1', 'application/apps/web/deploy.yaml:6']],
        ['busybox:1.36', 'db', ['application/apps/db/templates/sts.yaml:4']],
        ['bitnami/mysql:8.0', 'db', ['application/apps/db/values.yaml:2']],
        ['prom/exporter:0.15', 'db', ['application/apps/db/charts/metrics/values.yaml:1']],
        ['team/half:1', 'half', ['application/apps/half/pod.yml:3']],
        ['team/web:2', 'web', ['application/apps/web/deploy.yaml:7']],
        ['team/job:1', 'web', ['application/apps/web/sub/job.tmpl:1']],
      ],
    );
    assert.deepEqual(found.charts, [
      { path: 'application/apps/db', name: 'db', version: '1.0.0', kubeVersion: '>=1.20.0-0' },
      { path: 'application/apps/db/charts/metrics', name: 'metrics', version: '0.1.0' },
    ]);
  });

  it('unpacks only what it reads: application is a collected directory, and its files are filtered like the others', () => {
    assert.ok(COLLECTED_DIRECTORIES.includes('application'));
    const read = [
      'manifests/a.yaml',
      'manifests/sub/b.yml',
      'manifests/c.tmpl',
      'manifests/imageList',
      'charts/web/Chart.yaml',
      'charts/web/templates/_helpers.tpl',
      'charts/db-1.0.0.tgz',
      'application/apps/web/deploy.yaml',
      'application/apps/web/job.tmpl',
      'application/apps/db/Chart.yaml',
      'application/apps/db/values.yaml',
      'application/apps/db/templates/NOTES.json',
      'application/apps/db/charts/sub-1.0.0.tgz',
      'images/app.tar',
    ];
    const skipped = ['manifests/notes.txt', 'manifests/d.json', 'manifests/sub/imageList', 'charts/web/README.md', 'application/apps/web/install.sh', 'application/other/x.yaml', 'application/apps/db/templates/NOTES.txt'];
    assert.deepEqual(read.filter((path) => !isCollectedFile(path)), []);
    assert.deepEqual(skipped.filter((path) => isCollectedFile(path)), []);
  });
});
