/** The client's pure parts: platform pick, build request, task definitions, CodeLens placement. */
import assert from 'node:assert/strict';
import { parsePlatform } from '@kubefile/compiler/platform';
import { buildArguments, proposedTag, rememberChoice, tagProblem } from '../src/build-request.js';
import { detectedTasks, kubefilecArguments, kubefilecProcess, TaskDefinitionError, taskLabel, type KubefileTaskDefinition, type TaskDefaults } from '../src/build-task.js';
import { fromLines, type OutlineSymbol } from '../src/code-lens.js';
import { defaultPlatforms, normalizePlatforms, platformPickItems, platformStatusText, platformStatusTooltip } from '../src/platforms.js';

const host = parsePlatform('linux/amd64');
const arm64Host = parsePlatform('linux/arm64');

describe('platform pick', () => {
  it('defaults to the last pick, else kubefile.platforms, else this machine', () => {
    assert.deepEqual(defaultPlatforms({ configured: [], host }), ['linux/amd64']);
    assert.deepEqual(defaultPlatforms({ configured: [], host: arm64Host }), ['linux/arm64/v8']);
    assert.deepEqual(defaultPlatforms({ configured: ['linux/amd64', 'arm64'], host }), ['linux/amd64', 'linux/arm64/v8']);
    assert.deepEqual(defaultPlatforms({ last: ['linux/s390x'], configured: ['linux/amd64', 'arm64'], host }), ['linux/s390x']);
    // An empty last pick does not count; an unreadable setting is skipped (the server reports it).
    assert.deepEqual(defaultPlatforms({ last: [], configured: ['not a platform!', 'aarch64'], host }), ['linux/arm64/v8']);
  });

  it('offers the known platforms plus configured and picked ones, with the defaults ticked', () => {
    const items = platformPickItems({ last: ['linux/arm64', 'linux/mips64le'], configured: ['linux/amd64', 'windows/amd64'], host });
    assert.deepEqual(
      items.map((item) => item.label),
      ['linux/amd64', 'linux/arm64/v8', 'linux/arm/v7', 'linux/ppc64le', 'linux/s390x', 'linux/riscv64', 'linux/386', 'windows/amd64', 'linux/mips64le'],
    );
    assert.deepEqual(
      items.filter((item) => item.picked).map((item) => item.label),
      ['linux/arm64/v8', 'linux/mips64le'],
    );
    assert.equal(items[0].description, 'this machine, kubefile.platforms');
    assert.equal(items.find((item) => item.label === 'windows/amd64')?.description, 'kubefile.platforms');
    assert.equal(items.find((item) => item.label === 'linux/s390x')?.description, undefined);
  });

  it('ticks this machine when nothing else is known', () => {
    const items = platformPickItems({ configured: [], host: parsePlatform('linux/riscv64') });
    assert.deepEqual(items.filter((item) => item.picked).map((item) => item.label), ['linux/riscv64']);
    assert.equal(items.find((item) => item.label === 'linux/riscv64')?.description, 'this machine');
  });

  it('normalizes as kubefilec does, and rejects what it rejects', () => {
    assert.deepEqual(normalizePlatforms(['x86_64', 'linux/aarch64', 'linux/amd64', 'armhf'], host), ['linux/amd64', 'linux/arm64/v8', 'linux/arm/v7']);
    assert.throws(() => normalizePlatforms(['linux/amd64/v2/x'], host), /expected os\/arch\[\/variant\]/);
  });

  it('shows the architectures in the status bar', () => {
    assert.equal(platformStatusText(['linux/amd64', 'linux/arm64/v8']), '$(server-environment) amd64, arm64/v8');
    assert.equal(platformStatusText(['windows/amd64']), '$(server-environment) windows/amd64');
    assert.equal(platformStatusTooltip(['linux/amd64']), 'Kubefile target platforms: linux/amd64. Click to change.');
  });
});

