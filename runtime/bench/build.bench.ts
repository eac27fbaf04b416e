/**
 * Build throughput, measured against `tar -cf - CONTEXT | sha256sum` on the same 1 GiB context in
 * the same run (the floor: read every byte once and hash it), plus the no-change rebuild and the
 * cost of a second, arch-independent platform. The peer, buildah, builds the same COPY lines
 * (`FROM scratch`, cold: a fresh storage root each time) in the same rounds. Prints ratios; the
 * targets come from the performance issue.
 *
 *   node runtime/dist/bench/build.bench.js [--size-mb 1024] [--rounds 3]
 *
 * buildah comes from scripts/install-bench-deps.sh; without it the bench says so and leaves its row out.
 */
import { execSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compile, parsePlatform } from '@kubefile/compiler';
import { nodeContext, nodeSha256 } from '@kubefile/compiler/node';
import { buildImage, ImageStore } from '../src/index.js';
import { buildahDriver, clean, timeBuild } from './against-buildah.js';
import { benchSize, median, roundsArg, run, smoke, SMOKE_NOTE } from './bench-process.js';

const sizeMb = Number(process.argv[process.argv.indexOf('--size-mb') + 1] || 0) || benchSize(1024, 8);
const rounds = roundsArg(3);
const contextDir = join(tmpdir(), `kubefile-bench-context-${sizeMb}-2`);
const storeDir = join(tmpdir(), 'kubefile-bench-store');

/** Many small files (manifests, charts) and a few large ones (image archives), about `sizeMb` in all. */
async function makeContext(): Promise<void> {
  const marker = join(contextDir, '.complete');
  if (await stat(marker).catch(() => undefined)) return;
  await rm(contextDir, { recursive: true, force: true });
  const smallTotal = Math.floor(sizeMb * 0.25) << 20;
  const largeCount = 3;
  const largeSize = Math.floor(((sizeMb << 20) - smallTotal) / largeCount);
  let seed = 1;
  const bytes = (n: number): Buffer => {
    const buffer = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i += 4) buffer.writeUInt32LE((seed = (seed * 1103515245 + 12345) >>> 0), Math.min(i, n - 4));
    return buffer;
  };
  let written = 0;
  for (let i = 0; written < smallTotal; i++) {
    const dir = join(contextDir, 'charts', `chart${Math.floor(i / 100)}`);
    if (i % 100 === 0) await mkdir(dir, { recursive: true });
    const size = 1024 + ((i * 7919) % (48 * 1024));
    await writeFile(join(dir, `file${i}.yaml`), bytes(size));
    written += size;
  }
  await mkdir(join(contextDir, 'images'), { recursive: true });
  const chunk = bytes(16 << 20);
  for (let i = 0; i < largeCount; i++) {
    const parts: Buffer[] = [];
    for (let done = 0; done < largeSize; done += chunk.length) parts.push(chunk.subarray(0, Math.min(chunk.length, largeSize - done)));
    await writeFile(join(contextDir, 'images', `image${i}.tar`), Buffer.concat(parts));
  }
  // Not into images/: its files are image archives that the build loads into registry/ (collect.bench.ts measures that).
  await writeFile(join(contextDir, 'Kubefile'), `FROM scratch\n${COPY_LINES}`);
  await writeFile(marker, '');
}

/** The steps both builders run: the Kubefile's and the Containerfile's lines after FROM scratch. */
const COPY_LINES = 'COPY charts charts\nCOPY images files\n';

/** buildah's version, or undefined when it is not installed. */
function buildahVersion(): string | undefined {
  try {
    return run('buildah', ['--version']).trim();
  } catch (error) {
    if (/ENOENT/.test((error as Error).message)) return undefined;
    throw error;
  }
}

/** The peer: `buildah build` of the same lines into a fresh storage root under `work`, as a process. */
class Buildah {
  readonly containerfile: string;

  constructor(
    private readonly work: string,
    readonly driver: string,
  ) {
    this.containerfile = join(work, 'Containerfile');
  }

  private global(dir: string): string[] {
    return ['--root', join(dir, 'storage'), '--runroot', join(dir, 'run'), '--storage-driver', this.driver];
  }

  /** One cold build, in ms; its storage is removed afterwards (outside the timing), or checked and removed. */
  async time(round: number, check: boolean): Promise<number> {
    const dir = join(this.work, `buildah-${round}`);
    await mkdir(dir, { recursive: true });
    try {
      const ms = timeBuild(() => run('buildah', [...this.global(dir), 'build', '--pull=false', '-f', this.containerfile, '-t', 'bench:latest', contextDir]));
      if (check) this.check(dir);
      return ms;
    } finally {
      await clean(dir);
    }
  }

  /** The image holds what ours does: as many files in the copied directories, and as many bytes. */
  private check(dir: string): void {
    const container = run('buildah', [...this.global(dir), 'from', '--pull=false', 'bench:latest']).trim();
    try {
      const root = run('buildah', [...this.global(dir), 'mount', container]).trim();
      const summary = (base: string, paths: string[]): string => run('bash', ['-c', `cd ${base} && find ${paths.join(' ')} -type f -printf '%s\\n' | awk '{n++; s+=$1} END {print n, s}'`]).trim();
      const theirs = summary(root, ['charts', 'files']);
      const expected = summary(contextDir, ['charts', 'images']);
      if (theirs !== expected) throw new Error(`buildah's image holds ${theirs} (files, bytes) in charts/ and files/, not ${expected}`);
    } finally {
      run('buildah', [...this.global(dir), 'rm', container]);
    }
  }
}

