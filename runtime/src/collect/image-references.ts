/**
 * Container image references named by Kubernetes manifests, `manifests/imageList` files and Helm
 * charts, so a cluster image can carry every image it deploys. Pure: text in, references out; the
 * caller reads the files.
 */
import yaml from 'js-yaml';
import { imageReferenceError } from '@kubefile/compiler/reference';

export interface FoundImage {
  reference: string;
  /** 1-based line in the file, when known */
  line?: number;
}

type YamlMap = Record<string, unknown>;

function isMap(value: unknown): value is YamlMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Keeps the first occurrence of each reference, in the order they are added. */
class Found {
  private readonly seen = new Set<string>();
  readonly images: FoundImage[] = [];

  add(reference: string, line: number | undefined): void {
    if (this.seen.has(reference)) return;
    this.seen.add(reference);
    this.images.push(line === undefined ? { reference } : { reference, line });
  }
}

/** An image reference as Kubernetes would pull it: no template syntax, distribution's grammar. */
function isReference(text: string): boolean {
  return !text.includes('{{') && imageReferenceError(text) === undefined;
}

const LINE_BREAK = /\r?\n/;

/** `key: value` on one line, optionally as a `- ` sequence item; the key may be quoted. */
function keyedLine(key: string): RegExp {
  return new RegExp(`^\\s*(?:-\\s+)*(?:${key}|"${key}"|'${key}')\\s*:(?:\\s+(.*))?$`);
}
const IMAGE_LINE = keyedLine('image');
const REPOSITORY_LINE = keyedLine('repository');

/** The scalar text of what follows `key:` on a line: quotes removed, trailing comment dropped. */
function lineScalar(rest: string | undefined): string {
  const text = (rest ?? '').trim();
  if (text.startsWith('"')) {
    const match = /^"((?:[^"\\]|\\.)*)"/.exec(text);
    return match ? match[1].replace(/\\(.)/g, '$1') : text;
  }
  if (text.startsWith("'")) {
    const match = /^'((?:[^']|'')*)'/.exec(text);
    return match ? match[1].replace(/''/g, "'") : text;
  }
  return text.replace(/(?:^|\s+)#.*$/, '').trim();
}

/** A YAML stream cut at `---` lines, so one broken document does not hide the others. */
interface Chunk {
  text: string;
  lines: string[];
  /** 0-based index of the chunk's first line in the whole file */
  offset: number;
}

function chunks(text: string): Chunk[] {
  const lines = text.split(LINE_BREAK);
  const result: Chunk[] = [];
  let start = 0;
  const push = (end: number): void => {
    const part = lines.slice(start, end);
    result.push({ text: part.join('\n'), lines: part, offset: start });
  };
  for (let i = 1; i < lines.length; i++) {
    if (/^---(?:[ \t]|$)/.test(lines[i])) {
      push(i);
      start = i;
    }
  }
  push(lines.length);
  return result;
}

/** The documents of a chunk that parse; loadAll hands over those before a syntax error. */
function loadDocuments(text: string, schema?: yaml.Schema): unknown[] {
  const documents: unknown[] = [];
  try {
    yaml.loadAll(text, (document) => documents.push(document), schema ? { schema } : undefined);
  } catch {
    // Skipped: a broken document yields nothing, the documents before it are kept.
  }
  return documents;
}

/**
 * 1-based line of `value` in a chunk: the first `key: value` line, else the first line containing
 * it (flow mappings, values on the next line), else unknown.
 */
function lineOf(chunk: Chunk, key: RegExp, value: string): number | undefined {
  let index = chunk.lines.findIndex((line) => {
    const match = key.exec(line);
    return match !== null && lineScalar(match[1]) === value;
  });
  if (index === -1) index = chunk.lines.findIndex((line) => line.includes(value));
  return index === -1 ? undefined : chunk.offset + index + 1;
}

/**
 * Visits every map of `node` depth-first in source order (js-yaml keeps key order). `raw` is the
 * same document parsed with the failsafe schema, where every scalar is its source text.
 */
function visitMaps(node: unknown, raw: unknown, visit: (map: YamlMap, raw: YamlMap | undefined) => void, seen = new Set<object>()): void {
  if (typeof node !== 'object' || node === null || seen.has(node)) return;
  seen.add(node); // aliases share objects; each is reported once anyway
  if (Array.isArray(node)) {
    const rawItems = Array.isArray(raw) ? raw : [];
    node.forEach((item, i) => visitMaps(item, rawItems[i], visit, seen));
    return;
  }
  const map = node as YamlMap;
  const rawMap = isMap(raw) ? raw : undefined;
  visit(map, rawMap);
  for (const [key, value] of Object.entries(map)) visitMaps(value, rawMap?.[key], visit, seen);
}

/**
 * Every `image:` string value in every YAML document of `text` (any depth: Pods, Deployments,
 * CronJobs, CRDs alike; quoted or not). Documents that fail to parse are skipped (no throw). Order
 * of appearance, duplicates removed.
 */
export function imagesInManifest(text: string): FoundImage[] {
  const found = new Found();
  for (const chunk of chunks(text)) {
    for (const document of loadDocuments(chunk.text)) {
      visitMaps(document, undefined, (map) => {
        const image = map.image;
        if (typeof image === 'string' && isReference(image)) found.add(image, lineOf(chunk, IMAGE_LINE, image));
      });
    }
  }
  return found.images;
}