describe('build request', () => {
  it('proposes the last tag, else one named after the Kubefile or its directory', () => {
    assert.equal(proposedTag('/work/examples/multi-arch/Kubefile', undefined), 'multi-arch:latest');
    assert.equal(proposedTag('/work/examples/multi-arch/container-image.Kubefile', undefined), 'container-image:latest');
    assert.equal(proposedTag('/src/My Project/app.kubefile', undefined), 'app:latest');
    assert.equal(proposedTag('/src/My Project/Kubefile', undefined), 'my-project:latest');
    assert.equal(proposedTag('/src/x/Kubefile.arm', undefined), 'arm:latest');
    assert.equal(proposedTag('/Kubefile', undefined), 'cluster-image:latest');
    assert.equal(proposedTag('/src/__/Kubefile', undefined), 'cluster-image:latest');
    assert.equal(proposedTag('/src/x/Kubefile', { tag: 'reg.example.com:5000/team/x:v2', platforms: [] }), 'reg.example.com:5000/team/x:v2');
  });

  it('accepts image names and says what is wrong with others', () => {
    for (const tag of ['my-cluster', 'my-cluster:v1', 'kubernetes:v1.19.8', 'example.com/demo/busybox:1.36', '127.0.0.1:5000/a/b_c:x-y', '  spaced:v1  ']) {
      assert.equal(tagProblem(tag), undefined, tag);
    }
    assert.equal(tagProblem(''), 'Enter an image name, e.g. my-cluster:v1');
    assert.equal(tagProblem('app@sha256:abcd'), 'A build is stored under a tag, not a digest');
    assert.match(tagProblem('My-Cluster:v1') ?? '', /"My-Cluster:v1" is not an image name/);
    assert.match(tagProblem('app:') ?? '', /not an image name/);
    assert.match(tagProblem('a b') ?? '', /not an image name/);
    assert.match(tagProblem(`app:${'x'.repeat(129)}`) ?? '', /not an image name/);
  });

  it('remembers each Kubefile\'s choice and builds the server\'s arguments', () => {
    const first = rememberChoice({}, 'file:///a/Kubefile', { tag: ' a:v1 ', platforms: ['linux/amd64'] });
    const both = rememberChoice(first, 'file:///b/Kubefile', { tag: 'b:v1', platforms: ['linux/arm64/v8'] });
    assert.deepEqual(both, { 'file:///a/Kubefile': { tag: 'a:v1', platforms: ['linux/amd64'] }, 'file:///b/Kubefile': { tag: 'b:v1', platforms: ['linux/arm64/v8'] } });
    assert.deepEqual(first, { 'file:///a/Kubefile': { tag: 'a:v1', platforms: ['linux/amd64'] } }, 'the old record is not changed');
    assert.deepEqual(buildArguments('file:///a/Kubefile', { tag: 'a:v1 ', platforms: ['linux/amd64', 'linux/arm64/v8'] }), {
      uri: 'file:///a/Kubefile',
      tag: 'a:v1',
      platforms: ['linux/amd64', 'linux/arm64/v8'],
    });
    assert.equal(buildArguments('file:///a/Kubefile', { tag: 'a', platforms: [] }, true).noCache, true);
  });
});

