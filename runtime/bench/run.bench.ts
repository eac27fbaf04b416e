/**
 * A 2-platform build with RUN steps (linux/amd64 and linux/arm64, the arm64 steps through qemu),
 * measured against `buildah build --isolation chroot` of the equivalent Containerfile on the same
 * context in the same run. Both tools are timed as processes, each round cold (a fresh store).
 * Prints the ratio buildah / ours; the target is that ours is faster. buildah builds the platforms
 * one after the other unless given `--jobs`, so it runs both ways: as asked (default jobs) and with
 * `--jobs` = the CPU count, which is kubefilec's default `--parallel`.
 *
 *   node runtime/dist/bench/run.bench.js [--rounds 3]
 *
 * Needs root (chroot, overlay mounts, binfmt_misc), buildah (scripts/install-bench-deps.sh) and
 * qemu-user-static (scripts/install-system-deps.sh).
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildahDriver, clean, etcFiles, timeBuild } from './against-buildah.js';
import { benchSize, median, roundsArg, run, smoke, SMOKE_NOTE } from './bench-process.js';
import { createMounter, ImageStore, readBinfmtHandler, registerQemuHandlers, removeQemuHandlers } from '../src/index.js';

const rounds = roundsArg(3);
const repo = fileURLToPath(new URL('../../../', import.meta.url));
const cli = join(repo, 'cli', 'bin', 'kubefilec.js');
const platforms = 'linux/amd64,linux/arm64';
const expectedMachine: Record<string, string> = { amd64: 'x86_64', arm64: 'aarch64' };
const manifestCount = benchSize(200, 20);
const imageArchiveMiB = benchSize(16, 1);

// The same steps for all three; only the step that makes /bin/sh differs: with --isolation host
// `/bin/busybox` would be the host's, so it is the shell form there (same files as a result).
// Paths are relative (cwd is the image root in every mode): `/tmp` would be the host's with host isolation.
const runs = [
  'busybox sha256sum images/* > etc/images.sha256',
  'busybox tar -cf tmp/m.tar manifests && busybox gzip -c tmp/m.tar > etc/manifests.tgz && busybox rm tmp/m.tar',
  'busybox uname -m > etc/arch',
  'busybox find manifests -type f | busybox wc -l > etc/count',
];
// Smoke mode: the same commands in one RUN step (each step costs buildah a commit), same files.
const steps = ['COPY manifests manifests', 'COPY images images', ...benchSize(runs, [runs.join(' && ')]).map((command) => `RUN ${command}`)];
const execShell = 'RUN ["/bin/busybox", "sh", "-c", "/bin/busybox mkdir -p dev proc tmp etc && /bin/busybox ln -s busybox /bin/sh"]';
const files = {
  'Kubefile.host': ['FROM scratch', 'COPY ${ARCH}/busybox bin/busybox', 'RUN busybox mkdir -p dev proc tmp etc && busybox ln -s busybox bin/sh', ...steps],
  'Kubefile.chroot': ['FROM scratch', 'COPY ${ARCH}/busybox bin/busybox', execShell, ...steps],
  Containerfile: ['FROM scratch', 'ARG TARGETARCH', 'COPY ${TARGETARCH}/busybox /bin/busybox', execShell, ...steps],
};
const runSteps = files['Kubefile.host'].filter((line) => line.startsWith('RUN')).length;

interface Contender {
  name: string;
  /** One cold build with its store in `dir` (empty). */
  build(dir: string): void;
  /** After `build`: writes the image to `archive` as an OCI archive. */
  save(dir: string, archive: string): void;
}

/**
 * An OCI archive of one image for linux/amd64 and linux/arm64 whose one layer holds `size` random
 * bytes: `images/` of a cluster image only takes image archives (KF3008), and these are real ones.
 */
