/**
 * Reading image archives: one streaming pass over a tar that is an OCI archive (`oci-layout`,
 * `index.json`, `blobs/sha256/<hex>`), a docker-archive (`manifest.json`, a config file and layer
 * files) or sealer's multi-platform save (a `Metadata` file naming the image and one image archive
 * per platform, `<image ID>.tar`), without extracting it. Blobs and layer files go straight into
 * the store, those of the image archives inside a sealer save too (their tars are read as they
 * stream by); the few small documents are kept in memory. Nothing in the archive is trusted: paths,
 * entry types, links, sizes and digests are all checked. `archive.ts` turns what was read into
 * images for OCI archives, `docker-archive.ts` for docker-archives, `sealer-archive.ts` for
 * sealer's saves.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { posix } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { Header, list, Parser, type ReadEntry } from 'tar';
import type { Digest } from '../image/digest.js';
import { errnoCode, interrupted, RuntimeError, throwIfAborted } from '../errors.js';
import { MAX_INDEX_BYTES } from './layout-import.js';
import { normalizeImageName } from '../image/names.js';
import type { Descriptor } from '../image/oci.js';
import type { ImageStore } from '../store/store.js';

export type ArchiveKind = 'oci' | 'docker' | 'sealer';

/** One image of an archive, stored but not named. */
export interface ArchiveImage {
  /** The names the archive gives it, normalized (`name:tag`); empty when it gives none. */
  names: string[];
  /** Its `index.json` entry (an index or a manifest); for a docker-archive, the OCI manifest made for it. */
  descriptor: Descriptor;
}

/** A regular file or link of the archive that is neither a layout file nor docker's `manifest.json`. */
export type ArchiveMember =
  /** Streamed into the store; `head` holds its first bytes (enough to tell gzip or zstd). */
  | { kind: 'blob'; digest: Digest; size: number; head: Buffer }
  /** A small JSON file (a docker-archive's image config), kept in memory. */
  | { kind: 'data'; bytes: Buffer }
  /** A link; `target` is the path it points at, already checked to be inside the archive. */
  | { kind: 'link'; link: 'symbolic link' | 'hard link'; linkpath: string; target: string };

export interface ArchiveContents {
  layout?: Buffer;
  index?: Buffer;
  /** docker's `manifest.json`. */
  dockerManifest?: Buffer;
  /** sealer's `Metadata`: the name of the image a multi-platform `sealer save` holds. */
  metadata?: Buffer;
  /** The other regular files and links, by path: docker-archives name their files by path. */
  members: Map<string, ArchiveMember>;
  /**
   * Image archives inside this one (a sealer save's `<image ID>.tar` files), read as they streamed
   * by, by path. Only top-level `.tar` files whose first entry is an image archive's are read so.
   */
  nested: Map<string, ArchiveContents>;
}

/** The bytes `ArchiveMember.head` keeps: the longest compression magic looked for (zstd's). */
export const HEAD_BYTES = 4;

const BLOB_PATH = /^blobs\/sha256\/([a-f0-9]{64})$/;
const REGULAR = new Set(['File', 'OldFile', 'ContiguousFile']);
/** `oci-layout` is a one-line JSON document. */
const MAX_LAYOUT_BYTES = 64 << 10;
/** A docker-archive's image config; a bigger `.json` file is stored like a layer (and refused if used as a config). */
export const MAX_CONFIG_BYTES = 4 << 20;
/** All `.json` files kept in memory together, so an archive of many cannot exhaust it. */
const MAX_MEMORY_BYTES = 64 << 20;
/** Legacy docker-archive metadata that nothing reads: `repositories`, `<id>/json`, `<id>/VERSION`. */
const LEGACY_METADATA = /^repositories$|(^|\/)(json|VERSION)$/;
/** sealer's `Metadata` holds one image name. */
const MAX_METADATA_BYTES = 4 << 10;
/** Image archives in one sealer save: one per platform. */
const MAX_NESTED = 256;
/** A top-level `.tar` entry, which may be an image archive of a sealer save. */
const NESTED_PATH = /^[^/]+\.tar$/;
/** First entries of the image archives tools write: OCI layout files, docker-archive files (docker, skopeo, containers/image). */
const IMAGE_ARCHIVE_START = /^(oci-layout|index\.json|manifest\.json|repositories|blobs\/?|blobs\/sha256\/?.*|[a-f0-9]{64}(\.tar|\.json|\/.*)?)$/;
const ONLY = 'an image archive holds only regular files, directories and links to its layers';

