/**
 * @kubefile/compiler/node: the build context as a directory on disk, for Node hosts (the CLI, the
 * language server, the runtime). Kept apart so the compiler itself stays free of Node I/O.
 */
import { createHash } from 'node:crypto';
import { lstat, open, readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { BuildContext, ContextEntry, Sha256Hex } from '@kubefile/compiler';

function entryOf(info: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean; size: number; mode: number }): ContextEntry {
  const type = info.isSymbolicLink() ? 'symlink' : info.isDirectory() ? 'directory' : info.isFile() ? 'file' : 'other';
  return { type, size: info.size, mode: info.mode & 0o7777 };
}

/** The directory `root` as a build context. Paths never leave it: the compiler normalizes them first. */
export function nodeContext(root: string): BuildContext {
  const at = (path: string) => join(root, path);
  return {
    async stat(path) {
      try {
        return entryOf(await lstat(at(path)));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
        throw error;
      }
    },
    list: async (path) => (await readdir(at(path))).sort(),
    readLink: (path) => readlink(at(path)),
    async read(path, range) {
      if (!range) return new Uint8Array(await readFile(at(path)));
      const handle = await open(at(path), 'r');
      try {
        const buffer = new Uint8Array(range.length);
        const { bytesRead } = await handle.read(buffer, 0, range.length, range.offset);
        return buffer.subarray(0, bytesRead);
      } finally {
        await handle.close();
      }
    },
  };
}

/** Node's native SHA-256, for `compile(..., { sha256: nodeSha256 })`: several times faster than the portable one. */
export const nodeSha256: Sha256Hex = (text) => createHash('sha256').update(text).digest('hex');

export { nodeShellChecker, type NodeShellCheckerOptions } from './shellcheck.js';
