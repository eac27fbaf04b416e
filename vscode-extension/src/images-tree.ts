/**
 * The Images view's model: `kubefilec images --format json` read into images → platforms →
 * layers (and each platform's sealer metadata), and how each node is shown. Pure: the view
 * (images-view.ts) only hands these to VS Code.
 */
// Sizes and ages read as in `kubefilec images`.
import { humanSize, relativeTime } from '@kubefile/runtime/build-log';

export interface LayerListing {
  digest: string;
  size: number;
  /** The config history's `created_by`: `COPY my-mysql charts`, `RUN ...`. */
  instruction?: string;
}

/** What sealer reads of a platform's image (kubefilec's or sealer's own metadata). */
export interface SealerListing {
  type?: string;
  cmds: string[];
  apps: string[];
  launch?: string;
  /** How many container images its registry/ carries. */
  images?: number;
}

export interface PlatformListing {
  platform: string;
  digest: string;
  size: number;
  created?: string;
  layers: LayerListing[];
  sealer?: SealerListing;
}

export interface ImageListing {
  name: string;
  digest: string;
  size: number;
  created?: string;
  type?: string;
  platforms: PlatformListing[];
}

/** kubefilec's answer was not what this version of the extension reads. */
export class ImageListingError extends Error {
  override readonly name = 'ImageListingError';
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const count = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0);
const texts = (value: unknown): string[] => (Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []);

function readSealer(value: unknown): SealerListing | undefined {
  if (!isObject(value)) return undefined;
  const apps = Array.isArray(value.apps) ? value.apps.map((app) => (isObject(app) ? text(app.name) : text(app))).filter((name): name is string => name !== undefined) : [];
  const launch = Array.isArray(value.launch) ? texts(value.launch).join(', ') : text(value.launch);
  return {
    ...(text(value.type) ? { type: text(value.type) } : {}),
    cmds: texts(value.cmds),
    apps,
    ...(launch ? { launch } : {}),
    ...(typeof value.images === 'number' ? { images: count(value.images) } : Array.isArray(value.images) ? { images: value.images.length } : {}),
  };
}

function readPlatform(value: unknown): PlatformListing | undefined {
  if (!isObject(value) || !text(value.platform)) return undefined;
  const layers = Array.isArray(value.layers)
    ? value.layers.filter(isObject).map((layer): LayerListing => ({ digest: text(layer.digest) ?? '', size: count(layer.size), ...(text(layer.instruction) ? { instruction: text(layer.instruction) } : {}) }))
    : [];
  const sealer = readSealer(value.sealer);
  return { platform: text(value.platform)!, digest: text(value.digest) ?? '', size: count(value.size), ...(text(value.created) ? { created: text(value.created) } : {}), layers, ...(sealer ? { sealer } : {}) };
}

/** Reads `kubefilec images --format json`. Throws ImageListingError for anything else. */
export function parseImageListing(output: string): ImageListing[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(output);
  } catch {
    throw new ImageListingError(`kubefilec images printed no JSON: ${output.trim().split('\n')[0]?.slice(0, 200) ?? ''}`);
  }
  if (!Array.isArray(parsed)) throw new ImageListingError('kubefilec images printed no list of images');
  return parsed.filter(isObject).flatMap((image): ImageListing[] => {
    const name = text(image.name);
    if (!name) return [];
    // Older kubefilec: platform names only.
    const detailed = Array.isArray(image.manifests) ? image.manifests.map(readPlatform).filter((p): p is PlatformListing => p !== undefined) : [];
    const platforms = detailed.length > 0 ? detailed : texts(image.platforms).map((platform): PlatformListing => ({ platform, digest: '', size: 0, layers: [] }));
    return [{ name, digest: text(image.digest) ?? '', size: count(image.size), ...(text(image.created) ? { created: text(image.created) } : {}), ...(text(image.type) ? { type: text(image.type) } : {}), platforms }];
  });
}

export type ImageTreeNode =
  | { kind: 'image'; image: ImageListing }
  | { kind: 'platform'; image: ImageListing; platform: PlatformListing }
  | { kind: 'sealer'; image: ImageListing; platform: PlatformListing; sealer: SealerListing }
  | { kind: 'layer'; image: ImageListing; platform: PlatformListing; layer: LayerListing; index: number };

