/**
 * sealer's image metadata (v0.9 to v0.11): two annotations on each platform manifest, which `sealer
 * inspect`, `run`, `apply` and a `FROM` in `sealer build` read, and refuse the image without.
 *   sealer.image.extension         JSON: the build client, schema version, image type
 *                                  (kube-installer | app-installer), applications, env, launch.
 *   sealer.image.container.images  JSON: the container images the image's `registry/` carries.
 * The labels sealer's Kubefile instructions set (KUBEVERSION, CNI, CSI) live in the image config.
 * Annotations from outside are input like any other: bounded and checked before use.
 */
import { RuntimeError } from '../errors.js';
import type { ClusterImageSpec, OciPlatform } from '../image/oci.js';

export const SEALER_ANNOTATION = {
  extension: 'sealer.image.extension',
  containerImages: 'sealer.image.container.images',
} as const;

export const SEALER_LABEL = {
  kubeVersion: 'app.alpha.sealer.io/supported-kube-version',
  /** `cluster.alpha.sealer.io/kube-cni-<app>: "true"`; sealer's inspect folds them into one JSON list under the bare key. */
  cni: 'cluster.alpha.sealer.io/kube-cni',
  csi: 'cluster.alpha.sealer.io/kube-csi',
} as const;

export const SEALER_SCHEMA_VERSION = 'v1alpha1';
export const SEALER_IMAGE_TYPES = ['kube-installer', 'app-installer'] as const;
export type SealerImageType = (typeof SEALER_IMAGE_TYPES)[number];

/** sealer's application (v1): its type is `kube`, `helm`, `shell` or absent (the app's APPCMDS say how to launch it). */
export interface SealerApplication {
  name: string;
  type?: string;
  files?: string[];
  version?: string;
  env?: Record<string, string>;
  cmds?: string[];
}

export interface SealerLaunch {
  /** When present, sealer runs these and nothing else at launch. */
  cmds?: string[];
  app_names?: string[];
}

export interface ImageExtension {
  buildClient: { sealerVersion: string; buildahVersion: string };
  schemaVersion: string;
  type?: string;
  applications?: SealerApplication[];
  labels?: Record<string, string>;
  env?: Record<string, string>;
  launch: SealerLaunch;
}

/** sealer's platform: `architecture`, `os`, `variant`, each left out when empty. */
export interface SealerPlatform {
  architecture?: string;
  os?: string;
  variant?: string;
}

export interface SealerContainerImage {
  /** Normalized as sealer writes it: `docker.io/library/nginx:1.25`. */
  image: string;
  appName?: string;
  platform: SealerPlatform | null;
}

/** Annotations larger than this are refused: sealer's own are a few kilobytes. */
export const MAX_ANNOTATION_BYTES = 4 * 1024 * 1024;

export function sealerPlatform(platform: OciPlatform): SealerPlatform {
  return {
    ...(platform.architecture ? { architecture: platform.architecture } : {}),
    ...(platform.os ? { os: platform.os } : {}),
    ...(platform.variant ? { variant: platform.variant } : {}),
  };
}

export function isSealerImageType(value: string): value is SealerImageType {
  return (SEALER_IMAGE_TYPES as readonly string[]).includes(value);
}

/** The image's `sealer.image.extension`, or undefined when it has none; an unreadable one is an error naming the image. */
export function readImageExtension(annotations: Record<string, string> | undefined, imageName: string): ImageExtension | undefined {
  const value = parseAnnotation(annotations, SEALER_ANNOTATION.extension, imageName);
  if (value === undefined) return undefined;
  if (!isRecord(value)) throw invalid(imageName, SEALER_ANNOTATION.extension, 'not a JSON object');
  const buildClient = isRecord(value.buildClient) ? value.buildClient : {};
  const launch = isRecord(value.launch) ? value.launch : {};
  const applications = Array.isArray(value.applications) ? value.applications.filter(isRecord).map(readApplication).filter((app) => app.name) : [];
  return withExtensionOrder({
    buildClient: { sealerVersion: stringOr(buildClient.sealerVersion), buildahVersion: stringOr(buildClient.buildahVersion) },
    schemaVersion: stringOr(value.schemaVersion),
    ...(typeof value.type === 'string' && value.type ? { type: value.type } : {}),
    ...(applications.length > 0 ? { applications } : {}),
    ...optional('labels', stringMap(value.labels)),
    ...optional('env', stringMap(value.env)),
    launch: {
      ...optional('cmds', stringList(launch.cmds)),
      ...optional('app_names', stringList(launch.app_names)),
    },
  });
}

