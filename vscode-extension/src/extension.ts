/**
 * The extension: starts the bundled language server (IPC) for every Kubefile feature, and wires
 * the commands, the task provider, the "Build" CodeLens and the platform status bar item to VS
 * Code. What can be decided without VS Code lives in the pure modules beside this one.
 */
import * as vscode from 'vscode';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import { platformFromNode } from '@kubefile/compiler/platform';
import { BUILD_LOG_NOTIFICATION, CLIENT_COMMANDS, type BuildLogParams } from '@kubefile/lsp/protocol';
import { BuildCommands } from './build-commands.js';
import { fromLines, type OutlineSymbol } from './code-lens.js';
import { ImageCommands, ImagesView } from './images-view.js';
import { InspectDocuments, INSPECT_SCHEME } from './inspect-documents.js';
import { defaultPlatforms, platformSettingProblems, platformStatusText, platformStatusTooltip } from './platforms.js';
import { KubefileTaskProvider } from './task-provider.js';
import { TASK_TYPE } from './build-task.js';
import { readSettings, setBuildArg, SETTINGS_SECTION } from './settings.js';

export const LANGUAGE_ID = 'kubefile';

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const host = platformFromNode(process.platform, process.arch);
  const serverModule = context.asAbsolutePath('dist/server.cjs');
  const serverOptions: ServerOptions = {
    run: { module: serverModule, transport: TransportKind.ipc },
    debug: { module: serverModule, transport: TransportKind.ipc, options: { execArgv: ['--enable-source-maps'] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ language: LANGUAGE_ID }],
    synchronize: { configurationSection: SETTINGS_SECTION },
    // The server reads kubefile.* at start; build logs come as notifications for the build output.
    initializationOptions: { kubefile: readSettings(), buildLog: 'notification', clientCommands: [...CLIENT_COMMANDS] },
    outputChannelName: 'Kubefile Language Server',
  };
  const languageClient = new LanguageClient(LANGUAGE_ID, 'Kubefile Language Server', serverOptions, clientOptions);
  client = languageClient;

  const buildOutput = vscode.window.createOutputChannel('Kubefile Build');
  const bundledKubefilec = context.asAbsolutePath('dist/kubefilec.cjs');
  const inspectDocuments = new InspectDocuments(languageClient);
  const imagesView = new ImagesView(bundledKubefilec);
  const commands = new BuildCommands(languageClient, context.workspaceState, buildOutput, host, inspectDocuments, () => imagesView.refresh());
  context.subscriptions.push(
    buildOutput,
    commands.failures,
    inspectDocuments,
    imagesView,
    vscode.workspace.registerTextDocumentContentProvider(INSPECT_SCHEME, inspectDocuments),
    vscode.window.createTreeView('kubefile.images', { treeDataProvider: imagesView, showCollapseAll: true }),
    new ImageCommands(imagesView, inspectDocuments).register(),
    vscode.commands.registerCommand('kubefile.inspect.switchFormat', (uri?: vscode.Uri) => inspectDocuments.switchFormat(uri)),
    vscode.commands.registerCommand('kubefile.explorerBuildImage', (target?: vscode.Uri) => commands.buildImage(target)),
    languageClient.onNotification(BUILD_LOG_NOTIFICATION, (params: BuildLogParams) => buildOutput.appendLine(params.line)),
    vscode.commands.registerCommand('kubefile.buildImage', (target?: vscode.Uri) => commands.buildImage(target)),
    vscode.commands.registerCommand('kubefile.buildForPlatform', (target?: vscode.Uri) => commands.buildForPlatform(target)),
    vscode.commands.registerCommand('kubefile.lintDocument', (target?: vscode.Uri) => commands.lint(target)),
    vscode.commands.registerCommand('kubefile.selectPlatforms', () => commands.selectPlatforms()),
    vscode.commands.registerCommand('kubefile.restartServer', () => languageClient.restart()),
    vscode.commands.registerCommand('kubefile.setBuildArg', (name?: unknown) => setBuildArg(name)),
    vscode.tasks.registerTaskProvider(TASK_TYPE, new KubefileTaskProvider(bundledKubefilec)),
    vscode.languages.registerCodeLensProvider({ language: LANGUAGE_ID }, new BuildCodeLensProvider()),
    platformStatusItem(host),
  );
  await languageClient.start();
}

export async function deactivate(): Promise<void> {
  await client?.stop();
  client = undefined;
}

/** "Build" and "Build for Platform..." above each FROM, placed from the server's outline. */
class BuildCodeLensProvider implements vscode.CodeLensProvider {
  async provideCodeLenses(document: vscode.TextDocument): Promise<vscode.CodeLens[]> {
    const symbols = await vscode.commands.executeCommand<OutlineSymbol[] | undefined>('vscode.executeDocumentSymbolProvider', document.uri);
    return fromLines(symbols).flatMap((line) => {
      const range = new vscode.Range(line, 0, line, 0);
      return [
        new vscode.CodeLens(range, { title: '$(package) Build', command: 'kubefile.buildImage', arguments: [document.uri] }),
        new vscode.CodeLens(range, { title: 'Build for Platform...', command: 'kubefile.buildForPlatform', arguments: [document.uri] }),
      ];
    });
  }
}

/** The target platforms (kubefile.platforms, else this machine), shown while a Kubefile is the active editor. */
function platformStatusItem(host: ReturnType<typeof platformFromNode>): vscode.Disposable {
  const item = vscode.window.createStatusBarItem('kubefile.platforms', vscode.StatusBarAlignment.Right, 100);
  item.name = 'Kubefile Platforms';
  item.command = 'kubefile.selectPlatforms';
  let warned = '';
  const refresh = (): void => {
    const configured = readSettings().platforms;
    const platforms = defaultPlatforms({ configured, host });
    // Said once per distinct mistake, not at every editor switch.
    const problems = platformSettingProblems(configured, host);
    if (problems.join('\n') !== warned) {
      warned = problems.join('\n');
      if (problems.length > 0) void warnPlatformSetting(problems);
    }
    item.text = platformStatusText(platforms);
    item.tooltip = platformStatusTooltip(platforms);
    if (vscode.window.activeTextEditor?.document.languageId === LANGUAGE_ID) item.show();
    else item.hide();
  };
  refresh();
  return vscode.Disposable.from(
    item,
    vscode.window.onDidChangeActiveTextEditor(refresh),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration(SETTINGS_SECTION)) refresh();
    }),
  );
}

async function warnPlatformSetting(problems: readonly string[]): Promise<void> {
  const action = await vscode.window.showWarningMessage(`Kubefile: kubefile.platforms has ${problems.length === 1 ? 'an entry' : 'entries'} that name${problems.length === 1 ? 's' : ''} no platform, left out: ${problems.join('; ')}`, 'Select Target Platforms...', 'Open Settings');
  if (action === 'Select Target Platforms...') await vscode.commands.executeCommand('kubefile.selectPlatforms');
  else if (action === 'Open Settings') await vscode.commands.executeCommand('workbench.action.openSettings', 'kubefile.platforms');
}
