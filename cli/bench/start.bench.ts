/**
 * kubefilec's start, whole process: real processes, the median of interleaved rounds (each round runs
 * every contender once, so a busy moment of the machine falls on all of them), next to Node's own
 * start (`node -e 0`, the floor no Node program goes under) and the peers on the same files: the
 * dockerfile-utils command line (a Node program too) and hadolint when it is on PATH.
 *
 * Rows (issue 22): `kubefilec --version`, `kubefilec lint` of a 2-line Kubefile, and of the generated
 * 27k-line Kubefile in a build context of few files. That one is linted with --no-shellcheck:
 * ShellCheck would check its 2,400 RUN scripts (seconds), and neither peer checks shell.
 * `kubefilec --version` is run a second time with KUBEFILEC_CODE_CACHE=off, which shows what the
 * code cache (cli/src/start.cts) saves.
 *
 *   node cli/dist/bench/start.bench.js [--rounds 21] [--big-rounds 5] [--lines 27000]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '../../..');
// The shared bench modules, built with their packages: the Kubefile generator, BENCH_SMOKE and the median.
const { generateKubefile } = (await import(pathToFileURL(join(repo, 'compiler/dist-test/bench/generate.js')).href)) as { generateKubefile(lines: number, seed: number): string };
const { benchSize, commandFailure, median, smoke, SMOKE_NOTE } = (await import(pathToFileURL(join(repo, 'runtime/dist/bench/bench-process.js')).href)) as {
  benchSize<T>(normal: T, tiny: T): T;
  commandFailure(file: string, args: string[], error: unknown): Error;
  median(values: number[]): number;
  smoke: boolean;
  SMOKE_NOTE: string;
};

const argValue = (name: string, fallback: number): number => Number(process.argv[process.argv.indexOf(name) + 1] || 0) || fallback;
const ROUNDS = argValue('--rounds', benchSize(21, 1));
const BIG_ROUNDS = argValue('--big-rounds', benchSize(5, 1));
const LINES = argValue('--lines', benchSize(27_000, 300));
const SEED = 42;

const KUBEFILEC = join(repo, 'cli/bin/kubefilec.js');
const DOCKERFILE_UTILS = realpathSync(join(repo, 'node_modules/.bin/dockerfile-utils'));

interface Contender {
  name: string;
  file: string;
  args: string[];
  env?: Record<string, string>;
  /** The exit statuses that mean it ran: a lint that finds errors exits 1. */
  statuses: number[];
  /** What its standard output must hold, so a run that did nothing is not taken for a fast one. */
  expect: RegExp;
}

