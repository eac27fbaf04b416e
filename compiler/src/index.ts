/**
 * @kubefile/compiler: checks Kubefiles and plans their builds, one plan per target platform.
 * Pure: the build context is reached through an injected `BuildContext` (see `memoryContext`, or
 * `nodeContext` from `@kubefile/compiler/node`).
 *
 *   const { diagnostics, plans } = await compile(text, { platforms: ['linux/amd64', 'linux/arm64'], context });
 *   const { ast, diagnostics } = lint(text); // syntax and structure only, synchronous
 */
import { parse, sortDiagnostics, type Diagnostic, type DiagnosticFilter, type Kubefile, type LineMap } from '@kubefile/grammar';
import { check, type Check } from './check.js';
import { applyRuleControl } from './rules.js';

export interface LintOptions extends DiagnosticFilter {
  /** Checks run after parsing; defaults to every structural check. */
  checks?: readonly Check[];
}

export interface LintResult {
  ast: Kubefile;
  /** Syntax and structure diagnostics, after rule control (options, `# check=`, ignore comments), in source order. */
  diagnostics: Diagnostic[];
  lines: LineMap;
}

/** Parses and checks a Kubefile: everything `kubefilec lint` reports. */
export function lint(text: string, options: LintOptions = {}): LintResult {
  const parsed = parse(text);
  const all = parsed.diagnostics.concat(check(parsed.ast, options.checks));
  return { ast: parsed.ast, diagnostics: sortDiagnostics(applyRuleControl(parsed.ast, all, options)), lines: parsed.lines };
}

export {
  STRUCTURE_CHECKS,
  check,
  checkAddForCopy,
  checkApplications,
  checkConsecutiveRuns,
  checkDeprecated,
  checkDirectiveCase,
  checkDuplicateArgs,
  checkFrom,
  checkFromPlatform,
  checkKeywordCase,
  checkLaunch,
  checkLegacyKeyValue,
  checkSealerDifferences,
  checkSecretNames,
  checkStageInstructions,
  checkLaterStageBase,
  checkStageNames,
  type Check,
} from './check.js';

export { applyRuleControl, IGNORE_COMMENT_PREFIX, isRuleCode, readCheckDirective, unknownFilterCodes, type CheckDirective, type RuleControlOptions } from './rules.js';
export { argDeclarationWithoutValue } from './scope.js';
export { deferredCatalog } from './compile.js';
export { compile, compileParsed, CompileMemo, type CompileOptions, type CompileResult, type ImageCatalog } from './compile.js';
export { memoryContext, type BuildContext, type ByteRange, type ContextEntry, type ContextEntryType, type MemoryEntry } from './context.js';
export { CachedContext } from './context-cache.js';
export { expandParts, expandWord, MAX_EXPANDED_LENGTH, type Expansion, type ExpansionProblem, type VariableLookup } from './expand.js';
export { isSecretName, REDACTED } from './secrets.js';
export {
  canonicalJson,
  digestOps,
  IR_SCHEMA_VERSION,
  sha256Hex,
  stageId,
  toIrDocument,
  type Application,
  type BaseApplicationChange,
  type AppCmdsOp,
  type AppEnvOp,
  type AppOp,
  type ArgOp,
  type CmdOp,
  type CmdsOp,
  type CopyFrom,
  type CopyOp,
  type EnvOp,
  type FromOp,
  type ImageConfig,
  type IrDocument,
  type IrPlan,
  type IrStage,
  type KubeVersionOp,
  type LabelOp,
  type LaunchOp,
  type MaintainerOp,
  type Op,
  type OpKind,
  type PlatformPlan,
  type RunOp,
  type Sha256Hex,
  type StagePlan,
  type StageRun,
} from './plan.js';
export { findStage, isTargetError, reachableStages, TargetError, targetStage, resolveFrom, STAGE_NAME, stageTable, type StageCopy, type StageInfo, type StageRef, type StageTable } from './stages.js';
export {
  COMMON_PLATFORMS,
  DEFAULT_PLATFORM,
  PlatformError,
  canRunOnLinux,
  formatPlatform,
  isPlatformError,
  parsePlatform,
  parsePlatformList,
  platformFromNode,
  platformProblem,
  platformVariables,
  samePlatform,
  sealerArch,
  type Platform,
} from './platform.js';
export { execFormCommands } from './cmd.js';
export {
  cachedShellCheck,
  findingsOf,
  MappedScript,
  scriptText,
  shellCheck,
  ShellCheckCache,
  shellScripts,
  type ShellChecker,
  type ShellCheckComment,
  type ShellCheckOptions,
  type ShellCheckOutput,
  type ShellCheckResult,
  type ShellDialect,
  type ShellScript,
} from './shellcheck.js';
export { imageReferenceError, imageReferenceParts } from './reference.js';
export { normalizeContextPath, normalizeDestination, ROOTFS_DIRECTORIES, sourceKind, type Destination, type SourceKind } from './sources.js';
export {
  checkChart,
  checkManifest,
  checkPluginFile,
  elfArchitecture,
  imageArchiveFormat,
  isScript,
  PLUGIN_ACTIONS_V08,
  PLUGIN_ACTIONS_V09,
  PLUGIN_API_VERSIONS,
  PLUGIN_TYPES,
  type ArtifactProblem,
} from './artifacts.js';
