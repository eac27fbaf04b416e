/**
 * OCI image-spec documents (v1.1) as this runtime writes and reads them: the image layout's
 * `index.json`, image indexes ("manifest lists"), image manifests and image configs. Docker's
 * equivalent media types are accepted on input.
 */
import type { Platform } from '@kubefile/compiler';
import type { Digest } from './digest.js';

export const MEDIA_TYPE = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar',
  layerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

export const ANNOTATION = {
  /** The image name (`name:tag`) an `index.json` entry stands for. */
  refName: 'org.opencontainers.image.ref.name',
  created: 'org.opencontainers.image.created',
  /** sealer's key for the image's default Clusterfile. */
  clusterFile: 'sea.aliyun.com/ClusterFile',
} as const;

export const OCI_LAYOUT_VERSION = '1.0.0';

export interface OciPlatform {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
}

export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  platform?: OciPlatform;
  annotations?: Record<string, string>;
}

export interface OciIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

export interface OciManifest {
  schemaVersion: 2;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

/** What a layer holds and how it was made, in the words of sealer's `kind: Image` (`COPY`, `BASE` ...). */
export interface ClusterLayer {
  type: string;
  value: string;
}

/** The cluster image's own fields, kept in the config beside the OCI ones (unknown keys are ignored by other tools). */
export interface ClusterImageSpec {
  /** Every CMD of the base image, then this image's. */
  cmds: string[];
  /** How many of `cmds` came from the base image. */
  parentCmds: number;
  args: Record<string, string>;
  apps?: {
    name: string;
    type: string;
    sources: string[];
    cmds?: string[];
    env?: Record<string, string>;
    /** As sealer detects it from the files: `kube`, `helm`, `shell`, or absent. */
    sealerType?: string;
    /** The files sealer launches, relative to the app's directory `application/apps/<name>/`. */
    files?: string[];
  }[];
  launch?: { apps?: string[]; cmds?: string[] };
  kubeVersion?: string;
  maintainer?: string;
  /** The container images its `registry/` carries, each with the places that name it. */
  images?: {
    reference: string;
    /** The reference normalized as sealer writes it (`docker.io/library/nginx:1.25`). */
    name?: string;
    /** The application whose files name it (`application/apps/<name>/`). */
    appName?: string;
    /** The platform's manifest (unknown for images sealer collected). */
    digest?: Digest;
    sources: string[];
  }[];
  /** The Helm charts in `charts/`, with the Kubernetes versions they accept (`kubeVersion`). */
  charts?: { path: string; name?: string; version?: string; kubeVersion?: string }[];
  /** sealer's image type: a cluster (kube-installer) or applications for an existing one (app-installer). */
  type?: 'kube-installer' | 'app-installer';
  /** The image's global environment as sealer sees it (ENV of the image and its bases, without the OS defaults). */
  env?: Record<string, string>;
  /** One per entry of `rootfs.diff_ids`. */
  layers: ClusterLayer[];
}

export interface OciImageConfig {
  created?: string;
  author?: string;
  architecture: string;
  os: string;
  variant?: string;
  config?: {
    Env?: string[];
    Cmd?: string[];
    Labels?: Record<string, string>;
    WorkingDir?: string;
  };
  rootfs: { type: 'layers'; diff_ids: Digest[] };
  history?: { created?: string; created_by?: string; comment?: string; empty_layer?: boolean }[];
  /** Present in configs this toolkit writes. */
  'io.kubefile.cluster-image'?: ClusterImageSpec;
}

export const CLUSTER_IMAGE_KEY = 'io.kubefile.cluster-image';

export function isIndexMediaType(mediaType: string | undefined): boolean {
  return mediaType === MEDIA_TYPE.index || mediaType === MEDIA_TYPE.dockerManifestList;
}

export function isManifestMediaType(mediaType: string | undefined): boolean {
  return mediaType === MEDIA_TYPE.manifest || mediaType === MEDIA_TYPE.dockerManifest;
}

export function toOciPlatform(platform: Platform): OciPlatform {
  return platform.variant ? { architecture: platform.architecture, os: platform.os, variant: platform.variant } : { architecture: platform.architecture, os: platform.os };
}

/** `linux/arm64/v8`; an arm64 entry without a variant means v8, as containerd normalizes it. */
export function platformKeyOf(platform: OciPlatform): string {
  const variant = platform.variant ?? (platform.architecture === 'arm64' ? 'v8' : platform.architecture === 'arm' ? 'v7' : undefined);
  return variant ? `${platform.os}/${platform.architecture}/${variant}` : `${platform.os}/${platform.architecture}`;
}
