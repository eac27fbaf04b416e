/**
 * The small JSON files kubefilec keeps for the user (registry credentials in Docker's auth file,
 * build nodes next to them): read whole, replaced whole (temp file, fsync, rename), so a crash
 * never leaves half a file, and reported by path and position without quoting their text.
 */
import { chmod, mkdir, open, readFile, realpath, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { errnoCode, RuntimeError } from './errors.js';

export type JsonObject = { [key: string]: unknown };

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The parsed file, or undefined when there is none. */
export async function readJsonObjectFile(path: string): Promise<JsonObject | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw new RuntimeError('IO', `cannot read ${path}: ${errnoCode(error) ?? String(error)}`);
  }
  // An empty file is an empty object (Docker reads its auth file so).
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    // V8 quotes the text around the error, which may be a password: report only where it is.
    throw new RuntimeError('IO', `${path} is not valid JSON: ${syntaxErrorWhere(text, error)}`);
  }
  if (!isJsonObject(parsed)) throw new RuntimeError('IO', `${path} is not valid JSON: expected an object`);
  return parsed;
}

function syntaxErrorWhere(text: string, error: unknown): string {
  const position = error instanceof Error ? /at position (\d+)/.exec(error.message) : null;
  if (!position) return error instanceof Error && /end of JSON input/.test(error.message) ? 'unexpected end of file' : 'syntax error';
  const before = text.slice(0, Number(position[1]));
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n');
  return `syntax error at line ${line}, column ${column}`;
}

/** The file to replace: a symlinked file (dotfile repositories) is updated where it points, not replaced by a plain file. */
export async function writableJsonPath(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return path;
    throw new RuntimeError('IO', `cannot read ${path}: ${errnoCode(error) ?? String(error)}`);
  }
}

/**
 * Replaces `path` by temp file, fsync and rename, so a crash never leaves a half-written file; an
 * existing file keeps its mode unless `forceMode` is given. Returns the mode the file had, if any.
 */
export async function writeJsonObjectFile(path: string, content: JsonObject, forceMode?: number): Promise<number | undefined> {
  const dir = dirname(path);
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new RuntimeError('IO', `cannot create ${dir}: ${errnoCode(error) ?? String(error)}`);
  }
  let previous: number | undefined;
  try {
    previous = (await stat(path)).mode & 0o7777;
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT') throw new RuntimeError('IO', `cannot read ${path}: ${errnoCode(error) ?? String(error)}`);
  }
  const temp = join(dir, `.${basename(path)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
  try {
    const handle = await open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(`${JSON.stringify(content, null, '\t')}\n`, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    const mode = forceMode ?? previous ?? 0o600;
    if (mode !== 0o600) await chmod(temp, mode);
    await rename(temp, path);
    return previous;
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw new RuntimeError('IO', `cannot write ${path}: ${errnoCode(error) ?? String(error)}`);
  }
}
