/**
 * Container image collection: after a platform's instructions have run, every image its manifests,
 * charts, applications and image lists name (and every image archive in `images/`) is resolved to
 * that platform and stored in the cluster image's `registry/`, in the layout a plain
 * docker-registry serves (`registry/docker/registry/v2/...`), as one extra layer.
 *
 * The layout is what sealer's save (a distribution pull-through proxy over that storage) leaves:
 * a tag names what the registry names, so for a multi-platform image the original index, whose
 * bytes are kept (with its revision link), while of the manifests it lists only this platform's is
 * stored, with its config and layers. A digest reference keeps the index it names the same way,
 * untagged. So the `registry/` of several platforms copied together (as sealer does for a cluster
 * of mixed architectures) is a correct multi-platform registry; the registry view does that merge.
 *
 * Blobs are downloaded into the store first (content addressed: one download for a blob that two
 * images or platforms share; resumable; checked against the digest), and the layer is written from
 * there, so a blob sits once in each layer however many images use it.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Limiter, mapLimited } from '../concurrency.js';
import { EntryTree, type LayerEntry } from '../build/copy.js';
import type { CollectSources, ImagePlace, WantedImage } from './collect-sources.js';
import { digestHex, type Digest } from '../image/digest.js';
import { RuntimeError, throwIfAborted, type RuntimeErrorCode } from '../errors.js';
import { platformImages, platformKey, type PlatformImage } from '../image/image.js';
import { readImageArchive } from '../archive/archive.js';
import { isIndexMediaType, isManifestMediaType, platformKeyOf, type Descriptor, type OciImageConfig, type OciIndex, type OciManifest } from '../image/oci.js';
import { clientFor, uniqueBlobs } from '../registry/pull.js';
import { normalizedImageName } from './image-references.js';
import { REGISTRY_STORAGE } from './registry-view.js';
import type { FetchedManifest, RegistryClient } from '../registry/registry-client.js';
import { formatRemoteReference, parseRemoteReference, type RemoteReference } from '../registry/remote-reference.js';
import type { ImageStore } from '../store/store.js';

export interface ImageCollectorOptions {
  /** From the store when it has the image (default), always from the registry, or never from it. */
  pull?: 'always' | 'missing' | 'never';
  tlsVerify?: boolean;
  /** A platform an image does not have is a warning and the image is left out, instead of an error. */
  skipMissingPlatform?: boolean;
  /** References not to collect (`--ignore-image-list`), in any spelling of the same image. */
  ignore?: readonly string[];
  /** Blob downloads at once (default 8). */
  parallel?: number;
  signal?: AbortSignal;
}

export interface CollectHooks {
  onOutput?: (line: string) => void;
  onWarning?: (message: string) => void;
  onBytes?: (bytes: number) => void;
}

/** One image as a platform's registry holds it. */
export interface CollectedImage {
  /** As the manifests name it. */
  reference: string;
  /** As sealer records it, `reference.ParseNormalizedNamed(reference).String()`: `docker.io/library/nginx:1.25` (no `:latest` added). */
  name: string;
  /** The application (`application/apps/<name>/`) whose files name it. */
  appName?: string;
  /** In the cluster's registry: the name without its registry, tag or digest (`library/nginx`). */
  repository: string;
  /** Its tag in the cluster's registry: the reference's, `latest` when it has neither tag nor digest. */
  tag?: string;
  /** The platform's manifest. */
  digest: Digest;
  /** The index the reference names (by tag or by digest), when it names one: kept whole, and the tag links to it. */
  index?: Digest;
  from: 'registry' | 'store' | 'archive';
  sources: string[];
}

/** A platform's images, with their blobs still downloading: `downloads` settle one by one, `finished` when all have. */
export interface CollectedImages {
  images: CollectedImage[];
  manifests: Descriptor[];
  blobs: Descriptor[];
  downloads: ReadonlyMap<Digest, Promise<void>>;
  finished: Promise<void>;
}

/** What one image needs in the registry: its manifests' bytes (kept in the store) and its blobs. */
interface ResolvedImage {
  image: CollectedImage;
  manifests: Descriptor[];
  blobs: Descriptor[];
  /** The first place that names it, for errors about its blobs. */
  place?: ImagePlace;
}

class MissingPlatform extends RuntimeError {
  constructor(message: string) {
    super('PLATFORM_NOT_FOUND', message);
  }
}

/**
 * An image that could not be collected, with the first place that names it kept apart from the
 * reason, so a build can point at the user's file the place came from. The message is the
 * place as text, the reason and the hint (`manifests/app.yaml:12: cannot reach ...; to build without it, ...`).
 */