/**
 * Which kind of archive the scanned contents are. A `Metadata` file makes it a sealer save (sealer's
 * own loader decides so, and ignores other files); an archive with both layouts (docker 25+) is
 * read as OCI.
 */
export function kindOf(contents: ArchiveContents): ArchiveKind | undefined {
  const files = { 'oci-layout': contents.layout, 'index.json': contents.index, 'manifest.json': contents.dockerManifest, Metadata: contents.metadata };
  return kindFrom((path) => files[path] !== undefined);
}

function kindFrom(has: (path: 'oci-layout' | 'index.json' | 'manifest.json' | 'Metadata') => boolean): ArchiveKind | undefined {
  if (has('Metadata')) return 'sealer';
  if (has('oci-layout') && has('index.json')) return 'oci';
  return has('manifest.json') ? 'docker' : undefined;
}

/**
 * Whether `file` is an OCI archive, a docker-archive or neither (not a tar, or a tar of something
 * else), from its entry names alone: nothing is checked or stored. It reads the whole file.
 */
export async function archiveKind(file: string): Promise<ArchiveKind | undefined> {
  const paths = new Set<string>();
  try {
    await list({ file, strict: true, onReadEntry: (entry) => paths.add(entry.path.replace(/^(\.\/)+/, '')) });
  } catch (error) {
    // node-tar's own errors (TAR_BAD_ARCHIVE ...) mean the file is no tar: no kind.
    if (errnoCode(error)?.startsWith('TAR_')) return undefined;
    throw ioError('read', file, error);
  }
  return kindFrom((path) => paths.has(path));
}

