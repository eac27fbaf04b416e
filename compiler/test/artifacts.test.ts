/**
 * Checks of what a COPY puts into a cluster image's special directories: plugin configs, charts,
 * manifests and imageList files, image archives (tar headers through ranged reads) and the
 * architecture of ELF binaries.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  checkChart,
  checkManifest,
  checkPluginFile,
  elfArchitecture,
  imageArchiveFormat,
  imageReferenceError,
  isScript,
  memoryContext,
  type ArtifactProblem,
  type BuildContext,
  type ByteRange,
  type MemoryEntry,
} from '@kubefile/compiler';

const example = (path: string) => readFileSync(new URL(`../../../examples/${path}`, import.meta.url), 'utf8');
const y = (...lines: string[]) => lines.join('\n') + '\n';

/** `line:message` (1-based line, `-` when unknown), to compare problems readably. */
const brief = (problems: ArtifactProblem[]) => problems.map((p) => `${p.path}:${p.line === undefined ? '-' : p.line + 1}: ${p.message}`);

function only(problems: ArtifactProblem[]): ArtifactProblem {
  assert.equal(problems.length, 1, `expected one problem, got:\n${brief(problems).join('\n')}`);
  return problems[0];
}

const plugin = (spec: string[], head: string[] = ['apiVersion: sealer.aliyun.com/v1alpha1', 'kind: Plugin', 'metadata:', '  name: p']) =>
  y(...head, 'spec:', ...spec.map((l) => `  ${l}`));

