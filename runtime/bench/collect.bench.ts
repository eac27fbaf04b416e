/**
 * Container image collection, measured against `skopeo copy` of the same images in the same run.
 * A loopback docker-registry holds 12 two-platform images (linux/amd64, linux/arm64) of random
 * bytes; `kubefilec build` of a Kubefile whose `manifests/imageList` names them fetches both
 * platforms of each and writes each platform's registry layer. skopeo copies the same 12 images
 * (`--all`: both platforms) into OCI layouts, one after the other and all at once. Every contender
 * is timed as processes, each round cold (a fresh store or fresh layouts). Prints the ratios
 * skopeo / ours; the target is that ours is at least as fast as the faster way of running skopeo.
 *
 *   node runtime/dist/bench/collect.bench.js [--rounds 3]
 *
 * Needs skopeo and docker-registry (scripts/install-system-deps.sh).
 */
import { execFile, type ExecFileOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Header } from 'tar';
import { parsePlatform } from '@kubefile/compiler';
import { ImageStore, MEDIA_TYPE, platformKeyOf, pushImage, toOciPlatform, uniqueBlobs, type Descriptor, type OciImageConfig, type OciIndex, type OciManifest } from '../src/index.js';
import { benchSize, commandFailure, median, roundsArg, run, smoke, SMOKE_NOTE } from './bench-process.js';
import { startRegistry, type RunningRegistry } from '../test/registry-helpers.js';

const rounds = roundsArg(3);
const repo = fileURLToPath(new URL('../../../', import.meta.url));
const cli = join(repo, 'cli', 'bin', 'kubefilec.js');
const platforms = ['linux/amd64', 'linux/arm64'];
const imageCount = benchSize(12, 2);
/** Per image and platform: two layers of its own (random, so nothing is shared or compresses). */
const ownLayerSizes = benchSize([5 << 20, 2 << 20], [256 << 10, 128 << 10]);
/** One layer in every image and platform (a base layer, say): fetched once by us, once per copy by skopeo. */
const sharedLayerSize = benchSize(256 << 10, 64 << 10);
/** Blobs of one image's OCI layout: index, per platform a manifest, a config and its own layers, and the shared layer. */
const blobsPerLayout = 1 + platforms.length * (2 + ownLayerSizes.length) + 1;

/** 5 MiB, 256 KiB: the layer sizes in the header. */
const binarySize = (bytes: number): string => (bytes >= 1 << 20 ? `${bytes >> 20} MiB` : `${bytes >> 10} KiB`);

interface Contender {
  name: string;
  /** One cold collection of all the images into `dir` (empty). */
  collect(dir: string): Promise<void>;
}

/** As `run`, without blocking: the parallel contender starts its processes at once. */
function runAsync(file: string, args: string[], options: ExecFileOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...options }, (error, stdout, stderr) => {
      if (error) reject(commandFailure(file, args, Object.assign(error, { stdout, stderr })));
      else resolve(String(stdout));
    });
  });
}

/** An uncompressed tar with one regular file: fixtures.ts's `tarOf` takes text, these layers are random bytes. */
function tarOfBytes(path: string, body: Buffer): Buffer {
  const header = Buffer.alloc(512);
  new Header({ path, mode: 0o644, uid: 0, gid: 0, size: body.length, mtime: new Date(0), type: 'File' }).encode(header, 0);
  return Buffer.concat([header, body, Buffer.alloc((512 - (body.length % 512)) % 512), Buffer.alloc(1024)]);
}

/**
 * Stores image `name` in `store`, one entry per platform: the shared layer, then the platform's
 * own random layers. Returns every blob it wrote (index included), for the size in the header.
 */
async function makeBenchImage(store: ImageStore, name: string, shared: Descriptor): Promise<Descriptor[]> {
  const blobs: Descriptor[] = [shared];
  const entries: Descriptor[] = [];
  for (const spec of platforms) {
    const platform = toOciPlatform(parsePlatform(spec));
    const layers = [shared];
    for (const [i, size] of ownLayerSizes.entries()) {
      const ref = await store.writeBlob(tarOfBytes(`data/layer-${i}.bin`, randomBytes(size)));
      layers.push({ mediaType: MEDIA_TYPE.layer, digest: ref.digest, size: ref.size });
    }
    const config: OciImageConfig = { created: '2026-01-01T00:00:00Z', ...platform, config: {}, rootfs: { type: 'layers', diff_ids: layers.map((layer) => layer.digest) } };
    const configDescriptor = await store.putJson(config, MEDIA_TYPE.config);
    const manifest: OciManifest = { schemaVersion: 2, mediaType: MEDIA_TYPE.manifest, config: configDescriptor, layers };
    const manifestDescriptor = await store.putJson(manifest, MEDIA_TYPE.manifest);
    entries.push({ ...manifestDescriptor, platform });
    blobs.push(...layers, configDescriptor, manifestDescriptor);
  }
  const index: OciIndex = { schemaVersion: 2, mediaType: MEDIA_TYPE.index, manifests: entries };
  const indexDescriptor = await store.putJson(index, MEDIA_TYPE.index);
  await store.setImage(name, indexDescriptor);
  return [...blobs, indexDescriptor];
}

