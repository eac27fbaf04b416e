/**
 * `kubefile` tasks: the task definition users write in tasks.json (or that the provider detects
 * for each Kubefile), checked and turned into a kubefilec command line. Pure.
 */

import { kubefilecBuildFlags, PULL_POLICIES, type PullPolicy } from './build-options.js';

export const TASK_TYPE = 'kubefile';
/** The problem matcher (package.json) that reads kubefilec's FILE:LINE:COL: SEVERITY [CODE]: MESSAGE lines. */
export const PROBLEM_MATCHER = '$kubefilec';

export interface KubefileTaskDefinition {
  type: typeof TASK_TYPE;
  command: 'build' | 'lint';
  /** The Kubefile, relative to the workspace folder. */
  file?: string;
  /** The build context, relative to the workspace folder. */
  context?: string;
  tag?: string;
  platforms?: string[];
  buildArgs?: Record<string, string>;
  noCache?: boolean;
  imageLists?: string[];
  ignoreImageLists?: string[];
  skipMissingPlatform?: boolean;
  pull?: PullPolicy;
}

/** What a task falls back to: the extension's settings. */
export interface TaskDefaults {
  platforms: readonly string[];
  buildArgs: Readonly<Record<string, string>>;
  /** The image store (`kubefile.root`); empty for kubefilec's default. */
  root: string;
}

/** A task definition that cannot run, with what is wrong in the user's words. */
export class TaskDefinitionError extends Error {
  override readonly name = 'TaskDefinitionError';
}

function dirnameOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash <= 0 ? (slash === 0 ? '/' : '.') : path.slice(0, slash);
}

function stringList(value: unknown, field: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) throw new TaskDefinitionError(`"${field}" must be a list of strings`);
  return value as string[];
}

/**
 * kubefilec's arguments for a task, run from the workspace folder. Throws TaskDefinitionError for
 * a definition that cannot run (a build without a tag, a field of the wrong type).
 */
export function kubefilecArguments(definition: KubefileTaskDefinition, defaults: TaskDefaults): string[] {
  const { command } = definition;
  if (command !== 'build' && command !== 'lint') throw new TaskDefinitionError(`"command" must be "build" or "lint", not ${JSON.stringify(command)}`);
  for (const field of ['file', 'context', 'tag'] as const) {
    if (definition[field] !== undefined && typeof definition[field] !== 'string') throw new TaskDefinitionError(`"${field}" must be a string`);
  }
  const platforms = definition.platforms !== undefined ? stringList(definition.platforms, 'platforms') : [...defaults.platforms];
  const buildArgs = definition.buildArgs ?? defaults.buildArgs;
  if (typeof buildArgs !== 'object' || buildArgs === null || Array.isArray(buildArgs) || Object.values(buildArgs).some((v) => typeof v !== 'string')) {
    throw new TaskDefinitionError('"buildArgs" must map names to string values');
  }
  const context = definition.context ?? (definition.file ? dirnameOf(definition.file) : '.');
  const args: string[] = [command, context];
  if (definition.file) args.push('-f', definition.file);
  if (platforms.length > 0) args.push('--platform', platforms.join(','));
  for (const [name, value] of Object.entries(buildArgs)) args.push('--build-arg', `${name}=${value}`);
  if (command === 'lint') return args;

  const tag = definition.tag?.trim();
  if (!tag) throw new TaskDefinitionError('a "build" task needs a "tag", e.g. "my-cluster:v1"');
  args.push('-t', tag, '--progress', 'plain');
  if (definition.pull !== undefined && !PULL_POLICIES.includes(definition.pull)) throw new TaskDefinitionError(`"pull" must be one of ${PULL_POLICIES.join(', ')}`);
  args.push(
    ...kubefilecBuildFlags({
      noCache: definition.noCache === true,
      imageLists: stringList(definition.imageLists, 'imageLists'),
      ignoreImageLists: stringList(definition.ignoreImageLists, 'ignoreImageLists'),
      skipMissingPlatform: definition.skipMissingPlatform === true,
      pull: definition.pull ?? 'missing',
    }),
  );
  if (defaults.root) args.push('--root', defaults.root);
  return args;
}

/** The name a task is listed under: `build examples/multi-arch/Kubefile as multi-arch:latest`. */
export function taskLabel(definition: KubefileTaskDefinition): string {
  const target = definition.file ?? definition.context ?? 'Kubefile';
  return definition.command === 'build' ? `build ${target} as ${definition.tag ?? '?'}` : `lint ${target}`;
}

/**
 * The tasks offered for the Kubefiles found in a workspace folder (paths relative to it, with
 * `/`): a lint and a build of each, the build tagged as "Kubefile: Build Image" would propose.
 */
export function detectedTasks(kubefiles: readonly string[], tagFor: (file: string) => string): KubefileTaskDefinition[] {
  return [...kubefiles]
    .sort()
    .flatMap((file) => [
      { type: TASK_TYPE, command: 'build', file, tag: tagFor(file) },
      { type: TASK_TYPE, command: 'lint', file },
    ]);
}

/** How a task starts kubefilec. */
export interface KubefilecProcess {
  command: string;
  args: string[];
  env: Record<string, string>;
}

/**
 * The configured kubefilec (`kubefile.kubefilecPath`), or the bundled one run by the editor's own
 * executable: in VS Code that is Electron, which runs a script as plain Node with ELECTRON_RUN_AS_NODE.
 */
export function kubefilecProcess(configured: string, bundled: { execPath: string; script: string }, args: readonly string[]): KubefilecProcess {
  if (configured.trim() !== '') return { command: configured.trim(), args: [...args], env: {} };
  return { command: bundled.execPath, args: [bundled.script, ...args], env: { ELECTRON_RUN_AS_NODE: '1' } };
}
