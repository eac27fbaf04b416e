/**
 * The language server: wires the pure features to an LSP connection (vscode-languageserver).
 * Documents sync incrementally; each change is reparsed where it changed (`reparse`), compiled
 * again, and diagnostics are published unless a newer version arrived meanwhile. Every handler catches and logs: no request, order or input may crash it.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CompileMemo, parsePlatformList, platformFromNode, type BuildContext } from '@kubefile/compiler';
import { nodeContext, nodeSha256 } from '@kubefile/compiler/node';
import { isReported, parse, reparse, type ParseResult } from '@kubefile/grammar';
import { createConnection, DidChangeWatchedFilesNotification, ProposedFeatures, TextDocuments, type Connection, type InitializeParams, type InitializeResult } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { analyze, DEFAULT_SETTINGS, type Analysis, type FeatureContext, type LanguageSettings } from './analysis.js';
import { CachedContext } from './context-cache.js';
import { toLspDiagnostic } from './convert.js';
import { registerFeatures } from './handlers.js';
import { ShellCheckRunner } from './shellcheck.js';
import { warmUp } from './warm-up.js';

export const SERVER_NAME = 'kubefile-language-server';

/** Settings as a client sends them (`kubefile.platforms`, `kubefile.buildArgs`, `kubefile.root`). */
export interface ClientSettings {
  platforms?: string[] | string;
  buildArgs?: Record<string, string> | string[];
  root?: string;
  /** `kubefile.shellcheck.enable` (default true) and `kubefile.shellcheck.path`. */
  shellcheck?: { enable?: boolean; path?: string };
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
  private readonly analyses = new Map<string, DocumentState>();
  private readonly parses = new Map<string, ParsedVersion>();
  private readonly contexts = new Map<string, CachedContext>();
  /** ShellCheck findings (KF4001), worked out after each version's compile, never on the edit path. */
  readonly shellcheck: ShellCheckRunner;

  constructor(readonly connection: Connection) {
    this.shellcheck = new ShellCheckRunner((message) => connection.console.warn(message));
    const host = platformFromNode(process.platform, process.arch);
    this.settings = { ...DEFAULT_SETTINGS, platforms: [host], buildPlatform: host, sha256: nodeSha256 };
  }

  /** The analysis of the document's current version (computed once per version). */
  analysisOf(uri: string): Promise<Analysis> | undefined {
    const document = this.documents.get(uri);
    if (!document) return undefined;
    const state = this.analyses.get(uri);
    if (state && state.version === document.version) return state.analysis;
    const { parsed, memo } = this.parsedOf(uri, document);
    const analysis = analyze(parsed, this.settings, this.contextOf(uri), memo);
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
    };
  }

  get storeRootSetting(): string | undefined {
    return this.storeRoot;
  }

  start(): void {
    const { connection, documents } = this;
    connection.onInitialize((params) => this.initialize(params));
    connection.onInitialized(() => {
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
    const options = params.initializationOptions as ({ kubefile?: ClientSettings; buildLog?: string } & ClientSettings) | undefined;
    this.buildLogAsNotification = options?.buildLog === 'notification';
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
      this.settings = {
        ...this.settings,
        platforms: platforms.length > 0 ? parsePlatformList(platforms, this.settings.buildPlatform) : [this.settings.buildPlatform],
        buildArgs,
      };
      this.storeRoot = settings.root || undefined;
      this.shellcheck.configure({ enable: settings.shellcheck?.enable !== false, ...(settings.shellcheck?.path ? { path: settings.shellcheck.path } : {}) });
    } catch (error) {
      this.connection.window.showErrorMessage(`kubefile settings: ${error instanceof Error ? error.message : String(error)}`);
    }
    this.refreshAll();
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
      const shell = this.shellcheck.known(uri, document.version, analysis.result.ast, analysis.text);
      await this.connection.sendDiagnostics({ uri, version: document.version, diagnostics: [...compiled, ...shell.diagnostics.map(toLspDiagnostic)] });
      if (!shell.complete) this.shellcheck.schedule(uri, document.version, analysis.result.ast, analysis.text, () => void this.publish(uri));
    } catch (error) {
      this.connection.console.error(`diagnostics for ${uri}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    }
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

  private async imagePlatforms(name: string): Promise<string[] | undefined> {
    try {
      const { defaultStoreRoot, ImageStore, platformImages } = await import('@kubefile/runtime');
      const root = this.storeRoot ?? defaultStoreRoot();
      // A hover must not create a store where there is none.
      if (!existsSync(join(root, 'index.json'))) return undefined;
      const store = await ImageStore.open(root);
      const image = await store.findImage(name);
      return image ? (await platformImages(store, image.descriptor)).map((p) => p.key) : undefined;
    } catch {
      return undefined;
    }
  }
}

/** Starts a server on stdio (`--stdio`, the default), node IPC (`--node-ipc`) or a socket, as vscode-languageserver reads argv, once warmed up. */
export async function startServer(): Promise<KubefileServer> {
  const connection = createConnection(ProposedFeatures.all);
  const host = platformFromNode(process.platform, process.arch);
  // Before listening: requests wait in the pipe meanwhile, and then run on compiled code.
  await warmUp(host, nodeSha256).catch((error: unknown) => connection.console.error(`warm-up: ${String(error)}`));
  const server = new KubefileServer(connection);
  server.start();
  return server;
}
