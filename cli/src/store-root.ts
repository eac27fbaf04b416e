/** Where the image commands find the store: `--root`, else the runtime's default (KUBEFILE_ROOT, /var/lib/kubefile, XDG). */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Option } from 'commander';
import { defaultStoreRoot, ImageStore } from '@kubefile/runtime';

export const ROOT_HELP = 'image store (default: $KUBEFILE_ROOT, else /var/lib/kubefile as root, else $XDG_DATA_HOME/kubefile)';

export function resolveStoreRoot(root: string | undefined): string {
  return root !== undefined && root !== '' ? root : defaultStoreRoot();
}

/** `--root DIR`, the same on every command that uses the store. */
export function rootOption(): Option {
  return new Option('--root <DIR>', ROOT_HELP);
}

export async function openStore(root: string | undefined): Promise<ImageStore> {
  return ImageStore.open(resolveStoreRoot(root));
}

/** Whether a store is there: listing one must not make one (the editor's Images view lists on opening). */
export function storeExists(root: string | undefined): boolean {
  return existsSync(join(resolveStoreRoot(root), 'index.json'));
}
