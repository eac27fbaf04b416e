/** `kubefilec compile`: the build plans of a Kubefile, one per platform, as the versioned IR JSON. */
import { toIrDocument, type Op, type PlatformPlan } from '@kubefile/compiler';
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
  // How many plans build each stage: a stage on a fixed platform may serve every target.
  const sharing = new Map<string, number>();
  for (const plan of plans) for (const stage of plan.stages) sharing.set(stage.id, (sharing.get(stage.id) ?? 0) + 1);
  io.out(options.emit === 'ir' ? `${JSON.stringify(toIrDocument(plans), null, 2)}\n` : plans.map((plan) => planText(plan, sharing)).join('\n'));
  return EXIT_OK;
}

/**
 * One line per op: what a person wants to see of a plan. A multi-stage plan shows one block per
 * stage (`stage builder [linux/amd64, shared by 2 plans]`); `sharing` counts the plans of each stage id.
 */
export function planText(plan: PlatformPlan, sharing: ReadonlyMap<string, number> = new Map()): string {
  const lines = [`${plan.platform} (from ${plan.base})`];
  if (plan.stages.length <= 1) {
    lines.push(...opLines(plan.ops, '  '));
    return `${lines.join('\n')}\n`;
  }
  for (const stage of plan.stages) {
    const shared = sharing.get(stage.id) ?? 1;
    lines.push(`  stage ${stage.name ?? stage.index} [${stage.platform}${shared > 1 ? `, shared by ${shared} plans` : ''}] (from ${stage.base})`);
    lines.push(...opLines(stage.ops, '    '));
  }
  return `${lines.join('\n')}\n`;
}

function opLines(ops: readonly Op[], indent: string): string[] {
  const lines: string[] = [];
  for (const op of ops) {
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
    if (op.kind === 'copy' && op.from) detail += 'stage' in op.from ? `  [from stage ${op.from.name}]` : `  [from ${op.from.image} ${op.from.platform}]`;
    lines.push(`${indent}${digest}  ${op.kind.toUpperCase().padEnd(11)} ${detail}`);
  }
  return lines;
}
