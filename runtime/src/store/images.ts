/**
 * What `kubefilec images`, `tag` and `delete` do, as functions over an `ImageStore`. Names are
 * changed in `index.json` only; blobs no name reaches any more stay until `prune`.
 */
import type { Digest } from '../image/digest.js';
import { RuntimeError } from '../errors.js';
import { platformImages, platformKey, type PlatformImage } from '../image/image.js';
import { normalizeImageName } from '../image/names.js';
import { ANNOTATION, isIndexMediaType, isManifestMediaType, MEDIA_TYPE, type Descriptor, type OciIndex, type OciManifest } from '../image/oci.js';
import type { ImageStore, StoredImage } from './store.js';
import { clusterImage } from '../sealer/cluster-spec.js';

export interface ImageSummary {
  /** `registry/repo:tag`, as stored. */
  name: string;
  repository: string;
  tag: string;
  /** Keys such as `linux/arm64/v8`, in index order. */
  platforms: string[];
  /** sealer's image type (kube-installer, app-installer) from its first platform's metadata; absent for other images. */
  type?: string;
  /** Bytes of every distinct blob of the image (indexes, manifests, configs, layers). */
  size: number;
  /** When the name was set (ISO 8601), if recorded. */
  created?: string;
  /** The digest the name points at (an image index, or a lone manifest). */
  digest: Digest;
  /** Why the image cannot be read, when it is broken. */
  error?: string;
  /** Each platform's manifest, in index order (none for a broken image). */
  manifests: PlatformSummary[];
}

/** One platform of an image, as `images --format json` shows it. */
export interface PlatformSummary {
  /** `linux/arm64/v8`. */
  platform: string;
  /** The platform's manifest. */
  digest: Digest;
  /** Bytes of its config and layers. */
  size: number;
  /** The config's creation time. */
  created?: string;
  /** Bottom first, each with the instruction that made it (the config history's `created_by`, empty-layer entries skipped). */
  layers: { digest: Digest; size: number; instruction?: string }[];
  /** What sealer reads of it (kubefilec's cluster spec, or sealer's annotations); absent for other images. */
  sealer?: {
    type?: string;
    cmds: string[];
    /** Application names. */
    apps: string[];
    launch?: { apps?: string[]; cmds?: string[] };
    /** How many container images its `registry/` carries. */
    images: number;
  };
}

/** `name:tag` split at the tag's colon (a registry port's colon comes before the last slash). */
export function splitImageName(name: string): { repository: string; tag: string } {
  const colon = name.lastIndexOf(':');
  return colon > name.lastIndexOf('/') ? { repository: name.slice(0, colon), tag: name.slice(colon + 1) } : { repository: name, tag: 'latest' };
}

export async function listImageSummaries(store: ImageStore): Promise<ImageSummary[]> {
  const summaries: ImageSummary[] = [];
  for (const image of await store.listImages()) summaries.push(await summarize(store, image));
  return summaries;
}

/** One image's line; a broken image (a blob gone missing) is still listed, with `error` saying why, so it can be found and deleted. */
export async function summarize(store: ImageStore, image: StoredImage): Promise<ImageSummary> {
  let platforms: string[] = [];
  let type: string | undefined;
  let error: string | undefined;
  let manifests: PlatformSummary[] = [];
  try {
    const images = await platformImages(store, image.descriptor);
    platforms = images.map((p) => p.key);
    type = images[0] ? sealerType(images[0], image.name) : undefined;
    manifests = images.map((platformImage) => platformSummary(platformImage, image.name));
  } catch (caught) {
    if (!(caught instanceof RuntimeError)) throw caught;
    error = caught.message;
  }
  const blobs = new Map<Digest, number>();
  await collectBlobs(store, image.descriptor, blobs, true);
  return {
    name: image.name,
    ...splitImageName(image.name),
    platforms,
    ...(type !== undefined ? { type } : {}),
    size: sumSizes(blobs),
    ...(image.created !== undefined ? { created: image.created } : {}),
    digest: image.descriptor.digest,
    ...(error !== undefined ? { error } : {}),
    manifests,
  };
}

