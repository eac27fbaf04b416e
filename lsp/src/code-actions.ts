/**
 * Code actions: the catalogue's fixes as quick fixes, plus fixes the grammar and compiler do not
 * attach (declaring a missing ARG, correcting a misspelt variable, stringifying JSON elements),
 * "Ignore" quick fixes (a `# kubefile-lint ignore=` comment, or the `# check=skip=` directive),
 * keyword-case / exec-form rewrites for the instructions in the requested range, and one
 * `source.fixAll` applying every safe fix of the file.
 */
import { CATALOGUE, isKnown, type Diagnostic, type DiagnosticCode, type Fix, type Instruction, type TextEdit as GrammarEdit } from '@kubefile/grammar';
import { argDeclarationWithoutValue, IGNORE_COMMENT_PREFIX } from '@kubefile/compiler';
import type { CodeAction, Diagnostic as LspDiagnostic, Range as LspRange, TextEdit } from 'vscode-languageserver';
import type { Analysis } from './analysis.js';
import { shownCode, toLspRange } from './convert.js';
import { CodeActionKind } from './languageserver.js';

/**
 * The codes whose first fix `source.fixAll` applies: only rewrites that keep what the build makes.
 * KF2012 (keyword case), KF2024 (directive case), KF2020 (a flag that says nothing), KF2021 (legacy
 * `ENV k v` → `k=v`, quoted to read the same), KF2005 (MAINTAINER → LABEL maintainer, the documented
 * replacement) and KF3017 (a `/` that makes sealer copy as kubefilec does). Not: KF2019 (changes
 * the base's platform), KF2022 (ADD unpacks archives by content), KF2023 (joined RUNs share shell
 * state such as `cd`), KF2004 (drops an instruction) and the guesses (misspelt keywords, variables).
 */
export const SAFE_FIX_CODES: ReadonlySet<DiagnosticCode> = new Set<DiagnosticCode>(['KF2005', 'KF2012', 'KF2020', 'KF2021', 'KF2024', 'KF3017']);

/** Whether an action of `kind` is among the kinds the client asked for (`context.only`): a kind includes its sub-kinds. */
function wanted(kind: string, only: readonly string[] | undefined): boolean {
  return !only || only.some((o) => kind === o || kind.startsWith(`${o}.`));
}

export interface CodeActionOptions {
  /** `context.only`: the kinds the client asked for. */
  only?: readonly string[];
  /** Diagnostics published beside the analysis's own (ShellCheck's), so their actions are offered too. */
  findings?: readonly Diagnostic[];
  /** The commands the client runs itself (`CLIENT_COMMANDS` it listed at initialization). */
  clientCommands?: readonly string[];
}

export function codeActions(analysis: Analysis, range: LspRange, diagnostics: readonly LspDiagnostic[], uri: string, options: CodeActionOptions = {}): CodeAction[] {
  return allCodeActions(analysis, range, diagnostics, uri, options).filter((a) => wanted(a.kind ?? '', options.only));
}

