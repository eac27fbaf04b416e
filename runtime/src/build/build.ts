/**
 * Executes build plans into the store: one image manifest per platform plan, gathered into one
 * image index named by the tag. COPY/ADD layers are content addressed: a layer's cache key is
 * what it holds (paths, modes, links and the content digests of its sources), so an unchanged
 * rebuild reuses every layer and a changed file rebuilds only the layers that copy it. Equal work
 * on several platforms (a COPY without `${ARCH}`) runs once and the layer is shared.
 * Nothing is named until every platform has finished, so a failed or killed build shows nothing.
 */
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { realpath, rm } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { REDACTED, type CopyOp, type Op, type PlatformPlan, type RunOp, type StagePlan } from '@kubefile/compiler';
import { ImageCollectionError, ImageCollector, placeText, registryLayerEntries } from '../collect/collect.js';
import { COLLECTED_DIRECTORIES, findCollectSources, imageListReferences, isCollectedFile, type ChartInfo, type CollectSources, type ImageListFile } from '../collect/collect-sources.js';
import { normalizedImageName } from '../collect/image-references.js';
import { collectCopyEntries, collectRootEntries, remoteKeyPart, remoteSources, type LayerEntry } from './copy.js';
import { withoutUserinfo, type DownloadLimits } from './download.js';
import { sha256Digest, type Digest } from '../image/digest.js';
import { RuntimeError, throwIfAborted } from '../errors.js';
import { copyCacheKey, FileDigestCache } from './file-digests.js';
import { platformImages, selectPlatform, type PlatformImage } from '../image/image.js';
import { importLayoutImage } from '../archive/archive.js';
import { LayerCache } from '../store/layer-cache.js';
import { writeLayer, type LayerResult } from './layer.js';
import { createMounter, ImageRoot, type MounterName } from './mount.js';
import { normalizeImageName } from '../image/names.js';
import { unpackLayers, WHITEOUT_PREFIX } from './rootfs.js';
import { runCommand, type Isolation, type NetworkMode } from './run.js';
import { pullImage } from '../registry/pull.js';
import { mapLimited } from '../concurrency.js';
import { ANNOTATION, CLUSTER_IMAGE_KEY, MEDIA_TYPE, toOciPlatform, type ClusterImageSpec, type ClusterLayer, type Descriptor, type OciImageConfig, type OciIndex, type OciManifest } from '../image/oci.js';
import type { ImageStore, StoredImage } from '../store/store.js';
import { clusterImage, imageKind } from '../sealer/cluster-spec.js';
import { containerImageList, imageExtension, sealerAnnotations, sealerLabels, sealerPlatform, type SealerImageType } from '../sealer/extension.js';
import { RUNTIME_VERSION } from '../version.js';

export interface BuildOptions {
  store: ImageStore;
  plans: PlatformPlan[];
  /** The build context directory. */
  context: string;
  /** `name[:tag]` the result is stored under. */
  tag: string;
  /** The Kubefile's path as the user should see it, for error locations. */
  kubefile?: string;
  noCache?: boolean;
  /** gzip layers. */
  compress?: boolean;
  /** How many platforms build at once (default: the CPU count). */
  parallel?: number;
  signal?: AbortSignal;
  onEvent?: (event: BuildEvent) => void;
  /** The creation time written into configs (default: now, or SOURCE_DATE_EPOCH). */
  created?: Date;
  /** How RUN steps get their root (default: overlay when this process may mount it, else copy). */
  mounter?: MounterName;
  /**
   * Where RUN runs: on the host in the image root (sealer's way), or chrooted into it. `auto` (the
   * default) follows each stage's `run`: an OS image stage chrooted, a cluster image or scratch stage on the host.
   */
  isolation?: Isolation | 'auto';
  /** RUN's network: the host's (default), or none. */
  network?: NetworkMode;
  /** When FROM pulls its base from a registry: when it is not in the store (default), always, or never. */
  pull?: 'always' | 'missing' | 'never';
  /** false: registries over plain HTTP (`--tls-verify=false`). */
  tlsVerify?: boolean;
  /** More container images to carry in the cluster image (`--image-list FILE`), beside those its files name. */
  imageLists?: ImageListFile[];
  /** Container images not to carry (`--ignore-image-list FILE`). */
  ignoreImageLists?: ImageListFile[];
  /** A container image without the platform being built is left out with a warning instead of failing the build. */
  skipMissingPlatform?: boolean;
  /** sealer's image type (default: the base's, else kube-installer, as `sealer build` defaults). */
  type?: SealerImageType;
  /** Limits of ADD's downloads (size cap, idle timeout, tries, redirects). */
  download?: DownloadLimits;
  /** Platforms built elsewhere (on build nodes, `build --builder`): their manifests join the index in plan order. */
  elsewhere?: PlatformBuild[];
}

/** Some of the plans, built somewhere else into this store (their blobs fetched): resolves with their manifests. */
export interface PlatformBuild {
  plans: PlatformPlan[];
  /** `created`: the build's creation time, for every platform's config. */
  build(signal: AbortSignal, created: string): Promise<{ platform: string; descriptor: Descriptor }[]>;
}

/**
 * Events of a multi-stage build: the steps of a stage other than the target stage carry `stage` (its
 * name, or its index) and the stage's platform, and are emitted once however many plans use the
 * stage. The target stage's steps are the plan's, as in a single-stage build (no `stage`).
 */
export type BuildEvent = (
  | { type: 'start'; platforms: string[]; steps: number[] }
  | { type: 'stage'; stage: string; index: number; platform: string; plans: string[]; base: string; run: Isolation; steps: number }
  | { type: 'step'; platform: string; step: number; total: number; text: string; line: number; stage?: string; run?: Isolation; digest?: string }
  | { type: 'step-bytes'; platform: string; step: number; bytes: number; stage?: string }
  | { type: 'step-output'; platform: string; step: number; line: string; stage?: string }
  | { type: 'warning'; platform: string; message: string }
  | { type: 'step-done'; platform: string; step: number; total: number; cached: boolean; shared: boolean; ms: number; layer?: Digest; stage?: string }
  | { type: 'stage-done'; stage: string; platform: string; ms: number }
  | { type: 'platform-done'; platform: string; manifest: Digest; ms: number }
  /** What went to a build node and came back (`build --builder`): context files sent, blobs received. */
  | { type: 'transfer'; platform: string; node: string; sentFiles: number; sentBytes: number; receivedBlobs: number; receivedBytes: number }
  | { type: 'done'; image: string; digest: Digest; ms: number; cached: number; built: number }
) & {
  /** The build node that ran it (`build --builder`); absent for what ran here. */
  node?: string;
};