export class ImageCollectionError extends RuntimeError {
  constructor(
    code: RuntimeErrorCode,
    /** Why, without the place or the hint. */
    readonly reason: string,
    readonly place: ImagePlace | undefined,
    /** The image as sealer names it (`docker.io/library/nginx:1.25`); absent for an image archive's failure. */
    readonly reference?: string,
    /** What to do about it, naming the CLI options (`--ignore-image-list`), when there is something to do. */
    readonly hint?: string,
  ) {
    super(code, `${place ? `${placeText(place)}: ` : ''}${reason}${hint ? `; ${hint}` : ''}`);
  }
}

/** `manifests/app.yaml:12`, `list.txt:3`, `images/app.tar`. */
export function placeText(place: ImagePlace): string {
  return place.line === undefined ? place.path : `${place.path}:${place.line}`;
}

/**
 * Resolves and fetches images for the platforms of one build. Manifests asked of a registry are
 * remembered, so each platform reads an image's index once between them.
 */
export class ImageCollector {
  private readonly clients = new Map<string, Promise<RegistryClient>>();
  private readonly manifests = new Map<string, Promise<FetchedManifest>>();
  private readonly ignored: Set<string>;
  private readonly downloads = new Map<Digest, Promise<void>>();
  private readonly limiter: Limiter;

  constructor(
    private readonly store: ImageStore,
    private readonly options: ImageCollectorOptions = {},
  ) {
    this.ignored = new Set((options.ignore ?? []).map(canonical));
    this.limiter = new Limiter(options.parallel ?? 8);
  }

  /** `sources` without the images `--ignore-image-list` names. */
  wanted(sources: CollectSources): CollectSources {
    return { ...sources, images: sources.images.filter((image) => !this.ignored.has(canonical(image.reference))) };
  }

  /** The images of `sources` for `platform` (less the ignored ones), fetched into the store. */
  async collect(platform: string, sources: CollectSources, hooks: CollectHooks = {}): Promise<CollectedImages> {
    const key = platformKey(platform);
    const wanted = this.wanted(sources).images;
    const resolved: ResolvedImage[] = [];
    for (const archive of sources.archives) resolved.push(...(await this.fromArchive(archive, key, hooks)));
    const fromNames = await mapLimited(wanted, 8, (image) =>
      this.resolve(image, key).catch((error: unknown) => {
        if (!(error instanceof MissingPlatform)) throw located(error, image);
        if (!this.options.skipMissingPlatform) throw new ImageCollectionError(error.code, error.message, image.places[0], normalizedImageName(image.reference), 'leave it out with --skip-missing-platform, or list it in --ignore-image-list');
        hooks.onWarning?.(`${image.sources[0]}: ${error.message}; left out (--skip-missing-platform)`);
        return undefined;
      }),
    );
    for (const item of fromNames) if (item) resolved.push(item);
    checkClashes(resolved.map((r) => r.image));

    const blobs = uniqueBlobs(resolved.flatMap((r) => r.blobs));
    // Each blob from the first registry image that has it: a blob two images share is fetched once.
    const sourceOf = new Map<Digest, ResolvedImage>();
    for (const r of resolved) if (r.image.from === 'registry') for (const blob of r.blobs) if (!sourceOf.has(blob.digest)) sourceOf.set(blob.digest, r);
    // In the order the layer is written (by digest), so it can take each blob as it lands.
    const downloads = new Map<Digest, Promise<void>>();
    for (const blob of [...blobs].sort((a, b) => a.digest.localeCompare(b.digest))) {
      const image = sourceOf.get(blob.digest);
      if (image) downloads.set(blob.digest, this.download(image, blob, hooks));
    }
    for (const { image, blobs: own } of resolved) {
      const bytes = own.reduce((sum, blob) => sum + blob.size, 0);
      hooks.onOutput?.(`${image.reference} ${image.digest} (${own.length} blobs, ${bytes} bytes, from ${image.from === 'archive' ? image.sources[0] : image.from})`);
    }
    const finished = Promise.all(downloads.values()).then(() => undefined);
    finished.catch(() => undefined);
    return { images: resolved.map((r) => r.image), manifests: uniqueBlobs(resolved.flatMap((r) => r.manifests)), blobs, downloads, finished };
  }

