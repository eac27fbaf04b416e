/**
 * The commands' dialogs: Build Image (tag, then platforms, remembered per Kubefile), Build for
 * Platform, Lint, Inspect Image and Select Target Platforms. Builds run in the language server
 * (`kubefile.build`, on the editor's text) under a cancellable progress notification, their log
 * in the "Kubefile Build" output.
 */
import * as vscode from 'vscode';
import { ExecuteCommandRequest, WorkDoneProgress, type LanguageClient, type WorkDoneProgressBegin, type WorkDoneProgressReport } from 'vscode-languageclient/node';
import type { Platform } from '@kubefile/compiler/platform';
import type { BuildOutcome, ImageSummary, InspectArguments } from '@kubefile/lsp/protocol';
import { buildArguments, proposedTag, rememberChoice, tagProblem, type BuildChoice, type BuildChoices } from './build-request.js';
import { platformPickItems, type PlatformSources } from './platforms.js';
import { readSettings, SETTINGS_SECTION } from './settings.js';

const CHOICES_KEY = 'kubefile.buildChoices';
const LAST_IMAGE_KEY = 'kubefile.lastImage';

export class BuildCommands {
  private nextToken = 0;

  constructor(
    private readonly client: LanguageClient,
    private readonly state: vscode.Memento,
    private readonly output: vscode.OutputChannel,
    private readonly host: Platform,
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
    await this.build(document, { tag, platforms: picked.map((item) => item.label) });
  }

  async buildForPlatform(target?: vscode.Uri): Promise<void> {
    const document = await this.kubefileDocument(target);
    if (!document) return;
    const last = this.choices()[document.uri.toString()];
    const items = platformPickItems(this.platformSources(last)).map(({ label, description }) => ({ label, ...(description ? { description } : {}) }));
    const platform = await vscode.window.showQuickPick(items, { title: 'Build for one platform', placeHolder: 'The platform to build for', ignoreFocusOut: true });
    if (!platform) return;
    const tag = await this.askTag(document, last);
    if (tag === undefined) return;
    await this.build(document, { tag, platforms: [platform.label] });
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

  async inspectImage(name?: string): Promise<void> {
    const image = name ?? (await this.pickImage());
    if (!image) return;
    const format = await vscode.window.showQuickPick(
      [
        { label: 'json', description: 'the OCI index, manifests and configs' },
        { label: 'sealer', description: 'as `sealer inspect` (v0.11) prints it: manifest, config, image extension, container images' },
        { label: 'sealer-v0.8', description: 'as the design documents show it: manifest list and kind: Image' },
      ],
      { title: `Inspect ${image}`, placeHolder: 'Format' },
    );
    if (!format) return;
    try {
      const args: InspectArguments = { name: image, format: format.label as NonNullable<InspectArguments['format']> };
      const text = (await this.client.sendRequest(ExecuteCommandRequest.type, { command: 'kubefile.inspect', arguments: [args] })) as string;
      const document = await vscode.workspace.openTextDocument({ content: text, language: format.label === 'sealer-v0.8' ? 'yaml' : 'json' });
      await vscode.window.showTextDocument(document, { preview: true });
    } catch (error) {
      void vscode.window.showErrorMessage(`Kubefile: ${messageOf(error)}`);
    }
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

  private platformSources(last: BuildChoice | undefined): PlatformSources {
    return { ...(last ? { last: last.platforms } : {}), configured: readSettings().platforms, host: this.host };
  }

  private choices(): BuildChoices {
    return this.state.get<BuildChoices>(CHOICES_KEY) ?? {};
  }

  private async build(document: vscode.TextDocument, choice: BuildChoice): Promise<void> {
    const uri = document.uri.toString();
    await this.state.update(CHOICES_KEY, rememberChoice(this.choices(), uri, choice));
    this.output.show(true);
    this.output.appendLine(`Kubefile: building ${vscode.workspace.asRelativePath(document.uri)} as ${choice.tag} for ${choice.platforms.join(', ')}`);
    const workDoneToken = `kubefile-build-${++this.nextToken}`;
    try {
      const outcome = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Building ${choice.tag}`, cancellable: true },
        async (progress, cancellation) => {
          let reported = 0;
          const onProgress = this.client.onProgress(WorkDoneProgress.type, workDoneToken, (value) => {
            if (value.kind === 'end') return;
            const { message, percentage } = value as WorkDoneProgressBegin | WorkDoneProgressReport;
            const increment = percentage !== undefined ? Math.max(0, percentage - reported) : undefined;
            if (percentage !== undefined) reported = Math.max(reported, percentage);
            progress.report({ ...(message ? { message } : {}), ...(increment ? { increment } : {}) });
          });
          try {
            const params = { command: 'kubefile.build', arguments: [buildArguments(uri, choice)], workDoneToken };
            return (await this.client.sendRequest(ExecuteCommandRequest.type, params, cancellation)) as BuildOutcome;
          } finally {
            onProgress.dispose();
          }
        },
      );
      await this.state.update(LAST_IMAGE_KEY, outcome.image);
      this.output.appendLine(`Kubefile: built ${outcome.image} ${outcome.digest}`);
      const action = await vscode.window.showInformationMessage(`Built ${outcome.image} for ${choice.platforms.join(', ')}`, 'Inspect');
      if (action === 'Inspect') await this.inspectImage(outcome.image);
    } catch (error) {
      const message = messageOf(error);
      this.output.appendLine(`Kubefile: build of ${choice.tag} failed: ${message}`);
      const action = await vscode.window.showErrorMessage(`Kubefile build of ${choice.tag} failed: ${message}`, 'Show Output');
      if (action === 'Show Output') this.output.show();
    }
  }

  private async pickImage(): Promise<string | undefined> {
    const images = (await this.client.sendRequest(ExecuteCommandRequest.type, { command: 'kubefile.images', arguments: [] })) as ImageSummary[];
    const last = this.state.get<string>(LAST_IMAGE_KEY);
    if (images.length === 0) {
      void vscode.window.showInformationMessage('Kubefile: the image store is empty; build an image first.');
      return undefined;
    }
    const items = images
      .map((image) => ({ label: image.name, description: image.digest.slice(0, 19), ...(image.created ? { detail: `created ${image.created}` } : {}) }))
      .sort((a, b) => (a.label === last ? -1 : b.label === last ? 1 : a.label.localeCompare(b.label)));
    return (await vscode.window.showQuickPick(items, { title: 'Inspect Image', placeHolder: 'An image in the store' }))?.label;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
