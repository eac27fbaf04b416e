/**
 * kubefilec on a build node (`kubefilec node-agent`, started over ssh by `build --builder`): it is
 * sent its platforms' plans and the context files it lacks, builds into its own store, streams
 * the build's events back, and sends the blobs of the result that the other side asks for.
 *
 *   local                                   node
 *   build {plans, files, settings}   ─►
 *                                    ◄─     need {digests}        (context files not in its store)
 *   file {digest, size} + bytes ...  ─►
 *   files-done                       ─►
 *                                    ◄─     event {event} ...     (the build, as --progress json)
 *                                    ◄─     built {manifests, blobs}
 *   want {digests}                   ─►                           (blobs the local store lacks)
 *                                    ◄─     blob {digest, size} + bytes ...
 *                                    ◄─     end
 *
 * Any failure is one `error` frame (the RuntimeError's code, message and Kubefile location). The
 * local side going away (its Ctrl-C, a dropped connection: standard input ends) stops the build.
 */
import { lstat, mkdtemp, realpath, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import type { PlatformPlan } from '@kubefile/compiler';
import { buildImage, contextDigestsPath, type BuildOptions } from '../build/build.js';
import { contextFileEntry, FileDigestCache } from '../build/file-digests.js';
import type { ImageListFile } from '../collect/collect-sources.js';
import { Limiter } from '../concurrency.js';
import { RuntimeError, type ErrorLocation, type RuntimeErrorCode } from '../errors.js';
import { isDigest, type Digest } from '../image/digest.js';
import { MEDIA_TYPE, type Descriptor, type OciIndex } from '../image/oci.js';
import { ImageStore } from '../store/store.js';
import { layOutContext, type ContextFile } from './context-files.js';
import { FrameReader, FrameWriter, WHOLE_PAYLOAD_BYTES, type FrameHeader } from './frames.js';

/** The build options that travel to a node (the rest are the node's own: its store, its CPUs). */
export interface NodeBuildSettings {
  noCache?: boolean;
  compress?: boolean;
  mounter?: BuildOptions['mounter'];
  isolation?: BuildOptions['isolation'];
  network?: BuildOptions['network'];
  pull?: BuildOptions['pull'];
  tlsVerify?: boolean;
  imageLists?: ImageListFile[];
  ignoreImageLists?: ImageListFile[];
  skipMissingPlatform?: boolean;
  type?: BuildOptions['type'];
}

export interface NodeBuildRequest {
  type: 'build';
  tag: string;
  plans: PlatformPlan[];
  /** The creation time of the whole build, so every platform's config says the same. */
  created: string;
  kubefile?: string;
  files: ContextFile[];
  /** Base images the local store has, as the node is to use them. */
  images: NodeBaseImage[];
  settings: NodeBuildSettings;
}

/** A base image given to the node: its platforms that the node reads, and their blobs. */
export interface NodeBaseImage {
  name: string;
  index: OciIndex;
  blobs: { digest: Digest; size: number }[];
}

export interface NodeBuilt {
  type: 'built';
  manifests: { platform: string; descriptor: Descriptor }[];
  /** Every blob of those manifests (the manifests, configs, layers), each once. */
  blobs: { digest: Digest; size: number }[];
}

export interface NodeError {
  type: 'error';
  code: RuntimeErrorCode | 'INTERNAL';
  message: string;
  location?: ErrorLocation;
}

/** Context files received whole (WHOLE_PAYLOAD_BYTES) are written this many at a time. */
const WRITES_AT_ONCE = 8;

/** Context files and blobs at most this many per request. */
const MAX_LISTED = 1_000_000;

function digestList(header: FrameHeader, key: string): Digest[] {
  const value = header[key];
  if (!Array.isArray(value) || value.length > MAX_LISTED || !value.every((d) => typeof d === 'string' && isDigest(d))) throw new RuntimeError('BUILDER', `a ${header.type} message without a list of digests`);
  return value as Digest[];
}

export interface AgentOptions {
  input: Readable;
  output: Writable;
  /** The node's store. */
  root: string;
}

/** Serves one build; resolves with the process's exit code (0 when the build was sent back). */
export async function serveNodeBuild({ input, output, root }: AgentOptions): Promise<number> {
  const reader = new FrameReader(input);
  const writer = new FrameWriter(output);
  const controller = new AbortController();
  let workDir: string | undefined;
  let digestsFile: string | undefined;
  try {
    const request = (await reader.next()) as NodeBuildRequest | undefined;
    if (!request) return 0;
    if (request.type !== 'build' || !Array.isArray(request.plans) || !Array.isArray(request.files)) throw new RuntimeError('BUILDER', `expected a build request, got ${request.type}`);
    const store = await ImageStore.open(root);
    // Context files: those the store lacks come now, written as blobs (checked against their digest).
    const images = Array.isArray(request.images) ? request.images : [];
    const wanted = [...new Set([...request.files.flatMap((file) => (file.type === 'file' && file.digest ? [file.digest] : [])), ...images.flatMap((image) => image.blobs.map((blob) => blob.digest))])];
    const present = await Promise.all(wanted.map((digest) => store.hasBlob(digest)));
    const need = wanted.filter((_, i) => !present[i]);
    await writer.send({ type: 'need', digests: need });
    const needed = new Set(need);
    // Small files are taken whole and written a few at a time (each is a file, an fsync and a
    // rename): one after the other, a context of many small files took milliseconds each.
    const writes = new Limiter(WRITES_AT_ONCE);
    const written: Promise<unknown>[] = [];
    for (let frame = await reader.next(); ; frame = await reader.next()) {
      if (!frame) throw new RuntimeError('INTERRUPTED', 'the build was stopped');
      if (frame.type === 'files-done') break;
      const digest = frame.digest;
      if (frame.type !== 'file' || typeof digest !== 'string' || !isDigest(digest) || !needed.has(digest) || frame.size === undefined) throw new RuntimeError('BUILDER', `unexpected ${frame.type} message while receiving context files`);
      const expected = { digest, size: frame.size };
      if (frame.size <= WHOLE_PAYLOAD_BYTES) {
        const content = await reader.payloadBuffer(WHOLE_PAYLOAD_BYTES);
        const write = writes.run(() => store.writeBlob(content, expected));
        // Failures are thrown below, once every write has ended.
        write.catch(() => undefined);
        written.push(write);
      } else {
        await store.writeBlob(reader.payload(), expected);
      }
      needed.delete(digest);
    }
    await Promise.all(written);
    if (needed.size > 0) throw new RuntimeError('BUILDER', `${needed.size} context files were not sent`);
    // The bases this build uses there, under their names: FROM finds them as the local build did.
    for (const image of images) await store.setImage(image.name, await store.putJson(image.index, MEDIA_TYPE.index));
    // From here the other side only listens: its input ending (Ctrl-C there, or the connection lost) stops the build.
    // The only frame expected meanwhile is the `want` that answers `built`.
    const afterBuild = reader.next();
    afterBuild.then(
      (frame) => frame?.type !== 'want' && controller.abort(),
      () => controller.abort(),
    );
    workDir = await realpath(await mkdtemp(join(store.dir('tmp'), 'node-context-')));
    await layOutContext(workDir, request.files, (digest) => store.blobPath(digest), controller.signal);
    digestsFile = await rememberDigests(store, workDir, request.files);
    const result = await buildImage({
      ...request.settings,
      store,
      plans: request.plans,
      context: workDir,
      tag: request.tag,
      created: new Date(request.created),
      ...(request.kubefile ? { kubefile: request.kubefile } : {}),
      signal: controller.signal,
      onEvent: (event) => void writer.send({ type: 'event', event }).catch(() => controller.abort()),
    });
    const blobs = new Map<Digest, number>();
    for (const { descriptor } of result.manifests) {
      blobs.set(descriptor.digest, descriptor.size);
      const manifest = JSON.parse((await store.readBlob(descriptor.digest)).toString('utf8')) as { config: Descriptor; layers: Descriptor[] };
      for (const blob of [manifest.config, ...manifest.layers]) blobs.set(blob.digest, blob.size);
    }
    const built: NodeBuilt = { type: 'built', manifests: result.manifests, blobs: [...blobs].map(([digest, size]) => ({ digest, size })) };
    await writer.send(built);
    return await sendBlobs(await afterBuild, writer, store, blobs);
  } catch (error) {
    await writer.send(nodeError(error)).catch(() => undefined);
    return 1;
  } finally {
    controller.abort();
    if (workDir) await rm(workDir, { recursive: true, force: true }).catch(() => undefined);
    if (digestsFile) await rm(digestsFile, { force: true }).catch(() => undefined);
    writer.end();
  }
}

/**
 * The laid-out context's digests, known from the request, where the build looks them up: its COPY
 * layers then find their cache keys before writing anything, so a layer the node's store has is not
 * written again. Returns the file, for removal with the context.
 */
async function rememberDigests(store: ImageStore, context: string, files: readonly ContextFile[]): Promise<string> {
  const digests = await FileDigestCache.load(contextDigestsPath(store, context));
  for (const file of files) {
    if (file.type !== 'file' || !file.digest) continue;
    const source = file.path === '.' ? context : join(context, file.path);
    digests.record(contextFileEntry(source, await lstat(source)), file.digest);
  }
  await digests.save();
  return digests.path;
}

/** Answers the `want` that follows `built`: the blobs asked for, then `end`. */
async function sendBlobs(want: FrameHeader | undefined, writer: FrameWriter, store: ImageStore, blobs: ReadonlyMap<Digest, number>): Promise<number> {
  if (!want) return 0;
  if (want.type !== 'want') throw new RuntimeError('BUILDER', `expected want, got ${want.type}`);
  for (const digest of digestList(want, 'digests')) {
    const size = blobs.get(digest);
    if (size === undefined) throw new RuntimeError('BUILDER', `${digest} is not a blob of this build`);
    await writer.send({ type: 'blob', digest, size }, store.blobStream(digest));
  }
  await writer.send({ type: 'end' });
  return 0;
}

function nodeError(error: unknown): NodeError {
  if (error instanceof RuntimeError) return { type: 'error', code: error.code, message: error.message, ...(error.location ? { location: error.location } : {}) };
  return { type: 'error', code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) };
}
