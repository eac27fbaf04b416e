/**
 * The registry view (sealer's registryMounter): the `registry/` directories of every platform of
 * a cluster image merged into one registry storage, in the layout a plain `docker-registry`
 * (distribution's filesystem driver) serves: `docker/registry/v2/{blobs,repositories}`.
 *
 * Blobs and repository links are content-addressed, so they merge by union (a blob two platforms
 * share is stored once). Collected as sealer does, a multi-platform image's tag names its original
 * index in every platform's registry, so the union is already a multi-platform registry, except
 * that the index also lists the platforms that were not built, whose manifests are not there.
 * Such a tag is given an index of the platforms present (the original's other fields kept), so no
 * client meets a manifest the registry does not have (`skopeo copy --all`); the original index
 * stays under its digest, for references that name it by digest (they can only be served as is).
 *
 * A tag whose platforms name different manifests (registries collected per platform another way,
 * or copied in by hand: `nginx:1.25` an amd64 manifest in one and an arm64 one in the other) gets
 * an index of every platform's manifest too: sealer copies the directories over each other, so the
 * last platform would win and the other nodes would pull the wrong architecture.
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, link, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { digestHex, type Digest } from '../image/digest.js';
import { errnoCode, RuntimeError } from '../errors.js';
import { platformImages } from '../image/image.js';
import { isIndexMediaType, MEDIA_TYPE, platformKeyOf, type Descriptor, type OciImageConfig, type OciIndex, type OciManifest, type OciPlatform } from '../image/oci.js';
import { unpackLayers } from '../build/rootfs.js';
import type { ImageStore } from '../store/store.js';

/** Where distribution keeps its data below its root directory. */
export const REGISTRY_STORAGE = 'docker/registry/v2';

/** One platform's registry storage: `dir` holds `docker/registry/v2`. */
export interface RegistrySource {
  platform: OciPlatform;
  dir: string;
}

export interface RegistryViewSummary {
  /**
   * Every `repository:tag`, with the platforms its manifest serves (empty when unknown); `merged`
   * when the tag names an index written here (of the manifests present), not one collected.
   */
  tags: { reference: string; platforms: string[]; merged: boolean }[];
  blobs: number;
}

/** Merges the sources' registry storages into `target` (created; what is there already is kept). */
export async function mergeRegistryStorage(sources: readonly RegistrySource[], target: string): Promise<RegistryViewSummary> {
  const out = join(target, REGISTRY_STORAGE);
  await mkdir(out, { recursive: true });
  // repository → tag → the manifest digest of each source that has it.
  const tags = new Map<string, Map<string, { digest: Digest; source: RegistrySource }[]>>();
  for (const source of sources) {
    const root = join(source.dir, REGISTRY_STORAGE);
    await unionFiles(join(root, 'blobs'), join(out, 'blobs'));
    for (const repository of await repositoriesUnder(join(root, 'repositories'))) {
      const from = join(root, 'repositories', repository);
      const to = join(out, 'repositories', repository);
      await unionFiles(join(from, '_layers'), join(to, '_layers'));
      await unionFiles(join(from, '_manifests', 'revisions'), join(to, '_manifests', 'revisions'));
      for (const tag of await readdir(join(from, '_manifests', 'tags')).catch(() => [] as string[])) {
        const digest = await readLink(join(from, '_manifests', 'tags', tag, 'current', 'link'));
        if (!digest) continue;
        const byTag = tags.get(repository) ?? new Map<string, { digest: Digest; source: RegistrySource }[]>();
        tags.set(repository, byTag);
        byTag.set(tag, [...(byTag.get(tag) ?? []), { digest, source }]);
      }
    }
  }
  const summary: RegistryViewSummary = { tags: [], blobs: 0 };
  for (const [repository, byTag] of [...tags].sort(([a], [b]) => a.localeCompare(b))) {
    for (const [tag, found] of [...byTag].sort(([a], [b]) => a.localeCompare(b))) {
      const digests = [...new Set(found.map((f) => f.digest))];
      let digest = digests[0];
      let merged = false;
      if (digests.length > 1 || !(await isComplete(out, digest))) {
        const written = await writeMergedIndex(out, repository, found);
        if (written) [digest, merged] = [written, true];
      }
      await linkManifests(out, repository, digest);
      await writeTag(out, repository, tag, digest);
      summary.tags.push({ reference: `${repository}:${tag}`, platforms: await platformsOf(out, digest), merged });
    }
  }
  summary.blobs = (await filesUnder(join(out, 'blobs'))).length;
  return summary;
}

