/**
 * What a COPY puts into a cluster image's special directories, checked from the build context:
 * sealer plugin configs (plugins/), Helm charts (charts/), manifests and imageList files
 * (manifests/), image archives (images/), and the architecture of binaries (bin/ and friends).
 *
 * Pure: the context is reached only through `BuildContext`, archives only through ranged reads.
 * Each check returns plain problems; the caller turns them into diagnostics.
 */
import { closestMatch, editDistance } from '@kubefile/grammar';
import { loadAll, YAMLException } from 'js-yaml';
import type { BuildContext, ContextEntry } from './context.js';
import { escapeRegExp, followLinks, joinPath } from './sources.js';
import { imageReferenceError } from './reference.js';
import { utf8Decode } from './text.js';

export { elfArchitecture, isScript } from './elf.js';

export interface ArtifactProblem {
  message: string;
  /** path of the offending file, context-relative */
  path: string;
  /** 0-based line in that file, when known */
  line?: number;
}

// ---------------------------------------------------------------------------------------------
// sealer plugins

/**
 * The apiVersions sealer's plugin configs are written with. sealer decodes the documents without
 * checking the group (the Plugin type lives in its v1 API), so this is the set its docs and
 * examples use across releases.
 */
export const PLUGIN_API_VERSIONS: readonly string[] = [
  'sealer.aliyun.com/v1alpha1',
  'sealer.aliyun.com/v2alpha1',
  'sealer.io/v1',
  'sealer.io/v2',
  'sealer.cloud/v2',
];

/**
 * Plugin types: sealer <= 0.8 registers these in-tree (TAINT is spelt `Taint` in its registry and
 * `TAINT` in its docs); sealer >= 0.9 runs plugins as hooks and registers only SHELL.
 */
export const PLUGIN_TYPES: readonly string[] = ['SHELL', 'HOSTNAME', 'LABEL', 'ETCD', 'TAINT', 'Taint', 'CLUSTERCHECK'];

/** sealer <= 0.8 phases (pkg/plugin Phase constants and the plugin docs). */
export const PLUGIN_ACTIONS_V08: readonly string[] = [
  'PreInit',
  'PreJoin',
  'PostJoin',
  'PreInstall',
  'PostInstall',
  'Originally',
  'PreGuest',
  'PreClean',
  'PostClean',
];

/** sealer >= 0.9 hook phases (pkg/clusterruntime hooks). */
export const PLUGIN_ACTIONS_V09: readonly string[] = [
  'pre-install',
  'post-install',
  'pre-uninstall',
  'post-uninstall',
  'pre-scaleup',
  'post-scaleup',
  'upgrade',
  'rollback',
  'pre-init-host',
  'post-init-host',
  'pre-clean-host',
  'post-clean-host',
  'upgrade-host',
];

/** The candidate closest to `word` (ignoring case), when close enough to be a misspelling of it. */
function closest(word: string, candidates: readonly string[]): string | undefined {
  return closestMatch(word, candidates, word.length <= 3 ? 1 : word.length <= 6 ? 2 : 3);
}