function allCodeActions(analysis: Analysis, range: LspRange, diagnostics: readonly LspDiagnostic[], uri: string, options: CodeActionOptions): CodeAction[] {
  const findings = options.findings ?? [];
  const actions: CodeAction[] = [];
  const action = (title: string, kind: string, edits: readonly GrammarEdit[], linked?: LspDiagnostic, preferred?: boolean): CodeAction => {
    const out: CodeAction = { title, kind, edit: { changes: { [uri]: edits.map((e): TextEdit => ({ range: toLspRange(e.range), newText: e.newText })) } } };
    if (linked) out.diagnostics = [linked];
    if (preferred) out.isPreferred = true;
    return out;
  };

  const fixedKeywords = new Set<number>();
  for (const lsp of diagnostics) {
    if (!intersects(lsp.range, range)) continue;
    const matches = (d: Diagnostic) => shownCode(d) === lsp.code && sameRange(toLspRange(d.range), lsp.range);
    const diagnostic = analysis.result.diagnostics.find(matches) ?? findings.find(matches);
    if (!diagnostic) continue;
    const fixes = [...(diagnostic.fixes ?? []), ...extraFixes(analysis, diagnostic)];
    for (const fix of fixes) actions.push(action(fix.title, CodeActionKind.QuickFix, fix.edits, lsp, fixes.length === 1));
    for (const fix of ignoreFixes(analysis, diagnostic)) actions.push(action(fix.title, CodeActionKind.QuickFix, fix.edits, lsp));
    if (diagnostic.code === 'KF3020' && options.clientCommands?.includes('kubefile.setBuildArg')) {
      const name = analysis.text.slice(diagnostic.range.start.offset, diagnostic.range.end.offset);
      const title = `Set build arg ${name} in the kubefile.buildArgs setting...`;
      actions.push({ title, kind: CodeActionKind.QuickFix, diagnostics: [lsp], command: { title, command: 'kubefile.setBuildArg', arguments: [name] } });
    }
    if (diagnostic.code === 'KF2012') fixedKeywords.add(diagnostic.range.start.offset);
  }

  const fixAll = safeFixEdits(analysis.result.diagnostics);
  if (fixAll.length > 0) actions.push(action('Fix all safely fixable problems', CodeActionKind.SourceFixAll, fixAll));

  // Rewrites offered without a diagnostic (KF2012 is off by default).
  for (const instruction of analysis.result.ast.instructions) {
    if (!intersects(toLspRange(instruction.range), range)) continue;
    if (isKnown(instruction) && instruction.keywordText !== instruction.keyword && !fixedKeywords.has(instruction.keywordRange.start.offset)) {
      actions.push(action(`Change to ${instruction.keyword}`, CodeActionKind.RefactorRewrite, [{ range: instruction.keywordRange, newText: instruction.keyword }]));
    }
    const exec = toExecForm(instruction);
    if (exec) actions.push(action('Convert to exec form (JSON array)', CodeActionKind.RefactorRewrite, [exec]));
  }
  return actions;
}

/**
 * The edits of every safe fix (`SAFE_FIX_CODES`), in file order; a fix whose edits would overlap
 * an edit already taken waits for the next run.
 */
export function safeFixEdits(diagnostics: readonly Diagnostic[]): GrammarEdit[] {
  const taken: GrammarEdit[] = [];
  const overlaps = (a: GrammarEdit, b: GrammarEdit) => {
    const [as, ae, bs, be] = [a.range.start.offset, a.range.end.offset, b.range.start.offset, b.range.end.offset];
    // Two insertions at one place, or an insertion inside a replaced range, clash too.
    return as === bs || (as < be && bs < ae);
  };
  for (const diagnostic of diagnostics) {
    const fix = diagnostic.fixes?.[0];
    if (!fix || !SAFE_FIX_CODES.has(diagnostic.code)) continue;
    if (fix.edits.some((e) => taken.some((t) => overlaps(e, t)))) continue;
    taken.push(...fix.edits);
  }
  return taken.sort((a, b) => a.range.start.offset - b.range.start.offset);
}

/**
 * "Ignore CODE on this line" (a `# kubefile-lint ignore=` comment above the instruction, or the code
 * added to one already there) and "Ignore CODE in this file" (the `# check=skip=` directive). Not for
 * errors: the directive and the comment do not silence them.
 */
function ignoreFixes(analysis: Analysis, diagnostic: Diagnostic): Fix[] {
  if (CATALOGUE[diagnostic.code].severity === 'error') return [];
  const code = shownCode(diagnostic);
  const fixes: Fix[] = [];
  const line = ignoreLineEdit(analysis, diagnostic, code);
  if (line) fixes.push({ title: `Ignore ${code} on this line`, edits: [line] });
  fixes.push({ title: `Ignore ${code} in this file`, edits: [skipEdit(analysis, code)] });
  return fixes;
}

const IGNORE_COMMENT = new RegExp(`^[ \\t]*#[ \\t]*${IGNORE_COMMENT_PREFIX}[ \\t]+(?:[^ \\t#]+[ \\t]+)*?ignore=([^ \\t#]*)`);

function eolOf(text: string): string {
  return text.includes('\r\n') ? '\r\n' : '\n';
}

