/**
 * Request handlers: each one looks up the document's analysis and calls a pure feature. A handler
 * never throws to the connection: failures are logged and answered with an empty result.
 */
import type { CompletionItem, ServerCapabilities } from 'vscode-languageserver';
import type { Analysis, FeatureContext } from './analysis.js';
import { codeActions } from './code-actions.js';
import { registerCommands } from './commands.js';
import { ResponseError, TextDocumentSyncKind } from './languageserver.js';
import { COMMANDS } from './protocol.js';
import { completion } from './completion.js';
import { resolveCompletion } from './completion-resolve.js';
import { inlayHints } from './inlay-hints.js';
import { onTypeFormat, ON_TYPE_TRIGGERS } from './on-type-format.js';
import { signatureHelp } from './signature-help.js';
import { format } from './format.js';
import { hover } from './hover.js';
import { definition, documentHighlight, prepareRename, references, rename } from './navigation.js';
import { SEMANTIC_TOKEN_LEGEND, semanticTokens } from './semantic-tokens.js';
import type { KubefileServer } from './server.js';
import { documentLinks, documentSymbols, foldingRanges } from './structure.js';

/** Runs `work` on the document's analysis; logs and returns `fallback` on any failure. */
export async function withAnalysis<T>(server: KubefileServer, uri: string, fallback: T, work: (analysis: Analysis, context: FeatureContext) => T | Promise<T>): Promise<T> {
  try {
    const analysis = await server.analysisOf(uri);
    if (!analysis) return fallback;
    return await work(analysis, server.featureContext(uri));
  } catch (error) {
    // A rename refused for a bad name is an answer, not a failure.
    if (error instanceof ResponseError) throw error;
    server.connection.console.error(`request on ${uri} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return fallback;
  }
}

/** Resolve requests name no document: the item's `data` carries its URI. */
function withDocumentUri(item: CompletionItem, uri: string): CompletionItem {
  return item.data === undefined ? item : { ...item, data: { ...(item.data as object), uri } };
}

function documentUriOf(data: unknown): string | undefined {
  return typeof data === 'object' && data !== null && 'uri' in data && typeof data.uri === 'string' ? data.uri : undefined;
}

/** Features refuse some requests with a ResponseError value (rename to an invalid name); send it as the error. */
function answer<T>(result: T | ResponseError<void>): T {
  if (result instanceof ResponseError) throw result;
  return result;
}

export function registerFeatures(server: KubefileServer): void {
  const { connection } = server;
  connection.onCompletion(({ textDocument, position }) =>
    withAnalysis(server, textDocument.uri, [], async (a, c) => (await completion(a, position, c)).map((item) => withDocumentUri(item, textDocument.uri))),
  );
  connection.onCompletionResolve((item) => {
    const uri = documentUriOf(item.data);
    return uri ? withAnalysis(server, uri, item, (a) => resolveCompletion(a, item)) : item;
  });
  connection.onSignatureHelp(({ textDocument, position }) => withAnalysis(server, textDocument.uri, null, (a) => signatureHelp(a, position)));
  connection.onDocumentOnTypeFormatting(({ textDocument, position, ch, options }) => withAnalysis(server, textDocument.uri, [], (a) => onTypeFormat(a, position, ch, options)));
  connection.languages.inlayHint.on(({ textDocument, range }) => withAnalysis(server, textDocument.uri, [], (a, c) => inlayHints(a, range, c)));
  connection.onHover(({ textDocument, position }) => withAnalysis(server, textDocument.uri, null, (a, c) => hover(a, position, c)));
  connection.onDefinition(({ textDocument, position }) => withAnalysis(server, textDocument.uri, null, (a) => definition(a, position, textDocument.uri)));
  connection.onReferences(({ textDocument, position, context }) =>
    withAnalysis(server, textDocument.uri, null, (a) => references(a, position, textDocument.uri, context.includeDeclaration)),
  );
  connection.onDocumentHighlight(({ textDocument, position }) => withAnalysis(server, textDocument.uri, [], (a) => documentHighlight(a, position)));
  connection.onPrepareRename(({ textDocument, position }) => withAnalysis(server, textDocument.uri, null, (a) => answer(prepareRename(a, position))));
  connection.onRenameRequest(({ textDocument, position, newName }) => withAnalysis(server, textDocument.uri, null, (a) => answer(rename(a, position, newName, textDocument.uri))));
  connection.onDocumentSymbol(({ textDocument }) => withAnalysis(server, textDocument.uri, [], (a) => documentSymbols(a)));
  connection.onFoldingRanges(({ textDocument }) => withAnalysis(server, textDocument.uri, [], (a) => foldingRanges(a)));
  connection.onDocumentLinks(({ textDocument }) => withAnalysis(server, textDocument.uri, [], (a, c) => documentLinks(a, c)));
  connection.languages.semanticTokens.on(({ textDocument }) => withAnalysis(server, textDocument.uri, { data: [] }, (a) => ({ data: semanticTokens(a) })));
  connection.onDocumentFormatting(({ textDocument, options }) => withAnalysis(server, textDocument.uri, [], (a) => format(a, options)));
  connection.onDocumentRangeFormatting(({ textDocument, options, range }) => withAnalysis(server, textDocument.uri, [], (a) => format(a, { ...options, range })));
  connection.onCodeAction(({ textDocument, range, context }) =>
    withAnalysis(server, textDocument.uri, [], (a) => codeActions(a, range, context.diagnostics, textDocument.uri, { only: context.only, findings: server.shellFindingsOf(textDocument.uri, a), clientCommands: server.clientCommands })),
  );
  registerCommands(server);
}

registerFeatures.capabilities = {
  textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
  completionProvider: { triggerCharacters: ['$', '{', '-', '/', '=', '"'], resolveProvider: true },
  signatureHelpProvider: { triggerCharacters: [' ', '='] },
  documentOnTypeFormattingProvider: { firstTriggerCharacter: ON_TYPE_TRIGGERS[0] },
  inlayHintProvider: true,
  hoverProvider: true,
  definitionProvider: true,
  referencesProvider: true,
  documentHighlightProvider: true,
  renameProvider: { prepareProvider: true },
  documentSymbolProvider: true,
  foldingRangeProvider: true,
  documentLinkProvider: { resolveProvider: false },
  semanticTokensProvider: { legend: { tokenTypes: [...SEMANTIC_TOKEN_LEGEND.tokenTypes], tokenModifiers: [...SEMANTIC_TOKEN_LEGEND.tokenModifiers] }, full: true },
  documentFormattingProvider: true,
  documentRangeFormattingProvider: true,
  codeActionProvider: { codeActionKinds: ['quickfix', 'refactor.rewrite', 'source.fixAll'] },
  executeCommandProvider: { commands: [...COMMANDS] },
} satisfies ServerCapabilities;
