/**
 * docker-archives, as `docker save` and `skopeo copy ... docker-archive:FILE:NAME:TAG` write them,
 * read into the store as OCI images. The archive's `manifest.json` lists each image's config file,
 * layer files and names (`[{"Config": PATH, "RepoTags": [NAME:TAG ...], "Layers": [PATH ...]}]`);
 * it holds no OCI manifest, so one is made over the config (stored as is: the image ID stays the
 * config digest) and the layers. Legacy archives (skopeo, docker before 25) link repeated layers to
 * one file; those links are followed within the archive. Docker 25+ archives are OCI archives as
 * well and are read as such by `archive.ts`.
 */
import { isDigest, sha256Digest, type Digest } from '../image/digest.js';
import { RuntimeError, throwIfAborted } from '../errors.js';
import { archiveImageName, archivePath, HEAD_BYTES, kindOf, linkError, MAX_CONFIG_BYTES, scanArchive, type ArchiveContents, type ArchiveImage, type ArchiveMember } from './archive-reader.js';
import { importing, isRecord, layoutFault, parseJson, removeBlobs, type LayoutFault } from './layout-import.js';
import { ANNOTATION, MEDIA_TYPE, type Descriptor, type OciManifest, type OciPlatform } from '../image/oci.js';
import type { ImageStore } from '../store/store.js';

export interface DockerArchiveImage extends ArchiveImage {
  /** The platform its config gives (also on `descriptor`). */
  platform: OciPlatform;
}

/** Not in `MEDIA_TYPE`: nothing else in the runtime makes zstd layers, but an archive may hold them. */
const LAYER_ZSTD = 'application/vnd.oci.image.layer.v1.tar+zstd';
/** Legacy archives link a repeated layer to the first copy; a longer chain is no archive docker or skopeo wrote. */
const MAX_LINK_HOPS = 8;

/** One entry of `manifest.json`, checked. */
interface DockerManifestEntry {
  Config: string;
  RepoTags: string[];
  Layers: string[];
}

/** The parts of an image config read here. */
interface DockerConfig {
  os: string;
  architecture: string;
  variant?: string;
  created?: string;
  diffIds: Digest[];
}

/**
 * Stores every image of the docker-archive `file` (its blobs and an OCI manifest for each) without
 * naming any, and returns them with the names `manifest.json` gives (none for an unnamed image).
 * All or nothing: on any error the blobs it added are removed. Nothing keeps the result from
 * `prune` once this returns: hold a lease (`store.lease()`) around it until the images are named.
 */
export async function readDockerArchive(store: ImageStore, file: string, options: { signal?: AbortSignal } = {}): Promise<DockerArchiveImage[]> {
  return importing(store, async (created) => {
    const contents = await scanArchive(store, file, created, options.signal);
    // manifest.json is enough: a docker 25+ archive, OCI as well, names its blobs in it too.
    if (!contents.dockerManifest) {
      const oci = kindOf(contents) === 'oci' ? ' (it is an OCI archive: read it with readImageArchive)' : '';
      throw new RuntimeError('INVALID_ARCHIVE', `${file} is not a docker-archive: it has no manifest.json${oci}`);
    }
    return dockerImages(store, contents, file, created, options.signal);
  });
}

/**
 * The images of a scanned docker-archive, stored (configs, layers, new manifests; what the store
 * did not have is pushed onto `created`). The archive's files that no image uses are removed again.
 */
export async function dockerImages(store: ImageStore, contents: ArchiveContents, file: string, created: Digest[], signal?: AbortSignal): Promise<DockerArchiveImage[]> {
  const fault = layoutFault('INVALID_ARCHIVE', file);
  const entries = parseDockerManifest(contents.dockerManifest ?? Buffer.alloc(0), fault);
  const images: DockerArchiveImage[] = [];
  const used = new Set<Digest>();
  for (const [i, entry] of entries.entries()) {
    throwIfAborted(signal);
    images.push(await dockerImage(store, contents.members, entry, i, file, { fault, created, used }));
  }
  await removeBlobs(store, created.filter((digest) => !used.has(digest)));
  return images;
}

