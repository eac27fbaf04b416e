/**
 * The language server: wires the pure features to an LSP connection (vscode-languageserver).
 * Documents sync incrementally; each change is reparsed where it changed (`reparse`), compiled
 * again, and diagnostics are published unless a newer version arrived meanwhile. Every handler catches and logs: no request, order or input may crash it.
 */
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { applyRuleControl, CachedContext, CompileMemo, type ImageCatalog, isRuleCode, parsePlatformList, platformFromNode, type BuildContext } from '@kubefile/compiler';
import { nodeContext, nodeSha256 } from '@kubefile/compiler/node';
import { isReported, parse, reparse, type Diagnostic, type ParseResult, type Severity } from '@kubefile/grammar';
import type { Connection, InitializeParams, InitializeResult, MessageActionItem } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { analyze, DEFAULT_SETTINGS, type Analysis, type FeatureContext, type LanguageSettings } from './analysis.js';
import { toLspDiagnostic } from './convert.js';
import { registerFeatures } from './handlers.js';
import { createConnection, DidChangeWatchedFilesNotification, ProposedFeatures, TextDocuments } from './languageserver.js';
import { CLIENT_COMMANDS } from './protocol.js';
import { ShellCheckRunner } from './shellcheck.js';
import { warmUp } from './warm-up.js';

export const SERVER_NAME = 'kubefile-language-server';

/** Settings as a client sends them (`kubefile.platforms`, `kubefile.buildArgs`, `kubefile.root`, `kubefile.lint.*`). */
export interface ClientSettings {
  platforms?: string[] | string;
  buildArgs?: Record<string, string> | string[];
  root?: string;
  /** `kubefile.shellcheck.enable` (default true) and `kubefile.shellcheck.path`. */
  shellcheck?: { enable?: boolean; path?: string };
  lint?: { enable?: string[]; disable?: string[]; severity?: Record<string, string> };
}

const SEVERITIES: readonly string[] = ['error', 'warning', 'info', 'hint', 'off'];

/**
 * `kubefile.lint.*` as the compiler's rule-control options. Unknown codes and severities are left
 * out and named in `problems` (one line per setting), so the rest still applies.
 */
export function readLintSettings(lint: ClientSettings['lint']): Pick<LanguageSettings, 'enable' | 'disable' | 'severity'> & { problems: string[] } {
  const problems: string[] = [];
  const codes = (setting: string, list: unknown): string[] => {
    if (!Array.isArray(list)) return [];
    const strings = list.filter((c): c is string => typeof c === 'string');
    const unknown = strings.filter((c) => !isRuleCode(c));
    if (unknown.length > 0 || strings.length < list.length) problems.push(`kubefile.lint.${setting}: unknown code${unknown.length === 1 ? '' : 's'} ${unknown.join(', ') || '(not a string)'}`);
    return strings.filter(isRuleCode);
  };
  const enable = codes('enable', lint?.enable);
  const disable = codes('disable', lint?.disable);
  const severity: Record<string, Severity | 'off'> = {};
  const entries = lint?.severity && typeof lint.severity === 'object' ? Object.entries(lint.severity) : [];
  const badCodes = entries.filter(([code]) => !isRuleCode(code)).map(([code]) => code);
  const badValues = entries.filter(([code, value]) => isRuleCode(code) && !SEVERITIES.includes(value)).map(([code, value]) => `${code}: ${String(value)}`);
  if (badCodes.length > 0) problems.push(`kubefile.lint.severity: unknown code${badCodes.length === 1 ? '' : 's'} ${badCodes.join(', ')}`);
  if (badValues.length > 0) problems.push(`kubefile.lint.severity: ${badValues.join(', ')} (a severity is ${SEVERITIES.join(', ')})`);
  for (const [code, value] of entries) if (isRuleCode(code) && SEVERITIES.includes(value)) severity[code] = value as Severity | 'off';
  return { enable, disable, severity, problems };
}

/** What the server keeps per open document. */
interface DocumentState {
  version: number;
  analysis: Promise<Analysis>;
}

/** An open document's latest parse and compile memo: the next version is worked on only where it changed. */
interface ParsedVersion {
  version: number;
  parsed: ParseResult;
  memo: CompileMemo;
}

