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
import { randomBytes } from 'node:crypto';
import { open, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Header } from 'tar';
import { archiveImageName, ioError, kindOf, linkError, scanArchive, type ArchiveContents, type ArchiveImage } from './archive-reader.js';
import { digestHex, sha256Digest, type Digest } from '../image/digest.js';
import { dockerImages } from './docker-archive.js';
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

export { archiveKind, type ArchiveImage, type ArchiveKind } from './archive-reader.js';

export interface SaveOptions {
  /** Keep only these platforms of each image (any `--platform` spelling). */
  platforms?: string[];
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

const BLOCK = 512;

/**
 * Writes the images `names` to `file` as an OCI archive. The file appears only when complete: it is
 * written beside the target under a temporary name and renamed over it at the end.
 */
export async function saveArchive(store: ImageStore, names: string[], file: string, options: SaveOptions = {}): Promise<SaveResult> {
  const { signal } = options;
  if (names.length === 0) throw new RuntimeError('INVALID_NAME', 'name at least one image to save');
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

/**
 * Loads every image of the archive `file` into the store under the names it gives them, replacing
 * what those names pointed at. An OCI archive names them in its `index.json`
 * (`org.opencontainers.image.ref.name`), a docker-archive in its `manifest.json` (`RepoTags`). All or
 * nothing: on any error the store's names and blobs are as they were.
 */
export async function loadArchive(store: ImageStore, file: string, options: { signal?: AbortSignal } = {}): Promise<StoredImage[]> {
  const { signal } = options;
  return importing(store, async (created) => {
    const named = await storeArchiveImages(store, file, created, signal, (images, format) => namedImages(images, file, format));
    throwIfAborted(signal);
    // One index update for all names: either the archive's images all get their names, or none does.
    return store.setImages(named.map(({ name, descriptor }) => ({ name, descriptor, created: descriptor.annotations?.[ANNOTATION.created] ?? new Date().toISOString() })));
  });
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
    return entry;
  });
}

// ---------------------------------------------------------------------------------------------
// writing

interface ArchiveFile {
  path: string;
  directory?: boolean;
  /** Content held in memory (index.json, oci-layout, filtered indexes). */
  data?: Buffer;
  /** Otherwise, a store blob of this size. */
  digest?: Digest;
  size?: number;
}

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

async function writeTar(store: ImageStore, handle: FileHandle, files: readonly ArchiveFile[], signal: AbortSignal | undefined): Promise<void> {
  for (const file of files) {
    throwIfAborted(signal);
    const size = file.directory ? 0 : (file.data?.length ?? file.size ?? 0);
    const header = Buffer.alloc(BLOCK);
    // Owner root, mtime 0, no user/group names: nothing of the machine or the moment leaks in.
    new Header({
      path: file.path,
      type: file.directory ? 'Directory' : 'File',
      mode: file.directory ? 0o755 : 0o644,
      uid: 0,
      gid: 0,
      size,
      mtime: new Date(0),
    }).encode(header, 0);
    await handle.write(header);
    if (file.data) {
      await handle.write(file.data);
    } else if (file.digest) {
      let written = 0;
      for await (const chunk of store.blobStream(file.digest)) {
        throwIfAborted(signal);
        const buffer = chunk as Buffer;
        written += buffer.length;
        if (written > size) break;
        await handle.write(buffer);
      }
      if (written !== size) throw new RuntimeError('INVALID_IMAGE', `blob ${file.digest} changed while it was being saved`);
    }
    const padding = (BLOCK - (size % BLOCK)) % BLOCK;
    if (padding > 0) await handle.write(Buffer.alloc(padding));
  }
  // End of archive: two zero blocks.
  await handle.write(Buffer.alloc(2 * BLOCK));
}