/** Seeds the registry with the bench images; returns their references, each platform's manifest digests by reference, and the unique blob bytes. */
async function seed(host: string, work: string): Promise<{ references: string[]; manifests: Map<string, Map<string, string>>; bytes: number }> {
  const store = await ImageStore.open(join(work, 'seed-store'));
  const ref = await store.writeBlob(tarOfBytes('etc/base.bin', randomBytes(sharedLayerSize)));
  const shared: Descriptor = { mediaType: MEDIA_TYPE.layer, digest: ref.digest, size: ref.size };
  const references: string[] = [];
  const manifests = new Map<string, Map<string, string>>();
  const all: Descriptor[] = [];
  for (let k = 0; k < imageCount; k++) {
    const reference = `${host}/bench/img-${k}:v1`;
    const blobs = await makeBenchImage(store, `img-${k}:v1`, shared);
    all.push(...blobs);
    await pushImage(store, `img-${k}:v1`, reference, { tlsVerify: false });
    const index = await store.readJson<OciIndex>(blobs[blobs.length - 1].digest);
    manifests.set(reference, new Map(index.manifests.map((entry) => [entry.platform ? platformKeyOf(entry.platform) : '?', entry.digest])));
    references.push(reference);
  }
  await rm(join(work, 'seed-store'), { recursive: true, force: true });
  return { references, manifests, bytes: uniqueBlobs(all).reduce((sum, blob) => sum + blob.size, 0) };
}

function ours(context: string): Contender {
  return {
    name: 'kubefilec build (collects both platforms)',
    async collect(dir) {
      await runAsync(process.execPath, [cli, 'build', '--root', join(dir, 'store'), '-t', 'bench:v1', '--platform', platforms.join(','), '--tls-verify=false', '--progress', 'plain', context]);
    },
  };
}

const skopeoArgs = (reference: string, dir: string, k: number): string[] => ['copy', '--all', '--src-tls-verify=false', `docker://${reference}`, `oci:${join(dir, `img-${k}`)}:v1`];

function skopeoSequential(references: string[]): Contender {
  return {
    name: 'skopeo copy --all, one after another',
    async collect(dir) {
      for (const [k, reference] of references.entries()) run('skopeo', skopeoArgs(reference, dir, k));
    },
  };
}

function skopeoParallel(references: string[]): Contender {
  return {
    name: `skopeo copy --all, ${references.length} at once`,
    async collect(dir) {
      await Promise.all(references.map((reference, k) => runAsync('skopeo', skopeoArgs(reference, dir, k))));
    },
  };
}

async function time(contender: Contender, dir: string): Promise<number> {
  const started = process.hrtime.bigint();
  await contender.collect(dir);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  // Write back this run's files outside the timing, so the next contender does not pay for them.
  run('sync', []);
  return ms;
}

/**
 * Before the timed rounds (and a warm-up): our build's merged registry, served by a second
 * docker-registry, has every image as an index of exactly the seeded platform manifests; each of
 * skopeo's layouts has the image's blobs. Returns each collection's time (ours, sequential,
 * parallel: the smoke mode's one round).
 */