describe('checkPluginFile', () => {
  it('accepts the dashboard example (sealer 0.8 SHELL at PostInstall)', () => {
    assert.deepEqual(checkPluginFile('shell.yaml', example('dashboard/shell.yaml')), []);
  });

  it('accepts sealer 0.9+ phases, combined phases and the other apiVersions', () => {
    const text = y(
      'apiVersion: sealer.io/v1',
      'kind: Plugin',
      'metadata:',
      '  name: disk-init',
      'spec:',
      '  type: SHELL',
      '  action: pre-init-host|post-clean-host',
      '  scope: master',
      '  data: |',
      '    echo init',
      '---',
      'apiVersion: sealer.aliyun.com/v1alpha1',
      'kind: Plugin',
      'metadata:',
      '  name: hosts',
      'spec:',
      '  type: HOSTNAME',
      '  action: PreInit|PreJoin',
      '  data: |',
      '    192.168.0.2 master-0',
      '---',
    );
    assert.deepEqual(brief(checkPluginFile('p.yaml', text)), []);
  });

  it('reports a kind that is not Plugin', () => {
    const p = only(checkPluginFile('p.yaml', y('apiVersion: sealer.cloud/v2', 'kind: Cluster', 'metadata:', '  name: c')));
    assert.equal(p.line, 1);
    assert.match(p.message, /kind "Cluster" is not a plugin/);
    assert.match(only(checkPluginFile('p.yaml', y('kind: plugin'))).message, /did you mean Plugin\?/);
  });

  it('reports an unknown type with a suggestion, on its line', () => {
    const p = only(checkPluginFile('p.yaml', plugin(['type: SHEL', 'action: PostInstall', 'data: echo hi'])));
    assert.equal(p.line, 5);
    assert.equal(p.path, 'p.yaml');
    assert.match(p.message, /unknown plugin type "SHEL": did you mean SHELL\?/);
    assert.match(only(checkPluginFile('p.yaml', plugin(['type: shell', 'action: PostInstall', 'data: x']))).message, /did you mean SHELL\?/);
    const far = only(checkPluginFile('p.yaml', plugin(['type: LABEL_TEST_SO', 'action: PostInstall']))).message;
    assert.match(far, /out-of-tree/);
    assert.doesNotMatch(far, /did you mean/);
  });

  it('reports a missing or unknown action', () => {
    const missing = only(checkPluginFile('p.yaml', plugin(['type: SHELL', 'data: echo hi'])));
    assert.match(missing.message, /missing spec\.action/);
    assert.equal(missing.line, 4); // spec:
    assert.match(only(checkPluginFile('p.yaml', plugin(['type: SHELL', 'action: PostInstal', 'data: x']))).message, /did you mean PostInstall\?/);
    assert.match(only(checkPluginFile('p.yaml', plugin(['type: SHELL', 'action: post-instal', 'data: x']))).message, /did you mean post-install\?/);
    assert.match(only(checkPluginFile('p.yaml', plugin(['type: SHELL', 'action: PreInit | PostInstall', 'data: x']))).message, /without trimming/);
  });

  it('reports phases of both sealer generations, and non-SHELL types at 0.9+ phases', () => {
    assert.match(only(checkPluginFile('p.yaml', plugin(['type: SHELL', 'action: PreInit|post-install', 'data: x']))).message, /mixes sealer 0\.8 phases/);
    assert.match(only(checkPluginFile('p.yaml', plugin(['type: LABEL', 'action: post-install', 'data: x']))).message, /only SHELL plugins/);
  });

  it('reports missing metadata.name, apiVersion, spec.type and SHELL data', () => {
    assert.deepEqual(
      brief(checkPluginFile('p.yaml', y('kind: Plugin', 'apiVersion: sealer.aliyun.com/v1alpha1', 'metadata: {}', 'spec:', '  action: PostInstall'))),
      [`p.yaml:3: missing metadata.name`, 'p.yaml:4: missing spec.type (one of SHELL, HOSTNAME, LABEL, ETCD, TAINT, CLUSTERCHECK)'],
    );
    assert.match(only(checkPluginFile('p.yaml', y('kind: Plugin', 'apiVersion: sealer.aliyun.com/v1alph1', 'metadata:', '  name: p', 'spec:', '  type: ETCD', '  action: PostInstall'))).message, /did you mean sealer\.aliyun\.com\/v1alpha1\?/);
    assert.match(only(checkPluginFile('p.yaml', plugin(['type: SHELL', 'action: PostInstall']))).message, /SHELL plugin needs spec\.data/);
    assert.match(only(checkPluginFile('p.yaml', plugin(['type: SHELL', 'action: PostInstall', 'data: [a, b]']))).message, /spec\.data must be a string/);
  });

  it('checks every document and places problems in the right one', () => {
    const text = y(
      '# plugins',
      '---',
      'apiVersion: sealer.aliyun.com/v1alpha1',
      'kind: Plugin',
      'metadata:',
      '  name: ok',
      'spec:',
      '  type: SHELL',
      '  action: PostInstall',
      '  data: echo ok',
      '---',
      'apiVersion: sealer.aliyun.com/v1alpha1',
      'kind: Plugin',
      'metadata:',
      '  name: bad',
      'spec:',
      '  action: PostInstall',
      '  type: HOSTNAM',
    );
    const p = only(checkPluginFile('p.yaml', text));
    assert.equal(p.line, 17);
    assert.match(p.message, /^document 2: unknown plugin type "HOSTNAM": did you mean HOSTNAME\?/);
    assert.deepEqual(brief(checkPluginFile('p.yaml', y('kind: Plugin', '---', '- a'))), [
      'p.yaml:1: document 1: missing apiVersion (sealer uses sealer.aliyun.com/v1alpha1)',
      'p.yaml:1: document 1: missing metadata.name',
      'p.yaml:1: document 1: missing spec (type, action and data)',
      'p.yaml:3: document 2: a plugin config document must be a mapping with kind: Plugin, not a list',
    ]);
  });

  it('reports a YAML syntax error with js-yaml message and line', () => {
    const p = only(checkPluginFile('p.yaml', y('kind: Plugin', 'spec:', '  type: SHELL', ' action: [PostInstall')));
    assert.equal(p.path, 'p.yaml');
    assert.equal(p.line, 3);
    assert.match(p.message, /^YAML syntax error: /);
  });
});