/** The registry view of a stored image: each platform's `registry/` unpacked, then merged into `target`. */
export async function writeRegistryView(store: ImageStore, descriptor: Descriptor, target: string, signal?: AbortSignal): Promise<RegistryViewSummary> {
  const work = store.tempPath('.registry');
  try {
    const sources: RegistrySource[] = [];
    for (const [i, image] of (await platformImages(store, descriptor)).entries()) {
      const dir = join(work, String(i));
      await unpackLayers(store, image.manifest.layers, dir, signal, 'registry');
      sources.push({ platform: image.platform, dir: join(dir, 'registry') });
    }
    return await mergeRegistryStorage(sources, target);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Whether the storage has every manifest `digest` names: true for a manifest, and for an index whose entries are all there. */
async function isComplete(out: string, digest: Digest): Promise<boolean> {
  const manifest = await readBlobJson<OciManifest & OciIndex>(out, digest).catch(() => undefined);
  if (!manifest || !isIndex(manifest)) return true;
  for (const entry of manifest.manifests ?? []) if (!(await hasBlob(out, entry.digest))) return false;
  return true;
}

async function hasBlob(out: string, digest: Digest): Promise<boolean> {
  return stat(blobPath(out, digest)).then(() => true, () => false);
}

/**
 * The revision links a tag's manifest needs to be served from `repository`: its own, and its
 * entries' when it is an index (a storage copied in by hand may lack them; distribution serves a
 * manifest by digest only from a repository that links it).
 */
async function linkManifests(out: string, repository: string, digest: Digest): Promise<void> {
  const revision = (of: Digest): string => join(out, 'repositories', repository, '_manifests', 'revisions', 'sha256', digestHex(of), 'link');
  const manifest = await readBlobJson<OciManifest & OciIndex>(out, digest).catch(() => undefined);
  const entries = manifest && isIndex(manifest) ? (manifest.manifests ?? []).map((entry) => entry.digest) : [];
  for (const of of [digest, ...entries]) {
    if (!(await hasBlob(out, of))) continue;
    if (!(await stat(revision(of)).then(() => true, () => false))) await writeLink(revision(of), of);
  }
}

function isIndex(manifest: OciManifest & OciIndex): boolean {
  return isIndexMediaType(manifest.mediaType) || Array.isArray(manifest.manifests);
}

/**
 * One index for a tag, of the manifests present: the entries of the platforms' indexes whose
 * manifests the storage has, and each platform's manifest (its platform read from its config, else
 * the platform it was collected for). When every platform names the same index, the new one keeps
 * its other fields (media type, annotations); else it is Docker's manifest list when every entry
 * is a Docker manifest, OCI's index otherwise. Undefined when none of the manifests is there.
 */
async function writeMergedIndex(out: string, repository: string, found: readonly { digest: Digest; source: RegistrySource }[]): Promise<Digest | undefined> {
  const entries: Descriptor[] = [];
  const seen = new Set<string>();
  const single = new Set(found.map((f) => f.digest)).size === 1;
  let only: (OciManifest & OciIndex) | undefined;
  for (const { digest, source } of found) {
    const manifest = await readBlobJson<OciManifest & OciIndex>(out, digest);
    if (single && isIndex(manifest)) only = manifest;
    const listed: Descriptor[] = isIndex(manifest) ? (manifest.manifests ?? []) : [await manifestEntry(out, digest, manifest, source.platform)];
    for (const entry of listed) {
      if (seen.has(entry.digest) || !(await hasBlob(out, entry.digest))) continue;
      seen.add(entry.digest);
      entries.push(entry);
    }
  }
  // An index none of whose manifests is there (a registry copied in by hand): nothing better to serve.
  if (entries.length === 0) return undefined;
  const clashes = entries.map((e) => (e.platform ? platformKeyOf(e.platform) : undefined)).filter((key, i, all) => key !== undefined && all.indexOf(key) !== i);
  if (clashes.length > 0) {
    throw new RuntimeError('INVALID_IMAGE', `${repository} names different manifests for the same platform (${[...new Set(clashes)].join(', ')}) in the platforms' registries`);
  }
  const docker = entries.every((e) => e.mediaType === MEDIA_TYPE.dockerManifest);
  const index = only ? { ...only, manifests: entries } : { schemaVersion: 2, mediaType: docker ? MEDIA_TYPE.dockerManifestList : MEDIA_TYPE.index, manifests: entries };
  const bytes = Buffer.from(JSON.stringify(index));
  const digest: Digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  const blob = blobPath(out, digest);
  await mkdir(dirname(blob), { recursive: true });
  await writeFile(blob, bytes);
  return digest;
}

async function manifestEntry(out: string, digest: Digest, manifest: OciManifest, collectedFor: OciPlatform): Promise<Descriptor> {
  const config = manifest.config?.digest ? await readBlobJson<OciImageConfig>(out, manifest.config.digest).catch(() => undefined) : undefined;
  const platform: OciPlatform = config?.architecture && config.os ? { architecture: config.architecture, os: config.os, ...(config.variant ? { variant: config.variant } : {}) } : collectedFor;
  const size = (await stat(blobPath(out, digest))).size;
  return { mediaType: manifest.mediaType ?? MEDIA_TYPE.manifest, digest, size, platform };
}

/** The platforms a tag serves: an index's entries', or a manifest's config's. */
async function platformsOf(out: string, digest: Digest): Promise<string[]> {
  const manifest = await readBlobJson<OciManifest & OciIndex>(out, digest).catch(() => undefined);
  if (!manifest) return [];
  if (Array.isArray(manifest.manifests)) return manifest.manifests.flatMap((e) => (e.platform ? [platformKeyOf(e.platform)] : []));
  const config = manifest.config?.digest ? await readBlobJson<OciImageConfig>(out, manifest.config.digest).catch(() => undefined) : undefined;
  return config?.architecture ? [platformKeyOf({ architecture: config.architecture, os: config.os, ...(config.variant ? { variant: config.variant } : {}) })] : [];
}

async function writeTag(out: string, repository: string, tag: string, digest: Digest): Promise<void> {
  const dir = join(out, 'repositories', repository, '_manifests', 'tags', tag);
  await writeLink(join(dir, 'current', 'link'), digest);
  await writeLink(join(dir, 'index', 'sha256', digest.slice(7), 'link'), digest);
}

function blobPath(out: string, digest: Digest): string {
  const hex = digest.slice('sha256:'.length);
  return join(out, 'blobs', 'sha256', hex.slice(0, 2), hex, 'data');
}

async function readBlobJson<T>(out: string, digest: Digest): Promise<T> {
  return JSON.parse(await readFile(blobPath(out, digest), 'utf8')) as T;
}

async function readLink(path: string): Promise<Digest | undefined> {
  const text = (await readFile(path, 'utf8').catch(() => '')).trim();
  return /^sha256:[0-9a-f]{64}$/.test(text) ? (text as Digest) : undefined;
}

async function writeLink(path: string, digest: Digest): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, digest);
}

