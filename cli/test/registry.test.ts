/** `kubefilec registry export`, on the real binary: the merged registry view of a two-platform image. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const bin = join(repo, 'cli/bin/kubefilec.js');

function kubefilec(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }));
  });
}

/** A registry storage under `root` whose nginx:1.25 is a one-blob image of `architecture` (config-only manifest). */
async function writeStorage(root: string, architecture: string): Promise<void> {
  const v2 = join(root, 'docker/registry/v2');
  const blob = async (text: string): Promise<string> => {
    const hex = createHash('sha256').update(text).digest('hex');
    await mkdir(join(v2, 'blobs/sha256', hex.slice(0, 2), hex), { recursive: true });
    await writeFile(join(v2, 'blobs/sha256', hex.slice(0, 2), hex, 'data'), text);
    return `sha256:${hex}`;
  };
  const config = JSON.stringify({ architecture, os: 'linux' });
  const manifest = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: await blob(config), size: config.length }, layers: [] });
  const digest = await blob(manifest);
  await mkdir(join(v2, 'repositories/library/nginx/_manifests/tags/1.25/current'), { recursive: true });
  await writeFile(join(v2, 'repositories/library/nginx/_manifests/tags/1.25/current/link'), digest);
}

describe('kubefilec registry export', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'kubefilec-registry-'))));
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("merges the platforms' registries: one OCI index for a tag whose platforms differ", async () => {
    const context = join(dir, 'context');
    for (const arch of ['amd64', 'arm64']) await writeStorage(join(context, arch, 'registry'), arch);
    await writeFile(join(context, 'Kubefile'), 'FROM scratch\nCOPY ${ARCH}/registry registry\n');
    const root = join(dir, 'store');
    const built = await kubefilec(['build', '--root', root, '-t', 'c:v1', '--platform', 'linux/amd64,linux/arm64', '--progress', 'plain', context]);
    assert.equal(built.code, 0, built.stderr);
    const out = join(dir, 'view');
    const r = await kubefilec(['registry', 'export', 'c:v1', out, '--root', root]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'library/nginx:1.25\tlinux/amd64,linux/arm64/v8\t(merged)\n');
    assert.equal(r.stderr, `Wrote 1 tag and 5 blobs to ${out}\n`);
    const link = await readFile(join(out, 'docker/registry/v2/repositories/library/nginx/_manifests/tags/1.25/current/link'), 'utf8');
    const index = JSON.parse(await readFile(join(out, 'docker/registry/v2/blobs/sha256', link.slice(7, 9), link.slice(7), 'data'), 'utf8')) as { mediaType: string };
    assert.equal(index.mediaType, 'application/vnd.oci.image.index.v1+json');
  });

  it('names a missing image once, and has --help with an example', async () => {
    const r = await kubefilec(['registry', 'export', 'missing:v1', join(dir, 'out'), '--root', join(dir, 'store')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^kubefilec: error: image missing:v1 is not in the store/);
    const help = await kubefilec(['registry', 'export', '--help']);
    assert.match(help.stdout, /^Usage: kubefilec registry export \[options\] <NAME> <DIR>/m);
    assert.match(help.stdout, /Examples:\n  kubefilec registry export my-cluster:v1/);
  });
});
