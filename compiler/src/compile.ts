/**
 * The compile phase: one Kubefile → one `PlatformPlan` per target platform. For each platform it
 * walks the instructions once with a `VariableScope`, expands the words the compiler owns (FROM,
 * COPY/ADD, ENV, LABEL, APP sources), resolves context sources through the injected
 * `BuildContext`, checks special destinations, and emits ops. Diagnostics found on every platform
 * are reported once; those found on some only name the platforms.
 */
import {
  closestMatch,
  createDiagnostic,
  isInstruction,
  parse,
  sortDiagnostics,
  startOffsetOf,
  endOffsetOf,
  subRange,
  type ParseResult,
  type Diagnostic,
  type DiagnosticCode,
  type CommandInstruction,
  type DiagnosticFilter,
  type EscapeChar,
  type Fix,
  type Flag,
  type Instruction,
  type Kubefile,
  type LineMap,
  type NameValue,
  type Range,
  type Word,
} from '@kubefile/grammar';
import { checkChart, checkManifest, checkPluginFile, elfArchitecture, imageArchiveFormat, type ArtifactProblem } from './artifacts.js';
import { APP_ROOT, sealerApplication, type AppSource } from './applications.js';
import { execFormCommands } from './cmd.js';
import { check } from './check.js';
import { applyRuleControl } from './rules.js';
import type { Check } from './check.js';
import type { BuildContext } from './context.js';
import { expandWord, variableNamesIn } from './expand.js';
import { isSecretName, REDACTED } from './secrets.js';
import { digestOps, stageId, type AppOp, type Application, type BaseApplicationChange, type Sha256Hex, type RunOp, type CopyOp, type FromOp, type ImageConfig, type Op, type OpDraft, type PlatformPlan, type StagePlan, type StageRun } from './plan.js';
import { canRunOnLinux, DEFAULT_PLATFORM, formatPlatform, parsePlatform, platformProblem, platformVariables, samePlatform, sealerArch, type Platform } from './platform.js';
import { imageReferenceError, imageReferenceParts } from './reference.js';
import { environmentOf, VariableScope, withValuesOf, type Assignment, type ScopeState } from './scope.js';
import { filesUnder, followLinks, hasWildcard, normalizeContextPath, normalizeDestination, normalizeImagePath, resolveSource, sourceKind, type Destination } from './sources.js';
import { reachableStages, resolveFrom, stageTable, targetStage, type StageInfo, type StageTable } from './stages.js';
import { utf8Decode } from './text.js';

export interface CompileOptions extends DiagnosticFilter {
  /** Target platforms (specifiers or parsed); default: `buildPlatform`. Duplicates are removed. */
  platforms?: readonly (string | Platform)[];
  /** The platform the build runs on (BUILD* variables, emulation); default linux/amd64. */
  buildPlatform?: Platform;
  /** `--build-arg` values. */
  buildArgs?: Readonly<Record<string, string>>;
  /** The build context; without one, sources and special destinations are not checked. */
  context?: BuildContext;
  /** Whole-file structure checks; default: all of them. */
  checks?: readonly Check[];
  /** SHA-256 for op digests; default: a portable JavaScript one. Node hosts pass `nodeSha256` (native, faster). */
  sha256?: Sha256Hex;
  /** Kept between compiles of successive versions of one file (with `reparse`): only what changed is planned again. */
  memo?: CompileMemo;
  /** The local image store, to tell when the base lacks a target platform (KF3023); without one, that is not checked. */
  images?: ImageCatalog;
  /** The stage to build (its `AS` name, or index), as `--target`; default: the last stage. An unknown one throws `TargetError`. */
  target?: string;
  /** Plan every stage, not only those the target needs (an editor wants ops on every line). */
  allStages?: boolean;
}

/** What the compiler may ask the local image store. */
export interface ImageCatalog {
  /** The platforms (`linux/arm64`...) of an image, or undefined when the store does not have it. */
  platforms(name: string): Promise<readonly string[] | undefined>;
  /** Whether an image is a cluster image or an OS image (its RUN commands run chrooted), undefined when unknown. */
  kind?(name: string): Promise<'cluster' | 'os' | undefined>;
}

/** A catalogue made on first use (`open` runs once): hosts that load the image store only when a FROM names an image. */
export function deferredCatalog(open: () => Promise<ImageCatalog>): ImageCatalog {
  let catalog: Promise<ImageCatalog> | undefined;
  const opened = () => (catalog ??= open());
  return {
    platforms: async (name) => (await opened()).platforms(name),
    kind: async (name) => (await opened()).kind?.(name),
  };
}

/** A word's value, and the diagnostics of the variables in it that had none (see `Planner.expandReporting`). */
interface Expanded {
  value: string;
  unset: Diagnostic[];
  /** A `${V?message}` failed (KF3003): the value means nothing, and nothing more is said of it. */
  failed?: true;
}


export interface CompileResult {
  ast: Kubefile;
  /** Syntax, structure and semantic diagnostics, filtered by `enable`/`disable`, in source order. */
  diagnostics: Diagnostic[];
  /** One plan per target platform, in the order the platforms were given. */
  plans: PlatformPlan[];
  lines: LineMap;
  /** True when any diagnostic is an error (a build must not start). */
  hasErrors: boolean;
}

/** Compiles a Kubefile into one plan per platform. Throws `PlatformError` for an invalid platform, `TargetError` for an unknown target stage. */
export function compile(source: string, options: CompileOptions = {}): Promise<CompileResult> {
  return compileParsed(parse(source), options);
}

/** Compiles a Kubefile already parsed (an editor keeps it up to date with `reparse`). */
export async function compileParsed(parsed: ParseResult, options: CompileOptions = {}): Promise<CompileResult> {
  const build = options.buildPlatform ?? DEFAULT_PLATFORM;
  const targets = uniquePlatforms((options.platforms ?? []).map((p) => (typeof p === 'string' ? parsePlatform(p, build) : p)));
  if (targets.length === 0) targets.push(build);
  const buildArgs = new Map(Object.entries(options.buildArgs ?? {}));
  const table = stageTable(parsed.ast);
  const target = targetStage(table, options.target);
  const planned = options.allStages ? table.stages.map((s) => s.index) : reachableStages(table, target);
  const stages: StageSelection = { table, target, planned: new Set(planned) };
  const shared = new ArtifactCache();
  // Words with a quoting or substitution error: their value is a guess, so nothing is checked on it.
  const brokenWords = parsed.diagnostics.filter((d) => d.code === 'KF1007' || d.code === 'KF1008').map((d) => startOffsetOf(d.range));

  const perPlatform: Diagnostic[][] = [];
  const plans: PlatformPlan[] = [];
  const used = new Set<string>();
  const memo = options.memo;
  // The stage graph is in the key: a COPY --from kept from the last version may name another stage now.
  const memoKey = JSON.stringify([formatPlatform(build), [...buildArgs], target, planned, table.stages.map((s) => [s.name, s.baseStage, s.fixedPlatform, s.copies.map((c) => c.ref)])]);
  if (memo && (memo.key !== memoKey || memo.context !== options.context)) {
    memo.runs.clear();
    memo.key = memoKey;
    memo.context = options.context;
  }
  // Only for a full planning: with a memo, an edit asks for a few sources at most.
  if (options.context?.prefetch && !memo?.runs.size) options.context.prefetch(likelySourcePaths(parsed.ast, targets.map((t) => platformVariables(t, build))));
  for (const platformOf of targets) {
    const planner = new Planner(parsed.ast, stages, platformOf, build, buildArgs, options.context, shared, options.sha256, brokenWords, options.images);
    const platform = formatPlatform(platformOf);
    const { plan, run, targetDrafts } = await planner.plan(memo?.runs.get(platform), memo !== undefined);
    memo?.runs.set(platform, run);
    plans.push(plan);
    perPlatform.push(planner.diagnostics.concat(untypedApplications(parsed.ast, targetDrafts)));
    for (const name of planner.scope.usedBuildArgs) used.add(name);
  }

  const semantic = mergeAcrossPlatforms(perPlatform, targets.map(formatPlatform));
  const fileStart = { start: parsed.ast.range.start, end: parsed.ast.range.start };
  const predefined = platformVariables(targets[0], build);
  for (const name of buildArgs.keys()) {
    if (Object.hasOwn(predefined, name)) {
      semantic.push(createDiagnostic('KF3014', fileStart, `--build-arg ${name} is ignored: ${name} is set by the platform being built`));
    } else if (!used.has(name)) {
      semantic.push(createDiagnostic('KF3002', fileStart, `--build-arg ${name} is not used: no ARG declares ${name}`));
    }
  }
  const all = parsed.diagnostics.concat(check(parsed.ast, options.checks), semantic);
  const diagnostics = sortDiagnostics(applyRuleControl(parsed.ast, all, options));
  return { ast: parsed.ast, diagnostics, plans, lines: parsed.lines, hasErrors: diagnostics.some((d) => d.severity === 'error') };
}

/**
 * The context paths (and their parent directories) that COPY, ADD and APP sources will most likely
 * resolve to: the words that use no variable but the platform's. A guess for `BuildContext.prefetch`.
 */