/** Normalizes a name an archive gives its image number `index` (from 0). */
export function archiveImageName(raw: string, index: number, file: string): string {
  try {
    return normalizeImageName(raw);
  } catch (error) {
    throw new RuntimeError('INVALID_ARCHIVE', `${file}: the archive's image ${index + 1} has an unusable name: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Why a link is refused where the archive's format never needs one (by default: anywhere in an OCI archive). */
export function linkError(file: string, path: string, link: string, linkpath: string, rule = 'an OCI archive holds only regular files and directories'): RuntimeError {
  return new RuntimeError('INVALID_ARCHIVE', `${file}: entry ${JSON.stringify(path)} is a ${link} (to ${JSON.stringify(linkpath)}); ${rule}`);
}

/**
 * Streams the tar `file` once, whatever its kind. Into the store, each pushed onto `created` when
 * the store did not have it (so the caller can undo the load): every `blobs/sha256/<hex>` entry,
 * checked against its name, and every other regular file (a docker-archive's layers) except small
 * `.json` files, which are kept in memory (a docker-archive's configs). Into memory too:
 * `oci-layout`, `index.json`, `manifest.json` and sealer's `Metadata`. A top-level `.tar` file
 * whose first entry is an image archive's (a sealer save's per-platform archive) is read the same
 * way as it streams by, into `nested`. Skipped: directories, legacy docker metadata, and once the
 * archive is known to be OCI, files outside `blobs/`. Links inside the archive are recorded (a
 * docker-archive may link repeated layers); links out of it, devices and FIFOs are refused.
 */
export async function scanArchive(store: ImageStore, file: string, created: Digest[], signal: AbortSignal | undefined): Promise<ArchiveContents> {
  throwIfAborted(signal);
  const handle = await openArchive(file);
  const input = handle.createReadStream();
  return scanTar(input, { store, file, where: file, created, signal, budget: { memory: 0, nested: 0 }, nested: true });
}

interface ScanContext {
  store: ImageStore;
  /** The archive file, for I/O errors. */
  file: string;
  /** What error messages name: the file, or `FILE: X.tar` for an archive inside it. */
  where: string;
  created: Digest[];
  signal: AbortSignal | undefined;
  /** Shared by an archive and the archives inside it, so that many small ones cannot exhaust memory. */
  budget: { memory: number; nested: number };
  /** Whether top-level `.tar` files may be image archives (not inside one: one level only). */
  nested: boolean;
}

async function scanTar(input: Readable, context: ScanContext): Promise<ArchiveContents> {
  const { store, file, where, created, signal, budget } = context;
  const parser = new Parser({ strict: true });
  const contents: ArchiveContents = { members: new Map(), nested: new Map() };
  const invalid = (message: string) => new RuntimeError('INVALID_ARCHIVE', `${where}: ${message}`);
  const tasks: Promise<void>[] = [];
  const active = new Set<ReadEntry>();
  const seen = new Set<string>();
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

  /** Marks `path` as read: a path given twice could mean two different files. */
  const once = (path: string): void => {
    if (seen.has(path)) throw invalid(`${path} appears twice`);
    seen.add(path);
  };

  /** Counts `size` bytes against the memory all the small files kept share. */
  const reserve = (size: number): boolean => {
    if (budget.memory + size > MAX_MEMORY_BYTES) return false;
    budget.memory += size;
    return true;
  };

  const readSmall = (entry: ReadEntry, limit: number, keep: (bytes: Buffer) => void): void => {
    if (entry.size > limit) throw invalid(`${entry.path} is ${entry.size} bytes, larger than any valid one (${limit})`);
    const chunks: Buffer[] = [];
    entry.on('data', (chunk: Buffer) => chunks.push(chunk));
    entry.on('end', () => keep(Buffer.concat(chunks)));
  };

  /** Watches an entry being consumed: cut off by `fail`, and ignoring the error that raises. */
  const track = (entry: ReadEntry): void => {
    // Writing to an entry cut off by `fail` raises an error event; there is nothing left to tell.
    entry.on('error', () => undefined);
    active.add(entry);
    entry.on('end', () => active.delete(entry));
  };

  /** Stores `data` (an entry's bytes) as a blob, recorded as the member `path`. */
  const storeData = async (data: AsyncIterable<Buffer>, entryPath: string, path: string, expected?: { digest: Digest; size: number }): Promise<void> => {
    let head = Buffer.alloc(0);
    async function* chunks(): AsyncGenerator<Buffer> {
      for await (const chunk of data) {
        if (head.length < HEAD_BYTES) head = Buffer.concat([head, chunk.subarray(0, HEAD_BYTES - head.length)]);
        yield chunk;
      }
    }
    try {
      const ref = await store.writeBlob(chunks(), expected);
      if (ref.created) created.push(ref.digest);
      contents.members.set(path, { kind: 'blob', digest: ref.digest, size: ref.size, head });
    } catch (error) {
      if (error instanceof RuntimeError && error.code === 'DIGEST_MISMATCH') throw new RuntimeError('DIGEST_MISMATCH', `${where}: entry ${JSON.stringify(entryPath)}: ${error.message}`);
      throw error;
    }
  };

  const storeEntry = (entry: ReadEntry, path: string, expected?: { digest: Digest; size: number }): void => {
    track(entry);
    tasks.push(storeData(entryChunks(entry, stopped), entry.path, path, expected).catch(fail));
  };

  /**
   * A top-level `.tar` file: an image archive of a sealer save, read entry by entry as it streams
   * by, when its first entry is one an image archive starts with; else a plain member (a
   * docker-archive's layer, which skopeo names `<hex>.tar`).
   */
  const sniffEntry = (entry: ReadEntry, path: string): void => {
    track(entry);
    const chunks = entryChunks(entry, stopped);
    const task = async (): Promise<void> => {
      const head: Buffer[] = [];
      let length = 0;
      while (length < BLOCK) {
        const next = await chunks.next();
        if (next.done) break;
        head.push(next.value);
        length += next.value.length;
      }
      const first = Buffer.concat(head);
      const rest = async function* (): AsyncGenerator<Buffer> {
        if (first.length > 0) yield first;
        yield* chunks;
      };
      if (!startsImageArchive(first)) return storeData(rest(), entry.path, path);
      if (++budget.nested > MAX_NESTED) throw invalid(`it holds more than ${MAX_NESTED} image archives`);
      const inner = await scanTar(Readable.from(rest(), { objectMode: false }), { ...context, where: `${where}: ${path}`, nested: false });
      contents.nested.set(path, inner);
    };
    tasks.push(task().catch(fail));
  };

  const recordLink = (entry: ReadEntry, path: string): void => {
    const link = entry.type === 'SymbolicLink' ? 'symbolic link' : 'hard link';
    const linkpath = entry.linkpath ?? '';
    // The layout files and blobs are never links, in either kind of archive.
    if (path === 'manifest.json') throw linkError(where, entry.path, link, linkpath, 'manifest.json must be a regular file');
    if (path === 'Metadata' && context.nested) throw linkError(where, entry.path, link, linkpath, 'Metadata must be a regular file');
    if (path === 'oci-layout' || path === 'index.json' || path === 'blobs' || path.startsWith('blobs/')) throw linkError(where, entry.path, link, linkpath);
    // A symbolic link is relative to its directory, a hard link to the archive's root.
    const target = posix.normalize(posix.join(link === 'symbolic link' ? posix.dirname(path) : '', linkpath)).replace(/\/$/, '');
    if (linkpath.startsWith('/') || target === '..' || target.startsWith('../')) throw invalid(`entry ${JSON.stringify(entry.path)} is a ${link} to ${JSON.stringify(linkpath)}, outside the archive`);
    once(path);
    contents.members.set(path, { kind: 'link', link, linkpath, target });
    entry.resume();
  };

  const onEntry = (entry: ReadEntry): void => {
    if (failure) {
      entry.resume();
      return;
    }
    if (signal?.aborted) throw interrupted();
    const path = archivePath(entry.path, (problem) => invalid(`entry ${JSON.stringify(entry.path)} ${problem}`));
    switch (entry.type) {
      case 'SymbolicLink':
      case 'Link':
        return recordLink(entry, path);
      case 'CharacterDevice':
      case 'BlockDevice':
        throw invalid(`entry ${JSON.stringify(entry.path)} is a device file; ${ONLY}`);
      case 'FIFO':
        throw invalid(`entry ${JSON.stringify(entry.path)} is a FIFO; ${ONLY}`);
      case 'Directory':
        entry.resume();
        return;
    }
    if (!REGULAR.has(entry.type)) throw invalid(`entry ${JSON.stringify(entry.path)} has unsupported type ${entry.type}`);
    if (path === 'oci-layout' || path === 'index.json' || path === 'manifest.json') {
      once(path);
      // Inside a sealer save, many archives could each bring their own: they share the budget.
      if (!context.nested && entry.size <= MAX_INDEX_BYTES && !reserve(entry.size)) {
        throw invalid(`${entry.path}: the image archives' layout files take more than ${MAX_MEMORY_BYTES} bytes together`);
      }
      return readSmall(entry, path === 'oci-layout' ? MAX_LAYOUT_BYTES : MAX_INDEX_BYTES, (bytes) => {
        if (path === 'oci-layout') contents.layout = bytes;
        else if (path === 'index.json') contents.index = bytes;
        else contents.dockerManifest = bytes;
      });
    }
    if (path === 'Metadata' && context.nested) {
      once(path);
      return readSmall(entry, MAX_METADATA_BYTES, (bytes) => (contents.metadata = bytes));
    }
    if (path === 'blobs' || path.startsWith('blobs/')) {
      const match = BLOB_PATH.exec(path);
      if (!match) throw invalid(`entry ${JSON.stringify(entry.path)} is not a blob path (blobs/sha256/<64 lowercase hex digits>)`);
      once(path);
      return storeEntry(entry, path, { digest: `sha256:${match[1]}`, size: entry.size });
    }
    // Files outside blobs/ matter only to docker-archives and sealer saves: skip them once the archive is known to be OCI.
    if ((contents.layout && contents.index) || LEGACY_METADATA.test(path)) {
      entry.resume();
      return;
    }
    once(path);
    if (context.nested && NESTED_PATH.test(path)) return sniffEntry(entry, path);
    if (path.endsWith('.json') && entry.size <= MAX_CONFIG_BYTES && reserve(entry.size)) {
      return readSmall(entry, MAX_CONFIG_BYTES, (bytes) => contents.members.set(path, { kind: 'data', bytes }));
    }
    storeEntry(entry, path);
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
  parser.on('error', (error: Error) => fail(tarError(error, where)));
  parser.on('end', () => finish());
  // An archive inside another fails with the outer one's reason (a RuntimeError); a file, with an I/O error.
  input.on('error', (error) => fail(error instanceof RuntimeError ? error : ioError('read', file, error)));
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

const BLOCK = 512;

/** Whether `bytes`, the start of a file, is a tar header for an entry image archives start with. */
function startsImageArchive(bytes: Buffer): boolean {
  if (bytes.length < BLOCK) return false;
  const header = new Header(bytes.subarray(0, BLOCK));
  return header.cksumValid === true && typeof header.path === 'string' && IMAGE_ARCHIVE_START.test(header.path.replace(/^(\.\/)+/, ''));
}

async function openArchive(file: string): Promise<FileHandle> {
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
    if ((await handle.stat()).isDirectory()) {
      await handle.close();
      throw new RuntimeError('INVALID_ARCHIVE', `${file} is a directory, not an image archive (use oci:${file} for an OCI layout directory)`);
    }
  } catch (error) {
    if (error instanceof RuntimeError) throw error;
    throw ioError('read', file, error);
  }
  return handle;
}

