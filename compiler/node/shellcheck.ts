/**
 * The `shellcheck` program as a `ShellChecker`: the scripts asked for together as the files of one
 * run, `--format=json1`, with bounds (a time limit per run, an output limit, a few runs at once), so
 * a hung or flooding ShellCheck never holds up a lint or an editor.
 */
import { constants } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, tmpdir } from 'node:os';
import { delimiter, isAbsolute, join } from 'node:path';
import type { ShellChecker, ShellCheckComment, ShellCheckOutput, ShellDialect } from '@kubefile/compiler';

export interface NodeShellCheckerOptions {
  /** The program: a path, or a name looked up on PATH (default `shellcheck`). */
  path?: string;
  /** A run (up to 250 scripts) taking longer is killed and fails (default 10 s). */
  timeoutMs?: number;
  /** A run printing more fails (default 4 MiB). */
  maxOutputBytes?: number;
  /** Runs at once at most (default: the CPU count, at most 4). */
  concurrency?: number;
}

/**
 * What running ShellCheck takes from Node: loaded by the first nodeShellChecker(), not with this
 * module, as a process importing @kubefile/compiler/node may check no shell for a while (the
 * language server, until its first document, and every start of it loaded them for nothing).
 */
interface ProcessIo {
  spawn: typeof import('node:child_process').spawn;
  fs: typeof import('node:fs/promises');
}

/** Required, not imported: an import() would stay one in the server's CommonJS bundle, which its start cannot run. */
function processIo(): ProcessIo {
  const require = createRequire(import.meta.url);
  return { spawn: (require('node:child_process') as typeof import('node:child_process')).spawn, fs: require('node:fs/promises') as typeof import('node:fs/promises') };
}

/**
 * Where `program` is: itself when it has a slash, else the first executable of that name on PATH.
 * Every PATH entry is asked at once (one round trip instead of one per entry, a few ms of a lint).
 */
async function findProgram({ fs }: ProcessIo, program: string): Promise<string | undefined> {
  const candidates = program.includes('/') || isAbsolute(program) ? [program] : (process.env.PATH ?? '').split(delimiter).filter((d) => d !== '').map((d) => join(d, program));
  const executable = await Promise.all(candidates.map((candidate) => fs.access(candidate, constants.X_OK).then(() => true, () => false)));
  const first = executable.indexOf(true);
  return first === -1 ? undefined : candidates[first];
}

/** A counting semaphore: at most `limit` holders at once. */
class RunSlots {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}

/** A script waiting for its batch, and what to tell its caller. */
interface Pending {
  script: string;
  resolve: (output: ShellCheckOutput) => void;
  reject: (error: Error) => void;
}

/**
 * Scripts per ShellCheck run at most. ShellCheck starts in about 40 ms and then checks a small
 * script in 2 to 3: one run per command made a 2,400-RUN Kubefile take minutes, one run per batch
 * takes seconds.
 */
const BATCH_SCRIPTS = 250;

/**
 * ShellCheck as a checker, or undefined when the program is not installed. The scripts asked for
 * together (in the same turn of the event loop) go to ShellCheck as files of one run, a few runs at
 * once. A run that fails rejects each of its scripts with one line saying why (timed out, too much
 * output, exit status and ShellCheck's first error line).
 */
export async function nodeShellChecker(options: NodeShellCheckerOptions = {}): Promise<ShellChecker | undefined> {
  const io = processIo();
  const program = await findProgram(io, options.path ?? 'shellcheck');
  if (!program) return undefined;
  const bounds = { timeoutMs: options.timeoutMs ?? 10_000, maxOutputBytes: options.maxOutputBytes ?? 4 * 1024 * 1024 };
  const slots = new RunSlots(Math.max(1, options.concurrency ?? Math.min(4, availableParallelism())));
  const waiting = new Map<ShellDialect, Pending[]>();
  const flush = (): void => {
    for (const [dialect, pending] of waiting) {
      // Spread over the run slots, so a big Kubefile keeps every core busy.
      const size = Math.min(BATCH_SCRIPTS, Math.max(1, Math.ceil(pending.length / slots.limit)));
      for (let i = 0; i < pending.length; i += size) {
        const batch = pending.slice(i, i + size);
        slots.run(() => runShellCheck(io, program, batch.map((p) => p.script), dialect, bounds)).then(
          (outputs) => batch.forEach((p, n) => p.resolve(outputs[n]!)),
          (error: unknown) => batch.forEach((p) => p.reject(error instanceof Error ? error : new Error(String(error)))),
        );
      }
    }
    waiting.clear();
  };
  return {
    check: (script, dialect) =>
      new Promise<ShellCheckOutput>((resolve, reject) => {
        if (waiting.size === 0) setImmediate(flush);
        const list = waiting.get(dialect) ?? [];
        list.push({ script, resolve, reject });
        waiting.set(dialect, list);
      }),
  };
}

