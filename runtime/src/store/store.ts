/**
 * The image store: an OCI image layout (`oci-layout`, `index.json`, `blobs/sha256/`) that any OCI
 * tool can read, plus the store's own working directories beside it (`tmp/`, `locks/`, `leases/`,
 * `cache/`), which those tools ignore.
 *
 * Crash safety: a blob is written to `tmp/`, fsynced, checked against its digest and renamed into
 * `blobs/`; `index.json` is replaced by rename under a lock. A process killed at any point leaves
 * at worst a temp file (removed by the next `open`), an unreferenced blob (removed by `prune`) or a
 * stale lock (broken by the next taker), never a half-written blob or index.
 */
import { createHash, randomBytes } from 'node:crypto';
import { constants, createReadStream, existsSync, type ReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, statfs, unlink, utimes, writeFile, type FileHandle } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { digestHex, isDigest, sha256Digest, type Digest } from '../image/digest.js';
import { errnoCode, RuntimeError } from '../errors.js';
import { ALIGNED_BUFFER_BYTES, returnAlignedBuffers, takeAlignedBuffers } from './aligned-buffers.js';
import { processIsDead, withLock } from './lock.js';
import { normalizeImageName } from '../image/names.js';
import { ANNOTATION, isIndexMediaType, MEDIA_TYPE, OCI_LAYOUT_VERSION, type Descriptor, type OciIndex } from '../image/oci.js';

export interface BlobRef {
  digest: Digest;
  size: number;
  /** False when the store already had this blob (the new copy was dropped). */
  created?: boolean;
}

/** What a blob must turn out to be; a mismatch is an error and the blob is not stored. */
export interface ExpectedBlob {
  digest?: Digest;
  size?: number;
}

/** An `index.json` entry that names an image. */
export interface StoredImage {
  name: string;
  descriptor: Descriptor;
  created?: string;
}

/** Whether a store is at `root` (its index.json): what reads it (listings, the editor's hovers) must not create one. */
export function hasStore(root: string): boolean {
  return existsSync(join(root, 'index.json'));
}

/** `--root`, else `KUBEFILE_ROOT`, else `/var/lib/kubefile` for root and `$XDG_DATA_HOME/kubefile` for others. */
export function defaultStoreRoot(env: NodeJS.ProcessEnv = process.env, uid: number | undefined = process.getuid?.()): string {
  if (env.KUBEFILE_ROOT) return env.KUBEFILE_ROOT;
  if (uid === 0) return '/var/lib/kubefile';
  return join(env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'kubefile');
}

export class ImageStore {
  readonly root: string;

  private constructor(root: string) {
    this.root = root;
  }

  /**
   * Opens (creating it when missing) the store at `root` and removes what dead processes left in
   * `tmp/` and `leases/`. A root that cannot hold a store (a file, a read-only or full file system,
   * no permission) is the user's to fix: a `RuntimeError` naming the root and the cause.
   */
  static async open(root: string): Promise<ImageStore> {
    try {
      return await ImageStore.openRoot(root);
    } catch (error) {
      const code = errnoCode(error);
      if (error instanceof RuntimeError || code === undefined) throw error;
      throw new RuntimeError('IO', `cannot use ${root} as the store: ${STORE_ERRORS[code] ?? (error instanceof Error ? error.message : String(error))}`);
    }
  }

  private static async openRoot(root: string): Promise<ImageStore> {
    // Absolute: mount points under tmp/ are found by path in /proc/self/mountinfo.
    root = resolve(root);
    const store = new ImageStore(root);
    // Component by component: a recursive mkdir reports ENOENT where the file system is read-only.
    await makeDirectories(root);
    for (const dir of [store.blobDir, store.tmpDir, store.dir('locks'), store.dir('leases'), store.dir('cache'), store.dir('downloads')]) await mkdir(dir, { recursive: true });
    await writeIfMissing(join(root, 'oci-layout'), `${JSON.stringify({ imageLayoutVersion: OCI_LAYOUT_VERSION })}\n`);
    if (!(await exists(store.indexPath))) {
      await withLock(store.lockPath, async () => {
        if (!(await exists(store.indexPath))) await store.replaceFile(store.indexPath, indexText({ schemaVersion: 2, mediaType: MEDIA_TYPE.index, manifests: [] }));
      });
    }
    await store.removeLeftovers();
    return store;
  }