async function verify(contenders: { ours: Contender; sequential: Contender; parallel: Contender }, references: string[], manifests: Map<string, Map<string, string>>, work: string): Promise<number[]> {
  const dir = join(work, 'verify-ours');
  await mkdir(dir, { recursive: true });
  const times = [await time(contenders.ours, dir)];
  const exported = join(dir, 'export');
  run(process.execPath, [cli, 'registry', 'export', '--root', join(dir, 'store'), 'bench:v1', exported]);
  const second: RunningRegistry = await startRegistry(exported, dir);
  try {
    for (const reference of references) {
      // The collected repository has no registry host: `bench/img-K`.
      const served = reference.replace(/^[^/]+\//, `${second.host}/`);
      const raw = JSON.parse(run('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${served}`])) as Partial<OciIndex>;
      if (!Array.isArray(raw.manifests)) throw new Error(`ours: ${served} is not an index: ${JSON.stringify(raw).slice(0, 200)}`);
      const got = raw.manifests.map((entry) => `${entry.platform ? platformKeyOf(entry.platform) : '?'}=${entry.digest}`).sort();
      const want = [...(manifests.get(reference) ?? new Map<string, string>()).entries()].map(([key, digest]) => `${key}=${digest}`).sort();
      if (got.join(' ') !== want.join(' ')) throw new Error(`ours: ${served} lists\n  ${got.join('\n  ')}\nnot the seeded\n  ${want.join('\n  ')}`);
    }
  } finally {
    await second.stop();
  }
  await rm(dir, { recursive: true, force: true });
  for (const contender of [contenders.sequential, contenders.parallel]) {
    const out = join(work, 'verify-skopeo');
    await mkdir(out, { recursive: true });
    times.push(await time(contender, out));
    for (let k = 0; k < references.length; k++) {
      const count = (await readdir(join(out, `img-${k}`, 'blobs', 'sha256'))).length;
      if (count !== blobsPerLayout) throw new Error(`${contender.name}: img-${k} has ${count} blobs, not ${blobsPerLayout}`);
    }
    await rm(out, { recursive: true, force: true });
  }
  return times;
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'kubefile-collect-bench-'));
  const registries: RunningRegistry[] = [];
  if (smoke) console.log(SMOKE_NOTE);
  try {
    const storage = join(work, 'registry');
    await mkdir(storage, { recursive: true });
    const registry = await startRegistry(storage, work);
    registries.push(registry);
    const { references, manifests, bytes } = await seed(registry.host, work);
    const context = join(work, 'context');
    await mkdir(context, { recursive: true });
    await writeFile(join(context, 'Kubefile'), 'FROM scratch\nCOPY imageList manifests/\n');
    await writeFile(join(context, 'imageList'), `${references.join('\n')}\n`);

    const contenders = { ours: ours(context), sequential: skopeoSequential(references), parallel: skopeoParallel(references) };
    const list = [contenders.ours, contenders.sequential, contenders.parallel];
    // Also warms the page cache (the registry's blobs) and the programs, so every timed round starts alike.
    const checked = await verify(contenders, references, manifests, work);
    // In smoke mode the checked collections are the one round.
    const times: number[][] = list.map((_, i) => (smoke ? [checked[i]] : []));
    for (let round = times[0].length; round < rounds; round++) {
      // A different contender goes first each round: none always runs right after the same other.
      for (let j = 0; j < list.length; j++) {
        const i = (j + round) % list.length;
        const dir = join(work, `round-${round}-${i}`);
        await mkdir(dir, { recursive: true });
        times[i].push(await time(list[i], dir));
        await rm(dir, { recursive: true, force: true });
      }
      if (process.env.BENCH_VERBOSE) console.error(`round ${round}`, times.map((t) => t[round].toFixed(0)).join(' '));
    }
    const medians = times.map(median);
    const [oursMs, sequentialMs, parallelMs] = medians;
    const ratio = (theirs: number, ms: number) => `${(theirs / ms).toFixed(2)}x`;
    const version = run('skopeo', ['--version']).trim();
    console.log(`\n${imageCount} images x ${platforms.length} platforms (${platforms.join(', ')}) from a loopback docker-registry, cold (a fresh store or fresh OCI layouts per run); medians of ${rounds} rounds`);
    console.log(`unique blobs: ${(bytes / 1e6).toFixed(1)} MB (per image and platform ${ownLayerSizes.map(binarySize).join(' + ')} of random bytes, plus one ${binarySize(sharedLayerSize)} layer shared by all); ${version}; ${availableParallelism()} CPUs\n`);
    const header = ['contender', 'median', 'skopeo sequential / contender', 'skopeo parallel / contender'];
    const rows = list.map((contender, i) => [contender.name, `${(medians[i] / 1000).toFixed(2)} s`, ratio(sequentialMs, medians[i]), ratio(parallelMs, medians[i])]);
    const widths = header.map((title, c) => Math.max(title.length, ...rows.map((row) => row[c].length)));
    const line = (cells: string[]) => `| ${cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join(' | ')} |`;
    console.log(line(header));
    console.log(`|${widths.map((width, c) => (c === 0 ? '-'.repeat(width + 2) : `${'-'.repeat(width + 1)}:`)).join('|')}|`);
    for (const row of rows) console.log(line(row));
    // The target: at least as fast as skopeo however it is run.
    console.log(`\nTarget (at least as fast as skopeo copy): ${oursMs <= Math.min(sequentialMs, parallelMs) ? 'PASS' : 'MISS'}`);
  } finally {
    for (const registry of registries) await registry.stop();
    await rm(work, { recursive: true, force: true });
  }
}

await main();