/**
 * A path in the archive (an entry's, or one a docker-archive's manifest.json gives) with `./` and
 * trailing slashes dropped; refuses absolute paths and `..`. `refuse` words the error from the problem.
 */
export function archivePath(raw: string, refuse: (problem: string) => RuntimeError): string {
  if (raw.startsWith('/')) throw refuse('has an absolute path');
  const parts = raw.split('/');
  if (parts.includes('..')) throw refuse('has a ".." path component');
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
  if (/Unrecognized archive format/.test(error.message)) return new RuntimeError('INVALID_ARCHIVE', `${file} is not a tar archive (not an image archive)`);
  if (/checksum failure/.test(error.message)) return new RuntimeError('INVALID_ARCHIVE', `${file}: damaged tar header (checksum failure)`);
  return new RuntimeError('INVALID_ARCHIVE', `${file}: ${error.message.replace(/^TAR_[A-Z_]+: /, '')}`);
}

export function ioError(action: 'read' | 'write', file: string, error: unknown): RuntimeError {
  const code = errnoCode(error);
  const reason = code === 'ENOENT' ? (action === 'read' ? 'no such file' : 'no such directory') : error instanceof Error ? error.message : String(error);
  return new RuntimeError('IO', `cannot ${action} ${file}: ${reason}`);
}

