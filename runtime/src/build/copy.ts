/**
 * What a COPY or ADD puts into its layer, with Docker's rules: a matched directory contributes its
 * contents, a matched file lands at `dest/<name>` (or at `dest` itself), symlinks inside copied
 * directories stay links, and a matched path that is a symlink is followed only while it stays in
 * the build context. ADD's `http(s)://` sources are downloaded (see download.ts) and land like a
 * file of the URL path's last element, mode 0600 unless `--chmod`. The result is a sorted, complete list of layer entries (every parent
 * directory present) that `writeLayer` turns into a tar.
 */
import { lstatSync, readdirSync, readlinkSync, type Stats } from 'node:fs';
import { lstat, mkdir, readdir, readlink, realpath } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { CopyOp } from '@kubefile/compiler';
import { normalizeContextPath, sourceKind } from '@kubefile/compiler/sources';
import type { Digest } from '../image/digest.js';
import { errnoCode, RuntimeError, throwIfAborted } from '../errors.js';
import { downloadFile, withoutUserinfo, type DownloadLimits } from './download.js';

export interface LayerEntry {
  /** Inside the image: relative, `/`-separated, no leading or trailing slash (`bin/helm`). */
  path: string;
  type: 'file' | 'directory' | 'symlink';
  /** Permission bits, setuid/setgid/sticky included, `--chmod` applied. */
  mode: number;
  /** From the source; synthesized parent directories have 0. */
  mtimeMs: number;
  /** Bytes for files, 0 otherwise. */
  size: number;
  /** Symlinks: the link text, verbatim. */
  linkTarget?: string;
  /**
   * Files listed in the build context: `source` is their real path, and must still be when the
   * file is opened (a directory on the way swapped for a symlink would lead outside the context).
   */
  listed?: boolean;
  /** Files: the absolute path to read the content from. */
  source?: string;
  /** Files: the content's digest when it is known already (a registry blob), so it is not hashed again. */
  digest?: Digest;
  /** Files: settles when `source` is complete (a blob still downloading); the layer waits for it. */
  ready?: Promise<unknown>;
  /** Files: what the content digest cache checks. */
  stat?: { dev: number; ino: number; size: number; mtimeMs: number; ctimeMs: number };
}

export interface CollectOptions {
  signal?: AbortSignal;
  /**
   * A directory of its own for ADD's downloads (made when needed), which the entries then point
   * into: the caller removes it once the layer is written. Needed when the op has URL sources.
   */
  tempDir?: string;
  /** Limits of ADD's downloads. */
  download?: DownloadLimits;
  /** Bytes downloaded, as they arrive. */
  onBytes?: (bytes: number) => void;
}

/** The mode BuildKit gives a downloaded file (its HTTP source's default). */
const DOWNLOAD_MODE = 0o600;

/** ADD's `http(s)://` sources: what a layer downloads. */
export function remoteSources(op: CopyOp): string[] {
  return op.kind === 'add' ? op.sources.filter((source) => sourceKind(source) === 'http') : [];
}

/** What the URLs of an ADD add to its layer's cache key (with its content): the URLs without userinfo. */
export function remoteKeyPart(op: CopyOp): string {
  const urls = remoteSources(op);
  return urls.length === 0 ? '' : ` ${JSON.stringify(urls.map(withoutUserinfo))}`;
}

/** Directory entries made up for parents the sources do not provide. */
const PARENT_MODE = 0o755;

