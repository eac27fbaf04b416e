/**
 * Image archives. OCI archives: a tar of an OCI image layout (`oci-layout`, `index.json`,
 * `blobs/sha256/<hex>`), as `skopeo copy ... oci-archive:FILE` writes and reads it; docker-archives
 * (`docker save`) are read too, by `docker-archive.ts`.
 *
 * `saveArchive` writes an OCI archive deterministically (sorted entries, fixed owners, modes and
 * times), so saving the same images twice gives the same bytes. `loadArchive`, `readImageArchive` and
 * `importLayoutImage` stream one into the store without extracting it (`archive-reader.ts`): each
 * blob goes straight into a `BlobWriter` that checks it against the digest its path names. Nothing
 * in the archive is trusted, and a load that fails removes the blobs it added.
 */
import { archiveImageName, checkDiffIds, kindOf, linkError, scanArchive, type ArchiveContents, type ArchiveImage } from './archive-reader.js';
import { digestHex, sha256Digest, type Digest } from '../image/digest.js';
import { dockerImages } from './docker-archive.js';
import { saveSealerArchive, sealerImages, SEALER_METADATA } from './sealer-archive.js';
import { normalizeImageName } from '../image/names.js';
import { RuntimeError, throwIfAborted } from '../errors.js';
import { platformImages, selectPlatform } from '../image/image.js';
import { collectBlobs } from '../store/images.js';
import {
  importFromDirectory,
  inStore,
  layoutFault,
  parseLayout,
  importing,
  removeBlobs,
  selectLayoutEntry,
  walkImage,
  type LayoutFault,
} from './layout-import.js';
import { ANNOTATION, isIndexMediaType, MEDIA_TYPE, OCI_LAYOUT_VERSION, type Descriptor, type OciIndex } from '../image/oci.js';
import type { ImageStore, StoredImage } from '../store/store.js';
import { writeAtomically, writeTar, type ArchiveFile } from './tar-writer.js';
import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, mkdir, readdir, readlink, realpath, rm, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve as resolvePath } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { errnoCode } from '../errors.js';
import { processIsDead } from '../store/lock.js';

export { archiveKind, type ArchiveImage, type ArchiveKind } from './archive-reader.js';

/** `oci`: an OCI archive (the default); `sealer`: what `sealer save` writes, which `sealer load` reads with every platform (one image). */
export type ArchiveFormat = 'oci' | 'sealer';

export const ARCHIVE_FORMATS: readonly ArchiveFormat[] = ['oci', 'sealer'];

export interface SaveOptions {
  /** Keep only these platforms of each image (any `--platform` spelling). */
  platforms?: string[];
  format?: ArchiveFormat;
  signal?: AbortSignal;
}

export interface SaveResult {
  /** Size of the archive written. */
  bytes: number;
  /** The names saved, normalized, in archive order. */
  images: string[];
}

/** The name docker (25+) and containerd give an image in an OCI archive; their ref.name is only the tag. */
const CONTAINERD_NAME = 'io.containerd.image.name';

/**
 * Writes the images `names` to `file` as an OCI archive, or with `format: 'sealer'` the one image
 * as `sealer save` does (`sealer-archive.ts`; a lone manifest, which sealer saves as a plain OCI
 * archive, is saved as one). The file appears only when complete: it is written beside the target
 * under a temporary name and renamed over it at the end (temporary files that killed saves left
 * there are removed first). A symbolic link is written through: its target is replaced, the link
 * stays. A FIFO or a character device (`/dev/null`, `/dev/stdout`) gets the archive streamed into
 * it once it is complete (made in the store's `tmp/`), and `-` is standard output; a directory or
 * any other kind of file is refused.
 */
