/**
 * Pull and push against a real registry (Debian's docker-registry on 127.0.0.1), checked by an
 * independent client (skopeo): round trips with and without --platform, auth, a broken transfer
 * resumed, a corrupted blob refused.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { platformImages, pullImage, pushImage, RuntimeError, type ImageStore, type OciIndex, type TransferEvent } from '../src/index.js';
import { build, tmpFiles, writeTree } from './build-helpers.js';
import { useTempStore } from './fixtures.js';
import { startRegistry, type RunningRegistry } from './registry-helpers.js';

const skopeoRaw = (reference: string): OciIndex => JSON.parse(execFileSync('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${reference}`], { encoding: 'utf8' })) as OciIndex;

describe('pull and push (docker-registry)', function () {
  this.timeout(120_000);
  let store: ImageStore;
  let context: string;
  let registry: RunningRegistry | undefined;
  const temp = useTempStore('kubefile-transfer-');
  beforeEach(() => ({ store, dir: context } = temp));
  afterEach(async () => {
    await registry?.stop();
    registry = undefined;
  });

  /** A two-platform image whose per-platform layer is `megabytes` of random bytes. */
  async function twoPlatformImage(megabytes = 1): Promise<void> {
    await writeTree(context, { 'amd64/data.bin': randomBytes(megabytes << 20), 'arm64/data.bin': randomBytes(megabytes << 20), 'shared.yaml': 'kind: ConfigMap\n' });
    await build(store, context, 'FROM scratch\nCOPY shared.yaml manifests/\nCOPY ${ARCH}/data.bin bin/\n', 'app:v1', ['linux/amd64', 'linux/arm64']);
  }

  it('pushes the whole index (same digest), and pulls it back, all platforms or one', async () => {
    await twoPlatformImage();
    registry = await startRegistry(join(context, 'registry'), context);
    const stored = await store.getImage('app:v1');
    const pushed = await pushImage(store, 'app:v1', `${registry.host}/team/app:v1`, { tlsVerify: false });
    assert.equal(pushed.digest, stored.descriptor.digest);
    assert.equal(pushed.blobsUploaded, 5, 'two configs, two per-platform layers, one shared layer');
    const raw = skopeoRaw(`${registry.host}/team/app:v1`);
    assert.deepEqual(raw.manifests.map((m) => m.platform?.architecture), ['amd64', 'arm64']);
    assert.equal((await pushImage(store, 'app:v1', `${registry.host}/team/app:v1`, { tlsVerify: false })).blobsUploaded, 0, 'a second push sends no blob');

    const other = await temp.anotherStore();
    const all = await pullImage(other, `${registry.host}/team/app:v1`, { tlsVerify: false });
    assert.equal(all.image.descriptor.digest, stored.descriptor.digest);
    assert.deepEqual(all.platforms, ['linux/amd64', 'linux/arm64/v8']);
    const arm = await pullImage(await temp.anotherStore(), `${registry.host}/team/app:v1`, { tlsVerify: false, platforms: ['linux/arm64'], name: 'arm-only:v1' });
    assert.deepEqual(arm.platforms, ['linux/arm64/v8']);
    assert.equal(arm.blobsFetched, 3);

    await pushImage(store, 'app:v1', `${registry.host}/team/app:amd64`, { tlsVerify: false, platforms: ['linux/amd64'] });
    assert.deepEqual(skopeoRaw(`${registry.host}/team/app:amd64`).manifests.map((m) => m.platform?.architecture), ['amd64']);
  });

  it('a missing platform is named with those there are, and nothing is stored', async () => {
    await twoPlatformImage();
    registry = await startRegistry(join(context, 'registry'), context);
    await pushImage(store, 'app:v1', `${registry.host}/app:v1`, { tlsVerify: false });
    const other = await temp.anotherStore();
    await assert.rejects(pullImage(other, `${registry.host}/app:v1`, { tlsVerify: false, platforms: ['linux/s390x'] }), (error: RuntimeError) => {
      assert.equal(error.code, 'PLATFORM_NOT_FOUND');
      assert.equal(error.message, `no manifest for linux/s390x in ${registry!.host}/app:v1 (it has: linux/amd64, linux/arm64/v8)`);
      return true;
    });
    assert.deepEqual(await other.listImages(), []);
  });

  it('a corrupted blob in the registry is refused: no image, no blob, no partial download', async () => {
    await twoPlatformImage();
    const storage = join(context, 'registry');
    registry = await startRegistry(storage, context);
    await pushImage(store, 'app:v1', `${registry.host}/app:v1`, { tlsVerify: false });
    const [amd] = await platformImages(store, (await store.getImage('app:v1')).descriptor);
    const layer = amd.manifest.layers[1].digest;
    const data = join(storage, 'docker/registry/v2/blobs/sha256', layer.slice(7, 9), layer.slice(7), 'data');
    const bytes = await readFile(data);
    bytes[100] ^= 0xff;
    await writeFile(data, bytes);
    const other = await temp.anotherStore();
    await assert.rejects(pullImage(other, `${registry.host}/app:v1`, { tlsVerify: false, platforms: ['linux/amd64'] }), (error: RuntimeError) => {
      assert.equal(error.code, 'DIGEST_MISMATCH');
      assert.match(error.message, new RegExp(`^blob ${layer} from ${registry!.host}/app does not match its digest`));
      return true;
    });
    assert.deepEqual(await other.listImages(), []);
    assert.equal(await other.hasBlob(layer), false);
    assert.deepEqual(await readdir(other.dir('downloads')), []);
  });

  it('a transfer stopped part-way goes on from where it stopped', async () => {
    await twoPlatformImage(24);
    registry = await startRegistry(join(context, 'registry'), context);
    await pushImage(store, 'app:v1', `${registry.host}/app:v1`, { tlsVerify: false });
    const other = await temp.anotherStore();
    const stop = new AbortController();
    let received = 0;
    await assert.rejects(
      pullImage(other, `${registry.host}/app:v1`, {
        tlsVerify: false,
        platforms: ['linux/amd64'],
        parallel: 1,
        signal: stop.signal,
        onEvent: (event) => {
          if (event.type === 'bytes') received += event.bytes;
          if (received > 8 << 20) stop.abort();
        },
      }),
      (error: RuntimeError) => error.code === 'INTERRUPTED',
    );
    const partials = await readdir(other.dir('downloads'));
    assert.equal(partials.length, 1, 'the partial download is kept');
    const events: TransferEvent[] = [];
    const pulled = await pullImage(other, `${registry.host}/app:v1`, { tlsVerify: false, platforms: ['linux/amd64'], onEvent: (e) => events.push(e) });
    const resumed = events.filter((e) => e.type === 'blob' && e.outcome === 'resumed');
    assert.equal(resumed.length, 1);
    assert.ok(resumed[0].type === 'blob' && (resumed[0].resumedAt ?? 0) > 4 << 20, JSON.stringify(resumed));
    const [amd] = await platformImages(other, pulled.image.descriptor);
    assert.equal(amd.key, 'linux/amd64');
    assert.deepEqual(await readdir(other.dir('downloads')), []);
    assert.deepEqual(await tmpFiles(other), []);
  });

  it('FROM a registry image pulls the base for the platforms being built, unless it is in the store', async () => {
    await twoPlatformImage();
    registry = await startRegistry(join(context, 'registry'), context);
    await pushImage(store, 'app:v1', `${registry.host}/base:v1`, { tlsVerify: false });
    const other = await temp.anotherStore();
    const kubefile = `FROM ${registry.host}/base:v1\nCOPY shared.yaml etc/\n`;
    const built = await build(other, context, kubefile, 'on-top:v1', ['linux/arm64'], { tlsVerify: false });
    const [arm] = await platformImages(other, built.image.descriptor);
    assert.equal(arm.key, 'linux/arm64/v8');
    assert.equal(arm.manifest.layers.length, 3, 'the base\'s two layers and the COPY');
    const base = await other.getImage(`${registry.host}/base:v1`);
    assert.deepEqual((await platformImages(other, base.descriptor)).map((p) => p.key), ['linux/arm64/v8'], 'only the platform built was pulled');
    await registry.stop();
    registry = undefined;
    // In the store now: no registry needed (the default, --pull missing).
    await build(other, context, kubefile, 'again:v1', ['linux/arm64'], { tlsVerify: false });
    await assert.rejects(build(other, context, kubefile, 'again:v1', ['linux/arm64'], { tlsVerify: false, pull: 'always' }), (error: RuntimeError) => error.code === 'REGISTRY' && /cannot reach/.test(error.message));
  });

  it('a registry with users: login needed, a wrong password refused (never shown), the right one works', async () => {
    await twoPlatformImage();
    registry = await startRegistry(join(context, 'registry'), context, { ann: 's3cret-pw' });
    const target = `${registry.host}/app:v1`;
    await assert.rejects(pushImage(store, 'app:v1', target, { tlsVerify: false }), (error: RuntimeError) => {
      assert.equal(error.code, 'AUTH');
      assert.equal(error.message, `${registry!.host} requires authentication: run \`kubefilec login ${registry!.host}\``);
      return true;
    });
    await assert.rejects(pushImage(store, 'app:v1', target, { tlsVerify: false, credentials: { username: 'ann', password: 'wrong-pw' } }), (error: RuntimeError) => {
      assert.equal(error.code, 'AUTH');
      assert.match(error.message, /refused the credentials of ann/);
      assert.doesNotMatch(error.message, /wrong-pw/);
      return true;
    });
    const credentials = { username: 'ann', password: 's3cret-pw' };
    await pushImage(store, 'app:v1', target, { tlsVerify: false, credentials });
    const pulled = await pullImage(await temp.anotherStore(), target, { tlsVerify: false, credentials });
    assert.equal(pulled.image.descriptor.digest, (await store.getImage('app:v1')).descriptor.digest);
  });
});
