import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  chartKubeVersion,
  imagesInChartTemplate,
  imagesInChartValues,
  imagesInImageList,
  imagesInManifest,
  normalizedImageName,
} from '../src/collect/image-references.js';

/** Repository example files, relative to this test once compiled to runtime/dist/test. */
function example(path: string): string {
  return readFileSync(new URL(`../../../examples/${path}`, import.meta.url), 'utf8');
}

const DIGEST = `sha256:${'a'.repeat(64)}`;

describe('image references', () => {
  describe('imagesInManifest', () => {
    it('finds the dashboard example image with its line', () => {
      assert.deepEqual(imagesInManifest(example('dashboard/recommended.yaml')), [
        { reference: 'kubernetesui/dashboard:v2.2.0', line: 17 },
      ]);
    });

    it('reads every document, any depth, quoted or not, in order without duplicates', () => {
      const text = [
        'apiVersion: v1',
        'kind: Pod',
        'spec:',
        '  initContainers:',
        '    - name: init',
        '      image: "busybox:1.36"',
        '  containers:',
        "    - image: 'nginx:1.25'",
        '      name: web',
        '---',
        'apiVersion: batch/v1',
        'kind: CronJob',
        'spec:',
        '  jobTemplate:',
        '    spec:',
        '      template:',
        '        spec:',
        '          containers:',
        '            - name: job',
        '              image: registry.example.com:5000/team/job@' + DIGEST,
        '            - name: again',
        '              image: nginx:1.25',
        '---',
        'apiVersion: example.com/v1',
        'kind: Database',
        'spec:',
        '  image: quay.io/example/db:v2 # trailing comment',
      ].join('\n');
      assert.deepEqual(imagesInManifest(text), [
        { reference: 'busybox:1.36', line: 6 },
        { reference: 'nginx:1.25', line: 8 },
        { reference: `registry.example.com:5000/team/job@${DIGEST}`, line: 20 },
        { reference: 'quay.io/example/db:v2', line: 27 },
      ]);
    });

    it('skips values that are not image references', () => {
      const text = [
        'kind: Pod',
        'spec:',
        '  containers:',
        '    - image: ""',
        '    - image: true',
        '    - image: some value with spaces',
        '    - image: Nginx',
        '    - image: "{{ .Values.image }}"',
        '    - image: nginx',
        '---',
        'kind: CustomResourceDefinition',
        'spec:',
        '  image: {}',
      ].join('\n');
      assert.deepEqual(imagesInManifest(text), [{ reference: 'nginx', line: 9 }]);
    });

    it('skips a document that fails to parse and keeps the others', () => {
      const text = ['image: alpine:3.19', '---', 'image: [unclosed', '---', 'image: debian:12'].join('\n');
      assert.deepEqual(imagesInManifest(text), [
        { reference: 'alpine:3.19', line: 1 },
        { reference: 'debian:12', line: 5 },
      ]);
    });

    it('finds images in flow mappings, locating them by text', () => {
      assert.deepEqual(imagesInManifest('containers: [{name: a, image: redis:7}]\n'), [{ reference: 'redis:7', line: 1 }]);
    });
  });

  describe('imagesInImageList', () => {
    it('reads the dashboard example list', () => {
      assert.deepEqual(imagesInImageList(example('dashboard/imageList')), [
        { reference: 'docker.io/library/nginx:1.25', line: 2 },
        { reference: 'docker.io/library/busybox:1.36', line: 3 },
      ]);
    });

    it('ignores comments and blank lines, trims, removes duplicates', () => {
      const text = '# header\n\n  nginx:1.25  \nredis:7 # cache\r\nnginx:1.25\n   # indented comment\n';
      assert.deepEqual(imagesInImageList(text), [
        { reference: 'nginx:1.25', line: 3 },
        { reference: 'redis:7', line: 4 },
      ]);
    });
  });

  describe('imagesInChartValues', () => {
    it('composes the multi-arch example image map', () => {
      assert.deepEqual(imagesInChartValues(example('multi-arch/my-mysql/values.yaml')), [
        { reference: 'docker.io/bitnami/mysql:8.0.27-debian-10-r8', line: 3 },
      ]);
    });

    it('finds image strings and repository maps at any depth', () => {
      const text = [
        'image: nginx:1.25',
        'sidecar:',
        '  image:',
        '    registry: docker.io',
        '    repository: bitnami/mysql',
        '    tag: 8.0.28',
        'metrics:',
        '  exporter:',
        '    repository: prom/mysqld-exporter',
        'templated:',
        '  image: "{{ .Values.global.registry }}/app:v1"',
        '  other:',
        '    repository: "{{ .Values.repo }}"',
        '    tag: v1',
      ].join('\n');
      assert.deepEqual(imagesInChartValues(text), [
        { reference: 'nginx:1.25', line: 1 },
        { reference: 'docker.io/bitnami/mysql:8.0.28', line: 5 },
        { reference: 'prom/mysqld-exporter', line: 9 },
      ]);
    });

    it('keeps a numeric tag as written', () => {
      const text = 'image:\n  repository: kindest/node\n  tag: 1.20\nother:\n  repository: app\n  tag: 3\n';
      assert.deepEqual(imagesInChartValues(text), [
        { reference: 'kindest/node:1.20', line: 2 },
        { reference: 'app:3', line: 5 },
      ]);
    });

    it('pins a digest instead of the tag', () => {
      const text = `image:\n  registry: ghcr.io/\n  repository: org/app\n  tag: v1\n  digest: "${DIGEST}"\n`;
      assert.deepEqual(imagesInChartValues(text), [{ reference: `ghcr.io/org/app@${DIGEST}`, line: 3 }]);
    });

    it('skips invalid values and empty registries', () => {
      const text = 'image:\n  registry: ""\n  repository: library/redis\n  tag: ""\nbroken:\n  image: not a reference\n';
      assert.deepEqual(imagesInChartValues(text), [{ reference: 'library/redis', line: 3 }]);
    });
  });

  describe('imagesInChartTemplate', () => {
    it('skips the templated image of the multi-arch example', () => {
      assert.deepEqual(imagesInChartTemplate(example('multi-arch/my-mysql/templates/statefulset.yaml')), []);
    });

    it('keeps literal image lines, quoted or not', () => {
      const text = [
        'spec:',
        '  containers:',
        '    - name: app',
        '      image: {{ .Values.image }}',
        '    - name: proxy',
        '      image: "envoyproxy/envoy:v1.29.0"',
        '    - image: busybox:1.36 # init',
        '      name: init',
        "      image: 'quay.io/org/tool:{{ .Chart.AppVersion }}'",
        '      image: busybox:1.36',
        '  {{- if .Values.debug }}',
        '      image: Not A Reference',
        '  {{- end }}',
      ].join('\n');
      assert.deepEqual(imagesInChartTemplate(text), [
        { reference: 'envoyproxy/envoy:v1.29.0', line: 6 },
        { reference: 'busybox:1.36', line: 7 },
      ]);
    });
  });

  describe('chartKubeVersion', () => {
    it('reads the multi-arch example constraint', () => {
      assert.equal(chartKubeVersion(example('multi-arch/my-mysql/Chart.yaml')), '>=1.19.0-0');
    });

    it('keeps a numeric constraint as written and is undefined when absent or broken', () => {
      assert.equal(chartKubeVersion('apiVersion: v2\nkubeVersion: 1.20\n'), '1.20');
      assert.equal(chartKubeVersion('apiVersion: v2\nname: x\n'), undefined);
      assert.equal(chartKubeVersion('kubeVersion: ""\n'), undefined);
      assert.equal(chartKubeVersion('kubeVersion: [unclosed\n'), undefined);
    });
  });
  describe('normalizedImageName', () => {
    it("prints a reference as sealer records it (distribution's ParseNormalizedNamed(x).String())", () => {
      const cases: [string, string][] = [
        ['nginx:1.25', 'docker.io/library/nginx:1.25'],
        // No tag is added: sealer records it so, and pulls and tags it as latest.
        ['nginx', 'docker.io/library/nginx'],
        ['bitnami/mysql:8.0', 'docker.io/bitnami/mysql:8.0'],
        ['docker.io/nginx:1.25', 'docker.io/library/nginx:1.25'],
        ['index.docker.io/nginx:1.25', 'docker.io/library/nginx:1.25'],
        [`nginx@${DIGEST}`, `docker.io/library/nginx@${DIGEST}`],
        [`nginx:1.25@${DIGEST}`, `docker.io/library/nginx:1.25@${DIGEST}`],
        ['quay.io/org/tool:v2', 'quay.io/org/tool:v2'],
        ['127.0.0.1:5000/team/app:v1', '127.0.0.1:5000/team/app:v1'],
        ['localhost/app', 'localhost/app'],
        ['registry.example.com:5000/team/job', 'registry.example.com:5000/team/job'],
      ];
      for (const [reference, name] of cases) assert.equal(normalizedImageName(reference), name, reference);
    });
  });
});
