import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmod, lutimes, mkdir, readdir, readFile, realpath, rm, symlink, truncate, utimes, writeFile } from 'node:fs/promises';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { CopyOp } from '@kubefile/compiler';
import { Header, Parser, type ReadEntry } from 'tar';
import {
  collectCopyEntries,
  copyCacheKey,
  FileDigestCache,
  ImageStore,
  MEDIA_TYPE,
  RuntimeError,
  writeLayer,
  type LayerEntry,
  type WriteLayerOptions,
} from '../src/index.js';
import { tempDir, tempStore } from './fixtures.js';

const OP_DIGEST = `sha256:${'d'.repeat(64)}`;
/** 2023-11-14T22:13:20Z. */
const SECONDS = 1_700_000_000;
const LONG_DIR = 'a-directory-with-a-rather-long-name/and-another-one-below-it/and-a-third-to-pass-the-limit';
const LONG_PATH = `${LONG_DIR}/file-with-a-long-name.txt`;
const LONG_TARGET = `../${'x'.repeat(120)}/target`;
/** Too long for ustar's name field even with its prefix field: needs PAX. */
const LONG_NAME = `${'n'.repeat(120)}.txt`;
const UNICODE = 'données/résumé-日本.txt';

interface TarItem {
  path: string;
  type: string;
  mode: number | undefined;
  uid: number | undefined;
  gid: number | undefined;
  uname: string | undefined;
  gname: string | undefined;
  mtime: number | undefined;
  size: number;
  linkpath: string | undefined;
  data: Buffer;
  content: string;
}

/** Every entry of a tar as node-tar's parser reads it. */
async function parseTar(tar: Buffer): Promise<TarItem[]> {
  const items: TarItem[] = [];
  await new Promise<void>((resolve, reject) => {
    const parser = new Parser({
      strict: true,
      onReadEntry: (entry: ReadEntry) => {
        const chunks: Buffer[] = [];
        entry.on('data', (chunk: Buffer) => chunks.push(chunk));
        entry.on('end', () => {
          const data = Buffer.concat(chunks);
          items.push({
            path: entry.path,
            type: entry.type,
            mode: entry.mode,
            uid: entry.uid,
            gid: entry.gid,
            uname: entry.uname,
            gname: entry.gname,
            mtime: entry.mtime?.getTime(),
            size: entry.size,
            linkpath: entry.linkpath,
            data,
            content: data.toString('utf8'),
          });
        });
      },
    });
    parser.on('error', reject);
    parser.on('warn', (code: string, message: string) => reject(new Error(`${code}: ${message}`)));
    parser.on('end', resolve);
    parser.end(tar);
  });
  return items;
}

function systemTar(args: string[]): string {
  return execFileSync('tar', args, { encoding: 'utf8', env: { ...process.env, TZ: 'UTC', LC_ALL: 'C.UTF-8' } });
}

