/**
 * The IR: one build plan per target platform, an ordered list of content-addressed ops plus the
 * image config they produce; each plan builds its stages (one per FROM it needs), and a stage
 * with the same id in several plans (a builder on a fixed platform) is the same work. Ops hold expanded values only (no `${...}` left, except in RUN/CMD
 * text, which the shell expands from `env`). The JSON form is versioned (`IR_SCHEMA_VERSION`) and
 * described by docs/ir.schema.json.
 */
import { sha256 } from '@noble/hashes/sha2';
import { bytesToHex } from '@noble/hashes/utils';
import type { SealerAppType } from './applications.js';
import type { Platform } from './platform.js';
import { utf8Encode } from './text.js';

export const IR_SCHEMA_VERSION = 2;

interface OpBase {
  /**
   * `sha256:` over the op's canonical JSON (without `digest` and `line`) and its parent op's
   * digest. Equal digests mean equal work given equal inputs; the runtime folds in source content.
   */
  digest: string;
  /** 1-based line of the instruction in the Kubefile. */
  line: number;
}

export interface FromOp extends OpBase {
  kind: 'from';
  /** `scratch`, a store/registry reference, `oci-archive:PATH` or `oci:DIR[:TAG]`. */
  image: string;
  /** The `StagePlan.id` of the stage this FROM names, when it names one (`FROM builder`). */
  stage?: string;
}

export interface CopyOp extends OpBase {
  kind: 'copy' | 'add';
  /** Expanded sources: context paths (normalized, wildcards kept) or, for ADD, URLs. */
  sources: string[];
  /** Normalized destination relative to the image root; `''` is the root. */
  dest: string;
  /** Sources go inside `dest` (it ends with `/`, is a known rootfs directory, or there are several sources). */
  destIsDirectory: boolean;
  /** The context files each source matched on this platform (directories listed as themselves). */
  matches: string[][];
  chmod?: string;
  /** `COPY --from`: a stage (its `StagePlan.id` and name or index as written) or an image pulled for `platform`. */
  from?: CopyFrom;
}

export type CopyFrom = { stage: string; name: string } | { image: string; platform: string };

export interface RunOp extends OpBase {
  kind: 'run';
  /** Shell form: the text handed to `sh -c`; exec form: the program and its arguments. */
  command: string | string[];
  /** ARG and ENV values in scope (ARCH, TARGET* and BUILD* included), as the command's environment. */
  env: Record<string, string>;
  /** The command with the variables it references replaced by their values, for display only. */
  preview: string;
  /** Heredoc bodies the command reads (`RUN <<EOF`). */
  heredocs?: { name: string; content: string; expand: boolean }[];
  /** Set when the command runs programs built for another architecture than the build host's. */
  emulation?: { architecture: string; programs: string[] };
}

export interface EnvOp extends OpBase {
  kind: 'env';
  env: Record<string, string>;
}

export interface LabelOp extends OpBase {
  kind: 'label';
  labels: Record<string, string>;
}

export interface ArgOp extends OpBase {
  kind: 'arg';
  /** Each declared name and its value (build arg, else default); null when it has none. */
  args: Record<string, string | null>;
}

export interface CmdOp extends OpBase {
  kind: 'cmd';
  command: string | string[];
  preview: string;
}

export interface AppOp extends OpBase {
  kind: 'app';
  /** APP, or the CNI/CSI forms. */
  type: 'APP' | 'CNI' | 'CSI';
  name: string;
  /** Expanded sources: `local://path` (in the context) or URLs. */
  sources: string[];
  /**
   * The type sealer v0.11 detects from the sources: `helm` (a chart), `kube` (only .yaml/.yml
   * files), `shell` (only .sh files), `''` when none (or without a build context).
   */
  sealerType: SealerAppType;
  /**
   * The files sealer v0.11 records for the default launch command, relative to
   * `application/apps/<name>/`: helm `[name]`; kube every file (a directory source's as sealer
   * writes them, `/a.yaml`); shell the first source's files; `[]` when the type is `''`.
   */
  files: string[];
}

export interface AppCmdsOp extends OpBase {
  kind: 'appcmds';
  app: string;
  command: string[];
}

export interface AppEnvOp extends OpBase {
  kind: 'appenv';
  app: string;
  env: Record<string, string>;
}

export interface LaunchOp extends OpBase {
  kind: 'launch';
  apps: string[];
}

export interface CmdsOp extends OpBase {
  kind: 'cmds';
  commands: string[];
}

export interface KubeVersionOp extends OpBase {
  kind: 'kubeversion';
  constraint: string;
}

export interface MaintainerOp extends OpBase {
  kind: 'maintainer';
  maintainer: string;
}

