/**
 * Inspect as read-only documents named for the image (`e2e/app:v1.json`, `e2e/app:v1 (sealer).json`):
 * a content provider over the language server's `kubefile.inspect`, and the command that switches
 * an open one to another format. Nothing to save, nothing asked on close.
 */
import * as vscode from 'vscode';
import { ExecuteCommandRequest, type LanguageClient } from 'vscode-languageclient/node';
import type { InspectArguments } from '@kubefile/lsp/protocol';

export const INSPECT_SCHEME = 'kubefile-image';

type InspectFormat = NonNullable<InspectArguments['format']>;

export const INSPECT_FORMATS: readonly { format: InspectFormat; label: string; description: string }[] = [
  { format: 'json', label: 'JSON', description: 'the OCI index, manifests and configs' },
  { format: 'sealer', label: 'sealer', description: 'as `sealer inspect` (v0.11) prints it: manifest, config, image extension, container images' },
  { format: 'sealer-v0.8', label: 'sealer v0.8 (YAML)', description: 'as the design documents show it: manifest list and kind: Image' },
];

/** The document of an image in a format (and for one platform, or all). */
export function inspectUri(args: InspectArguments): vscode.Uri {
  const format = args.format ?? 'json';
  const suffix = [format === 'json' ? '' : format, args.platform?.replaceAll('/', '-') ?? ''].filter((part) => part !== '').join(', ');
  const extension = format === 'sealer-v0.8' ? 'yaml' : 'json';
  const query = new URLSearchParams({ name: args.name, format, ...(args.platform ? { platform: args.platform } : {}) });
  return vscode.Uri.from({ scheme: INSPECT_SCHEME, path: `/${args.name}${suffix ? ` (${suffix})` : ''}.${extension}`, query: query.toString() });
}

export function inspectArguments(uri: vscode.Uri): InspectArguments {
  const query = new URLSearchParams(uri.query);
  const format = INSPECT_FORMATS.find((f) => f.format === query.get('format'))?.format ?? 'json';
  const platform = query.get('platform');
  return { name: query.get('name') ?? '', format, ...(platform ? { platform } : {}) };
}

export class InspectDocuments implements vscode.TextDocumentContentProvider {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  constructor(private readonly client: LanguageClient) {}

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    try {
      return (await this.client.sendRequest(ExecuteCommandRequest.type, { command: 'kubefile.inspect', arguments: [inspectArguments(uri)] })) as string;
    } catch (error) {
      // Shown in the document: the image was deleted since, or the store cannot be read.
      return `// ${error instanceof Error ? error.message : String(error)}\n`;
    }
  }

  /** Opens (or shows again, fresh) the image's document. */
  async open(args: InspectArguments): Promise<void> {
    const uri = inspectUri(args);
    this.changed.fire(uri);
    const document = await vscode.workspace.openTextDocument(uri);
    await vscode.languages.setTextDocumentLanguage(document, uri.path.endsWith('.yaml') ? 'yaml' : 'json');
    await vscode.window.showTextDocument(document, { preview: true });
  }

  /** "Switch Format": the active inspect document in another format, in its place. */
  async switchFormat(uri = vscode.window.activeTextEditor?.document.uri): Promise<void> {
    if (uri?.scheme !== INSPECT_SCHEME) return;
    const current = inspectArguments(uri);
    const picked = await vscode.window.showQuickPick(
      INSPECT_FORMATS.filter((f) => f.format !== current.format).map((f) => ({ label: f.label, description: f.description, format: f.format })),
      { title: `Inspect ${current.name} as` },
    );
    if (!picked) return;
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    await this.open({ ...current, format: picked.format });
  }

  dispose(): void {
    this.changed.dispose();
  }
}