async function imageArchive(path: string, size: number, work: string): Promise<void> {
  await mkdir(join(work, 'rootfs'), { recursive: true });
  await mkdir(join(work, 'layout', 'blobs', 'sha256'), { recursive: true });
  await writeFile(join(work, 'rootfs', 'data.bin'), randomBytes(size));
  const layer = join(work, 'layer.tar');
  run('tar', ['-cf', layer, '-C', join(work, 'rootfs'), 'data.bin']);
  const blob = async (bytes: Buffer, mediaType: string): Promise<{ mediaType: string; digest: string; size: number }> => {
    const hex = createHash('sha256').update(bytes).digest('hex');
    await writeFile(join(work, 'layout', 'blobs', 'sha256', hex), bytes);
    return { mediaType, digest: `sha256:${hex}`, size: bytes.length };
  };
  const layerBytes = await readFile(layer);
  const diffId = `sha256:${createHash('sha256').update(layerBytes).digest('hex')}`;
  const layerDescriptor = await blob(layerBytes, 'application/vnd.oci.image.layer.v1.tar');
  // Both platforms the bench builds, sharing the layer: collection takes each platform's variant.
  const manifests = [];
  for (const architecture of ['amd64', 'arm64']) {
    const config = await blob(Buffer.from(JSON.stringify({ architecture, os: 'linux', rootfs: { type: 'layers', diff_ids: [diffId] } })), 'application/vnd.oci.image.config.v1+json');
    const manifest = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config, layers: [layerDescriptor] };
    manifests.push({ ...(await blob(Buffer.from(JSON.stringify(manifest)), manifest.mediaType)), platform: { architecture, os: 'linux' } });
  }
  const index = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests };
  const indexDescriptor = await blob(Buffer.from(JSON.stringify(index)), index.mediaType);
  await writeFile(join(work, 'layout', 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await writeFile(join(work, 'layout', 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [indexDescriptor] }));
  run('tar', ['-cf', path, '-C', join(work, 'layout'), 'oci-layout', 'index.json', 'blobs']);
  await rm(work, { recursive: true, force: true });
}

/** The context file listing the manifests' images, which kubefilec's build leaves out. */
const IGNORED_IMAGES = 'ignored-images.txt';

/** Small YAML manifests and two image archives (16 MiB each) (random bytes), plus each platform's busybox. */
async function makeContext(dir: string, work: string): Promise<void> {
  run(join(repo, 'scripts', 'fetch-busybox.sh'), [dir]);
  await mkdir(join(dir, 'manifests'), { recursive: true });
  const named: string[] = [];
  for (let i = 0; i < manifestCount; i++) {
    const documents = Array.from({ length: 1 + (i % 8) }, (_, n) => {
      const name = `app-${i}-${n}`;
      named.push(`registry.local/${name}:v1`);
      return `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${name}\n  labels:\n    app: ${name}\nspec:\n  replicas: ${1 + (n % 3)}\n  selector:\n    matchLabels:\n      app: ${name}\n  template:\n    metadata:\n      labels:\n        app: ${name}\n    spec:\n      containers:\n        - name: app\n          image: registry.local/${name}:v1\n`;
    });
    await writeFile(join(dir, 'manifests', `app-${i}.yaml`), documents.join('---\n'));
  }
  // The manifests' images exist nowhere: the build leaves them out (this bench is about RUN), as buildah never collects.
  await writeFile(join(dir, IGNORED_IMAGES), `${named.join('\n')}\n`);
  await mkdir(join(dir, 'images'), { recursive: true });
  for (const name of ['app', 'base']) await imageArchive(join(dir, 'images', `${name}.tar`), imageArchiveMiB << 20, join(work, `image-${name}`));
  for (const [name, lines] of Object.entries(files)) await writeFile(join(dir, name), `${lines.join('\n')}\n`);
}

/** Whether this run registered the arm64 entry, and how often it had to do it again. */
const binfmt = { registered: false, lost: 0 };

/**
 * buildah has no shims: the kernel must run arm64 programs. Called before every build, since
 * another process (the runtime's emulation tests) may remove the entry while the bench runs.
 */
async function ensureArm64Handler(): Promise<void> {
  if ((await readBinfmtHandler('arm64'))?.enabled) return;
  if (binfmt.registered) binfmt.lost++;
  await registerQemuHandlers(['arm64']);
  binfmt.registered = true;
}