export interface BuildResult {
  image: StoredImage;
  /** Per platform, its manifest. */
  manifests: { platform: string; descriptor: Descriptor }[];
  layersBuilt: number;
  layersCached: number;
}

/** What the steps so far have produced on one platform. */
interface ImageState {
  cacheKey: string;
  layers: Descriptor[];
  diffIds: Digest[];
  clusterLayers: ClusterLayer[];
  history: NonNullable<OciImageConfig['history']>;
  base?: PlatformImage;
  /** The base's cluster view (its spec, whether kubefilec or sealer built it). */
  baseSpec?: ClusterImageSpec;
  /** The layers this Kubefile added that may hold what image collection reads (COPY into those directories, RUN). */
  collectable: CollectableLayer[];
  /** The image unpacked for RUN steps, made at the first one and kept to the end. */
  root?: ImageRoot;
}

/** A layer image collection reads, with the step that made it, so a collection error can point at the user's file. */
interface CollectableLayer {
  layer: Descriptor;
  /** The Kubefile line of the step. */
  line: number;
  /** A COPY/ADD from the build context: the context file (absolute) of each collected file it holds, by image path. */
  origins?: ReadonlyMap<string, string>;
  /** A COPY/ADD from the build context: its directories when it holds nothing else image collection reads (see `directoriesOnly`), asked only when the collection runs. */
  directoriesOnly?: () => readonly string[] | undefined;
}

/** A layer as a step made it; a COPY from the build context also says where its collected files came from. */
interface MadeLayer {
  key: string;
  layer: LayerResult;
  cached: boolean;
  origins?: ReadonlyMap<string, string>;
  directoriesOnly?: () => readonly string[] | undefined;
}

/** A stage being built within one plan: a shared stage runs within the first plan that reaches it. */
interface StageRun {
  stage: StagePlan;
  plan: PlatformPlan;
  /** What events call the stage (its name or index); absent for the plan's target stage, whose steps are the plan's. */
  label?: string;
  /** Where its RUN steps run. */
  run: Isolation;
}

/** A finished stage: its image so far (FROM and COPY --from read it), and where its RUN steps ran. */
interface StageResult {
  state: ImageState;
  run: Isolation;
}

/** What COPY --from reads: an image's layers, the key they chain from, and a root already holding some of them. */
interface CopySource {
  cacheKey: string;
  layers: readonly Descriptor[];
  root?: ImageRoot;
}

function emptyState(): ImageState {
  return { cacheKey: 'scratch', layers: [], diffIds: [], clusterLayers: [], history: [], collectable: [] };
}

/** A plan's stages; a plan made without them (by hand, or by an older compiler) is its one stage. */
function planStages(plan: PlatformPlan): StagePlan[] {
  const stages = plan.stages as StagePlan[] | undefined;
  if (stages && stages.length > 0) return stages;
  return [{ id: `plan ${plan.platform}`, index: 0, line: 1, platform: plan.platform, target: plan.target, fixedPlatform: false, base: plan.base, run: 'host', ops: plan.ops, uses: [] }];
}

/** Where the content digests of the build context at `context` (a real path) are remembered. */
export function contextDigestsPath(store: ImageStore, context: string): string {
  return join(store.dir('cache'), 'files', `${createHash('sha256').update(context).digest('hex')}.json`);
}

export async function buildImage(options: BuildOptions): Promise<BuildResult> {
  const started = Date.now();
  const { store, plans, signal } = options;
  const tag = normalizeImageName(options.tag);
  if (plans.length === 0) throw new RuntimeError('UNSUPPORTED', 'nothing to build: no target platform');
  const context = await realpath(options.context);
  const releaseLease = await store.lease();
  const digests = await FileDigestCache.load(contextDigestsPath(store, context));
  // One platform failing stops the others, so no work goes on after the build has failed.
  const failed = new AbortController();
  const stop = signal ? AbortSignal.any([signal, failed.signal]) : failed.signal;
  const builder = new Builder(store, context, digests, { ...options, signal: stop }, await previousImage(store, tag));
  try {
    options.onEvent?.({ type: 'start', platforms: plans.map((plan) => plan.platform), steps: plans.map((plan) => plan.ops.length) });
    const elsewhere = options.elsewhere ?? [];
    const remote = new Set(elsewhere.flatMap((group) => group.plans.map((plan) => plan.platform)));
    const local = plans.filter((plan) => !remote.has(plan.platform));
    // The local plans as one group among the others: the first group to fail stops them all.
    const groups: (() => Promise<{ platform: string; descriptor: Descriptor }[]>)[] = [
      () => mapLimited(local, options.parallel ?? availableParallelism(), (plan) => builder.buildPlatform(plan), () => failed.abort()),
      ...elsewhere.map((group) => () => group.build(stop, builder.created)),
    ];
    const built = (await mapLimited(groups, groups.length, (group) => group(), () => failed.abort())).flat();
    const manifests = plans.map((plan) => {
      const found = built.find((m) => m.platform === plan.platform);
      if (!found) throw new RuntimeError('BUILDER', `no manifest came back for ${plan.platform}`);
      return found;
    });
    throwIfAborted(signal);
    const index: OciIndex = { schemaVersion: 2, mediaType: MEDIA_TYPE.index, manifests: manifests.map((m) => m.descriptor) };
    const descriptor = await store.putJson(index, MEDIA_TYPE.index);
    // Nothing changed: the tag already names this very index, and keeps its creation time.
    const existing = await store.findImage(tag);
    const image = existing?.descriptor.digest === descriptor.digest ? existing : await store.setImage(tag, descriptor, builder.created);
    options.onEvent?.({ type: 'done', image: tag, digest: descriptor.digest, ms: Date.now() - started, cached: builder.cached, built: builder.built });
    return { image, manifests, layersBuilt: builder.built, layersCached: builder.cached };
  } finally {
    await builder.cleanUp().catch(() => undefined);
    await digests.save().catch(() => undefined);
    await releaseLease();
  }
}

class Builder {
  built = 0;
  cached = 0;
  readonly created: string;
  private readonly layerCache: LayerCache;
  /** Layers being made in this build, by what determines them, so equal work on two platforms runs once. */
  private readonly inFlight = new Map<string, Promise<MadeLayer>>();
  private readonly bases = new Map<string, Promise<PlatformImage[]>>();
  /** The stages before the target stages, by `StagePlan.id`: each built once, whichever plan needs it first. */
  private readonly stages = new Map<string, Promise<StageResult>>();
  /** COPY --from sources unpacked, by the source's cache key. */
  private readonly sourceRoots = new Map<string, Promise<ImageRoot>>();
  private unpackedDigests: Promise<FileDigestCache> | undefined;
  private collector: ImageCollector | undefined;

