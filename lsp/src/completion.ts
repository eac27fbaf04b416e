/**
 * Completion: instruction keywords, variables, flags and their values, build-context paths, rootfs
 * destinations, application names, images and stage names, chosen from where the cursor is in its
 * instruction.
 */
import { COMMON_PLATFORMS, expandWord, formatPlatform, platformVariables, ROOTFS_DIRECTORIES, stageTable, type StageInfo } from '@kubefile/compiler';
import { INSTRUCTIONS, isInstruction, isKeyword, KEYWORDS, type Instruction, type Keyword, type Kubefile } from '@kubefile/grammar';
import type { CompletionItem, Position, Range as LspRange } from 'vscode-languageserver';
import { offsetAt, type Analysis, type FeatureContext } from './analysis.js';
import { toLspRange } from './convert.js';
import { snippetOf } from './instruction-docs.js';
import { CompletionItemKind, CompletionItemTag, InsertTextFormat } from './languageserver.js';
import { instructionLine } from './structure.js';

/** What `completionItem/resolve` needs to find an item's documentation again. */
export type CompletionData =
  | { kind: 'keyword'; keyword: Keyword }
  | { kind: 'flag'; flag: string }
  /** `offset`: where the variable was visible (the start of the instruction completed in). */
  | { kind: 'variable'; name: string; offset: number };

/** A variable visible at some point of the file, with its value on each configured platform. */
export interface VisibleVariable {
  name: string;
  kind: 'ARG' | 'ENV' | 'platform';
  /** 0-based line of the declaration in effect (absent for platform variables). */
  line?: number;
  /** Platform (`linux/amd64`) → value; undefined when declared without a value. */
  values: Map<string, string | undefined>;
}

/**
 * The variables visible to instructions starting before `offset`, walking the file Docker's way:
 * ARGs before FROM are only for FROM, a stage ARG takes its build arg, default or global value, ENV
 * shadows ARG, and the platform variables win over everything. Values are computed per plan so they
 * match what the compiler expanded.
 */
export function variablesAt(analysis: Analysis, offset: number): Map<string, VisibleVariable> {
  const visible = new Map<string, VisibleVariable>();
  const { ast, plans } = analysis.result;
  const before = ast.instructions.filter((i) => i.range.start.offset < offset);
  const inStage = before.some((i) => i.keyword === 'FROM');
  for (const plan of plans) {
    const platform = formatPlatform(plan.target);
    const predefined = platformVariables(plan.target, analysis.settings.buildPlatform);
    const globals = new Map<string, { value?: string; line: number }>();
    const args = new Map<string, { value?: string; line: number }>();
    const env = new Map<string, { value: string; line: number }>();
    let stage = false;
    const lookup = (name: string): string | undefined => {
      if (stage && env.has(name)) return env.get(name)?.value;
      if (Object.hasOwn(predefined, name)) return predefined[name];
      return (stage ? args : globals).get(name)?.value;
    };
    for (const instruction of before) {
      const line = instruction.range.start.line;
      if (instruction.keyword === 'FROM') stage = true;
      else if (isInstruction(instruction, 'ARG')) {
        for (const d of instruction.declarations) {
          const name = d.name.text;
          const value = analysis.settings.buildArgs[name] ?? (d.value ? expandWord(d.value, lookup, ast.escapeChar).value : undefined) ?? (stage ? globals.get(name)?.value : undefined);
          (stage ? args : globals).set(name, value === undefined ? { line } : { value, line });
        }
      } else if (stage && isInstruction(instruction, 'ENV')) {
        for (const pair of instruction.pairs) env.set(pair.name.text, { value: pair.value ? expandWord(pair.value, lookup, ast.escapeChar).value : '', line });
      }
    }
    const record = (name: string, kind: VisibleVariable['kind'], value: string | undefined, line?: number) => {
      let variable = visible.get(name);
      if (!variable) {
        variable = { name, kind, values: new Map(), ...(line === undefined ? {} : { line }) };
        visible.set(name, variable);
      }
      variable.values.set(platform, value);
    };
    for (const [name, { value, line }] of inStage ? args : globals) if (!Object.hasOwn(predefined, name) && !(inStage && env.has(name))) record(name, 'ARG', value, line);
    if (inStage) for (const [name, { value, line }] of env) if (!Object.hasOwn(predefined, name)) record(name, 'ENV', value, line);
    for (const [name, value] of Object.entries(predefined)) record(name, 'platform', value);
  }
  return visible;
}