  dir(name: string): string {
    return join(this.root, name);
  }

  get indexPath(): string {
    return join(this.root, 'index.json');
  }

  private get blobDir(): string {
    return join(this.root, 'blobs', 'sha256');
  }

  private get tmpDir(): string {
    return this.dir('tmp');
  }

  private get lockPath(): string {
    return join(this.dir('locks'), 'index.lock');
  }

  /** A fresh path in `tmp/`, named after this process so a later run can tell whether its owner is gone. */
  tempPath(suffix = ''): string {
    return join(this.tmpDir, `${process.pid}.${randomBytes(6).toString('hex')}${suffix}`);
  }

  blobPath(digest: Digest): string {
    if (!isDigest(digest)) throw new RuntimeError('INVALID_IMAGE', `not a sha256 digest: ${JSON.stringify(digest)}`);
    return join(this.blobDir, digestHex(digest));
  }

  async hasBlob(digest: Digest): Promise<boolean> {
    return exists(this.blobPath(digest));
  }

  async blobSize(digest: Digest): Promise<number | undefined> {
    try {
      return (await stat(this.blobPath(digest))).size;
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return undefined;
      throw error;
    }
  }

  /** Marks a blob as just used, so a `prune` running beside a build that reuses it keeps it. */
  async touchBlob(digest: Digest): Promise<void> {
    const now = new Date();
    await utimes(this.blobPath(digest), now, now);
  }

  async readBlob(digest: Digest): Promise<Buffer> {
    try {
      return await readFile(this.blobPath(digest));
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') throw new RuntimeError('INVALID_IMAGE', `blob ${digest} is missing from the store ${this.root}`);
      throw error;
    }
  }

  blobStream(digest: Digest): ReadStream {
    return createReadStream(this.blobPath(digest));
  }

  async readJson<T>(digest: Digest): Promise<T> {
    const bytes = await this.readBlob(digest);
    try {
      return JSON.parse(bytes.toString('utf8')) as T;
    } catch {
      throw new RuntimeError('INVALID_IMAGE', `blob ${digest} is not JSON`);
    }
  }

  /**
   * Whether blobs are written with O_DIRECT here: on the local disk file systems that take it.
   * Elsewhere (a network file system, where each direct write waits for the server; overlayfs,
   * tmpfs) through the page cache.
   */
  writesDirectly(): Promise<boolean> {
    this.directWrites ??= statfs(this.tmpDir).then(
      (stats) => DIRECT_WRITE_FILE_SYSTEMS.has(stats.type),
      () => false,
    );
    return this.directWrites;
  }

  private directWrites: Promise<boolean> | undefined;

