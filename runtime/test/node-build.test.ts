/**
 * `build --builder`: platforms built on nodes reached over ssh (real OpenSSH servers on 127.0.0.1,
 * each with a store of its own) give the same image, byte for byte, as a build here; a node gets
 * each context file once; a node that dies fails its platform and leaves this store as it was.
 * The agent is kubefilec's node bundle (cli/dist/kubefilec-node.mjs, made by `npm run build`).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, rm, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parsePlatform, type PlatformPlan } from '@kubefile/compiler';
import { assignPlatforms, nodePlatformBuild, readAgentBundle, type AgentBundle } from '../src/remote/node-build.js';
import type { BuilderNode } from '../src/remote/builders.js';
import { ImageStore, parseSshUrl, platformImages, RuntimeError, SshConnection, type BuildEvent } from '../src/index.js';
import { build, checkStore, plansOf, writeTree } from './build-helpers.js';
import { tempDir, tempStore } from './fixtures.js';
import { startSshNode, type SshNode } from './ssh-node.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));

async function trust(n: SshNode): Promise<void> {
  const connection = new SshConnection(parseSshUrl(n.url), { acceptNewHostKey: true });
  await connection.run('true');
  await connection.close();
}

const node = (name: string, platforms: string[], extra: Partial<BuilderNode> = {}): BuilderNode => ({ name, url: 'ssh://root@127.0.0.1:1', platforms, added: '', ...extra });
const plan = (platform: string): PlatformPlan => ({ platform, target: parsePlatform(platform) }) as PlatformPlan;

describe('assigning platforms to builders', () => {
  const amd64 = parsePlatform('linux/amd64');
  const plans = ['linux/amd64', 'linux/arm64/v8', 'linux/arm/v7'].map(plan);

  it('gives each platform to the first builder declaring it and keeps the rest here', () => {
    const { local, nodes } = assignPlatforms(plans, [node('a', ['linux/arm64']), node('b', ['linux/arm64/v8', 'linux/arm/v7'])], amd64);
    assert.deepEqual(local.map((p) => p.platform), ['linux/amd64']);
    assert.deepEqual(nodes.map((n) => [n.builder.name, n.plans.map((p) => p.platform)]), [['a', ['linux/arm64/v8']], ['b', ['linux/arm/v7']]]);
  });

  it('with no emulation, refuses a foreign platform no builder declares, and keeps this host\'s own', () => {
    assert.throws(() => assignPlatforms(plans, [node('a', ['linux/arm64'])], amd64, true), (error: unknown) => error instanceof RuntimeError && /no builder builds linux\/arm\/v7 \(a: linux\/arm64\), and --no-emulation/.test(error.message));
    assert.deepEqual(assignPlatforms(plans.slice(0, 2), [node('a', ['linux/arm64'])], amd64, true).local.map((p) => p.platform), ['linux/amd64']);
  });
});

describe('building on nodes', function () {
  this.timeout(120_000);
  let nodes: SshNode[];
  let agent: AgentBundle;
  let context: string;
  let savedSshConfig: string | undefined;
  // A RUN layer records the mtimes its command leaves (two fresh builds here differ too): this one sets them.
  const KUBEFILE = 'FROM scratch\nCOPY ${ARCH}/tool bin/\nCOPY conf etc/conf\nRUN echo "built for $TARGETARCH" > etc/built && touch -d @1600000000 etc/built etc\nCOPY conf/app.yaml manifests/\n';
  const PLATFORMS = ['linux/amd64', 'linux/arm64'];
  // Every platform's config says when the build was made: one time, here and there.
  const created = new Date('2026-01-02T03:04:05Z');

  before(async () => {
    agent = await readAgentBundle(join(repo, 'cli/dist/kubefilec-node.mjs'));
    nodes = await Promise.all([startSshNode(), startSshNode()]);
    savedSshConfig = process.env.KUBEFILEC_SSH_CONFIG;
    process.env.KUBEFILEC_SSH_CONFIG = nodes[0].sshConfig;
    // Their host keys known, as `builder add` leaves them.
    for (const n of nodes) await trust(n);
    context = await tempDir('kubefile-node-context-');
    await writeTree(context, { 'amd64/tool': 'amd64 tool\n', 'arm64/tool': 'arm64 tool\n', 'conf/app.yaml': 'a: 1\n', 'conf/link.yaml': { link: 'app.yaml' }, 'conf/deep/x': 'x\n' });
    await chmod(join(context, 'amd64/tool'), 0o755);
    await chmod(join(context, 'conf/deep'), 0o700);
    await utimes(join(context, 'conf/app.yaml'), 1_600_000_000, 1_600_000_000);
  });
  after(async () => {
    if (savedSshConfig === undefined) delete process.env.KUBEFILEC_SSH_CONFIG;
    else process.env.KUBEFILEC_SSH_CONFIG = savedSshConfig;
    await Promise.all(nodes.map((n) => n.stop()));
    await rm(context, { recursive: true, force: true });
  });

  const builderOf = (n: SshNode, name: string, platforms: string[]): BuilderNode => ({ name, url: n.url, platforms, root: join(n.dir, 'store'), added: '' });

  async function buildWith(store: ImageStore, builders: BuilderNode[]): Promise<{ digest: string; events: BuildEvent[] }> {
    const plans = await plansOf(context, KUBEFILE, PLATFORMS);
    const events: BuildEvent[] = [];
    const onEvent = (event: BuildEvent) => events.push(event);
    const elsewhere = assignPlatforms(plans, builders, parsePlatform('linux/amd64')).nodes.map((assignment) => nodePlatformBuild(assignment, { store, context, tag: 'x:v1', kubefile: 'Kubefile', settings: {}, agent, onEvent }));
    const result = await build(store, context, KUBEFILE, 'x:v1', PLATFORMS, { created, elsewhere, onEvent });
    return { digest: result.image.descriptor.digest, events };
  }

  it('gives the image a build here gives: one platform on a node, then both on nodes; a node gets each context file once (by content: a link and a twin are not sent)', async () => {
    const here = await tempStore();
    const mixed = await tempStore();
    const remote = await tempStore();
    try {
      const local = await buildWith(here.store, []);
      const one = await buildWith(mixed.store, [builderOf(nodes[0], 'arm', ['linux/arm64'])]);
      assert.equal(one.digest, local.digest);
      const transfers = one.events.filter((e) => e.type === 'transfer');
      assert.deepEqual(transfers.map((e) => [e.node, e.platform, e.sentFiles]), [['arm', 'linux/arm64/v8', 3]]);
      assert.ok(one.events.some((e) => e.type === 'step' && e.node === 'arm' && e.platform === 'linux/arm64/v8'), 'the node\'s steps are shown');
      assert.ok(!one.events.some((e) => e.type === 'step' && e.node === undefined && e.platform === 'linux/arm64/v8'), 'arm64 is not built here too');
      const both = await buildWith(remote.store, [builderOf(nodes[0], 'arm', ['linux/arm64']), builderOf(nodes[1], 'x86', ['linux/amd64'])]);
      assert.equal(both.digest, local.digest);
      // Again: the nodes have every context file and this store every blob.
      const again = await buildWith(remote.store, [builderOf(nodes[0], 'arm', ['linux/arm64']), builderOf(nodes[1], 'x86', ['linux/amd64'])]);
      assert.equal(again.digest, local.digest);
      assert.deepEqual(again.events.filter((e) => e.type === 'transfer').map((e) => [e.node, e.sentFiles, e.receivedBlobs]).sort(), [['arm', 0, 0], ['x86', 0, 0]]);
      // And their layer caches hit: the laid-out context's digests are known before any layer is written.
      const nodeLayers = again.events.filter((e) => e.type === 'step-done' && e.node !== undefined && e.layer !== undefined);
      assert.equal(nodeLayers.length, 8, 'four layer steps on each node');
      assert.deepEqual(nodeLayers.filter((e) => e.type === 'step-done' && !e.cached), []);
      for (const store of [mixed.store, remote.store]) await checkStore(store);
    } finally {
      await Promise.all([here.cleanup(), mixed.cleanup(), remote.cleanup()]);
    }
  });

  it('gives the node the base image this store has (only the platforms it builds), so FROM reads the same', async () => {
    const here = await tempStore();
    const there = await tempStore();
    try {
      const base = 'FROM scratch\nCOPY ${ARCH}/tool base/\n';
      const kubefile = 'FROM base:v1\nCOPY conf etc/conf\n';
      for (const store of [here.store, there.store]) await build(store, context, base, 'base:v1', PLATFORMS, { created });
      const local = await build(here.store, context, kubefile, 'x:v1', PLATFORMS, { created });
      const plans = await plansOf(context, kubefile, PLATFORMS);
      const nodeStore = join(nodes[0].dir, 'base-store');
      const builder = { ...builderOf(nodes[0], 'arm', ['linux/arm64']), root: nodeStore };
      const elsewhere = assignPlatforms(plans, [builder], parsePlatform('linux/amd64')).nodes.map((assignment) => nodePlatformBuild(assignment, { store: there.store, context, tag: 'x:v1', settings: { pull: 'never' }, agent }));
      const remote = await build(there.store, context, kubefile, 'x:v1', PLATFORMS, { created, elsewhere });
      assert.equal(remote.image.descriptor.digest, local.image.descriptor.digest);
      // The node's store has the base with its one platform.
      const onNode = await ImageStore.open(nodeStore);
      assert.deepEqual((await platformImages(onNode, (await onNode.getImage('base:v1')).descriptor)).map((image) => image.key), ['linux/arm64/v8']);
      await checkStore(there.store);
    } finally {
      await Promise.all([here.cleanup(), there.cleanup()]);
    }
  });

  it('writes a large layer on the node with its tar workers (threads started on kubefilec\'s node bundle)', async () => {
    const big = await tempDir('kubefile-node-big-');
    const here = await tempStore();
    const there = await tempStore();
    try {
      // Past the size at which a layer is assembled by worker threads.
      await writeTree(big, { 'data/a.bin': randomBytes(20 << 20), 'data/b.bin': randomBytes(14 << 20) });
      const kubefile = 'FROM scratch\nCOPY data data\n';
      const local = await build(here.store, big, kubefile, 'x:v1', ['linux/arm64'], { created });
      const plans = await plansOf(big, kubefile, ['linux/arm64']);
      const elsewhere = assignPlatforms(plans, [builderOf(nodes[0], 'arm', ['linux/arm64'])], parsePlatform('linux/amd64')).nodes.map((assignment) => nodePlatformBuild(assignment, { store: there.store, context: big, tag: 'x:v1', settings: {}, agent }));
      const remote = await build(there.store, big, kubefile, 'x:v1', ['linux/arm64'], { created, elsewhere });
      assert.equal(remote.image.descriptor.digest, local.image.descriptor.digest);
      await checkStore(there.store);
    } finally {
      await Promise.all([here.cleanup(), there.cleanup(), rm(big, { recursive: true, force: true })]);
    }
  });

  it('fails the build with the node\'s error, at its Kubefile line', async () => {
    const { store, cleanup } = await tempStore();
    try {
      const kubefile = 'FROM scratch\nCOPY conf etc/conf\nRUN echo "no such thing" >&2; exit 3\n';
      const plans = await plansOf(context, kubefile, ['linux/arm64']);
      const elsewhere = assignPlatforms(plans, [builderOf(nodes[0], 'arm', ['linux/arm64'])], parsePlatform('linux/amd64')).nodes.map((assignment) => nodePlatformBuild(assignment, { store, context, tag: 'x:v1', kubefile: 'Kubefile', settings: {}, agent }));
      await assert.rejects(build(store, context, kubefile, 'x:v1', ['linux/arm64'], { created, elsewhere }), (error: unknown) => {
        assert.ok(error instanceof RuntimeError, String(error));
        assert.equal(error.code, 'RUN_FAILED');
        assert.match(error.message, /^builder arm \(linux\/arm64\/v8\): .*exit code 3/);
        assert.deepEqual([error.location?.file, error.location?.line], ['Kubefile', 3]);
        return true;
      });
      await checkStore(store);
    } finally {
      await cleanup();
    }
  });

  it('stops the node\'s build when this one is stopped (Ctrl-C): nothing is left running there, nothing stored here', async () => {
    const { store, cleanup } = await tempStore();
    try {
      const kubefile = 'FROM scratch\nCOPY conf etc/conf\nRUN sleep 30\n';
      const plans = await plansOf(context, kubefile, PLATFORMS);
      const controller = new AbortController();
      const nodeStore = join(nodes[0].dir, 'stop-store');
      const onEvent = (event: BuildEvent): void => {
        if (event.type === 'step' && event.node === 'arm' && event.text.startsWith('RUN')) controller.abort();
      };
      const elsewhere = assignPlatforms(plans, [{ ...builderOf(nodes[0], 'arm', ['linux/arm64']), root: nodeStore }], parsePlatform('linux/amd64')).nodes.map((assignment) => nodePlatformBuild(assignment, { store, context, tag: 'x:v1', settings: {}, agent, onEvent }));
      const started = Date.now();
      await assert.rejects(build(store, context, kubefile, 'x:v1', PLATFORMS, { created, elsewhere, onEvent, signal: controller.signal }), (error: unknown) => error instanceof RuntimeError && error.code === 'INTERRUPTED');
      assert.ok(Date.now() - started < 20_000, 'stopped, not waited for');
      const running = () => execFileSync('sh', ['-c', `pgrep -f '[n]ode-agent --root ${nodeStore}' || true`], { encoding: 'utf8' }).trim();
      for (let waited = 0; running() !== '' && waited < 10_000; waited += 200) await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(running(), '', 'the agent has exited');
      assert.equal(await store.findImage('x:v1'), undefined);
      await checkStore(store);
      await checkStore(await ImageStore.open(nodeStore));
    } finally {
      await cleanup();
    }
  });

  it('fails the platform of a node that dies mid-build with one line, and leaves this store consistent', async () => {
    const { store, cleanup } = await tempStore();
    const dying = await startSshNode();
    await trust(dying);
    try {
      const kubefile = 'FROM scratch\nCOPY conf etc/conf\nRUN sleep 30\n';
      const plans = await plansOf(context, kubefile, PLATFORMS);
      const builder = builderOf(dying, 'dying', ['linux/arm64']);
      let killed = false;
      const onEvent = (event: BuildEvent): void => {
        // The node's RUN has started: the machine goes away (its agent killed, its sshd stopped).
        if (!killed && event.type === 'step' && event.node === 'dying' && event.text.startsWith('RUN')) {
          killed = true;
          execFileSync('pkill', ['-KILL', '-f', `node-agent --root ${join(dying.dir, 'store')}`]);
          void dying.stop({ remove: false });
        }
      };
      const elsewhere = assignPlatforms(plans, [builder], parsePlatform('linux/amd64')).nodes.map((assignment) => nodePlatformBuild(assignment, { store, context, tag: 'x:v1', settings: {}, agent, onEvent }));
      await assert.rejects(build(store, context, kubefile, 'x:v1', PLATFORMS, { created, elsewhere, onEvent }), (error: unknown) => {
        assert.ok(error instanceof RuntimeError, String(error));
        assert.equal(error.code, 'BUILDER');
        assert.match(error.message, /^builder dying \(linux\/arm64\/v8\): the node stopped before the build ended/);
        assert.doesNotMatch(error.message, /\n/);
        return true;
      });
      assert.ok(killed, 'the node was killed mid-build');
      assert.equal(await store.findImage('x:v1'), undefined);
      await checkStore(store);
    } finally {
      await dying.stop();
      await cleanup();
    }
  });
});
