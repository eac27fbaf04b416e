/**
 * Blob writing: bytes gathered in page-aligned buffers and written with O_DIRECT (on local
 * disk file systems), several at once and out of order, the last partial buffer through the page
 * cache, writers beyond the shared buffer pool straight through the page cache. Whatever the
 * chunking, sizes, file system and concurrency, a blob is stored byte for byte under its digest,
 * and an aborted one leaves nothing behind.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { ImageStore } from '../src/index.js';
import { ALIGNED_BUFFER_BYTES } from '../src/store/aligned-buffers.js';
import { useTempStore } from './fixtures.js';

const MiB = 1 << 20;
const BUFFER = ALIGNED_BUFFER_BYTES;

/** `data` cut into chunks of the given sizes, in turn (the last one takes what is left). */
async function* chunked(data: Buffer, sizes: readonly number[]): AsyncGenerator<Buffer> {
  for (let offset = 0, i = 0; offset < data.length; i++) {
    const size = sizes[i % sizes.length];
    yield data.subarray(offset, offset + size);
    offset += size;
  }
}

async function assertStored(store: ImageStore, data: Buffer, stored: { digest: string; size: number }): Promise<void> {
  const digest = `sha256:${createHash('sha256').update(data).digest('hex')}`;
  assert.equal(stored.digest, digest);
  assert.equal(stored.size, data.length);
  const bytes = await readFile(store.blobPath(stored.digest as `sha256:${string}`));
  assert.ok(bytes.equals(data), `blob ${digest} holds the bytes written (${data.length})`);
}

describe('blob writer', function () {
  this.timeout(60_000);
  const temp = useTempStore('kubefile-blob-writer-');

  it('stores blobs of every size around the buffer size, whatever the chunks, under their digest', async () => {
    const sizes = [0, 1, 511, BUFFER - 1, BUFFER, BUFFER + 1, 3 * BUFFER, 5 * BUFFER + 12345];
    for (const size of sizes) {
      const data = randomBytes(size);
      // Odd chunk sizes straddle the buffers; a chunk larger than a buffer fills several.
      for (const chunks of [[size || 1], [64 * 1024], [1000, 300_000, 7], [2 * BUFFER + 3]]) {
        await assertStored(temp.store, data, await temp.store.writeBlob(chunked(data, chunks)));
      }
    }
  });

  it('writers beyond the shared aligned buffers store whole blobs too, at once', async () => {
    // 12 writers at once take more than the pool's buffers: the last ones write through the page cache.
    const blobs = Array.from({ length: 12 }, (_, i) => randomBytes(2 * BUFFER + i * 777));
    const writers = await Promise.all(blobs.map(() => temp.store.createBlobWriter()));
    await Promise.all(
      writers.map(async (writer, i) => {
        for await (const chunk of chunked(blobs[i], [256 * 1024 + i])) {
          if (!writer.write(chunk)) await new Promise((resolve) => writer.once('drain', resolve));
        }
      }),
    );
    const stored = await Promise.all(writers.map((writer) => writer.commit()));
    for (const [i, ref] of stored.entries()) await assertStored(temp.store, blobs[i], ref);
  });

  it('an aborted writer leaves no temp file, and the writers after it store whole blobs', async () => {
    for (let round = 0; round < 3; round++) {
      const aborted = await Promise.all(Array.from({ length: 10 }, () => temp.store.createBlobWriter()));
      for (const writer of aborted) writer.write(randomBytes(2 * BUFFER + 5));
      await Promise.all(aborted.map((writer) => writer.abort()));
    }
    assert.deepEqual(await readdir(join(temp.store.root, 'tmp')), []);
    const data = randomBytes(5 * BUFFER + 99);
    await assertStored(temp.store, data, await temp.store.writeBlob(chunked(data, [MiB / 2 + 1])));
  });

  it('on tmpfs (no O_DIRECT there) the aligned buffers go through the page cache, whole', async function () {
    if (!existsSync('/dev/shm')) this.skip();
    const root = await mkdtemp(join('/dev/shm', 'kubefile-blob-writer-'));
    try {
      const store = await ImageStore.open(root);
      assert.equal(await store.writesDirectly(), false);
      const data = randomBytes(2 * BUFFER + 1);
      await assertStored(store, data, await store.writeBlob(chunked(data, [333_333])));
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('writes directly where the store is on ext4, XFS or btrfs, and only there', async () => {
    const type = (await statfs(temp.root)).type;
    assert.equal(await temp.store.writesDirectly(), [0xef53, 0x58465342, 0x9123683e].includes(type));
  });

  it('a blob not matching the expected digest is refused and not stored', async () => {
    const data = randomBytes(2 * BUFFER + 1);
    const wrong = `sha256:${'0'.repeat(64)}` as const;
    await assert.rejects(temp.store.writeBlob(chunked(data, [BUFFER]), { digest: wrong }), /does not match its digest/);
    assert.deepEqual(await readdir(join(temp.store.root, 'tmp')), []);
    assert.equal(await temp.store.hasBlob(`sha256:${createHash('sha256').update(data).digest('hex')}`), false);
  });
});