/** The extension's keys in the order sealer's Go struct writes them (what `sealer inspect` shows). */
export function withExtensionOrder(extension: ImageExtension): ImageExtension {
  const { buildClient, schemaVersion, type, applications, labels, env, launch } = extension;
  return {
    buildClient,
    schemaVersion,
    ...(type !== undefined ? { type } : {}),
    ...(applications !== undefined ? { applications } : {}),
    ...(labels !== undefined ? { labels } : {}),
    ...(env !== undefined ? { env } : {}),
    launch,
  };
}

/** The image's `sealer.image.container.images` (empty when it has none). */
export function readContainerImages(annotations: Record<string, string> | undefined, imageName: string): SealerContainerImage[] {
  const value = parseAnnotation(annotations, SEALER_ANNOTATION.containerImages, imageName);
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalid(imageName, SEALER_ANNOTATION.containerImages, 'not a JSON list');
  return value.filter(isRecord).flatMap((item) => {
    if (typeof item.image !== 'string' || !item.image) return [];
    const platform = isRecord(item.platform) ? sealerPlatform({ architecture: stringOr(item.platform.architecture), os: stringOr(item.platform.os), variant: stringOr(item.platform.variant) }) : null;
    return [{ image: item.image, ...(typeof item.appName === 'string' && item.appName ? { appName: item.appName } : {}), platform }];
  });
}

/**
 * The extension sealer would write for an image whose cluster spec is `spec`: applications in
 * declaration order; at launch, LAUNCH's applications, or CMDS, or the CMDs (sealer runs
 * `launch.cmds` instead of the applications whenever there are any, so only one is written).
 */
export function imageExtension(spec: ClusterImageSpec, options: { type: SealerImageType; env: Record<string, string>; client: string }): ImageExtension {
  const applications = (spec.apps ?? []).map((app): SealerApplication => ({
    name: app.name,
    ...(app.sealerType ? { type: app.sealerType } : {}),
    ...(app.files && app.files.length > 0 ? { files: app.files } : {}),
    version: 'v1',
    ...(app.env && Object.keys(app.env).length > 0 ? { env: sortedRecord(app.env) } : {}),
    ...(app.cmds && app.cmds.length > 0 ? { cmds: app.cmds } : {}),
  }));
  const launch: SealerLaunch = spec.launch?.apps?.length
    ? { app_names: spec.launch.apps }
    : spec.launch?.cmds?.length
      ? { cmds: spec.launch.cmds }
      : spec.cmds.length > 0
        ? { cmds: spec.cmds }
        : {};
  return {
    buildClient: { sealerVersion: options.client, buildahVersion: '' },
    schemaVersion: SEALER_SCHEMA_VERSION,
    type: options.type,
    ...(applications.length > 0 ? { applications } : {}),
    ...(Object.keys(options.env).length > 0 ? { env: sortedRecord(options.env) } : {}),
    launch,
  };
}

/** sealer's container image list for the images a platform's registry carries (the cluster spec's `images`). */
export function containerImageList(images: NonNullable<ClusterImageSpec['images']>, platform: SealerPlatform): SealerContainerImage[] {
  return images.map((image) => ({ image: image.name ?? image.reference, ...(image.appName ? { appName: image.appName } : {}), platform }));
}

