/**
 * The registry view: every platform's registry/ merged into one storage that a real docker-registry
 * serves, with one multi-platform index for a tag whose platforms differ (not the last one's), and
 * an index of the platforms present for a tag whose index lists platforms that were not built.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MEDIA_TYPE, REGISTRY_STORAGE, writeRegistryView, type ImageStore, type OciIndex } from '../src/index.js';
import { build } from './build-helpers.js';
import { useTempStore } from './fixtures.js';
import { putBlob, putImage, putTag, startRegistry } from './registry-helpers.js';

describe('registry view', function () {
  this.timeout(60_000);
  let store: ImageStore;
  let context: string;
  const temp = useTempStore('kubefile-registry-');
  beforeEach(() => ({ store, dir: context } = temp));

  /** Each platform's registry: nginx:1.25 resolved to that platform; pause:3.9 the same multi-arch index in both. */
  async function buildImageWithRegistries(): Promise<void> {
    for (const arch of ['amd64', 'arm64']) {
      const root = join(context, arch, 'registry');
      const own = await putImage(root, 'library/nginx', arch, `nginx layer for ${arch}`);
      // The same bytes on both platforms: one blob in the view.
      await putImage(root, 'library/nginx', arch, 'a layer both platforms share');
      await putTag(root, 'library/nginx', '1.25', own);
      const pauseAmd = await putImage(root, 'kubernetes/pause', 'amd64', 'pause amd64');
      const pauseArm = await putImage(root, 'kubernetes/pause', 'arm64', 'pause arm64');
      const index = await putBlob(root, JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPE.dockerManifestList, manifests: [{ ...pauseAmd, platform: { architecture: 'amd64', os: 'linux' } }, { ...pauseArm, platform: { architecture: 'arm64', os: 'linux' } }] }), MEDIA_TYPE.dockerManifestList);
      await putTag(root, 'kubernetes/pause', '3.9', index);
    }
    await build(store, context, 'FROM scratch\nCOPY ${ARCH}/registry registry\n', 'cluster:v1', ['linux/amd64', 'linux/arm64']);
  }

  it('merges the platforms: one index for a tag they disagree on, the shared tag as is, shared blobs once', async () => {
    await buildImageWithRegistries();
    const out = join(context, 'view');
    const summary = await writeRegistryView(store, (await store.getImage('cluster:v1')).descriptor, out);
    assert.deepEqual(summary.tags, [
      { reference: 'kubernetes/pause:3.9', platforms: ['linux/amd64', 'linux/arm64/v8'], merged: false },
      { reference: 'library/nginx:1.25', platforms: ['linux/amd64', 'linux/arm64/v8'], merged: true },
    ]);
    // nginx: 2 own layers + 1 shared + 4 configs + 4 manifests; pause: 2 layers, 2 configs, 2 manifests, 1 index; the new index.
    assert.equal(summary.blobs, 3 + 4 + 4 + 2 + 2 + 2 + 1 + 1);
    const link = await readFile(join(out, REGISTRY_STORAGE, 'repositories/library/nginx/_manifests/tags/1.25/current/link'), 'utf8');
    const index = JSON.parse(await readFile(join(out, REGISTRY_STORAGE, 'blobs/sha256', link.slice(7, 9), link.slice(7), 'data'), 'utf8')) as OciIndex;
    assert.equal(index.mediaType, MEDIA_TYPE.dockerManifestList);
    assert.deepEqual(index.manifests.map((m) => m.platform), [{ architecture: 'amd64', os: 'linux' }, { architecture: 'arm64', os: 'linux' }]);
    assert.deepEqual(await readdir(join(out, REGISTRY_STORAGE, 'repositories/library/nginx/_manifests/tags/1.25/index/sha256')), [link.slice(7)]);
  });

  it('a real docker-registry serves the view: skopeo sees the index, and each architecture gets its own image', async () => {
    await buildImageWithRegistries();
    const out = join(context, 'view');
    await writeRegistryView(store, (await store.getImage('cluster:v1')).descriptor, out);
    const registry = await startRegistry(out, context);
    try {
      const skopeo = (...args: string[]) => execFileSync('skopeo', [...args], { encoding: 'utf8' });
      const raw = JSON.parse(skopeo('inspect', '--raw', '--tls-verify=false', `docker://${registry.host}/library/nginx:1.25`)) as OciIndex;
      assert.deepEqual(raw.manifests.map((m) => m.platform?.architecture), ['amd64', 'arm64']);
      for (const arch of ['amd64', 'arm64']) {
        const inspected = JSON.parse(skopeo('inspect', '--tls-verify=false', '--override-os', 'linux', '--override-arch', arch, `docker://${registry.host}/library/nginx:1.25`)) as { Architecture: string; Layers: string[] };
        assert.equal(inspected.Architecture, arch);
      }
      const pause = JSON.parse(skopeo('inspect', '--raw', '--tls-verify=false', `docker://${registry.host}/kubernetes/pause:3.9`)) as OciIndex;
      assert.equal(pause.manifests.length, 2);
    } finally {
      await registry.stop();
    }
  });
  it("a tag whose index lists platforms not built names an index of those present; the original stays by digest; skopeo copies it all", async () => {
    // sealer's layout, per platform: the tag links to the original index (amd64, arm64, s390x);
    // only that platform's manifest is stored. s390x was built by no one.
    const scratch = await mkdtemp(join(tmpdir(), 'kubefile-registry-scratch-'));
    const manifests = new Map<string, Awaited<ReturnType<typeof putImage>>>();
    try {
      for (const arch of ['amd64', 'arm64', 's390x']) manifests.set(arch, await putImage(scratch, 'library/tri', arch, `tri for ${arch}`));
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
    const original = JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA_TYPE.index,
      manifests: ['amd64', 'arm64', 's390x'].map((arch) => ({ ...manifests.get(arch), platform: { architecture: arch, os: 'linux' } })),
      annotations: { 'org.opencontainers.image.source': 'https://example.com/tri' },
    });
    let index: Awaited<ReturnType<typeof putBlob>> | undefined;
    for (const arch of ['amd64', 'arm64']) {
      const root = join(context, arch, 'registry');
      assert.deepEqual(await putImage(root, 'library/tri', arch, `tri for ${arch}`), manifests.get(arch));
      index = await putBlob(root, original, MEDIA_TYPE.index);
      await putTag(root, 'library/tri', '1', index);
    }
    assert.ok(index);
    await build(store, context, 'FROM scratch\nCOPY ${ARCH}/registry registry\n', 'cluster:v1', ['linux/amd64', 'linux/arm64']);
    const out = join(context, 'view');
    const summary = await writeRegistryView(store, (await store.getImage('cluster:v1')).descriptor, out);
    assert.deepEqual(summary.tags, [{ reference: 'library/tri:1', platforms: ['linux/amd64', 'linux/arm64/v8'], merged: true }]);
    const link = await readFile(join(out, REGISTRY_STORAGE, 'repositories/library/tri/_manifests/tags/1/current/link'), 'utf8');
    assert.notEqual(link, index.digest);
    const written = JSON.parse(await readFile(join(out, REGISTRY_STORAGE, 'blobs/sha256', link.slice(7, 9), link.slice(7), 'data'), 'utf8')) as OciIndex & { annotations?: Record<string, string> };
    // The original's fields, its entries less the one not built.
    assert.equal(written.mediaType, MEDIA_TYPE.index);
    assert.deepEqual(written.annotations, { 'org.opencontainers.image.source': 'https://example.com/tri' });
    assert.deepEqual(written.manifests.map((m) => [m.digest, m.platform?.architecture]), [
      [manifests.get('amd64')?.digest, 'amd64'],
      [manifests.get('arm64')?.digest, 'arm64'],
    ]);
    const registry = await startRegistry(out, context);
    try {
      const skopeo = (...args: string[]) => execFileSync('skopeo', [...args], { encoding: 'utf8' });
      skopeo('copy', '--all', '--src-tls-verify=false', `docker://${registry.host}/library/tri:1`, `oci:${join(context, 'copied')}:tri`);
      const copied = JSON.parse(await readFile(join(context, 'copied', 'index.json'), 'utf8')) as OciIndex;
      assert.equal(copied.manifests.length, 1);
      // Pulled by its digest, the original is served as is (a digest cannot change); each node finds its own platform in it.
      assert.equal(skopeo('inspect', '--raw', '--tls-verify=false', `docker://${registry.host}/library/tri@${index.digest}`), original);
      const arm = JSON.parse(skopeo('inspect', '--tls-verify=false', '--override-os', 'linux', '--override-arch', 'arm64', `docker://${registry.host}/library/tri@${index.digest}`)) as { Architecture: string };
      assert.equal(arm.Architecture, 'arm64');
    } finally {
      await registry.stop();
    }
  });
});
