import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { compile, parsePlatform } from '@kubefile/compiler';
import { nodeContext } from '@kubefile/compiler/node';
import { ImageStore } from '@kubefile/runtime';
import { DiagnosticSeverity, MessageType, type Diagnostic } from 'vscode-languageserver';
import { toLspDiagnostic } from '../src/convert.js';
import { readLintSettings } from '../src/server.js';
import { CLI_SERVER, LspClient } from './client.js';

describe('language server over stdio', function () {
  this.timeout(60_000);
  let dir: string;
  let client: LspClient;
  let uri: string;
  const root = () => join(dir, 'store');

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kubefile-lsp-'));
    await mkdir(join(dir, 'amd64'));
    await writeFile(join(dir, 'amd64', 'helm'), 'helm');
    uri = pathToFileURL(join(dir, 'Kubefile')).href;
    ({ client } = await LspClient.start({ kubefile: { platforms: ['linux/amd64', 'linux/arm64'], root: root() } }));
  });
  afterEach(async () => {
    await client.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('publishes what kubefilec lint reports, per platform, with the same codes and ranges', async () => {
    const text = 'FROM scratch\nCOPY ${ARCH}/helm bin/\nLABEL v=${MISSING}\n';
    await client.open(uri, text);
    const published = await client.diagnosticsFor(uri, 1);
    const expected = await compile(text, { platforms: [parsePlatform('linux/amd64'), parsePlatform('linux/arm64')], context: nodeContext(dir) });
    assert.deepEqual(published, expected.diagnostics.map(toLspDiagnostic));
    assert.deepEqual(published.map((d) => d.code), ['KF3004', 'KF3001']);
    assert.match(String(published[0].message), /for linux\/arm64\/v8/);
  });

  it('kubefile.lint settings reach the diagnostics; an unknown code is named in one error message', async () => {
    await client.stop();
    ({ client } = await LspClient.start({ kubefile: { lint: { enable: ['KF2012', 'KF0000'], disable: ['KF2005'], severity: { KF2021: 'error' } } } }));
    await client.open(uri, 'from scratch\nMAINTAINER jane\nENV A 1\n');
    const published = await client.diagnosticsFor(uri, 1);
    assert.deepEqual(published.map((d) => [d.code, d.severity]), [
      ['KF2012', DiagnosticSeverity.Hint],
      ['KF2021', DiagnosticSeverity.Error],
    ]);
    assert.deepEqual(client.messages.map((m) => [m.type, m.message]), [[MessageType.Error, 'kubefile settings: kubefile.lint.enable: unknown code KF0000']]);
  });

  it('follows incremental edits', async () => {
    await client.open(uri, 'FROM scratch\nCOPY amd64/helm bin/\n');
    assert.deepEqual(await client.diagnosticsFor(uri, 1), []);
    await client.connection.sendNotification('textDocument/didChange', {
      textDocument: { uri, version: 2 },
      contentChanges: [{ range: { start: { line: 1, character: 0 }, end: { line: 1, character: 4 } }, text: 'COPPY' }],
    });
    const after: Diagnostic[] = await client.diagnosticsFor(uri, 2);
    assert.equal(after.length, 1);
    assert.equal(after[0].code, 'KF1001');
    assert.equal(after[0].message, 'unknown instruction: COPPY (did you mean COPY?)');
    assert.deepEqual(after[0].range, { start: { line: 1, character: 0 }, end: { line: 1, character: 5 } });
  });

  it('kubefile.lint returns the diagnostics; kubefile.build builds into the configured store', async () => {
    await client.open(uri, 'FROM scratch\nCOPY amd64/helm bin/\nCMD helm version\n');
    await client.diagnosticsFor(uri, 1);
    assert.deepEqual(await client.connection.sendRequest('workspace/executeCommand', { command: 'kubefile.lint', arguments: [{ uri }] }), []);
    // No store yet: nothing listed, and none made by asking.
    assert.deepEqual(await client.connection.sendRequest('workspace/executeCommand', { command: 'kubefile.images', arguments: [] }), []);
    const fromItems = async (document: string) =>
      (await client.connection.sendRequest<{ label: string; detail?: string }[]>('textDocument/completion', { textDocument: { uri: document }, position: { line: 0, character: 5 } })).map((i) => `${i.label} ${i.detail ?? ''}`.trim());
    const bare = pathToFileURL(join(dir, 'bare.kubefile')).href;
    await client.open(bare, 'FROM \n');
    assert.deepEqual(await fromItems(bare), ['scratch No base image']);
    assert.equal(existsSync(root()), false);
    const built = await client.connection.sendRequest<{ image: string; digest: string }>('workspace/executeCommand', {
      command: 'kubefile.build',
      arguments: [{ uri, tag: 'from-editor:v1', platforms: ['linux/amd64'] }],
    });
    assert.equal(built.image, 'from-editor:v1');
    const store = await ImageStore.open(root());
    assert.equal((await store.getImage('from-editor:v1')).descriptor.digest, built.digest);
    const listed = await client.connection.sendRequest<{ name: string; digest: string }[]>('workspace/executeCommand', { command: 'kubefile.images', arguments: [] });
    assert.deepEqual(listed.map(({ name, digest }) => ({ name, digest })), [{ name: 'from-editor:v1', digest: built.digest }]);
    // FROM completion lists it, with its platform.
    assert.deepEqual(await fromItems(bare), ['scratch No base image', 'from-editor:v1 linux/amd64']);
    // Hovering a FROM of that image shows the platforms the store has for it.
    const child = pathToFileURL(join(dir, 'child.kubefile')).href;
    await client.open(child, 'FROM from-editor:v1\n');
    const hover = await client.connection.sendRequest<{ contents: { value: string } }>('textDocument/hover', { textDocument: { uri: child }, position: { line: 0, character: 8 } });
    assert.match(hover.contents.value, /linux\/amd64/);
    assert.doesNotMatch(hover.contents.value, /not in the local store/);
  });

  it('streams the build log as kubefile/buildLog to a client that asks for it, and as log messages otherwise', async () => {
    const { client: streaming } = await LspClient.start({ kubefile: { platforms: ['linux/amd64'], root: root() }, buildLog: 'notification' });
    try {
      const lines: { uri: string; tag: string; line: string }[] = [];
      const messages: string[] = [];
      streaming.connection.onNotification('kubefile/buildLog', (params: { uri: string; tag: string; line: string }) => void lines.push(params));
      streaming.connection.onNotification('window/logMessage', (params: { message: string }) => void messages.push(params.message));
      await streaming.open(uri, 'FROM scratch\nCOPY amd64/helm bin/\n');
      await streaming.diagnosticsFor(uri, 1);
      const built = await streaming.connection.sendRequest<{ digest: string }>('workspace/executeCommand', { command: 'kubefile.build', arguments: [{ uri, tag: 'logged:v1' }] });
      assert.deepEqual(lines.map((l) => l.line), [
        'Building linux/amd64',
        '[linux/amd64] STEP 1/2: FROM scratch',
        '[linux/amd64] STEP 2/2: COPY amd64/helm bin/',
        lines[3]?.line.startsWith('[linux/amd64] STEP 2/2: done in ') ? lines[3].line : '[linux/amd64] STEP 2/2: done in …',
        lines[4]?.line.startsWith('[linux/amd64] manifest sha256:') ? lines[4].line : '[linux/amd64] manifest sha256:…',
        lines[5]?.line.startsWith(`Built logged:v1 ${built.digest} in `) ? lines[5].line : `Built logged:v1 ${built.digest} in …`,
      ]);
      assert.ok(lines.every((l) => l.uri === uri && l.tag === 'logged:v1'));
      assert.ok(!messages.some((m) => m.includes('STEP')), messages.join('\n'));
      // Without the option, the same lines are log messages.
      const logged: string[] = [];
      client.connection.onNotification('window/logMessage', (params: { message: string }) => void logged.push(params.message));
      await client.open(uri, 'FROM scratch\nCOPY amd64/helm bin/\n');
      await client.diagnosticsFor(uri, 1);
      await client.connection.sendRequest('workspace/executeCommand', { command: 'kubefile.build', arguments: [{ uri, tag: 'logged:v2', platforms: ['linux/amd64'] }] });
      assert.ok(logged.includes('[linux/amd64] STEP 2/2: COPY amd64/helm bin/'), logged.join('\n'));
    } finally {
      await streaming.stop();
    }
  });

  it('sees a COPY source appear once the client reports the file change', async () => {
    await client.open(uri, 'FROM scratch\nCOPY later.yaml manifests/\n');
    assert.deepEqual((await client.diagnosticsFor(uri, 1)).map((d) => d.code), ['KF3004']);
    await writeFile(join(dir, 'later.yaml'), 'kind: ConfigMap\n');
    const fileUri = pathToFileURL(join(dir, 'later.yaml')).href;
    await client.connection.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: fileUri, type: 1 }] });
    const deadline = Date.now() + 10_000;
    // The same version is published again, now clean.
    while (!(await client.allDiagnostics(uri)).some((d) => d.version === 1 && d.diagnostics.length === 0)) {
      assert.ok(Date.now() < deadline, 'diagnostics refreshed');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });

  it('kubefile.build reports work-done progress, and cancelling it stops cleanly', async () => {
    await writeFile(join(dir, 'amd64', 'big.bin'), Buffer.alloc(96 << 20, 7));
    await client.open(uri, 'FROM scratch\nCOPY amd64/helm bin/\nCOPY amd64/big.bin data/\n');
    await client.diagnosticsFor(uri, 1);
    const progress: { kind: string; message?: string }[] = [];
    client.connection.onNotification('$/progress', (params: { token: string; value: { kind: string; message?: string } }) => {
      if (params.token === 'build-1') progress.push(params.value);
    });
    const built = await client.connection.sendRequest<{ image: string }>('workspace/executeCommand', { command: 'kubefile.build', arguments: [{ uri, tag: 'with-progress:v1' }], workDoneToken: 'build-1' });
    assert.equal(built.image, 'with-progress:v1');
    assert.equal(progress[0].kind, 'begin');
    assert.ok(progress.some((p) => p.kind === 'report' && /STEP 3\/3/.test(p.message ?? '')), JSON.stringify(progress));
    assert.equal(progress.at(-1)?.kind, 'end');

    const { CancellationTokenSource } = await import('vscode-jsonrpc/node');
    const source = new CancellationTokenSource();
    const cancelled = client.connection.sendRequest('workspace/executeCommand', { command: 'kubefile.build', arguments: [{ uri, tag: 'cancelled:v1', noCache: true }] }, source.token);
    setTimeout(() => source.cancel(), 150);
    // As LSP's RequestCancelled, so the client shows it as cancelled, not failed.
    await assert.rejects(cancelled, (error: { code?: number; message?: string; data?: { code?: string } }) => error.code === -32800 && error.message === 'build cancelled' && error.data?.code === 'INTERRUPTED');
    const store = await ImageStore.open(root());
    assert.equal(await store.findImage('cancelled:v1'), undefined);
    const { readdir } = await import('node:fs/promises');
    // The server is idle again once the build has unwound; nothing is left in tmp/.
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.deepEqual(await readdir(join(root(), 'tmp')), []);
  });

  it('kubefile.build fails with the line to blame as data: a Kubefile error, a RUN that fails, a context file naming an unreachable image', async () => {
    type Failure = { code?: number; message?: string; data?: { code: string; message: string; location?: { uri: string; line: number; character: number } } };
    const failureOf = async (text: string, args: Record<string, unknown> = {}): Promise<Failure> => {
      await client.open(uri, text);
      await client.diagnosticsFor(uri, 1);
      try {
        await client.connection.sendRequest('workspace/executeCommand', { command: 'kubefile.build', arguments: [{ uri, tag: 'failing:v1', platforms: ['linux/amd64'], ...args }] });
      } catch (error) {
        return error as Failure;
      }
      return assert.fail('the build succeeded');
    };
    const kubefileError = await failureOf('FROM scratch\nCOPY nowhere.yaml manifests/\n');
    assert.equal(kubefileError.data?.code, 'KUBEFILE');
    assert.deepEqual(kubefileError.data?.location, { uri, line: 1, character: 5 });
    assert.match(kubefileError.message ?? '', /^the Kubefile has an error: 2:6 /);

    const run = await failureOf('FROM scratch\nCOPY amd64/helm bin/\nRUN exit 3\n', { noCache: true });
    assert.equal(run.data?.code, 'RUN_FAILED');
    assert.deepEqual(run.data?.location, { uri, line: 2, character: 0 });

    // The build args of the request reach the build (a missing one is the Kubefile's error).
    const missing = await failureOf('FROM scratch\nARG SRC\nCOPY ${SRC} bin/\n');
    assert.equal(missing.data?.code, 'KUBEFILE');
    await client.open(uri, 'FROM scratch\nARG SRC\nCOPY ${SRC} bin/\n');
    const built = await client.connection.sendRequest<{ image: string }>('workspace/executeCommand', { command: 'kubefile.build', arguments: [{ uri, tag: 'with-arg:v1', platforms: ['linux/amd64'], buildArgs: { SRC: 'amd64/helm' } }] });
    assert.equal(built.image, 'with-arg:v1');

    // A manifest the build copies names an image it cannot reach: the failure is at that context file's line,
    // and says which option builds without it; with that ignore list (relative to the Kubefile), it builds.
    await mkdir(join(dir, 'deploy'));
    await writeFile(join(dir, 'deploy', 'app.yaml'), 'kind: Pod\nspec:\n  containers:\n    - image: 127.0.0.1:1/nowhere/app:v1\n');
    await writeFile(join(dir, 'offline.txt'), '127.0.0.1:1/nowhere/app:v1\n');
    const collect = await failureOf('FROM scratch\nCOPY deploy manifests/\n', { noCache: true });
    assert.deepEqual(collect.data?.location, { uri: pathToFileURL(join(dir, 'deploy', 'app.yaml')).href, line: 3, character: 0 });
    assert.match(collect.message ?? '', /named by manifests\/app\.yaml:4 in the image.*--ignore-image-list/);
    const offline = await client.connection.sendRequest<{ image: string }>('workspace/executeCommand', {
      command: 'kubefile.build',
      arguments: [{ uri, tag: 'offline:v1', platforms: ['linux/amd64'], ignoreImageLists: ['offline.txt'] }],
    });
    assert.equal(offline.image, 'offline:v1');

    const list = await failureOf('FROM scratch\n', { ignoreImageLists: ['no-such-list.txt'] });
    assert.deepEqual([list.data?.code, list.message], ['SOURCE', 'cannot read image list no-such-list.txt: no such file']);
  });

  it('answers unknown documents and commands without crashing', async () => {
    await assert.rejects(client.connection.sendRequest('workspace/executeCommand', { command: 'kubefile.nope', arguments: [] }), /unknown command kubefile\.nope/);
    await assert.rejects(client.connection.sendRequest('workspace/executeCommand', { command: 'kubefile.inspect', arguments: [{ name: 'missing:v1' }] }), /missing:v1 is not in the store/);
    await client.open(uri, 'FROM scratch\n');
    assert.deepEqual(await client.diagnosticsFor(uri, 1), []);
  });

  it('is also `kubefilec lsp --stdio`, and exits on the client\'s exit', async () => {
    const { client: viaCli, result } = await LspClient.start({}, CLI_SERVER);
    try {
      assert.equal(result.serverInfo?.name, 'kubefile-language-server');
      await viaCli.open(uri, 'FROM scratch\nCOPPY a b\n');
      assert.deepEqual((await viaCli.diagnosticsFor(uri, 1)).map((d) => d.code), ['KF1001']);
    } finally {
      await viaCli.stop();
    }
    const exited = await new Promise<number | null>((resolve) => (viaCli.child.exitCode !== null ? resolve(viaCli.child.exitCode) : viaCli.child.on('exit', resolve)));
    assert.equal(exited, 0);
  });
});

