/**
 * `npm run bench`: parse + full diagnostics on generated Kubefiles of 1k, 7k and 27k lines, side by
 * side with dockerfile-ast parsing and dockerfile-utils validating the same text.
 *
 * Targets (from the issue): our parse at least 10x faster than dockerfile-ast, the 27k-line file
 * fully diagnosed (lint) in under 100 ms on one core, and linear growth with file size.
 */
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { lint } from '@kubefile/compiler';
import { parse } from '@kubefile/grammar';
import { DockerfileParser } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';
import { benchSize, smoke, SMOKE_NOTE } from './bench-mode.js';
import { generateKubefile } from './generate.js';

const SIZES = benchSize([1_000, 7_000, 27_000], [100, 300]);
const SEED = 42;

interface Tool {
  name: string;
  /** Runs the tool; returns a count (instructions or diagnostics) so the work cannot be optimised away. */
  run: (text: string) => number;
  /** Time budget per size (ms), which sets how many runs the median is taken over. */
  budgetMs: number;
  minRuns: number;
  maxRuns: number;
  /** Slow tools: the first run (which sizes the budget) counts as a sample instead of a warm-up. */
  keepFirst?: boolean;
}

const FAST_BUDGET_MS = benchSize(1_500, 50);
const TOOLS = {
  parse: { name: 'kubefile parse', run: (text) => parse(text).diagnostics.length, budgetMs: FAST_BUDGET_MS, minRuns: 7, maxRuns: 60 },
  lint: { name: 'kubefile lint', run: (text) => lint(text).diagnostics.length, budgetMs: FAST_BUDGET_MS, minRuns: 7, maxRuns: 60 },
  dockerfileAst: { name: 'dockerfile-ast parse', run: (text) => DockerfileParser.parse(text).getInstructions().length, budgetMs: FAST_BUDGET_MS, minRuns: 7, maxRuns: 60 },
  // About 10 s per run at 27k lines: once there, a few times on the smaller files.
  dockerfileUtils: { name: 'dockerfile-utils validate', run: (text) => validate(text).length, budgetMs: benchSize(8_000, 100), minRuns: 1, maxRuns: 15, keepFirst: true },
} satisfies Record<string, Tool>;
type ToolId = keyof typeof TOOLS;
const TOOL_IDS = Object.keys(TOOLS) as ToolId[];

interface Measurement {
  medianMs: number;
  minMs: number;
  runs: number;
  /** What the tool returned (diagnostics, or instructions for dockerfile-ast). */
  count: number;
}

// A full GC before each measurement, so one tool's garbage is not collected on another's clock.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

