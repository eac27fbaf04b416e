/** The client's pure parts: platform pick, build request and options, build failures, task definitions, registry login, CodeLens placement. */
import assert from 'node:assert/strict';
import { parsePlatform } from '@kubefile/compiler/platform';
import { failedBuild } from '../src/build-failure.js';
import { buildArguments, kubefilecBuildFlags, NO_OPTIONS, optionRows, optionsFromSettings, optionsSummary, readOptions, remediesFor, remedyText, type BuildOptions } from '../src/build-options.js';
import { proposedTag, rememberChoice, tagProblem } from '../src/build-request.js';
import { loginArguments, needsLogin, pushTlsFlags, registryHost } from '../src/registry-login.js';
import { detectedTasks, kubefilecArguments, kubefilecProcess, TaskDefinitionError, taskLabel, type KubefileTaskDefinition, type TaskDefaults } from '../src/build-task.js';
import { fromLines, type OutlineSymbol } from '../src/code-lens.js';
import { defaultPlatforms, normalizePlatforms, platformPickItems, platformSettingProblems, platformStatusText, platformStatusTooltip } from '../src/platforms.js';

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
    const withOptions = rememberChoice({}, 'file:///a/Kubefile', { tag: 'a:v1', platforms: ['linux/amd64'], options: { ...NO_OPTIONS, noCache: true } });
    assert.equal(withOptions['file:///a/Kubefile'].options?.noCache, true);
  });
});

describe('build options', () => {
  const options = (fields: Partial<BuildOptions>): BuildOptions => ({ ...NO_OPTIONS, ...fields });

  it('become the server\'s arguments, only what differs from kubefilec\'s defaults', () => {
    assert.deepEqual(buildArguments('file:///a/Kubefile', 'a:v1 ', ['linux/amd64', 'linux/arm64/v8']), { uri: 'file:///a/Kubefile', tag: 'a:v1', platforms: ['linux/amd64', 'linux/arm64/v8'] });
    assert.deepEqual(
      buildArguments('file:///a/Kubefile', 'a', ['linux/amd64'], options({ buildArgs: { V: '1' }, imageLists: ['more.txt'], ignoreImageLists: ['hub.txt'], skipMissingPlatform: true, noCache: true, pull: 'never' })),
      { uri: 'file:///a/Kubefile', tag: 'a', platforms: ['linux/amd64'], buildArgs: { V: '1' }, imageLists: ['more.txt'], ignoreImageLists: ['hub.txt'], skipMissingPlatform: true, noCache: true, pull: 'never' },
    );
  });

  it('become kubefilec build flags, for tasks', () => {
    assert.deepEqual(kubefilecBuildFlags(NO_OPTIONS), []);
    assert.deepEqual(kubefilecBuildFlags(options({ ignoreImageLists: ['hub.txt', 'more-hub.txt'], skipMissingPlatform: true, pull: 'always' })), [
      '--ignore-image-list', 'hub.txt', '--ignore-image-list', 'more-hub.txt', '--skip-missing-platform', '--pull', 'always',
    ]);
  });

  it('start from the kubefile.build settings, anything unreadable at its default, and a remembered choice wins', () => {
    assert.deepEqual(optionsFromSettings({}), NO_OPTIONS);
    const defaults = optionsFromSettings({ ignoreImageLists: ['hub.txt', 3, ''], noCache: 'yes', skipMissingPlatform: true, pull: 'sometimes' });
    assert.deepEqual(defaults, options({ ignoreImageLists: ['hub.txt'], skipMissingPlatform: true }));
    assert.deepEqual(readOptions(undefined, defaults), defaults);
    assert.deepEqual(readOptions({ ignoreImageLists: [], pull: 'never', buildArgs: { A: '1', B: 2 } }, defaults), options({ skipMissingPlatform: true, pull: 'never', buildArgs: { A: '1' } }));
  });

  it('read on the options page with their values, and in one summary line', () => {
    const rows = optionRows(options({ ignoreImageLists: ['docker-hub-images.txt'], buildArgs: { Version: 'v1' } }));
    assert.deepEqual(rows.map((row) => `${row.label}: ${row.description}`), [
      'Ignore image lists: docker-hub-images.txt', 'Image lists: none', 'Build args: Version=v1', 'Skip missing platforms: off', 'No cache: off', 'Pull policy: missing',
    ]);
    assert.ok(rows.every((row) => /\(--[a-z-]+\)/.test(row.detail)), 'each row names its kubefilec option');
    assert.equal(optionsSummary(NO_OPTIONS), '');
    assert.equal(optionsSummary(options({ ignoreImageLists: ['hub.txt'], noCache: true, pull: 'never' })), 'ignore image lists: hub.txt; no cache: on; pull policy: never');
  });

  it('say which option fixes a failed build, from the kubefilec option its message names', () => {
    const offline = 'cannot reach docker.io (https://registry-1.docker.io) for manifest v2.2.0 of docker.io/kubernetesui/dashboard: host not found (5 tries); to build without it, list docker.io/kubernetesui/dashboard:v2.2.0 in an --ignore-image-list file';
    assert.deepEqual(remediesFor(offline), ['ignoreImageLists']);
    assert.equal(remedyText(remediesFor(offline)), 'Build with Options... and set "Ignore image lists".');
    assert.deepEqual(remediesFor('no manifest for linux/s390x in nginx:1.25; leave it out with --skip-missing-platform, or list it in --ignore-image-list'), ['ignoreImageLists', 'skipMissingPlatform']);
    assert.deepEqual(remediesFor('RUN failed with exit code 1'), []);
    assert.equal(remedyText([]), '');
  });
});