/** Writes `file` through a temp file beside it, renamed into place only after `write` succeeds; returns its size. */
async function writeAtomically(file: string, write: (handle: FileHandle) => Promise<void>): Promise<number> {
  const temp = join(dirname(file), `.${basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let handle: FileHandle;
  try {
    handle = await open(temp, 'wx', 0o644);
  } catch (error) {
    throw ioError('write', file, error);
  }
  try {
    try {
      await write(handle);
      await handle.sync();
    } finally {
      await handle.close();
    }
    const { size } = await stat(temp);
    await rename(temp, file).catch((error: unknown) => {
      throw ioError('write', file, error);
    });
    return size;
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// reading

/** How an archive kind lists and names its images, for the messages of `loadArchive`. */
interface ArchiveFormat {
  listing: string;
  unnamed: string;
  fix: string;
}

const OCI_FORMAT: ArchiveFormat = {
  listing: 'index.json',
  unnamed: `no ${ANNOTATION.refName} annotation`,
  fix: 'write the archive with a name (skopeo copy ... oci-archive:FILE:NAME:TAG), or use it directly as FROM oci-archive:FILE',
};

const DOCKER_FORMAT: ArchiveFormat = {
  listing: 'manifest.json',
  unnamed: 'no RepoTags in manifest.json',
  fix: 'write the archive with a name (docker save NAME:TAG, or skopeo copy ... docker-archive:FILE:NAME:TAG)',
};

/**
 * Stores the images of the archive `file`, either kind, unnamed, and returns what `check` makes of
 * them. `check` sees them before an OCI archive's blobs are walked, so a naming problem is reported
 * first. Blobs the archive held that no image uses are removed again.
 */
async function storeArchiveImages<T>(
  store: ImageStore,
  file: string,
  created: Digest[],
  signal: AbortSignal | undefined,
  check: (images: ArchiveImage[], format: ArchiveFormat) => T,
): Promise<T> {
  const contents = await scanArchive(store, file, created, signal);
  if (kindOf(contents) === 'docker') {
    return check(await dockerImages(store, contents, file, created, signal), DOCKER_FORMAT);
  }
  const fault = layoutFault('INVALID_ARCHIVE', file);
  const images = layoutEntries(contents, file, fault).map((descriptor, i): ArchiveImage => {
    const raw = descriptor.annotations?.[CONTAINERD_NAME] ?? descriptor.annotations?.[ANNOTATION.refName];
    return { names: raw === undefined ? [] : [archiveImageName(raw, i, file)], descriptor };
  });
  const checked = check(images, OCI_FORMAT);
  const reachable = new Set<Digest>();
  for (const { descriptor } of images) {
    for (const digest of await walkImage(store, descriptor, inStore(store, fault, 'is neither in the archive nor in the store'), fault, signal)) reachable.add(digest);
  }
  await removeBlobs(store, created.filter((digest) => !reachable.has(digest)));
  return checked;
}

/** The archive's `index.json` entries, once it is known to be an OCI archive. */
function layoutEntries(contents: ArchiveContents, file: string, fault: LayoutFault): Descriptor[] {
  if (!contents.layout || !contents.index) {
    const missing = [contents.layout ? undefined : 'oci-layout', contents.index ? undefined : 'index.json'].filter((name) => name !== undefined).join(' and ');
    if (contents.dockerManifest) {
      throw new RuntimeError('INVALID_ARCHIVE', `${file} is a docker-archive, not an OCI archive (it has no ${missing}); load it with kubefilec load -i ${file} and use the image by name`);
    }
    throw new RuntimeError('INVALID_ARCHIVE', `${file} is neither an OCI archive (it has no ${missing}) nor a docker-archive (it has no manifest.json)`);
  }
  // Links are recorded for docker-archives; an OCI layout never needs one.
  for (const [path, member] of contents.members) if (member.kind === 'link') throw linkError(file, path, member.link, member.linkpath);
  return parseLayout(contents.layout, contents.index, fault);
}

/** The names to give, checked before anything is named: every image needs one, and no name may go to two images. */
function namedImages(images: readonly ArchiveImage[], file: string, format: ArchiveFormat): { name: string; descriptor: Descriptor }[] {
  if (images.length === 0) throw new RuntimeError('INVALID_ARCHIVE', `${file}: the archive holds no images (its ${format.listing} lists none)`);
  const named: { name: string; descriptor: Descriptor }[] = [];
  for (const [i, { names, descriptor }] of images.entries()) {
    if (names.length === 0) {
      throw new RuntimeError(
        'INVALID_ARCHIVE',
        `${file}: the archive's image ${i + 1} (${descriptor.digest}) has no name (${format.unnamed}), so it cannot be loaded into the store; ${format.fix}`,
      );
    }
    for (const name of names) {
      const twice = named.find((item) => item.name === name);
      if (twice && twice.descriptor.digest !== descriptor.digest) throw new RuntimeError('INVALID_ARCHIVE', `${file}: the name ${name} is given to two different images`);
      if (!twice) named.push({ name, descriptor });
    }
  }
  return named;
}