describe('checkChart', () => {
  const mysql = example('multi-arch/my-mysql/Chart.yaml');

  it('accepts the multi-arch and dashboard example charts', async () => {
    const context = memoryContext({
      'my-mysql/Chart.yaml': mysql,
      'my-mysql/values.yaml': example('multi-arch/my-mysql/values.yaml'),
      'my-mysql/templates/statefulset.yaml': example('multi-arch/my-mysql/templates/statefulset.yaml'),
      'traefik/Chart.yaml': example('dashboard/traefik/Chart.yaml'),
    });
    assert.deepEqual(await checkChart(context, 'my-mysql'), []);
    assert.deepEqual(await checkChart(context, 'traefik'), []);
  });

  it('accepts a directory of charts and a .tgz archive', async () => {
    const context = memoryContext({
      'charts/a/Chart.yaml': y('apiVersion: v2', 'name: a', 'version: 1.0.0'),
      'charts/b/Chart.yaml': y('apiVersion: v1', 'name: b', 'version: v0.1'),
      'charts/c-1.0.0.tgz': new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0]),
      'charts/README.md': 'charts',
      'nginx-1.2.3.tgz': new Uint8Array([0x1f, 0x8b, 8, 0]),
    });
    assert.deepEqual(await checkChart(context, 'charts'), []);
    assert.deepEqual(await checkChart(context, 'nginx-1.2.3.tgz'), []);
  });

  it('reports a directory without Chart.yaml, a misnamed one, a file that is not an archive', async () => {
    const context = memoryContext({
      'app/values.yaml': 'a: 1',
      'lower/chart.yaml': 'name: x',
      'values.yaml': 'a: 1',
    });
    assert.match(only(await checkChart(context, 'app')).message, /no Chart\.yaml/);
    const lower = only(await checkChart(context, 'lower'));
    assert.equal(lower.path, 'lower/chart.yaml');
    assert.match(lower.message, /case-sensitive/);
    assert.match(only(await checkChart(context, 'values.yaml')).message, /not a Helm chart archive/);
    assert.match(only(await checkChart(context, 'missing')).message, /no such file/);
  });

  it('reports a bad Chart.yaml: syntax, name, version, apiVersion', async () => {
    const context = memoryContext({
      'broken/Chart.yaml': y('apiVersion: v2', 'name: [x'),
      'bad/Chart.yaml': y('apiVersion: v3', 'description: no name', 'version: 1.0'),
      'semver/Chart.yaml': y('apiVersion: v2', 'name: s', 'version: latest'),
    });
    const broken = only(await checkChart(context, 'broken'));
    assert.equal(broken.path, 'broken/Chart.yaml');
    assert.match(broken.message, /^YAML syntax error/);
    assert.equal(typeof broken.line, 'number');
    assert.deepEqual(brief(await checkChart(context, 'bad')), [
      'bad/Chart.yaml:1: Chart.yaml apiVersion "v3" is not a Helm chart API version (v2, or v1 for Helm 2 charts)',
      'bad/Chart.yaml:1: Chart.yaml has no name',
      'bad/Chart.yaml:3: Chart.yaml version must be a string, not the number 1.0: quote it ("1.0")',
    ]);
    const semver = only(await checkChart(context, 'semver'));
    assert.equal(semver.line, 2);
    assert.match(semver.message, /not a semantic version/);
  });
});

