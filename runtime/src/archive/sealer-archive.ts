/**
 * sealer's multi-platform save, read and written. `sealer save` of a manifest list (sealer v0.11.0,
 * pkg/imageengine/buildah/save.go) writes a plain tar of:
 *
 *   <image ID>.tar   one per platform, in the list's order: the platform's image alone, as an OCI
 *                    archive (containers/image's oci-archive: `blobs/`, `blobs/sha256/`, its
 *                    manifest, config and layers, `index.json` listing the manifest without a name
 *                    or platform, `oci-layout`); the image ID is the hex of its config's digest
 *   Metadata         the list's name, e.g. `localhost/app:v1`, the bytes alone (no newline)
 *
 * `sealer load` (load.go) extracts it; without `Metadata` it loads the file as one image archive,
 * which keeps only the host's platform of a multi-platform one. With it, it loads every top-level
 * `.tar`, then makes a manifest list named by `Metadata` and adds each image to it by looking up
 * its file name: an image ID (or a name) it has, so the files must be named by their config
 * digests. sealer never reads the list's own manifest, so a load makes its own index, with each
 * platform from the image's config, in file-name order as sealer does.
 */
import { digestHex, sha256Digest, type Digest } from '../image/digest.js';
import { RuntimeError, throwIfAborted } from '../errors.js';
import { platformImages, selectPlatform, type PlatformImage } from '../image/image.js';
import { normalizeImageName } from '../image/names.js';
import { isIndexMediaType, isManifestMediaType, MEDIA_TYPE, platformKeyOf, type Descriptor, type OciIndex, type OciManifest, type OciPlatform } from '../image/oci.js';
import { kindOf, linkError, MAX_CONFIG_BYTES, type ArchiveContents, type ArchiveImage } from './archive-reader.js';
import { dockerImages } from './docker-archive.js';
import { inStore, isRecord, layoutFault, parseJson, parseLayout, removeBlobs, walkImage, type LayoutFault } from './layout-import.js';
import { pad, tarSize, writeAtomically, writeHeader, writeTar, type ArchiveFile } from './tar-writer.js';
import type { ImageStore } from '../store/store.js';

/** sealer's name for the file naming the image (common.DefaultMetadataName). */
export const SEALER_METADATA = 'Metadata';

/** What containers/image writes as an OCI archive's `oci-layout`, byte for byte. */
const CONTAINERS_OCI_LAYOUT = '{"imageLayoutVersion": "1.0.0"}';

// ---------------------------------------------------------------------------------------------
// reading

/**
 * The image of a scanned sealer save (or of a tar of image archives without `Metadata`, then
 * unnamed): one image index over the platform images of its `.tar` files, stored with them. The
 * blobs the archive brought that the index does not reach are removed again.
 */
export async function sealerImages(store: ImageStore, contents: ArchiveContents, file: string, created: Digest[], signal?: AbortSignal): Promise<ArchiveImage[]> {
  const fault = layoutFault('INVALID_ARCHIVE', file);
  const names = contents.metadata === undefined ? [] : [metadataName(contents.metadata, file)];
  for (const [path, member] of contents.members) {
    // sealer loads every top-level .tar as an image archive: one that is not is a broken save.
    if (/^[^/]+\.tar$/.test(path) && !contents.nested.has(path)) throw fault(`${path} is not an image archive (a sealer save holds one per platform)`);
    if (member.kind === 'link' && /^[^/]+\.tar$/.test(member.target)) throw linkError(file, path, member.link, member.linkpath, 'a sealer save holds only regular files');
  }
  if (contents.nested.size === 0) throw fault(`it has a ${SEALER_METADATA} file (a sealer save) but no image archive (<image ID>.tar) in it`);
  const paths = [...contents.nested.keys()].sort();
  const manifests: Descriptor[] = [];
  const reachable = new Set<Digest>();
  const platforms = new Map<string, string>();
  for (const path of paths) {
    throwIfAborted(signal);
    const inner = contents.nested.get(path) as ArchiveContents;
    const where = `${file}: ${path}`;
    const { descriptor, platform, blobs } = await platformImage(store, inner, where, created, signal);
    for (const digest of blobs) reachable.add(digest);
    const key = platformKeyOf(platform);
    const other = platforms.get(key);
    if (other !== undefined) throw fault(`${other} and ${path} are both ${key} images; an image index holds one image per platform`);
    platforms.set(key, path);
    manifests.push({ mediaType: descriptor.mediaType ?? MEDIA_TYPE.manifest, digest: descriptor.digest, size: descriptor.size, platform });
  }
  const index: OciIndex = { schemaVersion: 2, mediaType: MEDIA_TYPE.index, manifests };
  const text = JSON.stringify(index);
  const ref = await store.writeBlob(text, { digest: sha256Digest(text) });
  if (ref.created) created.push(ref.digest);
  reachable.add(ref.digest);
  await removeBlobs(store, created.filter((digest) => !reachable.has(digest)));
  return [{ names, descriptor: { mediaType: MEDIA_TYPE.index, digest: ref.digest, size: ref.size } }];
}

