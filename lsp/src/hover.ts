/**
 * Hover: keyword documentation (for RUN, where it runs in its stage), variable values per platform,
 * what a COPY/ADD source matched on each platform, which platforms a FROM image has in the local
 * store, and what a `COPY --from` takes: the stage, or the image's variant per target platform.
 */
import { formatPlatform, parsePlatform, resolveFrom, samePlatform, stageTable, type CopyOp, type Op, type Platform, type PlatformPlan, type StagePlan } from '@kubefile/compiler';
import { isInstruction, isKeyword, type AstWordPart, type AstVariable, type Flag, type Instruction, type Kubefile, type Range, type Word } from '@kubefile/grammar';
import type { Hover, Position } from 'vscode-languageserver';
import { offsetAt, type Analysis, type FeatureContext } from './analysis.js';
import { variablesAt, type VisibleVariable } from './completion.js';
import { toLspRange } from './convert.js';
import { instructionDoc } from './instruction-docs.js';
import { MarkupKind } from './languageserver.js';
import { instructionLine } from './structure.js';
import { flagWords } from './symbols.js';

const contains = (range: Range, offset: number): boolean => range.start.offset <= offset && offset <= range.end.offset;

const markdown = (value: string, range: Range): Hover => ({ contents: { kind: MarkupKind.Markdown, value }, range: toLspRange(range) });

export async function hover(analysis: Analysis, position: Position, context: FeatureContext): Promise<Hover | null> {
  const offset = offsetAt(analysis, position);
  const instruction = analysis.result.ast.instructions.find((i) => contains(i.range, offset));
  if (!instruction) return null;

  if (contains(instruction.keywordRange, offset)) {
    if (!isKeyword(instruction.keyword)) return null;
    const run = instruction.keyword === 'RUN' ? runDoc(analysis, stageOf(analysis.result.ast, instruction)) : undefined;
    return markdown(run ? `${instructionDoc(instruction.keyword)}\n\n---\n\n${run}` : instructionDoc(instruction.keyword), instruction.keywordRange);
  }

  const reference = wordsOf(instruction).flatMap((w) => variablesIn(w.parts ?? [])).find((v) => contains(v.range, offset));
  if (reference) {
    const variable = variablesAt(analysis, instruction.range.start.offset).get(reference.name);
    return markdown(variableDoc(reference.name, variable), reference.range);
  }

  // A `--from` value (a variable in it is shown as a variable, above).
  const from = isInstruction(instruction, 'COPY') ? instruction.flags.find((f) => f.name === 'from' && f.value && f.valueRange && contains(f.valueRange, offset)) : undefined;
  if (from?.valueRange) return markdown(await copyFromDoc(analysis, context, instruction, from), from.valueRange);

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
    const table = stageTable(analysis.result.ast);
    const index = stageOf(analysis.result.ast, instruction);
    const base = table.stages[index]?.baseStage;
    return markdown(base === undefined ? await imageDoc(analysis, context, instruction.image, index) : stageDoc(analysis, base), instruction.image.range);
  }
  return null;
}

/** The index of the stage an instruction is in; -1 before the first FROM. */
function stageOf(ast: Kubefile, instruction: Instruction): number {
  const at = ast.instructions.indexOf(instruction);
  return stageTable(ast).stages.findIndex((s) => s.first <= at && at < s.end);
}

/** Stage `index` as each plan builds it; plans that do not build it (it is not reachable from their target) are left out. */
function stagePlans(analysis: Analysis, index: number): { plan: PlatformPlan; stage: StagePlan }[] {
  return analysis.result.plans.flatMap((plan) => plan.stages.filter((s) => s.index === index).map((stage) => ({ plan, stage })));
}

/** Every op of a plan, of all its stages (a line is in one stage). */
function opsOf(plan: PlatformPlan): Op[] {
  return plan.stages.flatMap((s) => s.ops);
}

/** `${lead} ${text}.` once when every platform agrees, else `${lead}:` and one row per platform. */
function perPlatform(lead: string, rows: readonly (readonly [string, string])[]): string {
  if (new Set(rows.map(([, text]) => text)).size === 1) return `${lead} ${rows[0][1]}.`;
  return [`${lead}:`, rows.map(([platform, text]) => `- ${platform}: ${text}`).join('\n')].join('\n\n');
}

/** Where a stage's RUN commands execute, from its plans' `run`; undefined when no plan builds the stage. */
function runDoc(analysis: Analysis, index: number): string | undefined {
  const rows = stagePlans(analysis, index).map(({ plan, stage }) => [plan.platform, runMode(stage, analysis.settings.buildPlatform)] as const);
  if (rows.length === 0) return undefined;
  return perPlatform('In this stage RUN runs', rows);
}

function runMode(stage: StagePlan, buildPlatform: Platform): string {
  const base = `\`${stage.base}\``;
  switch (stage.run) {
    case 'host':
      return `on the build host (sealer's RUN: ${base} is a cluster image or scratch)`;
    case 'chroot': {
      const foreign = stage.target.architecture !== buildPlatform.architecture;
      return `inside the image root of ${base} (chroot, as Docker does${foreign ? `; qemu for ${stage.platform}` : ''})`;
    }
    case 'unknown':
      return `on the build host if ${base} is a cluster image, or inside its root (chroot) if it is an OS image (it is not in the local store, so which is not known yet)`;
  }
}

