/**
 * Build throughput, measured against `tar -cf - CONTEXT | sha256sum` on the same 1 GiB context in
 * the same run (the floor: read every byte once and hash it), plus the no-change rebuild and the
 * cost of a second, arch-independent platform. Prints ratios; the targets come from the runtime issue.
 *
 *   node runtime/dist/bench/build.bench.js [--size-mb 1024]
 */
import { execSync } from 'node:child_process';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compile, parsePlatform } from '@kubefile/compiler';
import { nodeContext, nodeSha256 } from '@kubefile/compiler/node';
import { buildImage, ImageStore } from '../src/index.js';
import { benchSize, median, roundsArg, smoke, SMOKE_NOTE } from './bench-process.js';

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
  await writeFile(join(contextDir, 'Kubefile'), 'FROM scratch\nCOPY charts charts\nCOPY images files\n');
  await writeFile(marker, '');
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
  const total = Number(execSync(`du -sb ${contextDir}`, { encoding: 'utf8' }).split('\t')[0]);
  const files = Number(execSync(`find ${contextDir} -type f | wc -l`, { encoding: 'utf8' }).trim());
  // Warm the page cache once so every contender reads from memory.
  time(`tar -cf - -C ${contextDir} . > /dev/null`);
  const floor: number[] = [];
  const cold1: number[] = [];
  const cold2: number[] = [];
  const warm: number[] = [];
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
  }
  await fresh();
  const mb = total / 1e6;
  const row = (name: string, ms: number, note: string) => console.log(`| ${name.padEnd(40)} | ${(ms / 1000).toFixed(2).padStart(7)} s | ${(mb / (ms / 1000)).toFixed(0).padStart(6)} MB/s | ${note}`);
  console.log(`\nCOPY of ${(total / 2 ** 30).toFixed(2)} GiB in ${files} files (medians of ${rounds} rounds; 3 no-change rebuilds per round)\n`);
  console.log(`| ${'run'.padEnd(40)} | time      | throughput  | vs target`);
  console.log(`|${'-'.repeat(42)}|-----------|-------------|----------`);
  const throughput = median(floor) / median(cold1);
  const rebuild = median(warm) / median(cold1);
  const second = median(cold2) / median(cold1);
  row('tar -cf - | sha256sum (floor)', median(floor), '');
  row('kubefilec build, 1 platform, cold', median(cold1), `${throughput.toFixed(2)}x the floor's throughput (target >= 0.8x) ${throughput >= 0.8 ? 'PASS' : 'MISS'}`);
  row('kubefilec build, no change (cached)', median(warm), `${(rebuild * 100).toFixed(1)}% of cold (target < 5%) ${rebuild < 0.05 ? 'PASS' : 'MISS'}`);
  row('kubefilec build, 2 platforms, cold', median(cold2), `${second.toFixed(2)}x 1 platform (target < 1.3x) ${second < 1.3 ? 'PASS' : 'MISS'}`);
}

await main();
