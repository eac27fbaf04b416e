/**
 * OCI archives: a tar of an OCI image layout (`oci-layout`, `index.json`, `blobs/sha256/<hex>`), as
 * `skopeo copy ... oci-archive:FILE` writes and reads it.
 *
 * `saveArchive` writes one deterministically (sorted entries, fixed owners, modes and times), so
 * saving the same images twice gives the same bytes. `loadArchive` and `importLayoutImage` stream
 * one into the store without extracting it: each blob goes straight into a `BlobWriter` that checks
 * it against the digest its path names. Nothing in the archive is trusted: paths, entry types,
 * sizes and digests are all checked, and a load that fails removes the blobs it added.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Header, Parser, type ReadEntry } from 'tar';
import { digestHex, sha256Digest, type Digest } from './digest.js';
import { errnoCode, interrupted, RuntimeError, throwIfAborted } from './errors.js';
import { platformImages, selectPlatform } from './image.js';
import { collectBlobs } from './images.js';
import {
  importFromDirectory,
  inStore,
  layoutFault,
  MAX_INDEX_BYTES,
  parseLayout,
  importing,
  removeBlobs,
  selectLayoutEntry,
  walkImage,
  type LayoutFault,
} from './layout-import.js';
import { normalizeImageName } from './names.js';
import { ANNOTATION, isIndexMediaType, MEDIA_TYPE, OCI_LAYOUT_VERSION, type Descriptor, type OciIndex } from './oci.js';
import type { ImageStore, StoredImage } from './store.js';

export interface SaveOptions {
  /** Keep only these platforms of each image (any `--platform` spelling). */
  platforms?: string[];
  signal?: AbortSignal;
}

export interface SaveResult {
  /** Size of the archive written. */
  bytes: number;
  /** The names saved, normalized, in archive order. */
  images: string[];
}

/** The name docker (25+) and containerd give an image in an OCI archive; their ref.name is only the tag. */
const CONTAINERD_NAME = 'io.containerd.image.name';

const BLOCK = 512;

/**
 * Writes the images `names` to `file` as an OCI archive. The file appears only when complete: it is
 * written beside the target under a temporary name and renamed over it at the end.
 */
export async function saveArchive(store: ImageStore, names: string[], file: string, options: SaveOptions = {}): Promise<SaveResult> {
  const { signal } = options;
  if (names.length === 0) throw new RuntimeError('INVALID_NAME', 'name at least one image to save');
  const entries: Descriptor[] = [];
  const saved: string[] = [];
  // digest → size of every blob the archive holds; `made` holds the ones only the archive has.
  const blobs = new Map<Digest, number>();
  const made = new Map<Digest, Buffer>();
  for (const name of names) {
    throwIfAborted(signal);
    const image = await store.getImage(name);
    if (saved.includes(image.name)) continue;
    saved.push(image.name);
    let descriptor = image.descriptor;
    if (options.platforms && options.platforms.length > 0) {
      const all = await platformImages(store, image.descriptor);
      const keys = new Set(options.platforms.map((platform) => selectPlatform(all, platform, image.name).key));
      const manifests: Descriptor[] = [];
      for (const platformImage of all) {
        if (!keys.delete(platformImage.key)) continue; // not wanted, or already listed
        manifests.push(platformImage.descriptor);
        await collectBlobs(store, platformImage.descriptor, blobs);
      }
      const old = isIndexMediaType(image.descriptor.mediaType) ? await store.readJson<OciIndex>(image.descriptor.digest) : undefined;
      const index: OciIndex = { schemaVersion: 2, mediaType: MEDIA_TYPE.index, manifests, ...(old?.annotations ? { annotations: old.annotations } : {}) };
      const bytes = Buffer.from(JSON.stringify(index));
      const digest = sha256Digest(bytes);
      made.set(digest, bytes);
      blobs.set(digest, bytes.length);
      descriptor = { mediaType: MEDIA_TYPE.index, digest, size: bytes.length, annotations: image.descriptor.annotations };
    } else {
      await collectBlobs(store, descriptor, blobs);
    }
    entries.push(archiveEntry(descriptor, image.name));
  }
  // Check every blob before writing anything, so a broken image fails fast and leaves no file.
  for (const [digest, size] of blobs) {
    if (made.has(digest)) continue;
    const actual = await store.blobSize(digest);
    if (actual === undefined) throw new RuntimeError('INVALID_IMAGE', `blob ${digest} is missing from the store ${store.root}; cannot save ${saved.join(', ')}`);
    if (actual !== size) throw new RuntimeError('INVALID_IMAGE', `blob ${digest} in the store is ${actual} bytes, but the image says ${size}`);
  }
  const index: OciIndex = { schemaVersion: 2, mediaType: MEDIA_TYPE.index, manifests: entries };
  const files: ArchiveFile[] = [
    { path: 'blobs/', directory: true },
    { path: 'blobs/sha256/', directory: true },
    ...[...blobs.keys()].sort().map((digest): ArchiveFile => ({ path: `blobs/sha256/${digestHex(digest)}`, digest, size: blobs.get(digest) ?? 0, data: made.get(digest) })),
    { path: 'index.json', data: Buffer.from(`${JSON.stringify(index, null, 2)}\n`) },
    { path: 'oci-layout', data: Buffer.from(`${JSON.stringify({ imageLayoutVersion: OCI_LAYOUT_VERSION })}\n`) },
  ];
  const bytes = await writeAtomically(file, (handle) => writeTar(store, handle, files, signal));
  return { bytes, images: saved };
}