interface Loading {
  fault: LayoutFault;
  /** Blobs the store did not have before. */
  created: Digest[];
  /** Blobs the images use. */
  used: Set<Digest>;
}

async function dockerImage(store: ImageStore, members: ReadonlyMap<string, ArchiveMember>, entry: DockerManifestEntry, i: number, file: string, loading: Loading): Promise<DockerArchiveImage> {
  const { fault } = loading;
  const where = `manifest.json entry ${i + 1}`;
  const configPath = entryPath(entry.Config, `${where}: its config`, fault);
  const configMember = resolveMember(members, configPath, `${where}: its config`, file, fault, { links: false });
  const configWhere = `${where}: its config ${configPath}`;
  const configBytes = configMember.kind === 'data' ? configMember.bytes : await readConfigBlob(store, configMember, configWhere, fault);
  const config = parseConfig(configBytes, configWhere, fault);
  const configRef = await storeMember(store, configMember, loading);
  if (entry.Layers.length !== config.diffIds.length) {
    throw fault(`${where} lists ${entry.Layers.length} layers, but its config ${configPath} has ${config.diffIds.length} (rootfs.diff_ids)`);
  }
  const layers: Descriptor[] = [];
  for (const [j, raw] of entry.Layers.entries()) {
    const layerWhere = `${where}: layer ${j + 1}`;
    const path = entryPath(raw, layerWhere, fault);
    const member = resolveMember(members, path, layerWhere, file, fault, { links: true });
    const ref = await storeMember(store, member, loading);
    const mediaType = layerMediaType(member.kind === 'data' ? member.bytes : member.head);
    // An uncompressed layer is its own diff: its digest must be the config's diff_id. A compressed one would have to be unpacked to tell.
    if (mediaType === MEDIA_TYPE.layer && ref.digest !== config.diffIds[j]) {
      throw fault(`${layerWhere} (${path}) has digest ${ref.digest}, but its config ${configPath} gives diff_id ${config.diffIds[j]}`);
    }
    layers.push({ mediaType, digest: ref.digest, size: ref.size });
  }
  const platform: OciPlatform = { architecture: config.architecture, os: config.os, ...(config.variant ? { variant: config.variant } : {}) };
  const manifest: OciManifest = { schemaVersion: 2, mediaType: MEDIA_TYPE.manifest, config: { mediaType: MEDIA_TYPE.config, digest: configRef.digest, size: configRef.size }, layers };
  // What `store.putJson` does, but knowing whether the blob is new, so that a failed load removes it.
  const text = JSON.stringify(manifest);
  const manifestRef = await store.writeBlob(text, { digest: sha256Digest(text) });
  record(loading, manifestRef);
  const names = [...new Set(entry.RepoTags.map((raw) => archiveImageName(raw, i, file)))];
  // The creation time rides on the descriptor, where an OCI archive's index.json entry has it.
  const annotations = config.created !== undefined ? { annotations: { [ANNOTATION.created]: config.created } } : {};
  return { names, descriptor: { mediaType: MEDIA_TYPE.manifest, digest: manifestRef.digest, size: manifestRef.size, platform, ...annotations }, platform };
}

function parseDockerManifest(bytes: Buffer, fault: LayoutFault): DockerManifestEntry[] {
  const document = parseJson(bytes);
  if (!Array.isArray(document)) throw fault('manifest.json is not a docker-archive manifest (a list of {"Config", "RepoTags", "Layers"})');
  return document.map((value: unknown, i): DockerManifestEntry => {
    const where = `manifest.json entry ${i + 1}`;
    if (!isRecord(value)) throw fault(`${where} is not an object`);
    const { Config, RepoTags, Layers } = value;
    if (typeof Config !== 'string') throw fault(`${where} has no "Config" path`);
    if (!isStringList(Layers)) throw fault(`${where} has no "Layers" list of paths`);
    // docker writes null for an untagged image, skopeo an empty list.
    if (RepoTags !== undefined && RepoTags !== null && !isStringList(RepoTags)) throw fault(`${where} has a "RepoTags" that is not a list of names`);
    return { Config, RepoTags: RepoTags ?? [], Layers };
  });
}