/** A platform's manifest, layers and sealer view, from what `platformImages` read (nothing is read again). */
function platformSummary(image: PlatformImage, name: string): PlatformSummary {
  const { manifest, config } = image;
  // The history has an entry per instruction; those that made no layer are skipped, leaving one per layer.
  const instructions = (config.history ?? []).filter((entry) => entry.empty_layer !== true).map((entry) => entry.created_by);
  const layers = manifest.layers.map((layer, i) => {
    const instruction = instructions[i];
    return { digest: layer.digest, size: layer.size, ...(instruction !== undefined ? { instruction } : {}) };
  });
  const size = manifest.config.size + manifest.layers.reduce((sum, layer) => sum + layer.size, 0);
  const sealer = sealerSummary(image, name);
  return { platform: image.key, digest: image.descriptor.digest, size, ...(config.created !== undefined ? { created: config.created } : {}), layers, ...(sealer ? { sealer } : {}) };
}

/** What sealer reads of a platform image; none for an image neither kubefilec nor sealer made, or whose annotation is unreadable. */
function sealerSummary(image: PlatformImage, name: string): PlatformSummary['sealer'] {
  try {
    const view = clusterImage(image, name);
    if (view.madeBy === 'other') return undefined;
    const { spec } = view;
    return {
      ...(spec.type !== undefined ? { type: spec.type } : {}),
      cmds: spec.cmds,
      apps: (spec.apps ?? []).map((app) => app.name),
      ...(spec.launch ? { launch: spec.launch } : {}),
      images: spec.images?.length ?? 0,
    };
  } catch {
    return undefined;
  }
}

/** The image type its sealer metadata gives; an unreadable annotation leaves the image usable, without a type. */
function sealerType(image: PlatformImage, name: string): string | undefined {
  try {
    return clusterImage(image, name).spec.type;
  } catch {
    return undefined;
  }
}

export function sumSizes(blobs: ReadonlyMap<Digest, number>): number {
  let total = 0;
  for (const size of blobs.values()) total += size;
  return total;
}

/**
 * Adds `descriptor` and every blob under it (nested indexes, manifests, configs, layers) to
 * `into`, digest → size. A blob named twice is recorded once, so shared layers count once.
 * With `tolerant`, a missing or unreadable index/manifest is recorded but not descended into
 * (prune must still be able to run when one image is broken); otherwise that is an error.
 */
export async function collectBlobs(store: ImageStore, descriptor: Descriptor, into: Map<Digest, number>, tolerant = false): Promise<void> {
  if (into.has(descriptor.digest)) return;
  into.set(descriptor.digest, descriptor.size);
  // Only indexes and manifests point further; a descriptor without a media type may be either.
  if (descriptor.mediaType !== undefined && !isIndexMediaType(descriptor.mediaType) && !isManifestMediaType(descriptor.mediaType)) return;
  let document: Partial<OciIndex & OciManifest>;
  try {
    document = await store.readJson<Partial<OciIndex & OciManifest>>(descriptor.digest);
  } catch (error) {
    if (tolerant) return;
    throw error;
  }
  if (document === null || typeof document !== 'object') return;
  if (Array.isArray(document.manifests)) {
    for (const entry of document.manifests) if (isDescriptorLike(entry)) await collectBlobs(store, entry, into, tolerant);
  }
  if (isDescriptorLike(document.config)) into.set(document.config.digest, document.config.size);
  if (Array.isArray(document.layers)) {
    for (const layer of document.layers) if (isDescriptorLike(layer)) into.set(layer.digest, layer.size);
  }
}

function isDescriptorLike(value: unknown): value is Descriptor {
  if (value === null || typeof value !== 'object') return false;
  const { digest, size } = value as { digest?: unknown; size?: unknown };
  return typeof digest === 'string' && /^sha256:[a-f0-9]{64}$/.test(digest) && typeof size === 'number';
}

/** The distinct blobs of one platform's image: its manifest, config and layers. */
export function platformBlobs(image: PlatformImage): Map<Digest, number> {
  const blobs = new Map<Digest, number>([[image.descriptor.digest, image.descriptor.size]]);
  blobs.set(image.manifest.config.digest, image.manifest.config.size);
  for (const layer of image.manifest.layers) blobs.set(layer.digest, layer.size);
  return blobs;
}

/**
 * Gives the image `src` a second name `dst` (replacing whatever `dst` named). Keeps `src`'s creation
 * time. `src` may be a digest (`sha256:<hex>`, `@sha256:<hex>`) of an image in `index.json`, named
 * or not (`kubefilec load` stores an archive's unnamed image so): once named, its unnamed entry goes.
 */
