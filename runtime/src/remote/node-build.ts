/**
 * `build --builder`: which platforms go to which node, and building them there. A node gets
 * kubefilec itself (one bundle, copied into its ~/.cache/kubefilec when missing), its platforms'
 * plans and the context files it lacks; it builds into its own store and sends back the blobs
 * this store lacks, so the index is assembled here as for a local build (agent.ts has the exchange).
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { formatPlatform, parsePlatform, type Platform, type PlatformPlan } from '@kubefile/compiler';
import type { BuildEvent, PlatformBuild } from '../build/build.js';
import { FileDigestCache } from '../build/file-digests.js';
import { RuntimeError, type RuntimeErrorCode } from '../errors.js';
import type { Digest } from '../image/digest.js';
import { platformImages, platformKey } from '../image/image.js';
import { MEDIA_TYPE, type Descriptor } from '../image/oci.js';
import type { ImageStore } from '../store/store.js';
import type { NodeBaseImage, NodeBuildRequest, NodeBuildSettings, NodeBuilt, NodeError } from './agent.js';
import { connectBuilder, nodeProblem, nodeVersionOf, type BuilderNode } from './builders.js';
import { contextFilesOf } from './context-files.js';
import { FrameReader, FrameWriter, WHOLE_PAYLOAD_BYTES, type FrameHeader } from './frames.js';
import { shellQuote, type SshConnection } from './ssh.js';

export interface NodeAssignment {
  builder: BuilderNode;
  plans: PlatformPlan[];
}

const samePlatform = (a: string, b: string): boolean => formatPlatform(parsePlatform(a)) === formatPlatform(parsePlatform(b));

/**
 * Each plan to the first builder (in the order given) that declares its platform; the others stay
 * here. With `noEmulation`, a platform this host does not run natively and no builder declares is an error.
 */
export function assignPlatforms(plans: readonly PlatformPlan[], builders: readonly BuilderNode[], host: Platform, noEmulation = false): { local: PlatformPlan[]; nodes: NodeAssignment[] } {
  const local: PlatformPlan[] = [];
  const nodes = new Map<string, NodeAssignment>();
  for (const plan of plans) {
    const builder = builders.find((b) => b.platforms.some((p) => samePlatform(p, plan.platform)));
    if (builder) {
      const assignment = nodes.get(builder.name) ?? { builder, plans: [] };
      assignment.plans.push(plan);
      nodes.set(builder.name, assignment);
    } else if (noEmulation && plan.target.architecture !== host.architecture) {
      throw new RuntimeError('BUILDER', `no builder builds ${plan.platform} (${builders.map((b) => `${b.name}: ${b.platforms.join(',')}`).join('; ') || 'none given'}), and --no-emulation keeps it from being emulated here`);
    } else {
      local.push(plan);
    }
  }
  return { local, nodes: [...nodes.values()] };
}

/** kubefilec for nodes: the single-file bundle, named by its content so each version is copied once. */
export interface AgentBundle {
  file: string;
  name: string;
  content: Buffer;
}

export async function readAgentBundle(file: string): Promise<AgentBundle> {
  let content: Buffer;
  try {
    content = await readFile(file);
  } catch {
    throw new RuntimeError('BUILDER', `${file} is missing: kubefilec's node bundle is made by its build (npm run build)`);
  }
  return { file, content, name: `kubefilec-${createHash('sha256').update(content).digest('hex').slice(0, 16)}.mjs` };
}

export interface NodeBuildOptions {
  store: ImageStore;
  /** The build context here. */
  context: string;
  tag: string;
  kubefile?: string;
  settings: NodeBuildSettings;
  agent: AgentBundle;
  onEvent?: (event: BuildEvent) => void;
}

/** Where the bundle lives on a node: its user's cache directory (the remote shell expands $HOME). */
const nodeBundlePath = (name: string): string => `"$HOME/.cache/kubefilec/${name}"`;

/** Context files read whole (WHOLE_PAYLOAD_BYTES), this many ahead of the one being sent. */
const READ_AHEAD = 8;

/** Context files and blob lists larger than this are refused from a node. */
const MAX_BUILT_BYTES = 64 << 20;
/** What a node's agent may print on standard error that is kept for a message. */
const STDERR_KEPT = 64 << 10;

/** The node's platforms as one `PlatformBuild` of buildImage: it builds there, and fails with the node's error. */
export function nodePlatformBuild(assignment: NodeAssignment, options: NodeBuildOptions): PlatformBuild {
  return { plans: assignment.plans, build: (signal, created) => buildOnNode(assignment, { ...options, created }, signal) };
}