  constructor(
    private readonly store: ImageStore,
    private readonly context: string,
    private readonly digests: FileDigestCache,
    private readonly options: BuildOptions,
    /** What the tag named before this build, per platform: reused as is when the result is the same. */
    private readonly previous: Map<string, PlatformImage>,
  ) {
    this.layerCache = new LayerCache(store);
    this.created = (options.created ?? sourceDateEpoch() ?? new Date()).toISOString();
  }

  async buildPlatform(plan: PlatformPlan): Promise<{ platform: string; descriptor: Descriptor }> {
    const started = Date.now();
    const stages = planStages(plan);
    const target = stages[stages.length - 1];
    // The stages before the target, each built once per build whichever plan reaches it first.
    for (const stage of stages.slice(0, -1)) await this.stageResult(stage, plan);
    const state = emptyState();
    try {
      const at: StageRun = { stage: target, plan, run: await this.runMode(target, plan) };
      await this.buildSteps(at, state);
      const collected = await this.collectImages(plan, state);
      const descriptor = await this.writeManifest(plan, state, collected);
      this.options.onEvent?.({ type: 'platform-done', platform: plan.platform, manifest: descriptor.digest, ms: Date.now() - started });
      return { platform: plan.platform, descriptor };
    } finally {
      await state.root?.remove();
    }
  }

  /** Removes what the stages left (their roots, and the roots COPY --from read). */
  async cleanUp(): Promise<void> {
    const settled = await Promise.allSettled([...this.stages.values(), ...this.sourceRoots.values()]);
    for (const result of settled) {
      if (result.status !== 'fulfilled') continue;
      const root = result.value instanceof ImageRoot ? result.value : result.value.state.root;
      await root?.remove();
    }
  }

  /** A stage's result, built at its first use in this build and shared by every plan that uses it. */
  private stageResult(stage: StagePlan, plan: PlatformPlan): Promise<StageResult> {
    let result = this.stages.get(stage.id);
    if (!result) {
      result = this.buildStage(stage, plan);
      this.stages.set(stage.id, result);
    }
    return result;
  }

  private async buildStage(stage: StagePlan, plan: PlatformPlan): Promise<StageResult> {
    const started = Date.now();
    const label = stage.name ?? String(stage.index);
    const run = await this.runMode(stage, plan);
    const plans = this.options.plans.filter((other) => planStages(other).some((s) => s.id === stage.id)).map((other) => other.platform);
    this.options.onEvent?.({ type: 'stage', stage: label, index: stage.index, platform: stage.platform, plans, base: stage.base, run, steps: stage.ops.length });
    const state = emptyState();
    try {
      await this.buildSteps({ stage, plan, label, run }, state);
    } catch (error) {
      // A finished stage's root is removed with the build's; a failed one's now.
      await state.root?.remove();
      throw error;
    }
    this.options.onEvent?.({ type: 'stage-done', stage: label, platform: stage.platform, ms: Date.now() - started });
    return { state, run };
  }

  /**
   * Where a stage's RUN steps run. `--isolation host|chroot` decides for every stage; otherwise the
   * stage's `run`, and for a stage the compiler could not tell (its base was not in the store), its
   * resolved base: an OS image (a shell, no cluster content) chrooted, anything else on the host.
   */
  private async runMode(stage: StagePlan, plan: PlatformPlan): Promise<Isolation> {
    const chosen = this.options.isolation ?? 'auto';
    if (chosen !== 'auto') return chosen;
    if (stage.run !== 'unknown') return stage.run;
    if (stage.baseStage !== undefined) {
      const base = planStages(plan).find((s) => s.id === stage.baseStage);
      if (base) return (await this.stageResult(base, plan)).run;
    }
    if (stage.base === 'scratch') return 'host';
    try {
      const base = selectPlatform(await this.baseImages(stage.base), stage.platform, stage.base);
      return (await imageKind(this.store, base, stage.base, this.options.signal)) === 'os' ? 'chroot' : 'host';
    } catch (error) {
      // Asked before the steps: a base that cannot be had is still the FROM line's problem.
      const from = stage.ops.find((op) => op.kind === 'from');
      throw from ? this.located(error, from) : error;
    }
  }

  private async buildSteps(at: StageRun, state: ImageState): Promise<void> {
    const { signal, onEvent } = this.options;
    const { stage, plan } = at;
    const total = stage.ops.length;
    const where = at.label === undefined ? {} : { stage: at.label };
    for (const [i, op] of stage.ops.entries()) {
      throwIfAborted(signal);
      const step = i + 1;
      const stepStarted = Date.now();
      onEvent?.({ type: 'step', platform: stage.platform, step, total, text: describeOp(op, plan.config.secretArgs), line: op.line, ...(at.label === undefined ? {} : { stage: at.label, digest: op.digest }), ...(at.label !== undefined || (op.kind === 'run' && at.run === 'chroot') ? { run: at.run } : {}) });
      let cached = true;
      let shared = false;
      let layer: Digest | undefined;
      try {
        if (op.kind === 'from') {
          await this.applyBase(at, op, state);
          cached = false;
        } else if (op.kind === 'copy' || op.kind === 'add') {
          const made = op.from ? await this.copyFromLayer(at, op, step, state) : await this.copyLayer(at, op, step, state);
          cached = made.cached;
          shared = made.shared;
          layer = made.layer.descriptor.digest;
        } else if (op.kind === 'run') {
          const made = await this.runLayer(at, op, step, state);
          cached = made.cached;
          shared = made.shared;
          layer = made.layer.descriptor.digest;
        } else {
          state.history.push({ created: this.created, created_by: describeOp(op, plan.config.secretArgs), empty_layer: true });
          state.cacheKey = chainKey(state.cacheKey, op.digest);
          cached = false;
        }
      } catch (error) {
        throw this.located(error, op);
      }
      onEvent?.({ type: 'step-done', platform: stage.platform, step, total, cached, shared, ms: Date.now() - stepStarted, ...(layer ? { layer } : {}), ...where });
    }
  }