describe('checkManifest', () => {
  it('accepts the example manifests and imageList', async () => {
    const context = memoryContext({
      'recommended.yaml': example('dashboard/recommended.yaml'),
      'dashborad.yaml': example('multi-arch/dashborad.yaml'),
      imageList: example('dashboard/imageList'),
      'config.json': '{"a": [1, 2]}',
    });
    for (const path of ['recommended.yaml', 'dashborad.yaml', 'imageList', 'config.json']) assert.deepEqual(brief(await checkManifest(context, path)), [], path);
  });

  it('reports a broken YAML document with its line', async () => {
    const context = memoryContext({ 'app.yml': y('kind: A', '---', 'kind: B', 'metadata:', '  name: x', ' labels: {}') });
    const p = only(await checkManifest(context, 'app.yml'));
    assert.equal(p.line, 5);
    assert.match(p.message, /^YAML syntax error: bad indentation/);
  });

  it('reports imageList lines that are not image references', async () => {
    const context = memoryContext({
      'manifests/imageList': y(
        '# images',
        '',
        '  docker.io/library/nginx:1.25  ',
        'localhost:5000/a/b@sha256:' + 'a'.repeat(64),
        '[::1]:5000/x:y',
        'Nginx:latest',
        'nginx:1.25 # pinned',
        'nginx@sha256:abc',
        'registry.example.com/app:' + 't'.repeat(129),
      ),
    });
    assert.deepEqual(brief(await checkManifest(context, 'manifests')), [
      'manifests/imageList:6: imageList: "Nginx:latest" is not an image reference: repository name must be lowercase',
      'manifests/imageList:7: imageList: "nginx:1.25 # pinned" is not an image reference: invalid reference format',
      'manifests/imageList:8: imageList: "nginx@sha256:abc" is not an image reference: invalid reference format',
      `manifests/imageList:9: imageList: "registry.example.com/app:${'t'.repeat(129)}" is not an image reference: invalid reference format`,
    ]);
  });

  it('validates references with the distribution grammar', () => {
    for (const ok of ['nginx', 'library/nginx:1.25', 'a.b-c_d/e__f/g---h:tag_1.0-x', 'registry:5000/ns/app@sha256:' + '0'.repeat(64), 'localhost/app']) {
      assert.equal(imageReferenceError(ok), undefined, ok);
    }
    assert.equal(imageReferenceError('app@sha256:' + '0'.repeat(63)), 'invalid checksum digest format');
    assert.equal(imageReferenceError('app@md5:' + '0'.repeat(32)), 'unsupported digest algorithm md5');
    assert.equal(imageReferenceError('a'.repeat(64)), 'cannot specify 64-byte hexadecimal strings as a repository name');
    assert.equal(imageReferenceError('-nginx'), 'invalid reference format');
    assert.equal(imageReferenceError('nginx:'), 'invalid reference format');
  });

  it('checks directories recursively; ignores what sealer ignores but a near miss of imageList', async () => {
    const context = memoryContext({
      'm/a.yaml': 'a: 1',
      'm/sub/b.yaml': 'b: [',
      'm/sub/README.md': '# readme',
      'm/LICENSE': 'Apache-2.0',
      'm/imagelist': 'nginx',
      'm/app.yaml.tmpl': 'replicas: {{ .replicas }}',
      'm/link.yaml': { symlink: 'a.yaml' },
    });
    assert.deepEqual(
      (await checkManifest(context, 'm')).map((p) => `${p.path}: ${p.message.replace(/ \(.*/, '')}`),
      ['m/imagelist: imagelist is ignored', 'm/sub/b.yaml: YAML syntax error: unexpected end of the stream within a flow collection'],
    );
  });

  it('checks a .yaml.tmpl template as YAML only when it has no {{ }} action', async () => {
    const context = memoryContext({ 'plain.yaml.tmpl': 'b: [', 'rendered.yaml.tmpl': 'b: [{{ .x }}', 'config.toml.tmpl': 'a = [' });
    assert.match(only(await checkManifest(context, 'plain.yaml.tmpl')).message, /^YAML syntax error: .* \(a template without \{\{ \}\} actions/);
    assert.deepEqual(await checkManifest(context, 'rendered.yaml.tmpl'), []);
    assert.deepEqual(await checkManifest(context, 'config.toml.tmpl'), []);
  });
});

// ---------------------------------------------------------------------------------------------
// tar archives, built by hand

const ascii = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));

interface TarEntry {
  name: string;
  content?: Uint8Array | string;
  type?: string;
  /** Write the size field in base-256 instead of octal. */
  base256?: boolean;
  /** Size field to write instead of the content's length (for pax-sized entries). */
  sizeField?: number;
  magic?: 'ustar' | 'gnu';
}

function tarHeader(entry: TarEntry, size: number): Uint8Array {
  const header = new Uint8Array(512);
  const put = (offset: number, text: string) => header.set(ascii(text), offset);
  const octal = (value: number, width: number) => value.toString(8).padStart(width - 1, '0') + '\0';
  put(0, entry.name);
  put(100, octal(0o644, 8));
  put(108, octal(0, 8));
  put(116, octal(0, 8));
  const sizeField = entry.sizeField ?? size;
  if (entry.base256) {
    header[124] = 0x80;
    let n = sizeField;
    for (let i = 135; i > 124; i--) {
      header[i] = n % 256;
      n = Math.floor(n / 256);
    }
  } else put(124, octal(sizeField, 12));
  put(136, octal(0, 12));
  put(148, '        ');
  put(156, entry.type ?? '0');
  if (entry.magic === 'gnu') put(257, 'ustar  \0');
  else {
    put(257, 'ustar\0');
    put(263, '00');
  }
  const sum = header.reduce((a, b) => a + b, 0);
  put(148, sum.toString(8).padStart(6, '0') + '\0 ');
  return header;
}

