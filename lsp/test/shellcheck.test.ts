/** ShellCheck in the language server, over stdio: compile diagnostics at once, ShellCheck's after, per version. */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { nodeShellChecker } from '@kubefile/compiler/node';
import type { Diagnostic, PublishDiagnosticsParams } from 'vscode-languageserver';
import { LspClient } from './client.js';

const isShellCheck = (d: Diagnostic) => d.source === 'shellcheck';

describe('language server with ShellCheck', function () {
  this.timeout(60_000);
  let dir: string;
  let client: LspClient;
  let uri: string;

  before(async () => {
    if (!(await nodeShellChecker())) throw new Error('shellcheck is not installed: run scripts/install-system-deps.sh');
  });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kubefile-lsp-shellcheck-'));
    uri = pathToFileURL(join(dir, 'Kubefile')).href;
  });
  afterEach(async () => {
    await client.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** The publications of `version` so far, once one satisfies `until` (or after `timeoutMs`). */
  async function publications(version: number, until: (p: PublishDiagnosticsParams) => boolean, timeoutMs = 10_000): Promise<PublishDiagnosticsParams[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const mine = (await client.allDiagnostics(uri)).filter((p) => p.version === version);
      if (mine.some(until) || Date.now() > deadline) return mine;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it('publishes the compile diagnostics first, then again with ShellCheck findings at their place', async () => {
    ({ client } = await LspClient.start({ kubefile: {} }));
    await client.open(uri, 'FROM scratch\nRUN echo hello \\\n  && echo $1\n');
    const [first, ...later] = await publications(1, (p) => p.diagnostics.some(isShellCheck));
    assert.ok(first, 'nothing published');
    assert.deepEqual(first.diagnostics.filter(isShellCheck), [], 'the first publication waits for no ShellCheck run');
    const last = later[later.length - 1];
    assert.ok(last, 'no publication with ShellCheck findings');
    assert.deepEqual(last.diagnostics.filter(isShellCheck), [
      {
        range: { start: { line: 2, character: 10 }, end: { line: 2, character: 12 } },
        severity: 3,
        code: 'SC2086',
        codeDescription: { href: 'https://www.shellcheck.net/wiki/SC2086' },
        source: 'shellcheck',
        message: 'Double quote to prevent globbing and word splitting.',
      },
    ]);
    // The compile's diagnostics are still there.
    assert.deepEqual(last.diagnostics.filter((d) => !isShellCheck(d)), first.diagnostics);

    // An edit elsewhere: the unchanged command keeps its finding (moved with it) in the very first publication.
    await client.connection.sendNotification('textDocument/didChange', {
      textDocument: { uri, version: 2 },
      contentChanges: [{ range: { start: { line: 1, character: 0 }, end: { line: 1, character: 0 } }, text: 'LABEL a=b\n' }],
    });
    const [next] = await publications(2, () => true);
    assert.deepEqual(next!.diagnostics.filter(isShellCheck).map((d) => [d.code, d.range.start]), [['SC2086', { line: 3, character: 10 }]]);
  });

  it('kubefile.lint answers with the ShellCheck findings, under the ignore comments', async () => {
    ({ client } = await LspClient.start({ kubefile: {} }));
    await client.open(uri, 'FROM scratch\nRUN echo $1\n# kubefile-lint ignore=SC2086\nRUN echo $2\n');
    const lint = await client.connection.sendRequest<Diagnostic[]>('workspace/executeCommand', { command: 'kubefile.lint', arguments: [{ uri }] });
    assert.deepEqual(lint.filter(isShellCheck).map((d) => [d.code, d.range.start]), [['SC2086', { line: 1, character: 9 }]]);
  });

  it('drops the findings of a version edited away, and checks the new one', async () => {
    ({ client } = await LspClient.start({ kubefile: {} }));
    await client.open(uri, 'FROM scratch\nRUN echo $1\n');
    await publications(1, (p) => p.diagnostics.some(isShellCheck));
    await client.connection.sendNotification('textDocument/didChange', {
      textDocument: { uri, version: 2 },
      contentChanges: [{ range: { start: { line: 1, character: 9 }, end: { line: 1, character: 11 } }, text: '"$1" && cd /x' }],
    });
    const second = await publications(2, (p) => p.diagnostics.some((d) => d.code === 'SC2164'));
    assert.deepEqual(second[0]!.diagnostics.filter(isShellCheck), []);
    assert.deepEqual(second[second.length - 1]!.diagnostics.filter(isShellCheck).map((d) => d.code), ['SC2164']);
  });

  it('kubefile.shellcheck.enable false turns it off', async () => {
    ({ client } = await LspClient.start({ kubefile: { shellcheck: { enable: false } } }));
    await client.open(uri, 'FROM scratch\nRUN echo $1\n');
    const published = await publications(1, (p) => p.diagnostics.some(isShellCheck), 1500);
    assert.ok(published.length > 0);
    assert.deepEqual(published.flatMap((p) => p.diagnostics.filter(isShellCheck)), []);
  });

  it('a kubefile.shellcheck.path that is not there checks nothing and breaks nothing', async () => {
    ({ client } = await LspClient.start({ kubefile: { shellcheck: { path: join(dir, 'no-shellcheck') } } }));
    await client.open(uri, 'FROM scratch\nRUN echo $1\nCOPPY a b\n');
    const published = await publications(1, (p) => p.diagnostics.some(isShellCheck), 1500);
    assert.deepEqual(published[0]!.diagnostics.map((d) => d.code), ['KF2017', 'KF1001']);
    assert.deepEqual(published.flatMap((p) => p.diagnostics.filter(isShellCheck)), []);
  });
});