  private async applyBase(at: StageRun, op: Extract<Op, { kind: 'from' }>, state: ImageState): Promise<void> {
    const baseStage = op.stage ?? at.stage.baseStage;
    if (baseStage !== undefined) {
      // FROM a stage: its image so far, as a base image's would be (its root stays its own).
      const source = planStages(at.plan).find((s) => s.id === baseStage);
      if (!source) throw new RuntimeError('UNSUPPORTED', `FROM ${op.image}: the plan has no stage ${baseStage}`);
      const { state: from } = await this.stageResult(source, at.plan);
      Object.assign(state, {
        cacheKey: from.cacheKey,
        layers: [...from.layers],
        diffIds: [...from.diffIds],
        clusterLayers: [...from.clusterLayers],
        history: [...from.history],
        collectable: [...from.collectable],
        ...(from.base ? { base: from.base } : {}),
        ...(from.baseSpec ? { baseSpec: from.baseSpec } : {}),
      });
      return;
    }
    const image = op.image;
    if (image === 'scratch') return;
    const base = selectPlatform(await this.baseImages(image), at.stage.platform, image);
    state.base = base;
    state.cacheKey = base.descriptor.digest;
    state.layers.push(...base.manifest.layers);
    state.diffIds.push(...base.config.rootfs.diff_ids);
    state.baseSpec = clusterImage(base, image).spec;
    const layers = state.baseSpec.layers;
    state.clusterLayers.push(...base.config.rootfs.diff_ids.map((_, i) => layers[i] ?? { type: 'BASE', value: image }));
    state.history.push(...(base.config.history ?? []));
  }

  /** The base's platform images; one lookup or import per build, shared by every platform. */
  private baseImages(image: string): Promise<PlatformImage[]> {
    let found = this.bases.get(image);
    if (!found) {
      found = this.resolveBase(image);
      this.bases.set(image, found);
    }
    return found;
  }

  private async resolveBase(image: string): Promise<PlatformImage[]> {
    const { store } = this;
    if (image.startsWith('oci-archive:')) {
      const path = this.contextPath(image.slice('oci-archive:'.length));
      return platformImages(store, await importLayoutImage(store, { archive: path }, undefined, { signal: this.options.signal }));
    }
    if (image.startsWith('oci:')) {
      const [dir, reference] = splitLayoutReference(image.slice('oci:'.length));
      return platformImages(store, await importLayoutImage(store, { dir: this.contextPath(dir) }, reference, { signal: this.options.signal }));
    }
    const policy = this.options.pull ?? 'missing';
    const stored = policy === 'always' ? undefined : await store.findImage(image);
    if (stored) return platformImages(store, stored.descriptor);
    if (policy === 'never') {
      throw new RuntimeError('BASE_UNAVAILABLE', `base image ${image} is not in the store, and --pull never forbids pulling it: pull it (\`kubefilec pull ${image}\`), load it (\`kubefilec load -i FILE\`), or use FROM oci-archive:PATH or FROM oci:DIR[:TAG]`);
    }
    // Only the platforms being built (the plans', their stages' and those COPY --from takes): a cluster image base is large.
    const pulled = await pullImage(store, image, {
      platforms: this.pullPlatforms(),
      ...(this.options.tlsVerify === false ? { tlsVerify: false } : {}),
      ...(this.options.signal ? { signal: this.options.signal } : {}),
    }).catch((error: unknown) => {
      if (error instanceof RuntimeError && error.code !== 'INTERRUPTED') throw new RuntimeError(error.code, `base image ${image} is not in the store; pulling it: ${error.message}`);
      throw error;
    });
    return platformImages(store, pulled.image.descriptor);
  }

  private pullPlatforms(): string[] {
    const platforms = new Set<string>();
    for (const plan of this.options.plans) {
      platforms.add(plan.platform);
      for (const stage of planStages(plan)) {
        platforms.add(stage.platform);
        for (const op of stage.ops) if ((op.kind === 'copy' || op.kind === 'add') && op.from && 'image' in op.from) platforms.add(op.from.platform);
      }
    }
    return [...platforms];
  }

  private contextPath(path: string): string {
    return isAbsolute(path) ? path : resolve(this.context, path);
  }

  /** Emits a step's byte count or output line, with its stage when it is not the target stage. */
  private stepEvent(at: StageRun, step: number, event: { type: 'step-bytes'; bytes: number } | { type: 'step-output'; line: string }): void {
    const where = { platform: at.stage.platform, step, ...(at.label === undefined ? {} : { stage: at.label }) };
    this.options.onEvent?.(event.type === 'step-bytes' ? { ...where, type: 'step-bytes', bytes: event.bytes } : { ...where, type: 'step-output', line: event.line });
  }

  private async copyLayer(at: StageRun, op: CopyOp, step: number, state: ImageState): Promise<{ layer: LayerResult; cached: boolean; shared: boolean }> {
    const { signal } = this.options;
    // A COPY layer holds its sources and nothing of the layers below it, so the same context
    // paths copied the same way give the same layer on every platform and after any base: within
    // one build it is made once (the context is read once too) and shared.
    // An ADD's URLs are downloaded once for all platforms, into a directory removed once the layer is written.
    const urls = remoteSources(op);
    const workKey = JSON.stringify([op.kind, op.matches, op.dest, op.destIsDirectory, op.chmod ?? null, ...(urls.length > 0 ? [urls] : [])]);
    let work = this.inFlight.get(workKey);
    const shared = work !== undefined;
    if (!work) {
      const onBytes = (bytes: number): void => this.stepEvent(at, step, { type: 'step-bytes', bytes });
      const tempDir = urls.length > 0 ? this.store.tempPath('.add') : this.store.dir('tmp');
      const download = this.options.download;
      // The entries are listed even when the layer is cached, so the origins are always known.
      work = collectCopyEntries(this.context, op, { signal, tempDir, onBytes, ...(download ? { download } : {}) }).then(async (entries) => ({
        ...(await this.makeCopyLayer(entries, onBytes, remoteKeyPart(op))),
        origins: this.contextOrigins(entries),
        directoriesOnly: () => directoriesOnly(entries),
      }));
      if (urls.length > 0) work = work.finally(() => rm(tempDir, { recursive: true, force: true }).catch(() => undefined));
      this.inFlight.set(workKey, work);
      work.then((made) => (made.cached ? this.cached++ : this.built++), () => undefined);
    }
    const made = await work;
    this.addCopyLayer(op, state, made);
    return { layer: made.layer, cached: made.cached, shared };
  }

  /** The context files among `entries` that image collection would read, by their path in the image. */
  private contextOrigins(entries: readonly LayerEntry[]): ReadonlyMap<string, string> {
    const origins = new Map<string, string>();
    for (const entry of entries) {
      if (entry.type !== 'file' || !entry.listed || entry.source === undefined || !entry.source.startsWith(this.context + sep)) continue;
      if (COLLECTED_DIRECTORIES.some((dir) => entry.path.startsWith(`${dir}/`)) && isCollectedFile(entry.path)) origins.set(entry.path, entry.source);
    }
    return origins;
  }

