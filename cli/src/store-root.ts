/** Where the image commands find the store: `--root`, else the runtime's default (KUBEFILE_ROOT, /var/lib/kubefile, XDG). */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Option } from 'commander';
import type { ImageStore } from '@kubefile/runtime';
import { loadRuntime } from './runtime.js';

export const ROOT_HELP = 'image store (default: $KUBEFILE_ROOT, else /var/lib/kubefile as root, else $XDG_DATA_HOME/kubefile)';

export async function resolveStoreRoot(root: string | undefined): Promise<string> {
  return root !== undefined && root !== '' ? root : (await loadRuntime()).defaultStoreRoot();
}

/** `--root DIR`, the same on every command that uses the store. */
export function rootOption(): Option {
  return new Option('--root <DIR>', ROOT_HELP);
}

export async function openStore(root: string | undefined): Promise<ImageStore> {
  const { ImageStore } = await loadRuntime();
  return ImageStore.open(await resolveStoreRoot(root));
}

/**
 * Whether there is a store to read: listing must not make one where there is nothing (the editor's
 * Images view lists on opening), nor in an empty directory. A file at the path, or one that cannot
 * be read, is opened, so it is reported as the other commands report it.
 */
export async function storeExists(root: string | undefined): Promise<boolean> {
  const dir = await resolveStoreRoot(root);
  try {
    // A directory is a store once it has its index; anything else is for ImageStore.open to refuse.
    return !(await stat(dir)).isDirectory() || (await stat(join(dir, 'index.json'))).isFile();
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}
