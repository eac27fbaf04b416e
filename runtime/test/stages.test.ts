/**
 * Multi-stage builds from hand-built plans (the compiler's multi-stage plans are another branch's
 * work): a stage shared by two plans runs once, COPY --from reads a stage's or an image variant's
 * root, the image carries the target stage only, and RUN runs chrooted in an OS image stage.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { arch } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { elfArchitecture } from '@kubefile/compiler';
import type { CopyOp, FromOp, PlatformPlan, RunOp } from '@kubefile/compiler';
import { buildImage, buildLogLine, CLUSTER_IMAGE_KEY, imageKind, platformImages, storeImageCatalog, RuntimeError, type BuildEvent, type BuildOptions, type ImageStore } from '../src/index.js';
import { build, checkStore, imageFiles, stagedPlan, writeTree, type OpDraft, type StageSpec } from './build-helpers.js';
import { useTempStore } from './fixtures.js';
import { makeRawImage, rawLayer, tarWithModes } from './layer-fixtures.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const BUSYBOX = join(repo, 'examples/multi-arch');

const from = (image: string, line: number, stage?: string): OpDraft<FromOp> => ({ kind: 'from', image, line, ...(stage ? { stage } : {}) });
const run = (command: string | string[], line: number): OpDraft<RunOp> => ({ kind: 'run', command, env: {}, preview: Array.isArray(command) ? JSON.stringify(command) : command, line });
const copy = (sources: string[], dest: string, line: number, more: Partial<OpDraft<CopyOp>> = {}): OpDraft<CopyOp> => ({ kind: 'copy', sources, dest, destIsDirectory: false, matches: sources.map((s) => [s]), line, ...more });
const copyFrom = (stage: string, sources: string[], dest: string, line: number): OpDraft<CopyOp> => copy(sources, dest, line, { matches: [], from: { stage, name: stage } });

describe('multi-stage builds', function () {
  this.timeout(120_000);
  let store: ImageStore;
  let context: string;
  const temp = useTempStore('kubefile-stages-');
  beforeEach(() => ({ store, dir: context } = temp));

  async function buildPlans(plans: PlatformPlan[], tag: string, options: Partial<BuildOptions> = {}): Promise<BuildEvent[]> {
    const events: BuildEvent[] = [];
    await buildImage({ store, plans, context, tag, kubefile: 'Kubefile', onEvent: (e) => events.push(e), ...options });
    return events;
  }

  /** A file of a platform's image (the topmost layer holding it). */
  async function fileOf(tag: string, platform: string, path: string): Promise<Buffer> {
    const image = (await platformImages(store, (await store.getImage(tag)).descriptor)).find((p) => p.key === platform);
    assert.ok(image, `${tag} has ${platform}`);
    for (const layer of [...image.manifest.layers].reverse()) {
      const blob = store.blobPath(layer.digest);
      if (execFileSync('tar', ['-tf', blob], { encoding: 'utf8' }).split('\n').includes(path)) return execFileSync('tar', ['-xOf', blob, path], { maxBuffer: 1 << 26 });
    }
    assert.fail(`${tag} ${platform} has no ${path}`);
  }

  async function manifestLayers(tag: string, platform: string): Promise<string[]> {
    const image = (await platformImages(store, (await store.getImage(tag)).descriptor)).find((p) => p.key === platform);
    assert.ok(image);
    return image.manifest.layers.map((l) => l.digest);
  }

  // One builder on linux/amd64 whatever the target, as `FROM --platform=$BUILDPLATFORM scratch AS builder`.
  const builder: StageSpec = {
    name: 'builder',
    platform: 'linux/amd64',
    base: 'scratch',
    ops: [from('scratch', 1), run('mkdir -p out && echo amd64-tool > out/amd64.txt && echo arm64-tool > out/arm64.txt && date +%s%N > out/stamp', 2)],
  };
  const toolPlans = (): PlatformPlan[] =>
    ['amd64', 'arm64'].map((a) => stagedPlan(`linux/${a}`, [builder, { base: 'scratch', ops: [from('scratch', 3), copyFrom('builder', [`/out/${a}.txt`, 'out/stamp'], 'bin', 4)].map((op) => (op.kind === 'copy' ? { ...op, destIsDirectory: true } : op)) }]));

  it('builds a stage shared by two plans once, and COPY --from it gives each target its file', async () => {
    const plans = toolPlans();
    assert.equal(plans[0].stages[0].id, plans[1].stages[0].id, 'the builder is one stage');
    const events = await buildPlans(plans, 'tools:v1');
    const stageEvents = events.filter((e) => e.type === 'stage');
    assert.deepEqual(stageEvents.map((e) => [e.stage, e.platform, e.plans, e.run]), [['builder', 'linux/amd64', ['linux/amd64', 'linux/arm64/v8'], 'host']]);
    const builderRuns = events.filter((e) => e.type === 'step-done' && e.stage === 'builder' && e.layer !== undefined);
    assert.equal(builderRuns.length, 1, 'the builder RUN ran once');
    assert.equal(builderRuns[0].type === 'step-done' && builderRuns[0].cached, false);
    assert.equal((await fileOf('tools:v1', 'linux/amd64', 'bin/amd64.txt')).toString(), 'amd64-tool\n');
    assert.equal((await fileOf('tools:v1', 'linux/arm64/v8', 'bin/arm64.txt')).toString(), 'arm64-tool\n');
    // One run: both targets got the same stamp.
    assert.deepEqual(await fileOf('tools:v1', 'linux/amd64', 'bin/stamp'), await fileOf('tools:v1', 'linux/arm64/v8', 'bin/stamp'));
    // The image holds the target stage only: its one COPY layer, none of the builder's.
    assert.deepEqual(await imageFiles(store, 'tools:v1', 'linux/amd64'), ['bin/amd64.txt', 'bin/stamp']);
    assert.equal((await manifestLayers('tools:v1', 'linux/arm64/v8')).length, 1);
    await checkStore(store);

    // A rebuild reuses everything, the builder's RUN included.
    const again = await buildPlans(toolPlans(), 'tools:v1');
    const rerun = again.filter((e) => e.type === 'step-done' && e.stage === 'builder' && e.layer !== undefined);
    assert.deepEqual(rerun.map((e) => e.type === 'step-done' && e.cached), [true]);
    const done = (list: BuildEvent[]) => list.find((e) => e.type === 'done');
    assert.equal(done(again)?.type === 'done' && done(again)?.digest, done(events)?.type === 'done' && done(events)?.digest);
    await checkStore(store);
  });

  it('a failing shared stage fails the build once, at its line, and leaves the store as it was', async () => {
    const failing: StageSpec = { name: 'builder', platform: 'linux/amd64', base: 'scratch', ops: [from('scratch', 1), run('echo half > half.txt', 2), run('exit 3', 3)] };
    const plans = ['amd64', 'arm64'].map((a) => stagedPlan(`linux/${a}`, [failing, { base: 'scratch', ops: [from('scratch', 4), copyFrom('builder', ['half.txt'], 'half.txt', 5)] }]));
    const events: BuildEvent[] = [];
    await assert.rejects(buildImage({ store, plans, context, tag: 'failing:v1', kubefile: 'Kubefile', onEvent: (e) => events.push(e) }), (error: RuntimeError) => {
      assert.deepEqual(error.location, { file: 'Kubefile', line: 3, column: 1 });
      return true;
    });
    assert.equal(events.filter((e) => e.type === 'step' && e.line === 3).length, 1, 'the failing RUN ran once');
    assert.equal(await store.findImage('failing:v1'), undefined);
    await checkStore(store);
  });

  it('FROM a stage starts from its image: the final image carries its layers', async () => {
    await writeTree(context, { 'app.txt': 'app' });
    const plan = stagedPlan('linux/amd64', [builder, { base: 'builder', ops: [from('builder', 3, 'builder'), copy(['app.txt'], 'app.txt', 4)] }]);
    const events = await buildPlans([plan], 'from-stage:v1');
    assert.deepEqual((await imageFiles(store, 'from-stage:v1', 'linux/amd64')).sort(), ['app.txt', 'out/amd64.txt', 'out/arm64.txt', 'out/stamp']);
    assert.equal((await manifestLayers('from-stage:v1', 'linux/amd64')).length, 2);
    const steps = events.filter((e) => e.type === 'step');
    assert.deepEqual(steps.map((e) => (e.type === 'step' ? `${e.stage ?? '-'} ${e.step}/${e.total} ${e.text}` : '')), ['builder 1/2 FROM scratch', `builder 2/2 RUN ${builder.ops[1].kind === 'run' ? builder.ops[1].preview : ''}`, '- 1/2 FROM builder', '- 2/2 COPY app.txt app.txt']);
    await checkStore(store);
  });

  it('COPY --from an image takes each target\'s variant; a missing variant fails at the op line', async function () {
    if (!existsSync(join(BUSYBOX, 'arm64/busybox'))) execFileSync(join(repo, 'scripts/fetch-busybox.sh'), [BUSYBOX], { stdio: 'inherit' });
    for (const a of ['amd64', 'arm64']) {
      await mkdir(join(context, a), { recursive: true });
      await copyFile(join(BUSYBOX, a, 'busybox'), join(context, a, 'busybox'));
    }
    await build(store, context, 'FROM scratch\nCOPY ${ARCH}/busybox bin/\n', 'bb:v1', ['linux/amd64', 'linux/arm64']);
    const plans = ['linux/amd64', 'linux/arm64/v8'].map((p) => stagedPlan(p, [{ base: 'scratch', ops: [from('scratch', 1), copy(['/bin/busybox'], 'usr/bin/bb', 2, { matches: [], from: { image: 'bb:v1', platform: p } })] }]));
    await buildPlans(plans, 'bb-copy:v1');
    const header = async (platform: string) => new Uint8Array((await fileOf('bb-copy:v1', platform, 'usr/bin/bb')).subarray(0, 64));
    assert.equal(elfArchitecture(await header('linux/amd64')), 'amd64');
    assert.equal(elfArchitecture(await header('linux/arm64/v8')), 'arm64');

    const missing = stagedPlan('linux/amd64', [{ base: 'scratch', ops: [from('scratch', 1), run('true', 2), copy(['/bin/busybox'], 'bb', 3, { matches: [], from: { image: 'bb:v1', platform: 'linux/s390x' } })] }]);
    await assert.rejects(buildPlans([missing], 'bb-missing:v1'), (error: RuntimeError) => {
      assert.equal(error.code, 'PLATFORM_NOT_FOUND');
      assert.match(error.message, /bb:v1 has no linux\/s390x variant/);
      assert.deepEqual(error.location, { file: 'Kubefile', line: 3, column: 1 });
      return true;
    });
    await checkStore(store);
  });

  it('COPY --from resolves globs and symlinks inside the source root', async () => {
    const links: StageSpec = { name: 'links', base: 'scratch', ops: [from('scratch', 1), run('mkdir -p etc lib && echo one > lib/a.so && echo two > lib/b.so && ln -s /lib/a.so etc/abs && ln -s ../../../../lib/b.so etc/up', 2)] };
    const plan = stagedPlan('linux/amd64', [links, { base: 'scratch', ops: [from('scratch', 3), copyFrom('links', ['lib/*.so', '/etc/abs', 'etc/up'], 'got', 4)].map((op) => (op.kind === 'copy' ? { ...op, destIsDirectory: true } : op)) }]);
    await buildPlans([plan], 'links:v1');
    assert.deepEqual(await imageFiles(store, 'links:v1', 'linux/amd64'), ['got/a.so', 'got/abs', 'got/b.so', 'got/up']);
    assert.equal((await fileOf('links:v1', 'linux/amd64', 'got/abs')).toString(), 'one\n');
    assert.equal((await fileOf('links:v1', 'linux/amd64', 'got/up')).toString(), 'two\n');
    await checkStore(store);
  });

  const chrootPossible = arch() === 'x64' && process.getuid?.() === 0 && existsSync(join(BUSYBOX, 'amd64/busybox'));
  (chrootPossible ? it : it.skip)('RUN in an OS image stage runs chrooted, in a cluster image stage on the host', async () => {
    const bytes = await readFile(join(BUSYBOX, 'amd64/busybox'));
    const layer = await rawLayer(store, tarWithModes([
      { path: 'bin/', type: 'Directory' },
      { path: 'bin/busybox', body: bytes, mode: 0o755 },
      { path: 'bin/sh', type: 'SymbolicLink', linkpath: 'busybox' },
    ]));
    await makeRawImage(store, 'os-base:v1', [layer]);
    await writeFile(join(context, 'unused'), '');
    // Each writes its marker only where it should run: chrooted, the store's path is not there.
    const os: StageSpec = { name: 'os', base: 'os-base:v1', run: 'unknown', ops: [from('os-base:v1', 1), run(['/bin/busybox', 'sh', '-c', `test ! -e ${store.root} && echo chroot > /where.txt`], 2)] };
    const cluster: StageSpec = { name: 'cluster', base: 'scratch', run: 'host', ops: [from('scratch', 3), run(`test -d ${store.root} && echo host > where-host.txt`, 4)] };
    const plan = stagedPlan('linux/amd64', [os, cluster, { base: 'scratch', ops: [from('scratch', 5), copyFrom('os', ['/where.txt'], 'os.txt', 6), copyFrom('cluster', ['where-host.txt'], 'cluster.txt', 7)] }]);
    const events = await buildPlans([plan], 'modes:v1', { mounter: 'copy' });
    assert.deepEqual(events.filter((e) => e.type === 'stage').map((e) => e.type === 'stage' && `${e.stage} ${e.run}`), ['os chroot', 'cluster host']);
    const runLines = events.filter((e) => e.type === 'step' && e.text.startsWith('RUN')).map((e) => buildLogLine(e)?.replace(/: RUN .*/, ''));
    assert.deepEqual(runLines, ['[os linux/amd64 chroot] STEP 2/2', '[cluster linux/amd64] STEP 2/2']);
    assert.equal((await fileOf('modes:v1', 'linux/amd64', 'os.txt')).toString(), 'chroot\n');
    assert.equal((await fileOf('modes:v1', 'linux/amd64', 'cluster.txt')).toString(), 'host\n');
    await checkStore(store);
  });

  it('tells an OS image (an executable bin/sh, no cluster content) from a cluster image', async () => {
    const kindOf = async (entries: Parameters<typeof tarWithModes>[0][], change?: (image: Awaited<ReturnType<typeof platformImages>>[number]) => void): Promise<string> => {
      const layers = [];
      for (const layer of entries) layers.push(await rawLayer(store, tarWithModes(layer)));
      const stored = await makeRawImage(store, 'kind:v1', layers);
      const [image] = await platformImages(store, stored.descriptor);
      change?.(image);
      return imageKind(store, image, 'kind:v1');
    };
    const busybox = [{ path: 'bin/', type: 'Directory' as const }, { path: 'bin/busybox', body: 'x', mode: 0o755 }, { path: 'bin/sh', type: 'SymbolicLink' as const, linkpath: 'busybox' }];
    assert.equal(await kindOf([busybox]), 'os');
    // Merged /usr: bin is a link, sh an absolute link.
    assert.equal(await kindOf([[{ path: 'usr/bin/', type: 'Directory' }, { path: 'usr/bin/dash', body: 'x', mode: 0o755 }, { path: 'usr/bin/sh', type: 'SymbolicLink', linkpath: '/usr/bin/dash' }, { path: 'bin', type: 'SymbolicLink', linkpath: 'usr/bin' }]]), 'os');
    assert.equal(await kindOf([[{ path: 'bin/sh', body: 'x', mode: 0o644 }]]), 'cluster', 'not executable');
    assert.equal(await kindOf([[{ path: 'bin/busybox', body: 'x', mode: 0o755 }, { path: 'bin/sh', type: 'SymbolicLink', linkpath: '/bin/missing' }]]), 'cluster', 'a dangling link');
    assert.equal(await kindOf([busybox, [{ path: 'bin/.wh.sh', body: '' }]]), 'cluster', 'removed by a whiteout');
    assert.equal(await kindOf([[{ path: 'etc/hosts', body: '' }]]), 'cluster', 'no shell');
    // The compiler asks the store's catalogue.
    assert.equal(await storeImageCatalog(store.root).kind?.('kind:v1'), 'cluster');
    assert.equal(await storeImageCatalog(store.root).kind?.('absent:v1'), undefined);
    await kindOf([busybox]);
    assert.equal(await storeImageCatalog(store.root).kind?.('kind:v1'), 'os');
    assert.equal(await kindOf([busybox], (image) => (image.config[CLUSTER_IMAGE_KEY] = { cmds: [], parentCmds: 0, args: {}, layers: [], launch: { apps: ['calico'] } })), 'cluster', 'a LAUNCH');
  });
});
