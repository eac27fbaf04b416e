/** What the runtime's benches share: the smoke mode, running a tool as a process, and the median of the rounds. */
import { execFileSync, type ExecFileSyncOptions } from 'node:child_process';

/**
 * `BENCH_SMOKE=1` (as in compiler/bench/bench-mode.ts): the tiny mode `npm test` runs
 * (runtime/test/bench-smoke.test.ts) so that a broken bench fails CI. Smallest inputs and one
 * round; every contender still runs end to end and is checked; the targets are printed, not asserted.
 */
export const smoke = process.env.BENCH_SMOKE === '1';

/** The normal mode's size, or the tiny one under `BENCH_SMOKE=1`. */
export function benchSize<T>(normal: T, tiny: T): T {
  return smoke ? tiny : normal;
}

/** The line a smoke run starts with, so its output is never taken for a measurement. */
export const SMOKE_NOTE = 'BENCH_SMOKE=1: tiny inputs, one round; a check that the bench runs, not a measurement';

/** `--rounds N` on the command line, else the bench's default (one round in smoke mode). */
export function roundsArg(normal: number): number {
  return Number(process.argv[process.argv.indexOf('--rounds') + 1] || 0) || benchSize(normal, 1);
}

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
