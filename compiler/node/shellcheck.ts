/**
 * The `shellcheck` program as a `ShellChecker`: the script on standard input, `--format=json1`, with
 * bounds (a time limit per run, an output limit, a few runs at once), so a hung or flooding
 * ShellCheck never holds up a lint or an editor.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { delimiter, isAbsolute, join } from 'node:path';
import type { ShellChecker, ShellCheckComment, ShellCheckOutput, ShellDialect } from '@kubefile/compiler';

export interface NodeShellCheckerOptions {
  /** The program: a path, or a name looked up on PATH (default `shellcheck`). */
  path?: string;
  /** A run taking longer is killed and fails (default 10 s). */
  timeoutMs?: number;
  /** A run printing more fails (default 4 MiB). */
  maxOutputBytes?: number;
  /** Runs at once at most (default: the CPU count, at most 4). */
  concurrency?: number;
}

/** Where `program` is: itself when it has a slash, else the first executable of that name on PATH. */
async function findProgram(program: string): Promise<string | undefined> {
  const candidates = program.includes('/') || isAbsolute(program) ? [program] : (process.env.PATH ?? '').split(delimiter).filter((d) => d !== '').map((d) => join(d, program));
  for (const candidate of candidates) {
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not there: the next one
    }
  }
  return undefined;
}

/** A counting semaphore: at most `limit` holders at once. */
class RunSlots {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

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

/**
 * ShellCheck as a checker, or undefined when the program is not installed. A run that fails rejects
 * with one line saying why (timed out, too much output, exit status and ShellCheck's first error line).
 */
export async function nodeShellChecker(options: NodeShellCheckerOptions = {}): Promise<ShellChecker | undefined> {
  const program = await findProgram(options.path ?? 'shellcheck');
  if (!program) return undefined;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxOutputBytes = options.maxOutputBytes ?? 4 * 1024 * 1024;
  const slots = new RunSlots(Math.max(1, options.concurrency ?? Math.min(4, availableParallelism())));
  return {
    check: (script, dialect) => slots.run(() => runShellCheck(program, script, dialect, timeoutMs, maxOutputBytes)),
  };
}

function runShellCheck(program: string, script: string, dialect: ShellDialect, timeoutMs: number, maxOutputBytes: number): Promise<ShellCheckOutput> {
  return new Promise((resolve, reject) => {
    // A process group of its own, so a stop reaches whatever it started too.
    const child = spawn(program, ['--format=json1', `--shell=${dialect}`, '-'], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (error: Error | undefined, output?: ShellCheckOutput) => {
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
    // A ShellCheck that exits before reading its input must not crash us with EPIPE.
    child.stdin.on('error', () => undefined);
    child.on('error', (error) => settle(new Error(`shellcheck could not be run: ${error.message}`)));
    child.on('close', (status) => {
      if (settled) return;
      // 0: no findings, 1: findings; anything else is ShellCheck failing.
      if (status !== 0 && status !== 1) {
        const reason = Buffer.concat(stderr).toString('utf8').split('\n').find((line) => line.trim() !== '') ?? 'no message';
        return settle(new Error(`shellcheck failed (exit status ${status ?? 'killed'}): ${reason.trim()}`));
      }
      try {
        settle(undefined, parseOutput(Buffer.concat(stdout).toString('utf8')));
      } catch (error) {
        settle(new Error(`shellcheck printed output that is not its json1 format: ${(error as Error).message}`));
      }
    });
    child.stdin.end(script);
  });
}

function parseOutput(text: string): ShellCheckOutput {
  const parsed = JSON.parse(text) as { comments?: unknown };
  if (!Array.isArray(parsed.comments)) throw new Error('no "comments" list');
  const comments: ShellCheckComment[] = [];
  for (const c of parsed.comments as Record<string, unknown>[]) {
    const { line, endLine, column, endColumn, level, code, message } = c;
    if (typeof line !== 'number' || typeof endLine !== 'number' || typeof column !== 'number' || typeof endColumn !== 'number') continue;
    if (typeof code !== 'number' || typeof message !== 'string') continue;
    if (level !== 'error' && level !== 'warning' && level !== 'info' && level !== 'style') continue;
    comments.push({ line, endLine, column, endColumn, level, code, message });
  }
  return { comments };
}
