import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import { ImageStore, listImageSummaries, type OciIndex, type SealerImage, type SealerManifestList } from '@kubefile/runtime';
import { humanSize, relativeTime } from '@kubefile/runtime/build-log';
import { imagesTable } from '../src/commands/images.js';
import { makeImage } from './image-fixture.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const bin = join(repo, 'cli/bin/kubefilec.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real binary, as a user would. */
function kubefilec(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd: repo, env }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

const CLUSTER_FILE = 'apiVersion: sealer.cloud/v2\nkind: Cluster\nmetadata:\n  name: my-cluster\n';

let root: string;
let store: ImageStore;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'kubefilec-images-'));
  store = await ImageStore.open(root);
  await makeImage(store, 'kubernetes-multi-arch:v1.19.8', [
    { platform: 'linux/amd64', layers: ['amd64 rootfs', 'dashboard'], cmds: ['kubeadm init', 'kubectl apply -f manifests'], parentCmds: 1, clusterFile: CLUSTER_FILE },
    { platform: 'linux/arm64', layers: ['arm64 rootfs', 'dashboard'], cmds: ['kubeadm init', 'kubectl apply -f manifests'], parentCmds: 1, clusterFile: CLUSTER_FILE },
  ]);
  await makeImage(store, 'registry.example.com:5000/base', [{ platform: 'linux/amd64', layers: ['base'] }]);
});
afterEach(() => rm(root, { recursive: true, force: true }));

/** stderr is exactly one `kubefilec: error:` line: no stack, no usage dump. */
function assertOneErrorLine(r: Run, code: number, message: string | RegExp): void {
  assert.equal(r.code, code, r.stderr);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^kubefilec: error: [^\n]*\n$/);
  if (typeof message === 'string') assert.equal(r.stderr, `kubefilec: error: ${message}\n`);
  else assert.match(r.stderr, message);
}

