/**
 * The build context as the compiler sees it: a small read-only file-system interface the caller
 * injects, so the compiler has no Node I/O and runs anywhere (a browser, a language server, tests).
 * Paths are POSIX, relative to the context root, without `./` or a leading `/`; `''` is the root.
 * `@kubefile/compiler/node` provides the implementation over a directory on disk.
 */
import { utf8Encode } from './text.js';

export type ContextEntryType = 'file' | 'directory' | 'symlink' | 'other';

export interface ContextEntry {
  type: ContextEntryType;
  /** Bytes, for files. */
  size: number;
  /** Permission bits (0o755 ...). */
  mode: number;
}

export interface ByteRange {
  offset: number;
  length: number;
}

export interface BuildContext {
  /** The entry at `path` without following a final symlink (lstat); undefined when there is none. */
  stat(path: string): Promise<ContextEntry | undefined>;
  /** The names in a directory, sorted. */
  list(path: string): Promise<string[]>;
  /** A symlink's target, as stored. */
  readLink(path: string): Promise<string>;
  /** A file's bytes, or `range` of them (shorter at the end of the file). */
  read(path: string, range?: ByteRange): Promise<Uint8Array>;
  /**
   * A hint: these paths will be `stat`ed soon. A context that remembers answers can ask for them all
   * at once (the compiler otherwise asks one after the other, each waiting for the last).
   */
  prefetch?(paths: readonly string[]): void;
}

/** A context entry for `memoryContext`: file contents, or a symlink, or a file with a mode. */
export type MemoryEntry = string | Uint8Array | { symlink: string } | { content: string | Uint8Array; mode: number };

/**
 * A build context held in memory: `{ 'amd64/helm': '...', 'charts/x/Chart.yaml': '...' }`.
 * Directories are implied by the paths; an entry ending in `/` with `''` is an empty directory.
 */
export function memoryContext(entries: Record<string, MemoryEntry>): BuildContext {
  interface Node {
    entry: ContextEntry;
    bytes?: Uint8Array;
    target?: string;
  }
  const nodes = new Map<string, Node>([['', { entry: { type: 'directory', size: 0, mode: 0o755 } }]]);
  const children = new Map<string, Set<string>>([['', new Set()]]);
  const addDirectory = (path: string) => {
    if (nodes.has(path)) return;
    const parent = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '';
    addDirectory(parent);
    nodes.set(path, { entry: { type: 'directory', size: 0, mode: 0o755 } });
    children.set(path, new Set());
    children.get(parent)?.add(path.slice(path.lastIndexOf('/') + 1));
  };
  for (const [raw, value] of Object.entries(entries)) {
    const path = raw.replace(/^\/+|\/+$/g, '');
    if (raw.endsWith('/')) {
      addDirectory(path);
      continue;
    }
    const parent = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '';
    addDirectory(parent);
    children.get(parent)?.add(path.slice(path.lastIndexOf('/') + 1));
    if (typeof value === 'object' && 'symlink' in value) {
      nodes.set(path, { entry: { type: 'symlink', size: value.symlink.length, mode: 0o777 }, target: value.symlink });
    } else {
      const content = typeof value === 'object' && 'content' in value ? value.content : value;
      const mode = typeof value === 'object' && 'mode' in value ? value.mode : 0o644;
      const bytes = typeof content === 'string' ? utf8Encode(content) : content;
      nodes.set(path, { entry: { type: 'file', size: bytes.length, mode }, bytes });
    }
  }
  const get = (path: string): Node => {
    const node = nodes.get(path);
    if (!node) throw new Error(`${path}: no such file or directory`);
    return node;
  };
  return {
    stat: async (path) => nodes.get(path)?.entry,
    list: async (path) => {
      const names = children.get(path);
      if (!names) throw new Error(`${path}: not a directory`);
      return [...names].sort();
    },
    readLink: async (path) => {
      const target = get(path).target;
      if (target === undefined) throw new Error(`${path}: not a symlink`);
      return target;
    },
    read: async (path, range) => {
      const bytes = get(path).bytes;
      if (!bytes) throw new Error(`${path}: not a file`);
      return range ? bytes.subarray(range.offset, range.offset + range.length) : bytes;
    },
  };
}
