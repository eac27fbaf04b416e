/** `kubefilec build`: compile a Kubefile for each target platform and build one multi-platform image. */
import type { ImageListFile } from '@kubefile/runtime';
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

  const { buildImage, ImageStore } = await loadRuntime();
  const store = await ImageStore.open(await resolveStoreRoot(options.root));
  const progress = createProgress(options.progress, io.err, io.errTerminal);
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const built = await buildImage({
      store,
      plans: result.plans,
      context: source.context,
      tag: options.tag,
      kubefile: source.displayPath,
      noCache: !options.cache,
      compress: options.compress === true,
      ...(options.parallel ? { parallel: Number(options.parallel) } : {}),
      ...(options.mounter ? { mounter: options.mounter } : {}),
      ...(options.isolation ? { isolation: options.isolation } : {}),
      ...(options.network ? { network: options.network } : {}),
      ...(options.pull ? { pull: options.pull } : {}),
      ...(options.tlsVerify === false ? { tlsVerify: false } : {}),
      imageLists,
      ignoreImageLists,
      ...(options.skipMissingPlatform ? { skipMissingPlatform: true } : {}),
      ...(options.type ? { type: options.type } : {}),
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