function tar(...entries: TarEntry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const entry of entries) {
    const content = typeof entry.content === 'string' ? ascii(entry.content) : (entry.content ?? new Uint8Array());
    parts.push(tarHeader(entry, content.length));
    const padded = new Uint8Array(Math.ceil(content.length / 512) * 512);
    padded.set(content);
    parts.push(padded);
  }
  parts.push(new Uint8Array(1024));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function pax(records: Record<string, string>): TarEntry {
  let text = '';
  for (const [key, value] of Object.entries(records)) {
    const body = ` ${key}=${value}\n`;
    let length = body.length + 1;
    while (String(length).length + body.length !== length) length = String(length).length + body.length;
    text += length + body;
  }
  return { name: 'PaxHeaders/x', type: 'x', content: text };
}

/** A context that records every read, to check archives are read by ranges only. */
function recording(entries: Record<string, MemoryEntry>): { context: BuildContext; reads: (ByteRange | undefined)[] } {
  const inner = memoryContext(entries);
  const reads: (ByteRange | undefined)[] = [];
  return {
    reads,
    context: { ...inner, read: (path, range) => (reads.push(range), inner.read(path, range)) },
  };
}

describe('imageArchiveFormat', () => {
  const manifest = '[{"Config":"c.json","RepoTags":["mysql:8"],"Layers":["l/layer.tar"]}]';

  it('recognizes docker, OCI, compressed and other files', async () => {
    const random = new Uint8Array(2048).map((_, i) => (i * 7919 + 13) % 251);
    const context = memoryContext({
      'docker.tar': tar({ name: 'c.json', content: '{}' }, { name: 'manifest.json', content: manifest }, { name: 'repositories', content: '{}' }),
      'oci.tar': tar({ name: 'blobs/', type: '5' }, { name: 'oci-layout', content: '{"imageLayoutVersion":"1.0.0"}' }, { name: 'index.json', content: '{}' }),
      'oci-only-layout.tar': tar({ name: 'oci-layout', content: '{}' }),
      'plain.tar': tar({ name: 'hello.txt', content: 'hi' }),
      'image.tar.gz': new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0]),
      'image.tar.zst': new Uint8Array([0x28, 0xb5, 0x2f, 0xfd, 0, 0]),
      'random.bin': random,
      'short.bin': 'hi',
      'dir/': '',
    });
    assert.equal(await imageArchiveFormat(context, 'docker.tar'), 'docker-archive');
    assert.equal(await imageArchiveFormat(context, 'oci.tar'), 'oci-archive');
    assert.equal(await imageArchiveFormat(context, 'oci-only-layout.tar'), undefined);
    assert.equal(await imageArchiveFormat(context, 'plain.tar'), undefined);
    assert.equal(await imageArchiveFormat(context, 'image.tar.gz'), 'compressed');
    assert.equal(await imageArchiveFormat(context, 'image.tar.zst'), 'compressed');
    assert.equal(await imageArchiveFormat(context, 'random.bin'), undefined);
    assert.equal(await imageArchiveFormat(context, 'short.bin'), undefined);
    assert.equal(await imageArchiveFormat(context, 'dir'), undefined);
    assert.equal(await imageArchiveFormat(context, 'missing.tar'), undefined);
  });

  it('reads ./-prefixed names, GNU headers and docker save >= 25 archives (both layouts)', async () => {
    const context = memoryContext({
      'dot.tar': tar({ name: './', type: '5' }, { name: './manifest.json', content: manifest, magic: 'gnu' }),
      'both.tar': tar({ name: 'blobs/sha256/aa', content: 'x' }, { name: 'index.json', content: '{}' }, { name: 'manifest.json', content: manifest }, { name: 'oci-layout', content: '{}' }),
    });
    assert.equal(await imageArchiveFormat(context, 'dot.tar'), 'docker-archive');
    assert.equal(await imageArchiveFormat(context, 'both.tar'), 'docker-archive');
  });

  it('skips a large blob with ranged reads to find manifest.json third', async () => {
    const blob = new Uint8Array(8 * 1024 * 1024 + 100).fill(0x61);
    const { context, reads } = recording({
      'big.tar': tar({ name: 'blobs/sha256/layer', content: blob }, { name: 'config.json', content: '{}' }, { name: 'manifest.json', content: manifest }),
    });
    assert.equal(await imageArchiveFormat(context, 'big.tar'), 'docker-archive');
    assert.equal(reads.length, 3);
    for (const range of reads) {
      assert.ok(range, 'every read is ranged');
      assert.ok(range.length <= 512, `read of ${range.length} bytes`);
    }
    assert.equal(reads[2]?.offset, 512 + Math.ceil(blob.length / 512) * 512 + 512 + 512);
  });

  it('reads base-256 sizes and pax size/path records', async () => {
    const context = memoryContext({
      'b256.tar': tar({ name: 'layer.tar', content: new Uint8Array(3000), base256: true }, { name: 'manifest.json', content: manifest }),
      'pax-size.tar': tar(pax({ size: '1536' }), { name: 'layer.tar', content: new Uint8Array(1536), sizeField: 0 }, { name: 'manifest.json', content: manifest }),
      'pax-path.tar': tar(pax({ path: 'index.json' }), { name: 'truncated-name', content: '{}' }, { name: 'oci-layout', content: '{}' }),
      'gnu-long.tar': tar({ name: '././@LongLink', type: 'L', content: 'manifest.json\0', magic: 'gnu' }, { name: 'manifest.jso', content: manifest, magic: 'gnu' }),
    });
    assert.equal(await imageArchiveFormat(context, 'b256.tar'), 'docker-archive');
    assert.equal(await imageArchiveFormat(context, 'pax-size.tar'), 'docker-archive');
    assert.equal(await imageArchiveFormat(context, 'pax-path.tar'), 'oci-archive');
    assert.equal(await imageArchiveFormat(context, 'gnu-long.tar'), 'docker-archive');
  });

  it('stops after 64 entries', async () => {
    const many = Array.from({ length: 70 }, (_, i): TarEntry => ({ name: `f${i}`, content: 'x' }));
    const context = memoryContext({ 'late.tar': tar(...many, { name: 'manifest.json', content: manifest }) });
    assert.equal(await imageArchiveFormat(context, 'late.tar'), undefined);
  });
});