/** Runs a build; a failure while the entry is gone says so (an "exec format error" otherwise). */
async function checked<T>(build: () => T): Promise<T> {
  try {
    return build();
  } catch (error) {
    if ((await readBinfmtHandler('arm64'))?.enabled) throw error;
    throw new Error(`${(error as Error).message}\nThe arm64 binfmt_misc entry was removed by another process during this build (the runtime's emulation tests do that): run the bench alone.`);
  }
}

function ours(context: string, isolation: 'host' | 'chroot', mounter: string): Contender {
  return {
    name: `kubefilec build --isolation ${isolation}${isolation === 'host' ? ' (what auto picks here)' : ''}, ${mounter}`,
    build(dir) {
      run(process.execPath, [cli, 'build', '--root', join(dir, 'store'), '-t', 'bench:v1', '--platform', platforms, '--no-cache', '--progress', 'plain', '--isolation', isolation, '--ignore-image-list', join(context, IGNORED_IMAGES), '-f', join(context, `Kubefile.${isolation}`), context]);
    },
    save(dir, archive) {
      run(process.execPath, [cli, 'save', '--root', join(dir, 'store'), '-o', archive, 'bench:v1']);
    },
  };
}

function buildah(context: string, driver: string, jobs?: number): Contender {
  const env = { ...process.env, BUILDAH_ISOLATION: 'chroot' };
  const jobArgs = jobs === undefined ? [] : ['--jobs', String(jobs)];
  const global = (dir: string): string[] => ['--root', join(dir, 'storage'), '--runroot', join(dir, 'run'), '--storage-driver', driver];
  return {
    name: `buildah build --isolation chroot${jobs === undefined ? '' : ` --jobs ${jobs}`}, ${driver} storage`,
    build(dir) {
      run('buildah', [...global(dir), 'build', '--isolation', 'chroot', ...jobArgs, '--pull=false', '--platform', platforms, '--manifest', 'bench:v1', '-f', join(context, 'Containerfile'), context], { env });
    },
    save(dir, archive) {
      run('buildah', [...global(dir), 'manifest', 'push', '--all', 'bench:v1', `oci-archive:${archive}`], { env });
    },
  };
}

/**
 * One build by each contender, before the timed rounds: each image has both platforms, `etc/arch`
 * is the platform's machine, and the files the RUN steps wrote are the same for every contender.
 * Returns each build's time (the smoke mode's one round).
 */