/**
 * Checks every layer of the images `descriptors` (indexes, manifests) against its diff ID (the
 * sha256 of the uncompressed tar, from the config's `rootfs.diff_ids`), as Docker does at load: a
 * truncated or damaged gzip stream has the right digest of its compressed bytes, and would only
 * fail a build later. Throws one line naming the layer. zstd layers are not checked (no zstd here).
 */
export async function checkDiffIds(store: ImageStore, descriptors: readonly Descriptor[], where: string, signal: AbortSignal | undefined): Promise<void> {
  const checked = new Set<string>();
  const seen = new Set<Digest>();
  const visit = async (descriptor: Descriptor, depth: number): Promise<void> => {
    throwIfAborted(signal);
    if (seen.has(descriptor.digest) || depth > 8) return;
    seen.add(descriptor.digest);
    const document = await readDocument(store, descriptor.digest);
    if (Array.isArray(document?.manifests)) {
      for (const child of document.manifests as Descriptor[]) if (isDescriptor(child)) await visit(child, depth + 1);
      return;
    }
    const layers = Array.isArray(document?.layers) ? (document.layers as Descriptor[]).filter(isDescriptor) : undefined;
    const config = isDescriptor(document?.config) ? await readDocument(store, document.config.digest) : undefined;
    const rootfs = config?.rootfs as { diff_ids?: unknown } | undefined;
    // Not an image (an artifact, an attestation): nothing to check.
    if (!layers || !Array.isArray(rootfs?.diff_ids)) return;
    const diffIds = rootfs.diff_ids as unknown[];
    if (diffIds.length !== layers.length) {
      throw new RuntimeError('INVALID_ARCHIVE', `${where}: manifest ${descriptor.digest} has ${layers.length} layers, but its config gives ${diffIds.length} diff_ids (rootfs.diff_ids)`);
    }
    for (const [i, layer] of layers.entries()) {
      const diffId = diffIds[i];
      if (typeof diffId !== 'string' || checked.has(`${layer.digest} ${diffId}`)) continue;
      const actual = await uncompressedDigest(store, layer.digest, where, signal);
      if (actual !== undefined && actual !== diffId) {
        throw new RuntimeError('INVALID_ARCHIVE', `${where}: layer ${layer.digest} is damaged: its uncompressed content has digest ${actual}, but the image config gives diff_id ${diffId}; the archive is refused`);
      }
      checked.add(`${layer.digest} ${diffId}`);
    }
  };
  for (const descriptor of descriptors) await visit(descriptor, 0);
}

