/**
 * The Images view (its own activity-bar container): the store's images → platforms → layers, read
 * with `kubefilec images --format json`, and the commands on them: Inspect, Tag, Delete (an image,
 * or one platform), Push (asking to log in when the registry wants it), Save, Load, Prune (after
 * its dry-run summary) and Registry Export. Each runs kubefilec against the `kubefile.root` store.
 */
import * as vscode from 'vscode';
import { kubefilecProcess, type KubefilecProcess } from './build-task.js';
import { childNodes, parseImageListing, presentNode, type ImageListing, type ImageTreeNode } from './images-tree.js';
import { INSPECT_FORMATS, type InspectDocuments } from './inspect-documents.js';
import { KubefilecFailure, rootFlags, runKubefilec } from './kubefilec-runner.js';
import { tagProblem } from './build-request.js';
import { loginArguments, needsLogin, pushTlsFlags, registryHost } from './registry-login.js';
import { readSettings } from './settings.js';

export class ImagesView implements vscode.TreeDataProvider<ImageTreeNode> {
  private readonly changed = new vscode.EventEmitter<ImageTreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private listing: Promise<ImageListing[]> | undefined;

  constructor(private readonly bundledKubefilec: string) {}

  /** kubefilec as the settings say, with the store's `--root` after `args`. */
  kubefilec(args: readonly string[], run: { input?: string; signal?: AbortSignal } = {}): Promise<string> {
    const settings = readSettings();
    return runKubefilec(this.process(settings.kubefilecPath), [...args, ...rootFlags(settings.root)], run);
  }

  /** kubefilec without `--root` (login and logout have no store). */
  kubefilecWithoutStore(args: readonly string[], run: { input?: string } = {}): Promise<string> {
    return runKubefilec(this.process(readSettings().kubefilecPath), args, run);
  }

  private process(configured: string): KubefilecProcess {
    return kubefilecProcess(configured, { execPath: process.execPath, script: this.bundledKubefilec }, []);
  }

  refresh(): void {
    this.listing = undefined;
    this.changed.fire(undefined);
  }

  async images(): Promise<ImageListing[]> {
    this.listing ??= this.kubefilec(['images', '--format', 'json']).then(parseImageListing);
    return this.listing;
  }

  async getChildren(node?: ImageTreeNode): Promise<ImageTreeNode[]> {
    try {
      return childNodes(await this.images(), node);
    } catch (error) {
      this.listing = undefined;
      void vscode.window.showErrorMessage(`Kubefile: cannot list the images: ${messageOf(error)}`);
      return [];
    }
  }