export async function saveArchive(store: ImageStore, names: string[], file: string, options: SaveOptions = {}): Promise<SaveResult> {
  const target = await saveTarget(file);
  if (target.kind === 'file') {
    await removeStaleTemps(target.path);
    return writeArchive(store, names, target.path, options);
  }
  // A stream only takes the archive once it is whole: a broken image writes nothing into it.
  const work = store.tempPath('.save');
  try {
    await mkdir(work);
    const temp = join(work, 'archive.tar');
    const result = await writeArchive(store, names, temp, options);
    try {
      if (target.kind === 'stdout') await pipeline(createReadStream(temp), process.stdout, { end: false });
      else await pipeline(createReadStream(temp), createWriteStream(target.path, { flags: 'w' }));
    } catch (error) {
      throw new RuntimeError('IO', `cannot write ${target.kind === 'stdout' ? 'standard output' : file}: ${causeOf(error)}`);
    }
    return result;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

type SaveTarget = { kind: 'file'; path: string } | { kind: 'stream'; path: string } | { kind: 'stdout' };

/** Where `save -o FILE` writes: a regular file (through symbolic links), a stream, or a refusal. */
async function saveTarget(file: string): Promise<SaveTarget> {
  if (file === '-') {
    if (process.stdout.isTTY) throw new RuntimeError('IO', 'refusing to write an archive to a terminal: redirect standard output, or name a file with -o');
    return { kind: 'stdout' };
  }
  const own = await lstat(file).catch((error: unknown) => {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw new RuntimeError('IO', `cannot write ${file}: ${causeOf(error)}`);
  });
  if (!own) return { kind: 'file', path: file };
  let path = file;
  let stats = own;
  if (own.isSymbolicLink()) {
    const followed = await stat(file).catch((error: unknown) => {
      if (errnoCode(error) === 'ENOENT') return undefined;
      throw new RuntimeError('IO', `cannot write ${file}: ${causeOf(error)}`);
    });
    // A dangling link: create the file it names.
    if (!followed) return { kind: 'file', path: await danglingTarget(file) };
    stats = followed;
    if (followed.isFile()) path = await realpath(file);
  }
  if (stats.isFile()) return { kind: 'file', path };
  if (stats.isFIFO() || stats.isCharacterDevice()) return { kind: 'stream', path: file };
  const what = stats.isDirectory() ? 'a directory' : stats.isBlockDevice() ? 'a block device' : stats.isSocket() ? 'a socket' : 'not a regular file';
  throw new RuntimeError('IO', `cannot write ${file}: it is ${what}; name a new or regular file (or - for standard output)`);
}

/** The path a chain of symbolic links ends at, when the last one names nothing yet. */
async function danglingTarget(file: string): Promise<string> {
  let path = resolvePath(file);
  for (let hops = 0; hops < 40; hops++) {
    const stats = await lstat(path).catch(() => undefined);
    if (!stats?.isSymbolicLink()) return path;
    path = resolvePath(dirname(path), await readlink(path));
  }
  throw new RuntimeError('IO', `cannot write ${file}: too many levels of symbolic links`);
}

/** Removes the temporary files (`.NAME.PID.RANDOM.tmp`) that saves to `path`, killed since, left beside it. */
async function removeStaleTemps(path: string): Promise<void> {
  const name = basename(path);
  const dir = dirname(path);
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const entry of names) {
    if (!entry.startsWith(`.${name}.`) || !entry.endsWith('.tmp')) continue;
    const match = /^\.(\d+)\.[0-9a-f]{12}\.tmp$/.exec(entry.slice(name.length + 1));
    if (!match || !processIsDead(Number(match[1]))) continue;
    await unlink(join(dir, entry)).catch(() => undefined);
  }
}

/** A system error's cause in words: `no space left on device`, not `ENOSPC: no space left on device, write`. */
function causeOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return /^E[A-Z]+: ([^,]+)/.exec(message)?.[1] ?? message;
}

