/**
 * `kubefilec inspect`: an image as OCI documents (json), or as sealer shows a multi-arch cloud
 * image (sealer): its manifest list `{"name:tag": {"manifests": [...]}}` and one `kind: Image`
 * document per platform, with CMDs split into the base image's (`parent`) and this image's
 * (`current`), and each layer's instruction (`type`, `value`).
 */
import { RUNTIME_VERSION } from '../version.js';
import yaml from 'js-yaml';
import { digestHex, type Digest } from '../image/digest.js';
import { platformImages, selectPlatform, type PlatformImage } from '../image/image.js';
import { platformBlobs, sumSizes } from '../store/images.js';
import { ANNOTATION, CLUSTER_IMAGE_KEY, isIndexMediaType, type OciImageConfig, type OciIndex, type OciManifest, type OciPlatform } from '../image/oci.js';
import type { ImageStore } from '../store/store.js';

export type InspectFormat = 'json' | 'sealer';

export interface InspectOptions {
  /** Only this platform (any `--platform` spelling); an error names the platforms there are. */
  platform?: string;
  format: InspectFormat;
  /** For `sealer_version`; defaults to this package's version. */
  version?: string;
}

export interface InspectJson {
  name: string;
  digest: Digest;
  /** The image index the name points at; absent for an image that is a lone manifest. */
  index?: OciIndex;
  manifests: { platform: string; digest: Digest; manifest: OciManifest; config: OciImageConfig }[];
}

/** sealer's platform object: architecture, os, then variant when there is one. */
export interface SealerPlatform {
  architecture: string;
  os: string;
  variant?: string;
}

export interface SealerManifestEntry {
  /** The platform manifest's digest, hex only, as sealer writes image ids. */
  id: string;
  created?: string;
  /** Bytes of the platform's manifest, config and layers. */
  size: number;
  platform: SealerPlatform;
}

export type SealerManifestList = Record<string, { manifests: SealerManifestEntry[] }>;

export interface SealerLayer {
  id: Digest;
  type: string;
  value: string;
}

/** sealer's `kind: Image` (v1), as in its multi-arch design; empty lists and maps are left out as Go's omitempty would. */
export interface SealerImage {
  kind: 'Image';
  metadata: { annotations?: Record<string, string>; creationTimestamp: null; name: string };
  spec: {
    id: string;
    image_config: { cmd?: { parent?: string[]; current?: string[] }; args?: { current: Record<string, string> } };
    layers: SealerLayer[];
    platform: SealerPlatform;
    sealer_version: string;
    /** The container images its registry carries (sealer's ContainerImage: name and platform). */
    containerImageList?: { imageName: string; platform: SealerPlatform }[];
  };
  status: Record<string, never>;
}

export interface SealerView {
  manifestList: SealerManifestList;
  images: SealerImage[];
}

export type InspectResult = { format: 'json'; value: InspectJson } | { format: 'sealer'; value: SealerView };

export async function inspectImage(store: ImageStore, name: string, options: InspectOptions): Promise<InspectResult> {
  const image = await store.getImage(name);
  let platforms = await platformImages(store, image.descriptor);
  if (options.platform !== undefined) platforms = [selectPlatform(platforms, options.platform, image.name)];
  if (options.format === 'json') {
    const index = isIndexMediaType(image.descriptor.mediaType) ? await store.readJson<OciIndex>(image.descriptor.digest) : undefined;
    return {
      format: 'json',
      value: {
        name: image.name,
        digest: image.descriptor.digest,
        ...(index ? { index } : {}),
        manifests: platforms.map((p) => ({ platform: p.key, digest: p.descriptor.digest, manifest: p.manifest, config: p.config })),
      },
    };
  }
  const version = `kubefilec ${options.version ?? RUNTIME_VERSION}`;
  return {
    format: 'sealer',
    value: {
      manifestList: { [image.name]: { manifests: platforms.map((p) => manifestEntry(p, image.created)) } },
      images: platforms.map((p) => sealerImage(image.name, p, version)),
    },
  };
}

function sealerPlatform(platform: OciPlatform): SealerPlatform {
  return platform.variant ? { architecture: platform.architecture, os: platform.os, variant: platform.variant } : { architecture: platform.architecture, os: platform.os };
}

function manifestEntry(image: PlatformImage, created: string | undefined): SealerManifestEntry {
  const when = image.config.created ?? created;
  return {
    id: digestHex(image.descriptor.digest),
    ...(when !== undefined ? { created: when } : {}),
    size: sumSizes(platformBlobs(image)),
    platform: sealerPlatform(image.platform),
  };
}

export function sealerImage(name: string, image: PlatformImage, sealerVersion: string): SealerImage {
  const spec = image.config[CLUSTER_IMAGE_KEY];
  // The build puts the Clusterfile on the platform manifest; an index entry may carry it too.
  const clusterFile = image.manifest.annotations?.[ANNOTATION.clusterFile] ?? image.descriptor.annotations?.[ANNOTATION.clusterFile];
  const cmds = spec?.cmds ?? [];
  const parentCount = Math.min(Math.max(spec?.parentCmds ?? 0, 0), cmds.length);
  const parent = cmds.slice(0, parentCount);
  const current = cmds.slice(parentCount);
  const cmd = { ...(parent.length > 0 ? { parent } : {}), ...(current.length > 0 ? { current } : {}) };
  const args = spec?.args ?? {};
  return {
    kind: 'Image',
    metadata: { ...(clusterFile !== undefined ? { annotations: { [ANNOTATION.clusterFile]: clusterFile } } : {}), creationTimestamp: null, name },
    spec: {
      id: digestHex(image.descriptor.digest),
      image_config: { ...(Object.keys(cmd).length > 0 ? { cmd } : {}), ...(Object.keys(args).length > 0 ? { args: { current: args } } : {}) },
      // Layers the toolkit did not make (a base pulled from elsewhere) have no recorded instruction.
      layers: image.manifest.layers.map((layer, i) => {
        const info = spec?.layers?.[i];
        return { id: layer.digest, type: info?.type ?? 'BASE', value: info?.value ?? 'layer' };
      }),
      platform: sealerPlatform(image.platform),
      sealer_version: sealerVersion,
      ...(spec?.images?.length ? { containerImageList: spec.images.map((collected) => ({ imageName: collected.reference, platform: sealerPlatform(image.platform) })) } : {}),
    },
    status: {},
  };
}

/** Text for people and tools: pretty JSON; for sealer, the manifest-list JSON then each image as a `---` YAML document (the whole is one YAML stream). */
export function renderInspect(result: InspectResult): string {
  if (result.format === 'json') return `${JSON.stringify(result.value, null, 2)}\n`;
  const parts = [`${JSON.stringify(result.value.manifestList, null, 2)}\n`];
  for (const image of result.value.images) parts.push(`---\n${yaml.dump(image, { lineWidth: -1, noRefs: true })}`);
  return parts.join('');
}
