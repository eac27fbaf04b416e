/**
 * Inlay hints where a multi-platform build hides what a line means:
 *
 * - after a COPY/ADD/APP source that uses a variable (`${ARCH}/helm`): what it expands to on each
 *   target platform and, for a build-context path, how many context files it matched there (from the plans);
 * - after a variable used in an ENV, LABEL or FROM value: its value per platform, when the value
 *   differs between platforms or is an ARG's that the source does not show (a build arg, a global
 *   or a default built from other variables).
 *
 * Literals get no hint: the text already says what they are.
 */
import { formatPlatform, sourceKind, type AppOp, type CopyOp, type PlatformPlan } from '@kubefile/compiler';
import { isInstruction, variablesOf, type Instruction, type Range, type Word } from '@kubefile/grammar';
import type { InlayHint, Range as LspRange } from 'vscode-languageserver';
import type { Analysis, FeatureContext } from './analysis.js';
import { describeValues, variablesAt, type VisibleVariable } from './completion.js';
import { InlayHintKind } from './languageserver.js';
import { flagWords } from './symbols.js';

export function inlayHints(analysis: Analysis, range: LspRange, context: FeatureContext): InlayHint[] {
  const hints: InlayHint[] = [];
  const { ast, lines } = analysis.result;
  const inRange = (at: Range['end']) =>
    (at.line > range.start.line || (at.line === range.start.line && at.column >= range.start.character)) &&
    (at.line < range.end.line || (at.line === range.end.line && at.column <= range.end.character));
  const hint = (at: Range['end'], label: string, tooltip?: string) => {
    if (!inRange(at)) return;
    const position = lines.position(at.offset);
    hints.push({ position: { line: position.line, character: position.column }, label, kind: InlayHintKind.Type, paddingLeft: true, ...(tooltip ? { tooltip } : {}) });
  };

  for (const instruction of ast.instructions) {
    if (instruction.range.end.line < range.start.line || instruction.range.start.line > range.end.line) continue;
    if (isInstruction(instruction, 'COPY') || isInstruction(instruction, 'ADD') || isInstruction(instruction, 'APP') || isInstruction(instruction, 'CNI') || isInstruction(instruction, 'CSI')) {
      instruction.sources.forEach((source, index) => {
        if (variablesOf(source.parts ?? []).length === 0) return;
        // A `--from` source is a path in a stage or image: no build-context matches to count.
        const counted = context.buildContext !== undefined && !instruction.flags.some((f) => f.name === 'from');
        const label = sourceLabel(analysis.result.plans, instruction, index, counted);
        if (label) hint(source.range.end, label);
      });
      continue;
    }
    const words = valueWords(instruction);
    if (words.length === 0) continue;
    let visible: Map<string, VisibleVariable> | undefined;
    for (const word of words) {
      for (const variable of variablesOf(word.parts ?? [])) {
        visible ??= variablesAt(analysis, instruction.range.start.offset);
        const value = visible.get(variable.name);
        if (value && hiddenValue(analysis, value)) hint(variable.range.end, `= ${describeValues(value.values)}`);
      }
    }
  }
  return hints;
}

/** The words of ENV, LABEL and FROM whose variables get value hints. */
function valueWords(instruction: Instruction): Word[] {
  if (isInstruction(instruction, 'ENV') || isInstruction(instruction, 'LABEL')) return instruction.pairs.flatMap((p) => (p.value ? [p.value] : []));
  if (isInstruction(instruction, 'FROM')) return [...flagWords(instruction), ...(instruction.image ? [instruction.image] : [])];
  return [];
}

/** Whether a variable's value is not readable from the text: it differs per platform, or is an ARG's set elsewhere. */
function hiddenValue(analysis: Analysis, variable: VisibleVariable): boolean {
  if (new Set(variable.values.values()).size > 1) return true;
  if (variable.kind !== 'ARG') return false;
  if (Object.hasOwn(analysis.settings.buildArgs, variable.name)) return true;
  const declaration = variable.line === undefined ? undefined : declarationOn(analysis, variable.line, variable.name);
  // `ARG X` taking a global's value, or a default made of other variables.
  return !declaration?.value || variablesOf(declaration.value.parts ?? []).length > 0;
}

function declarationOn(analysis: Analysis, line: number, name: string) {
  const instruction = analysis.result.ast.instructions.find((i) => i.range.start.line === line);
  return instruction && isInstruction(instruction, 'ARG') ? instruction.declarations.find((d) => d.name.text === name) : undefined;
}

/** `linux/amd64: amd64/helm (1 match) · linux/arm64/v8: arm64/helm (no match)`, or one value when the platforms agree. */
function sourceLabel(plans: readonly PlatformPlan[], instruction: Instruction & { sources: Word[] }, index: number, counted: boolean): string | undefined {
  const line = instruction.range.start.line + 1;
  const rows: [string, string][] = [];
  for (const plan of plans) {
    // A multi-stage plan holds each stage's ops in its stage.
    const op = plan.stages.flatMap((s) => s.ops).find((o): o is CopyOp | AppOp => (o.kind === 'copy' || o.kind === 'add' || o.kind === 'app') && o.line === line);
    // Sources the compiler rejected are left out of the op: the index only holds when none were.
    if (!op || op.sources.length !== instruction.sources.length) continue;
    const expanded = op.sources[index];
    // Only context files are matched, and only when there is a context to look in.
    const matches = op.kind === 'app' || !counted || sourceKind(expanded) !== 'context' ? undefined : op.matches[index];
    const count = matches === undefined ? '' : ` (${matches.length === 0 ? 'no match' : matches.length === 1 ? '1 match' : `${matches.length} matches`})`;
    rows.push([formatPlatform(plan.target), `${expanded}${count}`]);
  }
  if (rows.length === 0) return undefined;
  if (new Set(rows.map(([, value]) => value)).size === 1) return `→ ${rows[0][1]}`;
  return `→ ${rows.map(([platform, value]) => `${platform}: ${value}`).join(' · ')}`;
}
