/**
 * What a cluster image's own files ask to be carried along, as sealer's ParseContainerImageList
 * finds them: the container images named by `manifests/` (`.yaml`, `.yml` and `.tmpl` files at any
 * depth, and `manifests/imageList`), by the Helm charts in `charts/` (directories or packaged
 * `.tgz`, subcharts included), and by the applications in `application/apps/<name>/` (a Helm chart
 * when the directory has `Chart.yaml`, `values.yaml` and `templates`, else its YAML files), each
 * of those recorded with its app's name; plus the image archives in `images/`. Reads a directory
 * holding those parts of the image (unpacked from its layers); the references themselves are found
 * by the pure functions of `image-references.ts`.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, posix, resolve } from 'node:path';
import { createGunzip } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import { imageReferenceError } from '@kubefile/compiler/reference';
import { errnoCode, RuntimeError, throwIfAborted } from '../errors.js';
import { chartMetadata, imagesInChartTemplate, imagesInChartValues, imagesInImageList, imagesInManifest, type FoundImage } from './image-references.js';

/**
 * The image directories this reads; only these need unpacking (`isCollectedFile` says which files
 * in them). `application` rather than `application/apps`, so that a COPY into `application` counts.
 */
export const COLLECTED_DIRECTORIES = ['manifests', 'charts', 'application', 'images'] as const;

/** Where sealer keeps an image's applications, one directory each (its rootfs manager's app root). */
export const APPLICATIONS_DIRECTORY = 'application/apps';

/**
 * A place that names a container image: a file in the image (`manifests/app.yaml`, a chart part
 * `charts/app-1.0.0.tgz!app/values.yaml`) or an `--image-list` file (as the user named it), and the line.
 */
export interface ImagePlace {
  in: 'image' | 'list';
  path: string;
  line?: number;
}

/** A container image to carry, with every place that names it (`manifests/app.yaml:12`). */
export interface WantedImage {
  reference: string;
  /** The places as text (`manifests/app.yaml:12`), as the config records them. */
  sources: string[];
  /** The same places, in the same order. */
  places: ImagePlace[];
  /** The application (`application/apps/<name>/`) whose files name it; the first one, when several do. */
  appName?: string;
}

/** A Helm chart found in the image: where, and what its Chart.yaml says. */
export interface ChartInfo {
  /** `charts/app`, or `charts/app-1.0.0.tgz` for a packaged one (`!` then the path inside it for subcharts). */
  path: string;
  name?: string;
  version?: string;
  kubeVersion?: string;
}

export interface CollectSources {
  images: WantedImage[];
  charts: ChartInfo[];
  /** Image archives under `images/`: the path in the image, and the file to read it from. */
  archives: { path: string; file: string }[];
}

/** A file named by `--image-list` / `--ignore-image-list`: its text, and how messages name it. */
export interface ImageListFile {
  name: string;
  text: string;
}

/** Text files larger than this are not manifests or chart parts anyone writes by hand. */
const MAX_TEXT_BYTES = 8 << 20;

/** Collects references in order of first appearance; each keeps all the places that name it. */
class WantedImages {
  private readonly byReference = new Map<string, WantedImage>();

  add(found: readonly FoundImage[], file: string, appName?: string, kind: ImagePlace['in'] = 'image'): void {
    for (const { reference, line } of found) {
      const source = line === undefined ? file : `${file}:${line}`;
      const place: ImagePlace = { in: kind, path: file, ...(line !== undefined ? { line } : {}) };
      const known = this.byReference.get(reference);
      if (known) {
        known.sources.push(source);
        known.places.push(place);
        if (appName !== undefined) known.appName ??= appName;
      } else this.byReference.set(reference, { reference, sources: [source], places: [place], ...(appName !== undefined ? { appName } : {}) });
    }
  }

  list(): WantedImage[] {
    return [...this.byReference.values()];
  }
}

/** Image lists larger than this are not lists anyone writes. */
const MAX_IMAGE_LIST_BYTES = 4 << 20;

/**
 * `--image-list` / `--ignore-image-list` files, read before anything is built so a wrong path fails
 * at once (RuntimeError SOURCE, one line). Each keeps the path as given for its messages; a relative
 * one is read from `dir` (default: the working directory).
 */