async function buildOnNode({ builder, plans }: NodeAssignment, options: NodeBuildOptions & { created: string }, signal: AbortSignal): Promise<{ platform: string; descriptor: Descriptor }[]> {
  const label = `builder ${builder.name} (${plans.map((plan) => plan.platform).join(', ')})`;
  const connection = connectBuilder(builder);
  try {
    await prepareNode(connection, options.agent, signal);
    const digests = await FileDigestCache.load(join(options.store.dir('cache'), 'files', `${createHash('sha256').update(options.context).digest('hex')}.nodes.json`));
    const files = await contextFilesOf(options.context, plans, digests, signal);
    await digests.save().catch(() => undefined);
    const images = await nodeBaseImages(options.store, plans);
    const agent = await connection.start(`exec node ${nodeBundlePath(options.agent.name)} node-agent${builder.root ? ` --root ${shellQuote(builder.root)}` : ''}`);
    return await exchange(agent, { ...options, builder: builder.name, plans, files, images, label, signal });
  } catch (error) {
    if (error instanceof RuntimeError && error.code !== 'INTERRUPTED' && !error.message.startsWith(label) && error.location === undefined) throw new RuntimeError(error.code, `${label}: ${error.message}`);
    throw error;
  } finally {
    await connection.close();
  }
}

/** The plans' base images (FROM, COPY --from an image) this store has, by name, with the platforms read of each. */
function baseImagesOf(plans: readonly PlatformPlan[]): Map<string, Set<string>> {
  const images = new Map<string, Set<string>>();
  const want = (name: string, platform: string): void => {
    if (name === 'scratch' || name.startsWith('oci:') || name.startsWith('oci-archive:')) return;
    const platforms = images.get(name) ?? new Set<string>();
    platforms.add(platform);
    images.set(name, platforms);
  };
  for (const plan of plans) {
    for (const stage of plan.stages.length > 0 ? plan.stages : [{ ops: plan.ops, platform: plan.platform, baseStage: undefined }]) {
      for (const op of stage.ops) {
        if (op.kind === 'from' && op.stage === undefined && stage.baseStage === undefined) want(op.image, stage.platform);
        else if ((op.kind === 'copy' || op.kind === 'add') && op.from && 'image' in op.from) want(op.from.image, op.from.platform);
      }
    }
  }
  return images;
}

/**
 * The base images to give the node, as this build would use them: for each one this store has,
 * an index of only the platforms the node reads (a cluster image's other platforms are large),
 * and the blobs of those platforms. The node tags it so, so its FROM finds what this one would.
 */
async function nodeBaseImages(store: ImageStore, plans: readonly PlatformPlan[]): Promise<NodeBaseImage[]> {
  const images: NodeBaseImage[] = [];
  for (const [name, platforms] of baseImagesOf(plans)) {
    const stored = await store.findImage(name);
    if (!stored) continue;
    const selected = (await platformImages(store, stored.descriptor)).filter((image) => [...platforms].some((platform) => platformKey(platform) === image.key));
    if (selected.length === 0) continue;
    const blobs = new Map<Digest, number>();
    for (const image of selected) for (const blob of [image.descriptor, image.manifest.config, ...image.manifest.layers]) blobs.set(blob.digest, blob.size);
    images.push({ name, index: { schemaVersion: 2, mediaType: MEDIA_TYPE.index, manifests: selected.map((image) => image.descriptor) }, blobs: [...blobs].map(([digest, size]) => ({ digest, size })) });
  }
  return images;
}

/** Checks Node.js on the node and copies the bundle there when it lacks this version: one command each. */
async function prepareNode(connection: SshConnection, agent: AgentBundle, signal: AbortSignal): Promise<void> {
  const path = nodeBundlePath(agent.name);
  const check = await connection.run(`node --version 2>/dev/null || echo none; test -f ${path} && echo have || echo missing`, { timeoutMs: 60_000, maxOutputBytes: 4096, signal });
  const [version, bundle] = check.stdout.split('\n').map((line) => line.trim());
  const problem = nodeProblem(nodeVersionOf(version));
  if (problem) throw new RuntimeError('BUILDER', problem);
  if (bundle === 'have') return;
  const copied = await connection.run(`mkdir -p "$HOME/.cache/kubefilec" && cat > ${path}.$$ && mv ${path}.$$ ${path}`, { input: agent.content, timeoutMs: 600_000, maxOutputBytes: 4096, signal });
  if (copied.exitCode !== 0) throw new RuntimeError('BUILDER', `cannot copy kubefilec there: ${copied.stderr.trim().split('\n').at(-1) ?? `exit code ${copied.exitCode}`}`);
}

interface Exchange extends NodeBuildOptions {
  created: string;
  builder: string;
  plans: PlatformPlan[];
  files: NodeBuildRequest['files'];
  images: NodeBaseImage[];
  label: string;
  signal: AbortSignal;
}