/** The image name `Metadata` holds: sealer reads the bytes as they are; a final newline is forgiven. */
function metadataName(bytes: Buffer, file: string): string {
  const text = bytes.toString('utf8').replace(/\r?\n$/, '');
  if (text === '') throw new RuntimeError('INVALID_ARCHIVE', `${file}: its ${SEALER_METADATA} file is empty; it should hold the image's name`);
  try {
    return normalizeImageName(text);
  } catch (error) {
    throw new RuntimeError('INVALID_ARCHIVE', `${file}: its ${SEALER_METADATA} file holds ${JSON.stringify(text.slice(0, 200))}, not a usable image name: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** The one single-platform image of an image archive inside a sealer save, its blobs checked. */
async function platformImage(
  store: ImageStore,
  inner: ArchiveContents,
  where: string,
  created: Digest[],
  signal: AbortSignal | undefined,
): Promise<{ descriptor: Descriptor; platform: OciPlatform; blobs: Set<Digest> }> {
  const fault = layoutFault('INVALID_ARCHIVE', where);
  const kind = kindOf(inner);
  if (kind === 'docker') {
    // Its own list of new blobs: dockerImages removes those of its list that it does not use.
    const mine: Digest[] = [];
    try {
      const images = await dockerImages(store, inner, where, mine, signal);
      if (images.length !== 1) throw fault(`holds ${images.length} images; an image archive of a sealer save holds one`);
      const [image] = images;
      const blobs = await walkImage(store, image.descriptor, inStore(store, fault, 'is missing'), fault, signal);
      return { descriptor: image.descriptor, platform: image.platform, blobs };
    } finally {
      created.push(...mine);
    }
  }
  if (kind !== 'oci' || !inner.layout || !inner.index) throw fault('is not an image archive: it has neither index.json and oci-layout nor manifest.json');
  for (const [path, member] of inner.members) if (member.kind === 'link') throw linkError(where, path, member.link, member.linkpath);
  const entries = parseLayout(inner.layout, inner.index, fault);
  if (entries.length !== 1) throw fault(`its index.json lists ${entries.length} images; an image archive of a sealer save holds one`);
  const [entry] = entries;
  if (isIndexMediaType(entry.mediaType)) throw fault(`holds an image index (${entry.digest}); an image archive of a sealer save holds one platform's image`);
  if (entry.mediaType !== undefined && !isManifestMediaType(entry.mediaType)) throw fault(`its image ${entry.digest} has media type ${JSON.stringify(entry.mediaType)}, not an image manifest`);
  const blobs = await walkImage(store, entry, inStore(store, fault, 'is not in the archive'), fault, signal);
  const manifest = parseJson(await store.readBlob(entry.digest));
  const config = isRecord(manifest) && isRecord(manifest.config) ? manifest.config : undefined;
  if (!config || typeof config.digest !== 'string') throw fault(`${entry.digest} is not an image manifest (it has no config)`);
  return { descriptor: { ...entry, mediaType: entry.mediaType ?? MEDIA_TYPE.manifest }, platform: await configPlatform(store, config.digest as Digest, fault), blobs };
}

/** The platform an image's config gives, as sealer takes it when it adds the image to its list. */
async function configPlatform(store: ImageStore, digest: Digest, fault: LayoutFault): Promise<OciPlatform> {
  const size = await store.blobSize(digest);
  if (size === undefined || size > MAX_CONFIG_BYTES) throw fault(`config ${digest} is ${size ?? 0} bytes, larger than any image config (${MAX_CONFIG_BYTES})`);
  const config = parseJson(await store.readBlob(digest));
  if (!isRecord(config) || typeof config.os !== 'string' || typeof config.architecture !== 'string' || config.os === '' || config.architecture === '') {
    throw fault(`config ${digest} has no "os" and "architecture"`);
  }
  const variant = typeof config.variant === 'string' && config.variant !== '' ? config.variant : undefined;
  return { architecture: config.architecture, os: config.os, ...(variant ? { variant } : {}) };
}

// ---------------------------------------------------------------------------------------------
// writing

export interface SealerSaveOptions {
  /** Keep only these platforms (any `--platform` spelling). */
  platforms?: string[];
  signal?: AbortSignal;
}

/**
 * Writes the stored image `name`, all its platforms or those named, as `sealer save` writes a
 * manifest list: one OCI archive per platform named by its config digest, and `Metadata` with the
 * name, so that `sealer load` makes a manifest list of every platform. The file appears only when
 * complete. Returns the archive's size.
 */
export async function saveSealerArchive(store: ImageStore, name: string, file: string, options: SealerSaveOptions = {}): Promise<{ bytes: number; name: string }> {
  const { signal } = options;
  const image = await store.getImage(name);
  let images = await platformImages(store, image.descriptor);
  if (options.platforms && options.platforms.length > 0) {
    const keys = new Set(options.platforms.map((platform) => selectPlatform(images, platform, image.name).key));
    images = images.filter((platformImage) => keys.delete(platformImage.key));
  }
  const archives: { path: string; files: ArchiveFile[] }[] = [];
  const byConfig = new Map<string, string>();
  for (const platformImage of images) {
    throwIfAborted(signal);
    const hex = digestHex(platformImage.manifest.config.digest);
    const other = byConfig.get(hex);
    // sealer finds each platform's image by its file name, the config digest: two platforms cannot share one.
    if (other !== undefined) throw new RuntimeError('INVALID_IMAGE', `${image.name}: platforms ${other} and ${platformImage.key} have the same config ${platformImage.manifest.config.digest}; a sealer archive names each platform's image by its config`);
    byConfig.set(hex, platformImage.key);
    archives.push({ path: `${hex}.tar`, files: await platformFiles(store, platformImage) });
  }
  const metadata = Buffer.from(image.name);
  const bytes = await writeAtomically(file, async (handle) => {
    for (const archive of archives) {
      throwIfAborted(signal);
      await writeHeader(handle, archive.path, tarSize(archive.files));
      // A tar is whole blocks: no padding after it.
      await writeTar(store, handle, archive.files, signal);
    }
    await writeHeader(handle, SEALER_METADATA, metadata.length);
    await handle.write(metadata);
    await pad(handle, metadata.length);
    await handle.write(Buffer.alloc(1024));
  });
  return { bytes, name: image.name };
}

/** One platform's image as containers/image writes an OCI archive of it, its blobs checked first. */
async function platformFiles(store: ImageStore, image: PlatformImage): Promise<ArchiveFile[]> {
  const manifest: OciManifest = image.manifest;
  const descriptor = image.descriptor;
  const blobs = new Map<Digest, number>([[descriptor.digest, descriptor.size]]);
  blobs.set(manifest.config.digest, manifest.config.size);
  for (const layer of manifest.layers) blobs.set(layer.digest, layer.size);
  for (const [digest, size] of blobs) {
    const actual = await store.blobSize(digest);
    if (actual === undefined) throw new RuntimeError('INVALID_IMAGE', `blob ${digest} is missing from the store ${store.root}; cannot save ${image.key}`);
    if (actual !== size) throw new RuntimeError('INVALID_IMAGE', `blob ${digest} in the store is ${actual} bytes, but the image says ${size}`);
  }
  const index = { schemaVersion: 2, manifests: [{ mediaType: descriptor.mediaType ?? MEDIA_TYPE.manifest, digest: descriptor.digest, size: descriptor.size }] };
  return [
    { path: 'blobs/', directory: true },
    { path: 'blobs/sha256/', directory: true },
    ...[...blobs.keys()].sort().map((digest): ArchiveFile => ({ path: `blobs/sha256/${digestHex(digest)}`, digest, size: blobs.get(digest) ?? 0 })),
    { path: 'index.json', data: Buffer.from(JSON.stringify(index)) },
    { path: 'oci-layout', data: Buffer.from(CONTAINERS_OCI_LAYOUT) },
  ];
}