function likelySourcePaths(file: Kubefile, platforms: readonly Record<string, string>[]): string[] {
  const paths = new Set<string>();
  const add = (text: string) => {
    for (const variables of platforms) {
      let known = true;
      const source = text.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, braced: string | undefined, bare: string | undefined) => {
        const value = variables[braced ?? bare ?? ''];
        if (value === undefined) known = false;
        return value ?? whole;
      });
      if (!known || sourceKind(source) !== 'context') continue;
      const path = normalizeContextPath(source);
      if (path.escapes) continue;
      let prefix = '';
      for (const segment of path.path.split('/')) {
        if (segment === '' || hasWildcard(segment)) break;
        prefix = prefix === '' ? segment : `${prefix}/${segment}`;
        paths.add(prefix);
      }
    }
  };
  for (const instruction of file.instructions) {
    if (isInstruction(instruction, 'COPY') || isInstruction(instruction, 'ADD')) {
      // `COPY --from` sources are in another stage or image, not in the context.
      if (!instruction.flags.some((f) => f.name === 'from')) for (const word of instruction.sources) add(word.text);
    }
    else if (isInstruction(instruction, 'APP') || isInstruction(instruction, 'CNI') || isInstruction(instruction, 'CSI')) {
      for (const word of instruction.sources) if (word.text.startsWith('local://')) add(word.text.slice('local://'.length));
    }
  }
  return [...paths];
}