export async function collectCopyEntries(contextDir: string, op: CopyOp, options: CollectOptions = {}): Promise<LayerEntry[]> {
  const { signal } = options;
  if (op.kind === 'add') {
    for (const source of op.sources) {
      if (sourceKind(source) === 'git') {
        throw new RuntimeError('UNSUPPORTED', `ADD ${withoutUserinfo(source)}: cloning git repositories is not supported yet; clone it into the build context and COPY it`);
      }
    }
  }
  const chmod = op.chmod === undefined ? undefined : parseChmod(op.chmod);
  const root = await realpath(contextDir);
  // In the order written: a later source replaces an earlier one at the same path.
  const matched: ({ path: string } | { url: string })[] = [];
  const seen = new Set<string>();
  op.sources.forEach((source, i) => {
    if (op.kind === 'add' && sourceKind(source) === 'http') {
      matched.push({ url: source });
      return;
    }
    const paths = op.matches[i] ?? [];
    if (paths.length === 0) throw new RuntimeError('SOURCE', `${source}: no such file in the build context`);
    for (const path of paths) {
      if (seen.has(path)) continue;
      seen.add(path);
      matched.push({ path });
    }
  });
  if (matched.length > 1 && !op.destIsDirectory && op.dest !== '') {
    throw new RuntimeError('SOURCE', `${op.kind === 'add' ? 'ADD' : 'COPY'} with more than one source file needs a directory destination (end it with /)`);
  }

  const tree = new EntryTree();
  const collector = new Collector(root, tree, chmod, signal);
  let downloads = 0;
  for (const item of matched) {
    throwIfAborted(signal);
    if ('url' in item) {
      if (options.tempDir === undefined) throw new Error('collectCopyEntries: an ADD of a URL needs a tempDir');
      if (downloads === 0) await mkdir(options.tempDir, { recursive: true });
      const got = await downloadFile(item.url, join(options.tempDir, `${downloads++}`), { ...options.download, ...(signal ? { signal } : {}), ...(options.onBytes ? { onBytes: options.onBytes } : {}) });
      const target = op.destIsDirectory || op.dest === '' ? joinImagePath(op.dest, got.name) : op.dest;
      tree.add({ path: target, type: 'file', mode: chmod ?? DOWNLOAD_MODE, mtimeMs: got.mtimeMs, size: got.size, source: got.path, digest: got.digest });
      continue;
    }
    const { path } = item;
    const { real, stats } = await resolveMatch(root, path);
    await addMatch(tree, collector, op, path, real, stats);
  }
  return tree.sorted();
}

/** One matched source: a directory's contents go into dest, a file to dest (or into it when it is a directory). */
async function addMatch(tree: EntryTree, collector: Collector, op: CopyOp, path: string, real: string, stats: Stats): Promise<void> {
  if (stats.isDirectory()) {
    if (op.dest !== '') tree.add(collector.entryOf(op.dest, 'directory', stats));
    await collector.walk(real, op.dest);
  } else if (stats.isFile()) {
    const target = op.destIsDirectory || op.dest === '' ? joinImagePath(op.dest, path.slice(path.lastIndexOf('/') + 1)) : op.dest;
    tree.add(collector.fileEntry(target, real, stats));
  } else {
    throw new RuntimeError('SOURCE', `${path}: cannot copy ${kindOf(stats)}`);
  }
}

/**
 * COPY --from: what the op's sources (paths in an image, wildcards allowed) name in `rootDir`, an
 * image root unpacked. Sources are resolved inside that root: an absolute symlink starts again at
 * it and `..` stops at it, as they would inside a container, so nothing of the host is read.
 */
export async function collectRootEntries(rootDir: string, op: CopyOp, signal?: AbortSignal): Promise<LayerEntry[]> {
  const chmod = op.chmod === undefined ? undefined : parseChmod(op.chmod);
  const root = await realpath(rootDir);
  const matched: string[] = [];
  for (const source of op.sources) {
    const found = await globInRoot(root, source);
    if (found.length === 0) throw new RuntimeError('SOURCE', `${source}: no such file in the ${fromName(op)}`);
    for (const path of found) if (!matched.includes(path)) matched.push(path);
  }
  if (matched.length > 1 && !op.destIsDirectory && op.dest !== '') {
    throw new RuntimeError('SOURCE', `${op.kind === 'add' ? 'ADD' : 'COPY'} with more than one source file needs a directory destination (end it with /)`);
  }
  const tree = new EntryTree();
  const collector = new Collector(root, tree, chmod, signal);
  for (const path of matched) {
    throwIfAborted(signal);
    const real = await resolveInRoot(root, path);
    const stats = await lstat(real).catch(() => undefined);
    if (!stats) throw new RuntimeError('SOURCE', `${path}: no such file in the ${fromName(op)}`);
    await addMatch(tree, collector, op, path, real, stats);
  }
  return tree.sorted();
}

