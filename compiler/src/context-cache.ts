/**
 * A build context that remembers what it read, and asks for the paths `prefetch` names all at once.
 * The language server analyses a Kubefile again on every keystroke, and most of that work was asking
 * the file system the same questions (hundreds of COPY sources); it drops the memory when the client
 * reports a file change. `kubefilec lint` and `compile` use it for the prefetch: thousands of COPY
 * sources asked one after the other left the process waiting on each answer.
 *
 * A path its directory's listing does not hold is missing without asking: a large Kubefile names
 * thousands of sources in a few directories, many of them not there, and one listing answers for
 * all of those (where each was an lstat).
 */
import type { BuildContext, ByteRange, ContextEntry } from './context.js';

export class CachedContext implements BuildContext {
  private readonly stats = new Map<string, Promise<ContextEntry | undefined>>();
  private readonly lists = new Map<string, Promise<string[]>>();
  private readonly links = new Map<string, Promise<string>>();
  private readonly reads = new Map<string, Promise<Uint8Array>>();
  /** Each directory's names; undefined where a listing cannot tell (not listable, or reached through a symlink). */
  private readonly names = new Map<string, Promise<ReadonlySet<string> | undefined>>();

  constructor(private readonly base: BuildContext) {}

  stat(path: string): Promise<ContextEntry | undefined> {
    return remember(this.stats, path, async () => {
      const slash = path.lastIndexOf('/');
      const names = path === '' ? undefined : await this.namesIn(slash === -1 ? '' : path.slice(0, slash));
      return names && !names.has(path.slice(slash + 1)) ? undefined : this.base.stat(path);
    });
  }

  private namesIn(directory: string): Promise<ReadonlySet<string> | undefined> {
    return remember(this.names, directory, async () => {
      const entry = directory === '' ? undefined : await this.stat(directory);
      // Nothing is under a missing path or a file; under a symlink, lstat follows it and the listing would not.
      if (directory !== '' && entry?.type !== 'directory') return entry === undefined || entry.type === 'file' ? NOTHING : undefined;
      return this.list(directory).then(
        (names) => new Set(names),
        () => undefined,
      );
    });
  }

  list(path: string): Promise<string[]> {
    return remember(this.lists, path, () => this.base.list(path));
  }

  readLink(path: string): Promise<string> {
    return remember(this.links, path, () => this.base.readLink(path));
  }

  read(path: string, range?: ByteRange): Promise<Uint8Array> {
    return remember(this.reads, range ? `${path}\0${range.offset}\0${range.length}` : path, () => this.base.read(path, range));
  }

  /** Asks for every path at once; the answers are remembered for the compiler's questions. */
  prefetch(paths: readonly string[]): void {
    for (const path of paths) void this.stat(path).catch(() => undefined);
  }

  /** Forgets everything: the next analysis reads the file system again. */
  clear(): void {
    for (const map of [this.stats, this.lists, this.links, this.reads, this.names]) map.clear();
  }
}

const NOTHING: ReadonlySet<string> = new Set();

/** Failures are not remembered: a missing file may appear, and errors are rare. */
function remember<T>(map: Map<string, Promise<T>>, key: string, load: () => Promise<T>): Promise<T> {
  let found = map.get(key);
  if (!found) {
    found = load();
    map.set(key, found);
    found.catch(() => map.delete(key));
  }
  return found;
}