export async function readImageLists(paths: readonly string[] | undefined, dir?: string): Promise<ImageListFile[]> {
  return Promise.all(
    (paths ?? []).map(async (path) => {
      const file = dir === undefined ? path : resolve(dir, path);
      try {
        if ((await stat(file)).size > MAX_IMAGE_LIST_BYTES) throw new RuntimeError('SOURCE', `image list ${path} is larger than ${MAX_IMAGE_LIST_BYTES >> 20} MiB`);
        return { name: path, text: await readFile(file, 'utf8') };
      } catch (error) {
        if (error instanceof RuntimeError) throw error;
        throw new RuntimeError('SOURCE', `cannot read image list ${path}: ${errnoCode(error) === 'ENOENT' ? 'no such file' : error instanceof Error ? error.message : String(error)}`);
      }
    }),
  );
}

/** The images an image list names; a line that is not an image reference is an error at that line. */
export function imageListReferences(list: ImageListFile): FoundImage[] {
  const found = imagesInImageList(list.text);
  for (const { reference, line } of found) {
    const error = imageReferenceError(reference);
    if (error) throw new RuntimeError('INVALID_NAME', `${list.name}:${line ?? 1}: ${JSON.stringify(reference)} is not an image reference: ${error}`);
  }
  return found;
}

/** The one image list sealer reads (`parseRawImageList`). */
const IMAGE_LIST = 'manifests/imageList';

/** The manifest files sealer reads, in `manifests/` and in an application that is not a chart. */
const isManifestFile = (path: string): boolean => /\.(ya?ml|tmpl)$/i.test(path);

/**
 * Reads `root` (a directory with the image's `manifests/`, `charts/`, `application/apps/` and
 * `images/`, any of them missing) and the extra image lists.
 */
export async function findCollectSources(root: string, extraLists: readonly ImageListFile[] = [], signal?: AbortSignal): Promise<CollectSources> {
  const images = new WantedImages();
  for (const path of await filesUnder(root, 'manifests')) {
    throwIfAborted(signal);
    if (path === IMAGE_LIST) images.add(imageListReferences({ name: path, text: await readText(root, path) }), path);
    else if (isManifestFile(path)) images.add(imagesInManifestFile(path, await readText(root, path)), path);
  }
  for (const list of extraLists) images.add(imageListReferences(list), list.name, undefined, 'list');

  const charts: ChartInfo[] = [];
  const addCharts = async (paths: readonly string[], appName?: string): Promise<void> => {
    for (const chart of chartsIn(await readChartParts(root, paths, signal))) {
      charts.push(chart.info);
      for (const [path, text] of chart.files) images.add(posix.basename(path).startsWith('values.') ? imagesInChartValues(text) : imagesInChartTemplate(text), path, appName);
    }
  };
  await addCharts(await filesUnder(root, 'charts'));

  // sealer's parseApplicationImages: each directory of application/apps is one app, a chart or kube files.
  for (const name of await directoriesIn(root, APPLICATIONS_DIRECTORY)) {
    const dir = `${APPLICATIONS_DIRECTORY}/${name}`;
    const files = await filesUnder(root, dir);
    if (await isChartDirectory(root, dir)) {
      await addCharts(files, name);
      continue;
    }
    for (const path of files.filter(isManifestFile)) {
      throwIfAborted(signal);
      images.add(imagesInManifestFile(path, await readText(root, path)), path, name);
    }
  }

  const archives = (await filesUnder(root, 'images')).map((path) => ({ path, file: join(root, path) }));
  return { images: images.list(), charts, archives };
}

/** Whether `path` (in the image) is a file the collection reads: only these need unpacking. */
export function isCollectedFile(path: string): boolean {
  if (path.startsWith('manifests/')) return path === IMAGE_LIST || isManifestFile(path);
  if (path.startsWith('charts/')) return /\.tgz$/i.test(path) || isChartPart(path);
  // An application is a chart or kube files: what either would read.
  if (path.startsWith('application/')) return path.startsWith(`${APPLICATIONS_DIRECTORY}/`) && (isManifestFile(path) || /\.tgz$/i.test(path) || isChartPart(path));
  return true;
}

/** A YAML file's images; a `.tmpl` (Go template, seldom YAML) by its literal `image:` lines, as a chart template. */
function imagesInManifestFile(path: string, text: string): FoundImage[] {
  return /\.tmpl$/i.test(path) ? imagesInChartTemplate(text) : imagesInManifest(text);
}

/** sealer's isChartArtifactEnough: a directory with `Chart.yaml`, `values.yaml` and `templates`. */
async function isChartDirectory(root: string, dir: string): Promise<boolean> {
  const exists = (name: string): Promise<boolean> => stat(join(root, dir, name)).then(() => true, () => false);
  return (await exists('Chart.yaml')) && (await exists('values.yaml')) && (await exists('templates'));
}

