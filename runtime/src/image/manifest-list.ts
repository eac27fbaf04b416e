/**
 * Manifest lists made from images already in the store, as `docker manifest` makes them from
 * images in a registry: the new image index lists the per-platform manifests of the named images
 * (no blob is copied; they are shared).
 *
 * Duplicate platforms: `manifestCreate` refuses two images offering the same platform with different
 * manifests, naming both, unless `amend` is set; with `amend` the existing list (if any) is the
 * starting point and each later image replaces the platforms it offers, like `manifestAdd`.
 */
import { RuntimeError } from '../errors.js';
import { platformImages, type PlatformImage } from './image.js';
import { deleteImage, storeIndex, type DeleteResult } from '../store/images.js';
import { normalizeImageName } from './names.js';
import type { OciIndex, OciManifest } from './oci.js';
import type { ImageStore, StoredImage } from '../store/store.js';

export interface ManifestCreateOptions {
  /** Start from the existing list `name` and let later images replace earlier ones per platform. */
  amend?: boolean;
}

export async function manifestCreate(store: ImageStore, name: string, images: readonly string[], options: ManifestCreateOptions = {}): Promise<StoredImage> {
  const target = normalizeImageName(name);
  if (images.length === 0) throw new RuntimeError('INVALID_IMAGE', `manifest list ${target} needs at least one image`);
  // Platform key → its manifest and the image it came from (for the duplicate message); insertion order is index order.
  const entries = new Map<string, { image: PlatformImage; from: string }>();
  const existing = await store.findImage(target);
  if (existing && !options.amend) throw new RuntimeError('INVALID_IMAGE', `image ${target} already exists; use --amend to add to it, or delete it first`);
  if (existing) for (const image of await platformImages(store, existing.descriptor)) entries.set(image.key, { image, from: target });
  for (const imageName of images) {
    const source = await store.getImage(imageName);
    for (const image of await platformImages(store, source.descriptor)) {
      const before = entries.get(image.key);
      // The same manifest twice (an image listed twice, or two tags of one image) is no conflict.
      if (before && before.image.descriptor.digest !== image.descriptor.digest && !options.amend) {
        throw new RuntimeError('INVALID_IMAGE', `platform ${image.key} is in both ${before.from} and ${source.name}; give each platform once (or use --amend to let the later image win)`);
      }
      entries.set(image.key, { image, from: source.name });
    }
  }
  return storeIndex(store, target, [...entries.values()].map((entry) => entry.image.descriptor));
}

/** Adds `image`'s platforms to the list `name` (creating it when missing); a platform already there is replaced. */
export async function manifestAdd(store: ImageStore, name: string, image: string): Promise<StoredImage> {
  return manifestCreate(store, name, [image], { amend: true });
}

/** Removes one platform from the list `name`; removing the last one removes the name. */
export async function manifestRemove(store: ImageStore, name: string, platform: string): Promise<DeleteResult> {
  return deleteImage(store, name, { platforms: [platform] });
}

/** The document the name points at: an image index (or, for a single-platform image, its manifest). */
export async function manifestInspect(store: ImageStore, name: string): Promise<OciIndex | OciManifest> {
  const image = await store.getImage(name);
  return store.readJson<OciIndex | OciManifest>(image.descriptor.digest);
}