  getTreeItem(node: ImageTreeNode): vscode.TreeItem {
    const shown = presentNode(node, Date.now());
    const item = new vscode.TreeItem(shown.label, shown.collapsible ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    item.id = shown.id;
    item.description = shown.description;
    item.tooltip = shown.tooltip;
    item.contextValue = shown.contextValue;
    item.iconPath = new vscode.ThemeIcon(shown.icon);
    if (node.kind === 'image' || node.kind === 'platform') {
      item.command = { command: 'kubefile.images.inspect', title: 'Inspect', arguments: [node] };
    }
    return item;
  }

  dispose(): void {
    this.changed.dispose();
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The Images view's commands; each refreshes the view when it changed the store. */
export class ImageCommands {
  constructor(
    private readonly view: ImagesView,
    private readonly inspectDocuments: InspectDocuments,
  ) {}

  register(): vscode.Disposable {
    const command = (id: string, run: (node?: ImageTreeNode) => Promise<void>): vscode.Disposable =>
      vscode.commands.registerCommand(id, async (node?: ImageTreeNode) => {
        try {
          await run(node);
        } catch (error) {
          if (error instanceof KubefilecFailure && error.message === 'cancelled') return;
          void vscode.window.showErrorMessage(`Kubefile: ${messageOf(error)}`);
        }
      });
    return vscode.Disposable.from(
      vscode.commands.registerCommand('kubefile.images.refresh', () => this.view.refresh()),
      command('kubefile.images.inspect', (node) => this.inspect(node)),
      vscode.commands.registerCommand('kubefile.inspectImage', (name?: string) => this.inspectImage(name)),
      command('kubefile.images.tag', (node) => this.tag(node)),
      command('kubefile.images.delete', (node) => this.delete(node)),
      command('kubefile.images.push', (node) => this.push(node)),
      command('kubefile.images.save', (node) => this.save(node)),
      command('kubefile.images.load', () => this.load()),
      command('kubefile.images.prune', () => this.prune()),
      command('kubefile.images.registryExport', (node) => this.registryExport(node)),
    );
  }

  /** The image a command acts on: the row's, else one picked from the store. */
  private async imageOf(node: ImageTreeNode | undefined, action: string): Promise<ImageListing | undefined> {
    if (node) return node.image;
    const images = await this.view.images();
    if (images.length === 0) {
      void vscode.window.showInformationMessage('Kubefile: the image store is empty; build an image first.');
      return undefined;
    }
    const picked = await vscode.window.showQuickPick(
      images.map((image) => ({ label: image.name, description: image.platforms.map((p) => p.platform).join(', '), image })),
      { title: action, placeHolder: 'An image in the store' },
    );
    return picked?.image;
  }

  /** "Kubefile: Inspect Image" from the palette (or with a name): the image, then the format. */
  async inspectImage(name?: string): Promise<void> {
    const image = name ?? (await this.imageOf(undefined, 'Inspect Image'))?.name;
    if (!image) return;
    const format = await vscode.window.showQuickPick(
      INSPECT_FORMATS.map((f) => ({ label: f.label, description: f.description, format: f.format })),
      { title: `Inspect ${image}`, placeHolder: 'Format (the document can switch to another later)' },
    );
    if (format) await this.inspectDocuments.open({ name: image, format: format.format });
  }

  async inspect(node?: ImageTreeNode): Promise<void> {
    const image = await this.imageOf(node, 'Inspect Image');
    if (!image) return;
    const platform = node?.kind === 'platform' ? node.platform.platform : undefined;
    await this.inspectDocuments.open({ name: image.name, format: 'json', ...(platform ? { platform } : {}) });
  }

  private async tag(node?: ImageTreeNode): Promise<void> {
    const image = await this.imageOf(node, 'Tag Image');
    if (!image) return;
    const target = await vscode.window.showInputBox({
      title: `Tag ${image.name}`,
      prompt: 'Another name for the image (nothing is copied)',
      value: image.name,
      validateInput: (value) => (value.trim() === image.name ? 'Enter a new name' : tagProblem(value)),
    });
    if (!target) return;
    await this.view.kubefilec(['tag', image.name, target.trim()]);
    this.view.refresh();
    void vscode.window.showInformationMessage(`Tagged ${image.name} as ${target.trim()}`);
  }

  private async delete(node?: ImageTreeNode): Promise<void> {
    const image = await this.imageOf(node, 'Delete Image');
    if (!image) return;
    const platform = node?.kind === 'platform' || node?.kind === 'layer' || node?.kind === 'sealer' ? node.platform.platform : undefined;
    const what = platform ? `the ${platform} platform of ${image.name}` : `${image.name} (${image.platforms.map((p) => p.platform).join(', ')})`;
    const confirm = await vscode.window.showWarningMessage(`Delete ${what}?`, { modal: true, detail: 'Blobs other images use stay; Prune frees the space of the rest.' }, 'Delete');
    if (confirm !== 'Delete') return;
    await this.view.kubefilec(['delete', image.name, ...(platform ? ['--platform', platform] : [])]);
    this.view.refresh();
    void vscode.window.showInformationMessage(`Deleted ${what}`);
  }

  private async push(node?: ImageTreeNode): Promise<void> {
    const image = await this.imageOf(node, 'Push Image');
    if (!image) return;
    const destination = await vscode.window.showInputBox({
      title: `Push ${image.name}`,
      prompt: 'registry/repository:tag to push to (a registry on localhost or 127.0.0.1 is reached over plain HTTP)',
      value: image.name.includes('/') && image.name.split('/')[0].includes('.') ? image.name : `registry.example.com/${image.name}`,
      validateInput: (value) => tagProblem(value),
    });
    if (!destination) return;
    const dest = destination.trim();
    const platform = node?.kind === 'platform' ? ['--platform', node.platform.platform] : [];
    const args = ['push', image.name, dest, ...platform, ...pushTlsFlags(dest)];
    const pushing = (): Thenable<string> => vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Pushing ${image.name} to ${dest}`, cancellable: true }, (_progress, token) => this.view.kubefilec(args, { signal: abortOn(token) }));
    try {
      await pushing();
    } catch (error) {
      if (!(error instanceof KubefilecFailure) || !needsLogin(error.message)) throw error;
      if (!(await this.login(registryHost(dest), error.message))) return;
      await pushing();
    }
    void vscode.window.showInformationMessage(`Pushed ${image.name} to ${dest}`);
  }

  /** Asks for credentials and saves them with `kubefilec login` (its credential store, as Docker's); false when the user gave up. */
  private async login(registry: string, why: string): Promise<boolean> {
    const username = await vscode.window.showInputBox({ title: `Log in to ${registry}`, prompt: `${why}. User name:`, ignoreFocusOut: true });
    if (!username) return false;
    const password = await vscode.window.showInputBox({ title: `Log in to ${registry} as ${username}`, prompt: 'Password or access token', password: true, ignoreFocusOut: true });
    if (password === undefined) return false;
    await this.view.kubefilecWithoutStore(loginArguments(registry, username.trim()), { input: password });
    return true;
  }

  private async save(node?: ImageTreeNode): Promise<void> {
    const image = await this.imageOf(node, 'Save Image');
    if (!image) return;
    const format = await vscode.window.showQuickPick(
      [
        { label: 'oci', description: 'an OCI archive, for any OCI tool (skopeo, kubefilec load)' },
        { label: 'sealer', description: 'what `sealer load` reads with every platform' },
      ],
      { title: `Save ${image.name} as` },
    );
    if (!format) return;
    const base = vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(process.cwd());
    const file = await vscode.window.showSaveDialog({ title: `Save ${image.name}`, defaultUri: vscode.Uri.joinPath(base, `${image.name.replace(/[/:]/g, '-')}${format.label === 'sealer' ? '.sealer' : ''}.tar`) });
    if (!file) return;
    const platform = node?.kind === 'platform' ? ['--platform', node.platform.platform] : [];
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Saving ${image.name}`, cancellable: true }, (_progress, token) =>
      this.view.kubefilec(['save', '-o', file.fsPath, '--format', format.label, ...platform, image.name], { signal: abortOn(token) }),
    );
    void vscode.window.showInformationMessage(`Saved ${image.name} to ${vscode.workspace.asRelativePath(file)}`);
  }

  private async load(): Promise<void> {
    const [file] = (await vscode.window.showOpenDialog({ title: 'Load images from an archive', canSelectMany: false, filters: { Archives: ['tar', 'tgz', 'gz'], 'All files': ['*'] } })) ?? [];
    if (!file) return;
    const output = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Loading ${vscode.workspace.asRelativePath(file)}`, cancellable: true }, (_progress, token) =>
      this.view.kubefilec(['load', '-i', file.fsPath], { signal: abortOn(token) }),
    );
    this.view.refresh();
    void vscode.window.showInformationMessage(`Loaded ${output.trim().split('\n').join(', ') || vscode.workspace.asRelativePath(file)}`);
  }

  private async prune(): Promise<void> {
    const summary = (await this.view.kubefilec(['prune', '--dry-run'])).trim();
    const confirm = await vscode.window.showWarningMessage('Prune the image store?', { modal: true, detail: summary || 'Nothing to remove.' }, 'Prune');
    if (confirm !== 'Prune') return;
    const done = (await this.view.kubefilec(['prune'])).trim();
    this.view.refresh();
    void vscode.window.showInformationMessage(`Kubefile: ${done.split('\n').at(-1) || 'pruned'}`);
  }

  private async registryExport(node?: ImageTreeNode): Promise<void> {
    const image = await this.imageOf(node, 'Export Registry');
    if (!image) return;
    const [dir] = (await vscode.window.showOpenDialog({ title: `Export the registry/ of ${image.name} to`, canSelectFiles: false, canSelectFolders: true, canSelectMany: false })) ?? [];
    if (!dir) return;
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Exporting the registry of ${image.name}`, cancellable: true }, (_progress, token) =>
      this.view.kubefilec(['registry', 'export', image.name, dir.fsPath], { signal: abortOn(token) }),
    );
    void vscode.window.showInformationMessage(`Exported the container images of ${image.name} to ${vscode.workspace.asRelativePath(dir)}`);
  }
}

function abortOn(token: vscode.CancellationToken): AbortSignal {
  const controller = new AbortController();
  token.onCancellationRequested(() => controller.abort());
  return controller.signal;
}