async function writeArchive(store: ImageStore, names: string[], file: string, options: SaveOptions): Promise<SaveResult> {
  const { signal } = options;
  if (names.length === 0) throw new RuntimeError('INVALID_NAME', 'name at least one image to save');
  if (options.format === 'sealer') {
    const unique = [...new Set(names.map((name) => normalizeImageName(name)))];
    if (unique.length !== 1) throw new RuntimeError('INVALID_NAME', `a sealer archive holds one image, but ${unique.length} are named (${unique.join(', ')}); save them one by one`);
    const image = await store.getImage(unique[0]);
    if (isIndexMediaType(image.descriptor.mediaType)) {
      const saved = await saveSealerArchive(store, image.name, file, { ...(options.platforms ? { platforms: options.platforms } : {}), ...(signal ? { signal } : {}) });
      return { bytes: saved.bytes, images: [saved.name] };
    }
  }
  const entries: Descriptor[] = [];
  const saved: string[] = [];
  // digest → size of every blob the archive holds; `made` holds the ones only the archive has.
  const blobs = new Map<Digest, number>();
  const made = new Map<Digest, Buffer>();
  for (const name of names) {
    throwIfAborted(signal);
    const image = await store.getImage(name);
    if (saved.includes(image.name)) continue;
    saved.push(image.name);
    let descriptor = image.descriptor;
    if (options.platforms && options.platforms.length > 0) {
      const all = await platformImages(store, image.descriptor);
      const keys = new Set(options.platforms.map((platform) => selectPlatform(all, platform, image.name).key));
      const manifests: Descriptor[] = [];
      for (const platformImage of all) {
        if (!keys.delete(platformImage.key)) continue; // not wanted, or already listed
        manifests.push(platformImage.descriptor);
        await collectBlobs(store, platformImage.descriptor, blobs);
      }
      const old = isIndexMediaType(image.descriptor.mediaType) ? await store.readJson<OciIndex>(image.descriptor.digest) : undefined;
      const index: OciIndex = { schemaVersion: 2, mediaType: MEDIA_TYPE.index, manifests, ...(old?.annotations ? { annotations: old.annotations } : {}) };
      const bytes = Buffer.from(JSON.stringify(index));
      const digest = sha256Digest(bytes);
      made.set(digest, bytes);
      blobs.set(digest, bytes.length);
      descriptor = { mediaType: MEDIA_TYPE.index, digest, size: bytes.length, annotations: image.descriptor.annotations };
    } else {
      await collectBlobs(store, descriptor, blobs);
    }
    entries.push(archiveEntry(descriptor, image.name));
  }
  // Check every blob before writing anything, so a broken image fails fast and leaves no file.
  for (const [digest, size] of blobs) {
    if (made.has(digest)) continue;
    const actual = await store.blobSize(digest);
    if (actual === undefined) throw new RuntimeError('INVALID_IMAGE', `blob ${digest} is missing from the store ${store.root}; cannot save ${saved.join(', ')}`);
    if (actual !== size) throw new RuntimeError('INVALID_IMAGE', `blob ${digest} in the store is ${actual} bytes, but the image says ${size}`);
  }
  const index: OciIndex = { schemaVersion: 2, mediaType: MEDIA_TYPE.index, manifests: entries };
  const files: ArchiveFile[] = [
    { path: 'blobs/', directory: true },
    { path: 'blobs/sha256/', directory: true },
    ...[...blobs.keys()].sort().map((digest): ArchiveFile => ({ path: `blobs/sha256/${digestHex(digest)}`, digest, size: blobs.get(digest) ?? 0, data: made.get(digest) })),
    { path: 'index.json', data: Buffer.from(`${JSON.stringify(index, null, 2)}\n`) },
    { path: 'oci-layout', data: Buffer.from(`${JSON.stringify({ imageLayoutVersion: OCI_LAYOUT_VERSION })}\n`) },
  ];
  const bytes = await writeAtomically(file, (handle) => writeTar(store, handle, files, signal));
  return { bytes, images: saved };
}

export interface LoadOptions {
  /** Store the archive's image (it must hold one) under this name, instead of the names it gives. */
  tag?: string;
  signal?: AbortSignal;
}

export interface LoadResult {
  /** The images named, as stored. */
  images: StoredImage[];
  /** Images the archive gives no name (and no `tag` named): stored without one, kept by `prune`; `kubefilec tag DIGEST NAME` names one. */
  untagged: Descriptor[];
}