  private addCopyLayer(op: CopyOp, state: ImageState, made: MadeLayer): void {
    // The chain of what the image holds so far, for steps whose result depends on it (RUN).
    state.cacheKey = chainKey(state.cacheKey, made.key);
    state.layers.push(made.layer.descriptor);
    state.diffIds.push(made.layer.diffId);
    if (mayHoldCollected(op.dest)) state.collectable.push({ layer: made.layer.descriptor, line: op.line, ...(made.origins ? { origins: made.origins } : {}), ...(made.directoriesOnly ? { directoriesOnly: made.directoriesOnly } : {}) });
    const value = `${op.from ? `--from=${'stage' in op.from ? op.from.name : op.from.image} ` : ''}${op.sources.map(withoutUserinfo).join(' ')} ${op.dest || '.'}`;
    state.clusterLayers.push({ type: op.kind.toUpperCase(), value });
    state.history.push({ created: this.created, created_by: `${op.kind.toUpperCase()} ${value}` });
  }

  /**
   * COPY --from a stage or an image: its sources are paths in that image's root. The layer's key
   * chains the source image's key with the op, so a rebuild finds it without unpacking anything;
   * plans copying the same thing from the same source at once make it once.
   */
  private async copyFromLayer(at: StageRun, op: CopyOp, step: number, state: ImageState): Promise<{ layer: LayerResult; cached: boolean; shared: boolean }> {
    const from = op.from!;
    const source = await this.copySource(at, from);
    const key = chainKey(source.cacheKey, `copy-from/1 ${JSON.stringify([op.kind, op.sources, op.dest, op.destIsDirectory, op.chmod ?? null])}`);
    let work = this.inFlight.get(key);
    const shared = work !== undefined;
    if (!work) {
      work = this.makeCopyFromLayer(key, op, source, (bytes) => this.stepEvent(at, step, { type: 'step-bytes', bytes }));
      this.inFlight.set(key, work);
      work.then((made) => (made.cached ? this.cached++ : this.built++), () => undefined);
    }
    const made = await work;
    this.addCopyLayer(op, state, made);
    return { layer: made.layer, cached: made.cached, shared };
  }

  private async makeCopyFromLayer(key: string, op: CopyOp, source: CopySource, onBytes: (bytes: number) => void): Promise<MadeLayer> {
    const hit = this.options.noCache ? undefined : await this.layerCache.get(this.storedKey(key));
    if (hit) return { key, layer: hit, cached: true };
    const root = await this.sourceRoot(source);
    const entries = await collectRootEntries(root.dir, op, this.options.signal);
    // The unpacked files are temporary: their digests go to a cache that is never saved.
    this.unpackedDigests ??= FileDigestCache.load(this.store.tempPath('.digests'));
    const layer = await writeLayer(this.store, entries, { compress: this.options.compress, digests: await this.unpackedDigests, signal: this.options.signal, onBytes });
    await this.layerCache.put(this.storedKey(key), layer);
    return { key, layer, cached: false };
  }

  /** What COPY --from reads: a stage's result, or the image's variant for `from.platform` (PLATFORM_NOT_FOUND without one). */
  private async copySource(at: StageRun, from: NonNullable<CopyOp['from']>): Promise<CopySource> {
    if ('stage' in from) {
      const stage = planStages(at.plan).find((s) => s.id === from.stage);
      if (!stage) throw new RuntimeError('UNSUPPORTED', `COPY --from=${from.name}: the plan has no stage ${from.stage}`);
      const { state } = await this.stageResult(stage, at.plan);
      return { cacheKey: state.cacheKey, layers: state.layers, ...(state.root ? { root: state.root } : {}) };
    }
    const image = selectPlatform(await this.baseImages(from.image), from.platform, from.image);
    return { cacheKey: image.descriptor.digest, layers: image.manifest.layers };
  }

  /** The source unpacked, once per build (a stage's own root brought up to its last layer when it has one). */
  private sourceRoot(source: CopySource): Promise<ImageRoot> {
    let root = this.sourceRoots.get(source.cacheKey);
    if (!root) {
      const made = source.root ?? new ImageRoot(this.store);
      root = made.update(this.store, source.layers, this.options.signal).then(() => made);
      this.sourceRoots.set(source.cacheKey, root);
    }
    return root;
  }

  /**
   * A RUN step: its layer is what the command changes in the image so far. Its cache key chains
   * the image so far with the op (command, environment-defining ops, platform), as Docker's does.
   * Plans that reach the same key at once run it once.
   */
  private async runLayer(at: StageRun, op: RunOp, step: number, state: ImageState): Promise<{ layer: LayerResult; cached: boolean; shared: boolean }> {
    const isolation = at.run;
    const network = this.options.network ?? 'host';
    // Where and how it runs can change what a command writes.
    const key = chainKey(state.cacheKey, `run-layer/2 ${isolation} ${network} ${op.digest}`);
    let work = this.inFlight.get(key);
    const shared = work !== undefined;
    if (!work) {
      work = this.makeRunLayer(at, op, step, state, key, isolation, network);
      this.inFlight.set(key, work);
      work.then((made) => (made.cached ? this.cached++ : this.built++), () => undefined);
    }
    const { layer, cached } = await work;
    state.cacheKey = key;
    state.layers.push(layer.descriptor);
    state.diffIds.push(layer.diffId);
    state.collectable.push({ layer: layer.descriptor, line: op.line });
    state.clusterLayers.push({ type: 'RUN', value: op.preview });
    state.history.push({ created: this.created, created_by: `RUN ${op.preview}` });
    return { layer, cached, shared };
  }

  private async makeRunLayer(at: StageRun, op: RunOp, step: number, state: ImageState, key: string, isolation: Isolation, network: NetworkMode): Promise<{ key: string; layer: LayerResult; cached: boolean }> {
    const { signal } = this.options;
    const hit = this.options.noCache ? undefined : await this.layerCache.get(this.storedKey(key));
    if (hit) return { key, layer: hit, cached: true };
    if (isolation === 'chroot' && (this.options.isolation ?? 'auto') === 'auto' && process.getuid?.() !== 0) {
      throw new RuntimeError('UNSUPPORTED', `RUN in OS image stage '${at.label ?? at.stage.name ?? at.stage.index}' needs root: it runs chrooted in the image (or pass --isolation host to run it on this host, as sealer does)`);
    }
    state.root ??= new ImageRoot(this.store);
    const root = await (await createMounter(this.store, this.options.mounter)).prepare(this.store, state.root, state.layers, signal);
    let layer: LayerResult;
    try {
      await runCommand(op, {
        root: root.path,
        scratch: root.scratch,
        platform: at.stage.platform,
        architecture: at.stage.target.architecture,
        isolation,
        network,
        signal,
        onOutput: (line) => this.stepEvent(at, step, { type: 'step-output', line }),
      });
      layer = await writeLayer(this.store, await root.changes(), { compress: this.options.compress, digests: this.digests, signal });
      await root.commit(layer.descriptor);
    } finally {
      await root.release();
    }
    await this.layerCache.put(this.storedKey(key), layer);
    return { key, layer, cached: false };
  }