/** The chart parts among `paths`, packaged charts opened (`charts/app-1.0.0.tgz!app/values.yaml`). */
async function readChartParts(root: string, paths: readonly string[], signal?: AbortSignal): Promise<Map<string, string>> {
  const chartFiles = new Map<string, string>();
  for (const path of paths) {
    throwIfAborted(signal);
    if (/\.tgz$/i.test(path)) {
      for (const [inside, text] of await readChartArchive(await readFile(join(root, path)), path)) chartFiles.set(`${path}!${inside}`, text);
    } else if (isChartPart(path)) chartFiles.set(path, await readText(root, path));
  }
  return chartFiles;
}

/** Chart.yaml, values.yaml and templates, wherever a chart sits. */
function isChartPart(path: string): boolean {
  const name = posix.basename(path);
  return name === 'Chart.yaml' || name === 'values.yaml' || name === 'values.yml' || (/\/templates\//.test(path) && /\.(ya?ml|tpl|json)$/i.test(name));
}

/**
 * Groups chart parts by chart: a chart is the directory of a Chart.yaml, and owns its values and
 * the templates below it that no nearer chart (a subchart) owns.
 */
function chartsIn(files: ReadonlyMap<string, string>): { info: ChartInfo; files: [string, string][] }[] {
  const roots = [...files.keys()].filter((path) => posix.basename(path) === 'Chart.yaml').map((path) => posix.dirname(path)).sort();
  const owner = (path: string): string | undefined => {
    let best: string | undefined;
    for (const root of roots) if (path.startsWith(`${root}/`) && (best === undefined || root.length > best.length)) best = root;
    return best;
  };
  return roots.map((root) => {
    const meta = chartMetadata(files.get(`${root}/Chart.yaml`) ?? '');
    const parts = [...files].filter(([path]) => path !== `${root}/Chart.yaml` && owner(path) === root);
    return { info: { path: root, ...meta }, files: parts.sort(([a], [b]) => a.localeCompare(b)) };
  });
}

/** The chart parts of a packaged chart (`helm package`), packaged subcharts inside it included. */
async function readChartArchive(bytes: Buffer, name: string): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const nested: Promise<void>[] = [];
  const parser = new Parser();
  const done = new Promise<void>((resolve, reject) => {
    parser.on('end', () => resolve());
    parser.on('error', (error: Error) => reject(new RuntimeError('INVALID_ARCHIVE', `${name}: not a chart archive (${error.message})`)));
  });
  parser.on('entry', (entry: ReadEntry) => {
    const path = entry.path.replace(/^\.\//, '');
    const isNested = /\.tgz$/i.test(path);
    if (entry.type !== 'File' || entry.size > MAX_TEXT_BYTES || (!isNested && !isChartPart(path))) {
      entry.resume();
      return;
    }
    const chunks: Buffer[] = [];
    entry.on('data', (chunk: Buffer) => chunks.push(chunk));
    entry.on('end', () => {
      const content = Buffer.concat(chunks);
      if (!isNested) found.set(path, content.toString('utf8'));
      else nested.push(readChartArchive(content, `${name}!${path}`).then((inner) => inner.forEach((text, innerPath) => found.set(`${path}!${innerPath}`, text))));
    });
  });
  const gunzip = createGunzip();
  gunzip.on('error', (error) => parser.emit('error', error));
  gunzip.pipe(parser);
  gunzip.end(bytes);
  await done;
  await Promise.all(nested);
  return found;
}

async function readText(root: string, path: string): Promise<string> {
  const file = join(root, path);
  const { size } = await stat(file);
  if (size > MAX_TEXT_BYTES) throw new RuntimeError('SOURCE', `${path} is ${size} bytes: too large to read as a manifest or chart file`);
  return readFile(file, 'utf8');
}

/** The directories directly in `root/dir`, sorted; none when it is missing. */
async function directoriesIn(root: string, dir: string): Promise<string[]> {
  const entries = await readdir(join(root, dir), { withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();
}

/** Regular files below `root/dir`, as image paths (`manifests/app.yaml`), sorted; none when it is missing. */
async function filesUnder(root: string, dir: string): Promise<string[]> {
  const entries = await readdir(join(root, dir), { withFileTypes: true }).catch(() => []);
  const files: string[] = [];
  for (const entry of entries) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) files.push(...(await filesUnder(root, path)));
    else if (entry.isFile()) files.push(path);
  }
  return files.sort();
}
