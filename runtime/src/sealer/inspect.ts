/**
 * `kubefilec inspect`: an image as OCI documents (json); as `sealer inspect` (v0.9 to v0.11) prints
 * it (sealer): per platform its id, name, digest, manifest, config, image extension and container
 * image list; or as the design documents show a multi-arch cloud image (sealer-v0.8): its manifest
 * list `{"name:tag": {"manifests": [...]}}` and one `kind: Image` document per platform, with CMDs
 * split into the base image's (`parent`) and this image's (`current`), and each layer's instruction.
 * Images sealer built read the same as ours: the cluster view comes from either's metadata.
 */
import { RUNTIME_VERSION } from '../version.js';
import yaml from 'js-yaml';
import { digestHex, type Digest } from '../image/digest.js';
import { platformImages, selectPlatform, type PlatformImage } from '../image/image.js';
import { platformBlobs, sumSizes } from '../store/images.js';
import { ANNOTATION, CLUSTER_IMAGE_KEY, isIndexMediaType, type OciImageConfig, type OciIndex, type OciManifest, type OciPlatform } from '../image/oci.js';
import { clusterImage } from './cluster-spec.js';
import { containerImageList, imageExtension, inspectLabels, isSealerImageType, SEALER_ANNOTATION, sealerPlatform as sealerPlatformOf, withExtensionOrder, type ImageExtension, type SealerContainerImage } from './extension.js';
import type { ImageStore } from '../store/store.js';

export type InspectFormat = 'json' | 'sealer' | 'sealer-v0.8';
export const INSPECT_FORMATS: readonly InspectFormat[] = ['json', 'sealer', 'sealer-v0.8'];

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

/** The design documents' platform object: architecture, os, then variant when there is one. */
export interface SealerImagePlatform {
  architecture: string;
  os: string;
  variant?: string;
}

/** What `sealer inspect` prints for one platform (sealer's ImageSpec). */
export interface SealerImageSpec {
  /** The config's digest, hex only (containers/storage's image id). */
  id: string;
  name: string;
  /** The platform manifest's digest. */
  digest: Digest;
  /** Without the two sealer annotations, which are shown parsed below. */
  manifestv1: OciManifest;
  /** The OCI config without its labels (they are shown in the extension). */
  ociv1: OciImageConfig;
  imageExtension: ImageExtension;
  containerImageList?: SealerContainerImage[];
}

export interface SealerManifestEntry {
  /** The platform manifest's digest, hex only, as sealer writes image ids. */
  id: string;
  created?: string;
  /** Bytes of the platform's manifest, config and layers. */
  size: number;
  platform: SealerImagePlatform;
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
    platform: SealerImagePlatform;
    sealer_version: string;
    /** The container images its registry carries (sealer's ContainerImage: name and platform). */
    containerImageList?: { imageName: string; platform: SealerImagePlatform }[];
  };
  status: Record<string, never>;
}

export interface SealerView {
  manifestList: SealerManifestList;
  images: SealerImage[];
}

export type InspectResult = { format: 'json'; value: InspectJson } | { format: 'sealer'; value: SealerImageSpec[] } | { format: 'sealer-v0.8'; value: SealerView };

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
  if (options.format === 'sealer') return { format: 'sealer', value: platforms.map((p) => sealerImageSpec(image.name, p)) };
  const version = `kubefilec ${options.version ?? RUNTIME_VERSION}`;
  return {
    format: 'sealer-v0.8',
    value: {
      manifestList: { [image.name]: { manifests: platforms.map((p) => manifestEntry(p, image.created)) } },
      images: platforms.map((p) => sealerImage(image.name, p, version)),
    },
  };
}