  /** A writer for one new blob: write or pipe into it, then `commit()` (or `abort()`). */
  async createBlobWriter(): Promise<BlobWriter> {
    const path = this.tempPath();
    return new BlobWriter(await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644), path, this);
  }

  async writeBlob(data: Uint8Array | string | AsyncIterable<Uint8Array> | NodeJS.ReadableStream, expected?: ExpectedBlob): Promise<BlobRef> {
    // Bytes in hand with a known digest already stored: nothing to write (a no-change rebuild's configs).
    if (expected?.digest !== undefined && (typeof data === 'string' || data instanceof Uint8Array)) {
      const size = await this.blobSize(expected.digest);
      if (size !== undefined && size === Buffer.byteLength(data)) {
        await this.touchBlob(expected.digest);
        return { digest: expected.digest, size, created: false };
      }
    }
    const writer = await this.createBlobWriter();
    try {
      if (typeof data === 'string' || data instanceof Uint8Array) writer.end(data);
      else await pipeline(data, writer);
      return await writer.commit(expected);
    } catch (error) {
      await writer.abort();
      throw error;
    }
  }

  /** Stores a JSON document exactly as `text` (digests are over these bytes) and describes it. */
  async putJson(value: unknown, mediaType: string, extra?: Partial<Descriptor>): Promise<Descriptor> {
    const text = JSON.stringify(value);
    const ref = await this.writeBlob(text, { digest: sha256Digest(text) });
    return { mediaType, digest: ref.digest, size: ref.size, ...extra };
  }

  /** Moves a committed temp file into `blobs/` (called by `BlobWriter`). */
  async adoptBlob(tempPath: string, digest: Digest): Promise<boolean> {
    const target = this.blobPath(digest);
    if (await exists(target)) {
      // Same digest, same bytes: keep the one there (someone may be reading it).
      await unlink(tempPath).catch(() => undefined);
      await this.touchBlob(digest).catch(() => undefined);
      return false;
    }
    await rename(tempPath, target);
    // The directory entry is made durable once, before an index names the blob (`updateIndex`).
    this.blobDirDirty = true;
    return true;
  }

  /** Renames into `blobs/` not yet synced to disk. */
  private blobDirDirty = false;

  async readIndex(): Promise<OciIndex> {
    let text: string;
    try {
      text = await readFile(this.indexPath, 'utf8');
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return { schemaVersion: 2, mediaType: MEDIA_TYPE.index, manifests: [] };
      throw error;
    }
    try {
      const index = JSON.parse(text) as OciIndex;
      if (!Array.isArray(index.manifests)) throw new Error('no manifests');
      return index;
    } catch {
      throw new RuntimeError('INVALID_IMAGE', `${this.indexPath} is not an OCI image index`);
    }
  }

  /**
   * Reads, changes and atomically replaces `index.json` under the store lock. `change` may modify the
   * index in place; whatever it returns is passed back.
   */
  async updateIndex<T>(change: (index: OciIndex) => T | Promise<T>): Promise<T> {
    return withLock(this.lockPath, async () => {
      const index = await this.readIndex();
      const result = await change(index);
      // Power loss must not leave index.json naming a blob whose rename was lost.
      if (this.blobDirDirty) {
        this.blobDirDirty = false;
        await syncDirectory(this.blobDir);
      }
      await this.replaceFile(this.indexPath, indexText(index));
      return result;
    });
  }

  /** Runs `work` under the store lock without changing the index (prune, cache bookkeeping). */
  async locked<T>(work: () => Promise<T>): Promise<T> {
    return withLock(this.lockPath, work);
  }

  async listImages(): Promise<StoredImage[]> {
    const index = await this.readIndex();
    const images: StoredImage[] = [];
    for (const descriptor of index.manifests) {
      const name = descriptor.annotations?.[ANNOTATION.refName];
      if (name) images.push({ name, descriptor, created: descriptor.annotations?.[ANNOTATION.created] });
    }
    return images.sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The image named `name` (`latest` when no tag is given), or undefined. */
  async findImage(name: string): Promise<StoredImage | undefined> {
    const wanted = normalizeImageName(name);
    return (await this.listImages()).find((image) => image.name === wanted);
  }

  async getImage(name: string): Promise<StoredImage> {
    const image = await this.findImage(name);
    if (!image) throw new RuntimeError('IMAGE_NOT_FOUND', `image ${normalizeImageName(name)} is not in the store ${this.root} (see kubefilec images)`);
    return image;
  }

  /** Points `name` at `descriptor` (an index or manifest already stored), replacing what it named before. */
  async setImage(name: string, descriptor: Descriptor, created = new Date().toISOString()): Promise<StoredImage> {
    const full = normalizeImageName(name);
    if (!(await this.hasBlob(descriptor.digest))) throw new RuntimeError('INVALID_IMAGE', `cannot name ${full}: blob ${descriptor.digest} is not in the store`);
    const [image] = await this.setImages([{ name: full, descriptor, created }]);
    return image;
  }

  /** Names several images in one index update: all of them get their names, or none does. */
  async setImages(images: readonly { name: string; descriptor: Descriptor; created: string }[]): Promise<StoredImage[]> {
    return this.updateIndex((index) =>
      images.map(({ name, descriptor, created }) => {
        const full = normalizeImageName(name);
        const entry: Descriptor = {
          mediaType: descriptor.mediaType,
          digest: descriptor.digest,
          size: descriptor.size,
          ...(descriptor.platform && !isIndexMediaType(descriptor.mediaType) ? { platform: descriptor.platform } : {}),
          annotations: { ...descriptor.annotations, [ANNOTATION.refName]: full, [ANNOTATION.created]: created },
        };
        index.manifests = index.manifests.filter((item) => item.annotations?.[ANNOTATION.refName] !== full);
        index.manifests.push(entry);
        return { name: full, descriptor: entry, created };
      }),
    );
  }

  /** Removes the name; its blobs stay until `prune`. Returns false when there was no such image. */
  async removeImage(name: string): Promise<boolean> {
    const full = normalizeImageName(name);
    return this.updateIndex((index) => {
      const before = index.manifests.length;
      index.manifests = index.manifests.filter((item) => item.annotations?.[ANNOTATION.refName] !== full);
      return index.manifests.length !== before;
    });
  }

  /**
   * Registers a running build: `prune` keeps every blob written or touched after the oldest live
   * lease began. Release it when the build ends; a killed build's lease is ignored (its pid is dead).
   */
  async lease(): Promise<() => Promise<void>> {
    const path = join(this.dir('leases'), `${process.pid}.${randomBytes(4).toString('hex')}`);
    await writeFile(path, `${Date.now()}\n`);
    return () => unlink(path).catch(() => undefined);
  }

  /** The start time of the oldest build still running, if any. */
  async oldestLiveLease(): Promise<number | undefined> {
    let oldest: number | undefined;
    for (const name of await readdir(this.dir('leases'))) {
      if (processIsDead(pidOf(name))) continue;
      const started = Number.parseInt(await readFile(join(this.dir('leases'), name), 'utf8').catch(() => ''), 10);
      const since = Number.isNaN(started) ? 0 : started;
      oldest = oldest === undefined ? since : Math.min(oldest, since);
    }
    return oldest;
  }

  async *blobDigests(): AsyncGenerator<Digest> {
    for (const name of await readdir(this.blobDir)) if (/^[a-f0-9]{64}$/.test(name)) yield `sha256:${name}`;
  }

  /** Writes `text` to `path` by temp file, fsync and rename, then syncs the directory. */
  async replaceFile(path: string, text: string): Promise<void> {
    const temp = this.tempPath();
    const handle = await open(temp, 'w', 0o644);
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await rename(temp, path);
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      throw error;
    }
    await syncDirectory(join(path, '..'));
  }

  private async removeLeftovers(): Promise<void> {
    for (const [dir, names] of [[this.tmpDir, await readdir(this.tmpDir)], [this.dir('leases'), await readdir(this.dir('leases'))]] as const) {
      // Directories too: a RUN step's root is one (`<pid>.<random>.run`).
      for (const name of names) {
        if (!processIsDead(pidOf(name))) continue;
        // A killed build's RUN root may still be mounted: unmount before removing, never remove through a mount.
        const { unmountUnder } = await import('../build/mount.js');
        await unmountUnder(join(dir, name));
        await rm(join(dir, name), { recursive: true, force: true }).catch(() => undefined);
      }
    }
  }
}