async function verify(contenders: Contender[], work: string): Promise<number[]> {
  let reference: string | undefined;
  const times: number[] = [];
  for (const [i, contender] of contenders.entries()) {
    const dir = join(work, `verify-${i}`);
    await mkdir(dir, { recursive: true });
    await ensureArm64Handler();
    times.push(await checked(() => timeBuild(() => contender.build(dir))));
    contender.save(dir, join(dir, 'image.tar'));
    const images = await etcFiles(join(dir, 'image.tar'), dir);
    const summary: string[] = [];
    for (const arch of ['amd64', 'arm64']) {
      const etc = images.get(arch);
      if (!etc) throw new Error(`${contender.name}: no ${arch} image (has ${[...images.keys()].join(', ')})`);
      const machine = etc.get('arch')?.toString().trim();
      if (machine !== expectedMachine[arch]) throw new Error(`${contender.name}: ${arch} etc/arch is ${machine ?? 'missing'}, not ${expectedMachine[arch]}`);
      const count = etc.get('count')?.toString().trim();
      if (count !== String(manifestCount)) throw new Error(`${contender.name}: ${arch} etc/count is ${count ?? 'missing'}, not ${manifestCount}`);
      const tgz = etc.get('manifests.tgz');
      if (!tgz) throw new Error(`${contender.name}: ${arch} has no etc/manifests.tgz`);
      const archived = execFileSync('tar', ['-tzf', '-'], { input: tgz, encoding: 'utf8' }).split('\n').filter((name) => name.endsWith('.yaml')).length;
      if (archived !== manifestCount) throw new Error(`${contender.name}: ${arch} etc/manifests.tgz has ${archived} manifests`);
      summary.push(`${arch}:${machine}:${count}:${etc.get('images.sha256')?.toString() ?? 'missing'}`);
    }
    if (reference !== undefined && summary.join('|') !== reference) throw new Error(`${contender.name} wrote other files than ${contenders[0].name}:\n${summary.join('\n')}\nvs\n${reference}`);
    reference = summary.join('|');
    await clean(dir);
  }
  return times;
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'kubefile-run-bench-'));
  const context = join(work, 'context');
  const before = await readBinfmtHandler('arm64');
  if (smoke) console.log(SMOKE_NOTE);
  try {
    await ensureArm64Handler();
    await makeContext(context, work);
    const total = Number(run('du', ['-sb', context]).split('\t')[0]);
    const fileCount = Number(run('find', [context, '-type', 'f']).trim().split('\n').length);
    const version = run('buildah', ['--version']).trim();
    const probeStore = await ImageStore.open(join(work, 'probe-store'));
    const mounter = (await createMounter(probeStore)).name;
    await clean(join(work, 'probe-store'));
    const { driver, why } = await buildahDriver(work);
    if (why) console.error(`buildah: the overlay storage driver fails here, using vfs (${why})`);
    const jobs = availableParallelism();
    const contenders = [ours(context, 'host', mounter), ours(context, 'chroot', mounter), buildah(context, driver), buildah(context, driver, jobs)];
    // Also warms the page cache, qemu and the programs, so every timed round starts alike.
    const verified = await verify(contenders, work);
    // In smoke mode the checked builds are the one round.
    const times: number[][] = contenders.map((_, i) => (smoke ? [verified[i]] : []));
    for (let round = times[0].length; round < rounds; round++) {
      for (const [i, contender] of contenders.entries()) {
        const dir = join(work, `round-${round}-${i}`);
        await mkdir(dir, { recursive: true });
        await ensureArm64Handler();
        times[i].push(await checked(() => timeBuild(() => contender.build(dir))));
        await clean(dir);
      }
      if (process.env.BENCH_VERBOSE) console.error(`round ${round}`, times.map((t) => t[round].toFixed(0)).join(' '));
    }
    const medians = times.map(median);
    const [buildahDefault, buildahJobs] = medians.slice(2);
    const ratio = (theirs: number, ms: number) => `${(theirs / ms).toFixed(2)}x`;
    console.log(`\n2 platforms (${platforms}), ${runSteps} RUN steps each, cold (--no-cache, a fresh store per build); medians of ${rounds} rounds`);
    console.log(`context: ${(total / 2 ** 20).toFixed(1)} MiB in ${fileCount} files (${manifestCount} YAML manifests, 2 x ${imageArchiveMiB} MiB image archives of random bytes, busybox per platform)`);
    console.log(`binfmt_misc qemu-aarch64: ${binfmt.registered ? 'registered by the bench (removed at the end)' : `already there (${before?.enabled ? 'enabled' : 'disabled'}, flags ${before?.flags})`}; ${version}; buildah storage: ${driver}${why ? ' (overlay failed)' : ''}; our mounter: ${mounter}; ${jobs} CPUs\n`);
    const jobsHeader = `buildah --jobs ${jobs} / this`;
    console.log(`| ${'run'.padEnd(62)} | time     | buildah / this | ${jobsHeader} | vs target`);
    console.log(`|${'-'.repeat(64)}|----------|----------------|${'-'.repeat(jobsHeader.length + 2)}|----------`);
    for (const [i, contender] of contenders.entries()) {
      const ms = medians[i];
      // The target: faster than buildah however it is run.
      const note = i < 2 ? `faster than buildah (target) ${ms < Math.min(buildahDefault, buildahJobs) ? 'PASS' : 'MISS'}` : '(reference)';
      console.log(`| ${contender.name.padEnd(62)} | ${(ms / 1000).toFixed(2).padStart(6)} s | ${ratio(buildahDefault, ms).padStart(14)} | ${ratio(buildahJobs, ms).padStart(jobsHeader.length)} | ${note}`);
    }
  } finally {
    await clean(work);
    // Put back only what we changed.
    if (binfmt.registered) await removeQemuHandlers(['arm64']);
    if (binfmt.lost > 0) console.error(`warning: the arm64 binfmt_misc entry was removed ${binfmt.lost} time(s) by another process during the run (registered again before the next build)`);
  }
}

await main();