  /** One download per blob for the whole build, whichever platforms need it; a few at a time. */
  private download({ image, place }: ResolvedImage, blob: Descriptor, hooks: CollectHooks): Promise<void> {
    let started = this.downloads.get(blob.digest);
    if (!started) {
      const ref = parseRemoteReference(image.reference);
      started = this.limiter.run(async () => {
        await (await this.client(ref)).downloadBlob(this.store, ref.repository, blob, hooks.onBytes);
      }).catch((error: unknown) => {
        throw place ? located(error, { reference: image.reference, places: [place] }) : error;
      });
      // Awaited through the layer's entries; a failure the layer never reaches is not unhandled.
      started.catch(() => undefined);
      this.downloads.set(blob.digest, started);
    }
    return started;
  }

  private async resolve(wanted: WantedImage, key: string): Promise<ResolvedImage> {
    const ref = parseRemoteReference(wanted.reference);
    const policy = this.options.pull ?? 'missing';
    if (policy !== 'always' && !ref.digest) {
      const stored = await this.fromStore(wanted, key);
      if (stored) return stored;
    }
    if (policy === 'never') {
      throw new RuntimeError('IMAGE_NOT_FOUND', `container image ${wanted.reference} (${key}) is not in the store, and --pull never forbids pulling it`);
    }
    const top = await this.manifest(ref, ref.reference);
    const shown = wanted.reference;
    const image = collectedImage(wanted.reference, top.digest, 'registry', wanted.sources, wanted.appName);
    const manifests: Descriptor[] = [];
    let platformManifest = top;
    if (isIndexMediaType(top.mediaType)) {
      const index = JSON.parse(top.bytes.toString('utf8')) as OciIndex;
      const entries = (index.manifests ?? []).filter((entry) => isManifestMediaType(entry.mediaType) && entry.platform && entry.platform.os !== 'unknown');
      const entry = entries.find((e) => e.platform && platformKeyOf(e.platform) === key);
      if (!entry) throw new MissingPlatform(`no manifest for ${key} in ${shown} (it has: ${entries.map((e) => (e.platform ? platformKeyOf(e.platform) : '?')).join(', ') || 'none'})`);
      platformManifest = await this.manifest(ref, entry.digest);
      image.digest = platformManifest.digest;
      // As sealer's proxy stores it: the index as the registry serves it, whichever way it is named.
      image.index = top.digest;
      manifests.push(await this.keep(top));
    } else if (!isManifestMediaType(top.mediaType)) {
      throw new RuntimeError('INVALID_IMAGE', `${shown} is a ${top.mediaType}, not an image`);
    }
    manifests.push(await this.keep(platformManifest));
    const manifest = JSON.parse(platformManifest.bytes.toString('utf8')) as OciManifest;
    if (!isIndexMediaType(top.mediaType)) {
      // A single-platform image: its config says which platform it is.
      const client = await this.client(ref);
      await client.downloadBlob(this.store, ref.repository, manifest.config);
      const config = await this.store.readJson<OciImageConfig>(manifest.config.digest);
      const its = configPlatform(config);
      if (its !== key) throw new MissingPlatform(`no manifest for ${key} in ${shown} (it is ${its} only)`);
    }
    return { image, manifests, blobs: [manifest.config, ...(manifest.layers ?? [])], ...(wanted.places[0] ? { place: wanted.places[0] } : {}) };
  }

  /** The image from the store, when it has it under that name and for that platform. */
  private async fromStore(wanted: WantedImage, key: string): Promise<ResolvedImage | undefined> {
    const stored = await this.store.findImage(wanted.reference).catch(() => undefined);
    if (!stored) return undefined;
    const found = (await platformImages(this.store, stored.descriptor)).find((image) => image.key === key);
    if (!found) return undefined;
    const image = collectedImage(wanted.reference, found.descriptor.digest, 'store', wanted.sources, wanted.appName);
    return withIndex({ image, manifests: [manifestDescriptor(found)], blobs: [found.manifest.config, ...found.manifest.layers] }, stored.descriptor);
  }