/** The agent's exchange (agent.ts), from this side. */
async function exchange(agent: ChildProcessWithoutNullStreams, options: Exchange): Promise<{ platform: string; descriptor: Descriptor }[]> {
  const { store, signal } = options;
  const writer = new FrameWriter(agent.stdin);
  const reader = new FrameReader(agent.stdout);
  let stderr = '';
  agent.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_KEPT)));
  const exited = new Promise<number | null>((resolve) => agent.once('close', (code) => resolve(code)));
  // A stop here ends the agent's input: it stops its build and exits.
  const stop = (): void => {
    writer.end();
    setTimeout(() => agent.kill('SIGTERM'), 2000).unref();
  };
  signal.addEventListener('abort', stop, { once: true });
  const ended = async (): Promise<RuntimeError> => {
    const code = await exited;
    if (signal.aborted) return new RuntimeError('INTERRUPTED', 'interrupted');
    const said = stderr.trim().split('\n').at(-1);
    return new RuntimeError('BUILDER', `the node stopped before the build ended (${said ? said : `exit code ${code ?? 'none'}`})`);
  };
  const expect = async (): Promise<FrameHeader> => {
    const frame = await reader.next().catch(() => undefined);
    if (!frame) throw await ended();
    if (frame.type === 'error') {
      const { code, message, location } = frame as unknown as NodeError;
      throw new RuntimeError(code === 'INTERNAL' ? 'BUILDER' : (code as RuntimeErrorCode), `${options.label}: ${message}`, location);
    }
    return frame;
  };
  try {
    const request: NodeBuildRequest = { type: 'build', tag: options.tag, plans: options.plans, created: options.created, ...(options.kubefile ? { kubefile: options.kubefile } : {}), files: options.files, images: options.images, settings: options.settings };
    await writer.send(request);
    const need = await expect();
    if (need.type !== 'need' || !Array.isArray(need.digests)) throw new RuntimeError('BUILDER', `expected need, got ${need.type}`);
    let sentBytes = 0;
    const sources = new Map<string, string>();
    for (const file of options.files) if (file.type === 'file' && file.digest && !sources.has(file.digest)) sources.set(file.digest, join(options.context, file.path));
    for (const image of options.images) for (const blob of image.blobs) sources.set(blob.digest, store.blobPath(blob.digest));
    const paths = (need.digests as string[]).map((digest) => {
      const path = sources.get(digest);
      if (!path) throw new RuntimeError('BUILDER', `the node asked for ${digest}, neither a context file nor a base image's blob`);
      return { digest, path };
    });
    // Small files read a few ahead of the one being sent; a large one streamed (it may be gigabytes).
    // A file changed since it was hashed fails its digest check there.
    const read = async (path: string): Promise<Buffer | number> => {
      const { size } = await stat(path);
      return size <= WHOLE_PAYLOAD_BYTES ? readFile(path) : size;
    };
    const ahead: Promise<Buffer | number>[] = [];
    const readNext = (i: number): void => {
      if (i >= paths.length) return;
      const reading = read(paths[i].path);
      reading.catch(() => undefined); // thrown when its turn comes
      ahead.push(reading);
    };
    for (let i = 0; i < READ_AHEAD; i++) readNext(i);
    for (const [i, { digest, path }] of paths.entries()) {
      const content = await ahead.shift()!;
      readNext(i + READ_AHEAD);
      const size = typeof content === 'number' ? content : content.length;
      sentBytes += size;
      await writer.send({ type: 'file', digest, size }, typeof content === 'number' ? createReadStream(path) : content);
    }
    await writer.send({ type: 'files-done' });
    for (;;) {
      const frame = await expect();
      if (frame.type === 'event') {
        const event = frame.event as BuildEvent;
        // The whole build's start and end are this side's to tell.
        if (event.type !== 'start' && event.type !== 'done') options.onEvent?.({ ...event, node: options.builder });
        continue;
      }
      if (frame.type !== 'built') throw new RuntimeError('BUILDER', `expected built, got ${frame.type}`);
      const built = frame as unknown as NodeBuilt;
      if (JSON.stringify(built).length > MAX_BUILT_BYTES) throw new RuntimeError('BUILDER', 'the node listed too many blobs');
      const present = await Promise.all(built.blobs.map((blob) => store.hasBlob(blob.digest)));
      const want = built.blobs.filter((_, i) => !present[i]);
      await writer.send({ type: 'want', digests: want.map((blob) => blob.digest) });
      const expected = new Map<Digest, number>(want.map((blob) => [blob.digest, blob.size]));
      for (let blob = await expect(); blob.type !== 'end'; blob = await expect()) {
        const digest = blob.digest as Digest;
        if (blob.type !== 'blob' || expected.get(digest) !== blob.size) throw new RuntimeError('BUILDER', `unexpected ${blob.type} message while receiving blobs`);
        // Checked against its digest and size as it is written: a broken transfer stores nothing.
        await store.writeBlob(reader.payload(), { digest, size: blob.size });
        expected.delete(digest);
      }
      if (expected.size > 0) throw new RuntimeError('BUILDER', `${expected.size} blobs were not sent`);
      const receivedBytes = want.reduce((sum, blob) => sum + blob.size, 0);
      options.onEvent?.({ type: 'transfer', platform: options.plans.map((plan) => plan.platform).join(','), node: options.builder, sentFiles: need.digests.length, sentBytes, receivedBlobs: want.length, receivedBytes });
      writer.end();
      // The agent removes its work directory and exits; one that does not is stopped below.
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
      return built.manifests;
    }
  } finally {
    signal.removeEventListener('abort', stop);
    if (agent.exitCode === null) {
      writer.end();
      agent.kill('SIGTERM');
    }
    await exited;
  }
}