/**
 * Loads every image of the OCI archive `file` into the store under the names its `index.json` gives
 * them (`org.opencontainers.image.ref.name`), replacing what those names pointed at. All or nothing:
 * on any error the store's names and blobs are as they were.
 */
export async function loadArchive(store: ImageStore, file: string, options: { signal?: AbortSignal } = {}): Promise<StoredImage[]> {
  const { signal } = options;
  const fault = layoutFault('INVALID_ARCHIVE', file);
  return importing(store, async (created) => {
    const contents = await readArchive(store, file, created, signal);
    const entries = layoutEntries(contents, file, fault);
    if (entries.length === 0) throw fault('the archive holds no images (its index.json lists none)');
    const named = nameEntries(entries, file);
    for (const entry of entries) await walkImage(store, entry, inStore(store, fault, 'is neither in the archive nor in the store'), fault, signal);
    throwIfAborted(signal);
    // One index update for all names: either the archive's images all get their names, or none does.
    return store.setImages(named.map(({ name, descriptor }) => ({ name, descriptor, created: descriptor.annotations?.[ANNOTATION.created] ?? new Date().toISOString() })));
  });
}

/** For FROM oci-archive:PATH and FROM oci:DIR[:TAG]: imports the selected image's blobs into the store (unnamed) and returns its descriptor (index or manifest). */
export async function importLayoutImage(
  store: ImageStore,
  source: { archive: string } | { dir: string },
  reference?: string,
  options: { signal?: AbortSignal } = {},
): Promise<Descriptor> {
  const { signal } = options;
  if ('dir' in source) return importFromDirectory(store, source.dir, reference, signal);
  const file = source.archive;
  const fault = layoutFault('INVALID_ARCHIVE', file);
  return importing(store, async (created) => {
    const contents = await readArchive(store, file, created, signal);
    const entry = selectLayoutEntry(layoutEntries(contents, file, fault), reference, `OCI archive ${file}`);
    const reachable = await walkImage(store, entry, inStore(store, fault, 'is neither in the archive nor in the store'), fault, signal);
    // The archive is streamed, so its other images' blobs were stored too; drop the ones this import added.
    await removeBlobs(store, created.filter((digest) => !reachable.has(digest)));
    return entry;
  });
}

// ---------------------------------------------------------------------------------------------
// writing

interface ArchiveFile {
  path: string;
  directory?: boolean;
  /** Content held in memory (index.json, oci-layout, filtered indexes). */
  data?: Buffer;
  /** Otherwise, a store blob of this size. */
  digest?: Digest;
  size?: number;
}

/** An `index.json` entry for the archive: fixed key order and sorted annotations, so the bytes depend only on the image. */
function archiveEntry(descriptor: Descriptor, name: string): Descriptor {
  const annotations: Record<string, string> = { ...descriptor.annotations, [ANNOTATION.refName]: name };
  const sorted: Record<string, string> = {};
  for (const key of Object.keys(annotations).sort()) sorted[key] = annotations[key];
  return {
    mediaType: descriptor.mediaType,
    digest: descriptor.digest,
    size: descriptor.size,
    ...(descriptor.platform ? { platform: descriptor.platform } : {}),
    annotations: sorted,
  };
}