function fromName(op: CopyOp): string {
  if (!op.from) return 'image';
  return 'stage' in op.from ? `stage ${op.from.name}` : `image ${op.from.image}`;
}

/** The image paths (relative, `/`-separated) a source names in the root; wildcards match within one component. */
async function globInRoot(root: string, source: string): Promise<string[]> {
  let paths = [''];
  for (const part of imagePathParts(source)) {
    const next: string[] = [];
    for (const dir of paths) {
      if (!/[*?[]/.test(part)) {
        next.push(joinImagePath(dir, part));
        continue;
      }
      const pattern = globPattern(part);
      const names = await readdir(await resolveInRoot(root, dir)).catch(() => [] as string[]);
      for (const name of names.sort()) if (pattern.test(name)) next.push(joinImagePath(dir, name));
    }
    paths = next;
  }
  const exists = await Promise.all(paths.map((path) => resolveInRoot(root, path).then((real) => lstat(real).then(() => true, () => false))));
  return paths.filter((_, i) => exists[i]);
}

/** A path in an image as components: leading `/` and `.` dropped, `..` never above the root. */
function imagePathParts(path: string): string[] {
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return parts;
}

/** One path component's wildcard (`*`, `?`, `[a-z]`, `[!a]`) as a regular expression. */
function globPattern(part: string): RegExp {
  let out = '';
  for (let i = 0; i < part.length; i++) {
    const c = part[i];
    if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else if (c === '[') {
      const close = part.indexOf(']', i + 2);
      if (close === -1) out += '\\[';
      else {
        const body = part.slice(i + 1, close);
        out += `[${body.startsWith('!') ? `^${body.slice(1)}` : body}]`;
        i = close;
      }
    } else out += c.replace(/[\\^$.|+(){}\]]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

/** The host path of an image path in `root`, each symlink on the way followed inside the root (the last one too). */
async function resolveInRoot(root: string, path: string): Promise<string> {
  let pending = imagePathParts(path);
  const done: string[] = [];
  for (let hops = 0; pending.length > 0; ) {
    const part = pending.shift()!;
    if (part === '..') {
      done.pop();
      continue;
    }
    const here = join(root, ...done, part);
    const stats = await lstat(here).catch(() => undefined);
    if (stats?.isSymbolicLink()) {
      if (++hops > 40) throw new RuntimeError('SOURCE', `${path}: symlink loop`);
      const target = await readlink(here);
      if (target.startsWith('/')) done.length = 0;
      pending = [...target.split('/').filter((p) => p !== '' && p !== '.'), ...pending];
      continue;
    }
    done.push(part);
  }
  return join(root, ...done);
}

/** `755` or `0644`: the bits `--chmod` sets. */
export function parseChmod(text: string): number {
  if (!/^[0-7]{1,4}$/.test(text)) throw new RuntimeError('SOURCE', `--chmod=${text}: not an octal mode (like 755 or 0644)`);
  return Number.parseInt(text, 8);
}

/** Follows the matched path (and any symlinks on the way) and insists it stays in the context. */
async function resolveMatch(root: string, path: string): Promise<{ real: string; stats: Stats }> {
  const normalized = normalizeContextPath(path);
  if (normalized.escapes) throw new RuntimeError('SOURCE', `${path}: outside the build context`);
  let real: string;
  try {
    real = await realpath(join(root, normalized.path));
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new RuntimeError('SOURCE', `${path}: no such file in the build context`);
    if (code === 'ELOOP') throw new RuntimeError('SOURCE', `${path}: symlink loop`);
    throw error;
  }
  const prefix = root.endsWith(sep) ? root : root + sep;
  if (real !== root && !real.startsWith(prefix)) throw new RuntimeError('SOURCE', `${path}: symlink points outside the build context`);
  return { real, stats: await lstat(real) };
}

class Collector {
  constructor(
    private readonly root: string,
    private readonly tree: EntryTree,
    private readonly chmod: number | undefined,
    private readonly signal: AbortSignal | undefined,
  ) {}

  entryOf(path: string, type: LayerEntry['type'], stats: Stats): LayerEntry {
    const mode = type !== 'symlink' && this.chmod !== undefined ? this.chmod : stats.mode & 0o7777;
    return { path, type, mode, mtimeMs: stats.mtimeMs, size: 0 };
  }

  fileEntry(path: string, source: string, stats: Stats): LayerEntry {
    const entry = this.entryOf(path, 'file', stats);
    entry.size = stats.size;
    entry.source = source;
    entry.listed = true;
    entry.stat = { dev: stats.dev, ino: stats.ino, size: stats.size, mtimeMs: stats.mtimeMs, ctimeMs: stats.ctimeMs };
    return entry;
  }

  /**
   * Adds what is under `dir` (never following symlinks) below `dest`. Synchronous calls: on many
   * small files they are several times cheaper than the async ones (a thread-pool round trip each),
   * and a no-change rebuild is mostly this walk.
   */
  async walk(dir: string, dest: string): Promise<void> {
    throwIfAborted(this.signal);
    const subdirectories: [string, string][] = [];
    for (const name of readdirSync(dir)) {
      const source = join(dir, name);
      const path = joinImagePath(dest, name);
      const stats = statOrGone(source, this.root);
      if (stats.isFile()) {
        this.tree.add(this.fileEntry(path, source, stats));
      } else if (stats.isDirectory()) {
        this.tree.add(this.entryOf(path, 'directory', stats));
        subdirectories.push([source, path]);
      } else if (stats.isSymbolicLink()) {
        const entry = this.entryOf(path, 'symlink', stats);
        entry.linkTarget = readlinkSync(source);
        this.tree.add(entry);
      } else {
        throw new RuntimeError('SOURCE', `${relative(this.root, source)}: cannot copy ${kindOf(stats)}`);
      }
    }
    for (const [source, path] of subdirectories) await this.walk(source, path);
  }
}

/**
 * The layer's entries by path. A later entry replaces an earlier one at the same path, as a later
 * copy would; a non-directory replacing a directory takes its contents with it, and a path whose
 * parent is not a directory gets one.
 */
export class EntryTree {
  private readonly entries = new Map<string, LayerEntry>();

  add(entry: LayerEntry): void {
    const previous = this.entries.get(entry.path);
    if (previous?.type === 'directory' && entry.type !== 'directory') {
      const prefix = `${entry.path}/`;
      for (const path of this.entries.keys()) if (path.startsWith(prefix)) this.entries.delete(path);
    }
    this.ensureParents(entry.path);
    this.entries.set(entry.path, entry);
  }

  sorted(): LayerEntry[] {
    return [...this.entries.values()].sort((a, b) => comparePaths(a.path, b.path));
  }

  private ensureParents(path: string): void {
    for (let slash = path.indexOf('/'); slash !== -1; slash = path.indexOf('/', slash + 1)) {
      const parent = path.slice(0, slash);
      const existing = this.entries.get(parent);
      if (existing?.type === 'directory') continue;
      this.entries.set(parent, { path: parent, type: 'directory', mode: PARENT_MODE, mtimeMs: 0, size: 0 });
    }
  }
}

/** An entry removed between `readdir` and `lstat` is the user's doing, not a bug. */
function statOrGone(source: string, root: string): Stats {
  try {
    return lstatSync(source);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') throw new RuntimeError('SOURCE', `${relative(root, source)}: removed while the build context was being read`);
    throw error;
  }
}

/** Component by component (as if `/` sorted first), so a directory's contents follow it directly. */
export function comparePaths(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    if (ca === cb) continue;
    if (ca === 0x2f) return -1;
    if (cb === 0x2f) return 1;
    return ca - cb;
  }
  return a.length - b.length;
}

function joinImagePath(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`;
}

function kindOf(stats: Stats): string {
  if (stats.isSocket()) return 'a socket';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  return 'this kind of file';
}
