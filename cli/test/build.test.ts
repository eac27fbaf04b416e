import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ImageStore, platformImages } from '@kubefile/runtime';

const repo = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const bin = join(repo, 'cli/bin/kubefilec.js');

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function start(args: string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; done: Promise<Run> } {
  const child = spawn(process.execPath, [bin, ...args], { cwd: repo, env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d));
  child.stderr?.on('data', (d: Buffer) => (stderr += d));
  const done = new Promise<Run>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

const run = (args: string[], env?: NodeJS.ProcessEnv): Promise<Run> => start(args, env).done;

/** A context with arch trees, a few MB per platform so a build takes long enough to be interrupted. */
async function makeContext(dir: string, megabytes: number): Promise<void> {
  for (const arch of ['amd64', 'arm64']) {
    await mkdir(join(dir, arch, 'bin'), { recursive: true });
    for (let i = 0; i < 8; i++) await writeFile(join(dir, arch, 'bin', `tool${i}`), Buffer.alloc((megabytes << 20) / 8, i + arch.length));
  }
  await mkdir(join(dir, 'manifests'), { recursive: true });
  for (let i = 0; i < 200; i++) await writeFile(join(dir, 'manifests', `m${i}.yaml`), `kind: ConfigMap\nmetadata:\n  name: m${i}\n`);
  await writeFile(join(dir, 'Kubefile'), 'FROM scratch\nCOPY manifests manifests\nCOPY ${ARCH}/bin bin\nCMD kubectl apply -f manifests\n');
}

describe('kubefilec build', function () {
  this.timeout(180_000);
  let dir: string;
  let root: string;
  let context: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kubefilec-build-'));
    root = join(dir, 'store');
    context = join(dir, 'context');
    await mkdir(context);
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('builds a two-platform image and prints its name and digest', async () => {
    await makeContext(context, 1);
    const result = await run(['build', '--root', root, '--progress', 'plain', '-t', 'demo:v1', '--platform', 'linux/amd64,linux/arm64', context]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^demo:v1 sha256:[a-f0-9]{64}\n$/);
    assert.match(result.stderr, /^\[linux\/arm64\/v8\] STEP 3\/4: COPY arm64\/bin bin\/$/m);
    assert.match(result.stderr, /^Built demo:v1 sha256:[a-f0-9]{64} in [\d.]+s \(3 layers built, 0 cached\)$/m);
    const again = await run(['build', '--root', root, '--progress', 'plain', '-t', 'demo:v1', '--platform', 'linux/amd64,linux/arm64', context]);
    assert.match(again.stderr, /\(0 layers built, 3 cached\)/);
    assert.match(again.stderr, /^\[linux\/amd64\] STEP 2\/4: CACHED$/m);
  });

  it('--progress json prints one event per line', async () => {
    await makeContext(context, 1);
    const result = await run(['build', '--root', root, '--progress', 'json', '-t', 'demo:v1', '--platform', 'linux/amd64', context]);
    assert.equal(result.code, 0, result.stderr);
    const events = result.stderr.trim().split('\n').map((line) => JSON.parse(line) as { type: string });
    assert.equal(events[0].type, 'start');
    assert.equal(events.at(-1)?.type, 'done');
    assert.ok(events.some((e) => e.type === 'step-done'));
  });

  it('reports a build error at its Kubefile line, without a stack trace', async () => {
    await writeFile(join(context, 'Kubefile'), 'FROM missing-base:v1\nCMD echo\n');
    // --pull never: the test stays offline (pulls are tested against a local registry).
    const result = await run(['build', '--root', root, '-t', 'x:v1', '--platform', 'linux/amd64', '--pull', 'never', context]);
    assert.equal(result.code, 1);
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
    assert.equal(result.stderr.split('\n').filter((line) => line.includes('error:')).length, 1, 'printed once');
    assert.equal(result.stderr.slice(result.stderr.lastIndexOf('\n', result.stderr.length - 2) + 1), `${join(context, 'Kubefile')}:1:1: error: base image missing-base:v1 is not in the store, and --pull never forbids pulling it: pull it (\`kubefilec pull missing-base:v1\`), load it (\`kubefilec load -i FILE\`), or use FROM oci-archive:PATH or FROM oci:DIR[:TAG]\n`);
  });

  it('a container image that cannot be had fails at the build context file and line that name it, shown as the context was given', async () => {
    await mkdir(join(context, 'deploy'));
    await writeFile(join(context, 'deploy', 'app.yaml'), 'kind: Pod\nspec:\n  containers:\n    - image: local/missing:1\n');
    await writeFile(join(context, 'Kubefile'), 'FROM scratch\nCOPY deploy manifests\n');
    const shown = relative(repo, context);
    const result = await run(['build', '--root', root, '--progress', 'plain', '-t', 'x:v1', '--platform', 'linux/amd64', '--pull', 'never', shown]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^\[linux\/amd64\] STEP 3\/3: collect container images: docker\.io\/local\/missing:1 \(1 named\)$/m);
    assert.equal(result.stderr.split('\n').filter((line) => line.includes('error:')).length, 1, 'printed once');
    assert.ok(
      result.stderr.endsWith(
        `${join(shown, 'deploy', 'app.yaml')}:4:1: error: container image local/missing:1 (linux/amd64) is not in the store, and --pull never forbids pulling it (named by manifests/app.yaml:4 in the image); to build without it, list docker.io/local/missing:1 in an --ignore-image-list file (or put the image in the store: kubefilec pull / load)\n`,
      ),
      result.stderr,
    );
  });

  it('images --format json shows each platform manifest with its layers, the instruction that made each, and what sealer reads', async () => {
    await mkdir(join(context, 'etc'));
    await writeFile(join(context, 'etc', 'app.conf'), 'a=1\n');
    await writeFile(join(context, 'Kubefile'), 'FROM scratch\nCOPY etc etc\nRUN echo hi > etc/greeting\nCMD kubectl apply -f manifests\n');
    const built = await run(['build', '--root', root, '-t', 'x:v1', '--platform', 'linux/amd64,linux/arm64', '--mounter', 'copy', context]);
    assert.equal(built.code, 0, built.stderr);
    const listed = await run(['images', '--format', 'json', '--root', root]);
    assert.equal(listed.code, 0, listed.stderr);
    const [image] = JSON.parse(listed.stdout) as { platforms: string[]; manifests: { platform: string; digest: string; size: number; created: string; layers: { digest: string; size: number; instruction: string }[]; sealer: unknown }[] }[];
    assert.deepEqual(image.platforms, ['linux/amd64', 'linux/arm64/v8']);
    assert.deepEqual(image.manifests.map((m) => m.platform), image.platforms);
    const store = await ImageStore.open(root);
    const platforms = await platformImages(store, (await store.getImage('x:v1')).descriptor);
    for (const [i, manifest] of image.manifests.entries()) {
      const stored = platforms[i];
      assert.equal(manifest.digest, stored.descriptor.digest);
      assert.equal(manifest.created, stored.config.created);
      assert.equal(manifest.size, stored.manifest.config.size + stored.manifest.layers.reduce((sum, layer) => sum + layer.size, 0));
      assert.deepEqual(manifest.layers.map((layer) => [layer.digest, layer.size]), stored.manifest.layers.map((layer) => [layer.digest, layer.size]));
      assert.deepEqual(manifest.layers.map((layer) => layer.instruction), ['COPY etc etc', 'RUN echo hi > etc/greeting']);
      assert.deepEqual(manifest.sealer, { type: 'kube-installer', cmds: ['kubectl apply -f manifests'], apps: [], images: 0 });
    }
    const help = await run(['images', '--help']);
    for (const field of ['manifests:', 'layers: [{ digest, size, instruction }]', 'sealer: { type, cmds, apps']) assert.ok(help.stdout.includes(field), field);
  });

  it('RUN output streams in plain progress; a failing RUN exits 1 with its command, platform and exit code, once', async () => {
    await writeFile(join(context, 'Kubefile'), 'FROM scratch\nRUN echo hello from run > greeting.txt && echo printed\nRUN echo partial && exit 3\n');
    const result = await run(['build', '--root', root, '--progress', 'plain', '-t', 'x:v1', '--platform', 'linux/amd64', '--mounter', 'copy', context]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^\[linux\/amd64\] \| printed$/m);
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
    assert.equal(result.stderr.split('\n').filter((line) => line.includes('error:')).length, 1, 'printed once');
    assert.ok(result.stderr.includes(`${join(context, 'Kubefile')}:3:1: error: RUN echo partial && exit 3 failed on linux/amd64: exit code 3\n  | partial\n`), result.stderr);
    assert.deepEqual(await readdir(join(root, 'tmp')), []);
  });

  it('requires a tag', async () => {
    await makeContext(context, 1);
    const result = await run(['build', '--root', root, context]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /required option '-t, --tag <NAME:TAG>' not specified/);
  });

  it('two builds at once into one store both land whole', async () => {
    await makeContext(context, 4);
    const args = (tag: string) => ['build', '--root', root, '--progress', 'plain', '-t', tag, '--platform', 'linux/amd64,linux/arm64', context];
    const [a, b] = await Promise.all([run(args('one:v1')), run(args('two:v1'))]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    const store = await ImageStore.open(root);
    assert.deepEqual((await store.listImages()).map((i) => i.name), ['one:v1', 'two:v1']);
    for (const name of ['one:v1', 'two:v1']) assert.equal((await platformImages(store, (await store.getImage(name)).descriptor)).length, 2);
  });

  it('Ctrl-C stops a build cleanly: exit 130, no image, no temp file', async () => {
    await makeContext(context, 64);
    const { child, done } = start(['build', '--root', root, '--progress', 'plain', '-t', 'stopped:v1', '--platform', 'linux/amd64,linux/arm64', context]);
    // Interrupt once the first layer has started.
    await new Promise<void>((resolve) => child.stderr?.on('data', (d: Buffer) => d.toString().includes('STEP 3/4') && resolve()));
    child.kill('SIGINT');
    const result = await done;
    assert.equal(result.code, 130, result.stderr);
    assert.match(result.stderr, /kubefilec: build interrupted; nothing was stored\n$/);
    const store = await ImageStore.open(root);
    assert.deepEqual(await store.listImages(), []);
    assert.deepEqual(await readdir(join(root, 'tmp')), []);
  });

  it('save and load carry an image between stores, digest for digest', async () => {
    await makeContext(context, 1);
    const built = await run(['build', '--root', root, '-t', 'demo:v1', '--platform', 'linux/amd64,linux/arm64', context]);
    assert.equal(built.code, 0, built.stderr);
    const archive = join(dir, 'demo.tar');
    const saved = await run(['save', '--root', root, '-o', archive, 'demo:v1']);
    assert.equal(saved.code, 0, saved.stderr);
    const other = join(dir, 'other-store');
    const loaded = await run(['load', '--root', other, '-i', archive]);
    assert.equal(loaded.code, 0, loaded.stderr);
    assert.equal(loaded.stdout, built.stdout.replace(/^demo:v1/, 'Loaded demo:v1'));
    const arm = await run(['save', '--root', root, '-o', join(dir, 'arm.tar'), 'demo:v1', '--platform', 'linux/arm64']);
    assert.equal(arm.code, 0, arm.stderr);
    const fromArm = await run(['load', '--root', join(dir, 'arm-store'), '-i', join(dir, 'arm.tar')]);
    const inspected = await run(['inspect', '--root', join(dir, 'arm-store'), 'demo:v1', '--format', 'sealer']);
    assert.equal(fromArm.code, 0, fromArm.stderr);
    assert.match(inspected.stdout, /"architecture": "arm64"/);
    assert.doesNotMatch(inspected.stdout, /"architecture": "amd64"/);
  });

  it('load reads a docker-archive and prints the name it gives', async () => {
    await writeFile(join(context, 'Kubefile'), 'FROM scratch\nCOPY Kubefile Kubefile\n');
    const built = await run(['build', '--root', root, '-t', 'example.com/demo:v1', '--platform', 'linux/amd64', context]);
    assert.equal(built.code, 0, built.stderr);
    const oci = join(dir, 'demo.tar');
    assert.equal((await run(['save', '--root', root, '-o', oci, 'example.com/demo:v1'])).code, 0);
    const docker = join(dir, 'docker.tar');
    execFileSync('skopeo', ['copy', '--override-os', 'linux', '--override-arch', 'amd64', `oci-archive:${oci}`, `docker-archive:${docker}:example.com/demo:v1`], { stdio: 'ignore' });
    const loaded = await run(['load', '--root', join(dir, 'other-store'), '-i', docker]);
    assert.equal(loaded.code, 0, loaded.stderr);
    assert.match(loaded.stdout, /^Loaded example\.com\/demo:v1 sha256:[a-f0-9]{64}\n$/);
  });

  it('survives SIGKILL at random points: the store stays whole and a rebuild succeeds', async () => {
    await makeContext(context, 16);
    const args = (tag: string, extra: string[] = []) => ['build', '--root', root, '--progress', 'plain', '-t', tag, '--platform', 'linux/amd64,linux/arm64', ...extra, context];
    // A reference image that every kill must leave alone.
    const first = await run(args('kept:v1'));
    assert.equal(first.code, 0, first.stderr);
    const cold = Date.now();
    assert.equal((await run(args('timing:v1', ['--no-cache']))).code, 0);
    const coldMs = Date.now() - cold;
    let killedMidway = 0;
    for (let i = 0; i < 20; i++) {
      const { child, done } = start(args(`victim:v${i}`, ['--no-cache']));
      await new Promise((resolve) => setTimeout(resolve, Math.random() * coldMs));
      child.kill('SIGKILL');
      const result = await done;
      if (result.signal === 'SIGKILL') killedMidway++;
      const store = await ImageStore.open(root);
      const names = (await store.listImages()).map((image) => image.name);
      assert.ok(names.includes('kept:v1'));
      // A victim is either whole (it finished before the kill) or absent.
      for (const name of names.filter((n) => n.startsWith('victim:'))) assert.equal((await platformImages(store, (await store.getImage(name)).descriptor)).length, 2);
    }
    assert.ok(killedMidway >= 10, `most builds were killed mid-way (${killedMidway}/20)`);
    const images = await run(['images', '--root', root, '--format', 'json']);
    assert.equal(images.code, 0, images.stderr);
    const rebuilt = await run(args('kept:v2'));
    assert.equal(rebuilt.code, 0, rebuilt.stderr);
    // The next run cleaned what the killed ones left in tmp/.
    assert.deepEqual(await readdir(join(root, 'tmp')), []);
  });
});