async function writeTar(store: ImageStore, handle: FileHandle, files: readonly ArchiveFile[], signal: AbortSignal | undefined): Promise<void> {
  for (const file of files) {
    throwIfAborted(signal);
    const size = file.directory ? 0 : (file.data?.length ?? file.size ?? 0);
    const header = Buffer.alloc(BLOCK);
    // Owner root, mtime 0, no user/group names: nothing of the machine or the moment leaks in.
    new Header({
      path: file.path,
      type: file.directory ? 'Directory' : 'File',
      mode: file.directory ? 0o755 : 0o644,
      uid: 0,
      gid: 0,
      size,
      mtime: new Date(0),
    }).encode(header, 0);
    await handle.write(header);
    if (file.data) {
      await handle.write(file.data);
    } else if (file.digest) {
      let written = 0;
      for await (const chunk of store.blobStream(file.digest)) {
        throwIfAborted(signal);
        const buffer = chunk as Buffer;
        written += buffer.length;
        if (written > size) break;
        await handle.write(buffer);
      }
      if (written !== size) throw new RuntimeError('INVALID_IMAGE', `blob ${file.digest} changed while it was being saved`);
    }
    const padding = (BLOCK - (size % BLOCK)) % BLOCK;
    if (padding > 0) await handle.write(Buffer.alloc(padding));
  }
  // End of archive: two zero blocks.
  await handle.write(Buffer.alloc(2 * BLOCK));
}

/** Writes `file` through a temp file beside it, renamed into place only after `write` succeeds; returns its size. */
async function writeAtomically(file: string, write: (handle: FileHandle) => Promise<void>): Promise<number> {
  const temp = join(dirname(file), `.${basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let handle: FileHandle;
  try {
    handle = await open(temp, 'wx', 0o644);
  } catch (error) {
    throw ioError('write', file, error);
  }
  try {
    try {
      await write(handle);
      await handle.sync();
    } finally {
      await handle.close();
    }
    const { size } = await stat(temp);
    await rename(temp, file).catch((error: unknown) => {
      throw ioError('write', file, error);
    });
    return size;
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// reading

interface ArchiveContents {
  layout?: Buffer;
  index?: Buffer;
  /** Whether the archive has docker's `manifest.json`, for a better message when it is not OCI. */
  dockerManifest: boolean;
}

/** The archive's `index.json` entries, once it is known to be an OCI archive. */
function layoutEntries(contents: ArchiveContents, file: string, fault: LayoutFault): Descriptor[] {
  if (!contents.layout || !contents.index) {
    const missing = [contents.layout ? undefined : 'oci-layout', contents.index ? undefined : 'index.json'].filter((name) => name !== undefined).join(' and ');
    const docker = contents.dockerManifest ? ' It looks like a docker-archive (docker save);' : '';
    throw new RuntimeError(
      'INVALID_ARCHIVE',
      `${file} is not an OCI archive: it has no ${missing}.${docker} docker-archive files cannot be loaded yet; convert one with skopeo copy docker-archive:FILE oci-archive:OUT:NAME:TAG`,
    );
  }
  return parseLayout(contents.layout, contents.index, fault);
}

/** Each entry's image name, checked and normalized before anything is named. */
function nameEntries(entries: readonly Descriptor[], file: string): { name: string; descriptor: Descriptor }[] {
  const named: { name: string; descriptor: Descriptor }[] = [];
  for (const [i, descriptor] of entries.entries()) {
    const raw = descriptor.annotations?.[CONTAINERD_NAME] ?? descriptor.annotations?.[ANNOTATION.refName];
    if (raw === undefined) {
      throw new RuntimeError(
        'INVALID_ARCHIVE',
        `${file}: the archive's image ${i + 1} (${descriptor.digest}) has no name (no ${ANNOTATION.refName} annotation), so it cannot be loaded into the store; ` +
          `write the archive with a name (skopeo copy ... oci-archive:FILE:NAME:TAG), or use it directly as FROM oci-archive:FILE`,
      );
    }
    let name: string;
    try {
      name = normalizeImageName(raw);
    } catch (error) {
      throw new RuntimeError('INVALID_ARCHIVE', `${file}: the archive's image ${i + 1} has an unusable name: ${error instanceof Error ? error.message : String(error)}`);
    }
    const twice = named.find((item) => item.name === name);
    if (twice && twice.descriptor.digest !== descriptor.digest) throw new RuntimeError('INVALID_ARCHIVE', `${file}: the name ${name} is given to two different images`);
    if (!twice) named.push({ name, descriptor });
  }
  return named;
}

