/**
 * Content digests of build-context files, remembered by file identity (path, device, inode, size,
 * mtime, ctime) so an unchanged file is not read again to decide whether a COPY layer is cached.
 * A file whose identity changed in any way is a miss and gets hashed again while its layer is written.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { dirname } from 'node:path';
import type { LayerEntry } from './copy.js';
import { isDigest, type Digest } from '../image/digest.js';

const FORMAT_VERSION = 1;

/** `[dev, ino, size, mtimeMs, ctimeMs, digest]`: compact, as a context may hold many files. */
type FileRecord = [number, number, number, number, number, Digest];

interface CacheFile {
  version: number;
  files: { [path: string]: FileRecord };
}

/** A build-context file as the cache knows it: its real path and identity (an entry COPY would make of it). */
export function contextFileEntry(source: string, stats: Stats): LayerEntry {
  return { path: source, type: 'file', mode: stats.mode & 0o7777, mtimeMs: stats.mtimeMs, size: stats.size, source, stat: { dev: stats.dev, ino: stats.ino, size: stats.size, mtimeMs: stats.mtimeMs, ctimeMs: stats.ctimeMs } };
}

export class FileDigestCache {
  /** What the file held when loaded. */
  private readonly loaded: Map<string, FileRecord>;
  /** What this run used or learned: all that `save` keeps. */
  private readonly used = new Map<string, FileRecord>();
  private changed = false;

  private constructor(
    readonly path: string,
    loaded: Map<string, FileRecord>,
  ) {
    this.loaded = loaded;
  }

  /** A missing or unreadable file is an empty cache: it only costs hashing again. Records are checked when used. */
  static async load(path: string): Promise<FileDigestCache> {
    let records = new Map<string, FileRecord>();
    try {
      const parsed = JSON.parse(await readFile(path, 'utf8')) as CacheFile;
      if (parsed.version === FORMAT_VERSION && parsed.files && typeof parsed.files === 'object') records = new Map(Object.entries(parsed.files));
    } catch {
      // Missing or corrupt: start empty.
    }
    return new FileDigestCache(path, records);
  }

  lookup(entry: LayerEntry): Digest | undefined {
    if (entry.digest) return entry.digest;
    const { source, stat } = entry;
    if (entry.type !== 'file' || source === undefined || stat === undefined) return undefined;
    const record = this.used.get(source) ?? this.loaded.get(source);
    if (!isRecord(record)) return undefined;
    const [dev, ino, size, mtimeMs, ctimeMs, digest] = record;
    if (dev !== stat.dev || ino !== stat.ino || size !== stat.size || mtimeMs !== stat.mtimeMs || ctimeMs !== stat.ctimeMs) return undefined;
    this.used.set(source, record);
    return digest;
  }

  record(entry: LayerEntry, digest: Digest): void {
    const { source, stat } = entry;
    if (source === undefined || stat === undefined) return;
    this.used.set(source, [stat.dev, stat.ino, stat.size, stat.mtimeMs, stat.ctimeMs, digest]);
    this.changed = true;
  }

  /** Writes what this run used (so the file cannot grow forever), atomically, when that differs from what was loaded. */
  async save(): Promise<void> {
    if (!this.changed && this.used.size === this.loaded.size) return;
    const files: { [path: string]: FileRecord } = {};
    for (const [path, record] of this.used) files[path] = record;
    const body: CacheFile = { version: FORMAT_VERSION, files };
    await mkdir(dirname(this.path), { recursive: true });
    const temp = `${this.path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      const handle = await open(temp, 'wx', 0o644);
      try {
        await handle.writeFile(JSON.stringify(body));
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, this.path);
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      throw error;
    }
    this.loaded.clear();
    for (const [path, record] of this.used) this.loaded.set(path, record);
    this.changed = false;
  }
}

/**
 * The cache key of a COPY/ADD layer: its parent's key, the op's digest and, per entry, what ends
 * up in the tar except mtimes (content addressed, as BuildKit does). Undefined while a file's
 * content digest is unknown: the layer must be written (which records it) before it has a key.
 */
export function copyCacheKey(parentKey: string, opDigest: string, entries: readonly LayerEntry[], digests: FileDigestCache): string | undefined {
  // The JSON of the whole array, built as one string: one hash update instead of one per entry.
  let text = `[${JSON.stringify(parentKey)},${JSON.stringify(opDigest)},[`;
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i];
    let content = 'null';
    if (entry.type === 'file') {
      const digest = digests.lookup(entry);
      if (digest === undefined) return undefined;
      content = `"${digest}"`;
    }
    text += `${i === 0 ? '' : ','}[${JSON.stringify(entry.path)},"${entry.type}",${entry.mode},${entry.linkTarget === undefined ? 'null' : JSON.stringify(entry.linkTarget)},${content}]`;
  }
  return createHash('sha256').update(`${text}]]`).digest('hex');
}

function isRecord(value: unknown): value is FileRecord {
  if (value === undefined) return false;
  return Array.isArray(value) && value.length === 6 && value.slice(0, 5).every((n) => typeof n === 'number') && isDigest(value[5]);
}