/**
 * Bytes written between the flushes a large blob starts while it is still being written. The kernel
 * starts writing dirty pages back only at a share of memory (gigabytes) or after 30 s, and a device
 * may hold what it was sent in its cache: without them all of a layer reaches the disk in the final
 * fsync, after the work that made it; with them the disk writes while the layer is still being made.
 */
const FLUSH_BYTES = 32 << 20;
/** Aligned buffers per writer: one being filled while the others are written. */
const DIRECT_BUFFERS = 4;
/** Undefined where the platform has no O_DIRECT (macOS). */
const O_DIRECT: number | undefined = constants.O_DIRECT;
/** statfs magic numbers: ext2/3/4, XFS, btrfs. */
const DIRECT_WRITE_FILE_SYSTEMS: ReadonlySet<number> = new Set([0xef53, 0x58465342, 0x9123683e]);

/**
 * A blob being written: hashes what passes through, and only becomes a blob on `commit`. Its bytes
 * are gathered in page-aligned 4 MiB buffers written with O_DIRECT (several at once) where the
 * store's file system takes that (`writesDirectly`), through the page cache otherwise; the last
 * partial buffer always goes through the page cache, so a blob of any size ends as it should.
 */
export class BlobWriter extends Writable {
  readonly path: string;
  private readonly handle: FileHandle;
  private readonly store: ImageStore;
  private readonly hash = createHash('sha256');
  private written = 0;
  private handleClosed = false;
  /** The file offset of the next buffer: every byte before it is written or being written. */
  private position = 0;
  /** The aligned buffers this writer holds (none when the pool had none): free, being filled or being written. */
  private readonly aligned: Buffer[];
  private readonly free: Buffer[];
  private filling: Buffer | undefined;
  private filled = 0;
  /** The file opened again with O_DIRECT, at the first full buffer; undefined where it is not. */
  private directOpening: Promise<FileHandle | undefined> | undefined;
  /** A direct write was refused (EINVAL): the rest goes through the page cache. */
  private directRefused = false;
  /** Buffer writes under way; they never reject: a failure is kept in `writeFailure`. */
  private readonly writing = new Set<Promise<void>>();
  private writeFailure: Error | undefined;
  /** Bytes written since the last flush started. */
  private unflushed = 0;
  /** The flush under way (at most one); it never rejects: a failure is kept in `flushFailure`. */
  private flushing: Promise<void> | undefined;
  private flushFailure: Error | undefined;

