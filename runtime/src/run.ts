/**
 * Runs one RUN command as sealer does: on the build host, in the image root (the merged view of
 * the layers so far), with the root's `bin/` first on PATH and the environment of the step (ARG and
 * ENV values and the platform variables). Shell form goes to `/bin/sh -c`, heredocs included (the
 * shell reads them); exec form runs the program directly.
 */
import { execa } from 'execa';
import { join } from 'node:path';
import type { RunOp } from '@kubefile/compiler';
import { RuntimeError } from './errors.js';

export interface RunCommandOptions {
  /** The image root the command runs in. */
  root: string;
  /** `linux/arm64/v8`, for messages. */
  platform: string;
  signal?: AbortSignal;
  /** Each line the command prints (stdout and stderr). */
  onOutput?: (line: string) => void;
  /** Directories put first on PATH, before the root's `bin/` (emulation shims). */
  pathFirst?: string[];
}

/** The argv a RUN op runs. */
export function commandLine(op: Pick<RunOp, 'command' | 'heredocs'>): string[] {
  if (Array.isArray(op.command)) return op.command;
  const heredocs = op.heredocs ?? [];
  // `RUN <<EOF` alone: the heredoc is the script.
  if (heredocs.length > 0 && /^\s*(\d?<<-?["']?\w+["']?\s*)+$/.test(op.command)) return ['/bin/sh', '-c', heredocs[0].content];
  // The shell reads the bodies after the command line, as written in the Kubefile.
  const script = heredocs.reduce((text, h) => `${text}\n${h.content}${h.name}`, op.command);
  return ['/bin/sh', '-c', script];
}

export async function runCommand(op: RunOp, options: RunCommandOptions): Promise<void> {
  const [program, ...args] = commandLine(op);
  const path = `${[...(options.pathFirst ?? []), join(options.root, 'bin')].join(':')}:${op.env.PATH ?? process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'}`;
  const child = execa(program, args, {
    cwd: options.root,
    env: { ...op.env, PATH: path },
    extendEnv: false,
    stdin: 'ignore',
    all: true,
    reject: false,
    // Its own process group, so stopping the build stops everything the command started.
    detached: true,
    cleanup: true,
  });
  const stop = (): void => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  };
  options.signal?.addEventListener('abort', stop, { once: true });
  const output: string[] = [];
  child.all?.setEncoding('utf8');
  let pending = '';
  child.all?.on('data', (chunk: string) => {
    pending += chunk;
    let newline = pending.indexOf('\n');
    while (newline !== -1) {
      const line = pending.slice(0, newline);
      output.push(line);
      if (output.length > 20) output.shift();
      options.onOutput?.(line);
      pending = pending.slice(newline + 1);
      newline = pending.indexOf('\n');
    }
  });
  const result = await child.finally(() => options.signal?.removeEventListener('abort', stop));
  if (pending !== '') {
    output.push(pending);
    options.onOutput?.(pending);
  }
  if (options.signal?.aborted) throw new RuntimeError('INTERRUPTED', 'interrupted');
  if (result.failed) {
    const how = result.exitCode !== undefined ? `exit code ${result.exitCode}` : result.signal ? `signal ${result.signal}` : (result.originalMessage ?? 'failed to start');
    const tail = output.length > 0 ? `\n${output.slice(-10).map((line) => `  | ${line}`).join('\n')}` : '';
    throw new RuntimeError('RUN_FAILED', `RUN ${op.preview} failed on ${options.platform}: ${how}${tail}`);
  }
}
