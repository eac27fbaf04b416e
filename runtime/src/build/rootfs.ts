/**
 * An image's root file system on disk: its layers unpacked in order into one directory, OCI
 * whiteouts applied (`.wh.NAME` removes NAME from the layers below, `.wh..wh..opq` empties the
 * directory it sits in of everything below). A RUN step works in such a directory.
 *
 * Layers are unpacked here rather than by node-tar's extractor, which rewrites symbolic links (an
 * absolute target loses its `/`, one climbing above the root is dropped): an image root needs
 * them exactly as stored. Safety comes from never following a link on this side instead: every
 * path is written component by component below the root, each component checked with lstat (a
 * link or file where a directory is needed is replaced by one, as node-tar did), files are
 * created with O_NOFOLLOW | O_EXCL, and entries that would land outside the root are skipped.
 * Empty layers (no bytes, an all-zero tar, a gzip of either) are valid and unpack to nothing.
 */
import { constants, createReadStream } from 'node:fs';
import { chmod, lchown, link, lstat, lutimes, mkdir, open, readdir, rm, symlink, unlink, utimes, type FileHandle } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import type { Descriptor } from '../image/oci.js';
import { interrupted, RuntimeError, throwIfAborted } from '../errors.js';
import type { ImageStore } from '../store/store.js';

export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_WHITEOUT = '.wh..wh..opq';

/**
 * Unpacks `layers` (bottom first) into `root`: an empty directory, or one holding the layers below
 * them. With `only`, just those directories of the image (`registry`), and of their files just
 * those `keep` accepts.
 */
export async function unpackLayers(store: ImageStore, layers: readonly Descriptor[], root: string, signal?: AbortSignal, only?: string | readonly string[], keep?: (path: string) => boolean): Promise<void> {
  await mkdir(root, { recursive: true });
  const dirs = only === undefined ? undefined : typeof only === 'string' ? [only] : only;
  const inside = (path: string): boolean => dirs === undefined || dirs.some((dir) => path === dir || path.startsWith(`${dir}/`));
  const wanted = (normal: string, isDirectory: boolean): boolean => dirs === undefined || (inside(normal) && (keep === undefined || isDirectory || keep(normal)));
  // A whiteout matters when what it removes is `only`, inside it, or holds it.
  const wantedWhiteout = (normal: string): boolean => {
    if (dirs === undefined) return true;
    const name = posix.basename(normal);
    const target = name === OPAQUE_WHITEOUT ? posix.dirname(normal) : posix.join(posix.dirname(normal), name.slice(WHITEOUT_PREFIX.length));
    return target === '.' || inside(target) || dirs.some((dir) => dir.startsWith(`${target}/`));
  };
  for (const layer of layers) {
    throwIfAborted(signal);
    const file = store.blobPath(layer.digest);
    // Whiteouts first: they remove what the layers below left, never what this layer adds.
    const whiteouts: string[] = [];
    await readLayer(file, layer.digest, signal, async (entry, normal) => {
      if (normal !== undefined && posix.basename(normal).startsWith(WHITEOUT_PREFIX) && wantedWhiteout(normal)) whiteouts.push(normal);
    });
    for (const path of whiteouts) await applyWhiteout(root, path);
    await readLayer(file, layer.digest, signal, async (entry, normal) => {
      if (normal === undefined || posix.basename(normal).startsWith(WHITEOUT_PREFIX)) return;
      if (!wanted(normal, entry.type === 'Directory')) return;
      // Image collection reads files and directories only: a link there would be followed on the host.
      if (dirs !== undefined && entry.type === 'SymbolicLink') return;
      await writeEntry(root, normal, entry);
    });
  }
}

/**
 * Reads the layer blob `file` (a tar, plain or gzipped; empty layers included), calling `each` on
 * every entry in order with its path inside the root (undefined for the root itself or a path
 * climbing out). `each` consumes a file entry's data or leaves it to be skipped.
 */
