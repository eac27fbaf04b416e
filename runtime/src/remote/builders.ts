/**
 * Build nodes (`kubefilec builder add|ls|rm|inspect`): machines reached over SSH that build the
 * platforms they declare, as podman's farm and buildx's multi-node builders do. Kept next to the
 * registry credentials (kubefilec-builders.json beside Docker's auth file), each as its name, its
 * ssh:// address, its platforms and the key to use.
 */
import { dirname, join, resolve } from 'node:path';
import { formatPlatform, parsePlatform, platformProblem } from '@kubefile/compiler/platform';
import { isJsonObject, readJsonObjectFile, writableJsonPath, writeJsonObjectFile, type JsonObject } from '../config-file.js';
import { RuntimeError } from '../errors.js';
import { authFilePath } from '../registry/credentials.js';
import { formatSshUrl, parseSshUrl, SshConnection, type SshOptions } from './ssh.js';

export interface BuilderNode {
  name: string;
  /** ssh://[user@]host[:port] */
  url: string;
  /** The platforms it builds (linux/arm64/v8 ...), as found on the node when not given. */
  platforms: string[];
  /** The private key to reach it with (an absolute path); default: ssh's own choice. */
  identity?: string;
  /** The node's image store (a path there); default: kubefilec's default for the user it logs in as. */
  root?: string;
  /** When it was added (ISO 8601). */
  added: string;
}

/** The file: kubefilec-builders.json next to the credentials (Docker's auth file). */
export function buildersFilePath(env: NodeJS.ProcessEnv = process.env): string {
  return join(dirname(authFilePath(env)), 'kubefilec-builders.json');
}

const NAME = /^[a-z0-9][a-z0-9_.-]{0,62}$/;

export function checkBuilderName(name: string): void {
  if (!NAME.test(name)) throw new RuntimeError('BUILDER', `${JSON.stringify(name)} is not a builder name: lower-case letters, digits, '.', '_' and '-', starting with a letter or digit, at most 63`);
}

/** The stored nodes, in the order they were added. */
export async function listBuilders(env: NodeJS.ProcessEnv = process.env): Promise<BuilderNode[]> {
  const path = buildersFilePath(env);
  return buildersIn(await readJsonObjectFile(path), path);
}

function buildersIn(file: JsonObject | undefined, path: string): BuilderNode[] {
  if (file === undefined || file.builders === undefined) return [];
  if (!Array.isArray(file.builders)) throw new RuntimeError('IO', `${path}: "builders" is not a list`);
  return file.builders.map((entry: unknown, index) => builderFrom(entry, `${path}: builders[${index}]`));
}

