/**
 * Runs kubefilec for the Images view (images, tag, delete, push, save, load, prune, registry
 * export, login): the configured one or the bundled one, with the store the settings name, its
 * output bounded. A failure is kubefilec's own one-line error. No `vscode` here.
 */
import { spawn } from 'node:child_process';
import type { KubefilecProcess } from './build-task.js';

/** kubefilec ended with a non-zero exit: `message` is its error line (`kubefilec: error: ` taken off). */
export class KubefilecFailure extends Error {
  override readonly name = 'KubefilecFailure';
  constructor(
    message: string,
    readonly exitCode: number | null,
  ) {
    super(message);
  }
}

/** More output than any of these commands prints (images --format json of a large store included). */
const MAX_OUTPUT = 64 << 20;

/** The error line of kubefilec's standard error: its last `error:` line, else its last line. */
export function errorLine(stderr: string): string {
  const lines = stderr.split('\n').map((line) => line.trim()).filter((line) => line !== '');
  const error = lines.filter((line) => /(^kubefilec: |: )error: /.test(line)).at(-1) ?? lines.at(-1) ?? '';
  return error.replace(/^kubefilec: error: /, '');
}

export interface KubefilecRun {
  /** Written to standard input, then closed (a password for `login --password-stdin`). */
  input?: string;
  signal?: AbortSignal;
}

/** Runs `process` with `args` after its own; resolves with standard output when it exits 0. */
export function runKubefilec(process: KubefilecProcess, args: readonly string[], run: KubefilecRun = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.command, [...process.args, ...args], {
      env: { ...globalThis.process.env, ...process.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(run.signal ? { signal: run.signal } : {}),
    });
    const stdout: Buffer[] = [];
    let stderr = '';
    let size = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_OUTPUT) child.kill();
      else stdout.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < MAX_OUTPUT) stderr += chunk.toString();
    });
    child.on('error', (error) => reject(error.name === 'AbortError' ? new KubefilecFailure('cancelled', null) : new KubefilecFailure(`cannot run ${process.command}: ${error.message}`, null)));
    child.on('close', (code) => {
      if (size > MAX_OUTPUT) reject(new KubefilecFailure(`kubefilec ${args[0] ?? ''} printed more than ${MAX_OUTPUT >> 20} MiB`, code));
      else if (code === 0) resolve(Buffer.concat(stdout).toString('utf8'));
      else reject(new KubefilecFailure(errorLine(stderr) || `kubefilec ${args[0] ?? ''} exited with ${code}`, code));
    });
    child.stdin.end(run.input ?? '');
  });
}

/** The `--root` flag for the `kubefile.root` setting, none for kubefilec's default store. */
export function rootFlags(root: string): string[] {
  return root.trim() === '' ? [] : ['--root', root.trim()];
}
