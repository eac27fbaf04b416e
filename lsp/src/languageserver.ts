/**
 * The values the server takes from vscode-languageserver (its enums, errors, builders and the
 * connection), imported from the package here only; types come from the package directly. The
 * package is CommonJS, and in the server's bundle every module importing a value from it gets its own
 * copy of the package's ~320 exports, as getters (esbuild's CommonJS interop): a dozen such modules
 * cost each start tens of milliseconds.
 */
export {
  CodeActionKind,
  CompletionItemKind,
  CompletionItemTag,
  createConnection,
  DiagnosticSeverity,
  DiagnosticTag,
  DidChangeWatchedFilesNotification,
  DocumentHighlightKind,
  ErrorCodes,
  FoldingRangeKind,
  InlayHintKind,
  InsertTextFormat,
  LSPErrorCodes,
  MarkupKind,
  ProposedFeatures,
  ResponseError,
  SemanticTokensBuilder,
  SymbolKind,
  TextDocuments,
  TextDocumentSyncKind,
} from 'vscode-languageserver/node';
