/**
 * The build-context files a node needs: what the plans' COPY and ADD steps read from the context,
 * with the modes and mtimes their layers record, sent by content digest (a node keeps the
 * contents in its store, so a file it has is not sent again). On the node they are laid out in a
 * directory of their own that COPY reads as it would read the context here: same paths, same
 * contents, modes and whole-second mtimes, so the layers come out byte for byte the same.
 */
import { createHash } from 'node:crypto';
import { createReadStream, lstatSync, readdirSync, readlinkSync, type Stats } from 'node:fs';
import { chmod, copyFile, lstat, lutimes, mkdir, realpath, symlink, utimes } from 'node:fs/promises';
import { join, posix, relative, sep } from 'node:path';
import type { PlatformPlan, StagePlan } from '@kubefile/compiler';
import { splitLayoutReference } from '../build/build.js';
import { RuntimeError, throwIfAborted } from '../errors.js';
import type { Digest } from '../image/digest.js';
import { contextFileEntry, type FileDigestCache } from '../build/file-digests.js';

export interface ContextFile {
  /** Relative to the context, with '/' separators. */
  path: string;
  type: 'file' | 'directory' | 'symlink';
  /** Permission bits (and setuid/setgid/sticky). */
  mode: number;
  mtimeMs: number;
  /** Files: their content. */
  digest?: Digest;
  size?: number;
  /** Symlinks: where they point, as written. */
  target?: string;
}

/** The context paths the plans (every stage) read: COPY and ADD sources as matched, FROM oci-archive: and oci: bases. */
function contextPaths(plans: readonly PlatformPlan[]): string[] {
  const paths: string[] = [];
  for (const plan of plans) {
    const stages = (plan.stages as StagePlan[] | undefined) ?? [];
    for (const op of stages.length > 0 ? stages.flatMap((stage) => stage.ops) : plan.ops) {
      if ((op.kind === 'copy' || op.kind === 'add') && !op.from) paths.push(...op.matches.flat());
      else if (op.kind === 'from' && op.image.startsWith('oci-archive:')) paths.push(op.image.slice('oci-archive:'.length));
      else if (op.kind === 'from' && op.image.startsWith('oci:')) paths.push(splitLayoutReference(op.image.slice('oci:'.length))[0]);
    }
  }
  return paths;
}

/**
 * What the plans read from `context`: each matched path as COPY resolves it (a symlink named by a
 * source is followed), directories with everything under them (symlinks inside kept as links).
 * Files are hashed unless `digests` knows them unchanged.
 */
export async function contextFilesOf(context: string, plans: readonly PlatformPlan[], digests: FileDigestCache, signal?: AbortSignal): Promise<ContextFile[]> {
  const root = await realpath(context);
  const prefix = root.endsWith(sep) ? root : root + sep;
  const files = new Map<string, ContextFile>();
  const hashing: Promise<void>[] = [];
  const add = (path: string, real: string, stats: Stats): void => {
    if (files.has(path)) return;
    const mode = stats.mode & 0o7777;
    if (stats.isDirectory()) {
      files.set(path, { path, type: 'directory', mode, mtimeMs: stats.mtimeMs });
      for (const name of readdirSync(real)) add(posix.join(path, name), join(real, name), lstatSync(join(real, name)));
    } else if (stats.isFile()) {
      const file: ContextFile = { path, type: 'file', mode, mtimeMs: stats.mtimeMs, size: stats.size };
      files.set(path, file);
      hashing.push(fileDigest(real, stats, digests).then((digest) => void (file.digest = digest)));
    } else if (stats.isSymbolicLink()) {
      files.set(path, { path, type: 'symlink', mode, mtimeMs: stats.mtimeMs, target: readlinkSync(real) });
    }
    // Anything else (a socket, a device) COPY refuses, on the node as here: it is not sent.
  };
  for (const raw of contextPaths(plans)) {
    throwIfAborted(signal);
    const path = posix.normalize(raw === '' ? '.' : raw).replace(/\/$/, '');
    let real: string;
    try {
      real = await realpath(join(root, path));
    } catch {
      continue; // The build reports it, on the node as here.
    }
    if (real !== root && !real.startsWith(prefix)) continue;
    add(path, real, await lstat(real));
  }
  await Promise.all(hashing);
  return [...files.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** A file's digest, from the cache when the file is unchanged since it was hashed. */
async function fileDigest(real: string, stats: Stats, digests: FileDigestCache): Promise<Digest> {
  const entry = contextFileEntry(real, stats);
  const known = digests.lookup(entry);
  if (known) return known;
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(real)) hash.update(chunk as Buffer);
  const digest: Digest = `sha256:${hash.digest('hex')}`;
  digests.record(entry, digest);
  return digest;
}

/** `path` as a relative path that stays inside the directory it is laid out in, or an error. */
function safeRelative(path: string): string {
  const normalized = posix.normalize(path);
  if (path === '.' || normalized === '.') return '.';
  if (posix.isAbsolute(normalized) || normalized === '..' || normalized.startsWith('../') || normalized.includes('\0')) throw new RuntimeError('BUILDER', `a context path outside the context: ${JSON.stringify(path)}`);
  return normalized;
}

/**
 * Lays `files` out under `dir` (on the node): directories, then files copied from `contentPath`
 * (the node's store blob of each digest), then symlinks; modes, then mtimes (directories last,
 * deepest first, as creating their entries changes them).
 */
export async function layOutContext(dir: string, files: readonly ContextFile[], contentPath: (digest: Digest) => string, signal?: AbortSignal): Promise<void> {
  const checked = files.map((file) => ({ ...file, path: safeRelative(file.path) }));
  const at = (path: string) => (path === '.' ? dir : join(dir, path));
  const byDepth = (a: ContextFile, b: ContextFile) => a.path.split('/').length - b.path.split('/').length;
  for (const file of checked.filter((f) => f.type === 'directory').sort(byDepth)) await mkdir(at(file.path), { recursive: true });
  for (const file of checked) {
    throwIfAborted(signal);
    const target = at(file.path);
    if (relative(dir, target).startsWith('..')) throw new RuntimeError('BUILDER', `a context path outside the context: ${JSON.stringify(file.path)}`);
    if (file.type !== 'directory') await mkdir(join(target, '..'), { recursive: true });
    if (file.type === 'file') {
      if (!file.digest) throw new RuntimeError('BUILDER', `${file.path}: a context file without its digest`);
      await copyFile(contentPath(file.digest), target);
      await chmod(target, file.mode);
      await utimes(target, file.mtimeMs / 1000, file.mtimeMs / 1000);
    } else if (file.type === 'symlink') {
      await symlink(file.target ?? '', target);
      await lutimes(target, file.mtimeMs / 1000, file.mtimeMs / 1000);
    }
  }
  for (const file of checked.filter((f) => f.type === 'directory').sort((a, b) => -byDepth(a, b))) {
    await chmod(at(file.path), file.mode);
    await utimes(at(file.path), file.mtimeMs / 1000, file.mtimeMs / 1000);
  }
}