  constructor(handle: FileHandle, path: string, store: ImageStore) {
    super({ highWaterMark: 1 << 20 });
    this.handle = handle;
    this.path = path;
    this.store = store;
    this.aligned = takeAlignedBuffers(DIRECT_BUFFERS);
    this.free = [...this.aligned];
  }

  get size(): number {
    return this.written;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.accept(chunk).then(() => callback(), callback);
  }

  override _writev(chunks: { chunk: Buffer }[], callback: (error?: Error | null) => void): void {
    const acceptAll = async (): Promise<void> => {
      for (const { chunk } of chunks) await this.accept(chunk);
    };
    acceptAll().then(() => callback(), callback);
  }

  /** Hashes `chunk` and copies it into the aligned buffers (or, without any, writes it); `chunk` is free again once this settles. */
  private async accept(chunk: Buffer): Promise<void> {
    if (this.aligned.length === 0) {
      // The write runs on libuv's thread pool; hashing meanwhile overlaps the two.
      const writing = writeFully(this.handle, chunk, chunk.length, this.position);
      this.position += chunk.length;
      this.hash.update(chunk);
      this.written += chunk.length;
      await writing;
      this.wrote(chunk.length);
      return;
    }
    this.hash.update(chunk);
    this.written += chunk.length;
    for (let offset = 0; offset < chunk.length; ) {
      this.filling ??= await this.freeBuffer();
      const copied = chunk.copy(this.filling, this.filled, offset);
      this.filled += copied;
      offset += copied;
      if (this.filled === ALIGNED_BUFFER_BYTES) this.submit();
    }
  }

  /** An aligned buffer to fill, once one is written if all are; throws once a write failed or the writer closed. */
  private async freeBuffer(): Promise<Buffer> {
    for (;;) {
      if (this.writeFailure) throw this.writeFailure;
      // Checked after every wait: a buffer filled after close could already be another writer's.
      if (this.handleClosed) throw new Error(`blob writer ${this.path} is closed`);
      const buffer = this.free.pop();
      if (buffer) return buffer;
      await Promise.race(this.writing);
    }
  }

  /** Starts writing the buffer being filled at its place in the file. */
  private submit(): void {
    const buffer = this.filling!;
    const length = this.filled;
    const position = this.position;
    this.filling = undefined;
    this.filled = 0;
    this.position += length;
    const write: Promise<void> = this.writeBuffer(buffer, length, position)
      .then(
        () => this.wrote(length),
        (error: Error) => {
          this.writeFailure ??= error;
        },
      )
      .finally(() => {
        this.writing.delete(write);
        this.free.push(buffer);
      });
    this.writing.add(write);
  }

  private async writeBuffer(buffer: Buffer, length: number, position: number): Promise<void> {
    const direct = length === ALIGNED_BUFFER_BYTES && !this.directRefused ? await this.openDirect() : undefined;
    if (direct) {
      try {
        await writeFully(direct, buffer, length, position);
        return;
      } catch (error) {
        // A file system that opens with O_DIRECT but will not write so: the page cache it is.
        if (errnoCode(error) !== 'EINVAL') throw error;
        this.directRefused = true;
      }
    }
    await writeFully(this.handle, buffer, length, position);
  }

  private openDirect(): Promise<FileHandle | undefined> {
    this.directOpening ??= this.openWithDirect();
    return this.directOpening;
  }

  /** The file opened again with O_DIRECT, where the platform and the store's file system take it. */
  private async openWithDirect(): Promise<FileHandle | undefined> {
    if (O_DIRECT === undefined || !(await this.store.writesDirectly())) return undefined;
    return open(this.path, constants.O_WRONLY | O_DIRECT).catch(() => undefined);
  }