/** The view's rows under `node` (the images, by name, at the top). */
export function childNodes(listing: readonly ImageListing[], node?: ImageTreeNode): ImageTreeNode[] {
  if (!node) return [...listing].sort((a, b) => a.name.localeCompare(b.name)).map((image) => ({ kind: 'image', image }));
  switch (node.kind) {
    case 'image':
      return node.image.platforms.map((platform) => ({ kind: 'platform', image: node.image, platform }));
    case 'platform': {
      const { image, platform } = node;
      const sealer: ImageTreeNode[] = platform.sealer ? [{ kind: 'sealer', image, platform, sealer: platform.sealer }] : [];
      return [...sealer, ...platform.layers.map((layer, index): ImageTreeNode => ({ kind: 'layer', image, platform, layer, index }))];
    }
    default:
      return [];
  }
}

/** How a row reads. `contextValue` selects its inline and context-menu commands in package.json. */
export interface NodePresentation {
  id: string;
  label: string;
  description: string;
  tooltip: string;
  contextValue: string;
  collapsible: boolean;
  icon: string;
}

/** The age as `kubefilec images` shows it, nothing when unknown. */
const ageOf = (created: string | undefined, now: number): string => (created ? relativeTime(created, now) : '');
const shortDigest = (digest: string): string => digest.replace(/^sha256:/, '').slice(0, 12);
const joined = (parts: readonly string[]): string => parts.filter((part) => part !== '').join(' · ');

export function presentNode(node: ImageTreeNode, now: number): NodePresentation {
  switch (node.kind) {
    case 'image': {
      const { image } = node;
      const platforms = image.platforms.map((p) => p.platform);
      return {
        id: `image:${image.name}`,
        label: image.name,
        description: joined([`${platforms.length} platform${platforms.length === 1 ? '' : 's'}`, humanSize(image.size), ageOf(image.created, now)]),
        tooltip: [image.name, image.digest, image.type ? `sealer type: ${image.type}` : '', `platforms: ${platforms.join(', ')}`, `size: ${humanSize(image.size)}`, image.created ? `created: ${image.created}` : ''].filter((line) => line !== '').join('\n'),
        contextValue: 'kubefile.image',
        collapsible: platforms.length > 0,
        icon: 'package',
      };
    }
    case 'platform': {
      const { image, platform } = node;
      return {
        id: `platform:${image.name}:${platform.platform}`,
        label: platform.platform,
        description: joined([humanSize(platform.size), shortDigest(platform.digest), ageOf(platform.created, now)]),
        tooltip: [`${image.name} for ${platform.platform}`, platform.digest, `size: ${humanSize(platform.size)}`, platform.created ? `created: ${platform.created}` : '', `${platform.layers.length} layers`].filter((line) => line !== '').join('\n'),
        contextValue: 'kubefile.platform',
        collapsible: platform.layers.length > 0 || platform.sealer !== undefined,
        icon: 'server-environment',
      };
    }
    case 'sealer': {
      const { sealer, image, platform } = node;
      const parts = [sealer.apps.length > 0 ? `apps: ${sealer.apps.join(', ')}` : '', sealer.images !== undefined ? `${sealer.images} container image${sealer.images === 1 ? '' : 's'}` : '', sealer.cmds.length > 0 ? `${sealer.cmds.length} CMD${sealer.cmds.length === 1 ? '' : 's'}` : ''];
      return {
        id: `sealer:${image.name}:${platform.platform}`,
        label: `sealer: ${sealer.type ?? 'cluster image'}`,
        description: joined(parts),
        tooltip: [
          `What sealer reads for ${platform.platform}`,
          sealer.type ? `type: ${sealer.type}` : '',
          sealer.launch ? `launch: ${sealer.launch}` : '',
          sealer.apps.length > 0 ? `apps: ${sealer.apps.join(', ')}` : '',
          ...sealer.cmds.map((cmd) => `CMD ${cmd}`),
        ]
          .filter((line) => line !== '')
          .join('\n'),
        contextValue: 'kubefile.sealer',
        collapsible: false,
        icon: 'info',
      };
    }
    case 'layer': {
      const { layer, image, platform, index } = node;
      const label = layer.instruction ?? shortDigest(layer.digest);
      return {
        id: `layer:${image.name}:${platform.platform}:${index}`,
        label,
        description: humanSize(layer.size),
        tooltip: [label, layer.digest, `size: ${humanSize(layer.size)}`].join('\n'),
        contextValue: 'kubefile.layer',
        collapsible: false,
        icon: 'layers',
      };
    }
  }
}