export async function readLayer(file: string, digest: string, signal: AbortSignal | undefined, each: (entry: ReadEntry, normal: string | undefined) => Promise<void>): Promise<void> {
  const damaged = (reason: string): RuntimeError => new RuntimeError('INVALID_IMAGE', `layer ${digest} is damaged: ${reason}`);
  // The first bytes tell a gzipped layer from a plain tar.
  const head = Buffer.alloc(4);
  const handle = await open(file, 'r');
  let headBytes: number;
  try {
    headBytes = (await handle.read(head, 0, head.length, 0)).bytesRead;
  } finally {
    await handle.close();
  }
  if (headBytes === 4 && head.equals(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))) throw new RuntimeError('UNSUPPORTED', `layer ${digest} is zstd-compressed, which this build cannot unpack`);
  const gzipped = headBytes >= 2 && head[0] === 0x1f && head[1] === 0x8b;
  const input = createReadStream(file);
  let allZero = true;
  let failure: Error | undefined;
  let chain = Promise.resolve();
  let current: ReadEntry | undefined;
  const parser = new Parser({});
  let onAbort = (): void => undefined;
  const done = new Promise<void>((resolve, reject) => {
    const fail = (error: Error): void => {
      if (failure) return;
      failure = error;
      input.destroy();
      // An entry being written stops waiting for data that will not come.
      current?.destroy();
      reject(error);
    };
    onAbort = () => fail(interrupted());
    signal?.addEventListener('abort', onAbort, { once: true });
    const zeros = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        if (allZero && chunk.some((byte) => byte !== 0)) allZero = false;
        callback(null, chunk);
      },
    });
    input.on('error', (error) => fail(error));
    let source: Readable = input;
    if (gzipped) {
      const gunzip = createGunzip();
      gunzip.on('error', (error) => fail(damaged(`${error.message} (while decompressing it)`)));
      source = input.pipe(gunzip);
    }
    source.pipe(zeros).pipe(parser);
    parser.on('warn', (code: string, message: string | Error) => {
      const text = typeof message === 'string' ? message : message.message;
      // An empty layer (no bytes, or only the end-of-archive blocks) is no tar to node-tar.
      if (code === 'TAR_BAD_ARCHIVE' && /Unrecognized archive format/.test(text) && allZero) return;
      if (code === 'TAR_ENTRY_INFO' || code === 'TAR_ENTRY_UNSUPPORTED') return;
      fail(damaged(text));
    });
    parser.on('error', (error: Error) => fail(damaged(error.message)));
    parser.on('entry', (entry: ReadEntry) => {
      entry.on('error', () => undefined);
      chain = chain.then(async () => {
        if (failure) return void entry.resume();
        current = entry;
        try {
          await each(entry, normalizeEntryPath(entry.path));
        } catch (error) {
          fail(error instanceof Error ? error : new Error(String(error)));
        }
        entry.resume();
      });
    });
    parser.on('end', () => void chain.then(() => (failure ? undefined : resolve())));
  });
  try {
    await done;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    input.destroy();
  }
  await chain;
}