/** A stored node, checked as it is read: the file may have been edited by hand. */
function builderFrom(entry: unknown, where: string): BuilderNode {
  if (!isJsonObject(entry)) throw new RuntimeError('IO', `${where} is not an object`);
  const { name, url, platforms, identity, root, added } = entry;
  if (typeof name !== 'string' || typeof url !== 'string' || !Array.isArray(platforms) || !platforms.every((p) => typeof p === 'string')) {
    throw new RuntimeError('IO', `${where} needs a name, a url and a list of platforms`);
  }
  try {
    checkBuilderName(name);
    parseSshUrl(url);
    for (const platform of platforms) checkNodePlatform(platform);
  } catch (error) {
    throw new RuntimeError('IO', `${where}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (root !== undefined && (typeof root !== 'string' || !root.startsWith('/'))) throw new RuntimeError('IO', `${where}: "root" is not an absolute path`);
  return { name, url, platforms, ...(typeof identity === 'string' ? { identity } : {}), ...(root !== undefined ? { root } : {}), added: typeof added === 'string' ? added : '' };
}

/** A platform a node can build: a Linux one, in its full form (linux/arm64/v8). */
function checkNodePlatform(platform: string): string {
  const problem = platformProblem(platform);
  if (problem !== undefined) throw new RuntimeError('BUILDER', `${JSON.stringify(platform)} is not a platform: ${problem}`);
  const parsed = parsePlatform(platform);
  if (parsed.os !== 'linux') throw new RuntimeError('BUILDER', `a node builds Linux platforms, not ${formatPlatform(parsed)}`);
  return formatPlatform(parsed);
}

/** What a node says of itself. */
export interface NodeFacts {
  /** Its platform, from `uname -m`. */
  platform: string;
  /** `node --version` there, or undefined when Node.js is not on its PATH. */
  nodeVersion?: string;
}

/** kubefilec runs on a node with the Node.js it needs here. */
export const NODE_MAJOR_NEEDED = 20;

/** `uname -m` to a platform (Linux's machine names; parsePlatform knows x86_64 and aarch64). */
function platformOfMachine(machine: string): string {
  const arm = /^armv([5-7])/.exec(machine);
  if (arm) return `linux/arm/v${arm[1]}`;
  const platform = `linux/${machine === 'i686' || machine === 'i586' ? '386' : machine}`;
  if (platformProblem(platform) !== undefined) throw new RuntimeError('BUILDER', `the node's machine type ${JSON.stringify(machine)} (uname -m) is not one kubefilec builds for: give --platform`);
  return formatPlatform(parsePlatform(platform));
}

/** Asks the node its machine type and Node.js version, in one round trip. */
export async function probeNode(connection: SshConnection, signal?: AbortSignal): Promise<NodeFacts> {
  const { exitCode, stdout, stderr } = await connection.run('uname -s; uname -m; node --version 2>/dev/null || echo none', { timeoutMs: 30_000, maxOutputBytes: 4096, ...(signal ? { signal } : {}) });
  const [system, machine, version] = stdout.split('\n').map((line) => line.trim());
  if (exitCode !== 0 || !machine) throw new RuntimeError('BUILDER', `${connection.label}: cannot tell its machine type: ${stderr.trim().split('\n').at(-1) || `exit code ${exitCode}`}`);
  if (system !== 'Linux') throw new RuntimeError('BUILDER', `${connection.label} runs ${system}: a node must run Linux`);
  const nodeVersion = nodeVersionOf(version);
  return { platform: platformOfMachine(machine), ...(nodeVersion ? { nodeVersion } : {}) };
}

/** What `node --version` printed on the node, when it is a version (`v20.20.2`); else Node.js is not there. */
export function nodeVersionOf(line: string | undefined): string | undefined {
  return line !== undefined && /^v\d+\./.test(line) ? line : undefined;
}

/** The node can run kubefilec: Node.js 20 or newer on its PATH (`nodeVersion` as `nodeVersionOf` gives it). */
export function nodeProblem(nodeVersion: string | undefined): string | undefined {
  if (nodeVersion === undefined) return `Node.js is not installed there (kubefilec needs Node.js ${NODE_MAJOR_NEEDED} or newer on the node's PATH)`;
  const major = Number(/^v(\d+)/.exec(nodeVersion)?.[1]);
  return major >= NODE_MAJOR_NEEDED ? undefined : `it has Node.js ${nodeVersion}; kubefilec needs ${NODE_MAJOR_NEEDED} or newer there`;
}

/** The connection to a stored node, with its key. */
export function connectBuilder(builder: Pick<BuilderNode, 'url' | 'identity'>, options: Omit<SshOptions, 'identity'> = {}): SshConnection {
  return new SshConnection(parseSshUrl(builder.url), { ...options, ...(builder.identity ? { identity: builder.identity } : {}) });
}

export interface AddBuilderOptions {
  /** The platforms it builds; default: its own, from `uname -m`. */
  platforms?: readonly string[];
  identity?: string;
  /** The node's image store: an absolute path there. */
  root?: string;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
}

/**
 * Adds a node after reaching it: its host key is learned on this first connection (the way ssh asks
 * once), its machine type read when no platform is given, and Node.js checked. A name already taken
 * is refused: remove it first.
 */
export async function addBuilder(name: string, url: string, options: AddBuilderOptions = {}): Promise<{ builder: BuilderNode; facts: NodeFacts }> {
  checkBuilderName(name);
  const destination = parseSshUrl(url);
  if (options.root !== undefined && !options.root.startsWith('/')) throw new RuntimeError('BUILDER', `--root ${options.root}: the node's store must be an absolute path there`);
  const platforms = [...new Set((options.platforms ?? []).map(checkNodePlatform))];
  const env = options.env ?? process.env;
  if ((await listBuilders(env)).some((b) => b.name === name)) throw new RuntimeError('BUILDER', `a builder named ${name} exists already: remove it first (kubefilec builder rm ${name})`);
  const identity = options.identity === undefined ? undefined : resolve(options.identity);
  const connection = new SshConnection(destination, { acceptNewHostKey: true, ...(identity ? { identity } : {}) });
  let facts: NodeFacts;
  try {
    facts = await probeNode(connection, options.signal);
  } finally {
    await connection.close();
  }
  const problem = nodeProblem(facts.nodeVersion);
  if (problem) throw new RuntimeError('BUILDER', `${formatSshUrl(destination)}: ${problem}`);
  const builder: BuilderNode = { name, url: formatSshUrl(destination), platforms: platforms.length > 0 ? platforms : [facts.platform], ...(identity ? { identity } : {}), ...(options.root ? { root: options.root } : {}), added: new Date().toISOString() };
  await updateBuilders(env, (builders) => {
    // Added meanwhile by another kubefilec: the first one stays.
    if (builders.some((b) => b.name === name)) throw new RuntimeError('BUILDER', `a builder named ${name} exists already: remove it first (kubefilec builder rm ${name})`);
    return [...builders, builder];
  });
  return { builder, facts };
}

/** Removes the named nodes; every name must be one. */
export async function removeBuilders(names: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  await updateBuilders(env, (builders) => {
    const missing = names.filter((name) => !builders.some((b) => b.name === name));
    if (missing.length > 0) throw new RuntimeError('BUILDER', `no builder named ${missing.join(', ')} (kubefilec builder ls lists them)`);
    return builders.filter((b) => !names.includes(b.name));
  });
}

/** The named node, or a clear error. */
export async function getBuilder(name: string, env: NodeJS.ProcessEnv = process.env): Promise<BuilderNode> {
  const found = (await listBuilders(env)).find((b) => b.name === name);
  if (!found) throw new RuntimeError('BUILDER', `no builder named ${name} (kubefilec builder ls lists them)`);
  return found;
}

async function updateBuilders(env: NodeJS.ProcessEnv, change: (builders: BuilderNode[]) => BuilderNode[]): Promise<void> {
  const path = await writableJsonPath(buildersFilePath(env));
  const file = (await readJsonObjectFile(path)) ?? {};
  await writeJsonObjectFile(path, { ...file, builders: change(buildersIn(file, path)) });
}