/**
 * Loads every image of the archive `file` (an OCI archive, a docker-archive or a sealer save) into
 * the store under the names it gives them, replacing what those names pointed at. An OCI archive
 * names them in its `index.json` (`org.opencontainers.image.ref.name`), a docker-archive in its
 * `manifest.json` (`RepoTags`), a sealer save in its `Metadata`; `tag` names the one image instead.
 * An image without a name is refused; `loadArchiveImages` keeps it. All or nothing: on any error
 * the store's names and blobs are as they were.
 */
export async function loadArchive(store: ImageStore, file: string, options: LoadOptions = {}): Promise<StoredImage[]> {
  return (await loadImages(store, file, options, false)).images;
}

/** `loadArchive`, but an image the archive gives no name is stored without one (`untagged`) instead of refused. */
export async function loadArchiveImages(store: ImageStore, file: string, options: LoadOptions = {}): Promise<LoadResult> {
  return loadImages(store, file, options, true);
}

async function loadImages(store: ImageStore, file: string, options: LoadOptions, keepUnnamed: boolean): Promise<LoadResult> {
  const { signal } = options;
  const tag = options.tag === undefined ? undefined : normalizeImageName(options.tag);
  return importing(store, async (created) => {
    const { named, unnamed } = await storeArchiveImages(store, file, created, signal, (images, format) => namedImages(images, file, format, { tag, keepUnnamed }));
    throwIfAborted(signal);
    const now = new Date().toISOString();
    // One index update for all: either the archive's images are all stored, or none is.
    return store.updateIndex((index) => {
      const untagged: Descriptor[] = [];
      for (const descriptor of unnamed) {
        const entry = indexEntry(descriptor, { [ANNOTATION.created]: descriptor.annotations?.[ANNOTATION.created] ?? now });
        // Loaded twice, listed once.
        if (!index.manifests.some((item) => item.digest === entry.digest && item.annotations?.[ANNOTATION.refName] === undefined)) index.manifests.push(entry);
        untagged.push(entry);
      }
      const images = named.map(({ name, descriptor }): StoredImage => {
        const created = descriptor.annotations?.[ANNOTATION.created] ?? now;
        const entry = indexEntry(descriptor, { [ANNOTATION.refName]: name, [ANNOTATION.created]: created });
        index.manifests = index.manifests.filter((item) => item.annotations?.[ANNOTATION.refName] !== name);
        index.manifests.push(entry);
        return { name, descriptor: entry, created };
      });
      return { images, untagged };
    });
  });
}

/** The store's `index.json` entry for an image, as `ImageStore.setImages` makes it. */
function indexEntry(descriptor: Descriptor, annotations: Record<string, string>): Descriptor {
  return {
    mediaType: descriptor.mediaType,
    digest: descriptor.digest,
    size: descriptor.size,
    ...(descriptor.platform && !isIndexMediaType(descriptor.mediaType) ? { platform: descriptor.platform } : {}),
    annotations: { ...descriptor.annotations, ...annotations },
  };
}

/**
 * Stores every image of the archive `file`, an OCI archive or a docker-archive, without naming any,
 * and returns them with the names the archive gives them (none for an unnamed one): for an OCI
 * archive, each `index.json` entry (an index or a manifest); for a docker-archive, the manifest
 * made for each image. All or nothing: on any error the blobs it added are removed. Nothing keeps
 * the result from `prune` once this returns: hold a lease (`store.lease()`) around it until the
 * images are named.
 */
export async function readImageArchive(store: ImageStore, file: string, options: { signal?: AbortSignal } = {}): Promise<ArchiveImage[]> {
  return importing(store, (created) => storeArchiveImages(store, file, created, options.signal, (images) => images));
}