function uniquePlatforms(platforms: Platform[]): Platform[] {
  const seen = new Set<string>();
  return platforms.filter((p) => {
    const key = formatPlatform(p);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Same diagnostic on every platform: once. On some: once, naming those platforms. */
function mergeAcrossPlatforms(perPlatform: Diagnostic[][], names: string[]): Diagnostic[] {
  if (perPlatform.length === 1) return [...perPlatform[0]];
  const groups = new Map<string, { diagnostic: Diagnostic; platforms: string[] }>();
  perPlatform.forEach((list, i) => {
    for (const d of list) {
      const key = `${d.code}|${startOffsetOf(d.range)}|${endOffsetOf(d.range)}|${d.message}`;
      const group = groups.get(key);
      if (group) {
        if (!group.platforms.includes(names[i])) group.platforms.push(names[i]);
      } else groups.set(key, { diagnostic: d, platforms: [names[i]] });
    }
  });
  return [...groups.values()].map(({ diagnostic, platforms }) =>
    platforms.length === names.length ? diagnostic : { ...diagnostic, message: `${diagnostic.message} (for ${platforms.join(', ')})` },
  );
}

/** Content checks of context files, done once per compile however many platforms read them. */
class ArtifactCache {
  private readonly results = new Map<string, Promise<ArtifactProblem[]>>();
  private readonly headers = new Map<string, Promise<Uint8Array>>();
  private readonly platforms = new Map<string, Promise<readonly string[] | undefined>>();
  private readonly kinds = new Map<string, Promise<'cluster' | 'os' | undefined>>();

  /** Whether the store's image is a cluster or an OS image, asked once per compile. */
  imageKind(images: ImageCatalog, name: string): Promise<'cluster' | 'os' | undefined> {
    let kind = this.kinds.get(name);
    if (!kind) {
      kind = images.kind ? images.kind(name).catch(() => undefined) : Promise.resolve(undefined);
      this.kinds.set(name, kind);
    }
    return kind;
  }

  problems(key: string, run: () => Promise<ArtifactProblem[]>): Promise<ArtifactProblem[]> {
    let result = this.results.get(key);
    if (!result) {
      // A file that cannot be read (permissions, a race with the disk) is a problem with that file, not a crash.
      result = run().catch((error: unknown) => [{ path: key.slice(key.indexOf(':') + 1), message: `cannot be read: ${error instanceof Error ? error.message : String(error)}` }]);
      this.results.set(key, result);
    }
    return result;
  }

  /** The store's platforms of a base image, asked once per compile. A store that fails to answer does not have it. */
  imagePlatforms(images: ImageCatalog, name: string): Promise<readonly string[] | undefined> {
    let platforms = this.platforms.get(name);
    if (!platforms) {
      platforms = images.platforms(name).catch(() => undefined);
      this.platforms.set(name, platforms);
    }
    return platforms;
  }

  header(context: BuildContext, path: string): Promise<Uint8Array> {
    let header = this.headers.get(path);
    if (!header) {
      // An unreadable program is simply not known to be foreign; COPY itself will report the file.
      header = context.read(path, { offset: 0, length: 64 }).catch(() => new Uint8Array());
      this.headers.set(path, header);
    }
    return header;
  }
}

/** Instructions planned between two checkpoints: the most an edit makes the planner redo on each side of it. */
const CHECKPOINT_EVERY = 32;

/**
 * What the planner carries from one instruction to the next: what later instructions read. The
 * image config is not in it: later instructions never read it, it is folded from the ops at the end.
 */
interface PlannerState {
  scope: ScopeState;
  base: string;
  seenFrom: boolean;
  clusterfile: string | undefined;
  programs: Map<string, string | undefined>;
  madeDirectories: ReadonlySet<string> | 'unknown';
  /** The stage being planned (-1 before the first FROM), and what it is built as. */
  stage: number;
  stageBuild: StageBuild;
  /** What each stage left when it ended (indexed by stage; planned stages only). */
  ended: readonly (StageEnd | undefined)[];
}

/** The stages a compile plans: `planned` holds `target` and the stages it needs (or all). */
interface StageSelection {
  table: StageTable;
  target: number;
  planned: ReadonlySet<number>;
}

/** How a stage is built: its platform (the target's or a fixed one), its base, and where its RUNs run. */
interface StageBuild {
  platform: Platform;
  fixed: boolean;
  base: string;
  baseStage?: number;
  run: StageRun;
}

/** What a stage leaves to the stages based on it, and to the plan (the target stage's Clusterfile). */
interface StageEnd extends StageBuild {
  env: ReadonlyMap<string, string>;
  clusterfile: string | undefined;
  programs: ReadonlyMap<string, string | undefined>;
  madeDirectories: ReadonlySet<string> | 'unknown';
}

function sameStageEnd(a: StageEnd | undefined, b: StageEnd | undefined): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  return (
    sameStageBuild(a, b) &&
    a.clusterfile === b.clusterfile &&
    sameEntries(a.env, b.env, (x, y) => x === y) &&
    sameEntries(a.programs, b.programs, (x, y) => x === y) &&
    sameDirectories(a.madeDirectories, b.madeDirectories)
  );
}

function sameStageBuild(a: StageBuild, b: StageBuild): boolean {
  return formatPlatform(a.platform) === formatPlatform(b.platform) && a.fixed === b.fixed && a.base === b.base && a.baseStage === b.baseStage && a.run === b.run;
}

/** The state before instruction `index`, and how many drafts and diagnostics came before it. */
interface Checkpoint {
  index: number;
  state: PlannerState;
  drafts: number;
  diagnostics: number;
}

/** One platform's planning of one version of a file, kept for the next version (`CompileMemo`). */
interface PlanRun {
  instructions: readonly Instruction[];
  checkpoints: Checkpoint[];
  drafts: OpDraft[];
  draftSources: Instruction[];
  /** The stage of each draft. */
  draftStages: number[];
  diagnostics: Diagnostic[];
  final: PlannerState;
}

/** The stage a FROM or `COPY --from` draft names, by index: its `StagePlan.id` is known only when the plan is read. */
const stageReferences = new WeakMap<OpDraft, { stage: number; name: string }>();

/**
 * What a compile leaves for compiling the next version of the same file (an editor's): each
 * platform's planning, so that instructions `reparse` kept (the same objects) are not planned again
 * where the state they see has not changed. Valid for the same options and build context only; a
 * host that learns the context changed starts a new memo.
 */
export class CompileMemo {
  /** @internal */
  runs = new Map<string, PlanRun>();
  /** @internal */
  key?: string;
  /** @internal */
  context?: BuildContext;
}

/** The variable names an instruction reads or sets (or more, never fewer), remembered per node. */
const mentioned = new WeakMap<Instruction, Set<string>>();

function mentions(instruction: Instruction, name: string): boolean {
  let names = mentioned.get(instruction);
  if (!names) {
    names = variableNamesIn(instruction.heredocs.length > 0 ? instruction.argsText + instruction.heredocs.map((h) => h.content).join('\n') : instruction.argsText);
    // `ARG NAME` in the stage takes the value of the global ARG NAME.
    if (isInstruction(instruction, 'ARG')) for (const declaration of instruction.declarations) names.add(declaration.name.text);
    // Set: a run adopted past it would take the earlier run's value before it (see `Planner.adopt`).
    if (isInstruction(instruction, 'ENV')) for (const pair of instruction.pairs) names.add(pair.name.text);
    mentioned.set(instruction, names);
  }
  return names.has(name);
}

/** The labels sealer v0.11 writes for KUBEVERSION, CNI and CSI (build/kubefile/command). */
export const KUBE_VERSION_LABEL = 'app.alpha.sealer.io/supported-kube-version';
export const CNI_LABEL_PREFIX = 'cluster.alpha.sealer.io/kube-cni-';
export const CSI_LABEL_PREFIX = 'cluster.alpha.sealer.io/kube-csi-';
/** The labels `sealer run` reads to choose the runtimes it installs, and the values it knows (pkg/cluster-runtime/installer.go). */
const SEALER_RUNTIME_LABELS: Record<string, readonly string[]> = {
  'cluster.alpha.sealer.io/container-runtime-type': ['docker', 'containerd'],
  'cluster.alpha.sealer.io/cluster-runtime-type': ['kubernetes', 'k0s'],
};

/**
 * App ops whose type sealer cannot detect, with the name word to report at and why. Kept beside
 * the drafts (which a `CompileMemo` reuses) since whether it is an error depends on APPCMDS
 * anywhere in the file, which an edit elsewhere changes.
 */
const undetected = new WeakMap<OpDraft, { word: Word; reason: string }>();

/**
 * sealer v0.11 refuses an application whose type it cannot detect unless APPCMDS says how to
 * launch it ("app X need to specify APPCMDS if no app type detected"). Only the last declaration
 * of a name counts, as in sealer's map of applications.
 */
function untypedApplications(file: Kubefile, drafts: readonly OpDraft[]): Diagnostic[] {
  const last = new Map<string, OpDraft>();
  for (const draft of drafts) if (draft.kind === 'app') last.set(draft.name, draft);
  const launched = new Set<string>();
  for (const instruction of file.instructions) if (isInstruction(instruction, 'APPCMDS') && instruction.app) launched.add(instruction.app.text);
  const out: Diagnostic[] = [];
  for (const [name, draft] of last) {
    const found = undetected.get(draft);
    if (!found || launched.has(name)) continue;
    out.push(
      createDiagnostic(
        'KF3016',
        found.word.range,
        `sealer cannot detect the type of application "${name}" (${found.reason}): add APPCMDS ${name} ["..."] to say how it is launched (a Helm chart, only .yaml/.yml or only .sh files are launched without one)`,
      ),
    );
  }
  return out;
}

/** The image config the ops make (CMD appends, ENV/LABEL/ARG merge, the last LAUNCH wins...). */
function configOf(ops: readonly OpDraft[], clusterfile: string | undefined): ImageConfig {
  const config: ImageConfig = { cmds: [], env: {}, labels: {}, args: {}, apps: [] };
  const apps = new Map<string, Application>();
  // APPCMDS/APPENV of applications this Kubefile does not declare: the base image's, as sealer reads them.
  const baseApps = new Map<string, BaseApplicationChange>();
  const baseApp = (name: string): BaseApplicationChange => baseApps.get(name) ?? baseApps.set(name, { name }).get(name)!;
  for (const op of ops) {
    switch (op.kind) {
      case 'arg':
        for (const [name, value] of Object.entries(op.args)) if (value !== null) config.args[name] = value;
        break;
      case 'env':
        Object.assign(config.env, op.env);
        break;
      case 'label':
        Object.assign(config.labels, op.labels);
        break;
      case 'cmd':
        config.cmds.push(...(typeof op.command === 'string' ? [op.command] : execFormCommands(op.command)));
        break;
      case 'app':
        // A redeclared name replaces the application, in the position of the new declaration.
        apps.delete(op.name);
        baseApps.delete(op.name);
        apps.set(op.name, { name: op.name, type: op.type, sources: op.sources, sealerType: op.sealerType, files: op.files });
        // sealer labels the image with its network and storage plugins.
        if (op.type !== 'APP') config.labels[`${op.type === 'CNI' ? CNI_LABEL_PREFIX : CSI_LABEL_PREFIX}${op.name}`] = 'true';
        break;
      case 'appcmds': {
        const declared = apps.get(op.app);
        if (declared) declared.cmds = op.command;
        else baseApp(op.app).cmds = op.command;
        break;
      }
      case 'appenv': {
        const declared = apps.get(op.app);
        if (declared) declared.env = Object.assign(declared.env ?? {}, op.env);
        else baseApp(op.app).env = Object.assign(baseApp(op.app).env ?? {}, op.env);
        break;
      }
      case 'launch':
        config.launch = { apps: op.apps };
        break;
      case 'cmds':
        config.launch = { cmds: op.commands };
        break;
      case 'kubeversion':
        config.kubeVersion = op.constraint;
        config.labels[KUBE_VERSION_LABEL] = op.constraint;
        break;
      case 'maintainer':
        config.maintainer = op.maintainer;
        break;
    }
  }
  const secretArgs = Object.keys(config.args).filter(isSecretName).sort();
  if (secretArgs.length > 0) config.secretArgs = secretArgs;
  if (clusterfile !== undefined) config.clusterfile = clusterfile;
  config.apps = [...apps.values()];
  if (baseApps.size > 0) config.baseApps = [...baseApps.values()];
  return config;
}

function sameDirectories(a: ReadonlySet<string> | 'unknown', b: ReadonlySet<string> | 'unknown'): boolean {
  if (a === b) return true;
  if (a === 'unknown' || b === 'unknown' || a.size !== b.size) return false;
  for (const dir of a) if (!b.has(dir)) return false;
  return true;
}

function sameEntries<V>(a: ReadonlyMap<string, V>, b: ReadonlyMap<string, V>, same: (x: V, y: V) => boolean): boolean {
  if (a.size !== b.size) return false;
  const other = b.entries();
  for (const [key, value] of a) {
    const next = other.next().value as [string, V];
    if (next[0] !== key || !same(value, next[1])) return false;
  }
  return true;
}

/** Builds the plan of one platform. */
class Planner {
  readonly diagnostics: Diagnostic[] = [];
  readonly scope: VariableScope;
  private readonly drafts: OpDraft[] = [];
  /** The instruction of each draft (for its line, which moves when lines are added above it). */
  private readonly draftSources: Instruction[] = [];
  /** The stage of each draft. */
  private readonly draftStages: number[] = [];
  private base = 'scratch';
  private seenFrom = false;
  /** The stage being planned, -1 before the first FROM. */
  private stage = -1;
  private stageBuild: StageBuild;
  /** What each planned stage left when it ended. */
  private ended: (StageEnd | undefined)[] = [];
  /** The default Clusterfile (`COPY Clusterfile etc`), read from the context. */
  private defaultClusterfile: string | undefined;
  /** Programs copied to `bin/` and the architecture of those that are ELF executables. */
  private programs = new Map<string, string | undefined>();
  /**
   * The directories the instructions so far make in the image, as sealer v0.11 builds it too;
   * `unknown` after a RUN (it may make any). Tells whether a COPY to a rootfs directory without
   * `/` finds it existing (KF3017).
   */
  private madeDirectories: ReadonlySet<string> | 'unknown' = new Set();
  private readonly escape: EscapeChar;

  constructor(
    private readonly file: Kubefile,
    private readonly stages: StageSelection,
    private readonly target: Platform,
    private readonly build: Platform,
    buildArgs: ReadonlyMap<string, string>,
    private readonly context: BuildContext | undefined,
    private readonly cache: ArtifactCache,
    private readonly sha256: Sha256Hex | undefined,
    private readonly brokenWords: readonly number[],
    private readonly images: ImageCatalog | undefined,
  ) {
    this.scope = new VariableScope(buildArgs, platformVariables(target, build));
    this.escape = file.escapeChar;
    this.stageBuild = { platform: target, fixed: false, base: 'scratch', run: 'host' };
  }

  /**
   * Plans every instruction. With the run of an earlier version of the file, it starts from that
   * run's last checkpoint before the first changed instruction and, past the changed ones, takes
   * the earlier run over again at the first checkpoint whose state the new run has reached.
   */
  async plan(previous: PlanRun | undefined, keepCheckpoints: boolean): Promise<{ plan: PlatformPlan; run: PlanRun; targetDrafts: readonly OpDraft[] }> {
    const list = this.file.instructions;
    const checkpoints: Checkpoint[] = [];
    let i = 0;
    let resume: { run: PlanRun; changedUpTo: number; shift: number; at: Map<number, number> } | undefined;
    if (previous) {
      const old = previous.instructions;
      let same = 0;
      while (same < list.length && same < old.length && list[same] === old[same]) same++;
      let tail = 0;
      while (tail < list.length - same && tail < old.length - same && list[list.length - 1 - tail] === old[old.length - 1 - tail]) tail++;
      let k = 0;
      while (k + 1 < previous.checkpoints.length && previous.checkpoints[k + 1].index <= same) k++;
      const start = previous.checkpoints[k];
      this.restore(start.state);
      append(this.drafts, previous.drafts, 0, start.drafts);
      append(this.draftSources, previous.draftSources, 0, start.drafts);
      append(this.draftStages, previous.draftStages, 0, start.drafts);
      append(this.diagnostics, previous.diagnostics, 0, start.diagnostics);
      append(checkpoints, previous.checkpoints, 0, k + 1);
      i = start.index;
      const at = new Map<number, number>();
      previous.checkpoints.forEach((c, index) => c.index >= old.length - tail && at.set(c.index, index));
      resume = { run: previous, changedUpTo: list.length - tail, shift: list.length - old.length, at };
    }
    let adopted = false;
    for (; i < list.length; i++) {
      if (resume && i >= resume.changedUpTo) {
        const k = resume.at.get(i - resume.shift);
        const differing = k === undefined ? undefined : this.reached(resume.run.checkpoints[k].state, list, i);
        if (k !== undefined && differing) {
          this.adopt(resume.run, k, resume.shift, checkpoints, differing);
          adopted = true;
          break;
        }
      }
      // Only for a memo: each copies the variables, thousands of them late in a large file.
      if (checkpoints.length === 0 || (keepCheckpoints && i - checkpoints[checkpoints.length - 1].index >= CHECKPOINT_EVERY)) {
        checkpoints.push({ index: i, state: this.snapshot(), drafts: this.drafts.length, diagnostics: this.diagnostics.length });
      }
      await this.step(list[i]);
    }
    const run: PlanRun = { instructions: list, checkpoints, drafts: this.drafts, draftSources: this.draftSources, draftStages: this.draftStages, diagnostics: this.diagnostics, final: this.snapshot() };
    const ended = [...this.ended];
    if (this.stage >= 0 && this.stages.planned.has(this.stage)) ended[this.stage] = this.stageEnd();
    // Each stage's drafts (they are contiguous, in stage order).
    const draftsOf = new Map<number, { drafts: OpDraft[]; sources: Instruction[] }>();
    for (let d = 0; d < this.drafts.length; d++) {
      const stage = this.draftStages[d];
      let entry = draftsOf.get(stage);
      if (!entry) draftsOf.set(stage, (entry = { drafts: [], sources: [] }));
      entry.drafts.push(this.drafts[d]);
      entry.sources.push(this.draftSources[d]);
    }
    const table = this.stages.table;
    const target = this.stages.target;
    const targetEnd = ended[target];
    const targetDrafts = draftsOf.get(target)?.drafts ?? [];
    const plan: PlatformPlan = { platform: formatPlatform(this.target), target: this.target, base: targetEnd?.base ?? 'scratch', ops: [], config: { cmds: [], env: {}, labels: {}, args: {}, apps: [] }, stages: [] };
    const build = formatPlatform(this.build);
    // Worked out on first read: an editor analysing on every keystroke needs the diagnostics only.
    const built = new Map<number, StagePlan>();
    const planStage = (index: number): StagePlan | undefined => {
      const done = built.get(index);
      if (done) return done;
      const end = ended[index];
      if (!end) return undefined;
      const { drafts, sources } = draftsOf.get(index) ?? { drafts: [], sources: [] };
      const uses: string[] = [];
      // The stages it reads first: their ids enter its digests (no cycle reaches here: stages.ts made them errors).
      for (const draft of drafts) {
        const reference = stageReferences.get(draft);
        const used = reference && reference.stage !== index ? planStage(reference.stage) : undefined;
        if (!reference || !used) continue;
        if (draft.kind === 'from') draft.stage = used.id;
        else if (draft.kind === 'copy') draft.from = { stage: used.id, name: reference.name };
        if (!uses.includes(used.id)) uses.push(used.id);
      }
      const predefined = end.fixed ? buildVariables(this.build) : platformVariables(this.target, this.build);
      // Set here, not when planned: an op kept from an earlier run may have moved, or see other values.
      const assignments: Assignment[] = [];
      const baseEnd = end.baseStage === undefined ? undefined : ended[end.baseStage];
      if (baseEnd) for (const [name, value] of baseEnd.env) assignments.push({ env: true, name, value });
      for (let d = 0; d < drafts.length; d++) {
        const draft = drafts[d];
        draft.line = this.line(sources[d]);
        if (draft.kind === 'arg') {
          // An ARG of a predefined variable changes nothing (the platform's value stays); in a fixed stage, `ARG TARGETARCH` brings it in.
          for (const [name, value] of Object.entries(draft.args)) if (!Object.hasOwn(predefined, name)) assignments.push({ env: false, name, value: value ?? undefined });
        } else if (draft.kind === 'env') {
          for (const [name, value] of Object.entries(draft.env)) assignments.push({ env: true, name, value });
        } else if (draft.kind === 'run') {
          defineLazy(draft, 'env', environmentOf(predefined, assignments, assignments.length));
        }
      }
      const platform = formatPlatform(end.platform);
      // Every platform variable derives from the stage's and the build platforms, so those two stand for them all;
      // the target's values enter a fixed stage only through its `ARG TARGETARCH` op.
      const ops = digestOps(drafts, `${platform} ${build}`, this.sha256);
      const info = table.stages[index] as StageInfo | undefined;
      const stage: StagePlan = {
        id: stageId(platform, ops, this.sha256),
        index,
        line: info ? this.line(info.from) : 1,
        platform,
        target: end.platform,
        fixedPlatform: end.fixed,
        base: end.base,
        run: end.run,
        ops,
        uses,
      };
      if (info?.name !== undefined) stage.name = info.name;
      const baseStage = end.baseStage === undefined ? undefined : built.get(end.baseStage);
      if (baseStage) stage.baseStage = baseStage.id;
      built.set(index, stage);
      return stage;
    };
    const allStages = (): StagePlan[] => {
      // Build order: what each stage reads before it, the target last.
      const order: number[] = [];
      for (const index of [...this.stages.planned].filter((i) => i !== target).sort((a, b) => a - b).concat(target)) {
        for (const needed of reachableStages(table, index)) if (!order.includes(needed) && this.stages.planned.has(needed)) order.push(needed);
      }
      return order.map(planStage).filter((stage): stage is StagePlan => stage !== undefined);
    };
    defineLazy(plan, 'stages', (): StagePlan[] => {
      if (table.stages.length === 0 || !targetEnd) {
        // No FROM: one empty stage on the target platform.
        return [{ id: stageId(plan.platform, [], this.sha256), index: 0, line: 1, platform: plan.platform, target: this.target, fixedPlatform: false, base: 'scratch', run: 'host', ops: [], uses: [] }];
      }
      return allStages();
    });
    defineLazy(plan, 'ops', () => plan.stages[plan.stages.length - 1].ops);
    defineLazy(plan, 'config', () => {
      void plan.ops; // lines and digests set
      return configOf(targetDrafts, targetEnd?.clusterfile);
    });
    return { plan, run, targetDrafts };
  }

  private async step(instruction: Instruction): Promise<void> {
    if (instruction.keyword === 'FROM') {
      if (this.stage >= 0 && this.stages.planned.has(this.stage)) this.ended[this.stage] = this.stageEnd();
      this.stage++;
      this.seenFrom = true;
      // A stage the target does not need is not planned (BuildKit does not build it).
      if (this.stages.planned.has(this.stage)) await this.from(instruction);
    } else if (!this.seenFrom) {
      if (isInstruction(instruction, 'ARG')) this.arg(instruction.declarations, instruction, true);
    } else if (this.stages.planned.has(this.stage)) {
      // Only sources touch the (asynchronous) build context; everything else stays synchronous.
      if (isInstruction(instruction, 'COPY') || isInstruction(instruction, 'ADD')) {
        await this.copy(instruction.keyword === 'ADD' ? 'add' : 'copy', instruction.sources, instruction.destination, instruction);
      } else if (isInstruction(instruction, 'APP') || isInstruction(instruction, 'CNI') || isInstruction(instruction, 'CSI')) {
        await this.app(instruction.keyword, instruction.name, instruction.sources, instruction);
      } else {
        this.instruction(instruction);
      }
    }
  }

  private push(draft: OpDraft, instruction: Instruction): void {
    this.drafts.push(draft);
    this.draftSources.push(instruction);
    this.draftStages.push(this.stage);
  }

  /** What the current stage leaves when it ends. */
  private stageEnd(): StageEnd {
    return { ...this.stageBuild, env: this.scope.stageEnv(), clusterfile: this.defaultClusterfile, programs: new Map(this.programs), madeDirectories: this.madeDirectories };
  }

  /** The planner's state (copies), to resume from later. */
  private snapshot(): PlannerState {
    return {
      scope: this.scope.snapshot(),
      base: this.base,
      seenFrom: this.seenFrom,
      clusterfile: this.defaultClusterfile,
      programs: new Map(this.programs),
      madeDirectories: this.madeDirectories,
      stage: this.stage,
      stageBuild: this.stageBuild,
      ended: [...this.ended],
    };
  }

  private restore(state: PlannerState): void {
    this.scope.restore(state.scope);
    this.base = state.base;
    this.seenFrom = state.seenFrom;
    this.defaultClusterfile = state.clusterfile;
    this.programs = new Map(state.programs);
    this.madeDirectories = state.madeDirectories;
    this.stage = state.stage;
    this.stageBuild = state.stageBuild;
    this.ended = [...state.ended];
  }

  /**
   * Whether this run is where an earlier one was at a checkpoint, so that instructions `from` on
   * would do the same: the same state, but for values of variables none of them reads or sets.
   * Those variables' names when it is (none when the states are the same), undefined otherwise.
   */
  private reached(state: PlannerState, list: readonly Instruction[], from: number): string[] | undefined {
    if (this.base !== state.base || this.seenFrom !== state.seenFrom || this.defaultClusterfile !== state.clusterfile) return undefined;
    if (!sameEntries(this.programs, state.programs, (a, b) => a === b)) return undefined;
    if (!sameDirectories(this.madeDirectories, state.madeDirectories)) return undefined;
    if (this.stage !== state.stage || !sameStageBuild(this.stageBuild, state.stageBuild)) return undefined;
    if (this.ended.length !== state.ended.length || !this.ended.every((end, i) => sameStageEnd(end, state.ended[i]))) return undefined;
    const differing = this.scope.differingValues(state.scope);
    if (!differing || differing.length === 0) return differing;
    // A stage based on this one starts with its ENV: it reads every value without naming it.
    if (this.stage >= 0 && this.stages.table.stages.some((s) => s.baseStage === this.stage)) return undefined;
    for (let i = from; i < list.length; i++) if (differing.some((name) => mentions(list[i], name))) return undefined;
    return differing;
  }

  /**
   * Takes the rest of an earlier run, from its checkpoint `k` on (`shift`: instructions added before
   * it). The `differing` variables keep this run's values in the states taken: no instruction from
   * there on sets them, and an edit that later reads them starts from those states.
   */
  private adopt(run: PlanRun, k: number, shift: number, checkpoints: Checkpoint[], differing: readonly string[]): void {
    const from = run.checkpoints[k];
    const drafts = this.drafts.length - from.drafts;
    const diagnostics = this.diagnostics.length - from.diagnostics;
    append(this.drafts, run.drafts, from.drafts);
    append(this.draftSources, run.draftSources, from.drafts);
    append(this.draftStages, run.draftStages, from.drafts);
    append(this.diagnostics, run.diagnostics, from.diagnostics);
    const current = this.scope.snapshot();
    const withCurrentValues = (state: PlannerState): PlannerState =>
      differing.length === 0 ? state : { ...state, scope: withValuesOf(state.scope, current, differing) };
    for (const c of run.checkpoints.slice(k)) checkpoints.push({ index: c.index + shift, state: withCurrentValues(c.state), drafts: c.drafts + drafts, diagnostics: c.diagnostics + diagnostics });
    this.restore(withCurrentValues(run.final));
  }

  private report(code: DiagnosticCode, range: Range, message: string, fixes?: Fix[]): void {
    this.diagnostics.push(createDiagnostic(code, range, message, fixes));
  }

  /**
   * For a source that matches nothing: at the first path segment the context lacks, the entry beside
   * it with the closest name (`my-mysql-chart` → `my-mysql`), as a suggestion and, when the word is
   * that literal path, a fix.
   */
  private async similarSource(context: BuildContext, path: string, word: Word): Promise<{ suggestion: string; fixes?: Fix[] } | undefined> {
    if (hasWildcard(path)) return undefined;
    const segments = path.split('/');
    for (let i = 0; i < segments.length; i++) {
      const parent = segments.slice(0, i).join('/');
      const entries = await context.list(parent).catch((): string[] => []);
      const name = segments[i];
      if (entries.includes(name)) continue;
      const near = closestMatch(name, entries, Math.max(1, Math.floor(name.length / 3))) ?? sharedPrefixName(name, entries);
      if (near === undefined) return undefined;
      const suggestion = [...segments.slice(0, i), near, ...segments.slice(i + 1)].join('/');
      // Only a literal word on one line has its characters where its text says.
      const literal = (word.parts ?? []).every((p) => p.kind === 'literal') && word.range.start.line === word.range.end.line && word.text.endsWith(path) && !/["'\\]/.test(word.text);
      if (!literal) return { suggestion };
      const at = word.text.length - path.length + segments.slice(0, i).reduce((n, s) => n + s.length + 1, 0);
      return { suggestion, fixes: [{ title: `Change to ${suggestion}`, edits: [{ range: subRange(word.range, at, at + name.length), newText: near }] }] };
    }
    return undefined;
  }


  private line(instruction: Instruction): number {
    return instruction.range.start.line + 1;
  }

  /** Expands a word in the current scope, reporting undefined variables and failed `${V?}`. */
  private expand(word: Word): string {
    return this.expandReporting(word).value;
  }

  /**
   * Expands a word and reports its problems. `unset` holds the diagnostics of the variables that had
   * no value: the value is then a guess, and what it causes further on (an empty destination, a
   * source that matches nothing) is told in those diagnostics, not in more of them (`escalate`).
   */
  private expandReporting(word: Word): Expanded {
    const { value, problems } = expandWord(word, this.scope.lookup, this.escape);
    const unset: Diagnostic[] = [];
    let failed = false;
    for (const problem of problems) {
      if (problem.kind === 'error') {
        this.report('KF3003', problem.range, problem.message);
        failed = true;
      } else if (problem.kind === 'limit') {
        this.report('KF3019', problem.range, problem.message);
      } else {
        const diagnostic = this.unsetVariable(problem.name ?? '', problem.range);
        this.diagnostics.push(diagnostic);
        unset.push(diagnostic);
      }
    }
    return failed ? { value, unset, failed } : { value, unset };
  }

  /** Why `name` has no value here: declared before FROM only, declared without a value (KF3020), or not at all. */
  private unsetVariable(name: string, range: Range): Diagnostic {
    if (this.scope.isUndeclaredTargetVariable(name)) {
      const from = this.stages.table.stages[this.stage]?.from;
      // Anchored to the FROM's range, so it moves with the FROM when a memo keeps this diagnostic.
      const length = from ? endOffsetOf(from.range) - startOffsetOf(from.range) : 0;
      const at = from ? subRange(from.range, length, length) : { start: range.start, end: range.start };
      return createDiagnostic(
        'KF3001',
        range,
        `${name} is not declared in this stage: add "ARG ${name}" after FROM: a stage on a fixed platform sees the target's variables only when declared (as BuildKit)`,
        [{ title: `Add ARG ${name} after FROM`, edits: [{ range: at, newText: `\nARG ${name}` }] }],
      );
    }
    if (this.scope.isGlobalOnly(name)) return createDiagnostic('KF3001', range, `${name} is declared before FROM only: add "ARG ${name}" after FROM to use it here`);
    // The fix (a default for the ARG) is made by editors from the current text (`argDefaultFix`): a memo keeps this diagnostic while the ARG's line moves.
    if (this.scope.isDeclaredWithoutValue(name)) return createDiagnostic('KF3020', range, `ARG ${name} has no value: give it a default (ARG ${name}=<value>) or pass --build-arg ${name}=<value>`);
    const suggestion = this.scope.suggest(name);
    return createDiagnostic('KF3001', range, `Undefined variable ${name}${suggestion && suggestion !== name ? `: did you mean ${suggestion}?` : ' (it expands to an empty string)'}`);
  }




  /** The unset variables' diagnostics become the error that their empty value causes (one cause, one diagnostic). */
  private escalate(unset: readonly Diagnostic[], consequence: string): void {
    for (const diagnostic of unset) {
      diagnostic.severity = 'error';
      diagnostic.message = `${diagnostic.message}; ${consequence}`;
    }
  }

  /** The expanded value, or undefined (reported) when it is empty; undefined too when the word has a syntax error. */
  private expandNonEmpty(word: Word, what: string): Expanded | undefined {
    const { start, end } = { start: startOffsetOf(word.range), end: endOffsetOf(word.range) };
    if (this.brokenWords.some((offset) => offset >= start && offset < end)) return undefined;
    const expanded = this.expandReporting(word);
    if (expanded.failed) return undefined;
    if (expanded.value !== '') return expanded;
    if (expanded.unset.length > 0) this.escalate(expanded.unset, `${what.toLowerCase()} "${word.text}" is then empty`);
    else this.report('KF3015', word.range, `${what} "${word.text}" expands to an empty string`);
    return undefined;
  }

  /**
   * Begins a stage: its FROM words are expanded with the global ARGs; a stage on a fixed platform
   * (`--platform`) is planned for that platform; a FROM naming an earlier stage starts from that
   * stage's ENV, programs, directories and RUN meaning.
   */
  private async from(instruction: Instruction): Promise<void> {
    if (!isInstruction(instruction, 'FROM')) return;
    this.scope.leaveStage();
    const info = this.stages.table.stages[this.stage] as StageInfo | undefined;
    const platform = this.fromPlatform(instruction) ?? this.target;
    const fixed = info?.fixedPlatform ?? false;
    const word = instruction.image;
    const expanded = word ? this.expandNonEmpty(word, 'The image') : undefined;
    const image = expanded?.value ?? 'scratch';
    const reference = expanded === undefined ? undefined : resolveFrom(this.stages.table, image, this.stage);
    const baseStage = reference && 'stage' in reference ? reference.stage : undefined;
    const baseEnd = baseStage === undefined ? undefined : this.ended[baseStage];
    this.scope.enterStage(fixed, baseEnd?.env);
    this.defaultClusterfile = baseEnd?.clusterfile;
    this.programs = new Map(baseEnd?.programs);
    this.madeDirectories = baseEnd?.madeDirectories ?? new Set();
    this.base = image;
    const run: StageRun = baseEnd ? baseEnd.run : image.toLowerCase() === 'scratch' ? 'host' : await this.runMode(image);
    this.stageBuild = baseStage === undefined ? { platform, fixed, base: image, run } : { platform, fixed, base: image, baseStage, run };
    if (!word || expanded === undefined) return;
    const draft: OpDraft<FromOp> = { kind: 'from', image, line: 0 };
    if (baseStage !== undefined) {
      // The id is set when the plan is read (`stageReferences`); the key is here for a stable field order.
      draft.stage = '';
      stageReferences.set(draft, { stage: baseStage, name: image });
    }
    this.push(draft, instruction);
    // scratch, a stage, and bases read from files of the context (`oci-archive:PATH`, `oci:DIR[:TAG]`) are no references.
    if (baseStage !== undefined || image.toLowerCase() === 'scratch' || /^oci(-archive)?:/.test(image)) return;
    const problem = imageReferenceError(image);
    if (problem !== undefined) {
      if (expanded.unset.length > 0) this.escalate(expanded.unset, `the image is then "${image}": ${problem}`);
      else this.report('KF3021', word.range, `"${image}" is not a valid image reference: ${problem}`);
      return;
    }
    this.invalidDefaultBase(word);
    const parts = imageReferenceParts(image);
    if (parts && parts.digest === undefined && (parts.tag === undefined || parts.tag === 'latest')) {
      const what = parts.tag === undefined ? 'has no tag, so "latest" is taken' : 'is tagged "latest"';
      this.report('KF3022', word.range, `The base image "${image}" ${what}, which can change between builds: name a version tag or a digest`);
    }
    if (this.images) {
      const platforms = await this.cache.imagePlatforms(this.images, image);
      if (platforms !== undefined && !platforms.some((p) => samePlatformSpecifier(p, platform))) {
        this.report('KF3023', word.range, `The base image "${image}" in the local store has no ${formatPlatform(platform)} variant (it has ${platforms.join(', ') || 'none'})`);
      }
    }
  }

  /** Where a stage's RUNs run, from its base image: on the host for a cluster image (sealer's RUN), chrooted in an OS image. */
  private async runMode(image: string): Promise<StageRun> {
    if (!this.images) return 'unknown';
    const kind = await this.cache.imageKind(this.images, image);
    return kind === 'os' ? 'chroot' : kind === 'cluster' ? 'host' : 'unknown';
  }

  /** `FROM --platform=`: the platform, once expanded (KF3024 when it is none). */
  private fromPlatform(instruction: Instruction): Platform | undefined {
    const flag = instruction.flags.find((f) => f.name === 'platform');
    if (!flag?.valueWord) return undefined;
    const expanded = this.expandReporting(flag.valueWord);
    if (expanded.failed) return undefined;
    const problem = platformProblem(expanded.value, this.build);
    if (problem === undefined) return parsePlatform(expanded.value, this.build);
    if (expanded.unset.length > 0) this.escalate(expanded.unset, `--platform is then "${expanded.value}": ${problem}`);
    else this.report('KF3024', flag.valueWord.range, `--platform=${expanded.value} is not a platform: ${problem}`);
    return undefined;
  }

  /**
   * BuildKit's InvalidDefaultArgInFrom (KF3025): the FROM image is valid with the build args given,
   * but not with the ARGs' defaults, so the Kubefile builds only when those build args are passed.
   */
  private invalidDefaultBase(word: Word): void {
    const variables = (word.parts ?? []).filter((p) => p.kind === 'variable').map((p) => p.name);
    if (!variables.some((name) => this.scope.isGiven(name))) return;
    const defaults = new VariableScope(new Map(), platformVariables(this.target, this.build));
    for (const instruction of this.file.instructions) {
      if (instruction.keyword === 'FROM') break;
      if (!isInstruction(instruction, 'ARG')) continue;
      for (const d of instruction.declarations) defaults.declareArg(d.name.text, d.value ? expandWord(d.value, defaults.lookup, this.escape).value : undefined);
    }
    const value = expandWord(word, defaults.lookup, this.escape).value;
    const problem = value === '' ? 'it is empty' : imageReferenceError(value);
    if (problem === undefined) return;
    const given = variables.filter((name) => this.scope.isGiven(name) && !Object.hasOwn(platformVariables(this.target, this.build), name));
    this.report(
      'KF3025',
      word.range,
      `With the ARGs' defaults the base image "${word.text}" is "${value}" (${problem}): it builds only with --build-arg ${given.join(', ')}; give ${given.length === 1 ? 'that ARG' : 'those ARGs'} a valid default`,
    );
  }

  /** An ARG before FROM (`global`) is only in scope for FROM; one in the stage is an op and config. */
  private arg(declarations: readonly NameValue[], instruction: Instruction, global: boolean): void {
    const args: Record<string, string | null> = {};
    for (const declaration of declarations) {
      const name = declaration.name.text;
      // As in BuildKit, a default is not expanded (nor its errors reported) when a build arg or the platform gives the value.
      const value = this.scope.declareArg(name, declaration.value && !this.scope.isGiven(name) ? this.expand(declaration.value) : undefined);
      args[name] = value ?? null;
    }
    if (!global) this.push({ kind: 'arg', args, line: 0 }, instruction);
  }

  /** sealer installs only the container and cluster runtimes it knows (KF3018). */
  private checkRuntimeLabel(name: string, value: string, range: Range): void {
    const known = SEALER_RUNTIME_LABELS[name];
    if (known && !known.includes(value)) {
      this.report('KF3018', range, `sealer v0.11 cannot install ${name.slice(name.indexOf('/') + 1)} "${value}": it installs ${known.map((v) => `"${v}"`).join(' or ')}`);
    }
  }

  private pairs(pairs: readonly NameValue[]): Record<string, string> {
    const out: Record<string, string> = {};
    for (const pair of pairs) out[unquote(pair.name.text)] = pair.value ? this.expand(pair.value) : '';
    return out;
  }

  private instruction(instruction: Instruction): void {
    // Lines are filled in when the ops are read (an op kept from an earlier run may have moved).
    const line = 0;
    if (isInstruction(instruction, 'ARG')) {
      this.arg(instruction.declarations, instruction, false);
    } else if (isInstruction(instruction, 'ENV')) {
      const env: Record<string, string> = {};
      // Every value sees the variables as they were before this ENV, as in BuildKit: `ENV a=bye b=$a`
      // sets b to a's earlier value ("Changing the value of a variable only takes effect in subsequent instructions").
      const values = instruction.pairs.map((pair) => (pair.value ? this.expand(pair.value) : ''));
      instruction.pairs.forEach((pair, i) => {
        env[pair.name.text] = values[i];
        this.scope.setEnv(pair.name.text, values[i]);
      });
      this.push({ kind: 'env', env, line }, instruction);
    } else if (isInstruction(instruction, 'LABEL')) {
      const labels = this.pairs(instruction.pairs);
      for (const pair of instruction.pairs) this.checkRuntimeLabel(unquote(pair.name.text), labels[unquote(pair.name.text)] ?? '', pair.value?.range ?? pair.name.range);
      this.push({ kind: 'label', labels, line }, instruction);
    } else if (isInstruction(instruction, 'RUN')) {
      this.run(instruction);
    } else if (isInstruction(instruction, 'CMD')) {
      const command = instruction.form === 'exec' ? instruction.args.map((a) => a.text) : (instruction.command?.text ?? '');
      const text = typeof command === 'string' ? command : execFormCommands(command).join(' && ');
      this.push({ kind: 'cmd', command, preview: this.preview(text), line }, instruction);
    } else if (isInstruction(instruction, 'APPCMDS')) {
      const app = instruction.app?.text ?? '';
      const command = instruction.command.map((w) => w.text);
      this.push({ kind: 'appcmds', app, command, line }, instruction);
    } else if (isInstruction(instruction, 'APPENV')) {
      const app = instruction.app?.text ?? '';
      const env = this.pairs(instruction.pairs);
      this.push({ kind: 'appenv', app, env, line }, instruction);
    } else if (isInstruction(instruction, 'LAUNCH')) {
      const apps = instruction.apps.map((w) => w.text);
      this.push({ kind: 'launch', apps, line }, instruction);
    } else if (isInstruction(instruction, 'CMDS')) {
      const commands = instruction.commands.map((w) => w.text);
      this.push({ kind: 'cmds', commands, line }, instruction);
    } else if (isInstruction(instruction, 'KUBEVERSION')) {
      const constraint = instruction.constraint?.text ?? '';
      this.push({ kind: 'kubeversion', constraint, line }, instruction);
    } else if (isInstruction(instruction, 'MAINTAINER')) {
      const maintainer = instruction.maintainer?.text ?? '';
      this.push({ kind: 'maintainer', maintainer, line }, instruction);
    }
  }

  private async copy(kind: 'copy' | 'add', sourceWords: readonly Word[], destWord: Word | undefined, instruction: Instruction): Promise<void> {
    if (!destWord) return;
    const fromFlag = kind === 'copy' ? instruction.flags.find((f) => f.name === 'from') : undefined;
    const destText = this.expandNonEmpty(destWord, 'The destination')?.value;
    const dest = normalizeDestination(destText ?? '');
    if (dest.escapes) this.report('KF3007', destWord.range, `The destination "${destText}" is outside the image root`);
    if (fromFlag) {
      await this.copyFrom(fromFlag, sourceWords, dest, instruction);
      return;
    }
    const sources: string[] = [];
    const matches: string[][] = [];
    for (const word of sourceWords) {
      const expanded = this.expandNonEmpty(word, 'The source');
      if (expanded === undefined) continue;
      const found = await this.contextSource(kind, expanded, word, dest);
      if (found === undefined) continue;
      sources.push(found.source);
      matches.push(found.matches);
    }
    const op: OpDraft<CopyOp> = {
      kind,
      sources,
      dest: dest.path,
      // A URL's `?` or `[` is no wildcard: one URL to a name without `/` is that file, as in BuildKit.
      destIsDirectory: dest.directory || sourceWords.length > 1 || sources.some((source) => sourceKind(source) === 'context' && hasWildcard(source)),
      matches,
      line: 0,
    };
    const chmod = instruction.flags.find((f) => f.name === 'chmod')?.value;
    if (chmod !== undefined) op.chmod = chmod;
    const becomesFile = destText !== undefined && (await this.sealerMakesFile(op, sourceWords.length, destText));
    if (becomesFile) {
      const source = op.sources[0];
      this.report(
        'KF3017',
        destWord.range,
        `sealer v0.11 copies one file to "${destText}", not a directory yet, as a file named ${dest.path} (not ${dest.path}/${source.slice(source.lastIndexOf('/') + 1)}); kubefilec copies it into the directory: write "${destText}/" for both to agree`,
        [{ title: `Write ${destText}/`, edits: [{ range: destWord.range, newText: `${destWord.text}/` }] }],
      );
    }
    this.made(op.dest, op.destIsDirectory && !becomesFile);
    this.push(op, instruction);
    await this.clusterfile(op);
  }

  /**
   * `COPY --from=<stage|index|image>`: sources are paths in that stage's or image's root (no context
   * checks), the image taken for the target platform even in a fixed stage (as BuildKit).
   */
  private async copyFrom(flag: Flag, sourceWords: readonly Word[], dest: Destination, instruction: Instruction): Promise<void> {
    const where = flag.valueRange ?? flag.range;
    const value = flag.value ?? '';
    const copy = this.stages.table.stages[this.stage]?.copies.find((c) => c.instruction === instruction);
    const ref = copy?.ref ?? resolveFrom(this.stages.table, value, this.stage, true);
    if ('error' in ref) {
      this.report('KF3026', where, ref.message);
      return;
    }
    const sources: string[] = [];
    for (const word of sourceWords) {
      const expanded = this.expandNonEmpty(word, 'The source');
      if (expanded !== undefined) sources.push(normalizeImagePath(expanded.value));
    }
    const op: OpDraft<CopyOp> = {
      kind: 'copy',
      sources,
      dest: dest.path,
      destIsDirectory: dest.directory || sourceWords.length > 1 || sources.some(hasWildcard),
      matches: sources.map(() => []),
      line: 0,
    };
    const chmod = instruction.flags.find((f) => f.name === 'chmod')?.value;
    if (chmod !== undefined) op.chmod = chmod;
    if ('stage' in ref) {
      // The id is set when the plan is read (`stageReferences`); the key is here for a stable field order.
      op.from = { stage: '', name: value };
      stageReferences.set(op, { stage: ref.stage, name: value });
    } else {
      const platform = formatPlatform(this.target);
      op.from = { image: ref.image, platform };
      const problem = imageReferenceError(ref.image);
      const names = [...this.stages.table.byName.keys()];
      const near = closestMatch(ref.image.toLowerCase(), names, Math.max(1, Math.floor(ref.image.length / 3)));
      if (near !== undefined) {
        this.report('KF3027', where, `--from=${value} names no stage, so it is taken as an image to pull: did you mean stage ${near}?`, [
          { title: `Change to ${near}`, edits: [{ range: where, newText: near }] },
        ]);
      } else if (problem !== undefined) {
        this.report('KF3021', where, `"${ref.image}" is not a valid image reference: ${problem}`);
      } else if (this.images) {
        const platforms = await this.cache.imagePlatforms(this.images, ref.image);
        if (platforms !== undefined && !platforms.some((p) => samePlatformSpecifier(p, this.target))) {
          this.report('KF3023', where, `image ${ref.image} (COPY --from) has no ${platform} variant (it has ${platforms.join(', ') || 'none'})`);
        }
      }
    }
    this.made(op.dest, op.destIsDirectory);
    this.push(op, instruction);
  }

  /**
   * Whether sealer v0.11 (buildah) makes `dest` a file where kubefilec copies into a directory:
   * one regular file (or one URL) copied to a rootfs directory written without `/` that does not
   * exist yet. It exists when the base is not scratch (unknown: not reported), when an earlier
   * instruction made it, or may after a RUN.
   */
  private async sealerMakesFile(op: OpDraft<CopyOp>, words: number, destText: string): Promise<boolean> {
    if (words !== 1 || op.sources.length !== 1 || !op.destIsDirectory || op.dest === '' || /\/\.?$/.test(destText)) return false;
    if (this.base.toLowerCase() !== 'scratch' || this.madeDirectories === 'unknown' || this.madeDirectories.has(op.dest)) return false;
    const source = op.sources[0];
    if (sourceKind(source) === 'http') return op.kind === 'add';
    if (hasWildcard(source)) return false;
    if (!this.context || op.matches[0]?.length !== 1) return false;
    const found = await followLinks(this.context, op.matches[0][0]);
    return found !== undefined && found !== 'outside' && found.entry.type === 'file';
  }

  /** Records the directories a copy to `dest` makes (`dest` itself when it is one, and its parents). */
  private made(dest: string, isDirectory: boolean): void {
    if (this.madeDirectories === 'unknown') return;
    const parts = dest === '' ? [] : dest.split('/');
    if (!isDirectory) parts.pop();
    const made = new Set(this.madeDirectories);
    for (let i = 1; i <= parts.length; i++) made.add(parts.slice(0, i).join('/'));
    if (made.size !== this.madeDirectories.size) this.madeDirectories = made;
  }

  /**
   * Checks one COPY/ADD/APP source: remote kinds, paths leaving the context, what it matches on
   * this platform, and the content rules of the destination. Returns the normalized source.
   */
  private async contextSource(kind: 'copy' | 'add' | 'app', expanded: Expanded, word: Word, dest: Destination | undefined): Promise<{ source: string; matches: string[] } | undefined> {
    const { value: source, unset } = expanded;
    const remote = sourceKind(source);
    if (remote !== 'context') {
      if (kind === 'copy') this.report('KF3006', word.range, `COPY cannot fetch ${remote === 'git' ? 'a git repository' : 'a URL'} ("${source}"): use ADD`);
      return { source, matches: [] };
    }
    const path = normalizeContextPath(source);
    if (path.escapes) {
      this.report('KF3005', word.range, `"${source}" is outside the build context: sources must be inside it`);
      return undefined;
    }
    // A leading `/` left by an unset variable (`${VERSON}/x`) is that variable's doing, told at it.
    if (path.absolute && unset.length === 0) {
      this.report('KF3005', word.range, `"${source}" is an absolute path: sources are relative to the build context (write "${path.path || '.'}")`);
    }
    const context = this.context;
    if (!context) return { source: path.path || '.', matches: [] };
    const resolution = await resolveSource(context, path);
    for (const outside of resolution.outside) {
      this.report('KF3005', word.range, `"${outside}" is a symlink to a file outside the build context`);
    }
    if (resolution.matches.length === 0 && resolution.outside.length === 0) {
      if (unset.length > 0) this.escalate(unset, `the source is then "${source}", which matches nothing in the build context`);
      else {
        const near = await this.similarSource(context, path.path, word);
        this.report('KF3004', word.range, `"${source}" matches nothing in the build context${near ? `: did you mean "${near.suggestion}"?` : ''}`, near?.fixes);
      }
    }
    if (dest) {
      await this.checkDestination(context, dest, resolution.matches, word);
      if (dest.path === 'bin' || dest.path.startsWith('bin/')) await this.recordPrograms(context, resolution.matches);
    }
    return { source: path.path || '.', matches: resolution.matches };
  }

  /** The content rules of `images/`, `plugins/`, `charts/` and `manifests/`. */
  private async checkDestination(context: BuildContext, dest: Destination, matches: readonly string[], word: Word): Promise<void> {
    const special = dest.special;
    if (!special) return;
    const problems: ArtifactProblem[] = [];
    if (special === 'charts') {
      for (const path of matches) problems.push(...(await this.cache.problems(`chart:${path}`, () => checkChart(context, path))));
    } else if (special === 'manifests') {
      for (const path of matches) problems.push(...(await this.cache.problems(`manifest:${path}`, () => checkManifest(context, path))));
    } else {
      for (const path of await filesUnder(context, matches)) {
        problems.push(
          ...(await this.cache.problems(`${special}:${path}`, async () => {
            if (special === 'plugins') return checkPluginFile(path, utf8Decode(await context.read(path)));
            const format = await imageArchiveFormat(context, path);
            return format ? [] : [{ path, message: `${path} is not an image archive (docker-archive or OCI archive tar)` }];
          })),
        );
      }
    }
    const code: DiagnosticCode = { images: 'KF3008', plugins: 'KF3009', charts: 'KF3010', manifests: 'KF3011' }[special] as DiagnosticCode;
    for (const problem of problems) {
      const where = problem.line === undefined ? '' : `:${problem.line + 1}`;
      const message = problem.message.startsWith(problem.path) ? problem.message : `${problem.path}${where}: ${problem.message}`;
      this.report(code, word.range, message);
    }
  }

  /** Remembers the programs a COPY puts in `bin/` and, for ELF files, their architecture. */
  private async recordPrograms(context: BuildContext, matches: readonly string[]): Promise<void> {
    for (const path of await filesUnder(context, matches, 1000)) {
      const header = await this.cache.header(context, path);
      this.programs.set(path.slice(path.lastIndexOf('/') + 1), elfArchitecture(header));
    }
  }

  /** `COPY Clusterfile etc` (or to `etc/Clusterfile`): the image's default Clusterfile. */
  private async clusterfile(op: OpDraft<CopyOp>): Promise<void> {
    if (!this.context || op.kind !== 'copy') return;
    const intoEtc = op.dest === 'etc' && op.destIsDirectory;
    for (const matched of op.matches) {
      for (const path of matched) {
        const name = path.slice(path.lastIndexOf('/') + 1);
        const entry = await this.context.stat(path);
        // A directory's contents land in dest: `COPY etc etc` or `COPY rootfs .` bring one along too.
        const inside = entry?.type === 'directory' ? (op.dest === 'etc' ? `${path}/Clusterfile` : op.dest === '' ? `${path}/etc/Clusterfile` : undefined) : undefined;
        if (inside !== undefined) {
          if ((await this.context.stat(inside))?.type === 'file') this.defaultClusterfile = utf8Decode(await this.context.read(inside));
        } else if ((intoEtc && name === 'Clusterfile') || op.dest === 'etc/Clusterfile') {
          if (entry?.type === 'file') this.defaultClusterfile = utf8Decode(await this.context.read(path));
        }
      }
    }
  }

  /**
   * APP, CNI, CSI: as sealer v0.11 does, the files go to `application/apps/<name>/` (a COPY of the
   * local sources, then an ADD of the URLs, at the instruction's line), and the app op records the
   * type and launch files sealer detects from them.
   */
  private async app(type: 'APP' | 'CNI' | 'CSI', nameWord: Word | undefined, sourceWords: readonly Word[], instruction: Instruction): Promise<void> {
    const name = nameWord?.text ?? '';
    const sources: string[] = [];
    const local: { sources: string[]; matches: string[][] } = { sources: [], matches: [] };
    const remote: string[] = [];
    const appSources: AppSource[] = [];
    let complete = true;
    for (const word of sourceWords) {
      const expanded = this.expandNonEmpty(word, 'The source');
      if (expanded === undefined) {
        complete = false;
        continue;
      }
      const source = expanded.value;
      sources.push(source);
      if (source.startsWith('local://')) {
        const written = source.slice('local://'.length);
        const found = await this.contextSource('app', { value: written, unset: expanded.unset }, word, undefined);
        if (found === undefined || found.matches.length === 0) complete = false;
        if (found === undefined) continue;
        local.sources.push(found.source);
        local.matches.push(found.matches);
        // A pattern (sealer has none: it stats the text) stands for each path it matched.
        if (hasWildcard(found.source)) for (const path of found.matches) appSources.push({ local: path, path });
        else appSources.push({ local: written, path: found.source });
      } else if (sourceKind(source) !== 'context') {
        remote.push(source);
      } else {
        complete = false; // not local:// nor a URL: KF1015
      }
    }
    const dest = normalizeDestination(`${APP_ROOT}/${name}/`);
    if (name !== '' && !dest.escapes) {
      this.made(dest.path, true);
      if (local.sources.length > 0) this.push({ kind: 'copy', sources: local.sources, dest: dest.path, destIsDirectory: true, matches: local.matches, line: 0 }, instruction);
      if (remote.length > 0) this.push({ kind: 'add', sources: remote, dest: dest.path, destIsDirectory: true, matches: remote.map(() => []), line: 0 }, instruction);
    }
    const app: OpDraft<AppOp> = { kind: 'app', type, name, sources, sealerType: '', files: [], line: 0 };
    appSources.push(...remote.map((url) => ({ url })));
    const detected = this.context && complete && name !== '' ? await sealerApplication(this.context, name, appSources) : undefined;
    if (detected) {
      app.sealerType = detected.type;
      app.files = detected.files;
      if (detected.type === '' && nameWord) undetected.set(app, { word: nameWord, reason: detected.reason ?? '' });
    }
    this.push(app, instruction);
  }

  private run(instruction: CommandInstruction): void {
    const line = 0;
    this.madeDirectories = 'unknown';
    const command = instruction.form === 'exec' ? instruction.args.map((a) => a.text) : (instruction.command?.text ?? '');
    const text = typeof command === 'string' ? command : command.join(' ');
    const platform = this.stageBuild.platform;
    if (!canRunOnLinux(platform)) {
      this.report('KF3012', instruction.keywordRange, `RUN cannot run for ${formatPlatform(platform)}: only Linux programs run on the build host`);
    }
    // `env` is worked out when the ops are read (from the ARG and ENV ops before it); here it takes its place among the keys.
    const op = { kind: 'run', command, preview: this.preview(text), line, env: {} } as OpDraft<RunOp>;
    if (instruction.heredocs.length > 0) op.heredocs = instruction.heredocs.map((h) => ({ name: h.name, content: h.content, expand: h.expand }));
    // A chrooted RUN runs the image's own programs, all for the stage platform: only a RUN on the host runs copied ones.
    const emulation = this.stageBuild.run !== 'chroot' ? this.emulation(text + instruction.heredocs.map((h) => `\n${h.content}`).join('')) : undefined;
    if (emulation) {
      op.emulation = emulation;
      this.report(
        'KF3013',
        instruction.keywordRange,
        `RUN runs ${emulation.architecture} programs (${emulation.programs.join(', ')}) on this ${sealerArch(this.build)} build host: they run under qemu`,
      );
    }
    this.push(op, instruction);
  }

  /** The foreign-architecture programs from `bin/` that a command names. */
  private emulation(text: string): { architecture: string; programs: string[] } | undefined {
    const hostArch = sealerArch(this.build);
    // Most files copy no foreign program: then no RUN text needs splitting into words.
    let foreign = false;
    for (const arch of this.programs.values()) if (arch !== undefined && arch !== hostArch) foreign = true;
    if (!foreign) return undefined;
    const words = new Set(text.split(/[\s;&|()<>`"'=]+/).map((w) => w.slice(w.lastIndexOf('/') + 1)));
    const programs: string[] = [];
    let architecture: string | undefined;
    for (const [name, arch] of this.programs) {
      if (arch === undefined || arch === hostArch || !words.has(name)) continue;
      programs.push(name);
      architecture = arch;
    }
    return architecture ? { architecture, programs: programs.sort() } : undefined;
  }

  /**
   * RUN/CMD text with `$V`/`${V}` of known variables replaced: what the shell will most likely run.
   * Variables named like secrets (KF2018) show as `***`: the preview is the build output and history.
   */
  private preview(text: string): string {
    return text.replace(/\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g, (whole, braced: string | undefined, bare: string | undefined) => {
      const name = braced ?? bare ?? '';
      const value = this.scope.lookup(name);
      return value === undefined ? whole : isSecretName(name) ? REDACTED : value;
    });
  }
}

/**
 * The entry a misspelt name most likely meant when it differs by more than a typo: one name is the
 * other with a suffix (`my-mysql-chart` for `my-mysql`), at least 3 characters shared.
 */
function sharedPrefixName(name: string, entries: readonly string[]): string | undefined {
  let best: string | undefined;
  for (const entry of entries) {
    const [short, long] = entry.length < name.length ? [entry, name] : [name, entry];
    if (short.length >= 3 && long.startsWith(short) && /^[-_.]/.test(long.slice(short.length)) && (best === undefined || entry.length > best.length)) best = entry;
  }
  return best;
}

/** Whether a platform as a store lists it (`linux/arm64/v8`) is `target`; an unreadable one is not. */
function samePlatformSpecifier(specifier: string, target: Platform): boolean {
  try {
    return samePlatform(parsePlatform(specifier), target);
  } catch {
    return false;
  }
}

/** `target.push(...source.slice(from, to))` without spreading: a Kubefile may have hundreds of thousands of ops. */
function append<T>(target: T[], source: readonly T[], from: number, to = source.length): void {
  for (let i = from; i < to; i++) target.push(source[i]);
}

/** A LABEL/APPENV key as BuildKit reads it: surrounding quotes removed. */
function unquote(text: string): string {
  return /^(["']).*\1$/s.test(text) ? text.slice(1, -1) : text;
}

/** An enumerable property computed on first read (JSON.stringify and spreads read it; digests do not). */
function defineLazy<T extends object, K extends keyof T>(target: T, key: K, compute: () => T[K]): void {
  Object.defineProperty(target, key, {
    enumerable: true,
    configurable: true,
    get() {
      const value = compute();
      Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
      return value;
    },
  });
}

/** The BUILD* variables alone: what a stage on a fixed platform has predefined. */
function buildVariables(build: Platform): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(platformVariables(build, build))) if (name.startsWith('BUILD')) out[name] = value;
  return out;
}