  /**
   * The layer for `entries`, from the cache when their content was seen before. The key is the
   * entries' paths, types, modes, link targets and file content digests (not mtimes, as BuildKit's
   * content hashes): a changed file rebuilds only the layers that copy it.
   */
  private async makeCopyLayer(entries: LayerEntry[], onBytes: (bytes: number) => void, keyPart = ''): Promise<{ key: string; layer: LayerResult; cached: boolean }> {
    const known = copyCacheKey('', COPY_LAYER_KEY + keyPart, entries, this.digests);
    if (known !== undefined && !this.options.noCache) {
      const hit = await this.layerCache.get(this.storedKey(known));
      if (hit) return { key: known, layer: hit, cached: true };
    }
    const layer = await writeLayer(this.store, entries, { compress: this.options.compress, digests: this.digests, signal: this.options.signal, onBytes });
    const key = copyCacheKey('', COPY_LAYER_KEY + keyPart, entries, this.digests);
    if (key === undefined) throw new Error('source digests missing after writing the layer');
    await this.layerCache.put(this.storedKey(key), layer);
    return { key, layer, cached: false };
  }

  /** Compressed and plain layers of the same content are different blobs. */
  private storedKey(key: string): string {
    return this.options.compress ? chainKey(key, 'gzip') : key;
  }