  /** Every image of an archive in `images/`, for the platform. */
  private async fromArchive(archive: { path: string; file: string }, key: string, hooks: CollectHooks): Promise<ResolvedImage[]> {
    throwIfAborted(this.options.signal);
    const place: ImagePlace = { in: 'image', path: archive.path };
    const loaded = await readImageArchive(this.store, archive.file, this.options.signal ? { signal: this.options.signal } : {}).catch((error: unknown) => {
      throw error instanceof RuntimeError && error.code !== 'INTERRUPTED' ? new ImageCollectionError(error.code, error.message.replace(`${archive.file}: `, '').replace(archive.file, archive.path), place) : error;
    });
    const resolved: ResolvedImage[] = [];
    for (const { names, descriptor } of loaded) {
      const images = await platformImages(this.store, descriptor);
      const found = images.find((image) => image.key === key);
      const shown = names[0] ?? descriptor.digest;
      if (!found) {
        const message = `no manifest for ${key} in ${shown} (it has: ${images.map((image) => image.key).join(', ') || 'none'})`;
        if (!this.options.skipMissingPlatform) throw new ImageCollectionError('PLATFORM_NOT_FOUND', message, place, undefined, 'leave it out with --skip-missing-platform');
        hooks.onWarning?.(`${archive.path}: ${message}; left out (--skip-missing-platform)`);
        continue;
      }
      for (const name of names) {
        if (this.ignored.has(canonical(name))) continue;
        const image = collectedImage(name, found.descriptor.digest, 'archive', [archive.path]);
        resolved.push(withIndex({ image, manifests: [manifestDescriptor(found)], blobs: [found.manifest.config, ...found.manifest.layers] }, descriptor));
      }
    }
    return resolved;
  }

  private client(ref: RemoteReference): Promise<RegistryClient> {
    let client = this.clients.get(ref.registry);
    if (!client) {
      client = clientFor(ref, {
        ...(this.options.tlsVerify === false ? { tlsVerify: false } : {}),
        ...(this.options.signal ? { signal: this.options.signal } : {}),
      });
      this.clients.set(ref.registry, client);
    }
    return client;
  }

  private manifest(ref: RemoteReference, reference: string): Promise<FetchedManifest> {
    const key = `${ref.registry}/${ref.repository}@${reference}`;
    let fetched = this.manifests.get(key);
    if (!fetched) {
      fetched = this.client(ref).then((client) => client.getManifest(ref.repository, reference));
      this.manifests.set(key, fetched);
      // A failure is not remembered: another platform may ask again (and report it itself).
      fetched.catch(() => this.manifests.delete(key));
    }
    return fetched;
  }

  /** Keeps a fetched manifest in the store, where the layer is written from. */
  private async keep(manifest: FetchedManifest): Promise<Descriptor> {
    await this.store.writeBlob(manifest.bytes, { digest: manifest.digest });
    return { mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.bytes.length };
  }
}

/**
 * The layer entries of a platform's registry storage: every blob and manifest once, and each
 * repository's links, as distribution's filesystem driver lays them out and sealer's save leaves
 * them (below `registry/docker/registry/v2/`):
 *
 * - `blobs/sha256/<2>/<hex>/data`: the platform's manifests, configs and layers, and the indexes
 *   the references name (the index as the registry serves it, other platforms' entries included);
 * - `repositories/<repository>/_layers/sha256/<hex>/link`: each config and layer;
 * - `repositories/<repository>/_manifests/revisions/sha256/<hex>/link`: the manifest, and the index;
 * - `repositories/<repository>/_manifests/tags/<tag>/current/link` and
 *   `.../tags/<tag>/index/sha256/<hex>/link`: the index when the reference names one, else the manifest.
 *
 * A link file holds the digest. Link files are written into `linkDir`, one per digest.
 */
export async function registryLayerEntries(store: ImageStore, collected: CollectedImages, linkDir: string): Promise<LayerEntry[]> {
  const tree = new EntryTree();
  const root = `registry/${REGISTRY_STORAGE}`;
  const file = (path: string, source: string, size: number, digest?: Digest): void => {
    const ready = digest ? collected.downloads.get(digest) : undefined;
    tree.add({ path: `${root}/${path}`, type: 'file', mode: 0o644, mtimeMs: 0, size, source, ...(digest ? { digest } : {}), ...(ready ? { ready } : {}) });
  };
  for (const blob of uniqueBlobs([...collected.blobs, ...collected.manifests])) {
    const hex = digestHex(blob.digest);
    file(`blobs/sha256/${hex.slice(0, 2)}/${hex}/data`, store.blobPath(blob.digest), blob.size, blob.digest);
  }
  await mkdir(linkDir, { recursive: true });
  const written = new Set<Digest>();
  const link = async (path: string, digest: Digest): Promise<void> => {
    const source = join(linkDir, digestHex(digest));
    if (!written.has(digest)) {
      await writeFile(source, digest);
      written.add(digest);
    }
    file(path, source, digest.length);
  };
  const byDigest = new Map([...collected.blobs, ...collected.manifests].map((d) => [d.digest, d]));
  for (const image of collected.images) {
    const repo = `repositories/${image.repository}`;
    const manifest = await store.readJson<OciManifest>(image.digest);
    for (const blob of [manifest.config, ...(manifest.layers ?? [])]) {
      if (!byDigest.has(blob.digest)) throw new Error(`blob ${blob.digest} of ${image.reference} was not collected`);
      await link(`${repo}/_layers/sha256/${digestHex(blob.digest)}/link`, blob.digest);
    }
    for (const digest of [image.digest, ...(image.index ? [image.index] : [])]) await link(`${repo}/_manifests/revisions/sha256/${digestHex(digest)}/link`, digest);
    if (image.tag) {
      const target = tagTarget(image);
      await link(`${repo}/_manifests/tags/${image.tag}/current/link`, target);
      await link(`${repo}/_manifests/tags/${image.tag}/index/sha256/${digestHex(target)}/link`, target);
    }
  }
  return tree.sorted();
}