// ---------------------------------------------------------------------------------------------
// ELF headers, built by hand: e_ident (16 bytes), e_type (2), e_machine (2)

function elf(bits: 32 | 64, endian: 'le' | 'be', machine: number): Uint8Array {
  const header = new Uint8Array(20);
  header.set([0x7f, 0x45, 0x4c, 0x46, bits === 32 ? 1 : 2, endian === 'le' ? 1 : 2, 1]);
  const [hi, lo] = [machine >> 8, machine & 0xff];
  header.set(endian === 'le' ? [2, 0, lo, hi] : [0, 2, hi, lo], 16);
  return header;
}

describe('elfArchitecture', () => {
  const table: [bits: 32 | 64, endian: 'le' | 'be', machine: number, arch: string | undefined][] = [
    [64, 'le', 62, 'amd64'],
    [32, 'le', 3, '386'],
    [32, 'le', 40, 'arm'],
    [64, 'le', 183, 'arm64'],
    [64, 'le', 21, 'ppc64le'],
    [64, 'be', 21, 'ppc64'],
    [64, 'be', 22, 's390x'],
    [64, 'le', 243, 'riscv64'],
    [64, 'le', 8, 'mips64le'],
    [64, 'be', 8, 'mips64'],
    [32, 'le', 8, 'mipsle'],
    [32, 'be', 8, 'mips'],
    [64, 'le', 258, 'loong64'],
    // x32, big-endian arm64, 32-bit RISC-V, SPARC: no OCI architecture
    [32, 'le', 62, undefined],
    [64, 'be', 183, undefined],
    [32, 'le', 243, undefined],
    [64, 'be', 43, undefined],
  ];
  for (const [bits, endian, machine, arch] of table) {
    it(`${bits}-bit ${endian} e_machine ${machine} is ${arch ?? 'unknown'}`, () => {
      assert.equal(elfArchitecture(elf(bits, endian, machine)), arch);
    });
  }

  it('is undefined for what is not ELF', () => {
    assert.equal(elfArchitecture(ascii('#!/bin/sh\necho hello world\n')), undefined);
    assert.equal(elfArchitecture(elf(64, 'le', 62).subarray(0, 19)), undefined);
    const badClass = elf(64, 'le', 62);
    badClass[4] = 3;
    assert.equal(elfArchitecture(badClass), undefined);
  });
});

describe('isScript', () => {
  it('is true for a shebang only', () => {
    assert.equal(isScript(ascii('#!/bin/sh\n')), true);
    assert.equal(isScript(ascii('#!')), true);
    assert.equal(isScript(ascii('# comment')), false);
    assert.equal(isScript(ascii('#')), false);
    assert.equal(isScript(elf(64, 'le', 62)), false);
    assert.equal(isScript(new Uint8Array()), false);
  });
});
