/**
 * The build commands' dialogs, in one order: the tag, then the platforms (several for Build Image,
 * one for Build for Platform), then the options page (Enter builds). Builds run in the language
 * server (`kubefile.build`, on the editor's text) under a cancellable progress notification that
 * shows each platform's running step, their log in the "Kubefile Build" output. A failure with a
 * line to blame becomes a "kubefile build" diagnostic there, until the next build.
 */
import * as vscode from 'vscode';
import { ExecuteCommandRequest, WorkDoneProgress, type LanguageClient, type WorkDoneProgressBegin, type WorkDoneProgressReport } from 'vscode-languageclient/node';
import type { Platform } from '@kubefile/compiler/platform';
import type { BuildOutcome } from '@kubefile/lsp/protocol';
import { failedBuild, type FailedBuild } from './build-failure.js';
import { buildArguments, optionRows, optionsFromSettings, optionsSummary, PULL_POLICIES, readOptions, remediesFor, remedyText, type BuildOptionId, type BuildOptions } from './build-options.js';
import { proposedTag, rememberChoice, tagProblem, type BuildChoice, type BuildChoices } from './build-request.js';
import type { InspectDocuments } from './inspect-documents.js';
import { platformPickItems, type PlatformSources } from './platforms.js';
import { readSettings, SETTINGS_SECTION } from './settings.js';

const CHOICES_KEY = 'kubefile.buildChoices';
/** Files offered as image lists and ignore lists: what such lists are called in practice. */
const IMAGE_LIST_GLOB = '**/{*.txt,*.list,imageList,*imagelist*,*image-list*}';

/** A row of the options page: Build, the separator, or an option. */
interface OptionsPageRow extends vscode.QuickPickItem {
  id?: BuildOptionId | 'build';
}

export class BuildCommands {
  private nextToken = 0;
  /** Build failures at their line (source "kubefile build"), cleared when the next build starts. */
  readonly failures = vscode.languages.createDiagnosticCollection('kubefile build');

  constructor(
    private readonly client: LanguageClient,
    private readonly state: vscode.Memento,
    private readonly output: vscode.OutputChannel,
    private readonly host: Platform,
    private readonly inspectDocuments: InspectDocuments,
    /** After every build, whatever its end: the Images view refreshes. */
    private readonly onBuildEnded: () => void,
  ) {}

  async buildImage(target?: vscode.Uri): Promise<void> {
    const document = await this.kubefileDocument(target);
    if (!document) return;
    const last = this.choices()[document.uri.toString()];
    const tag = await this.askTag(document, last);
    if (tag === undefined) return;
    const picked = await vscode.window.showQuickPick(platformPickItems(this.platformSources(last)), {
      canPickMany: true,
      title: `Build ${tag}: target platforms`,
      placeHolder: 'The platforms to build the cluster image for (one image, a manifest per platform)',
      ignoreFocusOut: true,
    });
    if (!picked) return;
    if (picked.length === 0) {
      void vscode.window.showWarningMessage('Kubefile: pick at least one platform to build for.');
      return;
    }
    const options = await this.askOptions(document, tag, this.optionsOf(last));
    if (!options) return;
    await this.build(document, { tag, platforms: picked.map((item) => item.label), options }, true);
  }

  /** One platform, same order as Build Image; the remembered choice stays as it was. */
  async buildForPlatform(target?: vscode.Uri): Promise<void> {
    const document = await this.kubefileDocument(target);
    if (!document) return;
    const last = this.choices()[document.uri.toString()];
    const tag = await this.askTag(document, last);
    if (tag === undefined) return;
    const items = platformPickItems(this.platformSources(last)).map(({ label, description }) => ({ label, ...(description ? { description } : {}) }));
    const platform = await vscode.window.showQuickPick(items, { title: `Build ${tag}: one platform`, placeHolder: 'The platform to build for', ignoreFocusOut: true });
    if (!platform) return;
    const options = await this.askOptions(document, tag, this.optionsOf(last));
    if (!options) return;
    await this.build(document, { tag, platforms: [platform.label], options }, false);
  }