function didYouMean(word: string, candidates: readonly string[]): string {
  const near = closest(word, candidates);
  return near !== undefined && near !== word ? `: did you mean ${near}?` : '';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function show(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value === 'object' ? 'a mapping' : String(value);
}

const DOCUMENT_START = /^---(?:[ \t]|$)/;
const indentOf = (line: string) => line.length - line.trimStart().length;
const isContent = (line: string) => line.trim() !== '' && !line.trimStart().startsWith('#');

/** Where the documents of a YAML stream start and end, by line, to place problems in them. */
interface DocumentLines {
  /** First line of the document's content (after `---`), and one past its last line. */
  from: number;
  to: number;
}

function documentLines(lines: string[]): DocumentLines[] {
  const starts: number[] = [];
  const firstContent = lines.findIndex((l) => isContent(l) && !l.startsWith('%'));
  if (firstContent === -1 || !DOCUMENT_START.test(lines[firstContent])) starts.push(-1);
  lines.forEach((line, i) => {
    if (DOCUMENT_START.test(line)) starts.push(i);
  });
  return starts.map((start, k) => ({ from: start + 1, to: k + 1 < starts.length ? starts[k + 1] : lines.length }));
}

/**
 * The line of a block-style key path (`['spec', 'type']`) in a document, found textually: each key
 * is looked for among its parent's children (the lines at the indentation of the parent's first
 * child, inside the parent's block). Undefined for flow style or when absent.
 */
function keyLine(lines: string[], doc: DocumentLines, keys: readonly string[]): number | undefined {
  let from = doc.from;
  let parentIndent = -1;
  let found = -1;
  for (const key of keys) {
    const quoted = escapeRegExp(key);
    const pattern = new RegExp(`^\\s*(?:${quoted}|"${quoted}"|'${quoted}')\\s*:(?:\\s|$)`);
    let childIndent: number | undefined;
    found = -1;
    for (let i = from; i < doc.to; i++) {
      const line = lines[i];
      if (!isContent(line) || (parentIndent < 0 && DOCUMENT_START.test(line))) continue;
      const indent = indentOf(line);
      if (indent <= parentIndent) break; // the parent's block ended
      childIndent ??= indent;
      if (indent === childIndent && pattern.test(line)) {
        found = i;
        break;
      }
    }
    if (found < 0) return undefined;
    parentIndent = indentOf(lines[found]);
    from = found + 1;
  }
  return found < 0 ? undefined : found;
}

/** The line for a problem at a key path: the key's, else its parent's, else the document's. */
function problemLine(lines: string[], doc: DocumentLines, keys: readonly string[] | undefined): number {
  for (let n = keys?.length ?? 0; n > 0; n--) {
    const line = keyLine(lines, doc, keys!.slice(0, n));
    if (line !== undefined) return line;
  }
  return documentLine(lines, doc);
}

/** The first content line of a document, for problems about the whole of it. */
function documentLine(lines: string[], doc: DocumentLines): number {
  for (let i = doc.from; i < doc.to; i++) if (isContent(lines[i])) return i;
  return Math.max(0, doc.from - 1);
}

/** Parses a YAML stream; a syntax error becomes a problem with js-yaml's reason and line. */
function parseYamlStream(path: string, text: string): { documents: unknown[] } | { problem: ArtifactProblem } {
  try {
    return { documents: loadAll(text) };
  } catch (error) {
    if (error instanceof YAMLException) {
      return { problem: { message: `YAML syntax error: ${error.reason}`, path, line: error.mark?.line } };
    }
    return { problem: { message: `YAML syntax error: ${error instanceof Error ? error.message : String(error)}`, path } };
  }
}

/** Checks one plugin config document; `report` places a problem at a key path (or the document). */
function checkPluginDocument(doc: unknown, report: (message: string, keys?: readonly string[]) => void): void {
  if (!isRecord(doc)) {
    report(`a plugin config document must be a mapping with kind: Plugin, not ${show(doc)}`);
    return;
  }
  const { kind, apiVersion, metadata, spec } = doc;
  if (kind === undefined) {
    report('missing kind: files copied to plugins/ hold kind: Plugin documents');
    return;
  }
  if (kind !== 'Plugin') {
    const near = typeof kind === 'string' ? closest(kind, ['Plugin']) : undefined;
    report(
      near
        ? `unknown kind ${show(kind)}: did you mean Plugin?`
        : `kind ${show(kind)} is not a plugin: files copied to plugins/ hold kind: Plugin documents`,
      ['kind'],
    );
    return;
  }
  if (apiVersion === undefined) {
    report(`missing apiVersion (sealer uses ${PLUGIN_API_VERSIONS[0]})`);
  } else if (typeof apiVersion !== 'string' || !PLUGIN_API_VERSIONS.includes(apiVersion)) {
    const hint = typeof apiVersion === 'string' ? didYouMean(apiVersion, PLUGIN_API_VERSIONS) : '';
    report(`unknown plugin apiVersion ${show(apiVersion)}${hint || ` (expected one of ${PLUGIN_API_VERSIONS.join(', ')})`}`, ['apiVersion']);
  }
  const name = isRecord(metadata) ? metadata.name : undefined;
  if (typeof name !== 'string' || name === '') {
    report(name === undefined ? 'missing metadata.name' : `metadata.name must be a string, not ${show(name)}`, name === undefined ? (isRecord(metadata) ? ['metadata'] : undefined) : ['metadata', 'name']);
  }
  if (!isRecord(spec)) {
    report(spec === undefined ? 'missing spec (type, action and data)' : `spec must be a mapping, not ${show(spec)}`, spec === undefined ? undefined : ['spec']);
    return;
  }

  // spec.type
  const type = spec.type;
  let knownType: string | undefined;
  if (type === undefined) {
    const legacy = typeof name === 'string' && PLUGIN_TYPES.includes(name) ? ` (older sealer took the type from metadata.name; write spec.type: ${name})` : '';
    report(`missing spec.type (one of ${PLUGIN_TYPES.filter((t) => t !== 'Taint').join(', ')})${legacy}`, ['spec']);
  } else if (typeof type !== 'string' || !PLUGIN_TYPES.includes(type)) {
    const hint = typeof type === 'string' ? didYouMean(type, PLUGIN_TYPES) : '';
    report(
      `unknown plugin type ${show(type)}${hint || ` (sealer knows ${PLUGIN_TYPES.filter((t) => t !== 'Taint').join(', ')}; an out-of-tree type is defined by its .so plugin)`}`,
      ['spec', 'type'],
    );
  } else {
    knownType = type;
  }

  // spec.action: one phase or several joined with '|'
  const action = spec.action;
  if (action === undefined || action === '') {
    report(`missing spec.action: the phase to run in (${PLUGIN_ACTIONS_V08.slice(0, 4).join(', ')}, ... or, from sealer 0.9, ${PLUGIN_ACTIONS_V09.slice(0, 2).join(', ')}, ...)`, ['spec']);
  } else if (typeof action !== 'string') {
    report(`spec.action must be a string, not ${show(action)}`, ['spec', 'action']);
  } else {
    const phases = action.split('|');
    if (phases.some((phase) => phase.trim() !== phase)) {
      report(`spec.action ${JSON.stringify(action)}: sealer splits phases on '|' without trimming spaces, write ${JSON.stringify(phases.map((p) => p.trim()).join('|'))}`, ['spec', 'action']);
    }
    const old: string[] = [];
    const hooks: string[] = [];
    for (const raw of phases) {
      const phase = raw.trim();
      if (phase === '') continue;
      if (PLUGIN_ACTIONS_V08.includes(phase)) old.push(phase);
      else if (PLUGIN_ACTIONS_V09.includes(phase)) hooks.push(phase);
      else {
        const hint = didYouMean(phase, [...PLUGIN_ACTIONS_V08, ...PLUGIN_ACTIONS_V09]);
        report(`unknown plugin action ${JSON.stringify(phase)}${hint || ` (sealer 0.8 phases: ${PLUGIN_ACTIONS_V08.join(', ')}; sealer 0.9+ phases: ${PLUGIN_ACTIONS_V09.join(', ')})`}`, ['spec', 'action']);
      }
    }
    if (old.length > 0 && hooks.length > 0) {
      report(`spec.action mixes sealer 0.8 phases (${old.join(', ')}) with sealer 0.9+ phases (${hooks.join(', ')}): no sealer release runs both`, ['spec', 'action']);
    } else if (hooks.length > 0 && knownType !== undefined && knownType !== 'SHELL') {
      report(`sealer 0.9+ runs only SHELL plugins at ${hooks.join(', ')}; type ${knownType} needs a sealer 0.8 phase (${PLUGIN_ACTIONS_V08.join(', ')})`, ['spec', 'type']);
    }
  }

  // spec.data
  const data = spec.data;
  if (knownType === 'SHELL' && (data === undefined || data === null || data === '')) {
    report('a SHELL plugin needs spec.data: the commands to run', data === undefined ? ['spec'] : ['spec', 'data']);
  } else if (data !== undefined && data !== null && typeof data !== 'string') {
    report(`spec.data must be a string (a block scalar: data: |), not ${show(data)}`, ['spec', 'data']);
  }
  for (const key of ['on', 'scope'] as const) {
    const value = spec[key];
    if (value !== undefined && value !== null && typeof value !== 'string') report(`spec.${key} must be a string, not ${show(value)}`, ['spec', key]);
  }
}

/**
 * sealer plugin YAML (files copied to plugins/): every document must be `kind: Plugin` with a
 * sealer apiVersion, metadata.name, a known spec.type and a known spec.action (sealer 0.8 phases
 * such as PreInit/PostInstall, or sealer 0.9+ phases such as pre-init-host/post-install, joined
 * with '|'), and spec.data a string (required for SHELL). Unknown values get "did you mean" when
 * close. A YAML syntax error gives js-yaml's message and line.
 */
export function checkPluginFile(path: string, text: string): ArtifactProblem[] {
  const parsed = parseYamlStream(path, text);
  if ('problem' in parsed) return [parsed.problem];
  const lines = text.split(/\r?\n/);
  const docs = documentLines(lines);
  const aligned = docs.length === parsed.documents.length;
  const problems: ArtifactProblem[] = [];
  parsed.documents.forEach((doc, index) => {
    // sealer skips empty documents (a trailing `---`, a comment-only document)
    if (doc === null || doc === undefined) return;
    const where = aligned ? docs[index] : undefined;
    const prefix = parsed.documents.length > 1 ? `document ${index + 1}: ` : '';
    checkPluginDocument(doc, (message, keys) => {
      const line = where && problemLine(lines, where, keys);
      problems.push(line === undefined ? { message: prefix + message, path } : { message: prefix + message, path, line });
    });
  });
  return problems;
}

// ---------------------------------------------------------------------------------------------
// context helpers

const baseName = (path: string) => path.slice(path.lastIndexOf('/') + 1);

/** The entry at `path` after following symlinks inside the context. */
async function resolve(context: BuildContext, path: string): Promise<{ path: string; entry: ContextEntry } | undefined> {
  const found = await followLinks(context, path);
  return found === 'outside' ? undefined : found;
}

async function readPrefix(context: BuildContext, path: string, length: number): Promise<Uint8Array> {
  return context.read(path, { offset: 0, length });
}

const isGzip = (b: Uint8Array) => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
const isZstd = (b: Uint8Array) => b.length >= 4 && b[0] === 0x28 && b[1] === 0xb5 && b[2] === 0x2f && b[3] === 0xfd;
const isXz = (b: Uint8Array) => b.length >= 6 && b[0] === 0xfd && b[1] === 0x37 && b[2] === 0x7a && b[3] === 0x58 && b[4] === 0x5a && b[5] === 0x00;
const isBzip2 = (b: Uint8Array) => b.length >= 3 && b[0] === 0x42 && b[1] === 0x5a && b[2] === 0x68;

/** Files larger than this are not parsed (a manifest or Chart.yaml this big is not one). */
const MAX_TEXT_BYTES = 8 * 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Helm charts

/** Masterminds/semver's loose form, which Helm uses to validate chart versions. */
const SEMVER = /^v?[0-9]+(?:\.[0-9]+)?(?:\.[0-9]+)?(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

async function checkChartYaml(context: BuildContext, file: string, entry: ContextEntry): Promise<ArtifactProblem[]> {
  if (entry.type !== 'file') return [{ message: `${baseName(file)} is not a regular file`, path: file }];
  if (entry.size > MAX_TEXT_BYTES) return [{ message: `Chart.yaml is too large to be chart metadata (${entry.size} bytes)`, path: file }];
  const text = utf8Decode(await context.read(file));
  const parsed = parseYamlStream(file, text);
  if ('problem' in parsed) return [parsed.problem];
  const lines = text.split(/\r?\n/);
  const docs = documentLines(lines);
  const content = parsed.documents.filter((d) => d !== null && d !== undefined);
  const doc = parsed.documents.findIndex((d) => d !== null && d !== undefined);
  const where = docs.length === parsed.documents.length && doc >= 0 ? docs[doc] : undefined;
  const problems: ArtifactProblem[] = [];
  const report = (message: string, key?: string) => {
    const line = where && problemLine(lines, where, key === undefined ? undefined : [key]);
    problems.push(line === undefined ? { message, path: file } : { message, path: file, line });
  };
  if (content.length === 0) return [{ message: 'Chart.yaml is empty: it needs apiVersion, name and version', path: file }];
  if (content.length > 1) report('Chart.yaml holds several YAML documents: Helm reads one');
  const meta = content[0];
  if (!isRecord(meta)) {
    report(`Chart.yaml must be a mapping (apiVersion, name, version), not ${show(meta)}`);
    return problems;
  }
  // Helm's loader takes a missing apiVersion as v1
  if (meta.apiVersion !== undefined && meta.apiVersion !== 'v1' && meta.apiVersion !== 'v2') {
    report(`Chart.yaml apiVersion ${show(meta.apiVersion)} is not a Helm chart API version (v2, or v1 for Helm 2 charts)`, 'apiVersion');
  }
  if (meta.name === undefined || meta.name === null || meta.name === '') report('Chart.yaml has no name', meta.name === undefined ? undefined : 'name');
  else if (typeof meta.name !== 'string') report(`Chart.yaml name must be a string, not ${show(meta.name)}: quote it`, 'name');
  else if (meta.name.includes('/') || meta.name === '.' || meta.name === '..') report(`Chart.yaml name ${show(meta.name)} is invalid: it must not be a path`, 'name');
  if (meta.version === undefined || meta.version === null || meta.version === '') report('Chart.yaml has no version', meta.version === undefined ? undefined : 'version');
  else if (typeof meta.version !== 'string') {
    // a number loses its text (1.10 is 1.1): quote what was written
    const at = where && keyLine(lines, where, ['version']);
    const written = at === undefined ? String(meta.version) : lines[at].slice(lines[at].indexOf(':') + 1).replace(/\s+#.*$/, '').trim();
    report(`Chart.yaml version must be a string, not the ${typeof meta.version} ${written}: quote it ("${written}")`, 'version');
  }
  else if (!SEMVER.test(meta.version)) report(`Chart.yaml version ${show(meta.version)} is not a semantic version (like 1.2.3)`, 'version');
  if (meta.type !== undefined && meta.type !== null && meta.type !== '' && meta.type !== 'application' && meta.type !== 'library') {
    report(`Chart.yaml type ${show(meta.type)} must be application or library`, 'type');
  }
  return problems;
}

async function checkChartArchive(context: BuildContext, path: string): Promise<ArtifactProblem[]> {
  const head = await readPrefix(context, path, 4);
  if (isGzip(head)) return [];
  return [{ message: `${baseName(path)} is not a Helm chart archive: a file copied to charts/ must be a packaged chart (.tgz, gzip-compressed)`, path }];
}

/** The problems of a chart directory, or undefined when it has no Chart.yaml. */
async function checkChartDirectory(context: BuildContext, dir: string): Promise<ArtifactProblem[] | undefined> {
  const file = joinPath(dir, 'Chart.yaml');
  const found = await resolve(context, file);
  if (!found) return undefined;
  return checkChartYaml(context, file, found.entry);
}

/**
 * A directory copied to charts/ must be a Helm chart: Chart.yaml present and parseable, with name
 * and version (apiVersion v1/v2). A .tgz chart archive is accepted too (gzip magic), and so is a
 * directory holding several charts (subdirectories with Chart.yaml, or chart archives).
 */
export async function checkChart(context: BuildContext, path: string): Promise<ArtifactProblem[]> {
  const found = await resolve(context, path);
  if (!found) return [{ message: `${path || '.'}: no such file or directory in the build context`, path }];
  if (found.entry.type === 'file') return checkChartArchive(context, found.path);
  if (found.entry.type !== 'directory') return [{ message: `${path} is not a Helm chart (a directory with Chart.yaml, or a .tgz archive)`, path }];
  const own = await checkChartDirectory(context, found.path);
  if (own) return own;

  // a directory of charts
  const names = await context.list(found.path);
  const problems: ArtifactProblem[] = [];
  let charts = 0;
  for (const name of names) {
    const child = joinPath(found.path, name);
    const entry = await resolve(context, child);
    if (entry?.entry.type === 'directory') {
      const result = await checkChartDirectory(context, child);
      if (result) {
        charts++;
        problems.push(...result);
      }
    } else if (entry?.entry.type === 'file' && /\.(?:tgz|tar\.gz)$/.test(name)) {
      charts++;
      problems.push(...(await checkChartArchive(context, child)));
    }
  }
  if (charts > 0) return problems;
  const misnamed = names.find((n) => n !== 'Chart.yaml' && n.toLowerCase().replace(/\.yml$/, '.yaml') === 'chart.yaml');
  return [
    {
      message: misnamed
        ? `${path || '.'} has ${misnamed} but Helm reads Chart.yaml (the name is case-sensitive)`
        : `${path || '.'} is not a Helm chart: no Chart.yaml (a directory copied to charts/ must be a chart, or hold charts)`,
      path: misnamed ? joinPath(found.path, misnamed) : path,
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// manifests and imageList

function checkImageList(path: string, text: string): ArtifactProblem[] {
  const problems: ArtifactProblem[] = [];
  text.split(/\r?\n/).forEach((raw, line) => {
    const image = raw.trim();
    if (image === '' || image.startsWith('#')) return;
    const error = imageReferenceError(image);
    if (error) problems.push({ message: `imageList: ${JSON.stringify(image)} is not an image reference: ${error}`, path, line });
  });
  return problems;
}

const YAML_FILE = /\.ya?ml$/i;
const MAX_MANIFEST_FILES = 10_000;

/**
 * One file in manifests/. sealer v0.11 reads `.yaml`, `.yml` and `.tmpl` files there (for their
 * `image:` lines, line by line: a broken document still builds) and `manifests/imageList`, and
 * ignores everything else (a README, a LICENSE, JSON), and so does kubefilec's image collection. A name
 * close to `imageList` is reported (it is ignored, most likely by mistake); `.yaml.tmpl`/`.yml.tmpl`
 * templates are checked only when they hold no `{{ }}` action (their YAML exists after rendering).
 */
async function checkManifestFile(context: BuildContext, path: string, entry: ContextEntry): Promise<ArtifactProblem[]> {
  const name = baseName(path);
  const isImageList = name === 'imageList';
  const template = name.endsWith('.tmpl') ? name.slice(0, -'.tmpl'.length) : undefined;
  if (!isImageList && !YAML_FILE.test(name) && !(template !== undefined && YAML_FILE.test(template))) {
    if (template === undefined && name !== 'imageList' && editDistance(name.toLowerCase(), 'imagelist') <= 2) {
      return [{ message: `${name} is ignored (not YAML nor an imageList): did you mean imageList?`, path }];
    }
    return [];
  }
  if (entry.size > MAX_TEXT_BYTES) return [];
  const text = utf8Decode(await context.read(path));
  if (isImageList) return checkImageList(path, text);
  if (template !== undefined && text.includes('{{')) return [];
  const parsed = parseYamlStream(path, text);
  if (!('problem' in parsed)) return [];
  if (template !== undefined) parsed.problem.message = `${parsed.problem.message} (a template without {{ }} actions: it stays so when rendered)`;
  return [parsed.problem];
}

/**
 * A file copied to manifests/: YAML (every document parses; `.yaml`/`.yml`), or an
 * `imageList` (one image reference per line; `#` comments and blank lines allowed; each line is
 * validated with distribution's reference grammar). Directories: each file inside, recursively
 * (symlinks inside are copied as links and not followed). Other files are ignored, as sealer
 * ignores them (a name close to `imageList` is reported); `.yaml.tmpl` templates without `{{ }}`
 * are checked like YAML.
 */
export async function checkManifest(context: BuildContext, path: string): Promise<ArtifactProblem[]> {
  const found = await resolve(context, path);
  if (!found) return [{ message: `${path || '.'}: no such file or directory in the build context`, path }];
  if (found.entry.type === 'file') return checkManifestFile(context, path, found.entry);
  if (found.entry.type !== 'directory') return [{ message: `${path} is not YAML or an imageList`, path }];
  const problems: ArtifactProblem[] = [];
  let files = 0;
  const walk = async (dir: string): Promise<void> => {
    for (const name of await context.list(dir)) {
      if (files >= MAX_MANIFEST_FILES) return;
      const child = joinPath(dir, name);
      const entry = await context.stat(child);
      if (entry?.type === 'directory') await walk(child);
      else if (entry?.type === 'file') {
        files++;
        problems.push(...(await checkManifestFile(context, child, entry)));
      }
    }
  };
  await walk(found.path);
  return problems;
}

// ---------------------------------------------------------------------------------------------
// image archives

const BLOCK = 512;
const MAX_ENTRIES = 64;

function cString(bytes: Uint8Array, offset: number, length: number): string {
  let end = offset;
  while (end < offset + length && bytes[end] !== 0) end++;
  let s = '';
  for (let i = offset; i < end; i++) s += String.fromCharCode(bytes[i]);
  return s;
}

/** A numeric header field: octal (NUL/space padded), or base-256 when the high bit is set. */
function tarNumber(bytes: Uint8Array, offset: number, length: number): number | undefined {
  if (bytes[offset] & 0x80) {
    if (bytes[offset] === 0xff) return undefined; // negative
    let n = bytes[offset] & 0x7f;
    for (let i = offset + 1; i < offset + length; i++) n = n * 256 + bytes[i];
    return Number.isSafeInteger(n) ? n : undefined;
  }
  const text = cString(bytes, offset, length).trim();
  if (text === '') return 0;
  return /^[0-7]+$/.test(text) ? parseInt(text, 8) : undefined;
}

function validChecksum(header: Uint8Array): boolean {
  const stored = tarNumber(header, 148, 8);
  if (stored === undefined) return false;
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : header[i];
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  return stored === unsigned || stored === signed;
}

/** pax extended header records: `<length> <key>=<value>\n`, the length counting bytes. */
function paxRecords(bytes: Uint8Array): Map<string, string> {
  const records = new Map<string, string>();
  let at = 0;
  while (at < bytes.length) {
    let space = at;
    while (space < bytes.length && bytes[space] >= 0x30 && bytes[space] <= 0x39) space++;
    if (space === at || bytes[space] !== 0x20) break;
    const length = parseInt(cString(bytes, at, space - at), 10);
    if (at + length > bytes.length || length <= space - at) break;
    const record = utf8Decode(bytes.subarray(space + 1, at + length)).replace(/\n$/, '');
    const equals = record.indexOf('=');
    if (equals > 0) records.set(record.slice(0, equals), record.slice(equals + 1));
    at += length;
  }
  return records;
}

const normalizeEntryName = (name: string) => name.replace(/^(?:\.\/)+/, '').replace(/\/+$/, '');

/**
 * What an image archive copied to images/ is, from its tar headers read with ranged reads (never
 * the whole file): 'docker-archive' (has manifest.json), 'oci-archive' (oci-layout + index.json),
 * 'compressed' (gzip, zstd, xz or bzip2 magic: not inspected), or undefined (not a tar, or neither).
 * Reads at most 64 entries (ustar and GNU headers, sizes in octal or base-256, pax `size`/`path`
 * records, GNU long names). An archive with both layouts (docker save since 25) is a
 * docker-archive; one that is OCI only is reported once the entry limit or the end is reached.
 */
export async function imageArchiveFormat(context: BuildContext, path: string): Promise<'docker-archive' | 'oci-archive' | 'compressed' | undefined> {
  const found = await resolve(context, path);
  if (!found || found.entry.type !== 'file') return undefined;
  const file = found.path;
  const size = found.entry.size;
  const first = await context.read(file, { offset: 0, length: BLOCK });
  if (isGzip(first) || isZstd(first) || isXz(first) || isBzip2(first)) return 'compressed';

  let offset = 0;
  let ociLayout = false;
  let indexJson = false;
  let nextPath: string | undefined;
  let nextSize: number | undefined;
  for (let entries = 0; entries < MAX_ENTRIES; entries++) {
    const header = offset === 0 ? first : await context.read(file, { offset, length: BLOCK });
    if (header.length < BLOCK) break;
    if (header.every((b) => b === 0)) break; // end of archive
    if (!validChecksum(header)) {
      if (offset === 0) return undefined; // not a tar
      break;
    }
    const type = String.fromCharCode(header[156]);
    const headerSize = tarNumber(header, 124, 12);
    if (headerSize === undefined) break;
    const entrySize = nextSize ?? headerSize;
    const contentOffset = offset + BLOCK;
    const magic = cString(header, 257, 6);
    const ustar = magic === 'ustar' && cString(header, 263, 2) === '00';
    const prefix = ustar ? cString(header, 345, 155) : '';
    const headerName = prefix ? `${prefix}/${cString(header, 0, 100)}` : cString(header, 0, 100);

    if (type === 'x' || type === 'L') {
      const content = await context.read(file, { offset: contentOffset, length: Math.min(entrySize, 64 * 1024) });
      if (type === 'x') {
        const records = paxRecords(content);
        const paxSize = records.get('size');
        nextSize = paxSize !== undefined && /^[0-9]+$/.test(paxSize) ? parseInt(paxSize, 10) : undefined;
        nextPath = records.get('path') ?? nextPath;
      } else {
        nextPath = cString(content, 0, content.length);
      }
      offset = contentOffset + Math.ceil(headerSize / BLOCK) * BLOCK;
      continue;
    }
    if (type === 'g' || type === 'K') {
      offset = contentOffset + Math.ceil(headerSize / BLOCK) * BLOCK;
      continue;
    }

    const name = normalizeEntryName(nextPath ?? headerName);
    nextPath = undefined;
    nextSize = undefined;
    const regular = type === '0' || type === '\0' || type === '7';
    if (regular || type === '1' || type === '2') {
      if (name === 'manifest.json') return 'docker-archive';
      if (name === 'oci-layout') ociLayout = true;
      if (name === 'index.json') indexJson = true;
    }
    // links and directories have no content, whatever their size field says
    const content = regular || type === 'S' || !/[0-7]/.test(type) ? entrySize : 0;
    offset = contentOffset + Math.ceil(content / BLOCK) * BLOCK;
    if (offset >= size) break;
  }
  return ociLayout && indexJson ? 'oci-archive' : undefined;
}