function ignoreLineEdit(analysis: Analysis, diagnostic: Diagnostic, code: string): GrammarEdit | undefined {
  const { text } = analysis;
  const { ast, lines } = analysis.result;
  const line = diagnostic.range.start.line;
  const instruction = ast.instructions.find((i) => i.range.start.line <= line && line <= i.range.end.line);
  if (!instruction) return undefined;
  const lineText = (l: number) => text.slice(lines.lineStarts[l], l + 1 < lines.lineCount ? lines.lineStarts[l + 1] : text.length).replace(/\r?\n$/, '');
  // The comment lines directly above the instruction: an ignore comment among them is extended.
  const commentLines = new Set(ast.comments.map((c) => c.range.start.line));
  for (let l = instruction.range.start.line - 1; l >= 0 && commentLines.has(l); l--) {
    const match = IGNORE_COMMENT.exec(lineText(l));
    if (!match) continue;
    const at = lines.lineStarts[l] + match[0].length;
    return { range: lines.range(at, at), newText: match[1] === '' ? code : `,${code}` };
  }
  const start = lines.lineStarts[instruction.range.start.line];
  const indent = /^[ \t]*/.exec(lineText(instruction.range.start.line))![0];
  return { range: lines.range(start, start), newText: `${indent}# ${IGNORE_COMMENT_PREFIX} ignore=${code}${eolOf(text)}` };
}

/** Adds `code` to the `skip=` of the `# check=` directive, or the option or the directive itself. */
function skipEdit(analysis: Analysis, code: string): GrammarEdit {
  const { text } = analysis;
  const { ast, lines } = analysis.result;
  const check = ast.directives.find((d) => d.name === 'check');
  if (check) {
    const valueStart = check.valueRange.start.offset;
    let at = 0;
    for (const part of check.value.split(';')) {
      const skip = /^\s*skip\s*=\s*/.exec(part);
      if (skip) {
        const end = valueStart + at + part.trimEnd().length;
        return { range: lines.range(end, end), newText: part.trim().slice(skip[0].trim().length).trim() === '' ? code : `,${code}` };
      }
      at += part.length + 1;
    }
    const end = check.valueRange.end.offset;
    return { range: lines.range(end, end), newText: `;skip=${code}` };
  }
  // After the last leading directive (they must stay the first lines), or at the very top.
  const last = ast.directives[ast.directives.length - 1];
  const bom = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const at = last ? (last.range.end.line + 1 < lines.lineCount ? lines.lineStarts[last.range.end.line + 1] : text.length) : bom;
  const newLine = last && at === text.length && !/\n$/.test(text) ? eolOf(text) : '';
  return { range: lines.range(at, at), newText: `${newLine}# check=skip=${code}${eolOf(text)}` };
}

/** Fixes for diagnostics that come without one. */
function extraFixes(analysis: Analysis, diagnostic: Diagnostic): Fix[] {
  switch (diagnostic.code) {
    case 'KF3001':
      return undefinedVariableFixes(analysis, diagnostic);
    case 'KF1005':
      return stringifyFix(analysis, diagnostic);
    case 'KF3020':
      return argDefaultFix(analysis, diagnostic);
    default:
      return [];
  }
}