/** One spawn, timed from the call to the end of the process (its output read). */
function timeRun(contender: Contender, cwd: string): number {
  const started = performance.now();
  const result = spawnSync(contender.file, contender.args, { cwd, env: { ...process.env, ...contender.env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 << 20 });
  const ms = performance.now() - started;
  if (result.error || result.status === null || !contender.statuses.includes(result.status) || !contender.expect.test(result.stdout)) {
    throw commandFailure(contender.file, contender.args, result.error ?? Object.assign(new Error(`exit status ${result.status ?? result.signal}`), { stdout: result.stdout, stderr: result.stderr }));
  }
  return ms;
}

interface Timing {
  median: number;
  /** The least busy run: on a shared machine, closer to the command's own cost than the median. */
  min: number;
}

/** `rounds` interleaved rounds of the contenders (after an untimed one: the page cache, node's own files). */
function measure(contenders: Contender[], rounds: number, cwd: string): Timing[] {
  for (const contender of contenders) timeRun(contender, cwd);
  const samples = contenders.map((): number[] => []);
  for (let round = 0; round < rounds; round++) contenders.forEach((contender, i) => samples[i].push(timeRun(contender, cwd)));
  return samples.map((s) => ({ median: median(s), min: Math.min(...s) }));
}

function hadolintInstalled(): boolean {
  const result = spawnSync('hadolint', ['--version'], { stdio: 'ignore' });
  return !result.error && result.status === 0;
}

/** A context holding `kubefile` and a couple of small files (the few files of the row). */
function writeContext(dir: string, kubefile: string): void {
  mkdirSync(join(dir, 'bin'), { recursive: true });
  writeFileSync(join(dir, 'Kubefile'), kubefile);
  writeFileSync(join(dir, 'bin/kubectl'), '#!/bin/sh\n');
  writeFileSync(join(dir, 'README.md'), 'A build context.\n');
}

const node = (script: string[], name: string, statuses: number[], expect: RegExp, env?: Record<string, string>): Contender => ({ name, file: process.execPath, args: script, statuses, expect, ...(env ? { env } : {}) });
const ms = (value: number): string => `${value.toFixed(0)} ms`;
const verdict = (ok: boolean): string => (ok ? 'PASS' : 'MISS');

function main(): void {
  if (smoke) console.log(SMOKE_NOTE);
  const work = mkdtempSync(join(tmpdir(), 'kubefilec-start-bench-'));
  try {
    const small = join(work, 'small');
    const big = join(work, 'big');
    writeContext(small, 'FROM scratch\nCOPY bin/kubectl /usr/bin/\n');
    const bigText = generateKubefile(LINES, SEED);
    writeContext(big, bigText);
    const bigLines = bigText.split('\n').length - 1;
    const hadolint = hadolintInstalled();

    const floor = node(['-e', '0'], 'node -e 0 (node\'s own start)', [0], /^$/);
    const version = node([KUBEFILEC, '--version'], 'kubefilec --version', [0], /^\d+\.\d+\.\d+\n$/);
    const versionUncached = node([KUBEFILEC, '--version'], 'kubefilec --version, no code cache', [0], /^\d+\.\d+\.\d+\n$/, { KUBEFILEC_CODE_CACHE: 'off' });
    const lintSmall = node([KUBEFILEC, 'lint', small], 'kubefilec lint, 2 lines', [0], /^$/);
    const utilsVersion = node([DOCKERFILE_UTILS, '--version'], 'dockerfile-utils --version', [0], /dockerfile-utils version/);
    const utilsSmall = node([DOCKERFILE_UTILS, 'lint', join(small, 'Kubefile')], 'dockerfile-utils lint, 2 lines', [0, 1], /^/);
    const hadolintVersion: Contender = { name: 'hadolint --version', file: 'hadolint', args: ['--version'], statuses: [0], expect: /\d/ };
    const hadolintSmall: Contender = { name: 'hadolint, 2 lines', file: 'hadolint', args: [join(small, 'Kubefile')], statuses: [0, 1], expect: /^/ };
    const fast = [floor, version, versionUncached, lintSmall, utilsVersion, utilsSmall, ...(hadolint ? [hadolintVersion, hadolintSmall] : [])];

    const linesLabel = bigLines.toLocaleString('en-US');
    const lintBig = node([KUBEFILEC, 'lint', '--no-shellcheck', big], `kubefilec lint, ${linesLabel} lines`, [1], /KF3004/);
    const utilsBig = node([DOCKERFILE_UTILS, 'lint', join(big, 'Kubefile')], `dockerfile-utils lint, ${linesLabel} lines`, [0, 1], /\S/);
    const hadolintBig: Contender = { name: `hadolint, ${linesLabel} lines`, file: 'hadolint', args: [join(big, 'Kubefile')], statuses: [0, 1], expect: /^/ };
    const slow = [floor, lintBig, utilsBig, ...(hadolint ? [hadolintBig] : [])];

    console.log(`kubefilec start, whole process: node ${process.version}, ${process.platform}/${process.arch}, ${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} CPUs)`);
    console.log(`load average before: ${loadavg().map((l) => l.toFixed(2)).join(' ')}; medians of ${ROUNDS} interleaved rounds (${BIG_ROUNDS} for the ${linesLabel}-line file, floor measured again with it)`);
    if (!hadolint) console.log('hadolint: not installed');
    const fastTimings = measure(fast, ROUNDS, work);
    const slowTimings = measure(slow, BIG_ROUNDS, work);
    const timed = new Map<Contender, Timing>([...fast.map((c, i) => [c, fastTimings[i]] as const), ...slow.slice(1).map((c, i) => [c, slowTimings[i + 1]] as const)]);
    const floorMs = fastTimings[0].median;
    const bigFloorMs = slowTimings[0].median;

    console.log('');
    const width = Math.max(...[...timed.keys()].map((c) => c.name.length));
    console.log(`| ${'command'.padEnd(width)} | ${'median'.padStart(8)} | ${'min'.padStart(8)} | ${'minus node -e 0'.padStart(15)} |`);
    console.log(`|${'-'.repeat(width + 2)}|${'-'.repeat(10)}|${'-'.repeat(10)}|${'-'.repeat(17)}|`);
    for (const [contender, { median: value, min }] of timed) {
      const base = slow.includes(contender) ? bigFloorMs : floorMs;
      console.log(`| ${contender.name.padEnd(width)} | ${ms(value).padStart(8)} | ${ms(min).padStart(8)} | ${(contender === floor ? '-' : ms(value - base)).padStart(15)} |`);
    }

    // Ratios: how many times the floor, and how many times faster than each peer (> 1: ours is faster).
    const ratio = (a: number, b: number): string => `${(a / b).toFixed(2)}x`;
    const at = (contender: Contender): number => timed.get(contender)?.median ?? Number.NaN;
    console.log('');
    console.log(`| ${'ours'.padEnd(width)} | ${'/ node -e 0'.padStart(11)} | ${'dockerfile-utils / ours'.padStart(23)} | ${'hadolint / ours'.padStart(15)} |`);
    console.log(`|${'-'.repeat(width + 2)}|${'-'.repeat(13)}|${'-'.repeat(25)}|${'-'.repeat(17)}|`);
    const ratioRow = (ours: Contender, base: number, utils: Contender, peer: Contender): void => {
      console.log(`| ${ours.name.padEnd(width)} | ${ratio(at(ours), base).padStart(11)} | ${ratio(at(utils), at(ours)).padStart(23)} | ${(hadolint ? ratio(at(peer), at(ours)) : '-').padStart(15)} |`);
    };
    ratioRow(version, floorMs, utilsVersion, hadolintVersion);
    ratioRow(lintSmall, floorMs, utilsSmall, hadolintSmall);
    ratioRow(lintBig, bigFloorMs, utilsBig, hadolintBig);

    console.log('');
    const target = (contender: Contender, limitMs: number, base: number): void => {
      console.log(`${verdict(at(contender) < limitMs)}  ${contender.name} < ${limitMs} ms (${ms(at(contender))}; ${ms(at(contender) - base)} over node -e 0 at ${ms(base)})`);
    };
    target(version, 80, floorMs);
    target(lintSmall, 120, floorMs);
    target(lintBig, 400, bigFloorMs);
    console.log(`code cache: kubefilec --version ${ms(at(versionUncached))} without it, ${ms(at(version))} with it`);
    console.log(`load average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main();