/** For FROM oci-archive:PATH and FROM oci:DIR[:TAG]: imports the selected image's blobs into the store (unnamed) and returns its descriptor (index or manifest). */
export async function importLayoutImage(
  store: ImageStore,
  source: { archive: string } | { dir: string },
  reference?: string,
  options: { signal?: AbortSignal } = {},
): Promise<Descriptor> {
  const { signal } = options;
  if ('dir' in source) return importFromDirectory(store, source.dir, reference, signal);
  const file = source.archive;
  const fault = layoutFault('INVALID_ARCHIVE', file);
  return importing(store, async (created) => {
    const contents = await scanArchive(store, file, created, signal);
    const entry = selectLayoutEntry(layoutEntries(contents, file, fault), reference, `OCI archive ${file}`);
    const reachable = await walkImage(store, entry, inStore(store, fault, 'is neither in the archive nor in the store'), fault, signal);
    // The archive is streamed, so its other images' blobs were stored too; drop the ones this import added.
    await removeBlobs(store, created.filter((digest) => !reachable.has(digest)));
    await checkDiffIds(store, [entry], file, signal);
    return entry;
  });
}

// ---------------------------------------------------------------------------------------------
// writing

/** An `index.json` entry for the archive: fixed key order and sorted annotations, so the bytes depend only on the image. */
function archiveEntry(descriptor: Descriptor, name: string): Descriptor {
  const annotations: Record<string, string> = { ...descriptor.annotations, [ANNOTATION.refName]: name };
  const sorted: Record<string, string> = {};
  for (const key of Object.keys(annotations).sort()) sorted[key] = annotations[key];
  return {
    mediaType: descriptor.mediaType,
    digest: descriptor.digest,
    size: descriptor.size,
    ...(descriptor.platform ? { platform: descriptor.platform } : {}),
    annotations: sorted,
  };
}

// ---------------------------------------------------------------------------------------------
// reading

/** How an archive kind lists and names its images, for the messages of `loadArchive`. */
interface ArchiveNaming {
  listing: string;
  unnamed: string;
  fix: string;
}

const OCI_NAMING: ArchiveNaming = {
  listing: 'index.json',
  unnamed: `no ${ANNOTATION.refName} annotation`,
  fix: 'load it with --tag NAME, write the archive with a name (skopeo copy ... oci-archive:FILE:NAME:TAG), or use it directly as FROM oci-archive:FILE',
};

const DOCKER_NAMING: ArchiveNaming = {
  listing: 'manifest.json',
  unnamed: 'no RepoTags in manifest.json',
  fix: 'load it with --tag NAME, or write the archive with a name (docker save NAME:TAG, or skopeo copy ... docker-archive:FILE:NAME:TAG)',
};

const SEALER_NAMING: ArchiveNaming = {
  listing: 'list of image archives',
  unnamed: `no ${SEALER_METADATA} file`,
  fix: `load it with --tag NAME, or add the ${SEALER_METADATA} file sealer save writes`,
};

/**
 * Stores the images of the archive `file`, any kind, unnamed, and returns what `check` makes of
 * them. `check` sees an OCI archive's images before their blobs are walked, so a naming problem is
 * reported first. Blobs the archive held that no image uses are removed again.
 */
async function storeArchiveImages<T>(
  store: ImageStore,
  file: string,
  created: Digest[],
  signal: AbortSignal | undefined,
  check: (images: ArchiveImage[], naming: ArchiveNaming) => T,
): Promise<T> {
  const contents = await scanArchive(store, file, created, signal);
  const kind = kindOf(contents);
  if (kind === 'docker') {
    const images = await dockerImages(store, contents, file, created, signal);
    const checked = check(images, DOCKER_NAMING);
    await checkDiffIds(store, images.map((image) => image.descriptor), file, signal);
    return checked;
  }
  // A tar of image archives without Metadata: a sealer save that lost it, or made by hand; its image is unnamed.
  if (kind === 'sealer' || (kind === undefined && contents.nested.size > 0)) {
    const images = await sealerImages(store, contents, file, created, signal);
    const checked = check(images, SEALER_NAMING);
    await checkDiffIds(store, images.map((image) => image.descriptor), file, signal);
    return checked;
  }
  const fault = layoutFault('INVALID_ARCHIVE', file);
  const images = layoutEntries(contents, file, fault).map((descriptor, i): ArchiveImage => {
    const raw = descriptor.annotations?.[CONTAINERD_NAME] ?? descriptor.annotations?.[ANNOTATION.refName];
    return { names: raw === undefined ? [] : [archiveImageName(raw, i, file)], descriptor };
  });
  const checked = check(images, OCI_NAMING);
  const reachable = new Set<Digest>();
  for (const { descriptor } of images) {
    for (const digest of await walkImage(store, descriptor, inStore(store, fault, 'is neither in the archive nor in the store'), fault, signal)) reachable.add(digest);
  }
  await removeBlobs(store, created.filter((digest) => !reachable.has(digest)));
  // Each layer's uncompressed content against its diff ID: a damaged gzip stream is refused now, not in a build.
  await checkDiffIds(store, images.map((image) => image.descriptor), file, signal);
  return checked;
}