  /**
   * After the instructions: the container images that the image's own manifests, charts and image
   * archives (in the layers this Kubefile added; a base carries its own) and `--image-list` name,
   * stored for the platform in `registry/` as one more layer. Cached like a RUN: the same image so
   * far and the same lists reuse the layer without asking any registry (`--no-cache` or
   * `--pull always` collect again).
   */
  private async collectImages(plan: PlatformPlan, state: ImageState): Promise<CollectionSummary> {
    const { signal, onEvent } = this.options;
    const lists = this.options.imageLists ?? [];
    const ignore = (this.options.ignoreImageLists ?? []).flatMap((list) => imageListReferences(list).map((found) => found.reference));
    const key = chainKey(state.cacheKey, `collect/2 ${JSON.stringify([plan.platform, lists.map((l) => l.text), ignore, this.options.skipMissingPlatform === true, this.options.pull === 'never'])}`);
    const step = plan.ops.length + 1;
    const reuse = this.options.noCache || this.options.pull === 'always' ? undefined : await this.layerCache.getEntry<CollectionSummary>(this.storedKey(key));
    if (reuse?.meta) {
      if (reuse.layer) {
        const names = reuse.meta.images.map((image) => image.name ?? normalizedImageName(image.reference));
        onEvent?.({ type: 'step', platform: plan.platform, step, total: step, text: `collect container images: ${listed(names)} (${count(names.length, 'image')})`, line: 0 });
        this.addCollectedLayer(state, reuse.layer, reuse.meta);
        this.cached++;
        onEvent?.({ type: 'step-done', platform: plan.platform, step, total: step, cached: true, shared: false, ms: 0, layer: reuse.layer.descriptor.digest });
      }
      return reuse.meta;
    }
    const work = this.store.tempPath('.collect');
    try {
      // Only the layers that may hold those directories: a build context's bulk is read once, by its COPY.
      // One at a time, to know which layer (step) left each file, for errors.
      const writers = new Map<string, CollectableLayer>();
      for (const made of state.collectable) {
        // A layer of directories only changes nothing the collection reads, unless one of them
        // replaces a file a layer below left: reading it through (a gigabyte of data files, say) would find nothing.
        if (made.directoriesOnly?.()?.every((path) => !writers.has(path))) continue;
        const keep = (path: string): boolean => isCollectedFile(path) && (writers.set(path, made), true);
        await unpackLayers(this.store, [made.layer], join(work, 'image'), signal, COLLECTED_DIRECTORIES, keep);
      }
      const collector = (this.collector ??= new ImageCollector(this.store, {
        ...(this.options.pull ? { pull: this.options.pull } : {}),
        ...(this.options.tlsVerify === false ? { tlsVerify: false } : {}),
        ...(this.options.skipMissingPlatform ? { skipMissingPlatform: true } : {}),
        ...(signal ? { signal } : {}),
        ignore,
      }));
      const sources = collector.wanted(await findCollectSources(join(work, 'image'), lists, signal));
      try {
        return await this.collectSources(plan, state, collector, sources, key, work);
      } catch (error) {
        throw this.collectionError(error, writers);
      }
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }

  /** The images of `sources` fetched and written as the platform's registry layer (none when there are none), and the cache entry saying so. */
  private async collectSources(plan: PlatformPlan, state: ImageState, collector: ImageCollector, sources: CollectSources, key: string, work: string): Promise<CollectionSummary> {
    const { signal, onEvent } = this.options;
    const started = Date.now();
    const step = plan.ops.length + 1;
    const summary: CollectionSummary = { images: [], charts: sources.charts };
    let layer: LayerResult | undefined;
    if (sources.images.length + sources.archives.length > 0) {
      const names = [...sources.images.map((image) => normalizedImageName(image.reference)), ...sources.archives.map((archive) => archive.path)];
      const counts = `${sources.images.length} named${sources.archives.length > 0 ? `, ${count(sources.archives.length, 'archive')}` : ''}`;
      onEvent?.({ type: 'step', platform: plan.platform, step, total: step, text: `collect container images: ${listed(names)} (${counts})`, line: 0 });
      const collected = await collector.collect(plan.platform, sources, {
        onOutput: (line) => onEvent?.({ type: 'step-output', platform: plan.platform, step, line }),
        onWarning: (message) => onEvent?.({ type: 'warning', platform: plan.platform, message }),
        onBytes: (bytes) => onEvent?.({ type: 'step-bytes', platform: plan.platform, step, bytes }),
      });
      summary.images = collected.images.map(({ reference, name, appName, digest, sources: where }) => ({ reference, name, ...(appName !== undefined ? { appName } : {}), digest, sources: where }));
      if (collected.images.length > 0) {
        const entries = await registryLayerEntries(this.store, collected, join(work, 'links'));
        // The layer is written while the blobs download, each taken as it lands.
        layer = await writeLayer(this.store, entries, { compress: this.options.compress, digests: this.digests, signal });
        await collected.finished;
        this.addCollectedLayer(state, layer, summary);
        this.built++;
      }
      onEvent?.({ type: 'step-done', platform: plan.platform, step, total: step, cached: false, shared: false, ms: Date.now() - started, ...(layer ? { layer: layer.descriptor.digest } : {}) });
    }
    await this.layerCache.put(this.storedKey(key), layer, summary);
    return summary;
  }

  /**
   * A collection error about a file in the image, at the user's file it came from: the build
   * context file a COPY brought there, else the Kubefile line of the step that made it; an
   * `--image-list` file's line. The message still names the path in the image.
   */
  private collectionError(error: unknown, writers: ReadonlyMap<string, CollectableLayer>): unknown {
    if (!(error instanceof ImageCollectionError) || !error.place) return error;
    const { place, code } = error;
    const hint = error.hint ? `; ${error.hint}` : '';
    if (place.in === 'list') return new RuntimeError(code, `${error.reason} (named by the --image-list file)${hint}`, { file: place.path, line: place.line ?? 1, column: 1 });
    // A part of a packaged chart (`charts/app.tgz!app/values.yaml`): the archive is the file copied.
    const file = place.path.split('!')[0]!;
    const message = `${error.reason} (${error.reference === undefined ? 'in' : 'named by'} ${placeText(place)} in the image)${hint}`;
    const made = writers.get(file);
    const origin = made?.origins?.get(file);
    if (origin) return new RuntimeError(code, message, { file: join(this.options.context, relative(this.context, origin)), line: file === place.path ? (place.line ?? 1) : 1, column: 1 });
    if (made && this.options.kubefile) return new RuntimeError(code, message, { file: this.options.kubefile, line: made.line, column: 1 });
    return error;
  }

  private addCollectedLayer(state: ImageState, layer: LayerResult, summary: CollectionSummary): void {
    state.layers.push(layer.descriptor);
    state.diffIds.push(layer.diffId);
    const value = summary.images.map((image) => image.reference).join(' ');
    state.clusterLayers.push({ type: 'IMAGES', value });
    state.history.push({ created: this.created, created_by: `collect container images: ${value}` });
  }

  private async writeManifest(plan: PlatformPlan, state: ImageState, collected: CollectionSummary): Promise<Descriptor> {
    const { store } = this;
    const base = state.base?.config;
    const baseSpec = state.baseSpec;
    const parentCmds = baseSpec?.cmds ?? [];
    const cmds = [...parentCmds, ...plan.config.cmds];
    const spec: ClusterImageSpec = {
      cmds,
      parentCmds: parentCmds.length,
      // ARGs named like secrets (KF2018) are kept as ***.
      args: redactArgs({ ...baseSpec?.args, ...plan.config.args }, plan.config.secretArgs),
      layers: state.clusterLayers,
    };
    // The base's applications, changed by this Kubefile's APPCMDS/APPENV; an APP of the same name replaces one.
    const changes = new Map((plan.config.baseApps ?? []).map((change) => [change.name, change]));
    const inherited = (baseSpec?.apps ?? []).map((app) => {
      const change = changes.get(app.name);
      if (!change) return { ...app };
      return { ...app, ...(change.cmds ? { cmds: change.cmds } : {}), ...(change.env ? { env: { ...app.env, ...change.env } } : {}) };
    });
    const apps = mergeBy([...inherited, ...plan.config.apps.map((app) => ({ ...app }))], (app) => app.name);
    if (apps.length > 0) spec.apps = apps;
    const images = mergeBy([...(baseSpec?.images ?? []), ...collected.images], (image) => image.reference);
    if (images.length > 0) spec.images = images;
    const charts = mergeBy([...(baseSpec?.charts ?? []), ...collected.charts], (chart) => chart.path);
    if (charts.length > 0) spec.charts = charts;
    const launch = plan.config.launch ?? baseSpec?.launch;
    if (launch) spec.launch = launch;
    const kubeVersion = plan.config.kubeVersion ?? baseSpec?.kubeVersion;
    if (kubeVersion) spec.kubeVersion = kubeVersion;
    const maintainer = plan.config.maintainer ?? baseSpec?.maintainer;
    if (maintainer) spec.maintainer = maintainer;
    spec.type = this.options.type ?? baseSpec?.type ?? 'kube-installer';
    const env = { ...baseSpec?.env, ...plan.config.env };
    if (Object.keys(env).length > 0) spec.env = env;
    const labels = { ...base?.config?.Labels, ...sealerLabels(spec), ...plan.config.labels };
    const config: OciImageConfig = {
      created: this.created,
      ...(maintainer ? { author: maintainer } : {}),
      ...toOciPlatform(plan.target),
      config: {
        Env: mergeEnv(base?.config?.Env ?? [], plan.config.env),
        Cmd: cmds,
        ...(Object.keys(labels).length > 0 ? { Labels: labels } : {}),
      },
      rootfs: { type: 'layers', diff_ids: state.diffIds },
      history: state.history,
      [CLUSTER_IMAGE_KEY]: spec,
    };
    // The same image as before but for its timestamps: keep the old config, so a no-change rebuild
    // gives the same digests (as Docker's cache does) and writes nothing.
    const previous = this.previous.get(plan.platform);
    const same = previous !== undefined && withoutTimes(previous.config) === withoutTimes(config);
    const configText = same ? '' : JSON.stringify(config);
    const configDescriptor: Descriptor = same ? previous.manifest.config : { mediaType: MEDIA_TYPE.config, digest: sha256Digest(configText), size: Buffer.byteLength(configText) };
    const clusterfile = plan.config.clusterfile ?? state.base?.manifest.annotations?.[ANNOTATION.clusterFile];
    const extension = imageExtension(spec, { type: spec.type, env, client: `kubefilec-${RUNTIME_VERSION}` });
    const containerImages = containerImageList(images, sealerPlatform(toOciPlatform(plan.target)));
    const manifest: OciManifest = {
      schemaVersion: 2,
      mediaType: MEDIA_TYPE.manifest,
      config: configDescriptor,
      layers: state.layers,
      annotations: {
        ...(clusterfile !== undefined ? { [ANNOTATION.clusterFile]: clusterfile } : {}),
        ...sealerAnnotations(extension, containerImages),
      },
    };
    // Both digests are known up front, so the two small writes (each synced) go on together.
    const [, descriptor] = await Promise.all([same ? undefined : store.writeBlob(configText, configDescriptor), store.putJson(manifest, MEDIA_TYPE.manifest, { platform: toOciPlatform(plan.target) })]);
    return descriptor;
  }

  /** Errors from a step point at its Kubefile line. */
  private located(error: unknown, op: Op): unknown {
    if (error instanceof RuntimeError && !error.location && this.options.kubefile && error.code !== 'INTERRUPTED') {
      return new RuntimeError(error.code, error.message, { file: this.options.kubefile, line: op.line, column: 1 });
    }
    return error;
  }
}

/** The platforms of the image `tag` names now, if any (a broken one counts as none). */
async function previousImage(store: ImageStore, tag: string): Promise<Map<string, PlatformImage>> {
  const byPlatform = new Map<string, PlatformImage>();
  try {
    const stored = await store.findImage(tag);
    if (stored) for (const image of await platformImages(store, stored.descriptor)) byPlatform.set(image.key, image);
  } catch {
    // Unreadable: build as if it were not there.
  }
  return byPlatform;
}

/** A config as JSON without its creation times, to tell whether two builds made the same image. */
function withoutTimes(config: OciImageConfig): string {
  return JSON.stringify({ ...config, created: undefined, history: config.history?.map((entry) => ({ ...entry, created: undefined })) });
}

/** `[DIR, TAG]` of `oci:DIR[:TAG]`; a colon inside DIR's last component starts the tag. */
export function splitLayoutReference(text: string): [string, string | undefined] {
  const colon = text.indexOf(':', text.lastIndexOf('/') + 1);
  return colon === -1 ? [text, undefined] : [text.slice(0, colon), text.slice(colon + 1) || undefined];
}

/** Versions the COPY layer key: change it when the layer format changes, so old cache entries miss. */
const COPY_LAYER_KEY = 'copy-layer/1';

/** What image collection recorded for the config: the images carried, and the charts seen. */
interface CollectionSummary {
  images: NonNullable<ClusterImageSpec['images']>;
  charts: ChartInfo[];
}

/** COLLECTED_DIRECTORIES are top-level directories: an image path's first component tells. */
const COLLECTED_TOP_DIRECTORIES: ReadonlySet<string> = new Set(COLLECTED_DIRECTORIES);

/**
 * When `entries` hold nothing image collection reads but directories in its directories (no file
 * it reads, no whiteout, nothing under `application/`, whose bare directories make applications),
 * those directories; otherwise undefined: the layer must be unpacked for the collection.
 */
function directoriesOnly(entries: readonly LayerEntry[]): string[] | undefined {
  const directories: string[] = [];
  for (const { path, type } of entries) {
    if (path.startsWith(WHITEOUT_PREFIX, path.lastIndexOf('/') + 1)) return undefined;
    const slash = path.indexOf('/');
    const top = slash === -1 ? path : path.slice(0, slash);
    if (!COLLECTED_TOP_DIRECTORIES.has(top)) continue;
    if (type === 'directory') {
      if (top === 'application') return undefined;
      directories.push(path);
    } else if (isCollectedFile(path)) {
      return undefined;
    }
  }
  return directories;
}

/** Whether a COPY to `dest` may put files into the directories image collection reads. */
function mayHoldCollected(dest: string): boolean {
  return dest === '' || COLLECTED_DIRECTORIES.some((dir) => dest === dir || dest.startsWith(`${dir}/`));
}

/** At most five of `names`, then how many more. */
function listed(names: readonly string[]): string {
  const shown = names.slice(0, 5).join(', ');
  return names.length > 5 ? `${shown} and ${names.length - 5} more` : shown;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** Later items replace earlier ones with the same key, in the earlier one's place. */
function mergeBy<T>(items: readonly T[], key: (item: T) => string): T[] {
  const byKey = new Map<string, T>();
  for (const item of items) byKey.set(key(item), item);
  return [...byKey.values()];
}

function chainKey(parent: string, part: string): string {
  return createHash('sha256').update(`${parent}\n${part}`).digest('hex');
}

function mergeEnv(base: readonly string[], env: Record<string, string>): string[] {
  const merged = new Map<string, string>();
  for (const pair of base) {
    const eq = pair.indexOf('=');
    if (eq > 0) merged.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  for (const [name, value] of Object.entries(env)) merged.set(name, value);
  return [...merged].map(([name, value]) => `${name}=${value}`);
}

function sourceDateEpoch(): Date | undefined {
  const value = process.env.SOURCE_DATE_EPOCH;
  return value && /^\d+$/.test(value) ? new Date(Number(value) * 1000) : undefined;
}

/** `args` with the values of `secret` names replaced by `***`. */
function redactArgs<V extends string | null>(args: Record<string, V>, secret: readonly string[] = []): Record<string, V | string> {
  if (secret.length === 0) return args;
  const out: Record<string, V | string> = {};
  for (const [name, value] of Object.entries(args)) out[name] = value !== null && secret.includes(name) ? REDACTED : value;
  return out;
}

/** How a step is shown: the instruction with its expanded values (the values of `secretArgs` as `***`). */
export function describeOp(op: Op, secretArgs?: readonly string[]): string {
  switch (op.kind) {
    case 'from':
      return `FROM ${op.image}`;
    case 'copy':
    case 'add':
      // A URL's user and password are never shown.
      return `${op.kind.toUpperCase()} ${op.sources.map(withoutUserinfo).join(' ')} ${op.dest || '.'}${op.destIsDirectory && op.dest ? '/' : ''}`;
    case 'run':
      return `RUN ${op.preview}`;
    case 'cmd':
      return `CMD ${op.preview}`;
    case 'env':
      return `ENV ${pairs(op.env)}`;
    case 'label':
      return `LABEL ${pairs(op.labels)}`;
    case 'arg':
      return `ARG ${Object.entries(redactArgs(op.args, secretArgs)).map(([k, v]) => (v === null ? k : `${k}=${v}`)).join(' ')}`;
    case 'app':
      return `${op.type} ${op.name} ${op.sources.join(' ')}`;
    case 'appcmds':
      return `APPCMDS ${op.app} ${JSON.stringify(op.command)}`;
    case 'appenv':
      return `APPENV ${op.app} ${pairs(op.env)}`;
    case 'launch':
      return `LAUNCH ${JSON.stringify(op.apps)}`;
    case 'cmds':
      return `CMDS ${JSON.stringify(op.commands)}`;
    case 'kubeversion':
      return `KUBEVERSION ${op.constraint}`;
    case 'maintainer':
      return `MAINTAINER ${op.maintainer}`;
  }
}

function pairs(record: Record<string, string>): string {
  return Object.entries(record).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ');
}