const BLOB_PATH = /^blobs\/sha256\/([a-f0-9]{64})$/;
const REGULAR = new Set(['File', 'OldFile', 'ContiguousFile']);
/** `oci-layout` is a one-line JSON document. */
const MAX_LAYOUT_BYTES = 64 << 10;

/**
 * Streams the tar `file`: blobs into the store (digest-checked; the digests the store did not have
 * are pushed onto `created` as they land, so the caller can undo them), `oci-layout` and
 * `index.json` into memory. Other regular files outside `blobs/` (docker's `manifest.json`,
 * `repositories`) and directories are skipped: they are harmless and are never written anywhere.
 * Anything else unexpected is an error.
 */
async function readArchive(store: ImageStore, file: string, created: Digest[], signal: AbortSignal | undefined): Promise<ArchiveContents> {
  throwIfAborted(signal);
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
    if ((await handle.stat()).isDirectory()) {
      await handle.close();
      throw new RuntimeError('INVALID_ARCHIVE', `${file} is a directory, not an OCI archive (use oci:${file} for an OCI layout directory)`);
    }
  } catch (error) {
    if (error instanceof RuntimeError) throw error;
    throw ioError('read', file, error);
  }
  const input = handle.createReadStream();
  const parser = new Parser({ strict: true });
  const contents: ArchiveContents = { dockerManifest: false };
  const invalid = (message: string) => new RuntimeError('INVALID_ARCHIVE', `${file}: ${message}`);
  const tasks: Promise<void>[] = [];
  const active = new Set<ReadEntry>();
  let failure: Error | undefined;
  let sawEnd = false;
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  // The first failure wins; reading stops and entries being stored are cut off.
  const fail = (error: unknown): void => {
    if (failure) return;
    failure = error instanceof Error ? error : new Error(String(error));
    input.unpipe(parser);
    input.destroy();
    for (const entry of active) entry.destroy();
    finish();
  };
  const stopped = () => failure;

  const readSmall = (entry: ReadEntry, limit: number, keep: (bytes: Buffer) => void): void => {
    if (entry.size > limit) throw invalid(`${entry.path} is ${entry.size} bytes, larger than any valid one (${limit})`);
    const chunks: Buffer[] = [];
    entry.on('data', (chunk: Buffer) => chunks.push(chunk));
    entry.on('end', () => keep(Buffer.concat(chunks)));
  };

  const onEntry = (entry: ReadEntry): void => {
    if (failure) {
      entry.resume();
      return;
    }
    if (signal?.aborted) throw interrupted();
    const path = archivePath(entry.path, invalid);
    switch (entry.type) {
      case 'SymbolicLink':
        throw invalid(`entry ${JSON.stringify(entry.path)} is a symbolic link (to ${JSON.stringify(entry.linkpath ?? '')}); an OCI archive holds only regular files and directories`);
      case 'Link':
        throw invalid(`entry ${JSON.stringify(entry.path)} is a hard link (to ${JSON.stringify(entry.linkpath ?? '')}); an OCI archive holds only regular files and directories`);
      case 'CharacterDevice':
      case 'BlockDevice':
        throw invalid(`entry ${JSON.stringify(entry.path)} is a device file; an OCI archive holds only regular files and directories`);
      case 'FIFO':
        throw invalid(`entry ${JSON.stringify(entry.path)} is a FIFO; an OCI archive holds only regular files and directories`);
      case 'Directory':
        entry.resume();
        return;
    }
    if (!REGULAR.has(entry.type)) throw invalid(`entry ${JSON.stringify(entry.path)} has unsupported type ${entry.type}`);
    if (path === 'oci-layout' || path === 'index.json') {
      if ((path === 'oci-layout' ? contents.layout : contents.index) !== undefined) throw invalid(`${path} appears twice`);
      return readSmall(entry, path === 'oci-layout' ? MAX_LAYOUT_BYTES : MAX_INDEX_BYTES, (bytes) => {
        if (path === 'oci-layout') contents.layout = bytes;
        else contents.index = bytes;
      });
    }
    if (path === 'blobs' || path.startsWith('blobs/')) {
      const match = BLOB_PATH.exec(path);
      if (!match) throw invalid(`entry ${JSON.stringify(entry.path)} is not a blob path (blobs/sha256/<64 lowercase hex digits>)`);
      const digest: Digest = `sha256:${match[1]}`;
      // Writing to an entry cut off by `fail` raises an error event; there is nothing left to tell.
      entry.on('error', () => undefined);
      active.add(entry);
      entry.on('end', () => active.delete(entry));
      const task = store.writeBlob(entryChunks(entry, stopped), { digest, size: entry.size }).then(
        (ref) => {
          if (ref.created) created.push(digest);
        },
        (error: unknown) => {
          if (error instanceof RuntimeError && error.code === 'DIGEST_MISMATCH') throw new RuntimeError('DIGEST_MISMATCH', `${file}: entry ${JSON.stringify(entry.path)}: ${error.message}`);
          throw error;
        },
      );
      tasks.push(task.catch(fail));
      return;
    }
    if (path === 'manifest.json') contents.dockerManifest = true;
    entry.resume();
  };

  const onAbort = () => fail(interrupted());
  signal?.addEventListener('abort', onAbort, { once: true });
  parser.on('entry', (entry: ReadEntry) => {
    try {
      onEntry(entry);
    } catch (error) {
      entry.on('error', () => undefined);
      entry.resume();
      fail(error);
    }
  });
  // Entries the parser skips on its own: types it does not know, oversized extended headers.
  parser.on('ignoredEntry', (entry: ReadEntry) => fail(invalid(`entry ${JSON.stringify(entry.path)} has unsupported type ${entry.type}`)));
  parser.on('eof', () => {
    sawEnd = true;
  });
  parser.on('error', (error: Error) => fail(tarError(error, file)));
  parser.on('end', () => finish());
  input.on('error', (error) => fail(ioError('read', file, error)));
  input.pipe(parser);
  try {
    await done;
    // Blobs still being committed must land (or fail) before the caller decides what to undo.
    await Promise.all(tasks);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    input.destroy();
  }
  if (failure) throw failure;
  if (!sawEnd) throw invalid('the archive is truncated (it has no end-of-archive marker)');
  return contents;
}