/** The archive's `index.json` entries, once it is known to be an OCI archive. */
function layoutEntries(contents: ArchiveContents, file: string, fault: LayoutFault): Descriptor[] {
  if (!contents.layout || !contents.index) {
    const missing = [contents.layout ? undefined : 'oci-layout', contents.index ? undefined : 'index.json'].filter((name) => name !== undefined).join(' and ');
    if (contents.dockerManifest) {
      throw new RuntimeError('INVALID_ARCHIVE', `${file} is a docker-archive, not an OCI archive (it has no ${missing}); load it with kubefilec load -i ${file} and use the image by name`);
    }
    if (contents.metadata || contents.nested.size > 0) {
      throw new RuntimeError('INVALID_ARCHIVE', `${file} is a sealer save, not an OCI archive (it has no ${missing}); load it with kubefilec load -i ${file} and use the image by name`);
    }
    throw new RuntimeError('INVALID_ARCHIVE', `${file} is neither an OCI archive (it has no ${missing}), a docker-archive (it has no manifest.json) nor a sealer save (it has no ${SEALER_METADATA})`);
  }
  // Links are recorded for docker-archives; an OCI layout never needs one.
  for (const [path, member] of contents.members) if (member.kind === 'link') throw linkError(file, path, member.link, member.linkpath);
  return parseLayout(contents.layout, contents.index, fault);
}

/**
 * The names to give, checked before anything is named: every image needs one (or, with
 * `keepUnnamed`, goes to `unnamed`), and no name may go to two images. `tag` names the archive's
 * one image instead of the names it gives.
 */
function namedImages(
  images: readonly ArchiveImage[],
  file: string,
  naming: ArchiveNaming,
  { tag, keepUnnamed }: { tag?: string; keepUnnamed: boolean },
): { named: { name: string; descriptor: Descriptor }[]; unnamed: Descriptor[] } {
  if (images.length === 0) throw new RuntimeError('INVALID_ARCHIVE', `${file}: the archive holds no images (its ${naming.listing} lists none)`);
  if (tag !== undefined) {
    if (images.length !== 1) throw new RuntimeError('INVALID_ARCHIVE', `${file}: --tag names one image, but the archive holds ${images.length}`);
    return { named: [{ name: tag, descriptor: images[0].descriptor }], unnamed: [] };
  }
  const named: { name: string; descriptor: Descriptor }[] = [];
  const unnamed: Descriptor[] = [];
  for (const [i, { names, descriptor }] of images.entries()) {
    if (names.length === 0) {
      if (keepUnnamed) {
        unnamed.push(descriptor);
        continue;
      }
      throw new RuntimeError(
        'INVALID_ARCHIVE',
        `${file}: the archive's image ${i + 1} (${descriptor.digest}) has no name (${naming.unnamed}), so it cannot be loaded into the store; ${naming.fix}`,
      );
    }
    for (const name of names) {
      const twice = named.find((item) => item.name === name);
      if (twice && twice.descriptor.digest !== descriptor.digest) throw new RuntimeError('INVALID_ARCHIVE', `${file}: the name ${name} is given to two different images`);
      if (!twice) named.push({ name, descriptor });
    }
  }
  return { named, unnamed };
}