function time(tool: Tool, text: string): { ms: number; count: number } {
  const start = performance.now();
  const count = tool.run(text);
  return { ms: performance.now() - start, count };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Median over as many runs as fit the tool's budget (at least `minRuns`). A first run sizes the
 * budget; it is one more warm-up, or a sample for slow tools.
 */
function measure(tool: Tool, text: string): Measurement {
  collectGarbage();
  const first = time(tool, text);
  const runs = Math.max(tool.minRuns, Math.min(tool.maxRuns, Math.floor(tool.budgetMs / Math.max(first.ms, 0.01))));
  const samples = tool.keepFirst ? [first.ms] : [];
  while (samples.length < runs) samples.push(time(tool, text).ms);
  return { medianMs: median(samples), minMs: Math.min(...samples), runs: samples.length, count: first.count };
}

/** Warm-up: let the JIT settle on the small file (and, for the fast tools, on the large one too). */
function warmUp(small: string, large: string): void {
  for (const id of TOOL_IDS) {
    const tool = TOOLS[id];
    const rounds = id === 'dockerfileUtils' ? 3 : 30;
    for (let i = 0; i < rounds; i++) tool.run(small);
    if (id !== 'dockerfileUtils') for (let i = 0; i < 3; i++) tool.run(large);
  }
}

const mbPerSecond = (bytes: number, ms: number): number => bytes / 1e6 / (ms / 1e3);
const pad = (value: string | number, width: number): string => String(value).padStart(width);
const fixed = (value: number, digits = 2): string => value.toFixed(digits);
const verdict = (ok: boolean): string => (ok ? 'PASS' : 'MISS');

interface SizeResult {
  lines: number;
  bytes: number;
  results: Record<ToolId, Measurement>;
}

function main(): void {
  const texts = SIZES.map((lines) => generateKubefile(lines, SEED));
  if (smoke) console.log(SMOKE_NOTE);
  // Timings are wall-clock on one thread: a busy machine (see the load average) inflates them.
  console.log(`Kubefile benchmark: node ${process.version}, ${process.platform}/${process.arch}, ${cpus()[0]?.model ?? 'unknown CPU'}, seed ${SEED}`);
  console.log(`load average before: ${loadavg().map((l) => l.toFixed(2)).join(' ')} (${cpus().length} CPUs)`);
  warmUp(texts[0], texts[texts.length - 1]);

  const sizes: SizeResult[] = [];
  for (const text of texts) {
    const results = {} as Record<ToolId, Measurement>;
    for (const id of TOOL_IDS) results[id] = measure(TOOLS[id], text);
    // The text ends with a newline, so the last piece of the split is not a line.
    sizes.push({ lines: text.split('\n').length - 1, bytes: Buffer.byteLength(text, 'utf8'), results });
  }

  // Timings.
  console.log('');
  console.log(`${'lines'.padStart(6)} ${'kB'.padStart(7)}  ${'tool'.padEnd(26)} ${'median ms'.padStart(9)} ${'min ms'.padStart(9)} ${'MB/s'.padStart(8)} ${'runs'.padStart(5)} ${'result'.padStart(14)}`);
  for (const size of sizes) {
    for (const id of TOOL_IDS) {
      const m = size.results[id];
      const what = id === 'dockerfileAst' ? 'instructions' : 'diags';
      console.log(
        `${pad(size.lines, 6)} ${pad(fixed(size.bytes / 1e3, 1), 7)}  ${TOOLS[id].name.padEnd(26)} ${pad(fixed(m.medianMs), 9)} ${pad(fixed(m.minMs), 9)} ${pad(fixed(mbPerSecond(size.bytes, m.medianMs), 1), 8)} ${pad(m.runs, 5)} ${pad(`${m.count} ${what}`, 14)}`,
      );
    }
  }

  // Ratios: how many times faster we are.
  console.log('');
  console.log(`${'lines'.padStart(6)}  ${'dockerfile-ast / our parse'.padStart(27)}  ${'dockerfile-utils / our lint'.padStart(28)}  ${'dockerfile-ast / our lint'.padStart(26)}`);
  for (const { lines, results: r } of sizes) {
    const astParse = r.dockerfileAst.medianMs / r.parse.medianMs;
    const utilsLint = r.dockerfileUtils.medianMs / r.lint.medianMs;
    const astLint = r.dockerfileAst.medianMs / r.lint.medianMs;
    console.log(`${pad(lines, 6)}  ${pad(fixed(astParse, 1) + 'x', 27)}  ${pad(fixed(utilsLint, 1) + 'x', 28)}  ${pad(fixed(astLint, 1) + 'x', 26)}`);
  }

  // Growth: time ratio divided by lines ratio (1.0 = linear, > 1 = superlinear).
  const first = sizes[0];
  const last = sizes[sizes.length - 1];
  const linesRatio = last.lines / first.lines;
  const growth = (id: ToolId): number => last.results[id].medianMs / first.results[id].medianMs / linesRatio;
  const midGrowth = (id: ToolId): number => {
    const mid = sizes[sizes.length - 2];
    return last.results[id].medianMs / mid.results[id].medianMs / (last.lines / mid.lines);
  };
  console.log('');
  console.log(`growth per line (time ratio / lines ratio; 1.00 = linear)`);
  console.log(`${''.padEnd(26)} ${`${first.lines}->${last.lines}`.padStart(12)} ${`${sizes[sizes.length - 2].lines}->${last.lines}`.padStart(12)}`);
  for (const id of TOOL_IDS) console.log(`${TOOLS[id].name.padEnd(26)} ${pad(fixed(growth(id)), 12)} ${pad(fixed(midGrowth(id)), 12)}`);

  // Targets.
  const LINEAR_TOLERANCE = 1.5;
  const minAstRatio = Math.min(...sizes.map(({ results: r }) => r.dockerfileAst.medianMs / r.parse.medianMs));
  const lint27k = last.results.lint.medianMs;
  const linear = Math.max(growth('lint'), midGrowth('lint'), growth('parse'), midGrowth('parse'));
  console.log('');
  console.log(`${verdict(minAstRatio >= 10)}  parse >= 10x dockerfile-ast at every size (lowest: ${fixed(minAstRatio, 1)}x)`);
  console.log(`${verdict(lint27k < 100)}  ${last.lines}-line file fully diagnosed in < 100 ms (lint: ${fixed(lint27k)} ms)`);
  console.log(`${verdict(linear <= LINEAR_TOLERANCE)}  linear growth: parse and lint growth per line <= ${LINEAR_TOLERANCE} (worst: ${fixed(linear)})`);
  console.log(`load average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}

main();