/** An entry's path with `./` and trailing slashes dropped; refuses absolute paths and `..`. */
function archivePath(raw: string, invalid: (message: string) => RuntimeError): string {
  if (raw.startsWith('/')) throw invalid(`entry ${JSON.stringify(raw)} has an absolute path`);
  const parts = raw.split('/');
  if (parts.includes('..')) throw invalid(`entry ${JSON.stringify(raw)} has a ".." path component`);
  while (parts[0] === '.') parts.shift();
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts.join('/');
}

/** A tar entry's data, stopping as soon as the read has failed (the entry will not end by itself then). */
async function* entryChunks(entry: ReadEntry, stopped: () => Error | undefined): AsyncGenerator<Buffer> {
  const iterator = entry[Symbol.asyncIterator]();
  for (;;) {
    const stop = stopped();
    if (stop) throw stop;
    const next = await iterator.next();
    if (Buffer.isBuffer(next.value)) yield next.value;
    if (next.done) return;
  }
}

/** node-tar's errors (strict mode), in the words of this runtime. */
function tarError(error: Error, file: string): RuntimeError {
  const entryPath = (error as Error & { entry?: { path?: unknown } }).entry?.path;
  if (/Truncated input/.test(error.message)) {
    return new RuntimeError('INVALID_ARCHIVE', `${file}: the archive is truncated (it ends inside entry ${JSON.stringify(typeof entryPath === 'string' ? entryPath : '?')})`);
  }
  if (/Unrecognized archive format/.test(error.message)) return new RuntimeError('INVALID_ARCHIVE', `${file} is not a tar archive (not an OCI archive)`);
  if (/checksum failure/.test(error.message)) return new RuntimeError('INVALID_ARCHIVE', `${file}: damaged tar header (checksum failure)`);
  return new RuntimeError('INVALID_ARCHIVE', `${file}: ${error.message.replace(/^TAR_[A-Z_]+: /, '')}`);
}

function ioError(action: 'read' | 'write', file: string, error: unknown): RuntimeError {
  const code = errnoCode(error);
  const reason = code === 'ENOENT' ? (action === 'read' ? 'no such file' : 'no such directory') : error instanceof Error ? error.message : String(error);
  return new RuntimeError('IO', `cannot ${action} ${file}: ${reason}`);
}
