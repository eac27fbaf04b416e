/**
 * One view of a cluster image, whoever built it: kubefilec keeps its cluster spec in the config
 * (`io.kubefile.cluster-image`) and sealer's annotations on the manifest; sealer (v0.9 and later)
 * writes only the annotations, and a buildah history. Builds `FROM` an image, `inspect` and `images`
 * read this view, so a sealer-built base keeps its applications, launch and container images.
 */
import { posix } from 'node:path';
import { CLUSTER_IMAGE_KEY, type ClusterImageSpec, type ClusterLayer, type OciImageConfig } from '../image/oci.js';
import type { PlatformImage } from '../image/image.js';
import { OPAQUE_WHITEOUT, readLayer, WHITEOUT_PREFIX } from '../build/rootfs.js';
import type { ImageStore } from '../store/store.js';
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

/**
 * Whether an image is an OS image (RUN chrooted into it) or a cluster image (RUN on the host, as
 * sealer does). kubefilec marks every image it builds as a cluster image, a container image made
 * FROM scratch too, so the mark alone does not tell: an image is `os` when it has an executable
 * `bin/sh` and no cluster content (no applications, launch, container images or CMDS, not sealer's).
 */
export async function imageKind(store: ImageStore, image: PlatformImage, name: string, signal?: AbortSignal): Promise<'os' | 'cluster'> {
  const view = clusterImage(image, name);
  const { spec } = view;
  const clusterContent = view.madeBy === 'sealer' || (spec.apps?.length ?? 0) > 0 || spec.launch !== undefined || (spec.images?.length ?? 0) > 0 || (view.madeBy === 'kubefilec' && spec.cmds.length > 0);
  if (clusterContent) return 'cluster';
  return (await hasShell(store, image, signal)) ? 'os' : 'cluster';
}

interface TreeEntry {
  type: 'file' | 'directory' | 'symlink' | 'link' | 'other';
  mode: number;
  target?: string;
}

/** Whether `bin/sh` resolves (symlinks followed within the image) to an executable file. */
async function hasShell(store: ImageStore, image: PlatformImage, signal?: AbortSignal): Promise<boolean> {
  // The layers' metadata only, whiteouts applied: no file is written.
  const tree = new Map<string, TreeEntry>();
  const remove = (path: string, keepSelf: boolean): void => {
    if (!keepSelf) tree.delete(path);
    for (const key of [...tree.keys()]) if (key.startsWith(`${path}/`)) tree.delete(key);
  };
  for (const layer of image.manifest.layers) {
    await readLayer(store.blobPath(layer.digest), layer.digest, signal, async (entry, normal) => {
      if (normal === undefined) return;
      const base = posix.basename(normal);
      if (base === OPAQUE_WHITEOUT) return remove(posix.dirname(normal), true);
      if (base.startsWith(WHITEOUT_PREFIX)) return remove(posix.join(posix.dirname(normal), base.slice(WHITEOUT_PREFIX.length)), false);
      const type = entry.type === 'File' || entry.type === 'OldFile' || entry.type === 'ContiguousFile' ? 'file' : entry.type === 'Directory' ? 'directory' : entry.type === 'SymbolicLink' ? 'symlink' : entry.type === 'Link' ? 'link' : 'other';
      if (type !== 'directory') remove(normal, true);
      tree.set(normal, { type, mode: entry.mode ?? 0, ...(entry.linkpath ? { target: entry.linkpath } : {}) });
    });
  }
  const found = resolveInTree(tree, 'bin/sh');
  return found !== undefined && found.type === 'file' && (found.mode & 0o111) !== 0;
}

/** `path` in the tree, symlinks (absolute ones from the image root) and hard links followed, never above the root. */
function resolveInTree(tree: ReadonlyMap<string, TreeEntry>, path: string): TreeEntry | undefined {
  let pending = path.split('/').filter(Boolean);
  let done: string[] = [];
  for (let hops = 0; pending.length > 0; ) {
    const part = pending.shift()!;
    if (part === '.') continue;
    if (part === '..') {
      done.pop();
      continue;
    }
    const here = [...done, part].join('/');
    const entry = tree.get(here);
    if (entry === undefined) {
      // A layer may hold `usr/bin/sh` without an entry for `usr`: a directory all the same.
      if (pending.length === 0) return undefined;
      done.push(part);
      continue;
    }
    if (entry.type === 'symlink' && entry.target !== undefined) {
      if (++hops > 40) return undefined;
      if (entry.target.startsWith('/')) done = [];
      pending = [...entry.target.split('/').filter(Boolean), ...pending];
      continue;
    }
    if (entry.type === 'link' && entry.target !== undefined && pending.length === 0) return entry.target === here ? undefined : resolveInTree(tree, entry.target);
    done.push(part);
    if (pending.length === 0) return entry;
  }
  return tree.get(done.join('/'));
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
