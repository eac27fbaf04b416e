/**
 * RUN steps on each mounter: the command runs in the image so far with bin/ first on PATH and the
 * step's environment; what it adds, changes and deletes becomes the layer (deletions as whiteouts).
 */
import assert from 'node:assert/strict';
import { chmod, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { buildImage, ImageStore, platformImages, type RuntimeError } from '../src/index.js';
import { build, layerFiles, plansOf, tmpFiles, writeTree } from './build-helpers.js';
import { mountsUnder, useTempStore } from './fixtures.js';
import { execFileSync } from 'node:child_process';

async function runLayers(store: ImageStore, name: string, platform: string): Promise<string[][]> {
  const image = await store.getImage(name);
  const found = (await platformImages(store, image.descriptor)).find((p) => p.key === platform);
  assert.ok(found);
  return found.manifest.layers.map((layer) => layerFiles(store, layer.digest));
}

function fileIn(store: ImageStore, layer: string, path: string): string {
  return execFileSync('tar', ['-xOf', store.blobPath(layer as `sha256:${string}`), path], { encoding: 'utf8' });
}

describe('RUN', () => {
  let store: ImageStore;
  let context: string;
  const temp = useTempStore('kubefile-run-');
  beforeEach(() => ({ store, dir: context } = temp));

  for (const mounter of ['overlay', 'fuse-overlayfs', 'copy'] as const) {
    it(`${mounter}: runs in the image root with bin/ on PATH; its additions, changes and deletions make the layer, and no mount is left`, async () => {
      await writeTree(context, { 'bin/tool': '#!/bin/sh\necho "tool $*"\n', 'etc/old.txt': 'old', 'etc/f': 'f\n', 'gone/a': 'a', 'gone/b': 'b', 'redo/x': 'x', 'redo/y': 'y' });
      await chmod(join(context, 'bin/tool'), 0o755);
      const kubefile = [
        'FROM scratch',
        'COPY bin bin',
        'COPY etc etc',
        'COPY gone gone',
        'COPY redo redo',
        'RUN tool hello > out.txt && rm etc/old.txt && echo more >> etc/f && rm -r gone && mkdir -p data/sub && ln -s ../out.txt data/link && rm -r redo && mkdir redo && echo z > redo/z',
      ].join('\n');
      const mountsBefore = await mountsUnder(store.root);
      await build(store, context, `${kubefile}\n`, 'run:v1', ['linux/amd64'], { mounter: mounter });
      const layers = await runLayers(store, 'run:v1', 'linux/amd64');
      // redo/ was removed and made again: only its new entry remains (an opaque directory).
      assert.deepEqual(layers[4], ['.wh.gone', 'data/', 'data/link -> ../out.txt', 'data/sub/', 'etc/', 'etc/.wh.old.txt', 'etc/f', 'out.txt', 'redo/', ...(mounter === 'copy' ? ['redo/.wh.x', 'redo/.wh.y'] : ['redo/.wh..wh..opq']), 'redo/z']);
      const image = await store.getImage('run:v1');
      const [amd] = await platformImages(store, image.descriptor);
      const runLayer = amd.manifest.layers[4].digest;
      assert.equal(fileIn(store, runLayer, 'out.txt'), 'tool hello\n');
      assert.equal(fileIn(store, runLayer, 'etc/f'), 'f\nmore\n');
      assert.equal(amd.config['io.kubefile.cluster-image']?.layers[4].type, 'RUN');
      assert.deepEqual(await tmpFiles(store), []);
      assert.deepEqual(await mountsUnder(store.root), mountsBefore, '/proc/self/mountinfo is as before');
    });
  }

  for (const mounter of ['overlay', 'fuse-overlayfs', 'copy'] as const) {
    it(`${mounter}: a later RUN sees the deletions of an earlier one (whiteouts and opaque directories of lower layers applied)`, async () => {
      await writeTree(context, { 'redo/x': 'x', 'redo/y': 'y', 'keep/k': 'k', 'drop.txt': 'd' });
      const kubefile = ['FROM scratch', 'COPY redo redo', 'COPY keep keep', 'COPY drop.txt etc/', 'RUN rm -r redo && mkdir redo && echo z > redo/z && rm etc/drop.txt', 'RUN find keep redo etc -type f | sort > listing.txt'].join('\n');
      await build(store, context, `${kubefile}\n`, 'later:v1', ['linux/amd64'], { mounter });
      const image = await store.getImage('later:v1');
      const [amd] = await platformImages(store, image.descriptor);
      assert.equal(fileIn(store, amd.manifest.layers[4].digest, 'listing.txt'), 'keep/k\nredo/z\n');
    });
  }

  for (const mounter of ['overlay', 'fuse-overlayfs', 'copy'] as const) {
    it(`${mounter}: RUN steps share one unpacked image, carried forward: each sees the COPYs and RUNs before it exactly`, async () => {
      await writeTree(context, { 'a/f': 'f', 'a/g': 'g', 'b': 'b', 'c/d/e': 'e', 'later.txt': 'later' });
      const kubefile = [
        'FROM scratch',
        'COPY a a',
        'COPY b etc/',
        'COPY c c',
        // A file becomes a directory, a directory a file, a link appears, a file changes and one goes.
        'RUN rm etc/b && mkdir etc/b && echo in > etc/b/x && rm -r c/d && echo now-a-file > c/d && ln -s ../a/f c/link && echo changed > a/f && rm a/g',
        'COPY later.txt etc/',
        'RUN rm -r a && mkdir a && echo new > a/n',
        'RUN find . -path ./listing.txt -prune -o -print | sort > listing.txt && cat c/d etc/b/x etc/later.txt a/n > contents.txt && readlink c/link >> contents.txt',
      ].join('\n');
      await build(store, context, `${kubefile}\n`, 'carry:v1', ['linux/amd64'], { mounter });
      const [amd] = await platformImages(store, (await store.getImage('carry:v1')).descriptor);
      const last = amd.manifest.layers.at(-1)!.digest;
      assert.equal(fileIn(store, last, 'listing.txt'), ['.', './a', './a/n', './c', './c/d', './c/link', './etc', './etc/b', './etc/b/x', './etc/later.txt', ''].join('\n'));
      assert.equal(fileIn(store, last, 'contents.txt'), 'now-a-file\nin\nlaternew\n../a/f\n');
      assert.deepEqual(await tmpFiles(store), []);
    });
  }

  for (const mounter of ['overlay', 'fuse-overlayfs', 'copy'] as const) {
    it(`${mounter}: a failing RUN names the command, the platform and the exit code; no image, no root and no mount are left`, async () => {
      await writeTree(context, { 'a.txt': 'a' });
      const mountsBefore = await mountsUnder(store.root);
      await assert.rejects(build(store, context, 'FROM scratch\nCOPY a.txt etc\nRUN echo partial > x && echo oops >&2 && exit 3\n', 'x:v1', ['linux/amd64'], { mounter }), (error: RuntimeError) => {
        assert.equal(error.code, 'RUN_FAILED');
        assert.match(error.message, /^RUN echo partial > x && echo oops >&2 && exit 3 failed on linux\/amd64: exit code 3\n  \| oops$/);
        assert.deepEqual(error.location, { file: 'Kubefile', line: 3, column: 1 });
        return true;
      });
      assert.equal(await store.findImage('x:v1'), undefined);
      assert.deepEqual(await tmpFiles(store), [], 'the RUN root is gone');
      assert.deepEqual(await mountsUnder(store.root), mountsBefore, '/proc/self/mountinfo is as before');
    });
  }

  it('a store opened by a relative path still unmounts its RUN roots (mount points are absolute)', async () => {
    const relativeRoot = relative(process.cwd(), join(context, 'store'));
    const relativeStore = await ImageStore.open(relativeRoot);
    assert.equal(relativeStore.root, join(context, 'store'));
    await build(relativeStore, context, 'FROM scratch\nRUN echo a > a.txt\nRUN echo b > b.txt\n', 'rel:v1', ['linux/amd64'], { mounter: 'overlay' });
    assert.deepEqual(await mountsUnder(join(context, 'store')), []);
    assert.deepEqual(await tmpFiles(relativeStore), []);
  });

  it('--network none: the command sees only a loopback interface; the default is the host network', async () => {
    const kubefile = 'FROM scratch\nRUN cut -d: -f1 /proc/net/dev | tail -n +3 | tr -d " " | sort > net.txt\n';
    const interfaces = async (tag: string): Promise<string[]> => {
      const [amd] = await platformImages(store, (await store.getImage(tag)).descriptor);
      return fileIn(store, amd.manifest.layers[0].digest, 'net.txt').trim().split('\n');
    };
    await build(store, context, kubefile, 'none:v1', ['linux/amd64'], { network: 'none' });
    assert.deepEqual(await interfaces('none:v1'), ['lo']);
    await build(store, context, kubefile, 'host:v1', ['linux/amd64']);
    const host = (await readFile('/proc/net/dev', 'utf8')).split('\n').slice(2).map((line) => line.split(':')[0].trim()).filter(Boolean).sort();
    assert.ok(host.length > 1, 'this host has an interface besides lo');
    assert.deepEqual(await interfaces('host:v1'), host);
  });

  it("sees each platform's variables, ARG and ENV values; heredoc and exec forms run too", async () => {
    const kubefile = ['FROM scratch', 'ARG GREETING=hi', 'ENV WHO=world', 'RUN echo "$ARCH $TARGETPLATFORM $GREETING $WHO" > vars.txt', 'RUN <<EOF', 'echo from heredoc > h.txt', 'EOF', 'RUN ["sh", "-c", "echo exec > e.txt"]'].join('\n');
    await build(store, context, `${kubefile}\n`, 'vars:v1', ['linux/amd64', 'linux/arm64']);
    const image = await store.getImage('vars:v1');
    const [amd, arm] = await platformImages(store, image.descriptor);
    assert.equal(fileIn(store, amd.manifest.layers[0].digest, 'vars.txt'), 'amd64 linux/amd64 hi world\n');
    assert.equal(fileIn(store, arm.manifest.layers[0].digest, 'vars.txt'), 'arm64 linux/arm64/v8 hi world\n');
    assert.equal(fileIn(store, amd.manifest.layers[1].digest, 'h.txt'), 'from heredoc\n');
    assert.equal(fileIn(store, amd.manifest.layers[2].digest, 'e.txt'), 'exec\n');
  });

  it('a rebuild takes RUN layers from the cache; --no-cache runs the commands again', async () => {
    await writeTree(context, { 'a.txt': 'a' });
    const kubefile = 'FROM scratch\nCOPY a.txt etc\nRUN echo run >> log.txt\n';
    const first = await build(store, context, kubefile, 'cache:v1', ['linux/amd64']);
    assert.equal(first.layersBuilt, 2);
    const again = await build(store, context, kubefile, 'cache:v1', ['linux/amd64']);
    assert.deepEqual([again.layersBuilt, again.layersCached], [0, 2]);
    assert.ok(again.events.some((e) => e.type === 'step-done' && e.step === 3 && e.cached));
    const output = await build(store, context, 'FROM scratch\nCOPY a.txt etc\nRUN echo printed && echo run >> log.txt\n', 'cache:v2', ['linux/amd64'], { noCache: true });
    assert.ok(output.events.some((e) => e.type === 'step-output' && e.line === 'printed'), 'the command output is streamed');
  });

  it('an abort stops the command and removes its root', async () => {
    const plans = await plansOf(context, 'FROM scratch\nRUN echo started && sleep 30\n', ['linux/amd64']);
    const controller = new AbortController();
    const started = Date.now();
    const building = buildImage({ store, plans, context, tag: 'stopped:v1', signal: controller.signal, onEvent: (e) => e.type === 'step-output' && controller.abort() });
    await assert.rejects(building, (error: RuntimeError) => error.code === 'INTERRUPTED');
    assert.ok(Date.now() - started < 10_000, 'the sleep was killed');
    assert.equal(await store.findImage('stopped:v1'), undefined);
    assert.deepEqual(await tmpFiles(store), []);
  });

  it('a RUN root left by a killed build is removed when the store is next opened', async () => {
    // A pid that cannot be running: above the kernel's limit.
    const left = join(store.dir('tmp'), '99999999.deadbeef.run');
    await writeTree(left, { 'root/bin/x': 'x', 'root/etc/y': 'y' });
    await ImageStore.open(store.root);
    assert.deepEqual(await tmpFiles(store), []);
  });

  it('a RUN root a killed build left mounted is unmounted, then removed, when the store is next opened', async () => {
    const left = join(store.dir('tmp'), '99999999.cafe.run');
    await writeTree(left, { 'lower/bin/x': 'x', 'upper/.keep': '', 'work/.keep': '', 'root/.keep': '' });
    execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${join(left, 'lower')},upperdir=${join(left, 'upper')},workdir=${join(left, 'work')}`, join(left, 'root')]);
    assert.equal((await mountsUnder(left)).length, 1);
    await ImageStore.open(store.root);
    assert.deepEqual(await mountsUnder(left), []);
    assert.deepEqual(await tmpFiles(store), []);
  });
});
