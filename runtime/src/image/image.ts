/**
 * An image as the store holds it, seen per platform: a name points at an image index whose
 * entries are per-platform manifests (or, for images made by other tools, straight at one
 * manifest); each manifest has a config and layers.
 */
import { formatPlatform, parsePlatform, type Platform } from '@kubefile/compiler/platform';
import { RuntimeError } from '../errors.js';
import { isIndexMediaType, isManifestMediaType, platformKeyOf, type Descriptor, type OciImageConfig, type OciIndex, type OciManifest, type OciPlatform } from './oci.js';
import type { ImageStore } from '../store/store.js';

export interface PlatformImage {
  /** `linux/arm64/v8`. */
  key: string;
  platform: OciPlatform;
  /** The manifest's descriptor, as the index lists it. */
  descriptor: Descriptor;
  manifest: OciManifest;
  config: OciImageConfig;
}

/** Every platform of the image `descriptor` points at, in index order. */
export async function platformImages(store: ImageStore, descriptor: Descriptor): Promise<PlatformImage[]> {
  if (isIndexMediaType(descriptor.mediaType)) {
    const index = await store.readJson<OciIndex>(descriptor.digest);
    const images: PlatformImage[] = [];
    for (const entry of index.manifests ?? []) {
      if (isIndexMediaType(entry.mediaType)) images.push(...(await platformImages(store, entry)));
      else if (isManifestMediaType(entry.mediaType) || entry.mediaType === undefined) images.push(await manifestImage(store, entry));
    }
    return images;
  }
  if (isManifestMediaType(descriptor.mediaType)) return [await manifestImage(store, descriptor)];
  throw new RuntimeError('INVALID_IMAGE', `${descriptor.digest} has media type ${descriptor.mediaType}, neither an image index nor a manifest`);
}

async function manifestImage(store: ImageStore, descriptor: Descriptor): Promise<PlatformImage> {
  const manifest = await store.readJson<OciManifest>(descriptor.digest);
  if (!manifest.config?.digest || !Array.isArray(manifest.layers)) throw new RuntimeError('INVALID_IMAGE', `${descriptor.digest} is not an image manifest`);
  const config = await store.readJson<OciImageConfig>(manifest.config.digest);
  const platform: OciPlatform = descriptor.platform ?? (config.variant ? { architecture: config.architecture, os: config.os, variant: config.variant } : { architecture: config.architecture, os: config.os });
  return { key: platformKeyOf(platform), platform, descriptor: { ...descriptor, platform }, manifest, config };
}

/** Normalizes a `--platform` value to the key `PlatformImage.key` uses. */
export function platformKey(specifier: string | Platform): string {
  return typeof specifier === 'string' ? formatPlatform(parsePlatform(specifier)) : formatPlatform(specifier);
}

/** The image's variant for `platform`, or an error naming the platforms the image does have. */
export function selectPlatform(images: readonly PlatformImage[], platform: string, imageName: string): PlatformImage {
  const key = platformKey(platform);
  const found = images.find((image) => image.key === key);
  if (found) return found;
  const have = images.map((image) => image.key).join(', ') || 'none';
  throw new RuntimeError('PLATFORM_NOT_FOUND', `image ${imageName} has no ${key} variant (it has: ${have})`);
}
