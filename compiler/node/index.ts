/**
 * @kubefile/compiler/node: the build context as a directory on disk, for Node hosts (the CLI, the
 * language server, the runtime). Kept apart so the compiler itself stays free of Node I/O.
 */
import { closeSync, lstatSync, openSync, readdirSync, readFileSync, readlinkSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { BuildContext, ContextEntry, Sha256Hex } from '@kubefile/compiler';

function entryOf(info: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean; size: number; mode: number }): ContextEntry {
  const type = info.isSymbolicLink() ? 'symlink' : info.isDirectory() ? 'directory' : info.isFile() ? 'file' : 'other';
  return { type, size: info.size, mode: info.mode & 0o7777 };
}

/**
 * The directory `root` as a build context. Paths never leave it: the compiler normalizes them first.
 * It answers with Node's synchronous calls: a Kubefile names thousands of sources, each answered by
 * the local disk in microseconds, while a promise through the thread pool cost ten times that in
 * CPU and left the process waiting (opening the bench's 7k-line file spent a third of its time idle).
 */
export function nodeContext(root: string): BuildContext {
  const at = (path: string) => join(root, path);
  return {
    async stat(path) {
      try {
        const info = lstatSync(at(path), { throwIfNoEntry: false });
        return info && entryOf(info);
      } catch (error) {
        // A path through a file (`file.txt/x`) is missing too.
        if ((error as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
        throw error;
      }
    },
    list: async (path) => readdirSync(at(path)).sort(),
    readLink: async (path) => readlinkSync(at(path)),
    async read(path, range) {
      if (!range) return new Uint8Array(readFileSync(at(path)));
      const fd = openSync(at(path), 'r');
      try {
        const buffer = new Uint8Array(range.length);
        return buffer.subarray(0, readSync(fd, buffer, 0, range.length, range.offset));
      } finally {
        closeSync(fd);
      }
    },
  };
}

/** node:crypto's createHash, loaded by the first hash: a process may import this module long before it hashes (the language server, until its first document), and loading it cost each start ~4 ms. */
let createHash: typeof import('node:crypto').createHash | undefined;

/** Node's native SHA-256, for `compile(..., { sha256: nodeSha256 })`: several times faster than the portable one. */
export const nodeSha256: Sha256Hex = (text) => {
  createHash ??= (createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto')).createHash;
  return createHash('sha256').update(text).digest('hex');
};

export { nodeShellChecker, type NodeShellCheckerOptions } from './shellcheck.js';