function isDescriptor(value: unknown): value is Descriptor {
  return typeof value === 'object' && value !== null && typeof (value as Descriptor).digest === 'string' && /^sha256:[a-f0-9]{64}$/.test((value as Descriptor).digest);
}

/** A small JSON document of the store, or undefined when it is missing, large or no JSON object. */
async function readDocument(store: ImageStore, digest: Digest): Promise<Record<string, unknown> | undefined> {
  const size = await store.blobSize(digest);
  if (size === undefined || size > MAX_CONFIG_BYTES) return undefined;
  try {
    const value: unknown = JSON.parse((await store.readBlob(digest)).toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The sha256 of a layer blob's uncompressed bytes (gzip undone); undefined for a missing or zstd blob. */
async function uncompressedDigest(store: ImageStore, digest: Digest, where: string, signal: AbortSignal | undefined): Promise<Digest | undefined> {
  const path = store.blobPath(digest);
  let head: Buffer;
  try {
    const handle = await open(path, 'r');
    try {
      head = Buffer.alloc(4);
      head = head.subarray(0, (await handle.read(head, 0, 4, 0)).bytesRead);
    } finally {
      await handle.close();
    }
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw ioError('read', path, error);
  }
  if (head.length === 4 && head.equals(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))) return undefined;
  // A plain tar is its own diff.
  if (!(head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b)) return digest;
  const hash = createHash('sha256');
  try {
    await pipeline(
      createReadStream(path),
      createGunzip(),
      new Writable({
        write(chunk: Buffer, _encoding, callback) {
          hash.update(chunk);
          callback();
        },
      }),
      ...(signal ? [{ signal }] : []),
    );
  } catch (error) {
    throwIfAborted(signal);
    const reason = error instanceof Error ? error.message : String(error);
    throw new RuntimeError('INVALID_ARCHIVE', `${where}: layer ${digest} is damaged: its gzip stream cannot be read (${reason}); the archive is refused`);
  }
  return `sha256:${hash.digest('hex')}`;
}
