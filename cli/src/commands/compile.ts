/** `kubefilec compile`: the build plans of a Kubefile, one per platform, as the versioned IR JSON. */
import { toIrDocument, type PlatformPlan } from '@kubefile/compiler';
import { EXIT_OK, EXIT_PROBLEMS } from '../errors.js';
import { compileKubefile, type TargetOptions } from '../target.js';
import type { CommandIO } from './io.js';

export interface CompileCommandOptions extends TargetOptions {
  file?: string;
  emit: 'ir' | 'text';
}

export async function compileCommand(context: string, options: CompileCommandOptions, io: CommandIO): Promise<number> {
  const compiled = await compileKubefile(context, options, io);
  if (!compiled) return EXIT_PROBLEMS;
  const { plans } = compiled.result;
  io.out(options.emit === 'ir' ? `${JSON.stringify(toIrDocument(plans), null, 2)}\n` : plans.map(planText).join('\n'));
  return EXIT_OK;
}

/** One line per op: what a person wants to see of a plan. */
export function planText(plan: PlatformPlan): string {
  const lines = [`${plan.platform} (from ${plan.base})`];
  for (const op of plan.ops) {
    const digest = op.digest.slice('sha256:'.length, 'sha256:'.length + 12);
    let detail: string;
    switch (op.kind) {
      case 'from':
        detail = op.image;
        break;
      case 'copy':
      case 'add':
        detail = `${op.sources.join(' ')} -> ${op.dest || '.'}${op.destIsDirectory ? '/' : ''}`;
        break;
      case 'run':
        detail = `${op.preview}${op.emulation ? `  [qemu ${op.emulation.architecture}: ${op.emulation.programs.join(', ')}]` : ''}`;
        break;
      case 'cmd':
        detail = op.preview;
        break;
      case 'env':
        detail = Object.entries(op.env).map(([k, v]) => `${k}=${v}`).join(' ');
        break;
      case 'label':
        detail = Object.entries(op.labels).map(([k, v]) => `${k}=${v}`).join(' ');
        break;
      case 'arg':
        detail = Object.entries(op.args).map(([k, v]) => (v === null ? k : `${k}=${v}`)).join(' ');
        break;
      case 'app':
        detail = `${op.name} ${op.sources.join(' ')}`;
        break;
      case 'appcmds':
        detail = `${op.app} ${op.command.join(' ')}`;
        break;
      case 'appenv':
        detail = `${op.app} ${Object.entries(op.env).map(([k, v]) => `${k}=${v}`).join(' ')}`;
        break;
      case 'launch':
        detail = op.apps.join(' ');
        break;
      case 'cmds':
        detail = op.commands.join(' ');
        break;
      case 'kubeversion':
        detail = op.constraint;
        break;
      case 'maintainer':
        detail = op.maintainer;
        break;
    }
    lines.push(`  ${digest}  ${op.kind.toUpperCase().padEnd(11)} ${detail}`);
  }
  return `${lines.join('\n')}\n`;
}