/** Repository names below `dir`: the directories (at any depth, names hold `/`) that have `_manifests`. */
async function repositoriesUnder(dir: string, prefix = ''): Promise<string[]> {
  const names = await readdir(join(dir, prefix), { withFileTypes: true }).catch(() => []);
  const found: string[] = [];
  if (names.some((entry) => entry.name === '_manifests' && entry.isDirectory())) found.push(prefix);
  for (const entry of names) {
    if (entry.isDirectory() && !entry.name.startsWith('_')) found.push(...(await repositoriesUnder(dir, prefix === '' ? entry.name : `${prefix}/${entry.name}`)));
  }
  return found;
}

async function filesUnder(dir: string, prefix = ''): Promise<string[]> {
  const entries = await readdir(join(dir, prefix), { withFileTypes: true }).catch(() => []);
  const files: string[] = [];
  for (const entry of entries) {
    const path = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) files.push(...(await filesUnder(dir, path)));
    else if (entry.isFile()) files.push(path);
  }
  return files;
}

/** Copies every file under `from` to the same place under `to`, unless one is there (content-addressed). */
async function unionFiles(from: string, to: string): Promise<void> {
  for (const path of await filesUnder(from)) {
    const target = join(to, path);
    await mkdir(dirname(target), { recursive: true });
    // A hard link where both are on one file system: image archives in a registry are large.
    await link(join(from, path), target).catch(async (error: unknown) => {
      if (errnoCode(error) === 'EEXIST') return;
      await copyFile(join(from, path), target, constants.COPYFILE_EXCL).catch((copyError: unknown) => {
        if (errnoCode(copyError) !== 'EEXIST') throw copyError;
      });
    });
  }
}
