/**
 * Applications (APP, CNI, CSI) as sealer v0.11 builds them: their files go to
 * `application/apps/<name>/` in the image, and sealer records a type (`helm`, `kube`, `shell`, or
 * `''` when it cannot tell) and the files its default launch command uses. The rules are
 * sealer's build/kubefile/parser/utils.go (isHelm, getApplicationType, getApplicationFiles),
 * quirks included, read through the injected `BuildContext` instead of the disk.
 */
import type { BuildContext, ContextEntry } from './context.js';
import { followLinks, joinPath } from './sources.js';

/** sealer's application types (pkg/define/application/types.go); `''` is "not detected". */
export type SealerAppType = 'kube' | 'helm' | 'shell' | '';

/** Where sealer puts an application's files: `application/apps/<name>/` (rootfs App().Root()). */
export const APP_ROOT = 'application/apps';

/** One source as sealer sees it: a path in the context (`local://` trimmed, as written) or a URL it downloads. */
export type AppSource = { local: string; path: string } | { url: string };

export interface SealerApp {
  type: SealerAppType;
  files: string[];
  /** Why no type was detected (`type` is `''`): the first file of no known kind, or "mixed". */
  reason?: string;
}

/** One source examined: its kind on disk and, for directories, what filepath.Walk would visit. */
interface Examined {
  /** The name sealer works with: the local path as written, or the downloaded file's path. */
  written: string;
  /** os.Stat: followed through symlinks. */
  kind: 'file' | 'directory';
  /** The source itself is a symlink (filepath.Walk does not follow it). */
  link: boolean;
  /** For directories: the context path of the directory (links followed). */
  dir?: string;
}

/**
 * The type and files sealer v0.11 records for an application with these sources (in sealer's
 * order: local ones first, then downloaded ones). Undefined when a source cannot be found (sealer
 * fails on it; the compiler has reported it already).
 */
export async function sealerApplication(context: BuildContext, name: string, sources: readonly AppSource[]): Promise<SealerApp | undefined> {
  const examined: Examined[] = [];
  for (const source of sources) {
    if ('url' in source) {
      // getFileFromURL: the file is named after the URL path's last element, in a temporary directory.
      examined.push({ written: `sealer-remote-files/${urlBaseName(source.url)}`, kind: 'file', link: false });
      continue;
    }
    const found = await followLinks(context, source.path);
    if (found === undefined || found === 'outside') return undefined;
    const link = (await context.stat(source.path))?.type === 'symlink';
    const kind = found.entry.type === 'directory' ? 'directory' : 'file';
    examined.push(kind === 'directory' ? { written: source.local, kind, link, dir: found.path } : { written: source.local, kind, link });
  }
  if (await isHelm(context, examined)) return { type: 'helm', files: [name] };
  const walks = await Promise.all(examined.map((source) => walkFiles(context, source)));
  let shell = false;
  let kube = false;
  for (const [i, source] of examined.entries()) {
    // getApplicationType: the names of a directory's files (walked), the path of a file.
    const files = source.kind === 'directory' ? walks[i] : [{ path: source.written, name: source.written }];
    for (const file of files) {
      const type = typeOfFile(file.name);
      if (type === undefined) return { type: '', files: [], reason: `${file.path} is not .yaml, .yml or .sh` };
      if (type === 'shell') shell = true;
      else kube = true;
    }
  }
  const type: SealerAppType = shell && !kube ? 'shell' : kube && !shell ? 'kube' : '';
  if (type === '') return { type, files: [], reason: shell ? 'it mixes .sh and YAML files' : 'it has no files' };
  // getApplicationFiles: a directory's files as the walk's paths minus the source's prefix (so
  // `app` gives `/a.yaml`, `app/` gives `a.yaml`), a file's base name; shell: the first source only.
  const files: string[] = [];
  for (const [i, source] of examined.entries()) {
    if (source.kind === 'directory') for (const file of walks[i]) files.push(trimPrefix(file.path, source.written));
    else files.push(baseName(source.written));
    if (type === 'shell') break;
  }
  return { type, files };
}

