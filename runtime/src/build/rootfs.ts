/**
 * An image's root file system on disk: its layers unpacked in order into one directory, OCI
 * whiteouts applied (`.wh.NAME` removes NAME from the layers below, `.wh..wh..opq` empties the
 * directory it sits in of everything below). A RUN step works in such a directory.
 */
import { lstat, mkdir, readdir, rm } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import * as tar from 'tar';
import type { Descriptor } from '../image/oci.js';
import { throwIfAborted } from '../errors.js';
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
  const wanted = (path: string): boolean => {
    const normal = normalizeEntryPath(path);
    return dirs === undefined || (normal !== undefined && inside(normal) && (keep === undefined || path.endsWith('/') || keep(normal)));
  };
  // A whiteout matters when what it removes is `only`, inside it, or holds it.
  const wantedWhiteout = (path: string): boolean => {
    if (dirs === undefined) return true;
    const normal = normalizeEntryPath(path) ?? '';
    const name = posix.basename(normal);
    const target = name === OPAQUE_WHITEOUT ? posix.dirname(normal) : posix.join(posix.dirname(normal), name.slice(WHITEOUT_PREFIX.length));
    return target === '.' || inside(target) || dirs.some((dir) => dir.startsWith(`${target}/`));
  };
  for (const layer of layers) {
    throwIfAborted(signal);
    const file = store.blobPath(layer.digest);
    // Whiteouts first: they remove what the layers below left, never what this layer adds.
    const whiteouts: string[] = [];
    await tar.t({ file, onReadEntry: (entry) => void (posix.basename(entry.path).startsWith(WHITEOUT_PREFIX) && wantedWhiteout(entry.path) && whiteouts.push(entry.path)) });
    for (const path of whiteouts) await applyWhiteout(root, path);
    await tar.x({
      file,
      cwd: root,
      filter: (path) => !posix.basename(path).startsWith(WHITEOUT_PREFIX) && wanted(path),
      // A layer may replace a directory by a file and the reverse, as in Docker.
      unlink: true,
      preserveOwner: process.getuid?.() === 0,
    });
  }
}

/** Applies one whiteout entry (`dir/.wh.name` or `dir/.wh..wh..opq`) to the unpacked tree at `root`. */
export async function applyWhiteout(root: string, entryPath: string): Promise<void> {
  const path = normalizeEntryPath(entryPath);
  if (path === undefined) return;
  const name = posix.basename(path);
  const dir = join(root, dirname(path));
  if (name === OPAQUE_WHITEOUT) {
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const child of names) await rm(join(dir, child), { recursive: true, force: true });
    return;
  }
  const target = join(dir, name.slice(WHITEOUT_PREFIX.length));
  // lstat: a whiteout removes a symlink itself, never what it points to.
  if (await lstat(target).catch(() => undefined)) await rm(target, { recursive: true, force: true });
}

/** A tar entry path inside the root (`./a/b` → `a/b`); undefined when it would climb out. */
function normalizeEntryPath(path: string): string | undefined {
  const normal = posix.normalize(`/${path}`).slice(1);
  return normal === '' || normal.startsWith('..') ? undefined : normal.replace(/\/$/, '');
}
