/**
 * Push: a stored image to a registry, the whole index by default (its digest unchanged) or some
 * of its platforms. Blobs the repository has are skipped; the others are uploaded a few at a time.
 * Manifests go after their blobs and the tag last, so a reader never sees a tag that points at
 * something missing.
 */
import { mapLimited } from '../concurrency.js';
import type { Digest } from '../image/digest.js';
import { RuntimeError } from '../errors.js';
import { platformImages, platformKey } from '../image/image.js';
import { isIndexMediaType, type Descriptor, type OciIndex } from '../image/oci.js';
import { clientFor, uniqueBlobs, type TransferOptions } from './pull.js';
import { formatRemoteReference, parseRemoteReference } from './remote-reference.js';
import type { ImageStore } from '../store/store.js';

export interface PushResult {
  /** `registry/repository:tag`. */
  destination: string;
  digest: Digest;
  platforms: string[];
  blobsUploaded: number;
}

/**
 * Pushes image `name` to `destination` (default: `name`). `mountFrom`: a repository of the same
 * registry that may hold the blobs (a cross-repository mount sends none of their bytes).
 */
export async function pushImage(store: ImageStore, name: string, destination = name, options: TransferOptions & { mountFrom?: string } = {}): Promise<PushResult> {
  const image = await store.getImage(name);
  const ref = parseRemoteReference(destination);
  if (ref.digest) throw new RuntimeError('INVALID_NAME', `push to a tag, not a digest: ${destination}`);
  const client = await clientFor(ref, options);
  const all = await platformImages(store, image.descriptor);
  const wanted = options.platforms?.map((p) => platformKey(p));
  const images = wanted
    ? wanted.map((key) => {
        const found = all.find((i) => i.key === key);
        if (!found) throw new RuntimeError('PLATFORM_NOT_FOUND', `image ${image.name} has no ${key} variant (it has: ${all.map((i) => i.key).join(', ')})`);
        return found;
      })
    : all;

  const blobs = uniqueBlobs(images.flatMap((i) => [i.manifest.config, ...i.manifest.layers]));
  options.onEvent?.({ type: 'start', reference: formatRemoteReference(ref), platforms: images.map((i) => i.key), blobs: blobs.length, bytes: blobs.reduce((sum, b) => sum + b.size, 0) });
  let uploaded = 0;
  await mapLimited(
    blobs,
    options.parallel ?? 4,
    async (blob) => {
      const outcome = await client.uploadBlob(store, ref.repository, blob, options.mountFrom);
      if (outcome === 'uploaded') uploaded++;
      options.onEvent?.({ type: 'blob', digest: blob.digest, size: blob.size, outcome });
      options.onEvent?.({ type: 'bytes', bytes: blob.size });
    },
  );
  for (const platform of images) await client.putManifest(ref.repository, platform.descriptor.digest, platform.descriptor.mediaType, await store.readBlob(platform.descriptor.digest));

  const tag = ref.tag ?? 'latest';
  let top: Descriptor;
  if (!isIndexMediaType(image.descriptor.mediaType) || !wanted) {
    top = image.descriptor;
    await client.putManifest(ref.repository, tag, top.mediaType, await store.readBlob(top.digest));
  } else {
    const index = await store.readJson<OciIndex>(image.descriptor.digest);
    const bytes = Buffer.from(JSON.stringify({ ...index, manifests: images.map((i) => i.descriptor) }));
    const stored = await store.writeBlob(bytes);
    top = { mediaType: image.descriptor.mediaType, digest: stored.digest, size: stored.size };
    await client.putManifest(ref.repository, tag, top.mediaType, bytes);
  }
  return { destination: formatRemoteReference({ ...ref, tag }), digest: top.digest, platforms: images.map((i) => i.key), blobsUploaded: uploaded };
}