export class KubefileServer {
  readonly documents = new TextDocuments(TextDocument);
  private settings: LanguageSettings;
  private storeRoot: string | undefined;
  /** Whether the client asked for build logs as `kubefile/buildLog` notifications rather than log messages. */
  buildLogAsNotification = false;
  /** The commands the client said it runs itself (`initializationOptions.clientCommands`), offered in code actions. */
  clientCommands: readonly string[] = [];
  private readonly analyses = new Map<string, DocumentState>();
  private readonly parses = new Map<string, ParsedVersion>();
  private readonly contexts = new Map<string, CachedContext>();
  /** The runtime (image store), loaded on first need: a server that never sees an image never loads it. */
  private runtime: Promise<typeof import('@kubefile/runtime')> | undefined;
  /** The runtime's loading, asked for by an analysis (it starts once that analysis is done). */
  private runtimeWanted: NodeJS.Immediate | undefined;
  private loadedRuntime: typeof import('@kubefile/runtime') | undefined;
  /** ShellCheck findings (KF4001), worked out after each version's compile, never on the edit path. */
  readonly shellcheck: ShellCheckRunner;
  /** Settled when the client says `initialized`: it has the answer to `initialize`. */
  readonly initialized: Promise<void>;
  private markInitialized: () => void = () => undefined;

  constructor(readonly connection: Connection) {
    this.shellcheck = new ShellCheckRunner((message) => connection.console.warn(message));
    const host = platformFromNode(process.platform, process.arch);
    this.settings = { ...DEFAULT_SETTINGS, platforms: [host], buildPlatform: host, sha256: nodeSha256 };
    this.initialized = new Promise((resolve) => (this.markInitialized = resolve));
  }

  /** The analysis of the document's current version (computed once per version). */
  analysisOf(uri: string): Promise<Analysis> | undefined {
    const document = this.documents.get(uri);
    if (!document) return undefined;
    const state = this.analyses.get(uri);
    if (state && state.version === document.version) return state.analysis;
    const { parsed, memo } = this.parsedOf(uri, document);
    const analysis = analyze(parsed, this.settings, this.contextOf(uri), memo, this.storeCatalog());
    this.analyses.set(uri, { version: document.version, analysis });
    return analysis;
  }

  private parsedOf(uri: string, document: TextDocument): ParsedVersion {
    const last = this.parses.get(uri);
    if (last?.version === document.version) return last;
    const parsed = last ? reparse(last.parsed, document.getText()) : parse(document.getText());
    const next = { version: document.version, parsed, memo: last?.memo ?? new CompileMemo() };
    this.parses.set(uri, next);
    return next;
  }

  featureContext(uri: string): FeatureContext {
    const buildContext = this.contextOf(uri);
    const dir = this.contextDir(uri);
    return {
      settings: this.settings,
      ...(buildContext && dir ? { buildContext, contextUri: (path: string) => pathToFileURL(`${dir}/${path}`).href } : {}),
      imagePlatforms: (name) => this.imagePlatforms(name),
      images: () => this.images(),
    };
  }

  get storeRootSetting(): string | undefined {
    return this.storeRoot;
  }

  start(): void {
    const { connection, documents } = this;
    connection.onInitialize((params) => this.initialize(params));
    connection.onInitialized(() => {
      this.markInitialized();
      void this.registerWatchers();
      void this.pullSettings();
    });
    connection.onDidChangeConfiguration((change) => {
      const settings = (change.settings as { kubefile?: ClientSettings } | undefined)?.kubefile;
      if (settings) this.applySettings(settings);
      else void this.pullSettings();
    });
    // A file in a build context changed (a COPY source appeared or vanished): every open Kubefile may see it.
    connection.onDidChangeWatchedFiles(() => {
      for (const context of this.contexts.values()) context.clear();
      this.refreshAll();
    });
    documents.onDidChangeContent((change) => void this.publish(change.document.uri));
    documents.onDidClose((event) => {
      this.analyses.delete(event.document.uri);
      this.parses.delete(event.document.uri);
      this.shellcheck.forget(event.document.uri);
      void connection.sendDiagnostics({ uri: event.document.uri, diagnostics: [] });
    });
    registerFeatures(this);
    documents.listen(connection);
    connection.listen();
  }

  private initialize(params: InitializeParams): InitializeResult {
    const options = params.initializationOptions as ({ kubefile?: ClientSettings; buildLog?: string; clientCommands?: unknown } & ClientSettings) | undefined;
    this.buildLogAsNotification = options?.buildLog === 'notification';
    const commands = options?.clientCommands;
    this.clientCommands = Array.isArray(commands) ? CLIENT_COMMANDS.filter((c) => commands.includes(c)) : [];
    const settings = options && 'kubefile' in options ? options.kubefile : (options as ClientSettings | undefined);
    if (settings) this.applySettings(settings);
    return {
      capabilities: registerFeatures.capabilities,
      serverInfo: { name: SERVER_NAME, version: '0.1.0' },
    };
  }