/** What a collected image's tag links to: the index the reference names, else the platform's manifest. */
function tagTarget(image: CollectedImage): Digest {
  return image.index ?? image.digest;
}

/**
 * A collected image named `reference`, its name, repository and tag as sealer's save has them:
 * the repository without the registry (Docker Hub's official images under `library/`), the tag
 * `latest` when the reference has neither tag nor digest.
 */
function collectedImage(reference: string, digest: Digest, from: CollectedImage['from'], sources: string[], appName?: string): CollectedImage {
  const name = normalizedImageName(reference);
  const path = name.slice(name.indexOf('/') + 1);
  const at = path.indexOf('@');
  const named = at === -1 ? path : path.slice(0, at);
  const colon = named.lastIndexOf(':');
  const repository = colon > named.lastIndexOf('/') ? named.slice(0, colon) : named;
  const tag = colon > named.lastIndexOf('/') ? named.slice(colon + 1) : at === -1 ? 'latest' : undefined;
  return { reference, name, ...(appName !== undefined ? { appName } : {}), repository, ...(tag ? { tag } : {}), digest, from, sources };
}

/** A stored image whose descriptor is an index (the store's, an archive's): that index is kept and tagged too. */
function withIndex(resolved: ResolvedImage, top: Descriptor): ResolvedImage {
  if (!isIndexMediaType(top.mediaType)) return resolved;
  resolved.image.index = top.digest;
  resolved.manifests.unshift({ mediaType: top.mediaType, digest: top.digest, size: top.size });
  return resolved;
}

/** The same image however it is spelled: `nginx`, `docker.io/library/nginx:latest`. */
function canonical(reference: string): string {
  try {
    return formatRemoteReference(parseRemoteReference(reference));
  } catch {
    return reference;
  }
}

function configPlatform(config: OciImageConfig): string {
  return platformKeyOf({ architecture: config.architecture, os: config.os, ...(config.variant ? { variant: config.variant } : {}) });
}

function manifestDescriptor(image: PlatformImage): Descriptor {
  return { mediaType: image.descriptor.mediaType, digest: image.descriptor.digest, size: image.descriptor.size };
}

/** Two images that would take the same name in the cluster's registry (`quay.io/a/b:1` and `docker.io/a/b:1`). */
function checkClashes(images: readonly CollectedImage[]): void {
  const byName = new Map<string, CollectedImage>();
  for (const image of images) {
    if (!image.tag) continue;
    const name = `${image.repository}:${image.tag}`;
    const other = byName.get(name);
    if (other && tagTarget(other) !== tagTarget(image)) {
      throw new RuntimeError('INVALID_IMAGE', `${other.reference} (${other.sources[0]}) and ${image.reference} (${image.sources[0]}) would both be ${name} in the cluster's registry, with different contents`);
    }
    byName.set(name, image);
  }
}

/** The failures a build gets past by leaving the image out or having it in the store (not a damaged image, say). */
const UNAVAILABLE: readonly RuntimeErrorCode[] = ['REGISTRY', 'AUTH', 'IMAGE_NOT_FOUND'];

/** An error about one image, at the first place that names it, with what to do when the image cannot be had. */
function located(error: unknown, image: Pick<WantedImage, 'reference' | 'places'>): unknown {
  if (!(error instanceof RuntimeError) || error.code === 'INTERRUPTED' || error instanceof ImageCollectionError) return error;
  const name = normalizedImageName(image.reference);
  const hint = UNAVAILABLE.includes(error.code) ? `to build without it, list ${name} in an --ignore-image-list file (or put the image in the store: kubefilec pull / load)` : undefined;
  return new ImageCollectionError(error.code, error.message, image.places[0], name, hint);
}