export async function tagImage(store: ImageStore, src: string, dst: string): Promise<StoredImage> {
  const target = normalizeImageName(dst);
  const digest = /^@?(sha256:[a-f0-9]{64})$/.exec(src)?.[1] as Digest | undefined;
  if (digest === undefined) {
    const source = await store.getImage(src);
    return store.setImage(target, source.descriptor, source.created);
  }
  const entry = (await store.readIndex()).manifests.find((item) => item.digest === digest);
  if (!entry) throw new RuntimeError('IMAGE_NOT_FOUND', `no image with digest ${digest} is in the store ${store.root} (see kubefilec images)`);
  const { [ANNOTATION.refName]: _name, [ANNOTATION.created]: created, ...annotations } = entry.annotations ?? {};
  const tagged = await store.setImage(target, { ...entry, annotations }, created);
  await store.updateIndex((index) => {
    index.manifests = index.manifests.filter((item) => item.digest !== digest || item.annotations?.[ANNOTATION.refName] !== undefined);
  });
  return tagged;
}

export interface DeleteOptions {
  /** Remove only these platforms (any `--platform` spelling); the name stays while a platform is left. */
  platforms?: string[];
}

export interface DeleteResult {
  name: string;
  /** Platform keys removed; every platform when the whole name went. */
  removedPlatforms: string[];
  /** True when the name itself is gone (no platform given, or none left). */
  untagged: boolean;
  /** What the name now points at, when it stays. */
  image?: StoredImage;
}

/**
 * Removes an image name, or some of its platforms: the name then points at a new index without
 * them. Removing the last platform removes the name. Blobs stay until `prune`.
 */
export async function deleteImage(store: ImageStore, name: string, options: DeleteOptions = {}): Promise<DeleteResult> {
  const image = await store.getImage(name);
  if (!options.platforms || options.platforms.length === 0) {
    // A broken image (a blob gone missing) must still be deletable by name.
    const all = await platformImages(store, image.descriptor).then((images) => images.map((p) => p.key), () => []);
    if (!(await store.removeImage(image.name))) throw new RuntimeError('IMAGE_NOT_FOUND', `image ${image.name} is not in the store ${store.root}`);
    return { name: image.name, removedPlatforms: all, untagged: true };
  }
  const images = await platformImages(store, image.descriptor);
  const all = images.map((p) => p.key);
  const remove = new Set<string>();
  for (const platform of options.platforms) {
    const key = platformKey(platform);
    if (!all.includes(key)) throw new RuntimeError('PLATFORM_NOT_FOUND', `image ${image.name} has no ${key} variant (it has: ${all.join(', ') || 'none'})`);
    remove.add(key);
  }
  const kept = images.filter((p) => !remove.has(p.key));
  if (kept.length === 0) {
    await store.removeImage(image.name);
    return { name: image.name, removedPlatforms: all, untagged: true };
  }
  const stored = await replacePlatforms(store, image, kept);
  return { name: image.name, removedPlatforms: [...remove], untagged: false, image: stored };
}

/**
 * Points `image`'s name at a new index of `platforms` (manifests already in the store), keeping the
 * old index's annotations and creation time. Holds a lease meanwhile, so a concurrent `prune` does
 * not remove the new index blob before the name reaches it.
 */
export async function replacePlatforms(store: ImageStore, image: StoredImage, platforms: PlatformImage[]): Promise<StoredImage> {
  const old = isIndexMediaType(image.descriptor.mediaType) ? await store.readJson<OciIndex>(image.descriptor.digest) : undefined;
  return storeIndex(store, image.name, platforms.map((p) => p.descriptor), old?.annotations, image.created);
}

/** Writes an image index over `manifests` and names it `name`, under a lease (see `replacePlatforms`). */
export async function storeIndex(store: ImageStore, name: string, manifests: Descriptor[], annotations?: Record<string, string>, created?: string): Promise<StoredImage> {
  const index: OciIndex = { schemaVersion: 2, mediaType: MEDIA_TYPE.index, manifests, ...(annotations && Object.keys(annotations).length > 0 ? { annotations } : {}) };
  const release = await store.lease();
  try {
    const descriptor = await store.putJson(index, MEDIA_TYPE.index);
    return await store.setImage(name, descriptor, created);
  } finally {
    await release();
  }
}
