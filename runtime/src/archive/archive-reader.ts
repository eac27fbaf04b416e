/**
 * Reading image archives: one streaming pass over a tar that is an OCI archive (`oci-layout`,
 * `index.json`, `blobs/sha256/<hex>`) or a docker-archive (`manifest.json`, a config file and layer
 * files), without extracting it. Blobs and layer files go straight into the store; the few small
 * documents are kept in memory. Nothing in the archive is trusted: paths, entry types, links, sizes
 * and digests are all checked. `archive.ts` turns what was read into images for OCI archives,
 * `docker-archive.ts` for docker-archives.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { posix } from 'node:path';
import { list, Parser, type ReadEntry } from 'tar';
import type { Digest } from '../image/digest.js';
import { errnoCode, interrupted, RuntimeError, throwIfAborted } from '../errors.js';
import { MAX_INDEX_BYTES } from './layout-import.js';
import { normalizeImageName } from '../image/names.js';
import type { Descriptor } from '../image/oci.js';
import type { ImageStore } from '../store/store.js';

export type ArchiveKind = 'oci' | 'docker';

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
  /** The other regular files and links, by path: docker-archives name their files by path. */
  members: Map<string, ArchiveMember>;
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
const ONLY = 'an image archive holds only regular files, directories and links to its layers';

/** Which kind of archive the scanned contents are; an archive with both layouts (docker 25+) is read as OCI. */
export function kindOf(contents: ArchiveContents): ArchiveKind | undefined {
  return kindFrom((path) => (path === 'oci-layout' ? contents.layout : path === 'index.json' ? contents.index : contents.dockerManifest) !== undefined);
}

function kindFrom(has: (path: 'oci-layout' | 'index.json' | 'manifest.json') => boolean): ArchiveKind | undefined {
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
 * `oci-layout`, `index.json` and `manifest.json`. Skipped: directories, legacy docker metadata, and
 * once the archive is known to be OCI, files outside `blobs/`. Links inside the archive are
 * recorded (a docker-archive may link repeated layers); links out of it, devices and FIFOs are
 * refused.
 */
export async function scanArchive(store: ImageStore, file: string, created: Digest[], signal: AbortSignal | undefined): Promise<ArchiveContents> {
  throwIfAborted(signal);
  const handle = await openArchive(file);
  const input = handle.createReadStream();
  const parser = new Parser({ strict: true });
  const contents: ArchiveContents = { members: new Map() };
  const invalid = (message: string) => new RuntimeError('INVALID_ARCHIVE', `${file}: ${message}`);
  const tasks: Promise<void>[] = [];
  const active = new Set<ReadEntry>();
  const seen = new Set<string>();
  let memory = 0;
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

  const readSmall = (entry: ReadEntry, limit: number, keep: (bytes: Buffer) => void): void => {
    if (entry.size > limit) throw invalid(`${entry.path} is ${entry.size} bytes, larger than any valid one (${limit})`);
    const chunks: Buffer[] = [];
    entry.on('data', (chunk: Buffer) => chunks.push(chunk));
    entry.on('end', () => keep(Buffer.concat(chunks)));
  };

  const storeEntry = (entry: ReadEntry, path: string, expected?: { digest: Digest; size: number }): void => {
    // Writing to an entry cut off by `fail` raises an error event; there is nothing left to tell.
    entry.on('error', () => undefined);
    active.add(entry);
    entry.on('end', () => active.delete(entry));
    let head = Buffer.alloc(0);
    async function* chunks(): AsyncGenerator<Buffer> {
      for await (const chunk of entryChunks(entry, stopped)) {
        if (head.length < HEAD_BYTES) head = Buffer.concat([head, chunk.subarray(0, HEAD_BYTES - head.length)]);
        yield chunk;
      }
    }
    const task = store.writeBlob(chunks(), expected).then(
      (ref) => {
        if (ref.created) created.push(ref.digest);
        contents.members.set(path, { kind: 'blob', digest: ref.digest, size: ref.size, head });
      },
      (error: unknown) => {
        if (error instanceof RuntimeError && error.code === 'DIGEST_MISMATCH') throw new RuntimeError('DIGEST_MISMATCH', `${file}: entry ${JSON.stringify(entry.path)}: ${error.message}`);
        throw error;
      },
    );
    tasks.push(task.catch(fail));
  };

  const recordLink = (entry: ReadEntry, path: string): void => {
    const link = entry.type === 'SymbolicLink' ? 'symbolic link' : 'hard link';
    const linkpath = entry.linkpath ?? '';
    // The layout files and blobs are never links, in either kind of archive.
    if (path === 'manifest.json') throw linkError(file, entry.path, link, linkpath, 'manifest.json must be a regular file');
    if (path === 'oci-layout' || path === 'index.json' || path === 'blobs' || path.startsWith('blobs/')) throw linkError(file, entry.path, link, linkpath);
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
      return readSmall(entry, path === 'oci-layout' ? MAX_LAYOUT_BYTES : MAX_INDEX_BYTES, (bytes) => {
        if (path === 'oci-layout') contents.layout = bytes;
        else if (path === 'index.json') contents.index = bytes;
        else contents.dockerManifest = bytes;
      });
    }
    if (path === 'blobs' || path.startsWith('blobs/')) {
      const match = BLOB_PATH.exec(path);
      if (!match) throw invalid(`entry ${JSON.stringify(entry.path)} is not a blob path (blobs/sha256/<64 lowercase hex digits>)`);
      once(path);
      return storeEntry(entry, path, { digest: `sha256:${match[1]}`, size: entry.size });
    }
    // Files outside blobs/ matter only to docker-archives: skip them once the archive is known to be OCI.
    if ((contents.layout && contents.index) || LEGACY_METADATA.test(path)) {
      entry.resume();
      return;
    }
    once(path);
    if (path.endsWith('.json') && entry.size <= MAX_CONFIG_BYTES && memory + entry.size <= MAX_MEMORY_BYTES) {
      memory += entry.size;
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
