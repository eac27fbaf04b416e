/**
 * Writing tars deterministically: entries in the order given, owner root, mtime 0, fixed modes, no
 * user or group names, so the same content always gives the same bytes. Shared by the OCI archives
 * `archive.ts` writes and the sealer saves of `sealer-archive.ts` (a tar of tars).
 */
import { randomBytes } from 'node:crypto';
import { open, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Header } from 'tar';
import type { Digest } from '../image/digest.js';
import { RuntimeError, throwIfAborted } from '../errors.js';
import { ioError } from './archive-reader.js';
import type { ImageStore } from '../store/store.js';

export const BLOCK = 512;

export interface ArchiveFile {
  path: string;
  directory?: boolean;
  /** Content held in memory (index.json, oci-layout, filtered indexes). */
  data?: Buffer;
  /** Otherwise, a store blob of this size. */
  digest?: Digest;
  size?: number;
}

function fileSize(file: ArchiveFile): number {
  return file.directory ? 0 : (file.data?.length ?? file.size ?? 0);
}

/** The size of the tar `writeTar` writes for `files`, end-of-archive blocks included. */
export function tarSize(files: readonly ArchiveFile[]): number {
  let total = 2 * BLOCK;
  for (const file of files) total += BLOCK + Math.ceil(fileSize(file) / BLOCK) * BLOCK;
  return total;
}

/** Writes one tar header: a directory, or a regular file of `size` bytes. */
export async function writeHeader(handle: FileHandle, path: string, size: number, directory = false): Promise<void> {
  const header = Buffer.alloc(BLOCK);
  // Owner root, mtime 0, no user/group names: nothing of the machine or the moment leaks in.
  new Header({ path, type: directory ? 'Directory' : 'File', mode: directory ? 0o755 : 0o644, uid: 0, gid: 0, size, mtime: new Date(0) }).encode(header, 0);
  await handle.write(header);
}

/** Writes `files` as a tar (its end-of-archive blocks included) at the handle's position. */
export async function writeTar(store: ImageStore, handle: FileHandle, files: readonly ArchiveFile[], signal: AbortSignal | undefined): Promise<void> {
  for (const file of files) {
    throwIfAborted(signal);
    const size = fileSize(file);
    await writeHeader(handle, file.path, size, file.directory);
    if (file.data) {
      await handle.write(file.data);
    } else if (file.digest) {
      let written = 0;
      for await (const chunk of store.blobStream(file.digest)) {
        throwIfAborted(signal);
        const buffer = chunk as Buffer;
        written += buffer.length;
        if (written > size) break;
        await handle.write(buffer);
      }
      if (written !== size) throw new RuntimeError('INVALID_IMAGE', `blob ${file.digest} changed while it was being saved`);
    }
    await pad(handle, size);
  }
  // End of archive: two zero blocks.
  await handle.write(Buffer.alloc(2 * BLOCK));
}

/** Zeros up to the next block after `size` bytes of data. */
export async function pad(handle: FileHandle, size: number): Promise<void> {
  const padding = (BLOCK - (size % BLOCK)) % BLOCK;
  if (padding > 0) await handle.write(Buffer.alloc(padding));
}

/** Writes `file` through a temp file beside it, renamed into place only after `write` succeeds; returns its size. */
export async function writeAtomically(file: string, write: (handle: FileHandle) => Promise<void>): Promise<number> {
  const temp = join(dirname(file), `.${basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let handle: FileHandle;
  try {
    handle = await open(temp, 'wx', 0o644);
  } catch (error) {
    throw ioError('write', file, error);
  }
  try {
    try {
      await write(handle);
      await handle.sync();
    } finally {
      await handle.close();
    }
    const { size } = await stat(temp);
    await rename(temp, file).catch((error: unknown) => {
      throw ioError('write', file, error);
    });
    return size;
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
}