/** KF3001: use the suggested name, or declare the variable with ARG where it is in scope. */
function undefinedVariableFixes(analysis: Analysis, diagnostic: Diagnostic): Fix[] {
  const { text } = analysis;
  const { ast, lines } = analysis.result;
  const start = diagnostic.range.start.offset;
  // The range is the variable's name; a `$NAME` / `${NAME...}` range is read too.
  const reference = /^\$?\{?([A-Za-z_][A-Za-z0-9_]*)/.exec(text.slice(start, diagnostic.range.end.offset));
  if (!reference) return [];
  const name = reference[1];
  const fixes: Fix[] = [];
  const suggestion = /did you mean ([A-Za-z_][A-Za-z0-9_]*)\?/.exec(diagnostic.message)?.[1];
  if (suggestion && suggestion !== name) {
    const nameStart = start + reference[0].length - name.length;
    fixes.push({ title: `Change to ${suggestion}`, edits: [{ range: lines.range(nameStart, nameStart + name.length), newText: suggestion }] });
  }

  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const instructions = ast.instructions;
  const user = instructions.findIndex((i) => i.range.start.offset <= start && start <= i.range.end.offset);
  const from = instructions.findIndex((i) => i.keyword === 'FROM');
  let edit: GrammarEdit;
  let where: string;
  if (user === -1) return fixes;
  if (from === -1 || user <= from) {
    // Used in FROM (or before it): only an ARG before FROM is in scope there.
    const at = instructions[user].range.start.offset - instructions[user].range.start.column;
    edit = { range: lines.range(at, at), newText: `ARG ${name}${eol}` };
    where = 'before';
  } else {
    // After FROM, on the line after the FROM instruction (and its heredocs, continuations).
    const end = instructions[from].range.end;
    const nextLine = end.line + 1 < lines.lineCount ? lines.lineStarts[end.line + 1] : undefined;
    edit = nextLine === undefined ? { range: lines.range(text.length, text.length), newText: `${eol}ARG ${name}` } : { range: lines.range(nextLine, nextLine), newText: `ARG ${name}${eol}` };
    where = 'after';
  }
  fixes.push({ title: `Declare ARG ${name} ${where} FROM`, edits: [edit] });
  return fixes;
}

/** What the KF3020 fix writes as an ARG's default: to be replaced, and plain to see if it is not. */
export const ARG_DEFAULT_PLACEHOLDER = 'change-me';

/** KF3020: give the ARG in scope a default (`ARG NAME` → `ARG NAME=change-me`), found in the current text. */
function argDefaultFix(analysis: Analysis, diagnostic: Diagnostic): Fix[] {
  const name = analysis.text.slice(diagnostic.range.start.offset, diagnostic.range.end.offset);
  const declaration = argDeclarationWithoutValue(analysis.result.ast, name, diagnostic.range.start.offset);
  if (!declaration) return [];
  const end = declaration.name.range.end;
  return [{ title: `Give ARG ${name} a default`, edits: [{ range: { start: end, end }, newText: `=${ARG_DEFAULT_PLACEHOLDER}` }] }];
}

/** KF1005: `["sleep", 10]` → `["sleep", "10"]` (numbers, booleans and null written as strings). */
function stringifyFix(analysis: Analysis, diagnostic: Diagnostic): Fix[] {
  const source = analysis.text.slice(diagnostic.range.start.offset, diagnostic.range.end.offset);
  let parsed: unknown;
  try {
    parsed = JSON.parse(source);
  } catch {
    return [];
  }
  if (!Array.isArray(parsed)) return [];
  const elements: unknown[] = parsed;
  if (elements.some((e) => typeof e === 'object' && e !== null)) return [];
  const fixed = `[${elements.map((e) => JSON.stringify(String(e))).join(', ')}]`;
  return [{ title: 'Write the elements as strings', edits: [{ range: diagnostic.range, newText: fixed }] }];
}

/** Characters that make a shell command more than a list of words (expansion, redirection, quoting, globbing, operators). */
const SHELL_SPECIAL = /[\s\\$`"'|&;<>(){}*?[\]~#!]/;

/**
 * Shell form → exec form for RUN and CMD, offered only when the command is plain words: then the
 * shell would just split it on blanks and exec it, so the JSON array means the same.
 */
function toExecForm(instruction: Instruction): GrammarEdit | undefined {
  if ((instruction.keyword !== 'RUN' && instruction.keyword !== 'CMD') || instruction.form !== 'shell' || instruction.heredocs.length > 0) return undefined;
  const words = instruction.argsText.split(/[ \t]+/).filter((w) => w !== '');
  if (words.length === 0 || words.some((w) => SHELL_SPECIAL.test(w) || w.includes('='))) return undefined;
  // `a=b cmd` would set a variable in the shell; `=` anywhere is left alone to be safe.
  return { range: instruction.argsRange, newText: JSON.stringify(words).replace(/","/g, '", "') };
}

function sameRange(a: LspRange, b: LspRange): boolean {
  return a.start.line === b.start.line && a.start.character === b.start.character && a.end.line === b.end.line && a.end.character === b.end.character;
}

function before(a: LspRange['start'], b: LspRange['start']): boolean {
  return a.line < b.line || (a.line === b.line && a.character < b.character);
}

/** Touching counts: a cursor (empty range) at a diagnostic's end still gets its fixes. */
function intersects(a: LspRange, b: LspRange): boolean {
  return !before(a.end, b.start) && !before(b.end, a.start);
}
