/** `kubefile` tasks: a lint and a build for each Kubefile in the workspace, and the ones users define in tasks.json. */
import * as vscode from 'vscode';
import { proposedTag } from './build-request.js';
import { detectedTasks, kubefilecArguments, kubefilecProcess, PROBLEM_MATCHER, TaskDefinitionError, taskLabel, type KubefileTaskDefinition } from './build-task.js';
import { readSettings } from './settings.js';

/** Kubefiles as the language is registered: `Kubefile`, `*.kubefile`, `Kubefile.*` (and `x.Kubefile`). */
const KUBEFILE_GLOB = '**/{Kubefile,*.kubefile,Kubefile.*,*.Kubefile}';

export class KubefileTaskProvider implements vscode.TaskProvider {
  constructor(private readonly bundledKubefilec: string) {}

  async provideTasks(token: vscode.CancellationToken): Promise<vscode.Task[]> {
    const tasks: vscode.Task[] = [];
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      const found = await vscode.workspace.findFiles(new vscode.RelativePattern(folder, KUBEFILE_GLOB), '**/node_modules/**', 200, token);
      const files = found.map((uri) => vscode.workspace.asRelativePath(uri, false));
      for (const definition of detectedTasks(files, (file) => proposedTag(file, undefined))) {
        const task = this.task(definition, folder);
        if (task) tasks.push(task);
      }
    }
    return tasks;
  }

  resolveTask(task: vscode.Task): vscode.Task | undefined {
    const folder = typeof task.scope === 'object' ? task.scope : vscode.workspace.workspaceFolders?.[0];
    return folder ? this.task(task.definition as KubefileTaskDefinition, folder, task.name) : undefined;
  }

  private task(definition: KubefileTaskDefinition, folder: vscode.WorkspaceFolder, name = taskLabel(definition)): vscode.Task | undefined {
    const settings = readSettings(folder.uri);
    let args: string[];
    try {
      args = kubefilecArguments(definition, { platforms: settings.platforms, buildArgs: settings.buildArgs, root: settings.root });
    } catch (error) {
      if (!(error instanceof TaskDefinitionError)) throw error;
      void vscode.window.showErrorMessage(`Kubefile task "${name}": ${error.message}`);
      return undefined;
    }
    const run = kubefilecProcess(settings.kubefilecPath, { execPath: process.execPath, script: this.bundledKubefilec }, args);
    const execution = new vscode.ProcessExecution(run.command, run.args, { cwd: folder.uri.fsPath, env: run.env });
    const task = new vscode.Task(definition, folder, name, 'kubefile', execution, PROBLEM_MATCHER);
    task.group = definition.command === 'build' ? vscode.TaskGroup.Build : undefined;
    task.detail = `kubefilec ${args.join(' ')}`;
    return task;
  }
}
