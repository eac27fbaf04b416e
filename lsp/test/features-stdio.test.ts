/** Each feature through the real server over stdio: the wiring, the capabilities and the exact answers. */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CodeAction, CompletionItem, DocumentSymbol, Hover, InitializeResult, InlayHint, Location, MarkupContent, SignatureHelp, TextEdit, WorkspaceEdit } from 'vscode-languageserver';
import { LspClient } from './client.js';

const TEXT = 'from scratch\nARG Version=v1\nCOPY app.yaml manifests\nLABEL version=${Version}\nCMD kubectl apply -f manifests\n';

describe('language features over stdio', function () {
  this.timeout(30_000);
  let dir: string;
  let client: LspClient;
  let initialized: InitializeResult;
  let uri: string;
  const request = <T>(method: string, params: object): Promise<T> => client.connection.sendRequest<T>(method, { textDocument: { uri }, ...params });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kubefile-lsp-features-'));
    await writeFile(join(dir, 'app.yaml'), 'kind: ConfigMap\n');
    uri = pathToFileURL(join(dir, 'Kubefile')).href;
    ({ client, result: initialized } = await LspClient.start({ kubefile: { platforms: ['linux/amd64'] } }));
    await client.open(uri, TEXT);
    await client.diagnosticsFor(uri, 1);
  });
  after(async () => {
    await client.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('announces every feature', () => {
    const c = initialized.capabilities;
    for (const key of ['completionProvider', 'hoverProvider', 'definitionProvider', 'referencesProvider', 'documentHighlightProvider', 'renameProvider', 'documentSymbolProvider', 'foldingRangeProvider', 'documentLinkProvider', 'semanticTokensProvider', 'documentFormattingProvider', 'documentRangeFormattingProvider', 'codeActionProvider', 'executeCommandProvider', 'signatureHelpProvider', 'documentOnTypeFormattingProvider', 'inlayHintProvider'] as const) {
      assert.ok(c[key], key);
    }
    assert.equal(c.completionProvider?.resolveProvider, true);
  });

  it('completionItem/resolve adds the documentation of a completed keyword', async () => {
    const items = await request<CompletionItem[]>('textDocument/completion', { position: { line: 2, character: 2 } });
    const copy = items.find((item) => item.label === 'COPY');
    assert.ok(copy && copy.documentation === undefined);
    const resolved = await client.connection.sendRequest<CompletionItem>('completionItem/resolve', copy);
    assert.match((resolved.documentation as MarkupContent).value, /Copies files/);
  });

  it('signature help highlights the COPY source', async () => {
    const help = await request<SignatureHelp>('textDocument/signatureHelp', { position: { line: 2, character: 6 } });
    const signature = help.signatures[0];
    const [start, end] = signature.parameters?.[help.activeParameter ?? -1]?.label as [number, number];
    assert.equal(signature.label.slice(start, end), '<src>...');
  });

  it('on-type formatting indents a continuation line, and inlay hints expand ${ARCH}', async () => {
    const continued = pathToFileURL(join(dir, 'continued.kubefile')).href;
    await client.open(continued, 'FROM scratch\nCOPY ${ARCH}/app.yaml manifests \\\n');
    await client.diagnosticsFor(continued, 1);
    const textDocument = { uri: continued };
    const edits = await client.connection.sendRequest<TextEdit[]>('textDocument/onTypeFormatting', { textDocument, position: { line: 2, character: 0 }, ch: '\n', options: { tabSize: 4, insertSpaces: true } });
    assert.deepEqual(edits.map((e) => e.newText), ['    ']);
    const range = { start: { line: 0, character: 0 }, end: { line: 3, character: 0 } };
    const hints = await client.connection.sendRequest<InlayHint[]>('textDocument/inlayHint', { textDocument, range });
    assert.deepEqual(hints.map((h) => h.label), ['→ amd64/app.yaml (no match)']);
  });

  it('completion offers COPY at the start of a line', async () => {
    const items = await request<CompletionItem[]>('textDocument/completion', { position: { line: 2, character: 2 } });
    assert.ok(items.some((item) => item.label === 'COPY'));
  });

  it('hover shows a variable\'s value on the platform', async () => {
    const result = await request<Hover>('textDocument/hover', { position: { line: 3, character: 18 } });
    assert.match((result.contents as MarkupContent).value, /v1/);
  });

  it('definition and references of an ARG', async () => {
    const definition = await request<Location[]>('textDocument/definition', { position: { line: 3, character: 18 } });
    assert.deepEqual(definition.map((l) => l.range.start), [{ line: 1, character: 4 }]);
    const references = await request<Location[]>('textDocument/references', { position: { line: 1, character: 5 }, context: { includeDeclaration: true } });
    assert.deepEqual(references.map((l) => l.range.start.line), [1, 3]);
  });

  it('rename changes the declaration and every use', async () => {
    const edit = await request<WorkspaceEdit>('textDocument/rename', { position: { line: 1, character: 5 }, newName: 'Release' });
    assert.deepEqual(edit.changes?.[uri]?.map((e) => [e.range.start.line, e.newText]).sort(), [[1, 'Release'], [3, 'Release']]);
  });

  it('formatting upper-cases the keyword', async () => {
    const edits = await request<TextEdit[]>('textDocument/formatting', { options: { tabSize: 4, insertSpaces: true } });
    assert.deepEqual(edits.map((e) => [e.range.start.line, e.newText]), [[0, 'FROM']]);
  });

  it('document symbols outline the instructions', async () => {
    const symbols = await request<DocumentSymbol[]>('textDocument/documentSymbol', {});
    assert.equal(symbols.length, 5);
  });

  it('semantic tokens: keywords and variables, the declaration marked', async () => {
    const { data } = await request<{ data: number[] }>('textDocument/semanticTokens/full', {});
    const types = initialized.capabilities.semanticTokensProvider?.legend.tokenTypes ?? [];
    const decoded: [number, number, number, string, number][] = [];
    for (let i = 0, line = 0, character = 0; i < data.length; i += 5) {
      character = data[i] === 0 ? character + data[i + 1] : data[i + 1];
      line += data[i];
      decoded.push([line, character, data[i + 2], types[data[i + 3]], data[i + 4]]);
    }
    assert.deepEqual(decoded, [
      [0, 0, 4, 'keyword', 0],
      [1, 0, 3, 'keyword', 0],
      [1, 4, 7, 'variable', 1],
      [2, 0, 4, 'keyword', 0],
      [3, 0, 5, 'keyword', 0],
      [3, 14, 10, 'variable', 0],
      [4, 0, 3, 'keyword', 0],
    ]);
  });

  it('folding ranges cover continuations and comment blocks', async () => {
    const folded = pathToFileURL(join(dir, 'folded.kubefile')).href;
    await client.open(folded, '# one\n# two\nFROM scratch\nCMD echo a \\\n  && echo b \\\n  && echo c\n');
    await client.diagnosticsFor(folded, 1);
    const ranges = await client.connection.sendRequest<{ startLine: number; endLine: number; kind?: string }[]>('textDocument/foldingRange', { textDocument: { uri: folded } });
    assert.deepEqual(ranges.map((r) => [r.startLine, r.endLine, r.kind ?? null]), [[0, 1, 'comment'], [3, 5, null]]);
  });

  it('document links open COPY sources', async () => {
    const links = await request<{ target?: string }[]>('textDocument/documentLink', {});
    assert.ok(links.some((link) => link.target?.endsWith('/app.yaml')));
  });

  it('code actions offer the near-miss keyword fix', async () => {
    const other = pathToFileURL(join(dir, 'other.kubefile')).href;
    await client.open(other, 'FROM scratch\nCOPPY app.yaml manifests\n');
    const [diagnostic] = await client.diagnosticsFor(other, 1);
    const actions = await client.connection.sendRequest<CodeAction[]>('textDocument/codeAction', { textDocument: { uri: other }, range: diagnostic.range, context: { diagnostics: [diagnostic] } });
    const fix = actions.find((a) => a.kind === 'quickfix');
    assert.ok(fix, JSON.stringify(actions));
    assert.deepEqual(fix.edit?.changes?.[other]?.map((e) => e.newText), ['COPY']);
  });
});
