/** What an image's manifests/, charts/ and images/ ask to carry: charts as directories and packages, subcharts each on their own. */
import assert from 'node:assert/strict';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import * as tar from 'tar';
import { findCollectSources, RuntimeError } from '../src/index.js';
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
    assert.deepEqual(good.images, [{ reference: 'nginx:1.25', sources: ['manifests/a.yaml:1', 'manifests/imageList:1'] }]);
  });
});