export type Op = FromOp | CopyOp | RunOp | EnvOp | LabelOp | ArgOp | CmdOp | AppOp | AppCmdsOp | AppEnvOp | LaunchOp | CmdsOp | KubeVersionOp | MaintainerOp;
export type OpKind = Op['kind'];

/** An op before its digest is known. */
export type OpDraft<T extends Op = Op> = T extends Op ? Omit<T, 'digest'> : never;

export interface Application {
  name: string;
  type: 'APP' | 'CNI' | 'CSI';
  sources: string[];
  /** sealer's application type (the `type` of sealer's `applications[]`); see `AppOp`. */
  sealerType: SealerAppType;
  /** sealer's launch files (the `files` of sealer's `applications[]`); see `AppOp`. */
  files: string[];
  cmds?: string[];
  env?: Record<string, string>;
}

/** What the ops leave in the image config, on top of the base image's. */
export interface ImageConfig {
  /** Every CMD command, in order (appended to the base image's). */
  cmds: string[];
  env: Record<string, string>;
  labels: Record<string, string>;
  args: Record<string, string>;
  /**
   * The names in `args` that look like secrets (KF2018, BuildKit's SecretsUsedInArgOrEnv rule), sorted; absent when none.
   * Builders show their values as `***` in the image history, the stored `args` and the build output.
   */
  secretArgs?: string[];
  /** The default Clusterfile (`COPY Clusterfile etc`), stored as the `sea.aliyun.com/ClusterFile` annotation. */
  clusterfile?: string;
  apps: Application[];
  /** APPCMDS and APPENV for applications of the base image (this Kubefile declares no APP of that name). */
  baseApps?: BaseApplicationChange[];
  launch?: { apps?: string[]; cmds?: string[] };
  kubeVersion?: string;
  maintainer?: string;
}

/** What a Kubefile changes in a base image's application: its APPCMDS replace the base's, its APPENV adds to the base's. */
export interface BaseApplicationChange {
  name: string;
  cmds?: string[];
  env?: Record<string, string>;
}

/** How a stage's RUN commands execute: on the host (cluster image, scratch), chrooted into the rootfs (OS image), or not known yet. */
export type StageRun = 'host' | 'chroot' | 'unknown';

/** One FROM section of a Kubefile as planned for one target platform. */
export interface StagePlan {
  /** The identity of the stage's result: sha256 of `platform + "\n" + last op digest` (of `platform` alone when it has no op). */
  id: string;
  /** 0-based position of its FROM among the Kubefile's FROMs. */
  index: number;
  /** The `AS` name, lower-cased. */
  name?: string;
  /** 1-based line of its FROM. */
  line: number;
  /** The platform the stage is built for: the target's, or its `FROM --platform` value. */
  platform: string;
  target: Platform;
  /** `FROM --platform` gives a platform other than `$TARGETPLATFORM`. */
  fixedPlatform: boolean;
  /** The expanded FROM image. */
  base: string;
  /** The `id` of the stage its FROM names. */
  baseStage?: string;
  run: StageRun;
  ops: Op[];
  /** The `id`s of the stages it reads (FROM, COPY --from). */
  uses: string[];
}

export interface PlatformPlan {
  /** `linux/arm64/v8`. */
  platform: string;
  /** The parsed platform. */
  target: Platform;
  /** The expanded FROM image (`scratch` when the Kubefile has none); the target stage's. */
  base: string;
  /** The target stage's ops. */
  ops: Op[];
  /** The target stage's config. */
  config: ImageConfig;
  /** The stages to build, in build order, the target stage last (every stage with `allStages`). */
  stages: StagePlan[];
}

/** JSON with object keys sorted and no blanks: the same value always gives the same text. */
export function canonicalJson(value: unknown, skip: ReadonlySet<string> = NO_KEYS): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i === 0 ? '' : ',') + canonicalJson(value[i]);
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  let out = '{';
  for (const key of keys) {
    // Skipped keys are never read: one may be a getter that is costly to run (a RUN's env).
    if (skip.has(key)) continue;
    const item = record[key];
    if (item === undefined) continue;
    out += `${out.length === 1 ? '' : ','}${JSON.stringify(key)}:${canonicalJson(item)}`;
  }
  return `${out}}`;
}

const NO_KEYS: ReadonlySet<string> = new Set();

/** The hex SHA-256 of a text's UTF-8 bytes. Hosts may inject a native one (`@kubefile/compiler/node`). */
export type Sha256Hex = (text: string) => string;

/** The portable SHA-256 (pure JavaScript), used when the host does not provide one. */
export const sha256Hex: Sha256Hex = (text) => bytesToHex(sha256(utf8Encode(text)));

