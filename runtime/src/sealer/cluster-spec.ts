/**
 * One view of a cluster image, whoever built it: kubefilec keeps its cluster spec in the config
 * (`io.kubefile.cluster-image`) and sealer's annotations on the manifest; sealer (v0.9 and later)
 * writes only the annotations, and a buildah history. Builds `FROM` an image, `inspect` and `images`
 * read this view, so a sealer-built base keeps its applications, launch and container images.
 */
import { CLUSTER_IMAGE_KEY, type ClusterImageSpec, type ClusterLayer, type OciImageConfig } from '../image/oci.js';
import type { PlatformImage } from '../image/image.js';
import { isSealerImageType, readContainerImages, readImageExtension, SEALER_LABEL, type ImageExtension, type SealerContainerImage } from './extension.js';

export interface ClusterImage {
  spec: ClusterImageSpec;
  /** The image's own `sealer.image.extension`, when it has one. */
  extension?: ImageExtension;
  /** Its `sealer.image.container.images`. */
  containerImages: SealerContainerImage[];
  /** Which tool's metadata the spec came from. */
  madeBy: 'kubefilec' | 'sealer' | 'other';
}

/** The cluster view of one platform image; `name` only names it in errors. */
export function clusterImage(image: PlatformImage, name: string): ClusterImage {
  const annotations = { ...image.descriptor.annotations, ...image.manifest.annotations };
  const extension = readImageExtension(annotations, name);
  const containerImages = readContainerImages(annotations, name);
  const own = image.config[CLUSTER_IMAGE_KEY];
  if (own) {
    const type = own.type ?? (extension?.type && isSealerImageType(extension.type) ? extension.type : undefined);
    return { spec: type ? { ...own, type } : own, ...(extension ? { extension } : {}), containerImages, madeBy: 'kubefilec' };
  }
  return {
    spec: specFromSealer(image.config, extension, containerImages),
    ...(extension ? { extension } : {}),
    containerImages,
    madeBy: extension ? 'sealer' : 'other',
  };
}

/** What sealer's metadata says, in the cluster spec's terms (a plain container image gives its CMD and layers). */
function specFromSealer(config: OciImageConfig, extension: ImageExtension | undefined, containerImages: readonly SealerContainerImage[]): ClusterImageSpec {
  const labels = config.config?.Labels ?? {};
  const cmds = extension ? (extension.launch.cmds ?? []) : (config.config?.Cmd ?? []);
  const spec: ClusterImageSpec = { cmds, parentCmds: 0, args: {}, layers: layersFromHistory(config) };
  const apps = (extension?.applications ?? []).map((app) => ({
    name: app.name,
    type: labels[`${SEALER_LABEL.cni}-${app.name}`] === 'true' ? 'CNI' : labels[`${SEALER_LABEL.csi}-${app.name}`] === 'true' ? 'CSI' : 'APP',
    sources: [],
    ...(app.type ? { sealerType: app.type } : {}),
    ...(app.files ? { files: app.files } : {}),
    ...(app.env ? { env: app.env } : {}),
    ...(app.cmds ? { cmds: app.cmds } : {}),
  }));
  if (apps.length > 0) spec.apps = apps;
  if (extension?.launch.app_names?.length) spec.launch = { apps: extension.launch.app_names };
  else if (extension?.launch.cmds?.length) spec.launch = { cmds: extension.launch.cmds };
  if (extension?.type && isSealerImageType(extension.type)) spec.type = extension.type;
  if (extension?.env) spec.env = extension.env;
  const kubeVersion = labels[SEALER_LABEL.kubeVersion];
  if (kubeVersion) spec.kubeVersion = kubeVersion;
  if (config.author) spec.maintainer = config.author;
  if (containerImages.length > 0) spec.images = containerImages.map((image) => ({ reference: image.image, name: image.image, ...(image.appName ? { appName: image.appName } : {}), sources: [] }));
  return spec;
}

/**
 * Each layer's instruction, read from the history buildah writes (`/bin/sh -c #(nop) COPY dir:... in
 * application/apps/x/`, or the RUN's own `/bin/sh -c COMMAND`); sealer's last layer, the container
 * images it collected, has none (`/bin/sh`). Without a usable history, every layer is BASE.
 */
export function layersFromHistory(config: OciImageConfig): ClusterLayer[] {
  const count = config.rootfs?.diff_ids?.length ?? 0;
  const made = (config.history ?? []).filter((entry) => entry.empty_layer !== true);
  if (made.length !== count) return Array.from({ length: count }, () => ({ type: 'BASE', value: 'layer' }));
  return made.map((entry) => layerOf(entry.created_by ?? ''));
}

function layerOf(createdBy: string): ClusterLayer {
  const text = createdBy.trim();
  const nop = /#\(nop\)\s+([A-Za-z]+)\s*(.*)$/s.exec(text);
  if (nop) return { type: nop[1]!.toUpperCase(), value: nop[2]!.trim() };
  const shell = /^(?:\|\d+ .*? )?\/bin\/sh -c (.*)$/s.exec(text);
  if (shell) return { type: 'RUN', value: shell[1]!.trim() };
  // sealer commits its working container after collecting container images into registry/: no command.
  if (text === '' || text === '/bin/sh') return { type: 'IMAGES', value: 'registry' };
  return { type: 'BASE', value: text };
}