  /** After a write: enough new bytes start the next flush (not waited for). */
  private wrote(bytes: number): void {
    this.unflushed += bytes;
    if (this.unflushed < FLUSH_BYTES || this.flushing || this.flushFailure) return;
    this.unflushed = 0;
    this.flushing = this.handle.datasync().then(
      () => {
        this.flushing = undefined;
      },
      (error: Error) => {
        this.flushFailure = error;
        this.flushing = undefined;
      },
    );
  }

  /** Waits for the buffer writes under way; throws the first that failed. */
  private async drain(): Promise<void> {
    while (this.writing.size > 0) await Promise.all(this.writing);
    if (this.writeFailure) throw this.writeFailure;
  }

  /** Ends the stream, syncs, checks `expected` and moves the blob into place. */
  async commit(expected?: ExpectedBlob): Promise<BlobRef> {
    if (!this.writableEnded) this.end();
    await finished(this);
    await this.drain();
    if (this.filling && this.filled > 0) {
      await writeFully(this.handle, this.filling, this.filled, this.position);
      this.position += this.filled;
      this.filled = 0;
    }
    await this.flushing;
    if (this.flushFailure) throw this.flushFailure;
    await this.handle.sync();
    await this.close();
    const digest: Digest = `sha256:${this.hash.digest('hex')}`;
    if (expected?.size !== undefined && expected.size !== this.written) {
      await unlink(this.path).catch(() => undefined);
      throw new RuntimeError('DIGEST_MISMATCH', `blob ${expected.digest ?? digest} should be ${expected.size} bytes but ${this.written} were read`);
    }
    if (expected?.digest !== undefined && expected.digest !== digest) {
      await unlink(this.path).catch(() => undefined);
      throw new RuntimeError('DIGEST_MISMATCH', `blob content does not match its digest: expected ${expected.digest}, got ${digest}`);
    }
    const created = await this.store.adoptBlob(this.path, digest);
    return { digest, size: this.written, created };
  }

  /** Drops the temp file. Safe to call more than once, and after a failed commit. */
  async abort(): Promise<void> {
    if (!this.destroyed) this.destroy();
    await this.close();
    await unlink(this.path).catch(() => undefined);
  }

  private async close(): Promise<void> {
    if (this.handleClosed) return;
    this.handleClosed = true;
    while (this.writing.size > 0) await Promise.all(this.writing);
    await this.flushing;
    await (await this.directOpening)?.close();
    await this.handle.close();
    // Only now: no write reads them any more, and no chunk is copied into them after close.
    returnAlignedBuffers(this.aligned);
  }
}

/** Writes `length` bytes of `buffer` at `position`, however many calls that takes. */
async function writeFully(handle: FileHandle, buffer: Buffer, length: number, position: number): Promise<void> {
  for (let done = 0; done < length; ) {
    const { bytesWritten } = await handle.write(buffer, done, length - done, position + done);
    if (bytesWritten === 0) throw new RuntimeError('IO', `no progress writing ${length} bytes at ${position}`);
    done += bytesWritten;
  }
}

/** `mkdir -p`, one directory at a time, so that the error is the real one (EROFS, EACCES, ENOTDIR). */
async function makeDirectories(path: string): Promise<void> {
  const parent = resolve(path, '..');
  try {
    await mkdir(path);
  } catch (error) {
    if (errnoCode(error) === 'EEXIST') return;
    if (errnoCode(error) !== 'ENOENT' || parent === path) throw error;
    await makeDirectories(parent);
    await mkdir(path).catch((again: unknown) => {
      if (errnoCode(again) !== 'EEXIST') throw again;
    });
  }
}

/** The causes a store root can give, in words. */
const STORE_ERRORS: Record<string, string> = {
  ENOTDIR: 'not a directory',
  EISDIR: 'a directory where the store keeps a file',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EEXIST: 'a file is in the way',
  ENAMETOOLONG: 'path too long',
  ELOOP: 'too many levels of symbolic links',
  EIO: 'input/output error',
};

function pidOf(name: string): number {
  return Number.parseInt(name, 10);
}

function indexText(index: OciIndex): string {
  return `${JSON.stringify(index, null, 2)}\n`;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return false;
    throw error;
  }
}

async function writeIfMissing(path: string, text: string): Promise<void> {
  try {
    await writeFile(path, text, { flag: 'wx' });
  } catch (error) {
    if (errnoCode(error) !== 'EEXIST') throw error;
  }
}

async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
