/**
 * COPY/ADD/APP sources and destinations: what kind of source a string is, normalized paths, and
 * resolution of context sources (wildcards included) through the injected `BuildContext`, refusing
 * anything that leads outside the context.
 */
import type { BuildContext, ContextEntry } from './context.js';

export type SourceKind = 'context' | 'http' | 'git';

/** `http(s)://...` downloads; git URLs (`git@host:repo`, `git://`, `https://host/x.git`, `ssh://`) clone. */
export function sourceKind(source: string): SourceKind {
  if (/^git@[^:]+:/.test(source) || /^(git|ssh|git\+https?):\/\//i.test(source) || /^https?:\/\/[^#]+\.git(#.*)?$/i.test(source)) return 'git';
  if (/^https?:\/\//i.test(source)) return 'http';
  return 'context';
}

/** The rootfs directories of a cluster image: a COPY into one of them copies into it. */
export const ROOTFS_DIRECTORIES = ['applications', 'bin', 'charts', 'cri', 'etc', 'images', 'lib', 'manifests', 'plugins', 'registry', 'scripts', 'statics'];

/** Destinations whose content is checked (image archives, plugin YAML, Helm charts, manifests). */
export type SpecialDestination = 'images' | 'plugins' | 'charts' | 'manifests';

export interface Destination {
  /** Relative to the image root, no leading `/` or `./`, no trailing `/`; `''` is the root. */
  path: string;
  /** Ends with `/`, is the root, or is a rootfs directory. */
  directory: boolean;
  special?: SpecialDestination;
  /** The path climbs above the image root (`../x`). */
  escapes: boolean;
}

/** Collapses `.`, `..` and repeated `/`; `up` counts the `..` left over at the start. */
function collapse(path: string): { segments: string[]; up: number } {
  const segments: string[] = [];
  let up = 0;
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (segments.length > 0) segments.pop();
      else up++;
    } else {
      segments.push(segment);
    }
  }
  return { segments, up };
}

export function normalizeDestination(dest: string): Destination {
  const { segments, up } = collapse(dest);
  const path = segments.join('/');
  const first = segments[0];
  const special = (['images', 'plugins', 'charts', 'manifests'] as const).find((s) => s === first);
  const directory = /\/\.?$/.test(dest) || dest === '.' || path === '' || (segments.length === 1 && ROOTFS_DIRECTORIES.includes(path));
  const destination: Destination = { path, directory, escapes: up > 0 };
  if (special) destination.special = special;
  return destination;
}

export interface ContextPath {
  /** Normalized, relative to the context root; `''` is the root. */
  path: string;
  /** Written as an absolute path (`/x`). */
  absolute: boolean;
  /** Climbs out of the context (`../x`). */
  escapes: boolean;
}

/**
 * A `COPY --from` source: a path in another image's root. A leading `/` means that root, and `..`
 * stops at it (as in BuildKit), so any text is a path inside it; wildcards are kept.
 */
export function normalizeImagePath(source: string): string {
  return collapse(source).segments.join('/') || '.';
}

export function normalizeContextPath(source: string): ContextPath {
  const { segments, up } = collapse(source);
  return { path: segments.join('/'), absolute: source.startsWith('/'), escapes: up > 0 };
}

/** `*`, `?` or `[` unescaped: the path is a pattern (Go's filepath.Match, one segment at a time). */
export function hasWildcard(path: string): boolean {
  return /(^|[^\\])[*?[]/.test(path);
}

/** A segment pattern as a RegExp: `*` any run without `/`, `?` one character, `[...]`/`[^...]` classes, `\x` literal. */
export function segmentPattern(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '\\' && i + 1 < pattern.length) out += escapeRegExp(pattern[++i]);
    else if (ch === '*') out += '[^/]*';
    else if (ch === '?') out += '[^/]';
    else if (ch === '[') {
      const close = pattern.indexOf(']', i + 2);
      if (close === -1) {
        out += '\\[';
        continue;
      }
      let body = pattern.slice(i + 1, close);
      const negated = body.startsWith('^') || body.startsWith('!');
      if (negated) body = body.slice(1);
      out += `[${negated ? '^' : ''}${body.replace(/[\]\\]/g, '\\$&')}]`;
      i = close;
    } else out += escapeRegExp(ch);
  }
  return new RegExp(`^${out}$`, 'u');
}

/** `text` matched literally inside a RegExp. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** `dir/name`, or `name` at the context root. */
export function joinPath(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`;
}

function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash === -1 ? '' : path.slice(0, slash);
}

export interface Resolution {
  /** Matched context paths (files, directories, links inside the context), sorted. */
  matches: string[];
  /** Paths whose symlinks lead outside the context (never copied). */
  outside: string[];
}

/**
 * The context paths a source names. A pattern matches segment by segment; a symlink is reported in
 * `outside` when its target (followed through further links) leaves the context.
 */
export async function resolveSource(context: BuildContext, source: ContextPath): Promise<Resolution> {
  const resolution: Resolution = { matches: [], outside: [] };
  if (source.escapes) return resolution;
  const segments = source.path === '' ? [] : source.path.split('/');
  let candidates = [''];
  for (const segment of segments) {
    const next: string[] = [];
    for (const dir of candidates) {
      if (!hasWildcard(segment)) {
        const path = joinPath(dir, segment.replace(/\\(.)/g, '$1'));
        if (await context.stat(path)) next.push(path);
        continue;
      }
      const entry = await context.stat(dir);
      if (entry?.type !== 'directory') continue;
      const pattern = segmentPattern(segment);
      for (const name of await context.list(dir)) if (pattern.test(name)) next.push(joinPath(dir, name));
    }
    candidates = next;
  }
  for (const path of candidates) {
    if (await leavesContext(context, path)) resolution.outside.push(path);
    else resolution.matches.push(path);
  }
  resolution.matches.sort();
  return resolution;
}

async function leavesContext(context: BuildContext, path: string): Promise<boolean> {
  return (await followLinks(context, path)) === 'outside';
}

/**
 * Follows symlinks from `path` (at most 40 hops, like Linux): the entry finally reached and its
 * path; `'outside'` when a link is absolute or climbs out of the context; undefined when a link
 * dangles or loops.
 */
export async function followLinks(context: BuildContext, path: string): Promise<{ path: string; entry: ContextEntry } | 'outside' | undefined> {
  let current = path;
  for (let hops = 0; hops < 40; hops++) {
    const entry = await context.stat(current);
    if (entry?.type !== 'symlink') return entry && { path: current, entry };
    const target = await context.readLink(current);
    if (target.startsWith('/')) return 'outside';
    const resolved = normalizeContextPath(joinPath(parentOf(current), target));
    if (resolved.escapes) return 'outside';
    current = resolved.path;
  }
  return undefined;
}

/** Every regular file under the matched paths (directories walked, symlinks not followed), sorted. */
export async function filesUnder(context: BuildContext, paths: readonly string[], limit = 10_000): Promise<string[]> {
  const out: string[] = [];
  const visit = async (path: string): Promise<void> => {
    if (out.length >= limit) return;
    const entry = await context.stat(path);
    if (entry?.type === 'directory') {
      for (const name of await context.list(path)) await visit(joinPath(path, name));
    } else if (entry?.type === 'file') {
      out.push(path);
    }
  };
  for (const path of paths) await visit(path);
  return out.sort();
}