function sha256(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

describe('writeLayer', () => {
  let store: ImageStore;
  let root: string;
  let context: string;
  let cacheDir: string;
  const cleanups: (() => Promise<void>)[] = [];

  beforeEach(async () => {
    const temp = await tempStore();
    store = temp.store;
    root = temp.root;
    context = await tempDir('kubefile-layer-');
    cacheDir = await tempDir('kubefile-digests-');
    cleanups.push(temp.cleanup, () => rm(context, { recursive: true, force: true }), () => rm(cacheDir, { recursive: true, force: true }));
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  async function put(path: string, content: string | Buffer, mode = 0o644, seconds = SECONDS): Promise<void> {
    const full = join(context, path);
    await mkdir(dirname(full), { recursive: true });
    await writeFile(full, content);
    await chmod(full, mode);
    await utimes(full, seconds, seconds);
  }

  /** `count` files `<dir>/f<i>` (the parallel path needs 2048 files; sync writes, as async ones are far slower here). */
  async function many(dir: string, count: number, content: (i: number) => string | Buffer): Promise<void> {
    await mkdir(join(context, dir), { recursive: true });
    for (let i = 0; i < count; i++) writeFileSync(join(context, dir, `f${i}`), content(i));
  }

  function copyOp(dest = 'data'): CopyOp {
    return { kind: 'copy', digest: OP_DIGEST, line: 1, sources: ['.'], dest, destIsDirectory: true, matches: [['']] };
  }

  async function entriesOf(dest = 'data'): Promise<LayerEntry[]> {
    return collectCopyEntries(context, copyOp(dest));
  }

  async function freshDigests(): Promise<FileDigestCache> {
    return FileDigestCache.load(join(cacheDir, `${randomBytes(4).toString('hex')}.json`));
  }

  async function write(entries: LayerEntry[], options: Partial<WriteLayerOptions> = {}): Promise<{ blob: Buffer; layer: Awaited<ReturnType<typeof writeLayer>> }> {
    const layer = await writeLayer(store, entries, { digests: await freshDigests(), ...options });
    return { blob: await store.readBlob(layer.descriptor.digest), layer };
  }

  async function storeFiles(): Promise<{ tmp: string[]; blobs: string[] }> {
    return { tmp: await readdir(join(root, 'tmp')), blobs: await readdir(join(root, 'blobs', 'sha256')) };
  }

  /** A context with every kind of entry the tar must carry faithfully. */
  async function richContext(): Promise<Buffer> {
    const big = randomBytes(3 * (1 << 20) + 123);
    await put('bin/helm', '#!/bin/sh\necho helm\n', 0o755);
    await put('bin/su', 'setuid', 0o4755);
    await put('etc/empty', '');
    await put('big.bin', big);
    await put(LONG_PATH, 'long');
    await put(LONG_NAME, 'longer');
    await put(UNICODE, 'unicode');
    await symlink('helm', join(context, 'bin/helm-link'));
    await symlink(LONG_TARGET, join(context, 'bin/far'));
    for (const link of ['bin/helm-link', 'bin/far']) await lutimes(join(context, link), SECONDS, SECONDS);
    await chmod(join(context, 'etc'), 0o750);
    for (const dir of ['bin', 'etc', 'données', ...LONG_DIR.split('/').map((_, i, parts) => parts.slice(0, i + 1).join('/'))]) {
      await utimes(join(context, dir), SECONDS + 60, SECONDS + 60);
    }
    await utimes(context, SECONDS + 120, SECONDS + 120);
    return big;
  }

  it('writes a tar that node-tar reads back exactly: names, types, modes, owners, mtimes, links, contents', async () => {
    const big = await richContext();
    const entries = await entriesOf();
    const { blob, layer } = await write(entries);
    assert.equal(layer.descriptor.mediaType, MEDIA_TYPE.layer);
    assert.equal(layer.descriptor.size, blob.length);
    assert.equal(layer.descriptor.digest, sha256(blob));
    assert.equal(layer.diffId, layer.descriptor.digest);
    const items = await parseTar(blob);
    const byPath = new Map(items.map((item) => [item.path, item]));
    assert.deepEqual(
      items.map((i) => `${i.type} ${i.path}`),
      [
        'Directory data/',
        `Directory data/${LONG_DIR.split('/')[0]}/`,
        `Directory data/${LONG_DIR.split('/').slice(0, 2).join('/')}/`,
        `Directory data/${LONG_DIR}/`,
        `File data/${LONG_PATH}`,
        'File data/big.bin',
        'Directory data/bin/',
        'SymbolicLink data/bin/far',
        'File data/bin/helm',
        'SymbolicLink data/bin/helm-link',
        'File data/bin/su',
        'Directory data/données/',
        `File data/${UNICODE}`,
        'Directory data/etc/',
        'File data/etc/empty',
        `File data/${LONG_NAME}`,
      ],
    );
    for (const item of items) {
      assert.equal(item.uid, 0, item.path);
      assert.equal(item.gid, 0, item.path);
      assert.equal(item.uname, '', item.path);
      assert.equal(item.gname, '', item.path);
    }
    assert.deepEqual(byPath.get('data/')?.mtime, (SECONDS + 120) * 1000);
    assert.deepEqual(byPath.get('data/')?.mode, 0o700);
    assert.deepEqual(byPath.get('data/etc/')?.mode, 0o750);
    assert.deepEqual(byPath.get('data/etc/')?.mtime, (SECONDS + 60) * 1000);
    const helm = byPath.get('data/bin/helm');
    assert.deepEqual([helm?.mode, helm?.mtime, helm?.size, helm?.content], [0o755, SECONDS * 1000, 20, '#!/bin/sh\necho helm\n']);
    assert.equal(byPath.get('data/bin/su')?.mode, 0o4755);
    assert.deepEqual([byPath.get('data/etc/empty')?.size, byPath.get('data/etc/empty')?.content], [0, '']);
    assert.deepEqual([byPath.get('data/bin/helm-link')?.linkpath, byPath.get('data/bin/helm-link')?.size], ['helm', 0]);
    assert.equal(byPath.get('data/bin/far')?.linkpath, LONG_TARGET);
    assert.equal(byPath.get(`data/${LONG_PATH}`)?.content, 'long');
    assert.equal(byPath.get(`data/${LONG_NAME}`)?.content, 'longer');
    assert.equal(byPath.get(`data/${UNICODE}`)?.content, 'unicode');
    assert.equal(byPath.get('data/big.bin')?.size, big.length);
    assert.ok(byPath.get('data/big.bin')?.data.equals(big));
    // What ustar cannot hold went into PAX records; the 121-byte path fit ustar's prefix field.
    const text = blob.toString('latin1');
    for (const record of [`path=data/${LONG_NAME}\n`, `linkpath=${LONG_TARGET}\n`, `path=data/${UNICODE}\n`]) assert.ok(text.includes(Buffer.from(record).toString('latin1')), record);
    assert.ok(!text.includes(`path=data/${LONG_PATH}`));
    // Ends with the two zero blocks, nothing after.
    assert.equal(blob.length % 512, 0);
    assert.ok(blob.subarray(blob.length - 1024).equals(Buffer.alloc(1024)));
  });

  it('writes a tar GNU tar lists and extracts (PAX long and non-ASCII names included)', async () => {
    const big = await richContext();
    const { blob } = await write(await entriesOf());
    const file = join(cacheDir, 'layer.tar');
    await writeFile(file, blob);
    const listing = systemTar(['--numeric-owner', '-tvf', file]).trimEnd().split('\n');
    assert.deepEqual(listing, [
      'drwx------ 0/0               0 2023-11-14 22:15 data/',
      `drwxr-xr-x 0/0               0 2023-11-14 22:14 data/${LONG_DIR.split('/')[0]}/`,
      `drwxr-xr-x 0/0               0 2023-11-14 22:14 data/${LONG_DIR.split('/').slice(0, 2).join('/')}/`,
      `drwxr-xr-x 0/0               0 2023-11-14 22:14 data/${LONG_DIR}/`,
      `-rw-r--r-- 0/0               4 2023-11-14 22:13 data/${LONG_PATH}`,
      `-rw-r--r-- 0/0         ${big.length} 2023-11-14 22:13 data/big.bin`,
      'drwxr-xr-x 0/0               0 2023-11-14 22:14 data/bin/',
      `lrwxrwxrwx 0/0               0 2023-11-14 22:13 data/bin/far -> ${LONG_TARGET}`,
      '-rwxr-xr-x 0/0              20 2023-11-14 22:13 data/bin/helm',
      'lrwxrwxrwx 0/0               0 2023-11-14 22:13 data/bin/helm-link -> helm',
      '-rwsr-xr-x 0/0               6 2023-11-14 22:13 data/bin/su',
      'drwxr-xr-x 0/0               0 2023-11-14 22:14 data/données/',
      `-rw-r--r-- 0/0               7 2023-11-14 22:13 data/${UNICODE}`,
      'drwxr-x--- 0/0               0 2023-11-14 22:14 data/etc/',
      '-rw-r--r-- 0/0               0 2023-11-14 22:13 data/etc/empty',
      `-rw-r--r-- 0/0               6 2023-11-14 22:13 data/${LONG_NAME}`,
    ]);
    const out = join(cacheDir, 'out');
    await mkdir(out);
    systemTar(['-xf', file, '-C', out]);
    assert.equal(await readFile(join(out, 'data', UNICODE), 'utf8'), 'unicode');
    assert.equal(await readFile(join(out, 'data', LONG_PATH), 'utf8'), 'long');
    assert.equal(await readFile(join(out, 'data', LONG_NAME), 'utf8'), 'longer');
    assert.ok((await readFile(join(out, 'data/big.bin'))).equals(big));
  });

  it('encodes plain ustar headers exactly as node-tar Header does', async () => {
    await put('bin/helm', 'helm', 0o755);
    await put('etc/a.conf', 'x'.repeat(1000));
    await symlink('helm', join(context, 'bin/h'));
    const { blob } = await write(await entriesOf());
    let headers = 0;
    for (let offset = 0; offset < blob.length - 1024; ) {
      const block = blob.subarray(offset, offset + 512);
      const decoded = new Header(block);
      const again = Buffer.alloc(512);
      new Header({ ...decoded, type: decoded.type }).encode(again, 0);
      assert.ok(again.equals(block), `header of ${decoded.path} differs from node-tar's`);
      headers++;
      offset += 512 + Math.ceil((decoded.size ?? 0) / 512) * 512;
    }
    assert.equal(headers, 6);
  });

  it('gzips on request: the diff ID is the digest of the uncompressed tar', async () => {
    await richContext();
    const entries = await entriesOf();
    const plain = await write(entries);
    const zipped = await write(entries, { compress: true });
    assert.equal(zipped.layer.descriptor.mediaType, MEDIA_TYPE.layerGzip);
    assert.equal(zipped.layer.descriptor.digest, sha256(zipped.blob));
    assert.equal(zipped.layer.descriptor.size, zipped.blob.length);
    const unzipped = gunzipSync(zipped.blob);
    assert.equal(zipped.layer.diffId, sha256(unzipped));
    assert.ok(unzipped.equals(plain.blob));
    assert.equal(zipped.layer.diffId, plain.layer.diffId);
  });

  it('is deterministic: the same entries over the same files give the same blob, on one thread or several', async () => {
    await richContext();
    await many('many', 2100, (i) => `file ${i}\n`);
    const entries = await entriesOf();
    const first = await write(entries, { workers: 0 });
    const second = await write(entries, { workers: 0 });
    const parallel = await write(entries, { workers: 3 });
    assert.equal(second.layer.descriptor.digest, first.layer.descriptor.digest);
    assert.equal(parallel.layer.descriptor.digest, first.layer.descriptor.digest);
    assert.equal((await storeFiles()).blobs.length, 1);
    const items = await parseTar(parallel.blob);
    assert.equal(items.filter((item) => item.path.startsWith('data/many/f')).length, 2100);
    assert.equal(items.find((item) => item.path === 'data/many/f2099')?.content, 'file 2099\n');
  });

  it('reports content bytes for progress', async () => {
    await put('a', 'x'.repeat(5000));
    await put('b', 'y'.repeat(300));
    let reported = 0;
    await write(await entriesOf(), { onBytes: (bytes) => (reported += bytes) });
    assert.equal(reported, 5300);
  });

  describe('content digests and cache keys', () => {
    it('records every file digest, after which the copy has a cache key', async () => {
      await put('a', 'alpha');
      await put('dir/b', 'beta');
      await symlink('a', join(context, 'link'));
      const entries = await entriesOf();
      const digests = await freshDigests();
      assert.equal(copyCacheKey('parent', OP_DIGEST, entries, digests), undefined);
      await writeLayer(store, entries, { digests });
      const file = entries.find((e) => e.path === 'data/a');
      assert.ok(file);
      assert.equal(digests.lookup(file), sha256(Buffer.from('alpha')));
      const key = copyCacheKey('parent', OP_DIGEST, entries, digests);
      assert.match(key ?? '', /^[a-f0-9]{64}$/);
      assert.notEqual(copyCacheKey('other parent', OP_DIGEST, entries, digests), key);
      assert.notEqual(copyCacheKey('parent', `sha256:${'e'.repeat(64)}`, entries, digests), key);
    });

    it('records digests from worker threads too', async () => {
      await many('', 2100, (i) => `${i}`);
      const entries = await entriesOf();
      const digests = await freshDigests();
      await writeLayer(store, entries, { digests, workers: 2 });
      assert.ok(copyCacheKey('parent', OP_DIGEST, entries, digests));
      const last = entries.find((e) => e.path === 'data/f2099');
      assert.ok(last);
      assert.equal(digests.lookup(last), sha256(Buffer.from('2099')));
    });

    async function keyOf(): Promise<string | undefined> {
      const entries = await entriesOf();
      const digests = await freshDigests();
      await writeLayer(store, entries, { digests });
      return copyCacheKey('parent', OP_DIGEST, entries, digests);
    }

    it('changes the key with content, mode, path or link target, not with mtime', async () => {
      await put('a', 'alpha');
      await symlink('a', join(context, 'link'));
      const base = await keyOf();
      await utimes(join(context, 'a'), SECONDS + 1000, SECONDS + 1000);
      assert.equal(await keyOf(), base, 'mtime only');
      await put('a', 'alphb');
      const content = await keyOf();
      assert.notEqual(content, base);
      await put('a', 'alpha', 0o600);
      const mode = await keyOf();
      assert.notEqual(mode, base);
      assert.notEqual(mode, content);
      await chmod(join(context, 'a'), 0o644);
      assert.equal(await keyOf(), base);
      await rm(join(context, 'link'));
      await symlink('b', join(context, 'link'));
      assert.notEqual(await keyOf(), base, 'link target');
      await rm(join(context, 'link'));
      await symlink('a', join(context, 'link'));
      assert.equal(await keyOf(), base);
      await put('b', 'alpha');
      await rm(join(context, 'a'));
      assert.notEqual(await keyOf(), base, 'path');
    });

    it('saves and loads the digests; a changed file misses; only what was used is kept', async () => {
      await put('a', 'alpha');
      await put('b', 'beta');
      const path = join(cacheDir, 'sub', 'files.json');
      const entries = await entriesOf();
      const first = await FileDigestCache.load(path);
      await writeLayer(store, entries, { digests: first });
      await first.save();
      const loaded = await FileDigestCache.load(path);
      const key = copyCacheKey('p', OP_DIGEST, entries, loaded);
      assert.ok(key);
      assert.equal(key, copyCacheKey('p', OP_DIGEST, entries, first));
      assert.deepEqual(await readdir(join(cacheDir, 'sub')), ['files.json'], 'no temp file left');

      // New content and mtime: the stat differs, so the old digest is not used.
      await put('a', 'ALPHA!', 0o644, SECONDS + 5);
      const changed = await entriesOf();
      const again = await FileDigestCache.load(path);
      assert.equal(again.lookup(changed.find((e) => e.path === 'data/a') as LayerEntry), undefined);
      assert.equal(copyCacheKey('p', OP_DIGEST, changed, again), undefined);

      // Only b was used in this run: a's stale record is dropped on save.
      const onlyB = changed.filter((e) => e.path !== 'data/a');
      assert.ok(again.lookup(onlyB.find((e) => e.path === 'data/b') as LayerEntry));
      await again.save();
      const saved = JSON.parse(await readFile(path, 'utf8')) as { files: Record<string, unknown> };
      assert.deepEqual(Object.keys(saved.files), [join(await realpath(context), 'b')]);
    });

    it('treats a missing or corrupt cache file as empty, and saves nothing when nothing changed', async () => {
      await put('a', 'alpha');
      const path = join(cacheDir, 'files.json');
      await writeFile(path, '{not json');
      const corrupt = await FileDigestCache.load(path);
      assert.equal(copyCacheKey('p', OP_DIGEST, await entriesOf(), corrupt), undefined);
      await corrupt.save();
      assert.equal(await readFile(path, 'utf8'), '{not json');
      const missing = await FileDigestCache.load(join(cacheDir, 'none', 'files.json'));
      await missing.save();
      assert.deepEqual(await readdir(cacheDir), ['files.json']);
    });
  });

  describe('failures', () => {
    async function assertNothingStored(before: { tmp: string[]; blobs: string[] }): Promise<void> {
      const after = await storeFiles();
      assert.deepEqual(after.tmp, [], 'no temp file left');
      assert.deepEqual(after.blobs, before.blobs, 'no new blob');
    }

    for (const workers of [0, 2]) {
      it(`stops on abort and leaves no temp file or blob (${workers ? 'workers' : 'one thread'})`, async () => {
        await many('', 2100, () => randomBytes(2000));
        await put('big', randomBytes(8 << 20));
        const entries = await entriesOf();
        const before = await storeFiles();
        const controller = new AbortController();
        let seen = 0;
        await assert.rejects(
          writeLayer(store, entries, {
            digests: await freshDigests(),
            signal: controller.signal,
            workers,
            onBytes: (bytes) => {
              seen += bytes;
              if (seen > 2 << 20) controller.abort();
            },
          }),
          (error: unknown) => error instanceof RuntimeError && error.code === 'INTERRUPTED',
        );
        await assertNothingStored(before);
        const aborted = new AbortController();
        aborted.abort();
        await assert.rejects(writeLayer(store, entries, { digests: await freshDigests(), signal: aborted.signal, workers }), /interrupted/);
        await assertNothingStored(before);
      });

      it(`fails when a file changes size while it is copied (${workers ? 'workers' : 'one thread'})`, async () => {
        await many('', 2100, () => 'x');
        await put('grows', 'small');
        await put('shrinks', 'x'.repeat(5000));
        const entries = await entriesOf();
        const before = await storeFiles();
        await writeFile(join(context, 'grows'), 'small, and then some more');
        await assert.rejects(
          writeLayer(store, entries, { digests: await freshDigests(), workers }),
          (error: unknown) => error instanceof RuntimeError && error.code === 'SOURCE' && error.message.endsWith('/grows changed while it was being copied'),
        );
        await writeFile(join(context, 'grows'), 'small');
        await truncate(join(context, 'shrinks'), 100);
        const shrinks = join(await realpath(context), 'shrinks');
        await assert.rejects(
          writeLayer(store, entries, { digests: await freshDigests(), workers }),
          (error: unknown) => error instanceof RuntimeError && error.message === `${shrinks} changed while it was being copied`,
        );
        await put('shrinks', 'x'.repeat(5000));
        await rm(join(context, 'f7'));
        await assert.rejects(writeLayer(store, entries, { digests: await freshDigests(), workers }), /f7 changed while it was being copied/);
        await assertNothingStored(before);
      });
    }

    it('the workers kept between layers write each one whole, after a layer that failed in them too', async () => {
      await many('', 2100, (i) => `file ${i}\n`);
      await put('big', randomBytes(12 << 20));
      const entries = await entriesOf();
      const expected = (await write(entries, { workers: 0 })).layer.descriptor.digest;
      for (let round = 0; round < 3; round++) {
        assert.equal((await write(entries, { workers: 2 })).layer.descriptor.digest, expected, `round ${round}`);
        assert.equal((await write(entries, { workers: 2 })).layer.descriptor.digest, expected, `round ${round}, next layer`);
        await rm(join(context, 'f7'));
        await assert.rejects(write(entries, { workers: 2 }), /f7 changed while it was being copied/);
        writeFileSync(join(context, 'f7'), 'file 7\n');
      }
    });
  });
});
