/**
 * Robustness: thousands of random edits and requests against the real server, cancellations
 * included. The server must answer every request (or refuse it with a proper LSP error), log no
 * failure, and still be alive and correct at the end.
 */
import assert from 'node:assert/strict';
import { CancellationTokenSource } from 'vscode-jsonrpc/node';
import type { Diagnostic } from 'vscode-languageserver';
import { LspClient } from './client.js';

const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
const PIECES = ['FROM ', 'COPY ', 'RUN ', 'CMD ', 'ARG ', 'ENV ', 'APP ', 'LAUNCH ', '${', '}', '$', 'ARCH', '\\\n', '\n', ' ', '"', "'", '[', ']', ',', '=', '--', '<<EOF\n', 'EOF\n', '# ', 'x', 'bin', 'manifests', '\t', '\r\n', 'é', '😀'];
const METHODS = ['textDocument/completion', 'textDocument/hover', 'textDocument/definition', 'textDocument/references', 'textDocument/documentHighlight', 'textDocument/documentSymbol', 'textDocument/foldingRange', 'textDocument/semanticTokens/full', 'textDocument/formatting', 'textDocument/rangeFormatting', 'textDocument/codeAction', 'textDocument/rename', 'textDocument/prepareRename', 'textDocument/documentLink', 'textDocument/signatureHelp', 'textDocument/onTypeFormatting', 'textDocument/inlayHint'];

function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

describe('language server fuzzing', function () {
  this.timeout(120_000);

  it('survives random edits and requests, answering each', async () => {
    const { client } = await LspClient.start({});
    const logged: string[] = [];
    client.connection.onNotification('window/logMessage', (params: { type: number; message: string }) => {
      if (params.type === 1) logged.push(params.message);
    });
    const next = random(20261123);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)];
    const uri = 'file:///tmp/kubefile-fuzz/Kubefile';
    let text = 'FROM scratch\nARG A=1\nCOPY ${A} bin\n';
    let version = 1;
    await client.open(uri, text, version);
    const pending: Promise<unknown>[] = [];
    const position = () => {
      const lines = text.split('\n');
      // Some positions fall outside the text on purpose.
      const line = Math.floor(next() * (lines.length + 2));
      return { line, character: Math.floor(next() * ((lines[line]?.length ?? 3) + 3)) };
    };
    for (let i = 0; i < 2000 * SCALE; i++) {
      if (next() < 0.5) {
        const at = Math.floor(next() * (text.length + 1));
        const removed = next() < 0.3 ? Math.floor(next() * 8) : 0;
        const insert = removed > 0 && next() < 0.5 ? '' : pick(PIECES);
        const before = text.slice(0, at);
        const startLine = before.split('\n').length - 1;
        const start = { line: startLine, character: at - (before.lastIndexOf('\n') + 1) };
        const endText = text.slice(0, at + removed);
        const endLine = endText.split('\n').length - 1;
        const end = { line: endLine, character: Math.min(at + removed, text.length) - (endText.lastIndexOf('\n') + 1) };
        text = text.slice(0, at) + insert + text.slice(at + removed);
        version++;
        await client.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ range: { start, end }, text: insert }] });
      } else {
        const method = pick(METHODS);
        const source = new CancellationTokenSource();
        const p = position();
        const params = { textDocument: { uri }, position: p, range: { start: p, end: position() }, context: { includeDeclaration: true, diagnostics: [] }, options: { tabSize: 4, insertSpaces: true }, ch: '\n', newName: pick(['B', 'not a name', '']) };
        pending.push(
          client.connection.sendRequest(method, params, source.token).catch((error: { code?: number; message?: string }) => {
            // Refusals (bad rename, cancelled request) are answers; anything else is a failure.
            if (error.code !== -32800 && error.code !== -32803 && error.code !== -32602 && error.code !== -32600) throw new Error(`${method}: ${error.message}`);
          }),
        );
        if (next() < 0.1) source.cancel();
      }
    }
    await Promise.all(pending);
    // Still alive and right: a final known text gets its exact diagnostics.
    version++;
    const end = text.split('\n');
    await client.connection.sendNotification('textDocument/didChange', {
      textDocument: { uri, version },
      contentChanges: [{ range: { start: { line: 0, character: 0 }, end: { line: end.length - 1, character: end[end.length - 1].length } }, text: 'FROM scratch\nCOPPY a b\n' }],
    });
    const final: Diagnostic[] = await client.diagnosticsFor(uri, version);
    assert.deepEqual(final.map((d) => d.code), ['KF1001']);
    assert.deepEqual(logged, [], 'no handler failed');
    await client.stop();
  });
});
