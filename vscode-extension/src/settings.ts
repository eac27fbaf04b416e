/** The extension's settings (`kubefile.*`, contributed in package.json), read with defaults. */
import * as vscode from 'vscode';

export const SETTINGS_SECTION = 'kubefile';

export interface KubefileSettings {
  platforms: string[];
  buildArgs: Record<string, string>;
  root: string;
  kubefilecPath: string;
  /** `kubefile.lint.*`: which diagnostic codes the language server reports, and how severely. */
  lint: { enable: string[]; disable: string[]; severity: Record<string, string> };
  /** `kubefile.shellcheck.enable` and `.path`, for the language server. */
  shellcheck: { enable: boolean; path: string };
}

export function readSettings(scope?: vscode.ConfigurationScope): KubefileSettings {
  const config = vscode.workspace.getConfiguration(SETTINGS_SECTION, scope);
  return {
    platforms: config.get<string[]>('platforms') ?? [],
    buildArgs: config.get<Record<string, string>>('buildArgs') ?? {},
    root: config.get<string>('root') ?? '',
    kubefilecPath: config.get<string>('kubefilecPath') ?? '',
    lint: {
      enable: config.get<string[]>('lint.enable') ?? [],
      disable: config.get<string[]>('lint.disable') ?? [],
      severity: config.get<Record<string, string>>('lint.severity') ?? {},
    },
    shellcheck: { enable: config.get<boolean>('shellcheck.enable') ?? true, path: config.get<string>('shellcheck.path') ?? '' },
  };
}

/**
 * `kubefile.setBuildArg` (offered by the server's quick fix for an ARG without a value): asks for
 * the value and adds it to `kubefile.buildArgs`, the workspace's when a folder is open.
 */
export async function setBuildArg(name: unknown): Promise<void> {
  if (typeof name !== 'string' || name === '') return;
  const config = vscode.workspace.getConfiguration(SETTINGS_SECTION);
  const current = config.get<Record<string, string>>('buildArgs') ?? {};
  const value = await vscode.window.showInputBox({ title: `Build arg ${name}`, prompt: `The value of ARG ${name} when checking and building (kubefile.buildArgs)`, value: current[name] ?? '' });
  if (value === undefined) return;
  const target = vscode.workspace.workspaceFolders?.length ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  await config.update('buildArgs', { ...current, [name]: value }, target);
}
