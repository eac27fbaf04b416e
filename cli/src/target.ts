/**
 * What the compiling commands share: the target platforms (`--platform`), `--build-arg` values,
 * the host platform and the build context on disk, turned into `CompileOptions`.
 */
import { CachedContext, compile, parsePlatformList, platformFromNode, isPlatformError, isTargetError, type CompileOptions, type CompileResult, type Platform } from '@kubefile/compiler';
import { nodeContext, nodeSha256 } from '@kubefile/compiler/node';
import type { CommandIO } from './commands/io.js';
import { UsageError } from './errors.js';
import { formatText } from './report.js';
import { readKubefile, type KubefileSource } from './source.js';

export interface TargetOptions {
  /** `--platform` values, each possibly a comma list. */
  platform: string[];
  /** `--build-arg` values, `NAME=VALUE` or `NAME` (value from the environment). */
  buildArg: string[];
  /** `--target`: the stage to build (name or index); the last one by default. */
  target?: string;
}

/** The machine kubefilec runs on. */
export function hostPlatform(): Platform {
  return platformFromNode(process.platform, process.arch);
}

/** `NAME=VALUE` (the value may hold `=` and `,`), or `NAME` taken from the environment as Docker does. */
export function parseBuildArgs(values: readonly string[], env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const value of values) {
    const eq = value.indexOf('=');
    const name = eq === -1 ? value : value.slice(0, eq);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new UsageError(`--build-arg ${value}: "${name}" is not a valid variable name`);
    if (eq !== -1) out[name] = value.slice(eq + 1);
    else if (env[name] !== undefined) out[name] = env[name] as string;
    else throw new UsageError(`--build-arg ${name} has no value: write ${name}=VALUE, or set ${name} in the environment`);
  }
  return out;
}

export function compileOptions(options: TargetOptions, contextDir: string): CompileOptions {
  const host = hostPlatform();
  let platforms: Platform[];
  try {
    platforms = parsePlatformList(options.platform, host);
  } catch (error) {
    if (isPlatformError(error)) throw new UsageError(`--platform: ${error.message}`);
    throw error;
  }
  return {
    platforms,
    buildPlatform: host,
    buildArgs: parseBuildArgs(options.buildArg),
    // Remembered, and the likely COPY sources asked for all at once (prefetch), not one after the other.
    context: new CachedContext(nodeContext(contextDir)),
    sha256: nodeSha256,
    ...(options.target !== undefined ? { target: options.target } : {}),
  };
}

/** `compile`, with an unknown `--target` as a usage error (exit 2, one line). */
export async function compileForTarget(text: string, options: CompileOptions): Promise<CompileResult> {
  try {
    return await compile(text, options);
  } catch (error) {
    if (isTargetError(error)) throw new UsageError(`--target: ${error.message}`);
    throw error;
  }
}

/**
 * What compiling commands do first: read the Kubefile (`-f`, or found in CONTEXT), compile it for
 * the target platforms and print its diagnostics. Undefined when there were errors (exit 1).
 */
export async function compileKubefile(context: string, options: TargetOptions & { file?: string }, io: CommandIO): Promise<{ source: KubefileSource; result: CompileResult } | undefined> {
  const source = await readKubefile(options.file, context, io);
  const result = await compileForTarget(source.text, compileOptions(options, source.context));
  const report = formatText([{ file: source.displayPath, diagnostics: result.diagnostics }]);
  if (report) io.err(report);
  return result.hasErrors ? undefined : { source, result };
}