function time(command: string): number {
  const started = process.hrtime.bigint();
  execSync(command, { stdio: ['ignore', 'ignore', 'inherit'], shell: '/bin/bash' });
  return Number(process.hrtime.bigint() - started) / 1e6;
}

async function build(platforms: string[], noCache: boolean): Promise<number> {
  const started = process.hrtime.bigint();
  const store = await ImageStore.open(storeDir);
  const text = await readFile(join(contextDir, 'Kubefile'), 'utf8');
  const result = await compile(text, { platforms: platforms.map((p) => parsePlatform(p)), buildPlatform: parsePlatform('linux/amd64'), context: nodeContext(contextDir), sha256: nodeSha256 });
  await buildImage({ store, plans: result.plans, context: contextDir, tag: 'bench:latest', noCache });
  return Number(process.hrtime.bigint() - started) / 1e6;
}

async function fresh(): Promise<void> {
  await rm(storeDir, { recursive: true, force: true });
}

async function main(): Promise<void> {
  if (smoke) console.log(SMOKE_NOTE);
  await makeContext();
  const work = await mkdtemp(join(tmpdir(), 'kubefile-build-bench-'));
  try {
    await measure(work);
  } finally {
    await clean(work);
  }
}

async function measure(work: string): Promise<void> {
  const version = buildahVersion();
  let peer: Buildah | undefined;
  let why: string | undefined;
  if (version === undefined) {
    console.log('buildah: not installed (scripts/install-bench-deps.sh installs it), so its row is left out');
  } else {
    const probed = await buildahDriver(work);
    why = probed.why;
    if (why) console.error(`buildah: the overlay storage driver fails here, using vfs (${why})`);
    peer = new Buildah(work, probed.driver);
    await writeFile(peer.containerfile, `FROM scratch\n${COPY_LINES}`);
  }
  const total = Number(execSync(`du -sb ${contextDir}`, { encoding: 'utf8' }).split('\t')[0]);
  const files = Number(execSync(`find ${contextDir} -type f | wc -l`, { encoding: 'utf8' }).trim());
  // Warm the page cache once so every contender reads from memory.
  time(`tar -cf - -C ${contextDir} . > /dev/null`);
  const floor: number[] = [];
  const cold1: number[] = [];
  const cold2: number[] = [];
  const warm: number[] = [];
  const buildah: number[] = [];
  for (let round = 0; round < rounds; round++) {
    floor.push(time(`tar -cf - -C ${contextDir} . | sha256sum > /dev/null`));
    await fresh();
    cold1.push(await build(['linux/amd64'], true));
    // A no-change rebuild, three times: the first one after a cold build also pays for the disk
    // still writing that build's gigabyte back.
    for (let i = 0; i < 3; i++) warm.push(await build(['linux/amd64'], false));
    if (process.env.BENCH_VERBOSE) console.error('warm', warm.slice(-3).map((ms) => ms.toFixed(0)).join(' '));
    await fresh();
    cold2.push(await build(['linux/amd64', 'linux/arm64'], true));
    // Our store goes first, so the disk does not still write it back while buildah runs.
    await fresh();
    execSync('sync');
    if (peer) buildah.push(await peer.time(round, round === 0));
    if (process.env.BENCH_VERBOSE) console.error(`round ${round}: floor ${floor[round].toFixed(0)} cold ${cold1[round].toFixed(0)} 2 platforms ${cold2[round].toFixed(0)}${peer ? ` buildah ${buildah[round].toFixed(0)}` : ''}`);
  }
  const mb = total / 1e6;
  const row = (name: string, ms: number, note: string) => console.log(`| ${name.padEnd(44)} | ${(ms / 1000).toFixed(2).padStart(7)} s | ${(mb / (ms / 1000)).toFixed(0).padStart(6)} MB/s | ${note}`);
  console.log(`\nCOPY of ${(total / 2 ** 30).toFixed(2)} GiB in ${files} files (medians of ${rounds} rounds; 3 no-change rebuilds per round)`);
  if (peer) console.log(`${version}; buildah storage: ${peer.driver}${why ? ' (overlay failed)' : ''}; buildah commits the two COPY steps as one layer (no --layers)`);
  console.log(`\n| ${'run'.padEnd(44)} | time      | throughput  | vs target`);
  console.log(`|${'-'.repeat(46)}|-----------|-------------|----------`);
  const throughput = median(floor) / median(cold1);
  const rebuild = median(warm) / median(cold1);
  const second = median(cold2) / median(cold1);
  row('tar -cf - | sha256sum (floor)', median(floor), '');
  row('kubefilec build, 1 platform, cold', median(cold1), `${throughput.toFixed(2)}x the floor's throughput (target >= 1.0x) ${throughput >= 1 ? 'PASS' : 'MISS'}`);
  row('kubefilec build, no change (cached)', median(warm), `${(rebuild * 100).toFixed(1)}% of cold (target < 5%) ${rebuild < 0.05 ? 'PASS' : 'MISS'}`);
  row('kubefilec build, 2 platforms, cold', median(cold2), `${second.toFixed(2)}x 1 platform (target < 1.3x) ${second < 1.3 ? 'PASS' : 'MISS'}`);
  if (peer) {
    const theirs = median(buildah);
    row(`buildah build, 1 platform, cold (${peer.driver})`, theirs, `${(median(floor) / theirs).toFixed(2)}x the floor's throughput; kubefilec cold is ${(theirs / median(cold1)).toFixed(2)}x faster (reference)`);
  }
}

await main();
