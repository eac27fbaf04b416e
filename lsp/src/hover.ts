/**
 * Hover: keyword documentation, variable values per platform, what a COPY/ADD source matched on
 * each platform, and which platforms a FROM image has in the local store.
 */
import { formatPlatform, type CopyOp } from '@kubefile/compiler';
import { isInstruction, isKeyword, type AstWordPart, type AstVariable, type Instruction, type Range, type Word } from '@kubefile/grammar';
import { MarkupKind, type Hover, type Position } from 'vscode-languageserver';
import { offsetAt, type Analysis, type FeatureContext } from './analysis.js';
import { variablesAt, type VisibleVariable } from './completion.js';
import { toLspRange } from './convert.js';
import { instructionDoc } from './instruction-docs.js';
import { flagWords } from './symbols.js';

const contains = (range: Range, offset: number): boolean => range.start.offset <= offset && offset <= range.end.offset;

const markdown = (value: string, range: Range): Hover => ({ contents: { kind: MarkupKind.Markdown, value }, range: toLspRange(range) });

export async function hover(analysis: Analysis, position: Position, context: FeatureContext): Promise<Hover | null> {
  const offset = offsetAt(analysis, position);
  const instruction = analysis.result.ast.instructions.find((i) => contains(i.range, offset));
  if (!instruction) return null;

  if (contains(instruction.keywordRange, offset)) {
    return isKeyword(instruction.keyword) ? markdown(instructionDoc(instruction.keyword), instruction.keywordRange) : null;
  }

  const reference = wordsOf(instruction).flatMap((w) => variablesIn(w.parts ?? [])).find((v) => contains(v.range, offset));
  if (reference) {
    const variable = variablesAt(analysis, instruction.range.start.offset).get(reference.name);
    return markdown(variableDoc(reference.name, variable), reference.range);
  }

  // A declared name: its value once the declaration has taken effect.
  const declared = isInstruction(instruction, 'ARG') ? instruction.declarations : isInstruction(instruction, 'ENV') ? instruction.pairs : [];
  const declaration = declared.find((d) => contains(d.name.range, offset));
  if (declaration) {
    const variable = variablesAt(analysis, instruction.range.end.offset + 1).get(declaration.name.text);
    return markdown(variableDoc(declaration.name.text, variable), declaration.name.range);
  }

  if (isInstruction(instruction, 'COPY') || isInstruction(instruction, 'ADD')) {
    const index = instruction.sources.findIndex((w) => contains(w.range, offset));
    if (index !== -1) return markdown(sourceDoc(analysis, instruction, index), instruction.sources[index].range);
  }

  if (isInstruction(instruction, 'FROM') && instruction.image && contains(instruction.image.range, offset)) {
    return markdown(await imageDoc(analysis, context, instruction.image), instruction.image.range);
  }
  return null;
}

/** The words of an instruction that may hold references: its arguments and declared values. */
function wordsOf(instruction: Instruction): Word[] {
  const words = [...flagWords(instruction), ...instruction.args];
  if (isInstruction(instruction, 'ARG')) for (const d of instruction.declarations) if (d.value) words.push(d.value);
  if (isInstruction(instruction, 'ENV') || isInstruction(instruction, 'LABEL') || isInstruction(instruction, 'APPENV')) {
    for (const p of instruction.pairs) if (p.value) words.push(p.value);
  }
  return words;
}

/** References, including those nested in a modifier's operand (`${A:-$B}`). */
function variablesIn(parts: readonly AstWordPart[]): AstVariable[] {
  const out: AstVariable[] = [];
  for (const part of parts) {
    if (part.kind !== 'variable') continue;
    out.push(...variablesIn(part.operand ?? []), ...variablesIn(part.replacement ?? []));
    out.push(part);
  }
  // Innermost first, so a nested reference wins over the one around it.
  return out;
}

/** Markdown for a variable: its kind, value per platform and where it is declared. */
export function variableDoc(name: string, variable: VisibleVariable | undefined): string {
  if (!variable) return `**${name}**: not declared (expands to an empty string)`;
  const kind = variable.kind === 'platform' ? 'platform variable' : variable.kind;
  const values = [...variable.values].map(([platform, value]) => `- ${platform}: ${value === undefined ? '*(no value)*' : `\`${value}\``}`);
  const where = variable.line === undefined ? 'Predefined for each target platform.' : `Declared on line ${variable.line + 1}.`;
  return [`**${name}** (${kind})`, values.join('\n'), where].join('\n\n');
}

function sourceDoc(analysis: Analysis, instruction: Instruction & { sources: Word[] }, index: number): string {
  const line = instruction.range.start.line + 1;
  const rows: string[] = [];
  for (const plan of analysis.result.plans) {
    const op = plan.ops.find((o): o is CopyOp => (o.kind === 'copy' || o.kind === 'add') && o.line === line);
    // Sources the compiler rejected are left out of the op, so the index only holds when none were.
    const matches = op && op.sources.length === instruction.sources.length ? op.matches[index] : undefined;
    const platform = formatPlatform(plan.target);
    rows.push(`- ${platform}: ${matches === undefined ? '*(not resolved)*' : matches.length === 0 ? '*nothing*' : matches.map((m) => `\`${m}\``).join(', ')}`);
  }
  return [`**${instruction.sources[index].text}** matches`, rows.join('\n')].join('\n\n');
}

async function imageDoc(analysis: Analysis, context: FeatureContext, image: Word): Promise<string> {
  // The image name as each platform expanded it (`FROM base:${VERSION}`).
  const names = [...new Set(analysis.result.plans.map((p) => p.base))];
  const sections: string[] = [];
  for (const name of names.length > 0 ? names : [image.text]) {
    if (name === 'scratch') {
      sections.push('**scratch**: no base image');
      continue;
    }
    const platforms = await context.imagePlatforms?.(name);
    sections.push(platforms && platforms.length > 0 ? `**${name}**: ${platforms.join(', ')}` : `**${name}**: not in the local store`);
  }
  return sections.join('\n\n');
}
