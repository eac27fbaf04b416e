/** What the runtime's benches share: running a tool as a process, and the median of the rounds. */
import { execFileSync, type ExecFileSyncOptions } from 'node:child_process';

/** An error naming the command and the last lines it printed. */
export function commandFailure(file: string, args: string[], error: unknown): Error {
  const { stderr, stdout } = error as { stderr?: Buffer | string; stdout?: Buffer | string };
  const tail = `${stdout?.toString() ?? ''}${stderr?.toString() ?? ''}`.trim().split('\n').slice(-15).join('\n');
  return new Error(`${file} ${args.join(' ')} failed:\n${tail || (error as Error).message}`);
}

/** Runs a command to its end; its output, or an error with the last lines it printed. */
export function run(file: string, args: string[], options: ExecFileSyncOptions = {}): string {
  try {
    return execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20, ...options }).toString();
  } catch (error) {
    throw commandFailure(file, args, error);
  }
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