describe('kubefile task definitions', () => {
  const defaults: TaskDefaults = { platforms: [], buildArgs: {}, root: '' };
  const task = (fields: Partial<KubefileTaskDefinition>): KubefileTaskDefinition => ({ type: 'kubefile', command: 'build', ...fields });

  it('turns a build into kubefilec arguments, the context defaulting to the Kubefile\'s directory', () => {
    assert.deepEqual(kubefilecArguments(task({ file: 'examples/multi-arch/Kubefile', tag: 'm:v1', platforms: ['linux/amd64', 'linux/arm64'], buildArgs: { Version: 'v1.19.8', Flags: 'a=b,c' } }), defaults), [
      'build', 'examples/multi-arch', '-f', 'examples/multi-arch/Kubefile', '--platform', 'linux/amd64,linux/arm64',
      '--build-arg', 'Version=v1.19.8', '--build-arg', 'Flags=a=b,c', '-t', 'm:v1', '--progress', 'plain',
    ]);
    assert.deepEqual(kubefilecArguments(task({ tag: 'root:v1', noCache: true, imageLists: ['more.txt'], ignoreImageLists: ['hub.txt'] }), defaults), [
      'build', '.', '-t', 'root:v1', '--progress', 'plain', '--no-cache', '--image-list', 'more.txt', '--ignore-image-list', 'hub.txt',
    ]);
    assert.deepEqual(kubefilecArguments(task({ file: 'Kubefile', context: 'ctx', tag: 'x' }), defaults).slice(0, 4), ['build', 'ctx', '-f', 'Kubefile']);
    assert.deepEqual(kubefilecArguments(task({ file: 'Kubefile', tag: 'x' }), defaults).slice(0, 2), ['build', '.']);
  });

  it('falls back to the settings for platforms, build args and the store', () => {
    const settings: TaskDefaults = { platforms: ['linux/amd64', 'linux/arm64'], buildArgs: { A: '1' }, root: '/var/tmp/store' };
    assert.deepEqual(kubefilecArguments(task({ tag: 'x:v1' }), settings), ['build', '.', '--platform', 'linux/amd64,linux/arm64', '--build-arg', 'A=1', '-t', 'x:v1', '--progress', 'plain', '--root', '/var/tmp/store']);
    // The task's own values win, even empty ones.
    assert.deepEqual(kubefilecArguments(task({ tag: 'x:v1', platforms: [], buildArgs: {} }), settings), ['build', '.', '-t', 'x:v1', '--progress', 'plain', '--root', '/var/tmp/store']);
    assert.deepEqual(kubefilecArguments({ type: 'kubefile', command: 'lint', file: 'a/b.kubefile' }, settings), ['lint', 'a', '-f', 'a/b.kubefile', '--platform', 'linux/amd64,linux/arm64', '--build-arg', 'A=1']);
  });

  it('refuses definitions that cannot run, saying why', () => {
    const refused = (definition: unknown, message: RegExp): void => assert.throws(() => kubefilecArguments(definition as KubefileTaskDefinition, defaults), (error: unknown) => error instanceof TaskDefinitionError && message.test(error.message));
    refused(task({}), /a "build" task needs a "tag"/);
    refused(task({ tag: '   ' }), /needs a "tag"/);
    refused({ type: 'kubefile', command: 'push' }, /"command" must be "build" or "lint", not "push"/);
    refused(task({ tag: 'x', platforms: 'linux/amd64' as unknown as string[] }), /"platforms" must be a list of strings/);
    refused(task({ tag: 'x', buildArgs: { A: 1 } as unknown as Record<string, string> }), /"buildArgs" must map names to string values/);
    refused(task({ tag: 'x', imageLists: [1] as unknown as string[] }), /"imageLists" must be a list of strings/);
    refused(task({ tag: 'x', file: 3 as unknown as string }), /"file" must be a string/);
  });

  it('detects a build and a lint per Kubefile, labelled by file and tag', () => {
    const tasks = detectedTasks(['examples/multi-arch/Kubefile', 'Kubefile'], (file) => `${file.length}:v1`);
    assert.deepEqual(tasks, [
      { type: 'kubefile', command: 'build', file: 'Kubefile', tag: '8:v1' },
      { type: 'kubefile', command: 'lint', file: 'Kubefile' },
      { type: 'kubefile', command: 'build', file: 'examples/multi-arch/Kubefile', tag: '28:v1' },
      { type: 'kubefile', command: 'lint', file: 'examples/multi-arch/Kubefile' },
    ]);
    assert.deepEqual(tasks.map(taskLabel), ['build Kubefile as 8:v1', 'lint Kubefile', 'build examples/multi-arch/Kubefile as 28:v1', 'lint examples/multi-arch/Kubefile']);
    assert.equal(taskLabel({ type: 'kubefile', command: 'lint', context: 'ctx' }), 'lint ctx');
  });

  it('runs the configured kubefilec, else the bundled one as plain Node', () => {
    const bundled = { execPath: '/opt/code/code', script: '/ext/dist/kubefilec.cjs' };
    assert.deepEqual(kubefilecProcess('', bundled, ['lint', '.']), { command: '/opt/code/code', args: ['/ext/dist/kubefilec.cjs', 'lint', '.'], env: { ELECTRON_RUN_AS_NODE: '1' } });
    assert.deepEqual(kubefilecProcess(' /usr/local/bin/kubefilec ', bundled, ['lint', '.']), { command: '/usr/local/bin/kubefilec', args: ['lint', '.'], env: {} });
  });
});

describe('Build CodeLens', () => {
  it('goes on the FROM lines of the server\'s outline', () => {
    const symbol = (name: string, line: number) => ({ name, range: { start: { line } } });
    assert.deepEqual(fromLines([symbol('ARG Version=v1', 0), symbol('FROM kubernetes:${Version}', 2), symbol('COPY FROM.txt x', 3), symbol('from scratch', 9), symbol('FROM', 12)]), [2, 9, 12]);
    assert.deepEqual(fromLines(undefined), []);
  });

  it('finds the FROMs nested in the stage symbols of a multi-stage outline', () => {
    const symbol = (name: string, line: number, children?: OutlineSymbol[]): OutlineSymbol => ({ name, range: { start: { line } }, ...(children ? { children } : {}) });
    assert.deepEqual(fromLines([symbol('ARG V=1', 0), symbol('build', 1, [symbol('FROM busybox AS build', 1), symbol('RUN make', 2)]), symbol('stage 1', 3, [symbol('FROM scratch', 3)])]), [1, 3]);
  });
});
