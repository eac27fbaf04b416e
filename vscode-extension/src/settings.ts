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