  private async pullSettings(): Promise<void> {
    try {
      const settings = (await this.connection.workspace.getConfiguration('kubefile')) as ClientSettings | null;
      if (settings) this.applySettings(settings);
    } catch {
      // Clients without workspace/configuration keep the initialization options.
    }
  }

  applySettings(settings: ClientSettings): void {
    try {
      const platforms = typeof settings.platforms === 'string' ? [settings.platforms] : settings.platforms ?? [];
      const buildArgs = Array.isArray(settings.buildArgs)
        ? Object.fromEntries(settings.buildArgs.map((pair) => [pair.split('=')[0], pair.slice(pair.indexOf('=') + 1)]))
        : settings.buildArgs ?? {};
      const { problems, ...lint } = readLintSettings(settings.lint);
      this.settings = {
        ...this.settings,
        platforms: platforms.length > 0 ? parsePlatformList(platforms, this.settings.buildPlatform) : [this.settings.buildPlatform],
        buildArgs,
        ...lint,
      };
      this.storeRoot = settings.root || undefined;
      if (problems.length > 0) this.showError(`kubefile settings: ${problems.join('; ')}`);
      this.shellcheck.configure({ enable: settings.shellcheck?.enable !== false, ...(settings.shellcheck?.path ? { path: settings.shellcheck.path } : {}) });
    } catch (error) {
      this.showError(`kubefile settings: ${error instanceof Error ? error.message : String(error)}`);
    }
    this.refreshAll();
  }

  /**
   * An error message for the user. It is a request (`window/showMessageRequest`, whatever the
   * one-argument overload's `void` says): a client that fails it must not crash the server with an
   * unhandled rejection, so the message goes to the log then.
   */
  private showError(message: string): void {
    this.connection.window.showErrorMessage<MessageActionItem>(message).then(undefined, () => this.connection.console.error(message));
  }

  private refreshAll(): void {
    this.analyses.clear();
    // Settings or context files changed: plan everything again.
    for (const parsed of this.parses.values()) parsed.memo = new CompileMemo();
    for (const document of this.documents.all()) void this.publish(document.uri);
  }

  private async registerWatchers(): Promise<void> {
    try {
      await this.connection.client.register(DidChangeWatchedFilesNotification.type, { watchers: [{ globPattern: '**/*' }] });
    } catch {
      // The client cannot watch files: diagnostics still follow every edit.
    }
  }