/** A stage: its name and FROM line, and per plan the platform it is built for and its base. */
function stageDoc(analysis: Analysis, index: number): string {
  const stage = stageTable(analysis.result.ast).stages[index];
  const title = stage.name === undefined ? `**stage ${index}**` : `**${stage.name}** (stage ${index})`;
  const lines = [`${title}, line ${stage.from.range.start.line + 1}: \`${instructionLine(stage.from)}\``];
  const built = stagePlans(analysis, index);
  if (built.length > 0) lines.push(perPlatform('Built', built.map(({ plan, stage: s }) => [plan.platform, `for ${s.platform} from \`${s.base}\``] as const)));
  // Equal ids: every plan reads the same result, which the build makes once.
  if (built.length > 1 && new Set(built.map(({ stage: s }) => s.id)).size === 1) lines.push('One build, shared by every target platform.');
  return lines.join('\n\n');
}

/** `COPY --from=`: the stage it names, the image variant each target platform takes, or why it names nothing. */
async function copyFromDoc(analysis: Analysis, context: FeatureContext, instruction: Instruction, flag: Flag): Promise<string> {
  const table = stageTable(analysis.result.ast);
  const at = stageOf(analysis.result.ast, instruction);
  const value = flag.value ?? '';
  const ref = table.stages[at]?.copies.find((c) => c.flag === flag)?.ref ?? resolveFrom(table, value, at, true);
  if ('error' in ref) return `**--from=${value}**: ${ref.message}`;
  if ('stage' in ref) return stageDoc(analysis, ref.stage);

  const line = instruction.range.start.line + 1;
  const stored = new Map<string, Promise<readonly string[] | undefined>>();
  const platformsOf = (image: string) => {
    let found = stored.get(image);
    if (!found) {
      found = context.imagePlatforms?.(image) ?? Promise.resolve(undefined);
      stored.set(image, found);
    }
    return found;
  };
  const rows: string[] = [];
  for (const plan of analysis.result.plans) {
    const op = opsOf(plan).find((o): o is CopyOp => o.kind === 'copy' && o.line === line);
    // The plan's own answer when it has one; else the stage's platform (a fixed one, or the target's).
    const taken = op?.from && 'image' in op.from ? op.from : { image: ref.image, platform: stagePlans(analysis, at).find((s) => s.plan === plan)?.stage.platform ?? plan.platform };
    rows.push(`- ${plan.platform} → \`${taken.image}\` ${taken.platform} ${variantStatus(await platformsOf(taken.image), taken.platform)}`);
  }
  return [`**${ref.image}** (image): the variant each target platform takes`, rows.join('\n')].join('\n\n');
}

/** Whether the store has an image's variant for a platform. */
function variantStatus(stored: readonly string[] | undefined, platform: string): string {
  if (stored === undefined) return '(not in the local store: pulled at build time)';
  const wanted = readPlatform(platform);
  const has = (specifier: string) => {
    const have = readPlatform(specifier);
    return wanted !== undefined && have !== undefined && samePlatform(have, wanted);
  };
  if (stored.some(has)) return '(in the store)';
  return `(**no ${platform} variant** in the store, which has ${stored.length > 0 ? stored.join(', ') : 'none'})`;
}

function readPlatform(specifier: string): Platform | undefined {
  try {
    return parsePlatform(specifier);
  } catch {
    return undefined;
  }
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
  const from = instruction.flags.find((f) => f.name === 'from');
  // Matches are build-context files: a `--from` source is a path in the stage or image instead.
  if (from) return `**${instruction.sources[index].text}**: a path in \`--from=${from.value ?? ''}\`, not in the build context`;
  const line = instruction.range.start.line + 1;
  const rows: string[] = [];
  for (const plan of analysis.result.plans) {
    const op = opsOf(plan).find((o): o is CopyOp => (o.kind === 'copy' || o.kind === 'add') && o.line === line);
    // Sources the compiler rejected are left out of the op, so the index only holds when none were.
    const matches = op && op.sources.length === instruction.sources.length ? op.matches[index] : undefined;
    const platform = formatPlatform(plan.target);
    rows.push(`- ${platform}: ${matches === undefined ? '*(not resolved)*' : matches.length === 0 ? '*nothing*' : matches.map((m) => `\`${m}\``).join(', ')}`);
  }
  return [`**${instruction.sources[index].text}** matches`, rows.join('\n')].join('\n\n');
}

async function imageDoc(analysis: Analysis, context: FeatureContext, image: Word, index: number): Promise<string> {
  // The image name as each platform expanded it (`FROM base:${VERSION}`): its stage's base; plans without stages, the plan's.
  const built = stagePlans(analysis, index);
  const names = [...new Set(built.length > 0 ? built.map(({ stage }) => stage.base) : index === 0 ? analysis.result.plans.map((p) => p.base) : [])];
  const sections: string[] = [];
  for (const name of names.length > 0 ? names : [image.text]) {
    if (name === 'scratch') {
      sections.push('**scratch**: no base image');
      continue;
    }
    const platforms = await context.imagePlatforms?.(name);
    sections.push(platforms && platforms.length > 0 ? `**${name}**: ${platforms.join(', ')}` : `**${name}**: not in the local store`);
  }
  // sealer's RUN on the host is the usual meaning: say it only when this stage's RUN differs.
  if (built.some(({ stage }) => stage.run !== 'host')) {
    const run = runDoc(analysis, index);
    if (run) sections.push(run);
  }
  return sections.join('\n\n');
}