function parseConfig(bytes: Buffer, where: string, fault: LayoutFault): DockerConfig {
  const config = parseJson(bytes);
  if (!isRecord(config)) throw fault(`${where} is not a JSON image config`);
  const { os, architecture, variant, created, rootfs } = config;
  if (typeof os !== 'string' || typeof architecture !== 'string') throw fault(`${where} has no "os" and "architecture"`);
  const diffIds = isRecord(rootfs) ? rootfs.diff_ids : undefined;
  if (!Array.isArray(diffIds) || !diffIds.every(isDigest)) {
    throw fault(`${where} has no "rootfs.diff_ids" list of sha256 digests`);
  }
  return { os, architecture, diffIds, ...(typeof variant === 'string' && variant ? { variant } : {}), ...(typeof created === 'string' ? { created } : {}) };
}

/** A path `manifest.json` gives, as the archive's entries are keyed. */
function entryPath(raw: string, where: string, fault: LayoutFault): string {
  return archivePath(raw, (problem) => fault(`${where} is ${JSON.stringify(raw)}, which ${problem}`));
}

/**
 * The file at `path`, following links when `links` allows (only layers may be links) as long as
 * they stay inside the archive (checked while reading it).
 */
function resolveMember(
  members: ReadonlyMap<string, ArchiveMember>,
  path: string,
  where: string,
  file: string,
  fault: LayoutFault,
  { links }: { links: boolean },
): Exclude<ArchiveMember, { kind: 'link' }> {
  let current = path;
  for (let hops = 0; hops <= MAX_LINK_HOPS; hops++) {
    const member = members.get(current);
    if (member === undefined) throw fault(`${where} (${path}) ${current === path ? 'is' : `is a link to ${current}, which is`} not a file of the archive`);
    if (member.kind !== 'link') return member;
    if (!links) throw linkError(file, current, member.link, member.linkpath, 'only layers may be links');
    current = member.target;
  }
  throw fault(`${where} (${path}) is a chain of more than ${MAX_LINK_HOPS} links`);
}

async function readConfigBlob(store: ImageStore, member: { digest: Digest; size: number }, where: string, fault: LayoutFault): Promise<Buffer> {
  if (member.size > MAX_CONFIG_BYTES) throw fault(`${where} is ${member.size} bytes, larger than any image config (${MAX_CONFIG_BYTES})`);
  return store.readBlob(member.digest);
}

/** The member's blob in the store: already there when it was streamed, written now when it was kept in memory. */
async function storeMember(store: ImageStore, member: Exclude<ArchiveMember, { kind: 'link' }>, loading: Loading): Promise<{ digest: Digest; size: number }> {
  if (member.kind === 'blob') {
    loading.used.add(member.digest);
    return member;
  }
  const ref = await store.writeBlob(member.bytes, { digest: sha256Digest(member.bytes) });
  record(loading, ref);
  return ref;
}

function record(loading: Loading, ref: { digest: Digest; created?: boolean }): void {
  if (ref.created) loading.created.push(ref.digest);
  loading.used.add(ref.digest);
}

/** A layer's media type from its first bytes: gzip (1f 8b), zstd (28 b5 2f fd), else a plain tar. */
function layerMediaType(bytes: Buffer): string {
  const head = bytes.subarray(0, HEAD_BYTES);
  if (head[0] === 0x1f && head[1] === 0x8b) return MEDIA_TYPE.layerGzip;
  if (head.equals(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))) return LAYER_ZSTD;
  return MEDIA_TYPE.layer;
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}