  async publish(uri: string): Promise<void> {
    const document = this.documents.get(uri);
    const pending = this.analysisOf(uri);
    if (!document || !pending) return;
    try {
      const analysis = await pending;
      // A newer version came in meanwhile: its own publish will report.
      if (this.documents.get(uri)?.version !== document.version) return;
      const compiled = analysis.result.diagnostics.map(toLspDiagnostic);
      if (!isReported('KF4001', analysis.settings)) {
        await this.connection.sendDiagnostics({ uri, version: document.version, diagnostics: compiled });
        return;
      }
      // Findings already known go out with the compile's; ShellCheck runs on the rest, then this publishes again.
      const shell = this.shellFindings(uri, document.version, analysis);
      await this.connection.sendDiagnostics({ uri, version: document.version, diagnostics: [...compiled, ...shell.diagnostics.map(toLspDiagnostic)] });
      if (!shell.complete) this.shellcheck.schedule(uri, document.version, analysis.result.ast, analysis.text, () => void this.publish(uri));
    } catch (error) {
      this.connection.console.error(`diagnostics for ${uri}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    }
  }

  /**
   * The ShellCheck findings known for this version, under the same rule control as the compile's
   * diagnostics (ignore comments, `# check=`, the lint settings); its KF2025s came with the compile.
   */
  shellFindings(uri: string, version: number, analysis: Analysis): { diagnostics: Diagnostic[]; complete: boolean } {
    if (!isReported('KF4001', analysis.settings)) return { diagnostics: [], complete: true };
    const known = this.shellcheck.known(uri, version, analysis.result.ast, analysis.text);
    return { diagnostics: applyRuleControl(analysis.result.ast, known.diagnostics, analysis.settings, { reportProblems: false }), complete: known.complete };
  }

  /** The ShellCheck findings of the document's current version, for code actions. */
  shellFindingsOf(uri: string, analysis: Analysis): Diagnostic[] {
    const version = this.documents.get(uri)?.version;
    return version === undefined ? [] : this.shellFindings(uri, version, analysis).diagnostics;
  }

  private contextDir(uri: string): string | undefined {
    return uri.startsWith('file:') ? dirname(fileURLToPath(uri)) : undefined;
  }

  private contextOf(uri: string): BuildContext | undefined {
    const dir = this.contextDir(uri);
    if (!dir) return undefined;
    let context = this.contexts.get(dir);
    if (!context) {
      context = new CachedContext(nodeContext(dir));
      this.contexts.set(dir, context);
    }
    return context;
  }

  private async imagePlatforms(name: string): Promise<readonly string[] | undefined> {
    return (await this.loadStoreCatalog()).platforms(name);
  }

  /** The store as hovers and completion ask it: the runtime is loaded (once) if it is not yet. */
  private async loadStoreCatalog(): Promise<ImageCatalog> {
    const { defaultStoreRoot, storeImageCatalog } = await this.loadRuntime();
    return storeImageCatalog(this.storeRoot ?? defaultStoreRoot());
  }

  /** The runtime, loaded once, for every use (commands, hovers, the compiler's store questions). */
  loadRuntime(): Promise<typeof import('@kubefile/runtime')> {
    if (!this.runtime) {
      this.runtime = import('@kubefile/runtime');
      this.runtime.then(
        (runtime) => {
          this.loadedRuntime = runtime;
          // Analyses made meanwhile did not know the store: make them again with it. Without an
          // image in the store they saw what they would see now (a missing image and an unknown one
          // read alike), and a 7k-line file is not planned twice while its first edits wait.
          void this.storeHasImages(runtime).then((any) => any && this.refreshAll());
        },
        (error: unknown) => this.connection.console.error(`image store: ${error instanceof Error ? error.message : String(error)}`),
      );
    }
    return this.runtime;
  }

  /**
   * The store as the compiler asks it on every edit: never waited for. Until the runtime is loaded
   * (started by the first question), the store's answers are "not known" (no KF3023, RUN mode
   * unknown); once it is, every document is analysed again with them.
   */
  private storeCatalog(): ImageCatalog {
    if (this.loadedRuntime) {
      const { defaultStoreRoot, storeImageCatalog } = this.loadedRuntime;
      return storeImageCatalog(this.storeRoot ?? defaultStoreRoot());
    }
    const unknown = async (): Promise<undefined> => {
      // After this analysis is published: the runtime's modules take a while to start.
      this.runtimeWanted ??= setImmediate(() => void this.loadRuntime().catch(() => undefined));
      return undefined;
    };
    return { platforms: unknown, kind: unknown };
  }

  /** The store's images with their platforms (a broken image is listed without them), as `kubefilec images` names them. */
  private async images(): Promise<{ name: string; platforms?: string[] }[]> {
    try {
      const { ImageStore, platformImages } = await this.loadRuntime();
      const root = await this.existingStoreRoot();
      if (!root) return [];
      const store = await ImageStore.open(root);
      const images: { name: string; platforms?: string[] }[] = [];
      for (const image of await store.listImages()) {
        const platforms = await platformImages(store, image.descriptor).then(
          (list) => list.map((p) => p.key),
          () => undefined,
        );
        images.push(platforms ? { name: image.name, platforms } : { name: image.name });
      }
      return images;
    } catch {
      return [];
    }
  }

  private async storeHasImages(runtime: typeof import('@kubefile/runtime')): Promise<boolean> {
    try {
      const root = this.storeRoot ?? runtime.defaultStoreRoot();
      return runtime.hasStore(root) && (await (await runtime.ImageStore.open(root)).listImages()).length > 0;
    } catch {
      return false;
    }
  }

  /** The store root when a store exists there: hover and completion must not create one. */
  private async existingStoreRoot(): Promise<string | undefined> {
    const { defaultStoreRoot, hasStore } = await this.loadRuntime();
    const root = this.storeRoot ?? defaultStoreRoot();
    return hasStore(root) ? root : undefined;
  }
}

/**
 * Starts a server on stdio (`--stdio`, the default), node IPC (`--node-ipc`) or a socket, as
 * vscode-languageserver reads argv; once the client has the answer to `initialize`, it warms up
 * while it waits for the first document.
 */
export async function startServer(): Promise<KubefileServer> {
  const connection = createConnection(ProposedFeatures.all);
  const host = platformFromNode(process.platform, process.arch);
  const server = new KubefileServer(connection);
  server.start();
  // Not before: a warm-up step (tens of milliseconds at first) would run ahead of the answer. Then a
  // step at a time, each after what came in meanwhile (a document opened at once is analysed first).
  void server.initialized.then(() => warmUp(host, nodeSha256)).catch((error: unknown) => connection.console.error(`warm-up: ${String(error)}`));
  return server;
}
