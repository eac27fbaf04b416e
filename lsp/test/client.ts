/** A test client: the real server binary over stdio JSON-RPC, with helpers to wait for notifications. */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import type { Diagnostic, InitializeResult, PublishDiagnosticsParams, ShowMessageParams } from 'vscode-languageserver';

const repo = join(dirname(fileURLToPath(import.meta.url)), '../../..');
export const SERVER_BIN = join(repo, 'lsp/bin/kubefile-language-server.js');
/** `kubefilec lsp --stdio`: the same server through the command line. */
export const CLI_SERVER = [join(repo, 'cli/bin/kubefilec.js'), 'lsp', '--stdio'];

export class LspClient {
  readonly connection: MessageConnection;
  readonly stderr: string[] = [];
  /** Messages the server showed (`window/showMessage`, `window/showMessageRequest`), oldest first. */
  readonly messages: ShowMessageParams[] = [];
  private readonly diagnostics = new Map<string, PublishDiagnosticsParams[]>();
  private readonly waiters: (() => void)[] = [];

  private constructor(readonly child: ChildProcess) {
    this.connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    child.stderr?.on('data', (d: Buffer) => this.stderr.push(d.toString()));
    this.connection.onNotification('textDocument/publishDiagnostics', (params: PublishDiagnosticsParams) => {
      const list = this.diagnostics.get(params.uri) ?? [];
      list.push(params);
      this.diagnostics.set(params.uri, list);
      for (const wake of this.waiters.splice(0)) wake();
    });
    this.connection.onNotification('window/showMessage', (params: ShowMessageParams) => void this.messages.push(params));
    this.connection.onRequest('window/showMessageRequest', (params: ShowMessageParams) => {
      this.messages.push({ type: params.type, message: params.message });
      return null;
    });
    // The server asks for settings and registers watchers; answer like a plain client would.
    this.connection.onRequest('workspace/configuration', () => [null]);
    this.connection.onRequest('client/registerCapability', () => null);
    this.connection.onRequest('window/workDoneProgress/create', () => null);
    this.connection.listen();
  }

  /** Starts `command` (the server binary by default) with `env` over this process's environment, and initializes it. */
  static async start(initializationOptions: unknown = {}, command: string[] = [SERVER_BIN, '--stdio'], env: NodeJS.ProcessEnv = {}): Promise<{ client: LspClient; result: InitializeResult }> {
    const child = spawn(process.execPath, command, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    const client = new LspClient(child);
    const result = await client.connection.sendRequest<InitializeResult>('initialize', {
      processId: process.pid,
      rootUri: null,
      capabilities: { workspace: { configuration: true, didChangeWatchedFiles: { dynamicRegistration: true } }, window: { workDoneProgress: true } },
      initializationOptions,
    });
    await client.connection.sendNotification('initialized', {});
    return { client, result };
  }

  open(uri: string, text: string, version = 1): Promise<void> {
    return this.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'kubefile', version, text } });
  }

  /** Waits for the first diagnostics published for `uri` at `version` (or any version when omitted). */
  async diagnosticsFor(uri: string, version?: number, timeoutMs = 10_000): Promise<Diagnostic[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.diagnostics.get(uri)?.find((p) => version === undefined || p.version === version);
      if (found) return found.diagnostics;
      if (Date.now() > deadline) throw new Error(`no diagnostics for ${uri} v${version}; stderr: ${this.stderr.join('')}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  /** Every publication for `uri` so far, oldest first. */
  async allDiagnostics(uri: string): Promise<PublishDiagnosticsParams[]> {
    return this.diagnostics.get(uri) ?? [];
  }

  async stop(): Promise<void> {
    try {
      await this.connection.sendRequest('shutdown');
      await this.connection.sendNotification('exit');
    } catch {
      // Already gone.
    }
    // A well-behaved server exits by itself after `exit`; give it a moment before killing it.
    if (this.child.exitCode === null) await new Promise((resolve) => {
      const timer = setTimeout(resolve, 2000);
      this.child.once('exit', () => resolve(clearTimeout(timer)));
    });
    this.connection.dispose();
    if (this.child.exitCode === null) this.child.kill();
  }
}
