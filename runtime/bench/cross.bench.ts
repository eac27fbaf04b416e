/**
 * Cross-compilation, multi-stage: examples/cross-compile (a builder stage on the build platform whose
 * one RUN makes every target's file, then each platform's image copying its own) built by kubefilec
 * for linux/amd64 and linux/arm64, against buildah building the example's Dockerfile twin the same
 * way, in the same run. Both start from the same busybox base (the Quick start's image, built once,
 * loaded into each fresh store outside the timing); each round cold (a fresh store, --no-cache).
 * Prints the ratio buildah / ours; the target is that ours is faster. buildah runs its builder stage
 * once per platform (kubefilec once), and builds the platforms one after the other unless given
 * `--jobs`, so it runs both ways, as the RUN bench does.
 *
 *   node runtime/dist/bench/cross.bench.js [--rounds 3]
 *
 * Needs root (the builder stage runs chrooted) and buildah (scripts/install-bench-deps.sh); no qemu:
 * nothing runs for another architecture.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildahDriver, clean, etcFiles, timeBuild } from './against-buildah.js';
import { median, roundsArg, run, smoke, SMOKE_NOTE } from './bench-process.js';

const rounds = roundsArg(3);
const repo = fileURLToPath(new URL('../../../', import.meta.url));
const cli = join(repo, 'cli', 'bin', 'kubefilec.js');
const context = join(repo, 'examples', 'cross-compile');
const busyboxContext = join(repo, 'examples', 'multi-arch');
const busybox = 'example.com/demo/busybox:1.36';
const platforms = 'linux/amd64,linux/arm64';
const buildArch = process.arch === 'x64' ? 'amd64' : process.arch;
const buildMachine = process.arch === 'x64' ? 'x86_64' : 'aarch64';

interface Contender {
  name: string;
  /** Outside the timing: the busybox base from its OCI archive into the empty store in `dir`. */
  prepare(dir: string, base: string): void;
  /** One cold build. */
  build(dir: string): void;
  /** After `build`: writes the image to `archive` as an OCI archive. */
  save(dir: string, archive: string): void;
}

function ours(): Contender {
  return {
    name: 'kubefilec build',
    prepare(dir, base) {
      run(process.execPath, [cli, 'load', '--root', join(dir, 'store'), '-i', base]);
    },
    build(dir) {
      run(process.execPath, [cli, 'build', '--root', join(dir, 'store'), '-t', 'cross-compile:v1', '--platform', platforms, '--no-cache', '--progress', 'plain', context]);
    },
    save(dir, archive) {
      run(process.execPath, [cli, 'save', '--root', join(dir, 'store'), '-o', archive, 'cross-compile:v1']);
    },
  };
}

function buildah(driver: string, jobs?: number): Contender {
  const env = { ...process.env, BUILDAH_ISOLATION: 'chroot' };
  const jobArgs = jobs === undefined ? [] : ['--jobs', String(jobs)];
  const global = (dir: string): string[] => ['--root', join(dir, 'storage'), '--runroot', join(dir, 'run'), '--storage-driver', driver];
  return {
    name: `buildah build --isolation chroot${jobs === undefined ? '' : ` --jobs ${jobs}`}, ${driver} storage`,
    prepare(dir, base) {
      // The build platform's variant, named as the Dockerfile's FROM says.
      const id = run('buildah', [...global(dir), 'pull', '-q', '--platform', `linux/${buildArch}`, `oci-archive:${base}`], { env }).trim();
      run('buildah', [...global(dir), 'tag', id, busybox], { env });
    },
    build(dir) {
      // buildah 1.28 does not define BUILDPLATFORM itself (see the Dockerfile).
      run('buildah', [...global(dir), 'build', '--isolation', 'chroot', ...jobArgs, '--pull=false', '--platform', platforms, '--manifest', 'cross-compile:v1', '--build-arg', `BUILDPLATFORM=linux/${buildArch}`, '-f', join(context, 'Dockerfile'), context], { env });
    },
    save(dir, archive) {
      run('buildah', [...global(dir), 'manifest', 'push', '--all', 'cross-compile:v1', `oci-archive:${archive}`], { env });
    },
  };
}

/**
 * One build by each contender, before the timed rounds: each platform's etc/hello is its own
 * target's, made on the build machine. Returns each build's time (the smoke mode's one round).
 */
