/** Finds and reads the Kubefile named by `-f` and the build context. */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from './errors.js';

export interface KubefileSource {
  /** How to name the file in messages: the path as given, or `<stdin>`. */
  displayPath: string;
  text: string;
  /** The build context directory. */
  context: string;
}

/** The names looked for in the context when `-f` is not given, in order. */
export const DEFAULT_NAMES = ['Kubefile', 'kubefile', 'Dockerfile'];

/** `input.stdin` is read only for `-f -` (setting up standard input costs a start ~1 ms). */
export async function readKubefile(file: string | undefined, context: string | undefined, input: { readonly stdin: NodeJS.ReadableStream } = process): Promise<KubefileSource> {
  if (file === '-') return { displayPath: '<stdin>', text: await readAll(input.stdin), context: context ?? '.' };
  if (file !== undefined) return { displayPath: file, text: await readText(file), context: context ?? '.' };
  const dir = context ?? '.';
  const info = await stat(dir).catch(() => undefined);
  if (!info) throw new UsageError(`build context ${dir} does not exist`);
  // A file given as the context is taken as the Kubefile itself, its directory as the context.
  if (info.isFile()) return { displayPath: dir, text: await readText(dir), context: join(dir, '..') };
  for (const name of DEFAULT_NAMES) {
    const path = join(dir, name);
    const candidate = await stat(path).catch(() => undefined);
    if (candidate?.isFile()) return { displayPath: path, text: await readText(path), context: dir };
  }
  throw new UsageError(`no Kubefile in ${dir} (looked for ${DEFAULT_NAMES.join(', ')}); name one with -f FILE`);
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UsageError(`${path}: no such file`);
    if (code === 'EISDIR') throw new UsageError(`${path} is a directory; name the Kubefile inside it, or pass the directory as the context`);
    if (code === 'EACCES') throw new UsageError(`${path}: permission denied`);
    throw error;
  }
}

export async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}
