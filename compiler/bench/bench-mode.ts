/**
 * `BENCH_SMOKE=1`: the tiny mode of every bench, which `npm test` runs (the packages'
 * test/bench-smoke.test.ts) so that a broken bench fails CI. Smallest inputs and one round, every
 * contender still run end to end and checked, the tables printed; the figures mean nothing and the
 * targets' PASS/MISS lines are not asserted. The lsp bench reads it from here too.
 */
export const smoke = process.env.BENCH_SMOKE === '1';

/** The normal mode's size, or the tiny one under `BENCH_SMOKE=1`. */
export function benchSize<T>(normal: T, tiny: T): T {
  return smoke ? tiny : normal;
}

/** The line a smoke run starts with, so its output is never taken for a measurement. */
export const SMOKE_NOTE = 'BENCH_SMOKE=1: tiny inputs, one round; a check that the bench runs, not a measurement';