describe('kubefilec image commands', () => {
  describe('images', () => {
    it('prints a table: NAME TAG TYPE PLATFORMS SIZE CREATED', async () => {
      const r = await kubefilec(['images', '--root', root]);
      assert.equal(r.code, 0, r.stderr);
      const summaries = await listImageSummaries(store);
      const lines = r.stdout.trimEnd().split('\n');
      assert.equal(lines.length, 3);
      assert.match(lines[0], /^NAME {3,}TAG {3,}TYPE {3,}PLATFORMS {3,}SIZE {3,}CREATED$/);
      const rows = lines.slice(1).map((line) => line.split(/ {3,}/));
      assert.deepEqual(
        rows.map((row) => row.slice(0, 5)),
        summaries.map((s) => [s.repository, s.tag, s.type ?? '-', s.platforms.join(','), humanSize(s.size)]),
      );
      assert.deepEqual(rows.map((row) => row.slice(0, 4)), [
        ['kubernetes-multi-arch', 'v1.19.8', '-', 'linux/amd64,linux/arm64/v8'],
        ['registry.example.com:5000/base', 'latest', '-', 'linux/amd64'],
      ]);
      for (const row of rows) assert.match(row[5], /^(Just now|\d+ seconds ago)$/);
      // Columns line up: every cell of a column starts where its header does.
      const starts = ['TAG', 'TYPE', 'PLATFORMS', 'SIZE', 'CREATED'].map((header) => lines[0].indexOf(header));
      for (const line of lines.slice(1)) for (const start of starts) assert.equal(line[start - 1], ' ');
    });

    it('--format json gives every field, sizes in bytes', async () => {
      const r = await kubefilec(['images', '--format', 'json', '--root', root]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout), await listImageSummaries(store));
    });

    it('uses KUBEFILE_ROOT when --root is not given; an empty store prints the header only', async () => {
      const r = await kubefilec(['images'], { ...process.env, KUBEFILE_ROOT: root });
      assert.match(r.stdout, /kubernetes-multi-arch/);
      const empty = await mkdtemp(join(tmpdir(), 'kubefilec-empty-'));
      try {
        const e = await kubefilec(['images', '--root', empty]);
        assert.deepEqual(e, { code: 0, stdout: 'NAME   TAG   TYPE   PLATFORMS   SIZE   CREATED\n', stderr: '' });
        // Listing makes no store (the editor's Images view lists as it opens): nothing is written.
        const missing = join(empty, 'not-yet');
        assert.deepEqual(await kubefilec(['images', '--format', 'json', '--root', missing]), { code: 0, stdout: '[]\n', stderr: '' });
        assert.deepEqual(await readdir(empty), []);
      } finally {
        await rm(empty, { recursive: true, force: true });
      }
    });
  });

  describe('inspect', () => {
    it('--format sealer-v0.8 prints the manifest-list JSON, then one kind: Image YAML document per platform', async () => {
      const r = await kubefilec(['inspect', 'kubernetes-multi-arch:v1.19.8', '--format', 'sealer-v0.8', '--root', root]);
      assert.equal(r.code, 0, r.stderr);
      const [list, ...images] = yaml.loadAll(r.stdout) as [SealerManifestList, ...SealerImage[]];
      assert.deepEqual(JSON.parse(r.stdout.slice(0, r.stdout.indexOf('\n---\n'))), list);
      const manifests = list['kubernetes-multi-arch:v1.19.8'].manifests;
      assert.deepEqual(manifests.map((m) => m.platform), [{ architecture: 'amd64', os: 'linux' }, { architecture: 'arm64', os: 'linux', variant: 'v8' }]);
      assert.equal(images.length, 2);
      assert.deepEqual(images.map((image) => image.spec.id), manifests.map((m) => m.id));
      assert.equal(images[1].kind, 'Image');
      assert.deepEqual(images[1].metadata, { annotations: { 'sea.aliyun.com/ClusterFile': CLUSTER_FILE }, creationTimestamp: null, name: 'kubernetes-multi-arch:v1.19.8' });
      assert.deepEqual(images[1].spec.image_config, { cmd: { parent: ['kubeadm init'], current: ['kubectl apply -f manifests'] } });
      assert.equal(images[1].spec.sealer_version, `kubefilec ${(JSON.parse(readFileSync(join(repo, 'cli/package.json'), 'utf8')) as { version: string }).version}`);
      assert.deepEqual(images[1].status, {});
    });

    it('--format json (the default) with --platform shows one manifest', async () => {
      const r = await kubefilec(['inspect', 'kubernetes-multi-arch:v1.19.8', '--platform', 'linux/arm64', '--root', root]);
      assert.equal(r.code, 0, r.stderr);
      const value = JSON.parse(r.stdout) as { name: string; index: OciIndex; manifests: { platform: string }[] };
      assert.equal(value.name, 'kubernetes-multi-arch:v1.19.8');
      assert.equal(value.index.manifests.length, 2);
      assert.deepEqual(value.manifests.map((m) => m.platform), ['linux/arm64/v8']);
    });

    it('an unknown image or platform is one error line and exit 1; a malformed platform exits 2', async () => {
      const [ghost, s390x, malformed, badName] = await Promise.all([
        kubefilec(['inspect', 'ghost', '--root', root]),
        kubefilec(['inspect', 'kubernetes-multi-arch:v1.19.8', '--platform', 'linux/s390x', '--root', root]),
        kubefilec(['inspect', 'kubernetes-multi-arch:v1.19.8', '--platform', 'linux/', '--root', root]),
        kubefilec(['inspect', 'Bad Name', '--root', root]),
      ]);
      assertOneErrorLine(ghost, 1, `image ghost:latest is not in the store ${root} (see kubefilec images)`);
      assertOneErrorLine(s390x, 1, 'image kubernetes-multi-arch:v1.19.8 has no linux/s390x variant (it has: linux/amd64, linux/arm64/v8)');
      assertOneErrorLine(malformed, 2, 'invalid platform "linux/": the architecture is empty');
      assertOneErrorLine(badName, 1, /^kubefilec: error: invalid image name "Bad Name"/);
    });
  });

  describe('tag, delete, manifest, prune', () => {
    it('tag names the image again; delete --platform and rmi remove platforms and names', async () => {
      let r = await kubefilec(['tag', 'kubernetes-multi-arch:v1.19.8', 'k8s:v1', '--root', root]);
      assert.deepEqual(r, { code: 0, stdout: '', stderr: '' });
      r = await kubefilec(['delete', 'k8s:v1', '--platform', 'linux/arm64', '--root', root]);
      assert.deepEqual(r, { code: 0, stdout: 'Removed linux/arm64/v8 from k8s:v1\n', stderr: '' });
      assert.deepEqual((await listImageSummaries(store)).map((s) => [s.name, s.platforms.join(',')]), [
        ['k8s:v1', 'linux/amd64'],
        ['kubernetes-multi-arch:v1.19.8', 'linux/amd64,linux/arm64/v8'],
        ['registry.example.com:5000/base:latest', 'linux/amd64'],
      ]);
      assertOneErrorLine(await kubefilec(['delete', 'k8s:v1', '--platform', 'linux/arm64', '--root', root]), 1, 'image k8s:v1 has no linux/arm64/v8 variant (it has: linux/amd64)');
      r = await kubefilec(['rmi', 'k8s:v1', '--root', root]);
      assert.deepEqual(r, { code: 0, stdout: 'Deleted k8s:v1\n', stderr: '' });
      assertOneErrorLine(await kubefilec(['rmi', 'k8s:v1', '--root', root]), 1, /^kubefilec: error: image k8s:v1 is not in the store /);
      assertOneErrorLine(await kubefilec(['tag', 'nope', 'x', '--root', root]), 1, /^kubefilec: error: image nope:latest is not in the store /);
    });

    it('manifest create, add, remove and inspect', async () => {
      let r = await kubefilec(['manifest', 'create', 'both:v1', 'registry.example.com:5000/base', 'kubernetes-multi-arch:v1.19.8', '--root', root]);
      assertOneErrorLine(r, 1, /^kubefilec: error: platform linux\/amd64 is in both registry\.example\.com:5000\/base:latest and kubernetes-multi-arch:v1\.19\.8; /);
      r = await kubefilec(['manifest', 'create', 'both:v1', 'registry.example.com:5000/base', '--root', root]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^both:v1 sha256:[a-f0-9]{64}\n$/);
      r = await kubefilec(['manifest', 'add', 'both:v1', 'kubernetes-multi-arch:v1.19.8', '--root', root]);
      assert.equal(r.code, 0, r.stderr);
      r = await kubefilec(['manifest', 'inspect', 'both:v1', '--root', root]);
      const index = JSON.parse(r.stdout) as OciIndex;
      assert.deepEqual(index.manifests.map((m) => `${m.platform?.architecture}${m.platform?.variant ?? ''}`), ['amd64', 'arm64v8']);
      r = await kubefilec(['manifest', 'remove', 'both:v1', 'linux/amd64', '--root', root]);
      assert.deepEqual(r, { code: 0, stdout: 'Removed linux/amd64 from both:v1\n', stderr: '' });
      assertOneErrorLine(await kubefilec(['manifest', 'inspect', 'none:v1', '--root', root]), 1, /^kubefilec: error: image none:v1 is not in the store /);
    });

    it('prune --dry-run reports, prune removes', async () => {
      await kubefilec(['delete', 'kubernetes-multi-arch:v1.19.8', '--root', root]);
      const then = new Date(Date.now() - 3_600_000);
      for await (const digest of store.blobDigests()) await utimes(store.blobPath(digest), then, then);
      // The deleted image's own blobs: index, 2 manifests, 2 configs, 3 layers.
      let r = await kubefilec(['prune', '--dry-run', '--root', root]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^Would remove blob sha256:[a-f0-9]{64}\n/);
      assert.match(r.stdout, /\nWould remove 8 blobs \(\d+(\.\d+)?kB\) and 0 layer-cache entries\n$/);
      r = await kubefilec(['prune', '--root', root]);
      assert.match(r.stdout, /\nRemoved 8 blobs \(\d+(\.\d+)?kB\) and 0 layer-cache entries\n$/);
      r = await kubefilec(['prune', '--root', root]);
      assert.deepEqual(r, { code: 0, stdout: 'Removed 0 blobs (0B) and 0 layer-cache entries\n', stderr: '' });
      assert.deepEqual((await listImageSummaries(store)).map((s) => s.name), ['registry.example.com:5000/base:latest']);
    });
  });

  describe('help', () => {
    it('every image command has --help with usage, an example and --root', async function () {
      // Eleven processes at once: on a loaded 2-core machine they may take more than the default 20 s.
      this.timeout(60_000);
      const commands = [['images'], ['inspect'], ['tag'], ['delete'], ['rmi'], ['manifest'], ['manifest', 'create'], ['manifest', 'add'], ['manifest', 'remove'], ['manifest', 'inspect'], ['prune']];
      // Started together: each run of the binary spends most of its time loading the compiler.
      const runs = await Promise.all(commands.map((command) => kubefilec([...command, '--help'])));
      commands.forEach((command, i) => {
        const r = runs[i];
        assert.equal(r.code, 0, `${command.join(' ')}: ${r.stderr}`);
        const name = command[0] === 'rmi' || command[0] === 'delete' ? 'delete\\|rmi' : command.join(' ');
        assert.match(r.stdout, new RegExp(`^Usage: kubefilec ${name} `, 'm'));
        assert.match(r.stdout, /\nExamples?:/, command.join(' '));
        if (command[0] !== 'manifest' || command.length > 1) assert.match(r.stdout, /--root <DIR>/, command.join(' '));
      });
    });
  });

  describe('formatting', () => {
    it('sizes use decimal units and three significant digits', () => {
      assert.deepEqual([0, 999, 1000, 1500, 12_345_678, 999_950, 826_082_517, 2.5e12].map(humanSize), ['0B', '999B', '1kB', '1.5kB', '12.3MB', '1MB', '826MB', '2.5TB']);
    });

    it('times read as ages, then dates', () => {
      const now = Date.parse('2026-03-10T12:00:00Z');
      assert.deepEqual(
        ['2026-03-10T12:00:00Z', '2026-03-10T11:59:30Z', '2026-03-10T11:00:00Z', '2026-03-08T12:00:00Z', '2026-02-20T12:00:00Z', '2025-01-01T00:00:00Z', '2026-03-11T00:00:00Z', undefined].map((t) => relativeTime(t, now)),
        ['Just now', '30 seconds ago', '1 hour ago', '2 days ago', '2 weeks ago', '2025-01-01', '2026-03-11T00:00:00Z', '-'],
      );
      assert.equal(imagesTable([], now), 'NAME   TAG   TYPE   PLATFORMS   SIZE   CREATED\n');
      const broken = { name: 'x:v1', repository: 'x', tag: 'v1', platforms: [], size: 10, digest: `sha256:${'0'.repeat(64)}` as const, error: 'blob missing', manifests: [] };
      assert.equal(imagesTable([broken], now).split('\n')[1], 'x      v1    -      (broken)    10B    -');
    });
  });
});