/** `.sh` is shell, `.yaml`/`.yml` kube (extension compared in lower case), anything else unknown. */
function typeOfFile(path: string): 'shell' | 'kube' | undefined {
  const name = baseName(path);
  const dot = name.lastIndexOf('.');
  const ext = dot === -1 ? '' : name.slice(dot).toLowerCase();
  if (ext === '.sh') return 'shell';
  if (ext === '.yaml' || ext === '.yml') return 'kube';
  return undefined;
}

/**
 * sealer's isHelm: a directory source holding Chart.yaml, values.yaml and templates is a chart;
 * otherwise the names of the sources' top-level files (and the file sources' paths) ending in
 * `Chart.yaml`, `values.yaml` and `templates` must all be present among them.
 */
async function isHelm(context: BuildContext, sources: readonly Examined[]): Promise<boolean> {
  let parts = 0;
  const part = (name: string) => {
    if (name.endsWith('Chart.yaml')) parts |= 1;
    else if (name.endsWith('values.yaml')) parts |= 2;
    else if (name.endsWith('templates')) parts |= 4;
  };
  const exists = async (path: string) => (await followLinks(context, path)) !== undefined;
  for (const source of sources) {
    if (source.kind === 'directory' && source.dir !== undefined) {
      const dir = source.dir;
      if ((await exists(joinPath(dir, 'Chart.yaml'))) && (await exists(joinPath(dir, 'values.yaml'))) && (await exists(joinPath(dir, 'templates')))) return true;
      for (const name of await context.list(dir)) {
        // os.ReadDir: an entry is a directory only when it is one itself (a link to one is not).
        if ((await context.stat(joinPath(dir, name)))?.type !== 'directory') part(name);
      }
    } else {
      part(source.written);
    }
  }
  return parts === 7;
}

/**
 * What filepath.Walk visits below a directory source that is not a directory itself, in its
 * order (names sorted): each as the walk's path (`path.Join` of the source as written and the
 * names) and the file's own name. The walk does not follow links, the source's own included.
 */
async function walkFiles(context: BuildContext, source: Examined): Promise<{ path: string; name: string }[]> {
  if (source.kind !== 'directory' || source.dir === undefined) return [];
  if (source.link) return [{ path: source.written, name: baseName(goClean(source.written)) }];
  const out: { path: string; name: string }[] = [];
  const visit = async (dir: string, walkPath: string): Promise<void> => {
    for (const name of await context.list(dir)) {
      const child = joinPath(dir, name);
      const entry: ContextEntry | undefined = await context.stat(child);
      const path = goClean(`${walkPath}/${name}`);
      if (entry?.type === 'directory') await visit(child, path);
      else out.push({ path, name });
    }
  };
  await visit(source.dir, source.written);
  return out;
}

/** Go's strings.TrimPrefix. */
function trimPrefix(text: string, prefix: string): string {
  return text.startsWith(prefix) ? text.slice(prefix.length) : text;
}

/** Go's filepath.Base. */
function baseName(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  if (trimmed === '') return path === '' ? '.' : '/';
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}

/** Go's path.Clean: `.` and `..` resolved lexically, repeated and trailing slashes removed. */
export function goClean(path: string): string {
  const rooted = path.startsWith('/');
  const out: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
    } else out.push(segment);
  }
  const joined = out.join('/');
  return rooted ? `/${joined}` : joined || '.';
}

/** The last element of a URL's path (percent-decoded), as sealer names a downloaded file. */
function urlBaseName(url: string): string {
  const path = url.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, '').replace(/[?#].*$/s, '');
  let decoded = path;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    // sealer fails on a URL it cannot parse; keep the text
  }
  return baseName(decoded === '' ? '.' : decoded);
}