/** Writes one entry at `path` (normalized, inside) below `root`, never following a link on the way. */
async function writeEntry(root: string, path: string, entry: ReadEntry): Promise<void> {
  const parent = await ensureDirectories(root, posix.dirname(path));
  const target = join(parent, posix.basename(path));
  const existing = await lstat(target).catch(() => undefined);
  const owner = process.getuid?.() === 0 ? { uid: entry.uid ?? 0, gid: entry.gid ?? 0 } : undefined;
  const mode = (entry.mode ?? 0o644) & 0o7777;
  const mtime = entry.mtime ?? new Date();
  switch (entry.type) {
    case 'Directory': {
      if (existing && !existing.isDirectory()) await unlink(target);
      if (!existing?.isDirectory()) await mkdir(target);
      if (owner) await lchown(target, owner.uid, owner.gid);
      await chmod(target, mode);
      await utimes(target, mtime, mtime);
      return;
    }
    case 'File':
    case 'OldFile':
    case 'ContiguousFile': {
      await removeExisting(target, existing);
      const handle = await open(target, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
      try {
        await writeData(handle, entry);
        if (owner) await handle.chown(owner.uid, owner.gid);
        // After chown, which clears set-id bits.
        await handle.chmod(mode);
        await handle.utimes(mtime, mtime);
      } finally {
        await handle.close();
      }
      return;
    }
    case 'SymbolicLink': {
      await removeExisting(target, existing);
      // Exactly as stored: absolute, or climbing above the root. It is never followed here.
      await symlink(entry.linkpath ?? '', target);
      if (owner) await lchown(target, owner.uid, owner.gid);
      await lutimes(target, mtime, mtime);
      return;
    }
    case 'Link': {
      // A hard link names a path of the root (this layer's or one below), reached without links.
      const source = normalizeEntryPath(entry.linkpath ?? '');
      if (source === undefined) return;
      const from = await existingPath(root, source);
      if (from === undefined) return;
      await removeExisting(target, existing);
      await link(from, target);
      return;
    }
    default:
      // Devices and FIFOs are no content a build writes or reads.
      return;
  }
}

async function writeData(handle: FileHandle, entry: ReadEntry): Promise<void> {
  for await (const chunk of entry as AsyncIterable<Buffer>) {
    for (let done = 0; done < chunk.length; ) done += (await handle.write(chunk, done, chunk.length - done)).bytesWritten;
  }
}

async function removeExisting(target: string, existing: Awaited<ReturnType<typeof lstat>> | undefined): Promise<void> {
  if (!existing) return;
  if (existing.isDirectory()) await rm(target, { recursive: true, force: true });
  else await unlink(target);
}

/**
 * `root/dir`, every component a real directory: made when missing, a link or file in the way
 * replaced by a directory (never followed). Returns its path.
 */
async function ensureDirectories(root: string, dir: string): Promise<string> {
  let current = root;
  if (dir === '.' || dir === '') return current;
  for (const part of dir.split('/')) {
    current = join(current, part);
    const stats = await lstat(current).catch(() => undefined);
    if (stats?.isDirectory()) continue;
    if (stats) await unlink(current);
    await mkdir(current, { mode: 0o755 });
  }
  return current;
}

/** `root/path` when it exists and every directory on the way is a real one (no link followed). */
async function existingPath(root: string, path: string): Promise<string | undefined> {
  let current = root;
  const parts = path.split('/');
  for (const [i, part] of parts.entries()) {
    current = join(current, part);
    const stats = await lstat(current).catch(() => undefined);
    if (!stats) return undefined;
    if (i < parts.length - 1 && !stats.isDirectory()) return undefined;
    if (i === parts.length - 1 && stats.isDirectory()) return undefined;
  }
  return current;
}

/** Applies one whiteout entry (`dir/.wh.name` or `dir/.wh..wh..opq`) to the unpacked tree at `root`. */
export async function applyWhiteout(root: string, entryPath: string): Promise<void> {
  const path = normalizeEntryPath(entryPath);
  if (path === undefined) return;
  const name = posix.basename(path);
  // Only below real directories: a link on the way is never followed (what it hides is not in the root).
  const dir = await realDirectory(root, posix.dirname(path));
  if (dir === undefined) return;
  if (name === OPAQUE_WHITEOUT) {
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const child of names) await rm(join(dir, child), { recursive: true, force: true });
    return;
  }
  const target = join(dir, name.slice(WHITEOUT_PREFIX.length));
  // lstat: a whiteout removes a symlink itself, never what it points to.
  if (await lstat(target).catch(() => undefined)) await rm(target, { recursive: true, force: true });
}

/** `root/dir` when each of its components is a real directory (none a link), else undefined. */
async function realDirectory(root: string, dir: string): Promise<string | undefined> {
  let current = root;
  if (dir === '.' || dir === '') return current;
  for (const part of dir.split('/')) {
    current = join(current, part);
    const stats = await lstat(current).catch(() => undefined);
    if (!stats?.isDirectory()) return undefined;
  }
  return current;
}

/** A tar entry path inside the root (`./a/b` → `a/b`); undefined for the root itself or one that would climb out. */
function normalizeEntryPath(path: string): string | undefined {
  const normal = posix.normalize(`/${path}`).slice(1);
  return normal === '' || normal.startsWith('..') ? undefined : normal.replace(/\/$/, '');
}
