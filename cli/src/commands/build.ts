/** `kubefilec build`: compile a Kubefile for each target platform and build one multi-platform image. */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { platformFromNode } from '@kubefile/compiler/platform';
import type { ImageListFile, NodeBuildSettings, PlatformBuild } from '@kubefile/runtime';
import { EXIT_OK, EXIT_PROBLEMS, UsageError } from '../errors.js';
import { createProgress, type ProgressMode } from '../progress.js';
import { loadRuntime } from '../runtime.js';
import { resolveStoreRoot } from '../store-root.js';
import { compileKubefile, type TargetOptions } from '../target.js';
import type { CommandIO } from './io.js';

export interface BuildCommandOptions extends TargetOptions {
  file?: string;
  tag: string;
  cache: boolean;
  compress?: boolean;
  progress: ProgressMode;
  root?: string;
  parallel?: string;
  mounter?: 'overlay' | 'fuse-overlayfs' | 'copy';
  isolation?: 'auto' | 'host' | 'chroot';
  network?: 'host' | 'none';
  pull?: 'always' | 'missing' | 'never';
  tlsVerify?: boolean;
  imageList?: string[];
  ignoreImageList?: string[];
  skipMissingPlatform?: boolean;
  type?: 'kube-installer' | 'app-installer';
  builder?: string[];
  /** false: --no-emulation. */
  emulation?: boolean;
}

/** kubefilec's single-file bundle for build nodes, next to the CLI's bundle (or two levels up from this module, unbundled). */
function nodeBundleFile(): string {
  const beside = fileURLToPath(new URL('kubefilec-node.mjs', import.meta.url));
  return existsSync(beside) ? beside : fileURLToPath(new URL('../../kubefilec-node.mjs', import.meta.url));
}

/** `--image-list` files, read before anything is built: a wrong path is a usage error. */
async function imageListsOf(paths: readonly string[] | undefined): Promise<ImageListFile[]> {
  const { readImageLists, RuntimeError } = await loadRuntime();
  return readImageLists(paths).catch((error: unknown) => {
    throw error instanceof RuntimeError ? new UsageError(error.message) : error;
  });
}

/** Exit code of a process stopped by Ctrl-C, as shells report it. */
const EXIT_INTERRUPTED = 130;

export async function buildCommand(context: string, options: BuildCommandOptions, io: CommandIO): Promise<number> {
  const imageLists = await imageListsOf(options.imageList);
  const ignoreImageLists = await imageListsOf(options.ignoreImageList);
  const compiled = await compileKubefile(context, options, io);
  if (!compiled) return EXIT_PROBLEMS;
  const { source, result } = compiled;

  const runtime = await loadRuntime();
  const { buildImage, ImageStore } = runtime;
  const store = await ImageStore.open(await resolveStoreRoot(options.root));
  const progress = createProgress(options.progress, io.err, io.errTerminal);
  const settings: NodeBuildSettings = {
    noCache: !options.cache,
    compress: options.compress === true,
    ...(options.mounter ? { mounter: options.mounter } : {}),
    ...(options.isolation ? { isolation: options.isolation } : {}),
    ...(options.network ? { network: options.network } : {}),
    ...(options.pull ? { pull: options.pull } : {}),
    ...(options.tlsVerify === false ? { tlsVerify: false } : {}),
    imageLists,
    ignoreImageLists,
    ...(options.skipMissingPlatform ? { skipMissingPlatform: true } : {}),
    ...(options.type ? { type: options.type } : {}),
  };
  let elsewhere: PlatformBuild[] = [];
  if (options.builder && options.builder.length > 0) {
    const builders = await Promise.all([...new Set(options.builder)].map((name) => runtime.getBuilder(name)));
    const { nodes } = runtime.assignPlatforms(result.plans, builders, platformFromNode(process.platform, process.arch), options.emulation === false);
    const agent = await runtime.readAgentBundle(nodeBundleFile());
    elsewhere = nodes.map((assignment) => runtime.nodePlatformBuild(assignment, { store, context: source.context, tag: options.tag, kubefile: source.displayPath, settings, agent, onEvent: (event) => progress.event(event) }));
  } else if (options.emulation === false) {
    throw new UsageError('--no-emulation needs --builder');
  }
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const built = await buildImage({
      ...settings,
      store,
      plans: result.plans,
      context: source.context,
      tag: options.tag,
      kubefile: source.displayPath,
      ...(options.parallel ? { parallel: Number(options.parallel) } : {}),
      elsewhere,
      signal: controller.signal,
      onEvent: (event) => progress.event(event),
    });
    io.out(`${built.image.name} ${built.image.descriptor.digest}\n`);
    return EXIT_OK;
  } catch (error) {
    progress.close();
    if (controller.signal.aborted) {
      io.err('kubefilec: build interrupted; nothing was stored\n');
      return EXIT_INTERRUPTED;
    }
    throw error;
  } finally {
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
  }
}