/** One ShellCheck run over `scripts`, each a file of a directory of its own (removed after): their outputs in order. */
async function runShellCheck(io: ProcessIo, program: string, scripts: readonly string[], dialect: ShellDialect, bounds: { timeoutMs: number; maxOutputBytes: number }): Promise<ShellCheckOutput[]> {
  const { fs } = io;
  const dir = await fs.mkdtemp(join(tmpdir(), 'kubefile-shellcheck-'));
  try {
    const files = scripts.map((_, n) => `${n}.sh`);
    await Promise.all(scripts.map((script, n) => fs.writeFile(join(dir, files[n]!), script)));
    const text = await runProgram(io.spawn, program, ['--format=json1', `--shell=${dialect}`, ...files], dir, bounds);
    const byFile = new Map<string, ShellCheckComment[]>(files.map((file) => [file, []]));
    for (const [file, comment] of parseOutput(text)) byFile.get(file)?.push(comment);
    return files.map((file) => ({ comments: byFile.get(file)! }));
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** Runs ShellCheck in `cwd` within the bounds; its standard output when it exits 0 (no findings) or 1 (findings). */
function runProgram(spawn: ProcessIo['spawn'], program: string, args: readonly string[], cwd: string, { timeoutMs, maxOutputBytes }: { timeoutMs: number; maxOutputBytes: number }): Promise<string> {
  return new Promise((resolve, reject) => {
    // A process group of its own, so a stop reaches whatever it started too.
    const child = spawn(program, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (error: Error | undefined, output?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(output!);
    };
    const stop = (message: string) => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
      child.stdout.destroy();
      child.stderr.destroy();
      settle(new Error(message));
    };
    const timer = setTimeout(() => stop(`shellcheck took longer than ${timeoutMs / 1000} s and was stopped`), timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxOutputBytes) stop(`shellcheck printed more than ${maxOutputBytes} bytes and was stopped`);
      else stdout.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < 64) stderr.push(chunk);
    });
    child.on('error', (error) => settle(new Error(`shellcheck could not be run: ${error.message}`)));
    child.on('close', (status) => {
      if (settled) return;
      // 0: no findings, 1: findings; anything else is ShellCheck failing.
      if (status !== 0 && status !== 1) {
        const reason = Buffer.concat(stderr).toString('utf8').split('\n').find((line) => line.trim() !== '') ?? 'no message';
        return settle(new Error(`shellcheck failed (exit status ${status ?? 'killed'}): ${reason.trim()}`));
      }
      settle(undefined, Buffer.concat(stdout).toString('utf8'));
    });
  });
}

/** json1's comments, each with the file it is about. */
function parseOutput(text: string): [string, ShellCheckComment][] {
  let parsed: { comments?: unknown };
  try {
    parsed = JSON.parse(text) as { comments?: unknown };
    if (!Array.isArray(parsed.comments)) throw new Error('no "comments" list');
  } catch (error) {
    throw new Error(`shellcheck printed output that is not its json1 format: ${(error as Error).message}`);
  }
  const comments: [string, ShellCheckComment][] = [];
  for (const c of parsed.comments as Record<string, unknown>[]) {
    const { file, line, endLine, column, endColumn, level, code, message } = c;
    if (typeof file !== 'string') continue;
    if (typeof line !== 'number' || typeof endLine !== 'number' || typeof column !== 'number' || typeof endColumn !== 'number') continue;
    if (typeof code !== 'number' || typeof message !== 'string') continue;
    if (level !== 'error' && level !== 'warning' && level !== 'info' && level !== 'style') continue;
    comments.push([file, { line, endLine, column, endColumn, level, code, message }]);
  }
  return comments;
}