  async lint(target?: vscode.Uri): Promise<void> {
    const document = await this.kubefileDocument(target);
    if (!document) return;
    const diagnostics = await this.client.sendRequest(ExecuteCommandRequest.type, { command: 'kubefile.lint', arguments: [{ uri: document.uri.toString() }] });
    const count = Array.isArray(diagnostics) ? diagnostics.length : 0;
    if (count === 0) {
      void vscode.window.showInformationMessage(`Kubefile: no problems in ${vscode.workspace.asRelativePath(document.uri)}.`);
      return;
    }
    await vscode.commands.executeCommand('workbench.actions.view.problems');
    void vscode.window.showWarningMessage(`Kubefile: ${count} problem${count === 1 ? '' : 's'} in ${vscode.workspace.asRelativePath(document.uri)} (see Problems).`);
  }

  async selectPlatforms(): Promise<void> {
    const settings = readSettings();
    const picked = await vscode.window.showQuickPick(platformPickItems({ configured: settings.platforms, host: this.host }), {
      canPickMany: true,
      title: 'Kubefile target platforms (kubefile.platforms)',
      placeHolder: 'Checked and built for by default; none picked means this machine only',
    });
    if (!picked) return;
    const target = vscode.workspace.workspaceFolders ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
    await vscode.workspace.getConfiguration(SETTINGS_SECTION).update('platforms', picked.map((item) => item.label), target);
  }

  /** The Kubefile to act on: the one given (explorer, CodeLens), else the active editor's; opened, since the server builds open documents. */
  private async kubefileDocument(target: vscode.Uri | undefined): Promise<vscode.TextDocument | undefined> {
    const document = target ? await vscode.workspace.openTextDocument(target) : vscode.window.activeTextEditor?.document;
    if (!document || document.languageId !== 'kubefile') {
      void vscode.window.showWarningMessage('Kubefile: open a Kubefile first.');
      return undefined;
    }
    return document;
  }

  private async askTag(document: vscode.TextDocument, last: BuildChoice | undefined): Promise<string | undefined> {
    const tag = await vscode.window.showInputBox({
      title: `Build ${vscode.workspace.asRelativePath(document.uri)}`,
      prompt: 'Image name and tag to store the build under',
      value: proposedTag(document.uri.path, last),
      validateInput: (value) => tagProblem(value),
      ignoreFocusOut: true,
    });
    return tag?.trim();
  }

  private optionsOf(last: BuildChoice | undefined): BuildOptions {
    const config = vscode.workspace.getConfiguration(`${SETTINGS_SECTION}.build`);
    const defaults = optionsFromSettings({
      imageLists: config.get('imageLists'),
      ignoreImageLists: config.get('ignoreImageLists'),
      skipMissingPlatform: config.get('skipMissingPlatform'),
      noCache: config.get('noCache'),
      pull: config.get('pull'),
    });
    return readOptions(last?.options, defaults);
  }

  /** The options page: Enter on its first row builds; any other row changes that option and comes back. */
  private async askOptions(document: vscode.TextDocument, tag: string, start: BuildOptions, focus?: BuildOptionId): Promise<BuildOptions | undefined> {
    let options = start;
    let active: BuildOptionId | 'build' = focus ?? 'build';
    for (;;) {
      const summary = optionsSummary(options);
      const rows: OptionsPageRow[] = [
        { label: '$(play) Build', description: summary || 'with kubefilec\'s defaults', id: 'build' },
        { label: 'Options', kind: vscode.QuickPickItemKind.Separator },
        ...optionRows(options).map((row) => ({ label: row.label, description: row.description, detail: row.detail, id: row.id })),
      ];
      const picked = await new Promise<OptionsPageRow | undefined>((resolve) => {
        const pick = vscode.window.createQuickPick<OptionsPageRow>();
        pick.title = `Build ${tag}: options`;
        pick.placeholder = 'Enter builds; pick an option to change it';
        pick.items = rows;
        pick.ignoreFocusOut = true;
        pick.activeItems = rows.filter((row) => row.id === active);
        pick.onDidAccept(() => {
          resolve(pick.selectedItems[0]);
          pick.hide();
        });
        pick.onDidHide(() => {
          resolve(undefined);
          pick.dispose();
        });
        pick.show();
      });
      if (!picked?.id) return undefined;
      if (picked.id === 'build') return options;
      options = await this.changeOption(document, picked.id, options);
      // Changed: Enter now builds.
      active = 'build';
    }
  }