describe('build failures', () => {
  const location = { uri: 'file:///ctx/my-mysql/values.yaml', line: 2, character: 0 };

  it('take the message, code and location from the error\'s data', () => {
    const error = Object.assign(new Error('request failed'), { code: -32803, data: { code: 'REGISTRY', message: 'cannot reach docker.io', location } });
    assert.deepEqual(failedBuild(error), { cancelled: false, message: 'cannot reach docker.io', code: 'REGISTRY', location });
  });

  it('are cancelled when the server says so, or the user asked', () => {
    assert.equal(failedBuild(Object.assign(new Error('build cancelled'), { code: -32800 })).cancelled, true);
    assert.equal(failedBuild(Object.assign(new Error('x'), { code: -32803, data: { code: 'INTERRUPTED', message: 'interrupted' } })).cancelled, true);
    assert.equal(failedBuild(new Error('interrupted'), true).cancelled, true);
    assert.equal(failedBuild(new Error('interrupted')).cancelled, false);
  });

  it('keep just the message when the data is missing or malformed', () => {
    assert.deepEqual(failedBuild(new Error('the Kubefile is not open')), { cancelled: false, message: 'the Kubefile is not open' });
    assert.deepEqual(failedBuild(Object.assign(new Error('m'), { data: { code: 'X', message: 'n', location: { uri: 'file:///k', line: -1, character: 0 } } })), { cancelled: false, message: 'm' });
    assert.deepEqual(failedBuild('plain text'), { cancelled: false, message: 'plain text' });
  });
});

describe('registry login for Push', () => {
  it('asks for a login when kubefilec says the registry wants one', () => {
    assert.ok(needsLogin('registry.example.com requires authentication: run `kubefilec login registry.example.com`'));
    assert.ok(needsLogin('registry.example.com refused the credentials of ann (wrong password, or no access)'));
    assert.ok(!needsLogin('cannot reach registry.example.com'));
  });

  it('finds the registry of a reference, and uses plain HTTP for this machine only', () => {
    assert.equal(registryHost('127.0.0.1:5000/team/app:v1'), '127.0.0.1:5000');
    assert.equal(registryHost('registry.example.com/app:v1'), 'registry.example.com');
    assert.equal(registryHost('localhost/app'), 'localhost');
    assert.equal(registryHost('team/app:v1'), 'docker.io');
    assert.equal(registryHost('app:v1'), 'docker.io');
    assert.deepEqual(pushTlsFlags('127.0.0.1:5000/app:v1'), ['--tls-verify=false']);
    assert.deepEqual(pushTlsFlags('localhost:5000/app:v1'), ['--tls-verify=false']);
    assert.deepEqual(pushTlsFlags('registry.example.com/app:v1'), []);
    assert.deepEqual(loginArguments('127.0.0.1:5000', 'ann'), ['login', '127.0.0.1:5000', '-u', 'ann', '--password-stdin', '--tls-verify=false']);
    assert.deepEqual(loginArguments('registry.example.com', 'ann'), ['login', 'registry.example.com', '-u', 'ann', '--password-stdin']);
  });
});

describe('kubefile.platforms checks', () => {
  it('names each entry that is no platform, with a suggestion', () => {
    assert.deepEqual(platformSettingProblems(['linux/amd64', 'arm64', 'linux/arm64/v8'], host), []);
    assert.deepEqual(platformSettingProblems(['linux/arm65', 'lnux/amd64', 7], host), [
      '"linux/arm65": unknown architecture "arm65" (did you mean arm64?)',
      '"lnux/amd64": unknown operating system "lnux" (did you mean linux?)',
      '7 is not a string',
    ]);
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
    refused(task({ tag: 'x', pull: 'sometimes' as unknown as 'never' }), /"pull" must be one of missing, always, never/);
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