/** `sealer inspect`'s view of one platform; an image without sealer's annotations shows what kubefilec would write for it. */
export function sealerImageSpec(name: string, image: PlatformImage): SealerImageSpec {
  const cluster = clusterImage(image, name);
  const { spec } = cluster;
  const type = spec.type && isSealerImageType(spec.type) ? spec.type : 'kube-installer';
  const extension = cluster.extension ?? imageExtension(spec, { type, env: spec.env ?? {}, client: '' });
  const labels = inspectLabels(image.config.config?.Labels);
  const annotations = { ...image.manifest.annotations };
  delete annotations[SEALER_ANNOTATION.extension];
  delete annotations[SEALER_ANNOTATION.containerImages];
  const { [CLUSTER_IMAGE_KEY]: _own, ...config } = image.config;
  const { Labels: _labels, ...containerConfig } = config.config ?? {};
  const containerImages = cluster.containerImages.length > 0 ? cluster.containerImages : containerImageList(spec.images ?? [], sealerPlatformOf(image.platform));
  return {
    id: digestHex(image.manifest.config.digest),
    name,
    digest: image.descriptor.digest,
    manifestv1: { ...image.manifest, ...(Object.keys(annotations).length > 0 ? { annotations } : { annotations: undefined }) },
    ociv1: { ...config, ...(config.config ? { config: containerConfig } : {}) },
    imageExtension: withExtensionOrder({ ...extension, ...(labels && Object.keys(labels).length > 0 ? { labels } : {}) }),
    ...(containerImages.length > 0 ? { containerImageList: containerImages } : {}),
  };
}

function sealerPlatform(platform: OciPlatform): SealerImagePlatform {
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
  const { spec } = clusterImage(image, name);
  // The build puts the Clusterfile on the platform manifest; an index entry may carry it too.
  const clusterFile = image.manifest.annotations?.[ANNOTATION.clusterFile] ?? image.descriptor.annotations?.[ANNOTATION.clusterFile];
  const cmds = spec.cmds;
  const parentCount = Math.min(Math.max(spec.parentCmds, 0), cmds.length);
  const parent = cmds.slice(0, parentCount);
  const current = cmds.slice(parentCount);
  const cmd = { ...(parent.length > 0 ? { parent } : {}), ...(current.length > 0 ? { current } : {}) };
  const args = spec.args;
  return {
    kind: 'Image',
    metadata: { ...(clusterFile !== undefined ? { annotations: { [ANNOTATION.clusterFile]: clusterFile } } : {}), creationTimestamp: null, name },
    spec: {
      id: digestHex(image.descriptor.digest),
      image_config: { ...(Object.keys(cmd).length > 0 ? { cmd } : {}), ...(Object.keys(args).length > 0 ? { args: { current: args } } : {}) },
      // Layers the toolkit did not make (a base pulled from elsewhere) have no recorded instruction.
      layers: image.manifest.layers.map((layer, i) => {
        const info = spec.layers[i];
        return { id: layer.digest, type: info?.type ?? 'BASE', value: info?.value ?? 'layer' };
      }),
      platform: sealerPlatform(image.platform),
      sealer_version: sealerVersion,
      ...(spec.images?.length ? { containerImageList: spec.images.map((collected) => ({ imageName: collected.reference, platform: sealerPlatform(image.platform) })) } : {}),
    },
    status: {},
  };
}

/** Text for people and tools: pretty JSON; for sealer-v0.8, the manifest-list JSON then each image as a `---` YAML document (the whole is one YAML stream). */
export function renderInspect(result: InspectResult): string {
  if (result.format === 'json') return `${JSON.stringify(result.value, null, 2)}\n`;
  // As sealer prints it (four-space indent); one object for one platform, a list for several.
  if (result.format === 'sealer') return `${JSON.stringify(result.value.length === 1 ? result.value[0] : result.value, null, 4)}\n`;
  const parts = [`${JSON.stringify(result.value.manifestList, null, 2)}\n`];
  for (const image of result.value.images) parts.push(`---\n${yaml.dump(image, { lineWidth: -1, noRefs: true })}`);
  return parts.join('');
}