  private async changeOption(document: vscode.TextDocument, id: BuildOptionId, options: BuildOptions): Promise<BuildOptions> {
    switch (id) {
      case 'imageLists':
      case 'ignoreImageLists': {
        const files = await this.pickListFiles(document, id === 'imageLists' ? 'Image lists: more container images to carry' : 'Ignore image lists: container images not to carry', options[id]);
        return files ? { ...options, [id]: files } : options;
      }
      case 'buildArgs': {
        const text = await vscode.window.showInputBox({
          title: 'Build args',
          prompt: 'NAME=VALUE pairs separated by spaces, over the kubefile.buildArgs setting',
          value: Object.entries(options.buildArgs).map(([name, value]) => `${name}=${value}`).join(' '),
          validateInput: (value) => (value.trim().split(/\s+/).filter((pair) => pair !== '').every((pair) => /^[A-Za-z_][A-Za-z0-9_]*=/.test(pair)) ? undefined : 'Each pair is NAME=VALUE, NAME a letter or _ then letters, digits or _'),
        });
        if (text === undefined) return options;
        const pairs = text.trim().split(/\s+/).filter((pair) => pair !== '');
        return { ...options, buildArgs: Object.fromEntries(pairs.map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)])) };
      }
      case 'skipMissingPlatform':
      case 'noCache':
        return { ...options, [id]: !options[id] };
      case 'pull': {
        const picked = await vscode.window.showQuickPick(
          PULL_POLICIES.map((policy) => ({ label: policy, description: policy === 'missing' ? 'when not in the store (default)' : policy === 'always' ? 'every time' : 'never: the store must have every image', picked: policy === options.pull })),
          { title: 'Pull policy' },
        );
        return picked ? { ...options, pull: picked.label as BuildOptions['pull'] } : options;
      }
    }
  }

  /** List files near the Kubefile (relative to its directory), the chosen ones ticked. */
  private async pickListFiles(document: vscode.TextDocument, title: string, chosen: readonly string[]): Promise<string[] | undefined> {
    const dir = vscode.Uri.joinPath(document.uri, '..');
    const found = await vscode.workspace.findFiles(new vscode.RelativePattern(dir, IMAGE_LIST_GLOB), '**/node_modules/**', 100);
    const relative = (uri: vscode.Uri): string => uri.path.slice(dir.path.length + 1);
    const labels = [...new Set([...found.map(relative).sort(), ...chosen])];
    if (labels.length === 0) {
      void vscode.window.showInformationMessage(`Kubefile: no .txt or .list files next to ${vscode.workspace.asRelativePath(document.uri)}: write one image per line into one, then pick it here.`);
      return undefined;
    }
    const picked = await vscode.window.showQuickPick(
      labels.map((label) => ({ label, picked: chosen.includes(label) })),
      { title, canPickMany: true, placeHolder: 'Files with one container image per line, relative to the Kubefile' },
    );
    return picked?.map((item) => item.label);
  }

  private platformSources(last: BuildChoice | undefined): PlatformSources {
    return { ...(last ? { last: last.platforms } : {}), configured: readSettings().platforms, host: this.host };
  }

  private choices(): BuildChoices {
    return this.state.get<BuildChoices>(CHOICES_KEY) ?? {};
  }

  private async build(document: vscode.TextDocument, choice: Required<BuildChoice>, remember: boolean): Promise<void> {
    const uri = document.uri.toString();
    if (remember) await this.state.update(CHOICES_KEY, rememberChoice(this.choices(), uri, choice));
    this.failures.clear();
    this.output.show(true);
    const summary = optionsSummary(choice.options);
    this.output.appendLine(`Kubefile: building ${vscode.workspace.asRelativePath(document.uri)} as ${choice.tag} for ${choice.platforms.join(', ')}${summary ? ` (${summary})` : ''}`);
    const workDoneToken = `kubefile-build-${++this.nextToken}`;
    let cancelled = false;
    try {
      const outcome = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Building ${choice.tag}`, cancellable: true },
        async (progress, cancellation) => {
          cancellation.onCancellationRequested(() => (cancelled = true));
          let reported = 0;
          const onProgress = this.client.onProgress(WorkDoneProgress.type, workDoneToken, (value) => {
            if (value.kind === 'end') return;
            const { message, percentage } = value as WorkDoneProgressBegin | WorkDoneProgressReport;
            const increment = percentage !== undefined ? Math.max(0, percentage - reported) : undefined;
            if (percentage !== undefined) reported = Math.max(reported, percentage);
            progress.report({ ...(message ? { message } : {}), ...(increment ? { increment } : {}) });
          });
          try {
            const params = { command: 'kubefile.build', arguments: [buildArguments(uri, choice.tag, choice.platforms, choice.options)], workDoneToken };
            return (await this.client.sendRequest(ExecuteCommandRequest.type, params, cancellation)) as BuildOutcome;
          } finally {
            onProgress.dispose();
          }
        },
      );
      this.output.appendLine(`Kubefile: built ${outcome.image} ${outcome.digest}`);
      this.onBuildEnded();
      const action = await vscode.window.showInformationMessage(`Built ${outcome.image} for ${choice.platforms.join(', ')}`, 'Inspect');
      if (action === 'Inspect') await this.inspectDocuments.open({ name: outcome.image, format: 'json' });
    } catch (error) {
      this.onBuildEnded();
      await this.reportFailure(document, choice, failedBuild(error, cancelled), remember);
    }
  }

  /** `remember`: as the failed build, for the build its "Build with Options..." starts. */
  private async reportFailure(document: vscode.TextDocument, choice: Required<BuildChoice>, failure: FailedBuild, remember: boolean): Promise<void> {
    if (failure.cancelled) {
      this.output.appendLine(`Kubefile: build of ${choice.tag} cancelled; nothing was stored`);
      void vscode.window.showInformationMessage(`Kubefile: build of ${choice.tag} cancelled; nothing was stored.`);
      return;
    }
    this.output.appendLine(`Kubefile: build of ${choice.tag} failed: ${failure.message}`);
    const at = failure.location ? await this.showFailureAt(failure.location, failure.message) : undefined;
    const remedies = remediesFor(failure.message);
    const actions = [...(at ? ['Go to Problem'] : []), ...(remedies.length > 0 ? ['Build with Options...'] : []), 'Show Output'];
    const remedy = remedyText(remedies);
    const text = remedy ? `${failure.message.replace(/\.?$/, '.')} ${remedy}` : failure.message;
    const action = await vscode.window.showErrorMessage(`Kubefile build of ${choice.tag} failed: ${text}`, ...actions);
    if (action === 'Go to Problem' && at) await vscode.window.showTextDocument(at.uri, { selection: at.range });
    else if (action === 'Show Output') this.output.show();
    else if (action === 'Build with Options...') {
      const options = await this.askOptions(document, choice.tag, choice.options, remedies[0]);
      if (options) await this.build(document, { ...choice, options }, remember);
    }
  }

  /** The failure as a diagnostic on its line (the whole line), in whichever file it names. */
  private async showFailureAt(location: NonNullable<FailedBuild['location']>, message: string): Promise<vscode.Location | undefined> {
    const uri = vscode.Uri.parse(location.uri);
    let range = new vscode.Range(location.line, location.character, location.line, Number.MAX_SAFE_INTEGER);
    try {
      const file = await vscode.workspace.openTextDocument(uri);
      const line = file.lineAt(Math.min(location.line, file.lineCount - 1));
      range = new vscode.Range(line.lineNumber, line.firstNonWhitespaceCharacterIndex, line.lineNumber, line.range.end.character);
    } catch {
      // Not readable as text (gone since): the diagnostic still names the line.
    }
    const diagnostic = new vscode.Diagnostic(range, message, vscode.DiagnosticSeverity.Error);
    diagnostic.source = 'kubefile build';
    this.failures.set(uri, [diagnostic]);
    return new vscode.Location(uri, range);
  }

}