/**
 * The fields that make an op what it is, in a fixed order: the digest's input. Left out: where the
 * op stands (`line`), what the context held (`matches`: the runtime hashes source content itself),
 * what is derived for display (`preview`, `emulation`), and a RUN's `env`, which the ARG/ENV ops
 * before it (already in the chain) and the platform variables (`platformKey`: the target and build platforms they derive from) determine.
 * Records (env, labels) keep their source order. A test changes every field and expects a new digest.
 */
function identity(op: OpDraft, platformKey: string): unknown[] {
  switch (op.kind) {
    case 'from':
      // Optional fields are appended only when present: the digests of single-stage files stay as they were.
      return op.stage === undefined ? [op.kind, op.image] : [op.kind, op.image, op.stage];
    case 'copy':
    case 'add': {
      const fields: unknown[] = [op.kind, op.sources, op.dest, op.destIsDirectory, op.chmod ?? null];
      if (op.from !== undefined) fields.push(op.from);
      return fields;
    }
    case 'run':
      return [op.kind, op.command, op.heredocs ?? null, platformKey];
    case 'env':
      return [op.kind, op.env];
    case 'label':
      return [op.kind, op.labels];
    case 'arg':
      return [op.kind, op.args];
    case 'cmd':
      return [op.kind, op.command];
    case 'app':
      return [op.kind, op.type, op.name, op.sources, op.sealerType, op.files];
    case 'appcmds':
      return [op.kind, op.app, op.command];
    case 'appenv':
      return [op.kind, op.app, op.env];
    case 'launch':
      return [op.kind, op.apps];
    case 'cmds':
      return [op.kind, op.commands];
    case 'kubeversion':
      return [op.kind, op.constraint];
    case 'maintainer':
      return [op.kind, op.maintainer];
  }
}

/**
 * Gives each draft its digest in place: SHA-256 of the parent's digest and the op's identity as
 * JSON. `platformKey` (the platform variables) enters RUN ops only, so ops that do not depend on
 * the platform get the same digest in every plan.
 */
export function digestOps(drafts: readonly OpDraft[], platformKey = '', hash: Sha256Hex = sha256Hex): Op[] {
  let parent = '';
  for (const draft of drafts) {
    parent = `sha256:${hash(`${parent}\n${JSON.stringify(identity(draft, platformKey))}`)}`;
    (draft as Op).digest = parent;
  }
  return drafts as Op[];
}

/** A stage in the IR document: the `StagePlan` (without its parsed `target`) and the plans that build it. */
export type IrStage = Omit<StagePlan, 'target'> & {
  /** The platforms of the plans that build this stage (a stage on a fixed platform may serve several). */
  plans: string[];
};

/** A plan in the IR document: its stages by id (the stages are listed once, in `IrDocument.stages`). */
export interface IrPlan {
  platform: string;
  /** The target stage's expanded FROM image. */
  base: string;
  /** The id of the target stage (the image this plan makes). */
  target: string;
  /** The ids of the stages to build, in build order, `target` last. */
  stages: string[];
  /** The target stage's config. */
  config: ImageConfig;
}

/** The versioned JSON document `kubefilec compile --emit ir` prints. */
export interface IrDocument {
  schemaVersion: typeof IR_SCHEMA_VERSION;
  /** Every stage of every plan, once per id, in the order the plans first list them. */
  stages: IrStage[];
  plans: IrPlan[];
}

export function toIrDocument(plans: readonly PlatformPlan[]): IrDocument {
  const stages = new Map<string, IrStage>();
  const irPlans = plans.map((plan): IrPlan => {
    for (const stage of plan.stages) {
      const listed = stages.get(stage.id);
      if (listed) {
        if (!listed.plans.includes(plan.platform)) listed.plans.push(plan.platform);
        continue;
      }
      const { target: _parsed, ...rest } = stage;
      stages.set(stage.id, { ...rest, plans: [plan.platform] });
    }
    const ids = plan.stages.map((s) => s.id);
    return { platform: plan.platform, base: plan.base, target: ids[ids.length - 1], stages: ids, config: plan.config };
  });
  return { schemaVersion: IR_SCHEMA_VERSION, stages: [...stages.values()], plans: irPlans };
}

/** A stage's `id`: sha256 of its platform and its last op's digest, so equal work on one platform gives one id. */
export function stageId(platform: string, ops: readonly Op[], hash: Sha256Hex = sha256Hex): string {
  const last = ops.length > 0 ? ops[ops.length - 1].digest : undefined;
  return `sha256:${hash(last === undefined ? platform : `${platform}\n${last}`)}`;
}