describe('kubefile.lint settings', () => {
  it('become the compiler options', () => {
    assert.deepEqual(readLintSettings({ enable: ['KF2012'], disable: ['KF2017', 'SC2086'], severity: { KF2021: 'error', SC2006: 'off' } }), {
      enable: ['KF2012'],
      disable: ['KF2017', 'SC2086'],
      severity: { KF2021: 'error', SC2006: 'off' },
      problems: [],
    });
  });

  it('unknown codes and severities are left out and named, per setting', () => {
    const read = readLintSettings({ enable: ['kf2012'], disable: ['KF2005', 'X1', 'X2'], severity: { KF2021: 'fatal', NOPE: 'off', KF2005: 'info' } });
    assert.deepEqual([read.enable, read.disable, read.severity], [[], ['KF2005'], { KF2005: 'info' }]);
    assert.deepEqual(read.problems, [
      'kubefile.lint.enable: unknown code kf2012',
      'kubefile.lint.disable: unknown codes X1, X2',
      'kubefile.lint.severity: unknown code NOPE',
      'kubefile.lint.severity: KF2021: fatal (a severity is error, warning, info, hint, off)',
    ]);
  });

  it('nothing set: nothing changes', () => assert.deepEqual(readLintSettings(undefined), { enable: [], disable: [], severity: {}, problems: [] }));
});