/**
 * `manifests/imageList`: one reference per line; `#` comments (whole-line and trailing after
 * whitespace) and blank lines ignored; surrounding whitespace trimmed. Lines that are not valid
 * references are still returned (the file means them as references, so the caller can report them
 * with their line); duplicates are removed.
 */
export function imagesInImageList(text: string): FoundImage[] {
  const found = new Found();
  text.split(LINE_BREAK).forEach((line, index) => {
    const reference = line.replace(/(?:^|\s)#.*$/, '').trim();
    if (reference !== '') found.add(reference, index + 1);
  });
  return found.images;
}

/** A scalar's source text: the failsafe parse keeps `1.20` as written, the default one gives 1.2. */
function scalarText(value: unknown, raw: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return typeof raw === 'string' ? raw.trim() : String(value);
  return undefined;
}

/** `registry/repository:tag` or `registry/repository@digest` from a map with a `repository`. */
function composedImage(map: YamlMap, raw: YamlMap | undefined): string | undefined {
  const repository = map.repository;
  if (typeof repository !== 'string' || repository === '') return undefined;
  const registry = typeof map.registry === 'string' ? map.registry.replace(/\/+$/, '') : '';
  const tag = scalarText(map.tag, raw?.tag) ?? '';
  let digest = typeof map.digest === 'string' ? map.digest : '';
  if (/^[a-f0-9]{64}$/.test(digest)) digest = `sha256:${digest}`;
  // As Bitnami's common.images.image does: a digest pins the image, the tag is then dropped.
  const suffix = digest !== '' ? `@${digest}` : tag !== '' ? `:${tag}` : '';
  return `${registry === '' ? '' : `${registry}/`}${repository}${suffix}`;
}

/**
 * A chart's values.yaml: every `image:` string at any depth, and every map that describes an image
 * with `repository` (plus optional `tag`, `registry`, `digest`) — including `image:` maps — as
 * `registry/repository:tag` (no tag when none is given; a digest gives `@sha256:...` and replaces
 * the tag). Numeric tags keep their source text (`tag: 1.20` gives `:1.20`, not `:1.2`), read from
 * a second, failsafe-schema parse. Values containing template syntax `{{` are skipped.
 */
export function imagesInChartValues(text: string): FoundImage[] {
  const found = new Found();
  for (const chunk of chunks(text)) {
    const raws = loadDocuments(chunk.text, yaml.FAILSAFE_SCHEMA);
    loadDocuments(chunk.text).forEach((document, i) => {
      visitMaps(document, raws[i], (map, raw) => {
        const composed = composedImage(map, raw);
        if (composed !== undefined && isReference(composed)) {
          found.add(composed, lineOf(chunk, REPOSITORY_LINE, map.repository as string));
        }
        const image = map.image;
        if (typeof image === 'string' && isReference(image)) found.add(image, lineOf(chunk, IMAGE_LINE, image));
      });
    });
  }
  return found.images;
}

/**
 * A chart template (Go-template YAML, not parseable as YAML in general): literal `image:` values
 * on lines, quoted or not, skipping any value containing `{{`.
 */
export function imagesInChartTemplate(text: string): FoundImage[] {
  const found = new Found();
  text.split(LINE_BREAK).forEach((line, index) => {
    const match = IMAGE_LINE.exec(line);
    if (!match) return;
    const image = lineScalar(match[1]);
    if (isReference(image)) found.add(image, index + 1);
  });
  return found.images;
}

/** What a Chart.yaml says of its chart; scalars as written (`version: 1.20` stays `1.20`). */
export function chartMetadata(chartYaml: string): { name?: string; version?: string; kubeVersion?: string } {
  const [chart] = loadDocuments(chartYaml);
  if (!isMap(chart)) return {};
  const [raw] = loadDocuments(chartYaml, yaml.FAILSAFE_SCHEMA);
  const field = (key: string): string | undefined => {
    const text = scalarText(chart[key], isMap(raw) ? raw[key] : undefined)?.trim();
    return text === '' ? undefined : text;
  };
  const [name, version, kubeVersion] = [field('name'), field('version'), field('kubeVersion')];
  return { ...(name ? { name } : {}), ...(version ? { version } : {}), ...(kubeVersion ? { kubeVersion } : {}) };
}

/** Chart.yaml's `kubeVersion` constraint, if any. */
export function chartKubeVersion(chartYaml: string): string | undefined {
  return chartMetadata(chartYaml).kubeVersion;
}

/**
 * A reference as sealer records it: distribution's `reference.ParseNormalizedNamed(x).String()`.
 * The registry is written out (`docker.io` for Docker Hub, `index.docker.io` becomes it) and Docker
 * Hub's official images get `library/` (`nginx:1.25` is `docker.io/library/nginx:1.25`); a tag or
 * digest stays as written, and none is added (`nginx` stays `docker.io/library/nginx`, though it
 * is pulled and tagged as `latest`). The first component is a registry when it has a `.` or a
 * `:` or is `localhost`, as the distribution/reference sealer v0.11.0 vendors decides it.
 * `reference` is assumed valid.
 */
export function normalizedImageName(reference: string): string {
  const slash = reference.indexOf('/');
  const first = slash === -1 ? '' : reference.slice(0, slash);
  const hasDomain = slash !== -1 && (/[.:]/.test(first) || first === 'localhost');
  const domain = !hasDomain || first === 'index.docker.io' ? 'docker.io' : first;
  let remainder = hasDomain ? reference.slice(slash + 1) : reference;
  if (domain === 'docker.io' && !remainder.includes('/')) remainder = `library/${remainder}`;
  return `${domain}/${remainder}`;
}
