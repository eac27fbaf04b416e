/**
 * `build --builder`, its overhead: a 2-platform build with RUN steps (linux/amd64 and linux/arm64,
 * the arm64 steps through qemu) built here, against the same build with linux/arm64 sent to a build
 * node over ssh. The node is this machine (an OpenSSH server on 127.0.0.1 with a store of its own),
 * so it emulates arm64 as this side would: the difference is what the node costs (ssh, kubefilec
 * copied there once, the context files sent, the blobs fetched back), printed as a ratio. Each round
 * is cold (fresh stores on both sides, the node's kubefilec already there); one more build on a
 * warm node shows what a rebuild sends.
 *
 *   node runtime/dist/bench/node.bench.js [--rounds 3]
 *
 * Needs root (sshd, binfmt_misc), openssh-server and qemu-user-static (scripts/install-system-deps.sh),
 * and kubefilec's node bundle (npm run build).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { clean, timeBuild } from './against-buildah.js';
import { benchSize, commandFailure, median, roundsArg, run, smoke, SMOKE_NOTE } from './bench-process.js';
import { readBinfmtHandler, registerQemuHandlers, removeQemuHandlers } from '../src/index.js';
import { startSshNode } from '../test/ssh-node.js';

const rounds = roundsArg(3);
const repo = fileURLToPath(new URL('../../../', import.meta.url));
const cli = join(repo, 'cli', 'bin', 'kubefilec.js');
const platforms = 'linux/amd64,linux/arm64';
const manifestCount = benchSize(300, 20);
const dataMiB = benchSize(32, 1);

const KUBEFILE = [
  'FROM scratch',
  'COPY ${ARCH}/busybox bin/busybox',
  'RUN busybox mkdir -p dev proc tmp etc && busybox ln -s busybox bin/sh',
  'COPY manifests manifests',
  'COPY data data',
  'RUN busybox sha256sum data/* > etc/data.sha256',
  'RUN busybox tar -cf tmp/m.tar manifests && busybox gzip -c tmp/m.tar > etc/manifests.tgz && busybox rm tmp/m.tar',
  'RUN busybox uname -m > etc/arch',
];

/** Each platform's busybox, small manifests (no images: nothing to collect) and a few MiB of data. */
async function makeContext(dir: string): Promise<void> {
  run(join(repo, 'scripts', 'fetch-busybox.sh'), [dir]);
  await mkdir(join(dir, 'manifests'), { recursive: true });
  for (let i = 0; i < manifestCount; i++) await writeFile(join(dir, 'manifests', `cm-${i}.yaml`), `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-${i}\ndata:\n  key: value-${i}\n`);
  await mkdir(join(dir, 'data'), { recursive: true });
  for (let i = 0; i < 4; i++) await writeFile(join(dir, 'data', `part-${i}.bin`), randomBytes((dataMiB << 20) / 4));
  await writeFile(join(dir, 'Kubefile'), `${KUBEFILE.join('\n')}\n`);
}

async function main(): Promise<void> {
  if (smoke) console.log(SMOKE_NOTE);
  const work = await mkdtemp(join(tmpdir(), 'kubefile-node-bench-'));
  const arm64Before = (await readBinfmtHandler('arm64')) !== undefined;
  const node = await startSshNode();
  try {
    // The kernel runs arm64 programs for both sides alike (the node is this machine).
    if (!arm64Before) await registerQemuHandlers(['arm64']);
    const context = join(work, 'context');
    await makeContext(context);
    const env = { ...process.env, KUBEFILEC_SSH_CONFIG: node.sshConfig, DOCKER_CONFIG: join(work, 'config') };
    const nodeStore = join(node.dir, 'store');
    run(process.execPath, [cli, 'builder', 'add', 'arm', node.url, '--platform', 'linux/arm64', '--root', nodeStore], { env });
    /** One build into `store`; its progress lines (standard error). */
    const build = (store: string, builder: boolean): string => {
      const args = [cli, 'build', '--root', store, '-t', 'node-bench:v1', '--platform', platforms, '--no-cache', '--progress', 'plain', ...(builder ? ['--builder', 'arm'] : []), context];
      const result = spawnSync(process.execPath, args, { env, encoding: 'utf8', maxBuffer: 64 << 20 });
      if (result.status !== 0) throw commandFailure(process.execPath, args, result);
      return result.stderr;
    };
    const transferLine = (text: string): string => /sent \d+ context files? \([^)]*\), received \d+ blobs? \([^)]*\)/.exec(text)?.[0] ?? '(no transfer line)';
    // Once before the rounds: kubefilec goes to the node (as on a first use), and the programs and page cache warm up.
    build(join(work, 'warm-local'), true);
    const times = { local: [] as number[], node: [] as number[] };
    let cold = '';
    for (let round = 0; round < rounds; round++) {
      for (const side of ['local', 'node'] as const) {
        const store = join(work, `round-${round}-${side}`);
        await rm(nodeStore, { recursive: true, force: true });
        times[side].push(timeBuild(() => void (side === 'node' ? (cold = transferLine(build(store, true))) : build(store, false))));
        await clean(store);
      }
    }
    // Again with the node warm (its store has the context files and the layers), into a fresh store here.
    let warm = '';
    const warmMs = timeBuild(() => void (warm = transferLine(build(join(work, 'again'), true))));
    const local = median(times.local);
    const remote = median(times.node);
    console.log(`\nbuild --builder: ${platforms} with ${KUBEFILE.filter((l) => l.startsWith('RUN')).length} RUN steps, ${manifestCount} manifests and ${dataMiB} MiB of data; linux/arm64 on a node over ssh (this machine, 127.0.0.1); cold; medians of ${rounds} rounds\n`);
    console.log(`| ${'build'.padEnd(53)} |     time | node / here |`);
    console.log(`|${'-'.repeat(55)}|----------|-------------|`);
    console.log(`| ${'kubefilec build, both platforms here (arm64 emulated)'.padEnd(53)} | ${(local / 1000).toFixed(2).padStart(6)} s | ${'1.00x'.padStart(11)} |`);
    console.log(`| ${'kubefilec build --builder (arm64 on the node)'.padEnd(53)} | ${(remote / 1000).toFixed(2).padStart(6)} s | ${`${(remote / local).toFixed(2)}x`.padStart(11)} |`);
    console.log(`| ${'the same, node warm (files and layers there)'.padEnd(53)} | ${(warmMs / 1000).toFixed(2).padStart(6)} s | ${`${(warmMs / local).toFixed(2)}x`.padStart(11)} |`);
    console.log(`\ntransfer overhead (node / here, same work on the same machine): ${(remote / local).toFixed(2)}x`);
    console.log(`cold node: ${cold}; warm node: ${warm}`);
  } finally {
    await node.stop();
    if (!arm64Before && (await readBinfmtHandler('arm64')) !== undefined) await removeQemuHandlers(['arm64']);
    await clean(work);
  }
}

await main();
