/**
 * A hand-made multi-platform image for the image-command tests (the runtime's own fixtures live
 * outside this package's rootDir). Layers are plain bytes: these commands never unpack them.
 */
import { parsePlatform } from '@kubefile/compiler';
import { CLUSTER_IMAGE_KEY, MEDIA_TYPE, toOciPlatform, type Descriptor, type ImageStore, type OciImageConfig, type OciIndex, type OciManifest, type StoredImage } from '@kubefile/runtime';

export interface FixturePlatform {
  platform: string;
  layers: string[];
  cmds?: string[];
  parentCmds?: number;
  clusterFile?: string;
}

export async function makeImage(store: ImageStore, name: string, platforms: FixturePlatform[]): Promise<StoredImage> {
  const manifests: Descriptor[] = [];
  for (const spec of platforms) {
    const platform = toOciPlatform(parsePlatform(spec.platform));
    const layers: Descriptor[] = [];
    for (const content of spec.layers) {
      const ref = await store.writeBlob(content);
      layers.push({ mediaType: MEDIA_TYPE.layer, digest: ref.digest, size: ref.size });
    }
    const cmds = spec.cmds ?? [];
    const config: OciImageConfig = {
      created: '2026-01-01T00:00:00Z',
      ...platform,
      rootfs: { type: 'layers', diff_ids: layers.map((layer) => layer.digest) },
      [CLUSTER_IMAGE_KEY]: { cmds, parentCmds: spec.parentCmds ?? 0, args: {}, layers: spec.layers.map(() => ({ type: 'COPY', value: '. .' })) },
    };
    const manifest: OciManifest = {
      schemaVersion: 2,
      mediaType: MEDIA_TYPE.manifest,
      config: await store.putJson(config, MEDIA_TYPE.config),
      layers,
      ...(spec.clusterFile !== undefined ? { annotations: { 'sea.aliyun.com/ClusterFile': spec.clusterFile } } : {}),
    };
    manifests.push({ ...(await store.putJson(manifest, MEDIA_TYPE.manifest)), platform });
  }
  const index: OciIndex = { schemaVersion: 2, mediaType: MEDIA_TYPE.index, manifests };
  return store.setImage(name, await store.putJson(index, MEDIA_TYPE.index));
}