async function verify(contenders: Contender[], base: string, work: string): Promise<number[]> {
  const times: number[] = [];
  for (const [i, contender] of contenders.entries()) {
    const dir = join(work, `verify-${i}`);
    await mkdir(dir, { recursive: true });
    contender.prepare(dir, base);
    times.push(timeBuild(() => contender.build(dir)));
    contender.save(dir, join(dir, 'image.tar'));
    const images = await etcFiles(join(dir, 'image.tar'), dir);
    for (const arch of ['amd64', 'arm64']) {
      const hello = images.get(arch)?.get('hello')?.toString();
      const expected = `hello for ${arch}, built on ${buildMachine}\n`;
      if (hello !== expected) throw new Error(`${contender.name}: ${arch} etc/hello is ${JSON.stringify(hello)}, not ${JSON.stringify(expected)}`);
    }
    await clean(dir);
  }
  return times;
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'kubefile-cross-bench-'));
  if (smoke) console.log(SMOKE_NOTE);
  try {
    if (!existsSync(join(busyboxContext, 'arm64', 'busybox'))) run(join(repo, 'scripts', 'fetch-busybox.sh'), [busyboxContext]);
    // The base, as the Quick start builds it, once: every round loads it from this archive.
    const base = join(work, 'busybox.tar');
    const seed = join(work, 'seed');
    run(process.execPath, [cli, 'build', '--root', seed, '-f', join(busyboxContext, 'container-image.Kubefile'), '-t', busybox, '--platform', platforms, '--progress', 'plain', busyboxContext]);
    run(process.execPath, [cli, 'save', '--root', seed, '-o', base, busybox]);
    await clean(seed);
    const version = run('buildah', ['--version']).trim();
    const { driver, why } = await buildahDriver(work);
    if (why) console.error(`buildah: the overlay storage driver fails here, using vfs (${why})`);
    const jobs = availableParallelism();
    const contenders = [ours(), buildah(driver), buildah(driver, jobs)];
    // Also warms the page cache and the programs, so every timed round starts alike.
    const checked = await verify(contenders, base, work);
    // In smoke mode the checked builds are the one round.
    const times: number[][] = contenders.map((_, i) => (smoke ? [checked[i]] : []));
    for (let round = times[0].length; round < rounds; round++) {
      for (const [i, contender] of contenders.entries()) {
        const dir = join(work, `round-${round}-${i}`);
        await mkdir(dir, { recursive: true });
        contender.prepare(dir, base);
        times[i].push(timeBuild(() => contender.build(dir)));
        await clean(dir);
      }
      if (process.env.BENCH_VERBOSE) console.error(`round ${round}`, times.map((t) => t[round].toFixed(0)).join(' '));
    }
    const medians = times.map(median);
    const [buildahDefault, buildahJobs] = medians.slice(1);
    const ratio = (theirs: number, ms: number) => `${(theirs / ms).toFixed(2)}x`;
    console.log(`\nexamples/cross-compile, 2 platforms (${platforms}): a builder stage on linux/${buildArch} (one RUN), then per platform FROM scratch + COPY --from + COPY; cold (--no-cache, a fresh store per build, the busybox base loaded outside the timing); medians of ${rounds} rounds`);
    console.log(`${version}; buildah storage: ${driver}${why ? ' (overlay failed)' : ''}, BUILDPLATFORM given as a build arg (1.28 does not define it); ${jobs} CPUs\n`);
    const jobsHeader = `buildah --jobs ${jobs} / this`;
    console.log(`| ${'build'.padEnd(58)} | time     | buildah / this | ${jobsHeader} | vs target`);
    console.log(`|${'-'.repeat(60)}|----------|----------------|${'-'.repeat(jobsHeader.length + 2)}|----------`);
    for (const [i, contender] of contenders.entries()) {
      const ms = medians[i];
      // The target: faster than buildah however it is run.
      const note = i === 0 ? `faster than buildah (target) ${ms < Math.min(buildahDefault, buildahJobs) ? 'PASS' : 'MISS'}` : '(reference)';
      console.log(`| ${contender.name.padEnd(58)} | ${(ms / 1000).toFixed(2).padStart(6)} s | ${ratio(buildahDefault, ms).padStart(14)} | ${ratio(buildahJobs, ms).padStart(jobsHeader.length)} | ${note}`);
    }
  } finally {
    await clean(work);
  }
}

await main();