/** `linux/amd64: x, linux/arm64/v8: y`, or the single value when every platform agrees. */
export function describeValues(values: ReadonlyMap<string, string | undefined>): string {
  const shown = [...values].map(([platform, value]) => [platform, value === undefined ? '(no value)' : JSON.stringify(value)] as const);
  const distinct = new Set(shown.map(([, v]) => v));
  if (distinct.size === 1 && shown.length > 0) return shown[0][1];
  return shown.map(([p, v]) => `${p}: ${v}`).join(', ');
}

/** The instruction whose lines hold `line` (continuation lines included). */
export function instructionAtLine(ast: Kubefile, line: number): Instruction | undefined {
  return ast.instructions.find((i) => i.range.start.line <= line && line <= i.range.end.line);
}

export async function completion(analysis: Analysis, position: Position, context: FeatureContext): Promise<CompletionItem[]> {
  const offset = offsetAt(analysis, position);
  const lineStart = analysis.result.lines.lineStarts[position.line] ?? 0;
  const linePrefix = analysis.text.slice(lineStart, offset);
  const at = (length: number): LspRange => ({ start: { line: position.line, character: position.character - length }, end: position });

  // A variable reference comes first: `$` works in every instruction's arguments.
  const variable = /\$(\{?)([\p{L}\p{Nd}_]*)$/u.exec(linePrefix);
  if (variable && !/^\s*[A-Za-z]*$/.test(linePrefix.slice(0, variable.index))) {
    return variableItems(analysis, offset, at(variable[2].length), variable[1] === '{' && analysis.text[offset] !== '}');
  }

  const instruction = instructionAtLine(analysis.result.ast, position.line);
  const typingKeyword = /^\s*[A-Za-z]*$/.test(linePrefix);
  if (!instruction || (typingKeyword && instruction.range.start.line === position.line)) {
    if (!typingKeyword) return [];
    // Replacing the keyword of a written instruction: swap the whole word, keep its arguments.
    if (instruction && instruction.argsText !== '') return keywordItems(toLspRange(instruction.keywordRange), false);
    return keywordItems(at(linePrefix.trimStart().length), true);
  }
  if (!isKeyword(instruction.keyword)) return [];
  const keyword = instruction.keyword;

  // The words typed since the keyword, continuations removed; the last one is the one being typed.
  const typed = analysis.text.slice(instruction.keywordRange.end.offset, offset).replace(/\\\r?\n/g, ' ');
  const current = /\S*$/.exec(typed)?.[0] ?? '';
  const previous = typed.slice(0, typed.length - current.length).split(/\s+/).filter((w) => w !== '');
  const atFlagPosition = previous.every((w) => w.startsWith('--'));
  const argIndex = previous.filter((w) => !w.startsWith('--')).length;

  if (current.startsWith('--') && atFlagPosition) {
    const eq = current.indexOf('=');
    if (eq === -1) return flagItems(keyword, at(current.length));
    const flag = current.slice(2, eq);
    const range = at(current.length - eq - 1);
    // `COPY --from=`: a stage (any but this one, earlier first) or an image.
    if (keyword === 'COPY' && flag === 'from') return [...stageItems(analysis, instruction, range, true), ...(await imageItems(context, range, false))];
    return flagValueItems(keyword, flag, range);
  }

  switch (keyword) {
    case 'COPY':
    case 'ADD': {
      const after = analysis.text.slice(offset, analysis.result.lines.lineEnd(instruction.range.end.line));
      const isLast = argIndex >= 1 && !/\S/.test(after.replace(/^\S*/, ''));
      const paths = await pathItems(analysis, context, current, offset, at);
      if (!isLast) return paths;
      return [...destinationItems(current, at(current.length)), ...paths];
    }
    case 'APPCMDS':
    case 'APPENV':
      return argIndex === 0 ? appItems(analysis, at(current.length), false) : [];
    case 'LAUNCH': {
      // Inside the JSON array: complete the string being typed, quoting it when no quote is open yet.
      const inString = /"[^",[\]]*$/.exec(typed);
      const partial = inString ? inString[0].slice(1) : (/[^\s",[\]]*$/.exec(typed)?.[0] ?? '');
      return appItems(analysis, at(partial.length), !inString);
    }
    case 'FROM':
      // FROM may name an earlier stage as its base.
      return argIndex === 0 && !current.startsWith('-') ? [...stageItems(analysis, instruction, at(current.length), false), ...(await imageItems(context, at(current.length), true))] : [];
    default:
      return [];
  }
}

function keywordItems(range: LspRange, snippet: boolean): CompletionItem[] {
  return KEYWORDS.map((keyword, i) => ({
    label: keyword,
    kind: CompletionItemKind.Keyword,
    detail: INSTRUCTIONS[keyword].syntax,
    data: { kind: 'keyword', keyword } satisfies CompletionData,
    insertTextFormat: snippet ? InsertTextFormat.Snippet : InsertTextFormat.PlainText,
    textEdit: { range, newText: snippet ? snippetOf(keyword) : keyword },
    sortText: String(i).padStart(2, '0'),
    ...(INSTRUCTIONS[keyword].deprecated ? { tags: [CompletionItemTag.Deprecated] } : {}),
  }));
}

function variableItems(analysis: Analysis, offset: number, range: LspRange, closeBrace: boolean): CompletionItem[] {
  const instruction = analysis.result.ast.instructions.find((i) => i.range.start.offset <= offset && offset <= i.range.end.offset);
  const visible = variablesAt(analysis, instruction ? instruction.range.start.offset : offset);
  return [...visible.values()].map((v) => ({
    label: v.name,
    kind: v.kind === 'platform' ? CompletionItemKind.Constant : CompletionItemKind.Variable,
    detail: `${v.kind === 'platform' ? 'platform variable' : v.kind}: ${describeValues(v.values)}`,
    textEdit: { range, newText: closeBrace ? `${v.name}}` : v.name },
    data: { kind: 'variable', name: v.name, offset: instruction ? instruction.range.start.offset : offset } satisfies CompletionData,
    // Declared variables before the predefined ones.
    sortText: `${v.kind === 'platform' ? 1 : 0}${v.name}`,
  }));
}

function flagItems(keyword: keyof typeof INSTRUCTIONS, range: LspRange): CompletionItem[] {
  return Object.entries(INSTRUCTIONS[keyword].flags).map(([name, type]) => ({
    label: `--${name}`,
    kind: CompletionItemKind.Property,
    detail: type === 'bool' ? `--${name}` : `--${name}=<${type === 'strings' ? 'value (repeatable)' : 'value'}>`,
    data: { kind: 'flag', flag: name } satisfies CompletionData,
    textEdit: { range, newText: type === 'bool' ? `--${name}` : `--${name}=` },
    // Reopen completion for the flag's value.
    ...(type !== 'bool' ? { command: { title: 'Suggest', command: 'editor.action.triggerSuggest' } } : {}),
  }));
}

/** Values BuildKit expands in `FROM --platform=`: the machine building, or the platform being built. */
const PLATFORM_VARIABLES = ['$BUILDPLATFORM', '$TARGETPLATFORM'];

function flagValueItems(keyword: keyof typeof INSTRUCTIONS, flag: string, range: LspRange): CompletionItem[] {
  if (keyword === 'FROM' && flag === 'platform') {
    return [
      ...PLATFORM_VARIABLES.map((value) => ({ label: value, kind: CompletionItemKind.Constant, textEdit: { range, newText: value }, sortText: `0${value}` })),
      ...COMMON_PLATFORMS.map((value) => ({ label: value, kind: CompletionItemKind.EnumMember, textEdit: { range, newText: value }, sortText: `1${value}` })),
    ];
  }
  const spec = INSTRUCTIONS[keyword];
  const values = spec.flagValues?.[flag] ?? (spec.flags[flag] === 'bool' ? ['true', 'false'] : []);
  return values.map((value) => ({ label: value, kind: CompletionItemKind.EnumMember, textEdit: { range, newText: value } }));
}

/** The images of the local store, each with its platforms, after `scratch` when it is a base (FROM). Sorted after stages. */
async function imageItems(context: FeatureContext, range: LspRange, withScratch: boolean): Promise<CompletionItem[]> {
  const scratch: CompletionItem = { label: 'scratch', kind: CompletionItemKind.Value, detail: 'No base image', textEdit: { range, newText: 'scratch' }, sortText: '10' };
  const images = (await context.images?.()) ?? [];
  return [
    ...(withScratch ? [scratch] : []),
    ...images.map((image) => ({
      label: image.name,
      kind: CompletionItemKind.Module,
      ...(image.platforms && image.platforms.length > 0 ? { detail: image.platforms.join(', ') } : {}),
      textEdit: { range, newText: image.name },
      sortText: `11${image.name}`,
    })),
  ];
}

/**
 * The stages an instruction may name: for FROM the earlier ones, for `COPY --from` (`copy`) every
 * stage but its own, earlier ones first. A name a later duplicate replaces is left out, as BuildKit
 * resolves it to the later one; an unnamed stage is offered as its index (to `COPY --from` only).
 */
function stageItems(analysis: Analysis, instruction: Instruction, range: LspRange, copy: boolean): CompletionItem[] {
  const ast = analysis.result.ast;
  const table = stageTable(ast);
  const at = ast.instructions.indexOf(instruction);
  const current = table.stages.findIndex((s) => s.first <= at && at < s.end);
  // Before any FROM there is no stage.
  if (current === -1) return [];
  const candidates = table.stages.filter((s) => s.index !== current && (copy || s.index < current));
  const offered = candidates.filter((s) => (s.name === undefined ? copy : !candidates.some((later) => later.index > s.index && later.name === s.name)));
  const item = (stage: StageInfo): CompletionItem => {
    const label = stage.name ?? String(stage.index);
    return {
      label,
      kind: CompletionItemKind.Reference,
      detail: `stage on line ${stage.from.range.start.line + 1}: ${instructionLine(stage.from)}`,
      textEdit: { range, newText: label },
      sortText: `0${stage.index < current ? 0 : 1}${String(stage.index).padStart(4, '0')}`,
    };
  };
  return [...offered.filter((s) => s.index < current), ...offered.filter((s) => s.index > current)].map(item);
}

const SPECIAL_DESTINATIONS: Readonly<Record<string, string>> = {
  manifests: 'Kubernetes YAML applied when the cluster starts (checked as manifests)',
  charts: 'Helm charts (checked as charts)',
  images: 'Container image archives loaded into the cluster registry',
  plugins: 'sealer plugin configurations',
  bin: 'Programs installed on the nodes (built for the target architecture)',
  etc: 'Configuration (a Clusterfile here becomes the default cluster config)',
  scripts: 'Scripts run by the image',
};

function destinationItems(current: string, range: LspRange): CompletionItem[] {
  if (current.includes('/')) return [];
  const names = [...new Set([...Object.keys(SPECIAL_DESTINATIONS), ...ROOTFS_DIRECTORIES])];
  return names.map((name) => ({
    label: name,
    kind: CompletionItemKind.Folder,
    detail: SPECIAL_DESTINATIONS[name] ?? 'Cluster image rootfs directory',
    textEdit: { range, newText: name },
    sortText: `0${name}`,
  }));
}

/**
 * Entries of the directory typed so far. A directory holding variables (`${ARCH}/`) is expanded per
 * platform, and each name says which platforms have it when not all do.
 */
async function pathItems(analysis: Analysis, context: FeatureContext, current: string, offset: number, at: (length: number) => LspRange): Promise<CompletionItem[]> {
  const buildContext = context.buildContext;
  if (!buildContext || /^[a-z+]+:\/\//i.test(current)) return [];
  const slash = current.lastIndexOf('/');
  const dirTyped = slash === -1 ? '' : current.slice(0, slash);
  const namePart = current.slice(slash + 1);
  const instruction = analysis.result.ast.instructions.find((i) => i.range.start.offset <= offset && offset <= i.range.end.offset);
  const visible = variablesAt(analysis, instruction ? instruction.range.start.offset : offset);
  const platforms = analysis.result.plans.map((p) => formatPlatform(p.target));

  const found = new Map<string, { directory: boolean; platforms: string[] }>();
  const dirs = new Map<string, string[]>();
  for (const platform of platforms) {
    const dir = substitute(dirTyped, (name) => visible.get(name)?.values.get(platform)).replace(/^\.?\/+|^\.$/g, '').replace(/\/+$/, '');
    dirs.set(dir, [...(dirs.get(dir) ?? []), platform]);
  }
  for (const [dir, dirPlatforms] of dirs) {
    const entry = await buildContext.stat(dir);
    if (entry?.type !== 'directory') continue;
    for (const name of await buildContext.list(dir)) {
      const child = await buildContext.stat(dir === '' ? name : `${dir}/${name}`);
      const item = found.get(name) ?? { directory: child?.type === 'directory', platforms: [] };
      item.platforms.push(...dirPlatforms);
      found.set(name, item);
    }
  }
  return [...found].map(([name, { directory, platforms: present }]) => ({
    label: directory ? `${name}/` : name,
    kind: directory ? CompletionItemKind.Folder : CompletionItemKind.File,
    detail: present.length === platforms.length && dirs.size === 1 ? undefined : present.length === platforms.length ? `all platforms` : `only ${present.join(', ')}`,
    textEdit: { range: at(namePart.length), newText: directory ? `${name}/` : name },
    sortText: `1${name}`,
    // Keep completing inside a directory.
    ...(directory ? { command: { title: 'Suggest', command: 'editor.action.triggerSuggest' } } : {}),
  }));
}

/** `$NAME` and `${NAME}` replaced by their values (the simple forms typed in paths). */
function substitute(text: string, value: (name: string) => string | undefined): string {
  return text.replace(/\$\{([\p{L}\p{Nd}_]+)\}|\$([\p{L}\p{Nd}_]+)/gu, (_, braced: string | undefined, plain: string | undefined) => value(braced ?? plain ?? '') ?? '');
}

function appItems(analysis: Analysis, range: LspRange, quote: boolean): CompletionItem[] {
  const apps = new Map<string, string>();
  for (const instruction of analysis.result.ast.instructions) {
    if ((isInstruction(instruction, 'APP') || isInstruction(instruction, 'CNI') || isInstruction(instruction, 'CSI')) && instruction.name) {
      apps.set(instruction.name.text, `${instruction.keyword} on line ${instruction.range.start.line + 1}`);
    }
  }
  return [...apps].map(([name, detail]) => ({
    label: name,
    kind: CompletionItemKind.Module,
    detail,
    textEdit: { range, newText: quote ? JSON.stringify(name) : name },
  }));
}