/** The two annotations for a platform manifest (the image list only when there are images, as sealer does). */
export function sealerAnnotations(extension: ImageExtension, containerImages: readonly SealerContainerImage[]): Record<string, string> {
  return {
    [SEALER_ANNOTATION.extension]: goJson(extension),
    ...(containerImages.length > 0 ? { [SEALER_ANNOTATION.containerImages]: goJson(containerImages) } : {}),
  };
}

/** The config labels sealer's instructions set: KUBEVERSION's supported version, one per CNI and CSI application. */
export function sealerLabels(spec: Pick<ClusterImageSpec, 'apps' | 'kubeVersion'>): Record<string, string> {
  const labels: Record<string, string> = {};
  if (spec.kubeVersion) labels[SEALER_LABEL.kubeVersion] = spec.kubeVersion;
  for (const app of spec.apps ?? []) {
    if (app.type === 'CNI') labels[`${SEALER_LABEL.cni}-${app.name}`] = 'true';
    if (app.type === 'CSI') labels[`${SEALER_LABEL.csi}-${app.name}`] = 'true';
  }
  return labels;
}

/** Labels as `sealer inspect` shows them: the CNI and CSI labels folded into sorted JSON lists. */
export function inspectLabels(labels: Record<string, string> | undefined): Record<string, string> | undefined {
  if (!labels || Object.keys(labels).length === 0) return labels;
  const result: Record<string, string> = {};
  const cni: string[] = [];
  const csi: string[] = [];
  for (const [key, value] of Object.entries(labels)) {
    if (key.startsWith(`${SEALER_LABEL.cni}-`)) cni.push(key.slice(SEALER_LABEL.cni.length + 1));
    else if (key.startsWith(`${SEALER_LABEL.csi}-`)) csi.push(key.slice(SEALER_LABEL.csi.length + 1));
    else result[key] = value;
  }
  if (cni.length > 0) result[SEALER_LABEL.cni] = JSON.stringify(cni.sort());
  if (csi.length > 0) result[SEALER_LABEL.csi] = JSON.stringify(csi.sort());
  return result;
}

/** JSON as Go's encoding/json writes it (`<`, `>`, `&` and the line separators escaped), so our annotations read byte for byte like sealer's. */
export function goJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function readApplication(app: Record<string, unknown>): SealerApplication {
  const files = stringList(app.files) ?? stringList(app.launchfiles);
  const env = stringMap(app.env);
  const cmds = stringList(app.cmds);
  return {
    name: stringOr(app.name),
    ...(typeof app.type === 'string' && app.type ? { type: app.type } : {}),
    ...(files ? { files } : {}),
    ...(typeof app.version === 'string' && app.version ? { version: app.version } : {}),
    ...(env ? { env } : {}),
    ...(cmds ? { cmds } : {}),
  };
}

function parseAnnotation(annotations: Record<string, string> | undefined, key: string, imageName: string): unknown {
  const text = annotations?.[key];
  if (text === undefined || text === '') return undefined;
  if (text.length > MAX_ANNOTATION_BYTES) throw invalid(imageName, key, `larger than ${MAX_ANNOTATION_BYTES} bytes`);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw invalid(imageName, key, `not JSON (${(error as Error).message})`);
  }
}

function invalid(imageName: string, key: string, why: string): RuntimeError {
  return new RuntimeError('INVALID_IMAGE', `image ${imageName}: annotation ${key} is ${why}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringOr(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function stringList(value: unknown): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const list = value.filter((item): item is string => typeof item === 'string');
  return list.length > 0 ? list : undefined;
}

function stringMap(value: unknown): Record<string, string> | undefined {
  if (!isRecord(value)) return undefined;
  const entries = Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string');
  return entries.length > 0 ? Object.fromEntries(entries) : undefined;
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** Go writes a map's keys in sorted order. */
function sortedRecord(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
