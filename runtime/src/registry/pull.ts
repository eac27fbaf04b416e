/**
 * Pull: an image from a registry into the store, all its platforms or those asked for. Blobs the
 * store has are not fetched again; the others are fetched a few at a time, each checked against
 * its digest; the name is set only once everything is in.
 */
import { readCredentials, type RegistryCredentials } from './credentials.js';
import { mapLimited } from '../concurrency.js';
import type { Digest } from '../image/digest.js';
import { RuntimeError } from '../errors.js';
import { platformKey } from '../image/image.js';
import { isIndexMediaType, isManifestMediaType, platformKeyOf, type Descriptor, type OciImageConfig, type OciIndex, type OciManifest } from '../image/oci.js';
import { RegistryClient, type FetchedManifest, type RegistryLimits } from './registry-client.js';
import { formatRemoteReference, parseRemoteReference, type RemoteReference } from './remote-reference.js';
import type { ImageStore, StoredImage } from '../store/store.js';

export interface TransferOptions {
  /** Only these platforms (`linux/arm64`); all of them by default. */
  platforms?: readonly string[];
  /** false: plain HTTP (`--tls-verify=false`). */
  tlsVerify?: boolean;
  /** Default: the auth file's entry for the registry (`kubefilec login`). */
  credentials?: RegistryCredentials;
  signal?: AbortSignal;
  /** Blob transfers at once (default 4). */
  parallel?: number;
  onEvent?: (event: TransferEvent) => void;
  /** Timeouts, tries and size caps for the registry (see RegistryLimits for the defaults). */
  limits?: RegistryLimits;
}

export type TransferEvent =
  | { type: 'start'; reference: string; platforms: string[]; blobs: number; bytes: number }
  | { type: 'blob'; digest: Digest; size: number; outcome: 'present' | 'downloaded' | 'resumed' | 'mounted' | 'uploaded'; resumedAt?: number }
  | { type: 'bytes'; bytes: number };

export interface PullResult {
  image: StoredImage;
  platforms: string[];
  blobsFetched: number;
}

/** The client for a reference's registry, with the stored credentials unless some are given. */
export async function clientFor(ref: RemoteReference, options: TransferOptions): Promise<RegistryClient> {
  const credentials = options.credentials ?? (await readCredentials(ref.registry));
  return new RegistryClient(ref.registry, ref.host, {
    ...options.limits,
    ...(options.tlsVerify === false ? { tlsVerify: false } : {}),
    ...(credentials ? { credentials } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

/** Pulls `reference` and stores it under `name` (default: the reference itself). */
export async function pullImage(store: ImageStore, reference: string, options: TransferOptions & { name?: string } = {}): Promise<PullResult> {
  const ref = parseRemoteReference(reference);
  const client = await clientFor(ref, options);
  const top = await client.getManifest(ref.repository, ref.reference);
  const shown = formatRemoteReference(ref);
  const wanted = options.platforms?.map((p) => platformKey(p));

  let children: { descriptor: Descriptor; manifest: FetchedManifest }[];
  let stored: { bytes: Buffer; mediaType: string; digest?: Digest };
  if (isIndexMediaType(top.mediaType)) {
    const index = JSON.parse(top.bytes.toString('utf8')) as OciIndex;
    const images = (index.manifests ?? []).filter((entry) => isManifestMediaType(entry.mediaType) && entry.platform?.os !== 'unknown');
    const selected = wanted ? wanted.map((key) => pickPlatform(images, key, shown)) : images;
    children = await Promise.all(selected.map(async (descriptor) => ({ descriptor, manifest: await client.getManifest(ref.repository, descriptor.digest, typeof descriptor.size === 'number' ? descriptor.size : undefined) })));
    // The registry's own index when nothing is left out, so the digest is the same everywhere.
    stored = selected.length === (index.manifests ?? []).length ? { bytes: top.bytes, mediaType: top.mediaType, digest: top.digest } : { bytes: Buffer.from(JSON.stringify({ ...index, manifests: selected })), mediaType: top.mediaType };
  } else if (isManifestMediaType(top.mediaType)) {
    children = [{ descriptor: { mediaType: top.mediaType, digest: top.digest, size: top.bytes.length }, manifest: top }];
    stored = { bytes: top.bytes, mediaType: top.mediaType, digest: top.digest };
  } else {
    throw new RuntimeError('INVALID_IMAGE', `${shown} is a ${top.mediaType}, not an image`);
  }

  const manifests = children.map((child) => JSON.parse(child.manifest.bytes.toString('utf8')) as OciManifest);
  const blobs = uniqueBlobs(manifests.flatMap((m) => [m.config, ...(m.layers ?? [])]));
  const platforms = children.map((child) => (child.descriptor.platform ? platformKeyOf(child.descriptor.platform) : '?'));
  options.onEvent?.({ type: 'start', reference: shown, platforms, blobs: blobs.length, bytes: blobs.reduce((sum, b) => sum + b.size, 0) });
  let fetched = 0;
  await mapLimited(
    blobs,
    options.parallel ?? 4,
    async (blob) => {
      const done = await client.downloadBlob(store, ref.repository, blob, (bytes) => options.onEvent?.({ type: 'bytes', bytes }));
      if (done.downloaded) fetched++;
      const outcome = !done.downloaded ? 'present' : done.resumedAt > 0 ? 'resumed' : 'downloaded';
      options.onEvent?.({ type: 'blob', digest: blob.digest, size: blob.size, outcome, ...(done.resumedAt > 0 ? { resumedAt: done.resumedAt } : {}) });
    },
  );

  for (const [i, child] of children.entries()) {
    await store.writeBlob(child.manifest.bytes, { digest: child.manifest.digest });
    // A single-platform image: its config says which platform it is.
    if (wanted && !child.descriptor.platform) {
      const config = await store.readJson<OciImageConfig>(manifests[i].config.digest);
      const key = platformKeyOf({ architecture: config.architecture, os: config.os, ...(config.variant ? { variant: config.variant } : {}) });
      platforms[i] = key;
      if (!wanted.includes(key)) throw new RuntimeError('PLATFORM_NOT_FOUND', `no manifest for ${wanted.join(', ')} in ${shown} (it is ${key} only)`);
    }
  }
  const top_ = await store.writeBlob(stored.bytes, stored.digest ? { digest: stored.digest } : undefined);
  const image = await store.setImage(options.name ?? reference, { mediaType: stored.mediaType, digest: top_.digest, size: top_.size });
  return { image, platforms, blobsFetched: fetched };
}

/** The index entry for `key`, or the error the users expect: which platforms there are. */
function pickPlatform(entries: readonly Descriptor[], key: string, shown: string): Descriptor {
  const found = entries.find((entry) => entry.platform && platformKeyOf(entry.platform) === key);
  if (found) return found;
  const have = entries.flatMap((entry) => (entry.platform ? [platformKeyOf(entry.platform)] : []));
  throw new RuntimeError('PLATFORM_NOT_FOUND', `no manifest for ${key} in ${shown} (it has: ${have.join(', ') || 'none'})`);
}

/** Each blob once: a layer two platforms share is transferred once. */
export function uniqueBlobs(blobs: readonly Descriptor[]): Descriptor[] {
  const seen = new Set<string>();
  return blobs.filter((blob) => !seen.has(blob.digest) && Boolean(seen.add(blob.digest)));
}
