/**
 * Where a RUN step runs: a root holding the image so far, whose changes become the step's layer.
 * A `Mounter` prepares one:
 *  - `overlay`: the kernel's overlayfs over the unpacked image; the upper directory is the change
 *    (whiteouts are character devices 0/0, an opaque directory hides the lower one's entries);
 *  - `fuse-overlayfs`: the same in user space, where the kernel mount is not permitted;
 *  - `copy`: needs no privilege at all: remember every entry's status, run, compare.
 * All three give the same layer for the same command. Each works over an `ImageRoot`, the
 * platform's image unpacked once and carried from one RUN step to the next.
 */
import { execa } from 'execa';
import { constants } from 'node:fs';
import { access, chmod, lstat, mkdir, readdir, readFile, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import type { BigIntStats } from 'node:fs';
import { join, posix, resolve } from 'node:path';
import type { LayerEntry } from './copy.js';
import type { Descriptor } from '../image/oci.js';
import { applyWhiteout, OPAQUE_WHITEOUT, unpackLayers, WHITEOUT_PREFIX } from './rootfs.js';
import type { ImageStore } from '../store/store.js';
import { RuntimeError } from '../errors.js';

export type MounterName = 'overlay' | 'fuse-overlayfs' | 'copy';

/** A prepared root. `changes` lists what the command did to it, as layer entries (whiteouts included). */
export interface RunRoot {
  /** The directory the command runs in: the image's root. */
  path: string;
  /** A directory of the mounter's for the step's own files (emulation shims), removed on release. */
  scratch: string;
  changes(): Promise<LayerEntry[]>;
  /** Once the changes are stored as `layer`: the base becomes the image with it, for the next RUN. */
  commit(layer: Descriptor): Promise<void>;
  /** Undoes everything the mounter did (always called, on success and failure alike). */
  release(): Promise<void>;
}

export interface Mounter {
  readonly name: MounterName;
  /** A root showing `layers`, over `base` (brought up to them first). */
  prepare(store: ImageStore, base: ImageRoot, layers: readonly Descriptor[], signal?: AbortSignal): Promise<RunRoot>;
}

/**
 * One platform's image unpacked, kept from one RUN step to the next so that each layer is
 * unpacked once per build: a later RUN only adds the layers made since (COPY layers; its own
 * changes are moved in by `commit`). Lives in the store's tmp, so a killed build's is cleaned.
 */
export class ImageRoot {
  private unpacked: Descriptor[] = [];
  private readonly work: string;

  constructor(store: ImageStore) {
    this.work = store.tempPath('.run');
  }

  get dir(): string {
    return join(this.work, 'root');
  }

  /** Brings the directory to `layers`, unpacking only those it lacks. */
  async update(store: ImageStore, layers: readonly Descriptor[], signal?: AbortSignal): Promise<void> {
    const extends_ = this.unpacked.length <= layers.length && this.unpacked.every((layer, i) => layer.digest === layers[i].digest);
    if (!extends_) await this.discard();
    try {
      await unpackLayers(store, layers.slice(this.unpacked.length), this.dir, signal);
      this.unpacked = [...layers];
    } catch (error) {
      await this.discard();
      throw error;
    }
  }

  /** The directory now holds `layer` too. */
  added(layer: Descriptor): void {
    this.unpacked.push(layer);
  }

  /** Its content is no longer known (a command failed in it): start again from nothing. */
  async discard(): Promise<void> {
    this.unpacked = [];
    await unmountUnder(this.dir);
    await rm(this.dir, { recursive: true, force: true });
  }

  async remove(): Promise<void> {
    this.unpacked = [];
    await unmountUnder(this.work);
    await rm(this.work, { recursive: true, force: true });
  }
}

/** What an entry was before the command ran: a change of any of these makes it part of the layer. */
interface EntryStatus {
  type: LayerEntry['type'] | 'other';
  mode: bigint;
  size: bigint;
  mtimeNs: bigint;
  /** ctime moves on every write and chmod, even when a command restores the mtime. */
  ctimeNs: bigint;
  ino: bigint;
}

/** Runs in the unpacked base itself; the changes are found by comparing entry statuses. */
export class CopyMounter implements Mounter {
  readonly name = 'copy';

  async prepare(store: ImageStore, base: ImageRoot, layers: readonly Descriptor[], signal?: AbortSignal): Promise<RunRoot> {
    await base.update(store, layers, signal);
    const work = store.tempPath('.run');
    const before = await statusTree(base.dir);
    let committed = false;
    return {
      path: base.dir,
      scratch: join(work, 'scratch'),
      changes: () => changesSince(base.dir, before, work),
      commit: async (layer) => {
        committed = true;
        base.added(layer);
      },
      release: async () => {
        if (!committed) await base.discard();
        await rm(work, { recursive: true, force: true });
      },
    };
  }
}

/** Mounts overlayfs (the kernel's, or fuse-overlayfs) over the base; `changes` reads the upper directory. */
export class OverlayMounter implements Mounter {
  constructor(readonly name: 'overlay' | 'fuse-overlayfs' = 'overlay') {}

  async prepare(store: ImageStore, base: ImageRoot, layers: readonly Descriptor[], signal?: AbortSignal): Promise<RunRoot> {
    await base.update(store, layers, signal);
    const lower = base.dir;
    const work = store.tempPath('.run');
    const [upper, overlayWork, merged] = ['upper', 'work', 'root'].map((name) => join(work, name));
    try {
      for (const dir of [upper, overlayWork, merged]) await mkdir(dir, { recursive: true });
      const options = overlayOptions(this.name, lower, upper, overlayWork);
      if (this.name === 'overlay') await execa('mount', ['-t', 'overlay', 'overlay', '-o', options, merged]);
      else await execa('fuse-overlayfs', ['-o', options, merged]);
    } catch (error) {
      await unmountUnder(work);
      await rm(work, { recursive: true, force: true });
      throw error;
    }
    let entries: LayerEntry[] | undefined;
    return {
      path: merged,
      scratch: join(work, 'scratch'),
      changes: async () => {
        entries = await upperChanges(upper, lower, merged, work);
        await unmountUnder(work);
        return entries;
      },
      commit: async (layer) => {
        if (!entries) throw new Error('commit before changes');
        await unmountUnder(work);
        try {
          await moveChanges(entries, lower);
          base.added(layer);
        } catch (error) {
          await base.discard();
          throw error;
        }
      },
      release: async () => {
        await unmountUnder(work);
        await rm(work, { recursive: true, force: true });
      },
    };
  }
}

/**
 * Applies a RUN's changes to the lower directory it ran over: whiteouts first (they remove what
 * was below), then each entry in path order, files moved out of the upper directory (same file
 * system: a rename).
 */
async function moveChanges(entries: readonly LayerEntry[], lower: string): Promise<void> {
  const isWhiteout = (entry: LayerEntry): boolean => posix.basename(entry.path).startsWith(WHITEOUT_PREFIX);
  for (const entry of entries) if (isWhiteout(entry)) await applyWhiteout(lower, entry.path);
  for (const entry of entries) {
    if (isWhiteout(entry)) continue;
    const target = join(lower, entry.path);
    const existing = await lstat(target).catch(() => undefined);
    if (entry.type === 'directory') {
      if (existing && !existing.isDirectory()) await rm(target, { force: true });
      if (!existing?.isDirectory()) await mkdir(target);
      await chmod(target, entry.mode);
      continue;
    }
    if (existing?.isDirectory()) await rm(target, { recursive: true, force: true });
    if (entry.type === 'symlink') {
      if (existing && !existing.isDirectory()) await rm(target, { force: true });
      await symlink(entry.linkTarget ?? '', target);
    } else if (entry.source) {
      await rename(entry.source, target);
    }
  }
}

let overlayWorks: Promise<boolean> | undefined;

/** Whether this process may mount overlayfs (tried once, in the store's tmp). */
async function canMountOverlay(store: ImageStore): Promise<boolean> {
  overlayWorks ??= (async () => {
    if (process.getuid?.() !== 0) return false;
    const probe = store.tempPath('.probe');
    try {
      for (const name of ['lower', 'upper', 'work', 'root']) await mkdir(join(probe, name), { recursive: true });
      await execa('mount', ['-t', 'overlay', 'overlay', '-o', overlayOptions('overlay', join(probe, 'lower'), join(probe, 'upper'), join(probe, 'work')), join(probe, 'root')]);
      await execa('umount', [join(probe, 'root')]);
      return true;
    } catch {
      return false;
    } finally {
      await rm(probe, { recursive: true, force: true }).catch(() => undefined);
    }
  })();
  return overlayWorks;
}

let fuseWorks: Promise<boolean> | undefined;

/** Whether fuse-overlayfs is installed and /dev/fuse can be opened. */
function canUseFuseOverlay(): Promise<boolean> {
  fuseWorks ??= execa('fuse-overlayfs', ['--version']).then(
    () => access('/dev/fuse', constants.R_OK | constants.W_OK).then(() => true, () => false),
    () => false,
  );
  return fuseWorks;
}

/**
 * overlayfs mount options for these directories. A path may hold any character: the kernel takes
 * `\,` and `\:` for a comma and a colon in a value (and `\\` for a backslash); fuse-overlayfs gets
 * its options through libfuse, which takes `\,` and `\\`, but it splits every directory on `:`
 * whatever is done, so a colon is refused there (`fuseOverlayRefusal`).
 */
export function overlayOptions(mounter: 'overlay' | 'fuse-overlayfs', lower: string, upper: string, work: string): string {
  const escape = (path: string): string => path.replace(mounter === 'overlay' ? /[\\,:]/g : /[\\,]/g, (char) => `\\${char}`);
  return `lowerdir=${escape(lower)},upperdir=${escape(upper)},workdir=${escape(work)}`;
}

/** Why fuse-overlayfs cannot work in this store (a colon in its path), if it cannot. */
function fuseOverlayRefusal(store: ImageStore): string | undefined {
  if (!store.root.includes(':')) return undefined;
  return `fuse-overlayfs cannot mount directories whose path has a colon (the store ${store.root}); use --mounter overlay or copy, or a store root without ':'`;
}

/** The mounter asked for, or the best this host allows: kernel overlayfs, else fuse-overlayfs, else copy. */
export async function createMounter(store: ImageStore, name?: MounterName): Promise<Mounter> {
  if (name === 'copy') return new CopyMounter();
  if (name === 'fuse-overlayfs') {
    const refusal = fuseOverlayRefusal(store);
    if (refusal) throw new RuntimeError('UNSUPPORTED', refusal);
  }
  if (name) return new OverlayMounter(name);
  if (await canMountOverlay(store)) return new OverlayMounter('overlay');
  if (fuseOverlayRefusal(store) === undefined && (await canUseFuseOverlay())) return new OverlayMounter('fuse-overlayfs');
  return new CopyMounter();
}

/** A path as /proc/self/mountinfo writes it: space, tab, newline and backslash as octal escapes (`\040`). */
export function decodeMountPath(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

/** Unmounts every mount at or below `dir` (deepest first), lazily when one is busy. */
export async function unmountUnder(dir: string): Promise<void> {
  dir = resolve(dir);
  const info = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  const points = info
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((point): point is string => point !== undefined)
    .map(decodeMountPath)
    .filter((point) => point === dir || point.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const point of points) {
    // fusermount3 for a FUSE mount made without privilege; a lazy unmount when the mount is busy.
    await execa('umount', [point]).catch(() => execa('fusermount3', ['-u', point]).catch(() => execa('umount', ['-l', point]).catch(() => undefined)));
  }
}

/**
 * The layer entries of an overlay upper directory: its files, links and directories, a whiteout for
 * each character device 0/0, and an opaque whiteout for a directory that hides lower entries
 * (found by comparing the merged view with the lower one, which needs no extended attributes).
 */
async function upperChanges(upper: string, lower: string, merged: string, work: string): Promise<LayerEntry[]> {
  const entries: LayerEntry[] = [];
  const whiteouts: string[] = [];
  const visit = async (prefix: string): Promise<void> => {
    const dir = prefix === '' ? upper : join(upper, prefix);
    const names = (await readdir(dir)).sort();
    for (const name of names) {
      const path = prefix === '' ? name : `${prefix}/${name}`;
      const full = join(upper, path);
      // fuse-overlayfs keeps its own `.wh.` markers beside the entries; opaque directories are found below.
      if (name.startsWith(WHITEOUT_PREFIX)) continue;
      const stats = await lstat(full);
      if (stats.isCharacterDevice() && stats.rdev === 0) {
        whiteouts.push(prefix === '' ? `${WHITEOUT_PREFIX}${name}` : `${prefix}/${WHITEOUT_PREFIX}${name}`);
      } else if (stats.isFile()) {
        entries.push({ path, type: 'file', mode: stats.mode & 0o7777, mtimeMs: stats.mtimeMs, size: stats.size, source: full });
      } else if (stats.isSymbolicLink()) {
        entries.push({ path, type: 'symlink', mode: 0o777, mtimeMs: stats.mtimeMs, size: 0, linkTarget: await readlink(full) });
      } else if (stats.isDirectory()) {
        entries.push({ path, type: 'directory', mode: stats.mode & 0o7777, mtimeMs: stats.mtimeMs, size: 0 });
        if (await hidesLower(path, lower, merged, upper)) whiteouts.push(`${path}/${OPAQUE_WHITEOUT}`);
        await visit(path);
      }
    }
  };
  await visit('');
  entries.push(...(await whiteoutEntries(whiteouts, work)));
  return sortedByPath(entries);
}

/** An upper directory is opaque when a lower entry is neither visible in the merged view nor whited out. */
async function hidesLower(path: string, lower: string, merged: string, upper: string): Promise<boolean> {
  const below = await readdir(join(lower, path)).catch(() => [] as string[]);
  if (below.length === 0) return false;
  const visible = new Set(await readdir(join(merged, path)).catch(() => [] as string[]));
  for (const name of below) {
    if (visible.has(name)) continue;
    const mark = await lstat(join(upper, path, name)).catch(() => undefined);
    if (!(mark?.isCharacterDevice() && mark.rdev === 0)) return true;
  }
  return false;
}

async function statusTree(root: string): Promise<Map<string, EntryStatus>> {
  const tree = new Map<string, EntryStatus>();
  const visit = async (dir: string, prefix: string): Promise<void> => {
    for (const name of (await readdir(dir)).sort()) {
      const path = prefix === '' ? name : `${prefix}/${name}`;
      const stats = await lstat(join(dir, name), { bigint: true });
      tree.set(path, statusOf(stats));
      if (stats.isDirectory()) await visit(join(dir, name), path);
    }
  };
  await visit(root, '');
  return tree;
}

function statusOf(stats: BigIntStats): EntryStatus {
  const type = stats.isFile() ? 'file' : stats.isDirectory() ? 'directory' : stats.isSymbolicLink() ? 'symlink' : 'other';
  return { type, mode: stats.mode & 0o7777n, size: stats.size, mtimeNs: stats.mtimeNs, ctimeNs: stats.ctimeNs, ino: stats.ino };
}

function sameStatus(a: EntryStatus, b: EntryStatus): boolean {
  // A directory's own times move whenever an entry in it changes; its entries speak for themselves.
  if (a.type === 'directory' && b.type === 'directory') return a.mode === b.mode;
  return a.type === b.type && a.mode === b.mode && a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs && a.ino === b.ino;
}

/**
 * The layer entries for what changed under `root` since `before`: new and changed entries (with
 * their parent directories), and a whiteout for each entry that is gone (only the topmost).
 */
async function changesSince(root: string, before: ReadonlyMap<string, EntryStatus>, work: string): Promise<LayerEntry[]> {
  const after = await statusTree(root);
  const changed = new Set<string>();
  for (const [path, status] of after) {
    const old = before.get(path);
    if (!old || !sameStatus(old, status)) changed.add(path);
  }
  const removed: string[] = [];
  for (const path of before.keys()) {
    if (after.has(path)) continue; // still there, or replaced by another type: the new entry overwrites it
    const parent = posix.dirname(path);
    if (parent !== '.' && !after.has(parent)) continue; // inside a removed directory: its whiteout covers it
    removed.push(path);
  }
  // Parent directories come along, so every entry (whiteouts too) has its directory in the layer.
  for (const path of [...changed, ...removed]) {
    for (let parent = posix.dirname(path); parent !== '.' && !changed.has(parent); parent = posix.dirname(parent)) changed.add(parent);
  }
  const entries: LayerEntry[] = [];
  for (const path of changed) {
    const stats = await lstat(join(root, path));
    if (stats.isFile()) {
      entries.push({ path, type: 'file', mode: stats.mode & 0o7777, mtimeMs: stats.mtimeMs, size: stats.size, source: join(root, path) });
    } else if (stats.isDirectory()) {
      entries.push({ path, type: 'directory', mode: stats.mode & 0o7777, mtimeMs: stats.mtimeMs, size: 0 });
    } else if (stats.isSymbolicLink()) {
      entries.push({ path, type: 'symlink', mode: 0o777, mtimeMs: stats.mtimeMs, size: 0, linkTarget: await readlink(join(root, path)) });
    }
    // Sockets, fifos and devices a command leaves behind are not image content.
  }
  const whiteouts = removed.map((path) => {
    const dir = posix.dirname(path);
    const name = `${WHITEOUT_PREFIX}${posix.basename(path)}`;
    return dir === '.' ? name : `${dir}/${name}`;
  });
  entries.push(...(await whiteoutEntries(whiteouts, work)));
  return sortedByPath(entries);
}

/** Layer entries for whiteout files (`dir/.wh.name`, `dir/.wh..wh..opq`): empty files. */
async function whiteoutEntries(paths: readonly string[], work: string): Promise<LayerEntry[]> {
  if (paths.length === 0) return [];
  const empty = join(work, 'whiteout');
  await mkdir(work, { recursive: true });
  await writeFile(empty, '');
  return paths.map((path) => ({ path, type: 'file', mode: 0o644, mtimeMs: 0, size: 0, source: empty }));
}

/** Parents before children, as a tar should list them. */
function sortedByPath(entries: LayerEntry[]): LayerEntry[] {
  return entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
